#include "errno_error.h"

#include <cerrno>
#include <cstring>

namespace ipcx {

std::string ErrnoName(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case EFBIG: return "EFBIG";
    case EPIPE: return "EPIPE";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ERANGE: return "ERANGE";
    case EDEADLK: return "EDEADLK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ELOOP: return "ELOOP";
    case ENOMSG: return "ENOMSG";
    case EIDRM: return "EIDRM";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOTSUP: return "ENOTSUP";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENXIO: return "ENXIO";
    case ETXTBSY: return "ETXTBSY";
    default: return "E" + std::to_string(err);
  }
}

static std::string ErrText(int err) {
  char buf[256];
  // GNU strerror_r (we build with _GNU_SOURCE): returns a pointer, maybe not into buf; thread-safe.
  const char* s = strerror_r(err, buf, sizeof buf);
  return s ? std::string(s) : std::string("errno ") + std::to_string(err);
}

std::string FormatOpError(const OpError& e) {
  std::string code = e.code.empty() ? ErrnoName(e.err) : e.code;
  std::string msg;
  if (e.syscall && *e.syscall) {
    msg += e.syscall;
    if (e.op && *e.op) {
      msg += "(";
      msg += e.op;
      msg += ")";
    }
  } else if (e.op && *e.op) {
    msg += e.op;
  }
  if (e.id >= 0) {
    if (!msg.empty()) msg += " ";
    msg += "id=" + std::to_string(e.id);
  }
  if (!msg.empty()) msg += ": ";
  msg += e.detail.empty() ? ErrText(e.err) : e.detail;
  msg += " (" + code + ")";
  return msg;
}

Napi::Error MakeOpError(Napi::Env env, const OpError& e) {
  Napi::Error err = Napi::Error::New(env, FormatOpError(e));
  Napi::Object o = err.Value();
  o.Set("code", e.code.empty() ? ErrnoName(e.err) : e.code);
  if (e.err) o.Set("errno", e.err);
  if (e.syscall && *e.syscall) o.Set("syscall", e.syscall);
  if (e.op && *e.op) o.Set("op", e.op);
  if (e.id >= 0) o.Set("id", static_cast<double>(e.id));
  return err;
}

void ThrowErrno(Napi::Env env, const char* syscall, const char* op, int err, long long id) {
  OpError e;
  e.err = err;
  e.syscall = syscall;
  e.op = op;
  e.id = id;
  throw MakeOpError(env, e);
}

}  // namespace ipcx

// Small helpers shared by the sysv_*.cc files (no N-API).
#pragma once

#include <cerrno>
#include <cstdio>
#include <string>

#include "ipc_core.h"

namespace ipcx {

inline OpError Err(int err, const char* syscall, const char* op, long long id) {
  OpError e;
  e.err = err;
  e.syscall = syscall;
  e.op = op;
  e.id = id;
  return e;
}

[[noreturn]] inline void Fail(int err, const char* syscall, const char* op, long long id) {
  throw OpFailure{Err(err, syscall, op, id)};
}

// A guarded removal refused: code ECHANGED, the message names the check.
[[noreturn]] inline void Changed(const char* syscall, long long id, const std::string& what) {
  OpError e = Err(0, syscall, "IPC_RMID", id);
  e.code = "ECHANGED";
  e.detail = "refused, " + what;
  throw OpFailure{e};
}

inline std::string Hex32(int key) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", static_cast<unsigned>(key));
  return b;
}

// Checks shared by every kind: key and ctime.
inline void CheckKeyCtime(const char* syscall, long long id, int key, long long ctime, const RemovalExpectation& e) {
  if (key != e.key) Changed(syscall, id, "key changed: expected " + Hex32(e.key) + ", found " + Hex32(key));
  if (ctime != e.ctime) {
    Changed(syscall, id, "ctime changed: expected " + std::to_string(e.ctime) + ", found " + std::to_string(ctime) +
                             " (the object was changed or replaced)");
  }
}

// Tracks whether *_STAT_ANY works on this kernel (Linux >= 4.17); falls back to *_STAT on EINVAL.
// Returns the id, or -1 with errno set. `op` receives the name of the command that produced the result.
template <typename StatFn>
int StatSlot(int idx, int& anyState, bool& statAny, const char*& op, const char* anyName, const char* plainName,
             StatFn stat, int anyCmd, int plainCmd) {
  if (anyState >= 0) {
    op = anyName;
    int id = stat(idx, anyCmd);
    if (id >= 0) {
      anyState = 1;
      return id;
    }
    if (errno != EINVAL || anyState == 1) return -1;
    // Unknown yet: an empty slot, or a kernel without *_STAT_ANY? Ask *_STAT once.
    int id2 = stat(idx, plainCmd);
    int e2 = errno;
    if (id2 >= 0 || e2 == EACCES) {
      anyState = -1;
      statAny = false;
      op = plainName;
      errno = e2;
      return id2;
    }
    errno = EINVAL;
    return -1;
  }
  op = plainName;
  return stat(idx, plainCmd);
}

}  // namespace ipcx

// Structured errno errors for JS: `semctl(IPC_RMID) id=32769: Operation not permitted (EPERM)` with the
// properties code, errno, syscall, op and id, the same shape as Node's system errors.
#pragma once

#include <napi.h>

#include <string>

#include "ipc_core.h"

namespace ipcx {

// errno -> its name ("EACCES"); a small switch instead of glibc-only strerrorname_np. "E<n>" if unknown.
std::string ErrnoName(int err);

// The message text of an OpError (see the header comment).
std::string FormatOpError(const OpError& e);

// The JS Error object for an OpError (not thrown).
Napi::Error MakeOpError(Napi::Env env, const OpError& e);

// Throws a JS Error for errno `err` of `syscall`(`op`) on `id` (-1 = none).
[[noreturn]] void ThrowErrno(Napi::Env env, const char* syscall, const char* op, int err, long long id);

}  // namespace ipcx

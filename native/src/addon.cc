// ipc_native: System V IPC and glibc POSIX semaphores for IPC Explorer. Export table only.
#include <napi.h>

#include "api.h"
#include "json_writer.h"

#ifndef IPCX_NATIVE_VERSION
#define IPCX_NATIVE_VERSION "dev"
#endif

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "ipc_native " IPCX_NATIVE_VERSION " (napi " +
                                                    std::to_string(NAPI_VERSION) + ")"));
  exports.Set("snapshot", Napi::Function::New(env, ipcx::JsSnapshot, "snapshot"));
  exports.Set("snapshotAsync", Napi::Function::New(env, ipcx::JsSnapshotAsync, "snapshotAsync"));
  exports.Set("sameSets", Napi::Function::New(env, ipcx::JsSameSets, "sameSets"));
  exports.Set("limits", Napi::Function::New(env, ipcx::JsLimits, "limits"));
  exports.Set("probeSysv", Napi::Function::New(env, ipcx::JsProbeSysv, "probeSysv"));
  exports.Set("semDetail", Napi::Function::New(env, ipcx::JsSemDetail, "semDetail"));
  exports.Set("remove", Napi::Function::New(env, ipcx::JsRemove, "remove"));
  exports.Set("statObject", Napi::Function::New(env, ipcx::JsStatObject, "statObject"));
  exports.Set("restoreMode", Napi::Function::New(env, ipcx::JsRestoreMode, "restoreMode"));
  exports.Set("shmPeek", Napi::Function::New(env, ipcx::JsShmPeek, "shmPeek"));
  exports.Set("readPosixSem", Napi::Function::New(env, ipcx::JsReadPosixSem, "readPosixSem"));
  exports.Set("formatSemsJson", Napi::Function::New(env, ipcx::JsFormatSemsJson, "formatSemsJson"));
  exports.Set("writeSysvJson", Napi::Function::New(env, ipcx::JsWriteSysvJson, "writeSysvJson"));
  exports.Set("nsSnapshotAsync", Napi::Function::New(env, ipcx::JsNsSnapshotAsync, "nsSnapshotAsync"));
  exports.Set("nsLimits", Napi::Function::New(env, ipcx::JsNsLimits, "nsLimits"));
  exports.Set("nsProbe", Napi::Function::New(env, ipcx::JsNsProbe, "nsProbe"));
  exports.Set("nsSemDetail", Napi::Function::New(env, ipcx::JsNsSemDetail, "nsSemDetail"));
  exports.Set("nsStatObject", Napi::Function::New(env, ipcx::JsNsStatObject, "nsStatObject"));
  exports.Set("nsRemove", Napi::Function::New(env, ipcx::JsNsRemove, "nsRemove"));
  exports.Set("utsNodename", Napi::Function::New(env, ipcx::JsUtsNodename, "utsNodename"));
  exports.Set("watchCalls", Napi::Function::New(env, ipcx::JsWatchCalls, "watchCalls"));
  exports.Set("watchCount", Napi::Function::New(env, ipcx::JsWatchCount, "watchCount"));
  exports.Set("watchClose", Napi::Function::New(env, ipcx::JsWatchClose, "watchClose"));
  return exports;
}

}  // namespace

NODE_API_MODULE(ipc_native, Init)

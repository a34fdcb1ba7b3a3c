// The exported functions: validate arguments (usage strings repeat the JS signature), call the core,
// convert the result. Core failures (OpFailure) become structured JS errors.
#pragma once

#include <napi.h>

namespace ipcx {

Napi::Value JsSnapshot(const Napi::CallbackInfo& info);
Napi::Value JsLimits(const Napi::CallbackInfo& info);
Napi::Value JsProbeSysv(const Napi::CallbackInfo& info);
Napi::Value JsSemDetail(const Napi::CallbackInfo& info);
Napi::Value JsRemove(const Napi::CallbackInfo& info);
Napi::Value JsStatObject(const Napi::CallbackInfo& info);
Napi::Value JsRestoreMode(const Napi::CallbackInfo& info);
Napi::Value JsShmPeek(const Napi::CallbackInfo& info);
Napi::Value JsReadPosixSem(const Napi::CallbackInfo& info);
Napi::Value JsSnapshotAsync(const Napi::CallbackInfo& info);
Napi::Value JsSameSets(const Napi::CallbackInfo& info);
Napi::Value JsWatchCalls(const Napi::CallbackInfo& info);
Napi::Value JsWatchCount(const Napi::CallbackInfo& info);
Napi::Value JsWatchClose(const Napi::CallbackInfo& info);

// ns_api.cc: inside another IPC namespace (setns on a dedicated thread)
Napi::Value JsNsSnapshotAsync(const Napi::CallbackInfo& info);
Napi::Value JsNsLimits(const Napi::CallbackInfo& info);
Napi::Value JsNsProbe(const Napi::CallbackInfo& info);
Napi::Value JsNsSemDetail(const Napi::CallbackInfo& info);
Napi::Value JsNsStatObject(const Napi::CallbackInfo& info);
Napi::Value JsNsRemove(const Napi::CallbackInfo& info);
Napi::Value JsUtsNodename(const Napi::CallbackInfo& info);

}  // namespace ipcx

// The exported functions: validate arguments (usage strings repeat the JS signature), call the core,
// convert the result. Core failures (OpFailure) become structured JS errors.
#pragma once

#include <napi.h>

namespace ipcx {

Napi::Value JsSnapshot(const Napi::CallbackInfo& info);
Napi::Value JsLimits(const Napi::CallbackInfo& info);
Napi::Value JsSemDetail(const Napi::CallbackInfo& info);
Napi::Value JsRemove(const Napi::CallbackInfo& info);
Napi::Value JsStatObject(const Napi::CallbackInfo& info);
Napi::Value JsRestoreMode(const Napi::CallbackInfo& info);
Napi::Value JsShmPeek(const Napi::CallbackInfo& info);
Napi::Value JsReadPosixSem(const Napi::CallbackInfo& info);
Napi::Value JsSnapshotAsync(const Napi::CallbackInfo& info);

}  // namespace ipcx

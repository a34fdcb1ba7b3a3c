// The only place that builds JS values from the core's structs (and reads JS arguments into them).
#pragma once

#include <napi.h>

#include <string>
#include <utility>
#include <vector>

#include "ipc_core.h"

namespace ipcx {

Napi::Object SnapshotToJs(Napi::Env env, const Snapshot& s);
// The same with the semaphore columns given (s.sem is not used).
Napi::Object SnapshotToJs(Napi::Env env, const Snapshot& s, Napi::Object sem);
// The `sem` object of a listing written in place into these buffers (typed-array views of the rows used).
Napi::Object SemInPlaceToJs(Napi::Env env, Napi::ArrayBuffer headers, Napi::ArrayBuffer values, const SemInPlace& in);
Napi::Object LimitsToJs(Napi::Env env, const Limits& l);
Napi::Int32Array SemDetailToJs(Napi::Env env, const std::vector<int32_t>& d);
Napi::Buffer<uint8_t> BytesToJs(Napi::Env env, const std::vector<uint8_t>& b);
Napi::Object PosixSemToJs(Napi::Env env, const PosixSemRead& r);
// Throws a TypeError naming the bad field.
RemovalExpectation ExpectationFromJs(Napi::Env env, const Napi::Value& v);

}  // namespace ipcx

// The only place that builds JS values from the core's structs (and reads JS arguments into them).
#pragma once

#include <napi.h>

#include <string>
#include <utility>
#include <vector>

#include "ipc_core.h"

namespace ipcx {

Napi::Object SnapshotToJs(Napi::Env env, const Snapshot& s);
Napi::Object LimitsToJs(Napi::Env env, const Limits& l);
Napi::Int32Array SemDetailToJs(Napi::Env env, const std::vector<int32_t>& d);
Napi::Buffer<uint8_t> BytesToJs(Napi::Env env, const std::vector<uint8_t>& b);
Napi::Object PosixSemToJs(Napi::Env env, const PosixSemRead& r);
// JSON text of the SemSet[] array built from the columns, byte-identical to JSON.stringify of the model
// objects (extension/backend/nativeBinding.ts buildSems). errJson[i] is the valuesError JSON of set errIndex[i].
std::string FormatSemsJson(const double* headers, size_t count, const uint16_t* values, size_t nvalues, bool withValues,
                           const std::vector<std::pair<size_t, std::string>>& errors);
// Throws a TypeError naming the bad field.
RemovalExpectation ExpectationFromJs(Napi::Env env, const Napi::Value& v);

}  // namespace ipcx

// The only place that builds JS values from the core's structs (and reads JS arguments into them).
#pragma once

#include <napi.h>

#include <string>
#include <utility>
#include <vector>

#include "ipc_core.h"

namespace ipcx {

Napi::Object SnapshotToJs(Napi::Env env, const Snapshot& s);
// `reuse` when it is an ArrayBuffer of at least `bytes` (an earlier listing's, which the caller hands back and
// no longer reads), else a new one: a listing then writes into pages already mapped.
Napi::ArrayBuffer BufferFor(Napi::Env env, Napi::Value reuse, size_t bytes);
// Buffers an earlier listing's segment and queue columns were returned in, which the caller hands back (it
// keeps no view of them it still reads): the columns are copied into them when they hold them, instead of
// into new zeroed pages. Empty ones, and any too small, are not used.
struct ColumnBuffers {
  Napi::ArrayBuffer shm, msg;
};
// The same with the semaphore columns given (s.sem is not used).
Napi::Object SnapshotToJs(Napi::Env env, const Snapshot& s, Napi::Object sem, const ColumnBuffers& reuse = {});
// The `sem` object of a listing written in place into these buffers (typed-array views of the rows used).
Napi::Object SemInPlaceToJs(Napi::Env env, Napi::ArrayBuffer headers, Napi::ArrayBuffer values, const SemInPlace& in);
Napi::Object LimitsToJs(Napi::Env env, const Limits& l);
Napi::Int32Array SemDetailToJs(Napi::Env env, const std::vector<int32_t>& d);
Napi::Buffer<uint8_t> BytesToJs(Napi::Env env, const std::vector<uint8_t>& b);
Napi::Object PosixSemToJs(Napi::Env env, const PosixSemRead& r);
// Throws a TypeError naming the bad field.
RemovalExpectation ExpectationFromJs(Napi::Env env, const Napi::Value& v);

}  // namespace ipcx

#include "api.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "convert.h"
#include "errno_error.h"
#include "ipc_core.h"
#include "js_args.h"
#include "sysv_util.h"

namespace ipcx {

namespace {

// Buffers a listing's semaphore columns are written into in place (ListSemsInto), sized from SEM_INFO with
// room for sets made during the scan. Allocated on the main thread (they are JS ArrayBuffers; their backing
// stores do not move, so a worker thread may fill them before JS sees them).
struct SemBuffers {
  Napi::ArrayBuffer headers;
  Napi::ArrayBuffer values;
  SemDest dest;
  bool ok = false;
};

// `reuseHeaders`/`reuseValues`: a previous listing's buffers the caller hands back (it keeps no view of them
// it still reads); used when they are large enough for this listing (BufferFor), so a refresh writes into
// pages already mapped instead of new zeroed ones (at 32,000 sets about 900 page faults, milliseconds on these
// VMs). Every byte a listing exposes is written by it (a set whose values are unread is zeroed), so nothing
// of the previous listing shows through.
SemBuffers AllocSemBuffers(Napi::Env env, bool values, Napi::Value reuseHeaders = Napi::Value(), Napi::Value reuseValues = Napi::Value()) {
  SemBuffers b;
  size_t sets = 0, sems = 0;
  if (!SemTableSize(sets, sems)) return b;  // the listing reports the SEM_INFO failure
  const size_t setCap = sets + sets / 8 + 64;
  const size_t valueCap = values ? sems + sems / 8 + 4096 : 0;
  b.headers = BufferFor(env, reuseHeaders, setCap * kSemStride * sizeof(double));
  b.values = BufferFor(env, reuseValues, valueCap * sizeof(uint16_t));
  if (b.values.Data() == b.headers.Data() && valueCap) b.values = Napi::ArrayBuffer::New(env, valueCap * sizeof(uint16_t));
  b.dest = SemDest{static_cast<double*>(b.headers.Data()), setCap, static_cast<uint16_t*>(b.values.Data()), valueCap};
  b.ok = true;
  return b;
}

// Every kind, the sets in place when the buffers hold them (else into s.sem, copied later). Returns whether
// the sets are in place.
bool ListAll(const SemBuffers& b, bool values, Snapshot& s, SemInPlace& in) {
  // Segments and queues, once, into their own errors (kept in order after the sets'). With many sets and
  // more than two cores, on a thread of their own while the sets are listed; with two, by the set scan's
  // first thread before it takes slots, the other thread taking more meanwhile (a third thread on two
  // cores would only be time-sliced against the scan); else after the sets.
  std::vector<ItemErr> otherErrors;
  bool otherStatAny = true;
  std::exception_ptr otherFailure;
  bool othersDone = false;
  const std::function<void()> others = [&]() {
    if (othersDone) return;
    othersDone = true;
    try {
      ListShms(s.shm, otherErrors, otherStatAny);
      ListMsgs(s.msg, otherErrors, otherStatAny);
    } catch (...) {
      otherFailure = std::current_exception();
    }
  };
  const bool aside = b.ok && b.dest.setCap >= kParallelSets && ScanCores() > 2;
  bool statAny = true;
  bool inPlace = false;
  std::exception_ptr semFailure;
  auto sets = [&]() {
    try {
      if (b.ok) {
        inPlace = ListSemsInto(b.dest, values, in, s.errors, statAny, aside ? std::function<void()>() : others);
        if (!inPlace) {  // the table outgrew the buffers during the scan: again, the growing way
          s.errors.clear();
          in = SemInPlace{};
          statAny = true;
        }
      }
      if (!inPlace) ListSems(values, s.sem, s.errors, statAny);
    } catch (...) {
      semFailure = std::current_exception();
    }
  };
  RunOnThreads(aside ? 2 : 1, [&](unsigned t) { t == 0 ? sets() : others(); });
  others();  // when nothing above ran them
  if (semFailure) std::rethrow_exception(semFailure);
  if (otherFailure) std::rethrow_exception(otherFailure);
  s.errors.insert(s.errors.end(), otherErrors.begin(), otherErrors.end());
  s.statAny = statAny && otherStatAny;
  return inPlace;
}

// The kernel part of a snapshot (the expensive part) on a libuv worker thread; the JS values are built
// back on the main thread in OnOK.
class SnapshotWorker : public GuardedWorker {
 public:
  SnapshotWorker(Napi::Env env, bool values, Napi::Value reuseHeaders, Napi::Value reuseValues, Napi::Value reuseShm,
                 Napi::Value reuseMsg)
      : GuardedWorker(env, "ipcx.snapshot", "native call failed"), values_(values) {
    bufs_ = AllocSemBuffers(env, values, reuseHeaders, reuseValues);
    if (bufs_.ok) {
      headersRef_ = Napi::Persistent(bufs_.headers);
      valuesRef_ = Napi::Persistent(bufs_.values);
    }
    // the segment and queue columns are copied into these after the scan (BufferFor decides whether they hold
    // them): never into a buffer the sets are written into, nor both into one
    auto other = [&](Napi::Value v, const void* also) {
      if (!v.IsArrayBuffer()) return Napi::Reference<Napi::ArrayBuffer>();
      Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
      const void* p = ab.Data();
      if (p == also || (bufs_.ok && (p == bufs_.headers.Data() || p == bufs_.values.Data()))) {
        return Napi::Reference<Napi::ArrayBuffer>();
      }
      return Napi::Persistent(ab);
    };
    shmRef_ = other(reuseShm, nullptr);
    msgRef_ = other(reuseMsg, shmRef_.IsEmpty() ? nullptr : shmRef_.Value().Data());
  }

 protected:
  void Work() override { inPlace_ = ListAll(bufs_, values_, snap_, in_); }
  Napi::Value Result(Napi::Env env) override {
    ColumnBuffers reuse;
    if (!shmRef_.IsEmpty()) reuse.shm = shmRef_.Value();
    if (!msgRef_.IsEmpty()) reuse.msg = msgRef_.Value();
    return inPlace_ ? SnapshotToJs(env, snap_, SemInPlaceToJs(env, headersRef_.Value(), valuesRef_.Value(), in_), reuse)
                    : SnapshotToJs(env, snap_);
  }

 private:
  bool values_;
  SemBuffers bufs_;
  Napi::Reference<Napi::ArrayBuffer> headersRef_, valuesRef_, shmRef_, msgRef_;
  bool inPlace_ = false;
  SemInPlace in_;
  ipcx::Snapshot snap_;
};

}  // namespace

Napi::Value JsSnapshotAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto bufferOrAbsent = [&](size_t i) { return info.Length() <= i || info[i].IsUndefined() || info[i].IsArrayBuffer(); };
  if (info.Length() > 5 || (info.Length() >= 1 && !info[0].IsBoolean()) || !bufferOrAbsent(1) || !bufferOrAbsent(2) ||
      !bufferOrAbsent(3) || !bufferOrAbsent(4)) {
    Usage(env, "snapshotAsync(values: boolean, reuseHeaders?: ArrayBuffer, reuseValues?: ArrayBuffer, reuseShm?: ArrayBuffer, reuseMsg?: ArrayBuffer)");
  }
  bool values = info.Length() == 0 || info[0].As<Napi::Boolean>().Value();
  auto* w = new SnapshotWorker(env, values, info[1], info[2], info[3], info[4]);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value JsSnapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 1 || (info.Length() == 1 && !info[0].IsBoolean())) Usage(env, "snapshot(values: boolean)");
  bool values = info.Length() == 0 || info[0].As<Napi::Boolean>().Value();
  SemBuffers b = AllocSemBuffers(env, values);
  ipcx::Snapshot s;
  SemInPlace in;
  const bool inPlace = Guard(env, [&] { return ListAll(b, values, s, in); });
  if (inPlace) return SnapshotToJs(env, s, SemInPlaceToJs(env, b.headers, b.values, in));
  return SnapshotToJs(env, s);
}

namespace {

// A row's nsems as a count of values, or -1 when it is not a whole number a set can have.
long long NsemsOf(const double* row) {
  const double n = row[7];
  return n >= 0 && n <= 65536 && n == std::floor(n) ? static_cast<long long>(n) : -1;
}

}  // namespace

// For each set of a listing, the row of an earlier listing with the same id whose header and values are
// byte for byte the same, or -1: what a refresh may keep of the earlier listing's decoded sets. The rows are
// matched by id, in listing order first (a set made or removed in between shifts the rows after it). Rows
// that no listing has (nsems not a whole number, values shorter than the rows need) match nothing.
Napi::Value JsSameSets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "sameSets(prevHeaders: Float64Array, prevValues: Uint16Array, headers: Float64Array, values: Uint16Array, withValues: boolean)";
  if (info.Length() != 5 || !info[4].IsBoolean()) Usage(env, usage);
  auto f64 = [&](size_t i) {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) Usage(env, usage);
    Napi::Float64Array a = info[i].As<Napi::Float64Array>();
    if (a.ElementLength() % kSemStride != 0) Usage(env, usage);
    return a;
  };
  auto u16 = [&](size_t i) {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array) Usage(env, usage);
    return info[i].As<Napi::Uint16Array>();
  };
  Napi::Float64Array phA = f64(0), hA = f64(2);
  Napi::Uint16Array pvA = u16(1), vA = u16(3);
  const bool withValues = info[4].As<Napi::Boolean>().Value();
  const double *ph = phA.Data(), *h = hA.Data();
  const uint16_t *pv = pvA.Data(), *v = vA.Data();
  const size_t prows = phA.ElementLength() / kSemStride, rows = hA.ElementLength() / kSemStride;
  const size_t pnv = pvA.ElementLength(), nv = vA.ElementLength();
  Napi::Int32Array outA = Napi::Int32Array::New(env, rows);
  int32_t* out = outA.Data();
  std::fill(out, out + rows, -1);
  // where each earlier row's values start: followed along while the listings line up, all of them (once)
  // when they do not
  std::vector<long long> pstart;
  std::unordered_map<double, size_t> byId;
  size_t next = 0, nextStart = 0, start = 0;
  for (size_t i = 0; i < rows; i++) {
    const double* row = h + i * kSemStride;
    const long long n = NsemsOf(row);
    const size_t len = withValues ? static_cast<size_t>(n) : 0;
    if (n < 0 || start + len > nv) break;  // not a listing from here on
    size_t at = next, atStart = nextStart;
    if (at >= prows || ph[at * kSemStride] != row[0]) {
      if (pstart.empty()) {
        pstart.assign(prows, -1);
        byId.reserve(prows);
        size_t s = 0;
        for (size_t k = 0; k < prows; k++) {
          const long long pn = NsemsOf(ph + k * kSemStride);
          if (pn < 0) break;
          pstart[k] = static_cast<long long>(s);
          s += withValues ? static_cast<size_t>(pn) : 0;
          byId.emplace(ph[k * kSemStride], k);
        }
      }
      auto it = byId.find(row[0]);
      if (it == byId.end()) {
        start += len;
        continue;
      }
      at = it->second;
      atStart = static_cast<size_t>(pstart[at]);
    }
    const long long pn = NsemsOf(ph + at * kSemStride);
    if (pn < 0) break;  // the earlier columns are not a listing from here on
    next = at + 1;
    nextStart = atStart + (withValues ? static_cast<size_t>(pn) : 0);
    if (std::memcmp(ph + at * kSemStride, row, kSemStride * sizeof(double)) == 0 && atStart + len <= pnv &&
        (len == 0 || std::memcmp(pv + atStart, v + start, len * sizeof(uint16_t)) == 0)) {
      out[i] = static_cast<int32_t>(at);
    }
    start += len;
  }
  return outA;
}

Napi::Value JsProbeSysv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 0) Usage(env, "probeSysv()");
  Guard(env, [] { ProbeSysv(); });
  return env.Undefined();
}

Napi::Value JsLimits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 1 || (info.Length() == 1 && !info[0].IsBoolean())) Usage(env, "limits(shmInfo?: boolean)");
  const bool shmInfo = info.Length() == 0 || info[0].As<Napi::Boolean>().Value();
  return Guard(env, [&] { return LimitsToJs(env, ReadLimits(shmInfo)); });
}

Napi::Value JsSemDetail(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !IsId(info[0])) Usage(env, "semDetail(id: number)");
  int id = IdOf(info[0]);
  return Guard(env, [&] { return SemDetailToJs(env, ipcx::SemDetail(id)); });
}

Napi::Value JsRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RemovalArgs a = RemovalArgsFrom(info, 0, "remove",
                                  "remove(kind: 'sem' | 'shm' | 'msg', id: number, expected: {key, ctime, ...}, check?: (phase) => string)");
  Guard(env, [&] {
    RemoveOf(a.kind, a.id, a.expected, a.check);
    return 0;
  });
  return env.Undefined();
}

Napi::Value JsStatObject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "statObject(kind: 'sem' | 'shm' | 'msg', id: number)";
  if (info.Length() != 2 || !IsId(info[1])) Usage(env, usage);
  std::string kind = KindOf(env, info[0], usage);
  int id = IdOf(info[1]);
  return Guard(env, [&] { return RowToJs(env, StatOf(kind, id)); });
}

Napi::Value JsRestoreMode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "restoreMode(kind: 'sem' | 'shm' | 'msg', id: number, locked: {key, ctime, uid, gid, mode})";
  if (info.Length() != 3 || !IsId(info[1]) || !info[2].IsObject()) Usage(env, usage);
  std::string kind = KindOf(env, info[0], usage);
  int id = IdOf(info[1]);
  Napi::Object o = info[2].As<Napi::Object>();
  auto num = [&](const char* name, double lo, double hi) -> double {
    Napi::Value v = o.Get(name);
    if (!v.IsNumber()) Usage(env, usage);
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != std::floor(d) || d < lo || d > hi) Usage(env, usage);
    return d;
  };
  LockedObject l;
  l.key = static_cast<int32_t>(static_cast<uint32_t>(static_cast<long long>(num("key", -2147483648.0, 4294967295.0))));
  l.ctime = static_cast<long long>(num("ctime", 0, 9007199254740991.0));
  l.uid = static_cast<unsigned>(num("uid", 0, 4294967295.0));
  l.gid = static_cast<unsigned>(num("gid", 0, 4294967295.0));
  l.mode = static_cast<unsigned>(num("mode", 0, 0777));
  Guard(env, [&] {
    if (kind == "sem") RestoreSem(id, l);
    else if (kind == "shm") RestoreShm(id, l);
    else RestoreMsg(id, l);
    return 0;
  });
  return env.Undefined();
}

Napi::Value JsWatchCalls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "watchCalls(tracepoints: number[], filter: string)";
  if (info.Length() != 2 || !info[0].IsArray() || !info[1].IsString()) Usage(env, usage);
  Napi::Array a = info[0].As<Napi::Array>();
  if (a.Length() == 0 || a.Length() > 8) Usage(env, usage);
  std::vector<long long> tps;
  for (uint32_t i = 0; i < a.Length(); i++) {
    if (!IsId(a.Get(i))) Usage(env, usage);
    tps.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  }
  std::string filter = info[1].As<Napi::String>().Utf8Value();
  if (filter.empty() || filter.size() > 256) Usage(env, usage);
  return Guard(env, [&] { return Napi::Number::New(env, WatchCalls(tps, filter)); });
}

Napi::Value JsWatchCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !IsId(info[0])) Usage(env, "watchCount(handle: number)");
  int h = static_cast<int>(info[0].As<Napi::Number>().Int64Value());
  return Guard(env, [&] { return Napi::Number::New(env, static_cast<double>(WatchCount(h))); });
}

Napi::Value JsWatchClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !IsId(info[0])) Usage(env, "watchClose(handle: number)");
  WatchClose(static_cast<int>(info[0].As<Napi::Number>().Int64Value()));
  return env.Undefined();
}

Napi::Value JsShmPeek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !IsId(info[0]) || !IsId(info[1])) Usage(env, "shmPeek(id: number, length: number)");
  int id = IdOf(info[0]);
  size_t len = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  return Guard(env, [&] { return BytesToJs(env, ipcx::ShmPeek(id, len)); });
}

Napi::Value JsReadPosixSem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !(info[0].IsString() || info[0].IsBuffer())) Usage(env, "readPosixSem(path: string | Buffer)");
  // a Buffer carries a file name's bytes as they are (names need not be UTF-8)
  std::string path;
  if (info[0].IsBuffer()) {
    Napi::Buffer<char> b = info[0].As<Napi::Buffer<char>>();
    path.assign(b.Data(), b.Length());
    if (path.find('\0') != std::string::npos) Usage(env, "readPosixSem(path): the path holds a NUL byte");
  } else {
    path = info[0].As<Napi::String>().Utf8Value();
  }
  return Guard(env, [&] { return PosixSemToJs(env, ipcx::ReadPosixSem(path)); });
}

}  // namespace ipcx

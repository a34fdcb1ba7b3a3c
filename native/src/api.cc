#include "api.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>

#include "convert.h"
#include "errno_error.h"
#include "ipc_core.h"

namespace ipcx {

namespace {

bool IsId(const Napi::Value& v) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= 0 && d <= 2147483647.0 && std::floor(d) == d;
}

[[noreturn]] void Usage(Napi::Env env, const char* usage) { throw Napi::TypeError::New(env, std::string("Usage: ") + usage); }

template <typename F>
auto Guard(Napi::Env env, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const OpFailure& e) {
    throw MakeOpError(env, e.error);
  }
}

}  // namespace

namespace {

// The kernel part of a snapshot (the expensive part) on a libuv worker thread; the JS values are built
// back on the main thread in OnOK.
class SnapshotWorker : public Napi::AsyncWorker {
 public:
  SnapshotWorker(Napi::Env env, bool values)
      : Napi::AsyncWorker(env, "ipcx.snapshot"), values_(values), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      bool statAny = true;
      ListSems(values_, snap_.sem, snap_.errors, statAny);
      ListShms(snap_.shm, snap_.errors, statAny);
      ListMsgs(snap_.msg, snap_.errors, statAny);
      snap_.statAny = statAny;
    } catch (const std::exception& e) {
      SetError(std::string("snapshot failed: ") + e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(SnapshotToJs(Env(), snap_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  bool values_;
  ipcx::Snapshot snap_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value JsSnapshotAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 1 || (info.Length() == 1 && !info[0].IsBoolean())) Usage(env, "snapshotAsync(values: boolean)");
  bool values = info.Length() == 0 || info[0].As<Napi::Boolean>().Value();
  auto* w = new SnapshotWorker(env, values);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value JsSnapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 1 || (info.Length() == 1 && !info[0].IsBoolean())) Usage(env, "snapshot(values: boolean)");
  bool values = info.Length() == 0 || info[0].As<Napi::Boolean>().Value();
  ipcx::Snapshot s;
  bool statAny = true;
  ListSems(values, s.sem, s.errors, statAny);
  ListShms(s.shm, s.errors, statAny);
  ListMsgs(s.msg, s.errors, statAny);
  s.statAny = statAny;
  return SnapshotToJs(env, s);
}

Napi::Value JsLimits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&] { return LimitsToJs(env, ReadLimits()); });
}

Napi::Value JsSemDetail(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !IsId(info[0])) Usage(env, "semDetail(id: number)");
  int id = static_cast<int>(info[0].As<Napi::Number>().Int64Value());
  return Guard(env, [&] { return SemDetailToJs(env, ipcx::SemDetail(id)); });
}

Napi::Value JsRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "remove(kind: 'sem' | 'shm' | 'msg', id: number, expected: {key, ctime, ...}, check?: (phase) => string)";
  if (info.Length() < 3 || info.Length() > 4 || !info[0].IsString() || !IsId(info[1])) Usage(env, usage);
  if (info.Length() == 4 && !info[3].IsFunction() && !info[3].IsUndefined()) Usage(env, usage);
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  int id = static_cast<int>(info[1].As<Napi::Number>().Int64Value());
  RemovalExpectation e = ExpectationFromJs(env, info[2]);
  const bool semOnly = e.noWaiters || e.hasOtime || e.hasSemPids;
  const bool shmOnly = e.nattchZero || e.nattch.has || e.cpid.has || e.lpid.has || e.atime.has || e.dtime.has;
  const bool msgOnly = e.qnum.has || e.cbytes.has || e.lspid.has || e.lrpid.has || e.stime.has || e.rtime.has;
  // The caller's check before the lock and under it: a JS function (phase: 'beforeLock' | 'afterLock') returning
  // "" (go on) or the reason to refuse. A throw refuses too (after the lock the core restores the mode):
  // nothing escapes between the lock and the restore.
  LockCheck check;
  if (info.Length() == 4 && info[3].IsFunction()) {
    Napi::Function fn = info[3].As<Napi::Function>();
    check = [env, fn](const char* phase) -> std::string {
      try {
        Napi::Value r = fn.Call(env.Undefined(), {Napi::String::New(env, phase)});
        if (r.IsString()) return r.As<Napi::String>().Utf8Value();
        if (r.IsUndefined() || r.IsNull()) return "";
        return std::string("the check (") + phase + ") returned a non-string";
      } catch (const Napi::Error& err) {
        return std::string("the check (") + phase + ") failed: " + err.Message();
      }
    };
  }
  Guard(env, [&] {
    if (kind == "sem") {
      if (shmOnly || msgOnly) Usage(env, "remove('sem', ...): only key, ctime, noWaiters, otime and semPids apply to sem");
      RemoveSem(id, e, check);
    } else if (kind == "shm") {
      if (semOnly || msgOnly) {
        Usage(env, "remove('shm', ...): only key, ctime, nattchZero, nattch, cpid, lpid, atime and dtime apply to shm");
      }
      RemoveShm(id, e, check);
    } else if (kind == "msg") {
      if (semOnly || shmOnly) {
        Usage(env, "remove('msg', ...): only key, ctime, qnum, cbytes, lspid, lrpid, stime and rtime apply to msg");
      }
      RemoveMsg(id, e, check);
    } else {
      Usage(env, usage);
    }
    return 0;
  });
  return env.Undefined();
}

Napi::Value JsStatObject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "statObject(kind: 'sem' | 'shm' | 'msg', id: number)";
  if (info.Length() != 2 || !info[0].IsString() || !IsId(info[1])) Usage(env, usage);
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  int id = static_cast<int>(info[1].As<Napi::Number>().Int64Value());
  if (kind != "sem" && kind != "shm" && kind != "msg") Usage(env, usage);
  return Guard(env, [&] {
    std::vector<double> h = kind == "sem" ? StatSem(id) : kind == "shm" ? StatShm(id) : StatMsg(id);
    Napi::Float64Array a = Napi::Float64Array::New(env, h.size());
    for (size_t i = 0; i < h.size(); i++) a[i] = h[i];
    return a;
  });
}

Napi::Value JsRestoreMode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "restoreMode(kind: 'sem' | 'shm' | 'msg', id: number, locked: {key, ctime, uid, gid, mode})";
  if (info.Length() != 3 || !info[0].IsString() || !IsId(info[1]) || !info[2].IsObject()) Usage(env, usage);
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  int id = static_cast<int>(info[1].As<Napi::Number>().Int64Value());
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
    else if (kind == "msg") RestoreMsg(id, l);
    else Usage(env, usage);
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
  int id = static_cast<int>(info[0].As<Napi::Number>().Int64Value());
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

#include "api.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>

#include "convert.h"
#include "errno_error.h"
#include "ipc_core.h"
#include "js_args.h"

namespace ipcx {

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

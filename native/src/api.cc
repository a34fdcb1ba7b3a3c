#include "api.h"

#include <cmath>
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
  const char* usage = "remove(kind: 'sem' | 'shm' | 'msg', id: number, expected: {key, ctime, ...})";
  if (info.Length() != 3 || !info[0].IsString() || !IsId(info[1])) Usage(env, usage);
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  int id = static_cast<int>(info[1].As<Napi::Number>().Int64Value());
  RemovalExpectation e = ExpectationFromJs(env, info[2]);
  Guard(env, [&] {
    if (kind == "sem") {
      RemoveSem(id, e);
    } else if (kind == "shm") {
      if (e.noWaiters || e.hasOtime || e.hasSemPids) Usage(env, "remove('shm', ...): noWaiters/otime/semPids apply to sem only");
      RemoveShm(id, e);
    } else if (kind == "msg") {
      if (e.nattchZero || e.noWaiters || e.hasOtime || e.hasSemPids) {
        Usage(env, "remove('msg', ...): only key and ctime apply to msg");
      }
      RemoveMsg(id, e);
    } else {
      Usage(env, usage);
    }
    return 0;
  });
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
  if (info.Length() != 1 || !info[0].IsString()) Usage(env, "readPosixSem(path: string)");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  return Guard(env, [&] { return PosixSemToJs(env, ipcx::ReadPosixSem(path)); });
}

}  // namespace ipcx

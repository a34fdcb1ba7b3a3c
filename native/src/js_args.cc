#include "js_args.h"

#include <cmath>

#include "convert.h"

namespace ipcx {

[[noreturn]] void Usage(Napi::Env env, const std::string& usage) { throw Napi::TypeError::New(env, "Usage: " + usage); }

bool IsId(const Napi::Value& v) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= 0 && d <= 2147483647.0 && std::floor(d) == d;
}

int IdOf(const Napi::Value& v) { return static_cast<int>(v.As<Napi::Number>().Int64Value()); }

std::string KindOf(Napi::Env env, const Napi::Value& v, const std::string& usage) {
  if (!v.IsString()) Usage(env, usage);
  std::string kind = v.As<Napi::String>().Utf8Value();
  if (kind != "sem" && kind != "shm" && kind != "msg") Usage(env, usage);
  return kind;
}

RemovalArgs RemovalArgsFrom(const Napi::CallbackInfo& info, size_t first, const char* name, const std::string& usage) {
  Napi::Env env = info.Env();
  if (info.Length() < first + 3 || info.Length() > first + 4 || !IsId(info[first + 1])) Usage(env, usage);
  const bool hasFn = info.Length() == first + 4 && info[first + 3].IsFunction();
  if (info.Length() == first + 4 && !hasFn && !info[first + 3].IsUndefined()) Usage(env, usage);
  RemovalArgs a;
  a.kind = KindOf(env, info[first], usage);
  a.id = IdOf(info[first + 1]);
  a.expected = ExpectationFromJs(env, info[first + 2]);
  const RemovalExpectation& e = a.expected;
  const bool semOnly = e.noWaiters || e.hasOtime || e.hasSemPids;
  const bool shmOnly = e.nattchZero || e.nattch.has || e.cpid.has || e.lpid.has || e.atime.has || e.dtime.has;
  const bool msgOnly = e.qnum.has || e.cbytes.has || e.lspid.has || e.lrpid.has || e.stime.has || e.rtime.has;
  const std::string call = std::string(name) + "('" + a.kind + "', ...): only key, ctime, ";
  if (a.kind == "sem" && (shmOnly || msgOnly)) Usage(env, call + "noWaiters, otime and semPids apply to sem");
  if (a.kind == "shm" && (semOnly || msgOnly)) Usage(env, call + "nattchZero, nattch, cpid, lpid, atime and dtime apply to shm");
  if (a.kind == "msg" && (semOnly || shmOnly)) Usage(env, call + "qnum, cbytes, lspid, lrpid, stime and rtime apply to msg");
  if (hasFn) {
    Napi::Function fn = info[first + 3].As<Napi::Function>();
    // nothing escapes between the lock and the restore: a throw is a refusal, after the lock the core restores
    a.check = [env, fn](const char* phase) -> std::string {
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
  return a;
}

void RemoveOf(const std::string& kind, int id, const RemovalExpectation& e, const LockCheck& check) {
  if (kind == "sem") RemoveSem(id, e, check);
  else if (kind == "shm") RemoveShm(id, e, check);
  else RemoveMsg(id, e, check);
}

std::vector<double> StatOf(const std::string& kind, int id) {
  return kind == "sem" ? StatSem(id) : kind == "shm" ? StatShm(id) : StatMsg(id);
}

Napi::Float64Array RowToJs(Napi::Env env, const std::vector<double>& h) {
  Napi::Float64Array a = Napi::Float64Array::New(env, h.size());
  for (size_t i = 0; i < h.size(); i++) a[i] = h[i];
  return a;
}

}  // namespace ipcx

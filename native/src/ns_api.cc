// The exported functions that work inside another IPC namespace (ipc_ns.h): a snapshot, limits, one set's
// detail, one header, a guarded removal, a probe of the namespaces the worker thread went through, and a
// UTS hostname. Arguments are checked here, on the JS thread; the kernel work runs on the switched thread.
#include <napi.h>

#include <cmath>
#include <exception>
#include <initializer_list>
#include <string>
#include <utility>

#include "api.h"
#include "convert.h"
#include "errno_error.h"
#include "ipc_core.h"
#include "ipc_ns.h"
#include "js_args.h"

namespace ipcx {

namespace {

struct Target {
  std::string path;
  uint64_t ino = 0;
};

// (path: string, ino: number) at info[0], info[1]
Target TargetFrom(const Napi::CallbackInfo& info, const std::string& usage) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) Usage(env, usage);
  Target t;
  t.path = info[0].As<Napi::String>().Utf8Value();
  double d = info[1].As<Napi::Number>().DoubleValue();
  if (d < 0 || d > 9007199254740991.0 || std::floor(d) != d) Usage(env, usage);
  t.ino = static_cast<uint64_t>(d);
  if (t.path.empty() || t.path.find('\0') != std::string::npos) Usage(env, usage);
  return t;
}

// Runs read() on a thread switched into t's namespace and returns what it returned.
template <typename F>
auto ReadInNamespace(const Target& t, F read) -> decltype(read()) {
  decltype(read()) out;
  RunInIpcNamespace(t.path, t.ino, [&](const std::function<std::string(const char*)>&) { out = read(); });
  return out;
}

// A JS object with one number per name, in the order given.
Napi::Object NumbersToJs(Napi::Env env, std::initializer_list<std::pair<const char*, double>> fields) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& [name, value] : fields) o.Set(name, value);
  return o;
}

Napi::Object TraceToJs(Napi::Env env, const NsTrace& t) {
  return NumbersToJs(env, {{"before", t.before}, {"inside", t.inside}, {"after", t.after}});
}

Napi::Object SysctlsToJs(Napi::Env env, const NsSysctls& s) {
  Napi::Object o = NumbersToJs(env, {{"shmRmidForced", s.shmRmidForced}, {"queuesMax", s.queuesMax}, {"msgMax", s.msgMax}, {"msgsizeMax", s.msgsizeMax}});
  o.Set("sem", s.sem);
  return o;
}

class NsSnapshotWorker : public GuardedWorker {
 public:
  NsSnapshotWorker(Napi::Env env, Target t, bool values)
      : GuardedWorker(env, "ipcx.nsSnapshot", "namespace snapshot failed"), t_(std::move(t)), values_(values) {}

 protected:
  // Runs on a libuv pool thread, which itself never switches: RunInIpcNamespace makes its own thread.
  void Work() override {
    trace_ = RunInIpcNamespace(t_.path, t_.ino, [&](const std::function<std::string(const char*)>&) {
      bool statAny = true;
      ListSems(values_, snap_.sem, snap_.errors, statAny);
      ListShms(snap_.shm, snap_.errors, statAny);
      ListMsgs(snap_.msg, snap_.errors, statAny);
      snap_.statAny = statAny;
      limits_ = ReadLimits();
      sysctls_ = ReadNsSysctls();
    });
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("snapshot", SnapshotToJs(env, snap_));
    o.Set("limits", LimitsToJs(env, limits_));
    o.Set("sysctls", SysctlsToJs(env, sysctls_));
    o.Set("trace", TraceToJs(env, trace_));
    return o;
  }

 private:
  Target t_;
  bool values_;
  Snapshot snap_;
  Limits limits_;
  NsSysctls sysctls_;
  NsTrace trace_;
};

}  // namespace

Napi::Value JsNsSnapshotAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "nsSnapshotAsync(path: string, inode: number, values: boolean)";
  Target t = TargetFrom(info, usage);
  if (info.Length() != 3 || !info[2].IsBoolean()) Usage(env, usage);
  auto* w = new NsSnapshotWorker(env, t, info[2].As<Napi::Boolean>().Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value JsNsLimits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetFrom(info, "nsLimits(path: string, inode: number)");
  return Guard(env, [&] {
    Limits l;
    NsSysctls s;
    NsTrace tr = RunInIpcNamespace(t.path, t.ino, [&](const std::function<std::string(const char*)>&) {
      l = ReadLimits();
      s = ReadNsSysctls();
    });
    Napi::Object o = Napi::Object::New(env);
    o.Set("limits", LimitsToJs(env, l));
    o.Set("sysctls", SysctlsToJs(env, s));
    o.Set("trace", TraceToJs(env, tr));
    return o;
  });
}

Napi::Value JsNsProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetFrom(info, "nsProbe(path: string, inode: number)");
  return Guard(env, [&] {
    NsTrace tr = RunInIpcNamespace(t.path, t.ino, [](const std::function<std::string(const char*)>&) {});
    return TraceToJs(env, tr);
  });
}

Napi::Value JsNsSemDetail(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "nsSemDetail(path: string, inode: number, id: number)";
  Target t = TargetFrom(info, usage);
  if (info.Length() != 3 || !IsId(info[2])) Usage(env, usage);
  int id = IdOf(info[2]);
  return Guard(env, [&] { return SemDetailToJs(env, ReadInNamespace(t, [&] { return SemDetail(id); })); });
}

Napi::Value JsNsStatObject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "nsStatObject(path: string, inode: number, kind: 'sem' | 'shm' | 'msg', id: number)";
  Target t = TargetFrom(info, usage);
  if (info.Length() != 4 || !IsId(info[3])) Usage(env, usage);
  std::string kind = KindOf(env, info[2], usage);
  int id = IdOf(info[3]);
  return Guard(env, [&] { return RowToJs(env, ReadInNamespace(t, [&] { return StatOf(kind, id); })); });
}

Napi::Value JsNsRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "nsRemove(path: string, inode: number, kind: 'sem' | 'shm' | 'msg', id: number, expected: {key, ctime, ...}, "
      "check?: (phase) => string)";
  Target t = TargetFrom(info, usage);
  RemovalArgs a = RemovalArgsFrom(info, 2, "nsRemove", usage);
  // The caller's check runs on this (the JS) thread while the switched thread waits for its answer.
  NsServe serve = a.check;
  Guard(env, [&] {
    RunInIpcNamespace(
        t.path, t.ino,
        [&](const std::function<std::string(const char*)>& ask) {
          LockCheck check;
          if (serve) check = [&ask](const char* phase) { return ask(phase); };
          RemoveOf(a.kind, a.id, a.expected, check);
        },
        serve);
    return 0;
  });
  return env.Undefined();
}

Napi::Value JsUtsNodename(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsString()) Usage(env, "utsNodename(path: string)");
  std::string p = info[0].As<Napi::String>().Utf8Value();
  return Guard(env, [&] { return Napi::String::New(env, UtsNodename(p)); });
}

}  // namespace ipcx

#include "convert.h"

#include <cmath>
#include <cstring>

#include "errno_error.h"

namespace ipcx {

Napi::ArrayBuffer BufferFor(Napi::Env env, Napi::Value reuse, size_t bytes) {
  if (reuse.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = reuse.As<Napi::ArrayBuffer>();
    if (ab.ByteLength() >= bytes && ab.Data() != nullptr) return ab;
  }
  return Napi::ArrayBuffer::New(env, bytes);
}

namespace {

const char* KindName(char k) {
  switch (k) {
    case 's': return "sem";
    case 'm': return "shm";
    default: return "msg";
  }
}

// Copies (Electron's V8 sandbox forbids external array buffers, so no zero-copy here), into `reuse` when it
// holds them (BufferFor; the view covers exactly what was copied: nothing older shows through).
Napi::Float64Array ToF64(Napi::Env env, const std::vector<double>& v, Napi::ArrayBuffer reuse = Napi::ArrayBuffer()) {
  const size_t bytes = v.size() * sizeof(double);
  Napi::ArrayBuffer ab = BufferFor(env, reuse, bytes);
  if (!v.empty()) std::memcpy(ab.Data(), v.data(), bytes);
  return Napi::Float64Array::New(env, v.size(), ab, 0);
}

void SetErrorFields(Napi::Object o, const OpError& e) {
  o.Set("code", e.code.empty() ? ErrnoName(e.err) : e.code);
  o.Set("errno", e.err);
  o.Set("syscall", e.syscall);
  o.Set("op", e.op);
  if (e.id >= 0) o.Set("id", static_cast<double>(e.id));
  o.Set("message", FormatOpError(e));
}

Napi::Object ColumnsToJs(Napi::Env env, size_t count, const std::vector<double>& headers, Napi::ArrayBuffer reuse = Napi::ArrayBuffer()) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("count", static_cast<double>(count));
  o.Set("headers", ToF64(env, headers, reuse));
  return o;
}

}  // namespace

namespace {

Napi::Array ValueErrorsToJs(Napi::Env env, const std::vector<ValueErr>& errs) {
  Napi::Array ve = Napi::Array::New(env, errs.size());
  for (size_t i = 0; i < errs.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    SetErrorFields(o, errs[i].error);
    o.Set("index", static_cast<double>(errs[i].set));
    ve.Set(static_cast<uint32_t>(i), o);
  }
  return ve;
}

}  // namespace

Napi::Object SnapshotToJs(Napi::Env env, const Snapshot& s) {
  Napi::Object sem = ColumnsToJs(env, s.sem.count, s.sem.headers);
  size_t n = s.sem.values.size();
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, n * sizeof(uint16_t));
  if (n) std::memcpy(ab.Data(), s.sem.values.data(), n * sizeof(uint16_t));
  sem.Set("values", Napi::Uint16Array::New(env, n, ab, 0));
  sem.Set("valueErrors", ValueErrorsToJs(env, s.sem.valueErrors));
  return SnapshotToJs(env, s, sem);
}

Napi::Object SemInPlaceToJs(Napi::Env env, Napi::ArrayBuffer headers, Napi::ArrayBuffer values, const SemInPlace& in) {
  Napi::Object sem = Napi::Object::New(env);
  sem.Set("count", static_cast<double>(in.count));
  sem.Set("headers", Napi::Float64Array::New(env, in.count * kSemStride, headers, 0));
  sem.Set("values", Napi::Uint16Array::New(env, in.nvalues, values, 0));
  sem.Set("valueErrors", ValueErrorsToJs(env, in.valueErrors));
  return sem;
}

Napi::Object SnapshotToJs(Napi::Env env, const Snapshot& s, Napi::Object sem, const ColumnBuffers& reuse) {
  Napi::Array errors = Napi::Array::New(env, s.errors.size());
  for (size_t i = 0; i < s.errors.size(); i++) {
    const ItemErr& ie = s.errors[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", KindName(ie.kind));
    o.Set("index", static_cast<double>(ie.index));
    SetErrorFields(o, ie.error);
    errors.Set(static_cast<uint32_t>(i), o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("sem", sem);
  out.Set("shm", ColumnsToJs(env, s.shm.count, s.shm.headers, reuse.shm));
  out.Set("msg", ColumnsToJs(env, s.msg.count, s.msg.headers, reuse.msg));
  out.Set("errors", errors);
  out.Set("statAny", s.statAny);
  return out;
}

Napi::Object LimitsToJs(Napi::Env env, const Limits& l) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("semmsl", l.semmsl);
  o.Set("semmns", l.semmns);
  o.Set("semopm", l.semopm);
  o.Set("semmni", l.semmni);
  o.Set("semvmx", l.semvmx);
  o.Set("shmmax", l.shmmax);
  o.Set("shmall", l.shmall);
  o.Set("shmmni", l.shmmni);
  o.Set("shmmin", l.shmmin);
  o.Set("msgmax", l.msgmax);
  o.Set("msgmnb", l.msgmnb);
  o.Set("msgmni", l.msgmni);
  o.Set("pageSize", l.pageSize);
  Napi::Array u = Napi::Array::New(env, l.unlimited.size());
  for (size_t i = 0; i < l.unlimited.size(); i++) u.Set(static_cast<uint32_t>(i), l.unlimited[i]);
  o.Set("unlimited", u);
  o.Set("semSets", l.semSets);
  o.Set("semTotal", l.semTotal);
  if (l.shmInfo) {
    o.Set("shmSegments", l.shmSegments);
    o.Set("shmPages", l.shmPages);
    o.Set("shmRssPages", l.shmRssPages);
    o.Set("shmSwapPages", l.shmSwapPages);
  }
  o.Set("msgQueues", l.msgQueues);
  o.Set("msgMessages", l.msgMessages);
  o.Set("msgBytes", l.msgBytes);
  return o;
}

Napi::Int32Array SemDetailToJs(Napi::Env env, const std::vector<int32_t>& d) {
  Napi::Int32Array a = Napi::Int32Array::New(env, d.size());
  if (!d.empty()) std::memcpy(a.Data(), d.data(), d.size() * sizeof(int32_t));
  return a;
}

Napi::Buffer<uint8_t> BytesToJs(Napi::Env env, const std::vector<uint8_t>& b) {
  return Napi::Buffer<uint8_t>::Copy(env, b.data(), b.size());
}

Napi::Object PosixSemToJs(Napi::Env env, const PosixSemRead& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("size", r.size);
  o.Set("raw", BytesToJs(env, r.raw));
  o.Set("lo32", static_cast<double>(r.lo32));
  o.Set("hi32", static_cast<double>(r.hi32));
  return o;
}

namespace {

[[noreturn]] void BadField(Napi::Env env, const char* field, const char* want) {
  throw Napi::TypeError::New(env, std::string("remove(kind, id, expected): expected.") + field + " must be " + want);
}

bool IsIntegral(const Napi::Value& v) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  return d == static_cast<double>(static_cast<long long>(d));
}

}  // namespace

RemovalExpectation ExpectationFromJs(Napi::Env env, const Napi::Value& v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "remove(kind, id, expected): expected must be an object");
  Napi::Object o = v.As<Napi::Object>();
  RemovalExpectation e;
  Napi::Value key = o.Get("key");
  if (!IsIntegral(key)) BadField(env, "key", "an integer (key_t)");
  double k = key.As<Napi::Number>().DoubleValue();
  if (k < -2147483648.0 || k > 4294967295.0) BadField(env, "key", "a 32-bit key");
  e.key = static_cast<int32_t>(static_cast<uint32_t>(static_cast<long long>(k)));
  Napi::Value ctime = o.Get("ctime");
  if (!IsIntegral(ctime)) BadField(env, "ctime", "an integer (seconds)");
  e.ctime = static_cast<long long>(ctime.As<Napi::Number>().DoubleValue());
  Napi::Value nz = o.Get("nattchZero");
  if (!nz.IsUndefined()) {
    if (!nz.IsBoolean()) BadField(env, "nattchZero", "a boolean");
    e.nattchZero = nz.As<Napi::Boolean>().Value();
  }
  Napi::Value nw = o.Get("noWaiters");
  if (!nw.IsUndefined()) {
    if (!nw.IsBoolean()) BadField(env, "noWaiters", "a boolean");
    e.noWaiters = nw.As<Napi::Boolean>().Value();
  }
  Napi::Value ot = o.Get("otime");
  if (!ot.IsUndefined()) {
    if (!IsIntegral(ot)) BadField(env, "otime", "an integer (seconds)");
    e.hasOtime = true;
    e.otime = static_cast<long long>(ot.As<Napi::Number>().DoubleValue());
  }
  // shm/msg header fields the plan saw: integers (pids, counts, seconds)
  const std::pair<const char*, RemovalExpectation::Field*> fields[] = {
      {"nattch", &e.nattch}, {"cpid", &e.cpid},   {"lpid", &e.lpid},     {"atime", &e.atime},
      {"dtime", &e.dtime},   {"qnum", &e.qnum},   {"cbytes", &e.cbytes}, {"lspid", &e.lspid},
      {"lrpid", &e.lrpid},   {"stime", &e.stime}, {"rtime", &e.rtime},
  };
  for (const auto& f : fields) {
    Napi::Value fv = o.Get(f.first);
    if (fv.IsUndefined()) continue;
    if (!IsIntegral(fv)) BadField(env, f.first, "an integer");
    double d = fv.As<Napi::Number>().DoubleValue();
    if (d < -9007199254740991.0 || d > 9007199254740991.0) BadField(env, f.first, "a safe integer");
    f.second->has = true;
    f.second->value = static_cast<long long>(d);
  }
  Napi::Value sp = o.Get("semPids");
  if (!sp.IsUndefined()) {
    if (!sp.IsArray()) BadField(env, "semPids", "an array of pids");
    Napi::Array a = sp.As<Napi::Array>();
    e.hasSemPids = true;
    e.semPids.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value p = a.Get(i);
      if (!IsIntegral(p)) BadField(env, "semPids", "an array of integer pids");
      e.semPids.push_back(static_cast<int32_t>(p.As<Napi::Number>().DoubleValue()));
    }
  }
  return e;
}

}  // namespace ipcx

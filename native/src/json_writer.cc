#include "json_writer.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include "errno_error.h"
#include "ipc_core.h"
#include "js_args.h"

namespace ipcx {

namespace {

struct Key {
  const char* text;
  size_t len;
};
#define IPCX_KEY(s) Key{s, sizeof(s) - 1}
const Key kKeys[] = {IPCX_KEY(",\"id\":"),   IPCX_KEY(",\"key\":"),   IPCX_KEY(",\"uid\":"),   IPCX_KEY(",\"gid\":"),
                     IPCX_KEY(",\"cuid\":"), IPCX_KEY(",\"cgid\":"), IPCX_KEY(",\"mode\":"), IPCX_KEY(",\"nsems\":"),
                     IPCX_KEY(",\"otime\":"), IPCX_KEY(",\"ctime\":")};
const Key kOpen = IPCX_KEY("{\"kind\":\"sem\"");
const Key kValues = IPCX_KEY(",\"values\":[");
const Key kError = IPCX_KEY(",\"valuesError\":");
#undef IPCX_KEY

// Renders the sets one at a time; Bound(i) is an upper bound of Emit(i)'s output (a leading comma included).
class SemsJson {
 public:
  SemsJson(const double* h, size_t count, const uint16_t* values, size_t nvalues, bool withValues,
           const std::vector<std::pair<size_t, std::string>>& errors)
      : h_(h), count_(count), values_(values), nvalues_(nvalues), withValues_(withValues), errors_(errors) {}

  size_t count() const { return count_; }

  static size_t FixedBound() {
    size_t b = 1 + kOpen.len + kValues.len + 2;
    for (const Key& k : kKeys) b += k.len + 20;
    return b;
  }

  size_t Bound(size_t i) const {
    size_t b = FixedBound();
    if (const std::string* e = ErrorOf(i)) return b + kError.len + e->size();
    if (withValues_) b += Nsems(i) * 6;
    return b;
  }

  // Sets must be emitted in order (the value offset and the error cursor advance).
  char* Emit(size_t i, char* p) {
    const double* h = h_ + i * kSemStride;
    if (i) *p++ = ',';
    Put(p, kOpen);
    for (size_t k = 0; k < kSemStride; k++) {
      Put(p, kKeys[k]);
      // the columns come from this binding; still, never convert a non-finite double (UB) if a caller
      // hands us something else
      const double d = std::isfinite(h[k]) && std::fabs(h[k]) < 9.2e18 ? h[k] : 0;
      p = std::to_chars(p, p + 21, static_cast<long long>(d)).ptr;
    }
    const size_t nsems = Nsems(i);
    if (const std::string* e = ErrorOf(i)) {
      Put(p, kError);
      std::memcpy(p, e->data(), e->size());
      p += e->size();
    } else if (withValues_ && off_ + nsems <= nvalues_) {
      Put(p, kValues);
      const uint16_t* v = values_ + off_;
      for (size_t j = 0; j < nsems; j++) {
        if (j) *p++ = ',';
        p = std::to_chars(p, p + 5, v[j]).ptr;
      }
      *p++ = ']';
    }
    *p++ = '}';
    off_ += nsems;
    return p;
  }

 private:
  size_t Nsems(size_t i) const {
    const double n = h_[i * kSemStride + 7];
    return n >= 0 && n < 4294967296.0 ? static_cast<size_t>(n) : 0;
  }
  const std::string* ErrorOf(size_t i) const {
    auto it = std::lower_bound(errors_.begin(), errors_.end(), i,
                               [](const std::pair<size_t, std::string>& e, size_t x) { return e.first < x; });
    return it != errors_.end() && it->first == i ? &it->second : nullptr;
  }
  static void Put(char*& p, const Key& k) {
    std::memcpy(p, k.text, k.len);
    p += k.len;
  }

  const double* h_;
  size_t count_;
  const uint16_t* values_;
  size_t nvalues_;
  bool withValues_;
  const std::vector<std::pair<size_t, std::string>>& errors_;
  size_t off_ = 0;
};

[[noreturn]] void WriteFailed(int err, const char* syscall) {
  OpError e;
  e.err = err;
  e.syscall = syscall;
  e.op = "snapshot JSON";
  throw OpFailure{e};
}

void WriteAll(int fd, const char* p, size_t n, size_t& total) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) WriteFailed(errno, "poll");
        continue;
      }
      WriteFailed(errno, "write");
    }
    p += w;
    n -= static_cast<size_t>(w);
    total += static_cast<size_t>(w);
  }
}

// The column arguments shared by formatSemsJson and writeSemsJson, starting at info[first].
struct ColumnArgs {
  Napi::Float64Array headers;
  Napi::Uint16Array values;
  size_t count = 0;
  bool withValues = false;
  std::vector<std::pair<size_t, std::string>> errors;
};

ColumnArgs ReadColumnArgs(const Napi::CallbackInfo& info, size_t first, const char* usage) {
  Napi::Env env = info.Env();
  if (!info[first].IsTypedArray() || !info[first + 1].IsTypedArray() || !info[first + 2].IsNumber() ||
      !info[first + 3].IsBoolean() || !info[first + 4].IsArray() || !info[first + 5].IsArray()) {
    Usage(env, usage);
  }
  Napi::TypedArray ht = info[first].As<Napi::TypedArray>();
  Napi::TypedArray vt = info[first + 1].As<Napi::TypedArray>();
  if (ht.TypedArrayType() != napi_float64_array || vt.TypedArrayType() != napi_uint16_array) Usage(env, usage);
  ColumnArgs a;
  a.headers = info[first].As<Napi::Float64Array>();
  a.values = info[first + 1].As<Napi::Uint16Array>();
  double countD = info[first + 2].As<Napi::Number>().DoubleValue();
  if (!(countD >= 0) || countD != std::floor(countD) || countD * kSemStride > static_cast<double>(a.headers.ElementLength())) {
    Usage(env, usage);
  }
  a.count = static_cast<size_t>(countD);
  a.withValues = info[first + 3].As<Napi::Boolean>().Value();
  Napi::Array ei = info[first + 4].As<Napi::Array>();
  Napi::Array ej = info[first + 5].As<Napi::Array>();
  if (ei.Length() != ej.Length()) Usage(env, usage);
  a.errors.reserve(ei.Length());
  for (uint32_t i = 0; i < ei.Length(); i++) {
    Napi::Value idx = ei.Get(i);
    Napi::Value js = ej.Get(i);
    if (!idx.IsNumber() || !js.IsString()) Usage(env, usage);
    a.errors.emplace_back(static_cast<size_t>(idx.As<Napi::Number>().DoubleValue()), js.As<Napi::String>().Utf8Value());
  }
  std::sort(a.errors.begin(), a.errors.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  return a;
}

std::string TextArg(const Napi::Value& v, Napi::Env env, const char* usage) {
  if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  if (v.IsBuffer()) {
    Napi::Buffer<char> b = v.As<Napi::Buffer<char>>();
    return std::string(b.Data(), b.Length());
  }
  Usage(env, usage);
}

}  // namespace

std::string FormatSemsJson(const double* headers, size_t count, const uint16_t* values, size_t nvalues, bool withValues,
                           const std::vector<std::pair<size_t, std::string>>& errors) {
  SemsJson sj(headers, count, values, nvalues, withValues, errors);
  size_t bound = 2;
  for (size_t i = 0; i < count; i++) bound += sj.Bound(i);
  std::string out;
  out.resize(bound);
  char* p = out.data();
  *p++ = '[';
  for (size_t i = 0; i < count; i++) p = sj.Emit(i, p);
  *p++ = ']';
  out.resize(static_cast<size_t>(p - out.data()));
  return out;
}

size_t WriteSemsJson(int fd, const std::string& before, const double* headers, size_t count, const uint16_t* values,
                     size_t nvalues, bool withValues, const std::vector<std::pair<size_t, std::string>>& errors,
                     const std::string& after) {
  SemsJson sj(headers, count, values, nvalues, withValues, errors);
  size_t total = 0;
  std::vector<char> buf(kJsonChunk);
  size_t used = 0;
  auto flush = [&] {
    WriteAll(fd, buf.data(), used, total);
    used = 0;
  };
  auto append = [&](const char* p, size_t n) {
    if (used + n > buf.size()) flush();
    if (n > buf.size()) {
      WriteAll(fd, p, n, total);
      return;
    }
    std::memcpy(buf.data() + used, p, n);
    used += n;
  };
  append(before.data(), before.size());
  append("[", 1);
  for (size_t i = 0; i < count; i++) {
    const size_t b = sj.Bound(i);
    if (used + b > buf.size()) flush();
    if (b > buf.size()) buf.resize(b);  // one set larger than a chunk (a huge nsems): a bigger buffer for it
    used = static_cast<size_t>(sj.Emit(i, buf.data() + used) - buf.data());
  }
  append("]", 1);
  append(after.data(), after.size());
  flush();
  return total;
}

Napi::Value JsFormatSemsJson(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "formatSemsJson(headers: Float64Array, values: Uint16Array, count: number, withValues: boolean, "
      "errIndex: number[], errJson: string[])";
  if (info.Length() != 6) Usage(env, usage);
  ColumnArgs a = ReadColumnArgs(info, 0, usage);
  std::string json = FormatSemsJson(a.headers.Data(), a.count, a.values.Data(), a.values.ElementLength(), a.withValues,
                                    a.errors);
  return Napi::Buffer<char>::Copy(env, json.data(), json.size());
}

Napi::Value JsWriteSemsJson(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "writeSemsJson(fd: number, before: string | Buffer, headers: Float64Array, values: Uint16Array, count: number, "
      "withValues: boolean, errIndex: number[], errJson: string[], after: string | Buffer)";
  if (info.Length() != 9 || !info[0].IsNumber()) Usage(env, usage);
  double fdD = info[0].As<Napi::Number>().DoubleValue();
  if (!IsId(info[0])) Usage(env, usage);
  std::string before = TextArg(info[1], env, usage);
  ColumnArgs a = ReadColumnArgs(info, 2, usage);
  std::string after = TextArg(info[8], env, usage);
  try {
    size_t n = WriteSemsJson(static_cast<int>(fdD), before, a.headers.Data(), a.count, a.values.Data(),
                             a.values.ElementLength(), a.withValues, a.errors, after);
    return Napi::Number::New(env, static_cast<double>(n));
  } catch (const OpFailure& f) {
    throw MakeOpError(env, f.error);
  }
}

}  // namespace ipcx

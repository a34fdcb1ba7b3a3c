#include "json_writer.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <new>

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
// The header columns' keys, in column order (native/src/ipc_core.h strides), as the model objects list them.
const Key kSemKeys[] = {IPCX_KEY(",\"id\":"),    IPCX_KEY(",\"key\":"),   IPCX_KEY(",\"uid\":"),  IPCX_KEY(",\"gid\":"),
                        IPCX_KEY(",\"cuid\":"),  IPCX_KEY(",\"cgid\":"),  IPCX_KEY(",\"mode\":"), IPCX_KEY(",\"nsems\":"),
                        IPCX_KEY(",\"otime\":"), IPCX_KEY(",\"ctime\":")};
const Key kShmKeys[] = {IPCX_KEY(",\"id\":"),    IPCX_KEY(",\"key\":"),   IPCX_KEY(",\"uid\":"),    IPCX_KEY(",\"gid\":"),
                        IPCX_KEY(",\"cuid\":"),  IPCX_KEY(",\"cgid\":"),  IPCX_KEY(",\"mode\":"),   IPCX_KEY(",\"segsz\":"),
                        IPCX_KEY(",\"cpid\":"),  IPCX_KEY(",\"lpid\":"),  IPCX_KEY(",\"nattch\":"), IPCX_KEY(",\"atime\":"),
                        IPCX_KEY(",\"dtime\":"), IPCX_KEY(",\"ctime\":")};
const Key kMsgKeys[] = {IPCX_KEY(",\"id\":"),     IPCX_KEY(",\"key\":"),   IPCX_KEY(",\"uid\":"),   IPCX_KEY(",\"gid\":"),
                        IPCX_KEY(",\"cuid\":"),   IPCX_KEY(",\"cgid\":"),  IPCX_KEY(",\"mode\":"),  IPCX_KEY(",\"cbytes\":"),
                        IPCX_KEY(",\"qnum\":"),   IPCX_KEY(",\"qbytes\":"), IPCX_KEY(",\"lspid\":"), IPCX_KEY(",\"lrpid\":"),
                        IPCX_KEY(",\"stime\":"),  IPCX_KEY(",\"rtime\":"), IPCX_KEY(",\"ctime\":")};
static_assert(sizeof(kSemKeys) / sizeof(Key) == kSemStride, "one key per sem column");
static_assert(sizeof(kShmKeys) / sizeof(Key) == kShmStride, "one key per shm column");
static_assert(sizeof(kMsgKeys) / sizeof(Key) == kMsgStride, "one key per msg column");
const Key kSemOpen = IPCX_KEY("{\"kind\":\"sem\"");
const Key kShmOpen = IPCX_KEY("{\"kind\":\"shm\"");
const Key kMsgOpen = IPCX_KEY("{\"kind\":\"msg\"");
const Key kValues = IPCX_KEY(",\"values\":[");
const Key kValuesError = IPCX_KEY(",\"valuesError\":");
const Key kDest = IPCX_KEY(",\"dest\":");
const Key kLocked = IPCX_KEY(",\"locked\":");
const Key kAttachers = IPCX_KEY(",\"attachers\":");
#undef IPCX_KEY

// SHM_DEST and SHM_LOCKED, the status bits the kernel keeps in a segment's mode (decodeShms reads the same).
constexpr long long kShmDest = 01000;
constexpr long long kShmLocked = 02000;

// At most this many bytes per number PutNumber writes ("-1.2345678901234567e-308" is 24).
constexpr size_t kNumberMax = 26;

void Put(char*& p, const Key& k) {
  std::memcpy(p, k.text, k.len);
  p += k.len;
}

void PutText(char*& p, const std::string& s) {
  std::memcpy(p, s.data(), s.size());
  p += s.size();
}

// A number as JSON.stringify writes it (Number::toString, radix 10), any double: see PutNumber.
char* PutNumberSlow(char* p, double d) {
  if (!std::isfinite(d)) {
    std::memcpy(p, "null", 4);
    return p + 4;
  }
  if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {
    return std::to_chars(p, p + kNumberMax, static_cast<long long>(d)).ptr;
  }
  // the shortest digits that round-trip, "d.ddde[+-]x", laid out as ECMAScript's Number::toString does
  char sci[40];
  char* end = std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific).ptr;
  char* s = sci;
  if (*s == '-') *p++ = *s++;
  char* e = std::find(s, end, 'e');
  char digits[20];
  size_t k = 0;
  for (char* c = s; c < e; c++) if (*c != '.') digits[k++] = *c;
  int n = 1;
  std::from_chars(e + 1 + (e[1] == '+' ? 1 : 0), end, n);
  n += 1;  // value = 0.digits x 10^n
  const int ki = static_cast<int>(k);
  if (ki <= n && n <= 21) {
    std::memcpy(p, digits, k);
    p += k;
    for (int i = ki; i < n; i++) *p++ = '0';
  } else if (0 < n && n <= 21) {
    std::memcpy(p, digits, n);
    p += n;
    *p++ = '.';
    std::memcpy(p, digits + n, k - n);
    p += k - n;
  } else if (-6 < n && n <= 0) {
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -n; i++) *p++ = '0';
    std::memcpy(p, digits, k);
    p += k;
  } else {
    *p++ = digits[0];
    if (k > 1) {
      *p++ = '.';
      std::memcpy(p, digits + 1, k - 1);
      p += k - 1;
    }
    *p++ = 'e';
    *p++ = n - 1 >= 0 ? '+' : '-';
    p = std::to_chars(p, p + 5, std::abs(n - 1)).ptr;
  }
  return p;
}

// A number as JSON.stringify writes it. The columns hold integers the kernel reported, nearly all of them
// unsigned 32-bit ones (ids, uids, modes, sizes, pids, times): those take the inlined first branch.
inline char* PutNumber(char* p, double d) {
  if (d >= 0 && d <= 4294967295.0) {
    const uint32_t u = static_cast<uint32_t>(d);
    if (static_cast<double>(u) == d) return std::to_chars(p, p + kNumberMax, u).ptr;
  }
  return PutNumberSlow(p, d);
}

// The columns' keys and numbers of one object: ,"id":1,"key":2,...
char* PutHeaders(char* p, const Key* keys, const double* h, size_t stride) {
  for (size_t k = 0; k < stride; k++) {
    Put(p, keys[k]);
    p = PutNumber(p, h[k]);
  }
  return p;
}

size_t HeadersBound(const Key* keys, size_t stride) {
  size_t b = 0;
  for (size_t k = 0; k < stride; k++) b += keys[k].len + kNumberMax;
  return b;
}

const std::string* Lookup(const IndexedJson& v, size_t i) {
  auto it = std::lower_bound(v.begin(), v.end(), i,
                             [](const std::pair<size_t, std::string>& e, size_t x) { return e.first < x; });
  return it != v.end() && it->first == i ? &it->second : nullptr;
}

// Each renderer writes one array's objects one at a time: Bound(i) is an upper bound of Emit(i)'s output (a
// leading comma included); objects must be emitted in order.
class SemsJson {
 public:
  explicit SemsJson(const SemColumnsView& v)
      : v_(v), fixed_(2 + kSemOpen.len + HeadersBound(kSemKeys, kSemStride) + kValues.len + 1) {}
  size_t count() const { return v_.count; }

  size_t Bound(size_t i) const {
    size_t b = fixed_;
    if (const std::string* e = Lookup(v_.errors, i)) return b + kValuesError.len + e->size();
    if (v_.withValues) b += Nsems(i) * 6;
    return b;
  }

  char* Emit(size_t i, char* p) {
    if (i) *p++ = ',';
    Put(p, kSemOpen);
    p = PutHeaders(p, kSemKeys, v_.headers + i * kSemStride, kSemStride);
    const size_t nsems = Nsems(i);
    if (const std::string* e = Lookup(v_.errors, i)) {
      Put(p, kValuesError);
      PutText(p, *e);
    } else if (v_.withValues && off_ + nsems <= v_.nvalues) {
      Put(p, kValues);
      const uint16_t* val = v_.values + off_;
      for (size_t j = 0; j < nsems; j++) {
        if (j) *p++ = ',';
        p = std::to_chars(p, p + 5, val[j]).ptr;
      }
      *p++ = ']';
    }
    *p++ = '}';
    off_ += nsems;
    return p;
  }

 private:
  size_t Nsems(size_t i) const {
    const double n = v_.headers[i * kSemStride + 7];
    return n >= 0 && n < 4294967296.0 ? static_cast<size_t>(n) : 0;
  }
  const SemColumnsView& v_;
  const size_t fixed_;
  size_t off_ = 0;
};

class ShmsJson {
 public:
  explicit ShmsJson(const ShmColumnsView& v)
      : v_(v), fixed_(2 + kShmOpen.len + HeadersBound(kShmKeys, kShmStride) + kDest.len + 5 + kLocked.len + 5) {}
  size_t count() const { return v_.count; }

  size_t Bound(size_t i) const {
    size_t b = fixed_;
    if (v_.withAttachers) {
      const std::string* a = Lookup(v_.attachers, i);
      b += kAttachers.len + (a ? a->size() : 2);
    }
    return b;
  }

  char* Emit(size_t i, char* p) {
    const double* h = v_.headers + i * kShmStride;
    if (i) *p++ = ',';
    Put(p, kShmOpen);
    p = PutHeaders(p, kShmKeys, h, kShmStride);
    // decodeShms tests the bits with JS's `&` (ToInt32): a mode of 2^63 or more has none of them set there,
    // and converting it to an integer here would be undefined (arm64 saturates it)
    const long long mode = std::fabs(h[6]) < 0x1p63 ? static_cast<long long>(h[6]) : 0;
    Put(p, kDest);
    p = PutBool(p, (mode & kShmDest) != 0);
    Put(p, kLocked);
    p = PutBool(p, (mode & kShmLocked) != 0);
    if (v_.withAttachers) {
      Put(p, kAttachers);
      if (const std::string* a = Lookup(v_.attachers, i)) {
        PutText(p, *a);
      } else {
        *p++ = '[';
        *p++ = ']';
      }
    }
    *p++ = '}';
    return p;
  }

 private:
  static char* PutBool(char* p, bool b) {
    const char* t = b ? "true" : "false";
    const size_t n = b ? 4 : 5;
    std::memcpy(p, t, n);
    return p + n;
  }
  const ShmColumnsView& v_;
  const size_t fixed_;
};

class MsgsJson {
 public:
  explicit MsgsJson(const MsgColumnsView& v) : v_(v), fixed_(2 + kMsgOpen.len + HeadersBound(kMsgKeys, kMsgStride)) {}
  size_t count() const { return v_.count; }
  size_t Bound(size_t) const { return fixed_; }
  char* Emit(size_t i, char* p) {
    if (i) *p++ = ',';
    Put(p, kMsgOpen);
    p = PutHeaders(p, kMsgKeys, v_.headers + i * kMsgStride, kMsgStride);
    *p++ = '}';
    return p;
  }

 private:
  const MsgColumnsView& v_;
  const size_t fixed_;
};

[[noreturn]] void WriteFailed(int err, const char* syscall) {
  OpError e;
  e.err = err;
  e.syscall = syscall;
  e.op = "snapshot JSON";
  throw OpFailure{e};
}

// Buffers the output in kJsonChunk pieces and writes each whole (short writes, EINTR and EAGAIN handled).
class ChunkWriter {
 public:
  explicit ChunkWriter(int fd) : fd_(fd), buf_(kJsonChunk) {}

  void Text(const char* p, size_t n) {
    if (used_ + n > buf_.size()) Flush();
    if (n > buf_.size()) {
      WriteAll(p, n);
      return;
    }
    std::memcpy(buf_.data() + used_, p, n);
    used_ += n;
  }
  void Text(const std::string& s) { Text(s.data(), s.size()); }

  template <typename Renderer>
  void Array(Renderer& r) {
    Text("[", 1);
    for (size_t i = 0; i < r.count(); i++) {
      const size_t b = r.Bound(i);
      if (used_ + b > buf_.size()) Flush();
      if (b > buf_.size()) buf_.resize(b);  // one object larger than a chunk (a huge nsems): a bigger buffer
      used_ = static_cast<size_t>(r.Emit(i, buf_.data() + used_) - buf_.data());
    }
    Text("]", 1);
  }

  size_t Finish() {
    Flush();
    return total_;
  }

 private:
  void Flush() {
    WriteAll(buf_.data(), used_);
    used_ = 0;
  }
  void WriteAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          struct pollfd pfd = {fd_, POLLOUT, 0};
          if (poll(&pfd, 1, -1) < 0 && errno != EINTR) WriteFailed(errno, "poll");
          continue;
        }
        WriteFailed(errno, "write");
      }
      p += w;
      n -= static_cast<size_t>(w);
      total_ += static_cast<size_t>(w);
    }
  }

  int fd_;
  std::vector<char> buf_;
  size_t used_ = 0;
  size_t total_ = 0;
};

// A non-negative integer count no larger than `limit`, or Usage.
size_t CountArg(Napi::Env env, const Napi::Value& v, size_t limit, const char* usage) {
  if (!v.IsNumber()) Usage(env, usage);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > static_cast<double>(limit)) Usage(env, usage);
  return static_cast<size_t>(d);
}

Napi::Float64Array HeadersArg(Napi::Env env, const Napi::Value& v, const char* usage) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) Usage(env, usage);
  return v.As<Napi::Float64Array>();
}

// Two parallel arrays (item indexes, JSON texts) as IndexedJson sorted by index: at most one text per item,
// every index below count (so never more texts than items).
IndexedJson IndexedArg(Napi::Env env, const Napi::Value& idx, const Napi::Value& json, size_t count, const char* usage) {
  if (!idx.IsArray() || !json.IsArray()) Usage(env, usage);
  Napi::Array ia = idx.As<Napi::Array>();
  Napi::Array ja = json.As<Napi::Array>();
  if (ia.Length() != ja.Length() || ia.Length() > count) Usage(env, usage);
  IndexedJson out;
  out.reserve(ia.Length());
  for (uint32_t i = 0; i < ia.Length(); i++) {
    Napi::Value x = ia.Get(i);
    Napi::Value t = ja.Get(i);
    if (!t.IsString()) Usage(env, usage);
    const size_t at = CountArg(env, x, count, usage);
    if (at == count) Usage(env, usage);
    out.emplace_back(at, t.As<Napi::String>().Utf8Value());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < out.size(); i++) {
    if (out[i].first == out[i - 1].first) Usage(env, usage);
  }
  return out;
}

// The sets' arguments at info[first..first+5]: headers, values, count, withValues, errIndex, errJson.
SemColumnsView SemArgs(const Napi::CallbackInfo& info, size_t first, const char* usage) {
  Napi::Env env = info.Env();
  Napi::Float64Array h = HeadersArg(env, info[first], usage);
  const Napi::Value& vals = info[first + 1];
  if (!vals.IsTypedArray() || vals.As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array) Usage(env, usage);
  if (!info[first + 3].IsBoolean()) Usage(env, usage);
  Napi::Uint16Array v = vals.As<Napi::Uint16Array>();
  SemColumnsView s;
  s.headers = h.Data();
  s.count = CountArg(env, info[first + 2], h.ElementLength() / kSemStride, usage);
  s.values = v.Data();
  s.nvalues = v.ElementLength();
  s.withValues = info[first + 3].As<Napi::Boolean>().Value();
  if (s.withValues) {
    // the values the sets' nsems add up to must all be there (each set's output is sized from its nsems)
    double total = 0;
    for (size_t i = 0; i < s.count; i++) {
      const double n = s.headers[i * kSemStride + 7];
      total += n >= 0 && n < 4294967296.0 ? std::floor(n) : 0;
    }
    if (total > static_cast<double>(s.nvalues)) Usage(env, usage);
  }
  s.errors = IndexedArg(env, info[first + 4], info[first + 5], s.count, usage);
  return s;
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

std::string FormatSemsJson(const SemColumnsView& sems) {
  SemsJson sj(sems);
  size_t bound = 2;
  for (size_t i = 0; i < sj.count(); i++) bound += sj.Bound(i);
  std::string out;
  out.resize(bound);
  char* p = out.data();
  *p++ = '[';
  for (size_t i = 0; i < sj.count(); i++) p = sj.Emit(i, p);
  *p++ = ']';
  out.resize(static_cast<size_t>(p - out.data()));
  return out;
}

size_t WriteSysvJson(int fd, const std::vector<std::string>& texts, const SemColumnsView& sems,
                     const ShmColumnsView& shms, const MsgColumnsView& msgs) {
  ChunkWriter w(fd);
  SemsJson sj(sems);
  ShmsJson hj(shms);
  MsgsJson mj(msgs);
  w.Text(texts.at(0));
  w.Array(sj);
  w.Text(texts.at(1));
  w.Array(hj);
  w.Text(texts.at(2));
  w.Array(mj);
  w.Text(texts.at(3));
  return w.Finish();
}

Napi::Value JsFormatSemsJson(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "formatSemsJson(headers: Float64Array, values: Uint16Array, count: number, withValues: boolean, "
      "errIndex: number[], errJson: string[])";
  if (info.Length() != 6) Usage(env, usage);
  SemColumnsView s = SemArgs(info, 0, usage);
  try {
    std::string json = FormatSemsJson(s);
    return Napi::Buffer<char>::Copy(env, json.data(), json.size());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "formatSemsJson: out of memory");
  }
}

Napi::Value JsWriteSysvJson(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "writeSysvJson(fd: number, texts: [string | Buffer] x 4, semHeaders: Float64Array, semValues: Uint16Array, "
      "semCount: number, withValues: boolean, errIndex: number[], errJson: string[], shmHeaders: Float64Array, "
      "shmCount: number, attachers: null | [index: number[], json: string[]], msgHeaders: Float64Array, msgCount: number)";
  if (info.Length() != 13 || !IsId(info[0]) || !info[1].IsArray()) Usage(env, usage);
  Napi::Array ta = info[1].As<Napi::Array>();
  if (ta.Length() != 4) Usage(env, usage);
  std::vector<std::string> texts;
  for (uint32_t i = 0; i < 4; i++) texts.push_back(TextArg(ta.Get(i), env, usage));
  SemColumnsView sems = SemArgs(info, 2, usage);
  ShmColumnsView shms;
  Napi::Float64Array sh = HeadersArg(env, info[8], usage);
  shms.headers = sh.Data();
  shms.count = CountArg(env, info[9], sh.ElementLength() / kShmStride, usage);
  if (info[10].IsArray()) {
    Napi::Array a = info[10].As<Napi::Array>();
    if (a.Length() != 2) Usage(env, usage);
    shms.withAttachers = true;
    shms.attachers = IndexedArg(env, a.Get(0u), a.Get(1u), shms.count, usage);
  } else if (!info[10].IsNull()) {
    Usage(env, usage);
  }
  MsgColumnsView msgs;
  Napi::Float64Array mh = HeadersArg(env, info[11], usage);
  msgs.headers = mh.Data();
  msgs.count = CountArg(env, info[12], mh.ElementLength() / kMsgStride, usage);
  try {
    return Napi::Number::New(env, static_cast<double>(WriteSysvJson(IdOf(info[0]), texts, sems, shms, msgs)));
  } catch (const OpFailure& f) {
    throw MakeOpError(env, f.error);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "writeSysvJson: out of memory");
  }
}

}  // namespace ipcx

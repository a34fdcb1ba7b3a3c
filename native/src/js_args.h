// Argument checks shared by the exported functions (api.cc, ns_api.cc, json_writer.cc): the usage error, ids,
// object kinds, a guarded removal's arguments with the caller's check, a header row, and core failures as JS
// errors. Everything here runs on the JS thread.
#pragma once

#include <napi.h>

#include <cstddef>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "errno_error.h"
#include "ipc_core.h"

namespace ipcx {

// Throws a TypeError "Usage: <usage>".
[[noreturn]] void Usage(Napi::Env env, const std::string& usage);

// A System V id: an integer in [0, INT_MAX].
bool IsId(const Napi::Value& v);
// The id of a value IsId accepted.
int IdOf(const Napi::Value& v);

// 'sem' | 'shm' | 'msg', or Usage.
std::string KindOf(Napi::Env env, const Napi::Value& v, const std::string& usage);

// Runs f; a core failure (OpFailure) becomes the structured JS error (code, errno, syscall, op, id), and any
// other C++ exception (std::bad_alloc, std::system_error) a plain JS error: one leaving the call would abort
// the process (node-addon-api turns only Napi::Error into a JS exception).
template <typename F>
auto Guard(Napi::Env env, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const OpFailure& e) {
    throw MakeOpError(env, e.error);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("native call failed: ") + e.what());
  }
}

// A guarded removal's arguments from info[first]: kind, id, expected {key, ctime, ...} and the optional check
// (phase) => string. Expectation fields of another kind are a TypeError naming the ones that apply.
struct RemovalArgs {
  std::string kind;
  int id = 0;
  RemovalExpectation expected;
  // the caller's JS function, called on the JS thread with the phase; empty when none was given. It returns ""
  // (go on) or the reason to refuse; a throw or a non-string refuses too.
  LockCheck check;
};
RemovalArgs RemovalArgsFrom(const Napi::CallbackInfo& info, size_t first, const char* name, const std::string& usage);

// The core's guarded removal of a kind's object.
void RemoveOf(const std::string& kind, int id, const RemovalExpectation& e, const LockCheck& check);

// One object's header row by id (IPC_STAT), in the snapshot's column layout, and as a Float64Array.
std::vector<double> StatOf(const std::string& kind, int id);
Napi::Float64Array RowToJs(Napi::Env env, const std::vector<double>& h);

// A promise whose work runs on a libuv pool thread (Work) and whose value is built back on the JS thread
// (Result). A failure is rejected as Guard would throw it: a core failure (OpFailure) as the structured errno
// error, any other C++ exception as a plain error "<failed>: <what>".
class GuardedWorker : public Napi::AsyncWorker {
 public:
  GuardedWorker(Napi::Env env, const char* name, std::string failed)
      : Napi::AsyncWorker(env, name), failed_(std::move(failed)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual void Work() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void Execute() override {
    try {
      Work();
    } catch (const OpFailure& f) {
      hasFailure_ = true;
      failure_ = f.error;
    } catch (const std::exception& e) {
      SetError(failed_ + ": " + e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (hasFailure_) {
      deferred_.Reject(MakeOpError(env, failure_).Value());
      return;
    }
    deferred_.Resolve(Result(env));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  std::string failed_;
  bool hasFailure_ = false;
  OpError failure_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace ipcx

// The semaphore sets' JSON, rendered straight from the snapshot's columns (no model objects): into one
// string (formatSemsJson) or streamed to a file descriptor in fixed-size chunks (writeSemsJson, the path of
// `ipcx snapshot --json`: no copy of the whole text is ever made, in C++ or in JS).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ipcx {

// JSON text of the SemSet[] array built from the columns, byte-identical to JSON.stringify of the model
// objects (extension/backend/nativeBinding.ts buildSems). errors[k] = (set index, valuesError JSON), sorted.
std::string FormatSemsJson(const double* headers, size_t count, const uint16_t* values, size_t nvalues, bool withValues,
                           const std::vector<std::pair<size_t, std::string>>& errors);

// Writes before + the same JSON text + after to fd, in chunks of at most kJsonChunk bytes (larger only for one
// set that does not fit), retrying short writes and EINTR, waiting with poll() on EAGAIN (a non-blocking
// pipe). Returns the bytes written; throws OpFailure (syscall "write") on any other error, e.g. EPIPE.
constexpr size_t kJsonChunk = 256 * 1024;
size_t WriteSemsJson(int fd, const std::string& before, const double* headers, size_t count, const uint16_t* values,
                     size_t nvalues, bool withValues, const std::vector<std::pair<size_t, std::string>>& errors,
                     const std::string& after);

Napi::Value JsFormatSemsJson(const Napi::CallbackInfo& info);
Napi::Value JsWriteSemsJson(const Napi::CallbackInfo& info);

}  // namespace ipcx

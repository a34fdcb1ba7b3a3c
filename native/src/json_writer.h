// The System V listing's JSON, rendered straight from the snapshot's columns (no model objects): the sets into
// one string (FormatSemsJson), or the sets, segments and queues streamed to a file descriptor in fixed-size
// chunks between the caller's texts (WriteSysvJson, the path of `ipcx snapshot --json`: no copy of the whole
// text is ever made, in C++ or in JS). The bytes are those of JSON.stringify of the model objects
// (extension/domain/sysvColumns.ts decodeSems/decodeShms/decodeMsgs, attachers as assembleSnapshot sets them).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ipcx {

// Per-item JSON texts by item index, sorted by index (a set's valuesError, a segment's attachers).
using IndexedJson = std::vector<std::pair<size_t, std::string>>;

struct SemColumnsView {
  const double* headers = nullptr;
  size_t count = 0;
  const uint16_t* values = nullptr;
  size_t nvalues = 0;
  bool withValues = false;
  IndexedJson errors;  // valuesError JSON of the sets whose values could not be read
};

struct ShmColumnsView {
  const double* headers = nullptr;
  size_t count = 0;
  // false: no "attachers" key (the maps were not scanned); true: the listed JSON, "[]" for the others
  bool withAttachers = false;
  IndexedJson attachers;
};

struct MsgColumnsView {
  const double* headers = nullptr;
  size_t count = 0;
};

// JSON text of the SemSet[] array built from the columns.
std::string FormatSemsJson(const SemColumnsView& sems);

// Writes texts[0], the sets' array, texts[1], the segments' array, texts[2], the queues' array, texts[3] to fd,
// in chunks of at most kJsonChunk bytes (larger only for one object that does not fit), retrying short writes
// and EINTR, waiting with poll() on EAGAIN (a non-blocking pipe). Returns the bytes written; throws OpFailure
// (syscall "write") on any other error, e.g. EPIPE.
constexpr size_t kJsonChunk = 256 * 1024;
size_t WriteSysvJson(int fd, const std::vector<std::string>& texts, const SemColumnsView& sems,
                     const ShmColumnsView& shms, const MsgColumnsView& msgs);

Napi::Value JsFormatSemsJson(const Napi::CallbackInfo& info);
Napi::Value JsWriteSysvJson(const Napi::CallbackInfo& info);

}  // namespace ipcx

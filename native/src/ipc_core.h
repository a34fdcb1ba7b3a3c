// Plain C++ view of the kernel's System V IPC and POSIX semaphore data: syscalls in, structs out.
// Nothing here knows about N-API (convert.cc is the only place that builds JS values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ipcx {

// Doubles per object in the header columns; extension/domain/sysvColumns.ts decodes them (SEM/SHM/MSG_STRIDE,
// held to these by test/unit/domain/sysvColumns.test.ts).
constexpr size_t kSemStride = 10;  // id key uid gid cuid cgid mode nsems otime ctime
constexpr size_t kShmStride = 14;  // id key uid gid cuid cgid mode segsz cpid lpid nattch atime dtime ctime
constexpr size_t kMsgStride = 15;  // id key uid gid cuid cgid mode cbytes qnum qbytes lspid lrpid stime rtime ctime

// A failed call: errno (or a project code such as ECHANGED with a detail text), the syscall and the op.
struct OpError {
  int err = 0;
  const char* syscall = "";
  const char* op = "";
  long long id = -1;  // -1: no id
  std::string code;   // set for project codes (ECHANGED); empty = errno name
  std::string detail; // replaces strerror's text when set
};

// Thrown by the core for operations that fail as a whole (semDetail, remove, shmPeek, readPosixSem).
struct OpFailure {
  OpError error;
};

// One object of a listing that could not be read (the id is known when the failing call was per id).
struct ItemErr {
  char kind;  // 's' sem, 'm' shm, 'q' msg
  long long index;  // kernel slot, -1 for a whole-kind failure (e.g. SEM_INFO)
  OpError error;
};

struct ValueErr {
  size_t set;  // index into the sem columns
  OpError error;
};

struct SemColumns {
  size_t count = 0;
  std::vector<double> headers;
  std::vector<uint16_t> values;  // back to back, offset = sum of previous nsems
  std::vector<ValueErr> valueErrors;
};

struct Columns {
  size_t count = 0;
  std::vector<double> headers;
};

struct Snapshot {
  SemColumns sem;
  Columns shm;
  Columns msg;
  std::vector<ItemErr> errors;
  bool statAny = true;
};

// --- sysv_sem.cc ---
void ListSems(bool values, SemColumns& out, std::vector<ItemErr>& errors, bool& statAny);

// Memory a listing is written into in place (the backing stores of the JS ArrayBuffers it is returned in,
// allocated before the scan and sized from SemTableSize), so the columns are never copied after the
// syscalls: at 32,000 sets a copy is 3.5 MB of freshly faulted pages, twice (thread parts, then JS).
struct SemDest {
  double* headers = nullptr;
  size_t setCap = 0;  // rows of kSemStride doubles
  uint16_t* values = nullptr;
  size_t valueCap = 0;
};
struct SemInPlace {
  size_t count = 0;    // rows at the start of SemDest::headers
  size_t nvalues = 0;  // values at the start of SemDest::values
  std::vector<ValueErr> valueErrors;
};
// SEM_INFO: sets and semaphores in use. false (errno set) when the call fails.
bool SemTableSize(size_t& sets, size_t& sems);

/** From this many set slots on, a listing's scan is split across threads. */
constexpr int kParallelSets = 4096;
// ListSems into `d`, with the same rows, values, errors and order. Returns false when the table grew past
// d's capacity during the scan (then nothing in d or `out` is usable: list with ListSems instead).
// `before` (may be empty): other work the scan's first thread does before it takes slots; when the scan is
// split in two, the other thread takes more slots meanwhile, so the two finish together. It must not throw
// and runs at most once, unless the table's size cannot be read (then not at all: the caller checks).
bool ListSemsInto(const SemDest& d, bool values, SemInPlace& out, std::vector<ItemErr>& errors, bool& statAny,
                  const std::function<void()>& before = {});
// 4 int32 per semaphore: semval, ncount, zcount, pid. Throws OpFailure.
std::vector<int32_t> SemDetail(int id);

// --- sysv_shm.cc ---
void ListShms(Columns& out, std::vector<ItemErr>& errors, bool& statAny);
// Copies min(length, segsz) bytes (shmat SHM_RDONLY / shmdt). Throws OpFailure.
std::vector<uint8_t> ShmPeek(int id, size_t length);

// --- sysv_msg.cc ---
void ListMsgs(Columns& out, std::vector<ItemErr>& errors, bool& statAny);

// --- guarded removal (sysv_sem.cc / sysv_shm.cc / sysv_msg.cc) ---
struct RemovalExpectation {
  int32_t key = 0;
  long long ctime = 0;
  bool nattchZero = false;
  bool noWaiters = false;
  bool hasOtime = false;
  long long otime = 0;
  bool hasSemPids = false;
  std::vector<int32_t> semPids;
  // One header field the plan saw (shm nattch/cpid/lpid/atime/dtime, msg qnum/cbytes/lspid/lrpid/stime/rtime).
  struct Field {
    bool has = false;
    long long value = 0;
  };
  Field nattch, cpid, lpid, atime, dtime;                // shm
  Field qnum, cbytes, lspid, lrpid, stime, rtime;        // msg
};
// The caller's own check (the executor's scan for processes blocked on the object), called with "beforeLock"
// right before the IPC_SET that locks, and with "afterLock" after the lock and the kernel re-verification,
// right before IPC_RMID: "" lets the removal go on, any other text refuses it (after the lock: with the mode
// restored). May be empty (no extra check).
using LockCheck = std::function<std::string(const char* phase)>;
// Each throws OpFailure (ECHANGED with the failed check, or the errno of IPC_STAT/IPC_RMID).
void RemoveSem(int id, const RemovalExpectation& e, const LockCheck& check = {});
void RemoveShm(int id, const RemovalExpectation& e, const LockCheck& check = {});
void RemoveMsg(int id, const RemovalExpectation& e, const LockCheck& check = {});

// call_watch.cc: system-wide counters of tracepoint events matching `filter` (one per online CPU).
int WatchCalls(const std::vector<long long>& tracepoints, const std::string& filter);
long long WatchCount(int handle);
void WatchClose(int handle);

// An object a recycle locked (IPC_SET mode 0 or 0400) and never finished with (it crashed between the lock
// and the outcome): what it must still be, and the mode to put back.
struct LockedObject {
  int32_t key = 0;
  long long ctime = 0;  // as read while locked (the lock's IPC_SET set it)
  unsigned uid = 0, gid = 0;
  unsigned mode = 0;  // the original permission bits
};
// IPC_STAT, check key/uid/gid/ctime and that the mode is still a lock (0 or 0400), then IPC_SET the mode
// back. Throws OpFailure (ECHANGED naming the check, or the errno).
void RestoreSem(int id, const LockedObject& l);
void RestoreShm(int id, const LockedObject& l);
void RestoreMsg(int id, const LockedObject& l);

// One object's header row by id (IPC_STAT), in the snapshot's column layout (kSemStride / kShmStride /
// kMsgStride doubles). Throws OpFailure (EINVAL/EIDRM when gone, EACCES...).
std::vector<double> StatSem(int id);
std::vector<double> StatShm(int id);
std::vector<double> StatMsg(int id);

// --- limits.cc ---
struct Limits {
  double semmsl = 0, semmns = 0, semopm = 0, semmni = 0, semvmx = 0;
  double shmmax = 0, shmall = 0, shmmni = 0, shmmin = 0;
  double msgmax = 0, msgmnb = 0, msgmni = 0;
  double pageSize = 0;
  std::vector<const char*> unlimited;
  double semSets = 0, semTotal = 0;
  // SHM_INFO's counters; not read (shmInfo false) when the caller counts the segments from a listing
  bool shmInfo = true;
  double shmSegments = 0, shmPages = 0, shmRssPages = 0, shmSwapPages = 0;
  double msgQueues = 0, msgMessages = 0, msgBytes = 0;
};
// Throws OpFailure when an *_INFO call fails. Without shmInfo, no SHM_INFO: it walks every segment to sum the
// resident and swapped pages (2.3 ms at 4,096 segments here), which only the metrics report.
Limits ReadLimits(bool shmInfo = true);
// The three IPC_INFO calls alone (no walk of the tables, unlike SEM_INFO/SHM_INFO): throws OpFailure when one
// is refused, which the kernel never does itself (a seccomp filter or a security module did).
void ProbeSysv();

// --- posix_sem.cc ---
struct PosixSemRead {
  double size = 0;
  std::vector<uint8_t> raw;
  uint32_t lo32 = 0;
  uint32_t hi32 = 0;
};
// Throws OpFailure.
PosixSemRead ReadPosixSem(const std::string& path);

// Clamp an unsigned kernel value to a double that is exactly representable (2^53 - 1).
double ClampU64(unsigned long long v, bool* clamped);

}  // namespace ipcx

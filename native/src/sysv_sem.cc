// System V semaphore sets: enumeration (SEM_INFO + SEM_STAT_ANY, or SEM_STAT before Linux 4.17), one GETALL
// per set, per-semaphore detail (GETPID/GETNCNT/GETZCNT) and guarded removal.
#include <sys/ipc.h>
#include <sys/sem.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <system_error>
#include <thread>

#include "ipc_core.h"
#include "sysv_util.h"

namespace ipcx {

namespace {

// semctl(IPC_STAT/IPC_SET/SEM_STAT...) with a semid_ds buffer
int SemStatFor(int idx, int cmd, struct semid_ds* ds) {
  semun arg;
  arg.buf = ds;
  return semctl(idx, 0, cmd, arg);
}

void StatById(int id, struct semid_ds* ds) {
  if (SemStatFor(id, IPC_STAT, ds) < 0) Fail(errno, "semctl", "IPC_STAT", id);
}

void SemRow(int id, const struct semid_ds& ds, double* h) {
  PermColumns(id, ds.sem_perm, 0777, h);
  h[7] = static_cast<double>(ds.sem_nsems);
  h[8] = static_cast<double>(ds.sem_otime);
  h[9] = static_cast<double>(ds.sem_ctime);
}

}  // namespace

std::vector<double> StatSem(int id) {
  struct semid_ds ds;
  StatById(id, &ds);
  std::vector<double> h(kSemStride);
  SemRow(id, ds, h.data());
  return h;
}

namespace {

// One slice [from, to] of kernel slots: headers and values into `out`, per-item failures into `errors`.
void ListSemSlots(int from, int to, bool values, SemColumns& out, std::vector<ItemErr>& errors, bool& statAny) {
  int anyState = 0;
  struct semid_ds ds;
  auto stat = [&ds](int idx, int cmd) { return SemStatFor(idx, cmd, &ds); };
  for (int idx = from; idx <= to; idx++) {
    const char* op = "SEM_STAT_ANY";
    int id = StatSlot(idx, anyState, statAny, op, "SEM_STAT_ANY", "SEM_STAT", stat, SEM_STAT_ANY, SEM_STAT);
    if (id < 0) {
      int e = errno;
      if (e == EINVAL || e == EIDRM) continue;  // empty slot, or removed while we looked
      errors.push_back(ItemErr{'s', idx, Err(e, "semctl", op, -1)});
      continue;
    }
    const size_t nsems = ds.sem_nsems;
    size_t at = out.headers.size();
    out.headers.resize(at + kSemStride);
    double* h = out.headers.data() + at;
    SemRow(id, ds, h);
    if (values) {
      size_t off = out.values.size();
      out.values.resize(off + nsems);
      semun va;
      va.array = out.values.data() + off;
      if (nsems > 0 && semctl(id, 0, GETALL, va) < 0) {
        out.valueErrors.push_back(ValueErr{out.count, Err(errno, "semctl", "GETALL", id)});
      }
    }
    out.count++;
  }
}

// Below this many slots one thread does it all; above, the slots are split across up to kMaxThreads
// threads (each semctl is independent in the kernel: per-object locks under RCU).
constexpr unsigned kMaxThreads = 4;

/** How many threads list slots 0..maxidx. */
unsigned ScanThreads(int maxidx) {
  unsigned hw = ScanCores();
  return maxidx + 1 >= kParallelSets ? std::min(std::max(hw, 1u), kMaxThreads) : 1;
}

/** SEM_INFO: the table's sizes into si and its highest used slot, or -1 with the error recorded. */
int SemTableInfo(seminfo& si, std::vector<ItemErr>& errors) {
  semun arg;
  arg.__buf = &si;
  int maxidx = semctl(0, 0, SEM_INFO, arg);
  if (maxidx < 0) errors.push_back(ItemErr{'s', -1, Err(errno, "semctl", "SEM_INFO", -1)});
  return maxidx;
}


/** One thread's slot range listed into its own columns (a failure is kept for the caller to rethrow). */
struct SemPart {
  SemColumns cols;
  std::vector<ItemErr> errors;
  bool statAny = true;
  std::exception_ptr failure;

  /** slots from..to, of n such parts of the table SEM_INFO described */
  void List(int from, int to, bool values, const seminfo& si, unsigned n) {
    try {
      cols.headers.reserve((static_cast<size_t>(si.semusz) / n + 64) * kSemStride);
      if (values) cols.values.reserve(static_cast<size_t>(si.semaem) / n + 4096);
      if (from <= to) ListSemSlots(from, to, values, cols, errors, statAny);
    } catch (...) {
      failure = std::current_exception();
    }
  }
};

}  // namespace

void ListSems(bool values, SemColumns& out, std::vector<ItemErr>& errors, bool& statAny) {
  struct seminfo si{};
  const int maxidx = SemTableInfo(si, errors);
  if (maxidx < 0) return;
  const unsigned nthreads = ScanThreads(maxidx);
  if (nthreads <= 1) {
    out.headers.reserve((static_cast<size_t>(si.semusz) + 64) * kSemStride);
    if (values) out.values.reserve(static_cast<size_t>(si.semaem) + 4096);
    ListSemSlots(0, maxidx, values, out, errors, statAny);
    return;
  }
  std::vector<SemPart> parts(nthreads);
  const int per = (maxidx + 1 + static_cast<int>(nthreads) - 1) / static_cast<int>(nthreads);
  RunOnThreads(nthreads, [&](unsigned t) {
    int from = static_cast<int>(t) * per;
    parts[t].List(from, std::min(maxidx, from + per - 1), values, si, nthreads);
  });
  size_t nh = 0, nv = 0;
  for (auto& p : parts) {
    if (p.failure) std::rethrow_exception(p.failure);
    nh += p.cols.headers.size();
    nv += p.cols.values.size();
  }
  out.headers.reserve(nh);
  out.values.reserve(nv);
  for (auto& p : parts) {
    for (auto& ve : p.cols.valueErrors) out.valueErrors.push_back(ValueErr{ve.set + out.count, ve.error});
    out.headers.insert(out.headers.end(), p.cols.headers.begin(), p.cols.headers.end());
    out.values.insert(out.values.end(), p.cols.values.begin(), p.cols.values.end());
    out.count += p.cols.count;
    errors.insert(errors.end(), p.errors.begin(), p.errors.end());
    if (!p.statAny) statAny = false;
  }
}

bool SemTableSize(size_t& sets, size_t& sems) {
  struct seminfo si{};
  semun arg;
  arg.__buf = &si;
  if (semctl(0, 0, SEM_INFO, arg) < 0) return false;
  sets = static_cast<size_t>(si.semusz);
  sems = static_cast<size_t>(si.semaem);
  return true;
}

namespace {

// What the threads of an in-place listing share: the destination and how much of it is still free (rows and
// values; a thread reserves before it writes, so two threads never write the same place). Each counter has a
// cache line of its own, and threads reserve in batches: two cores taking turns at one line on every set
// cost more than the scan's own semctl calls.
struct InPlaceShared {
  const SemDest* d = nullptr;
  alignas(64) std::atomic<long long> rowsFree{0};
  alignas(64) std::atomic<long long> valuesFree{0};
  alignas(64) std::atomic<bool> overflow{false};
  // Rows and values a thread reserves at a time: at most a sixteenth of the room per thread. What a thread
  // reserved and did not use is lost to the others; the destination has room for an eighth more than
  // SEM_INFO counted, so that only matters when the table grew during the scan (then the listing is done
  // again into growing columns).
  long long rowBatch = 1;
  long long valueBatch = 1;
};

long long BatchOf(size_t cap, unsigned threads, long long most) {
  return std::max(1LL, std::min(most, static_cast<long long>(cap / (16 * threads))));
}

/** n more of a shared budget, taken a batch (at least n) at a time into `left`; false when it ran out. */
bool Reserve(std::atomic<long long>& shared, long long& left, long long n, long long batch) {
  if (left >= n) {
    left -= n;
    return true;
  }
  const long long take = std::max(n - left, batch);
  if (shared.fetch_sub(take, std::memory_order_relaxed) < take) return false;
  left += take - n;
  return true;
}

// Slots two in-place slices take in batches: the forward slice from the bottom of the range, the backward one
// from the top, until they meet. Where both share one range, the slice that started later (its thread did
// other work first) or runs slower takes fewer, and the two finish together instead of one idling while the
// other ends a fixed half.
class SlotClaims {
 public:
  SlotClaims(int from, int to) : bounds_(Pack(from, to + 1)) {}

  /** The next batch of at most `n` slots, from the bottom (forward) or the top; false when none is left. */
  bool Take(bool forward, int n, int& from, int& to) {
    uint64_t cur = bounds_.load(std::memory_order_relaxed);
    for (;;) {
      const int lo = static_cast<int>(cur >> 32), end = static_cast<int>(cur & 0xffffffffu);
      if (lo >= end) return false;
      const int take = std::min(n, end - lo);
      const uint64_t next = forward ? Pack(lo + take, end) : Pack(lo, end - take);
      if (bounds_.compare_exchange_weak(cur, next, std::memory_order_relaxed)) {
        from = forward ? lo : end - take;
        to = from + take - 1;
        return true;
      }
    }
  }

 private:
  // the first slot not taken from the bottom, and one past the last not taken from the top (both >= 0)
  static uint64_t Pack(int lo, int end) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(lo)) << 32) | static_cast<uint32_t>(end);
  }
  std::atomic<uint64_t> bounds_;
};

// Slots per batch: about a tenth of a millisecond of semctl calls, so the slices finish within that of each
// other, and a few hundred claims per scan of 32,000 slots.
constexpr int kClaimBatch = 128;

// One slot range written in place, its slots taken from `claims`. A forward slice fills d from its start in
// ascending slot order; a backward slice takes its slots in descending order and fills d from its end
// downwards, so its rows and values also lie in ascending slot order in memory (the caller moves them down
// after the forward ones). valueErrors carry the ordinal within the slice, errors are in scan order.
struct alignas(64) InPlaceSlice {
  size_t rows = 0;
  size_t nvalues = 0;
  std::vector<ValueErr> valueErrors;
  std::vector<ItemErr> errors;
  bool statAny = true;
  std::exception_ptr failure;
};

void ListSemSlotsInPlace(SlotClaims& claims, bool forward, bool values, InPlaceShared& sh, InPlaceSlice& s) {
  const SemDest& d = *sh.d;
  int anyState = 0;
  struct semid_ds ds;
  auto stat = [&ds](int idx, int cmd) { return SemStatFor(idx, cmd, &ds); };
  long long rowsLeft = 0, valuesLeft = 0;
  int from = 0, to = -1;
  while (claims.Take(forward, kClaimBatch, from, to)) {
    for (int k = 0, n = to - from + 1; k < n; k++) {
      const int idx = forward ? from + k : to - k;
      const char* op = "SEM_STAT_ANY";
      int id = StatSlot(idx, anyState, s.statAny, op, "SEM_STAT_ANY", "SEM_STAT", stat, SEM_STAT_ANY, SEM_STAT);
      if (id < 0) {
        int e = errno;
        if (e == EINVAL || e == EIDRM) continue;  // empty slot, or removed while we looked
        s.errors.push_back(ItemErr{'s', idx, Err(e, "semctl", op, -1)});
        continue;
      }
      const long long nsems = static_cast<long long>(ds.sem_nsems);
      if (!Reserve(sh.rowsFree, rowsLeft, 1, sh.rowBatch) ||
          (values && !Reserve(sh.valuesFree, valuesLeft, nsems, sh.valueBatch))) {
        sh.overflow.store(true, std::memory_order_relaxed);
        return;
      }
      SemRow(id, ds, d.headers + (forward ? s.rows : d.setCap - 1 - s.rows) * kSemStride);
      if (values) {
        uint16_t* v = forward ? d.values + s.nvalues : d.values + d.valueCap - s.nvalues - static_cast<size_t>(nsems);
        semun va;
        va.array = v;
        if (nsems > 0 && semctl(id, 0, GETALL, va) < 0) {
          s.valueErrors.push_back(ValueErr{s.rows, Err(errno, "semctl", "GETALL", id)});
          std::memset(v, 0, static_cast<size_t>(nsems) * sizeof(uint16_t));  // zero where unread, as ListSems
        }
        s.nvalues += static_cast<size_t>(nsems);
      }
      s.rows++;
      if (sh.overflow.load(std::memory_order_relaxed)) return;
    }
  }
}

}  // namespace

bool ListSemsInto(const SemDest& d, bool values, SemInPlace& out, std::vector<ItemErr>& errors, bool& statAny,
                  const std::function<void()>& before) {
  struct seminfo si{};
  const int maxidx = SemTableInfo(si, errors);
  if (maxidx < 0) return true;
  InPlaceShared sh;
  sh.d = &d;
  sh.rowsFree = static_cast<long long>(d.setCap);
  sh.valuesFree = static_cast<long long>(d.valueCap);
  const unsigned n = ScanThreads(maxidx);
  sh.rowBatch = BatchOf(d.setCap, n, 256);
  sh.valueBatch = BatchOf(d.valueCap, n, 4096);
  const int per = (maxidx + 1 + static_cast<int>(n) - 1) / static_cast<int>(n);
  // Slot ranges: the first is written forward in place, the last (with two threads or more) backward in
  // place, the ones between (more than two threads) into their own columns, copied into the gap after. With
  // two threads the first and the last share every slot, taken from both ends until they meet; with more,
  // each has its own range.
  InPlaceSlice first, last;
  std::vector<SemPart> middle(n > 2 ? n - 2 : 0);
  auto range = [&](unsigned r, int& from, int& to) {
    from = static_cast<int>(r) * per;
    to = std::min(maxidx, from + per - 1);
  };
  int from0, to0, fromN, toN;
  range(0, from0, to0);
  range(n - 1, fromN, toN);
  SlotClaims firstClaims(from0, n == 2 ? maxidx : to0), lastClaims(fromN, std::max(fromN - 1, toN));
  SlotClaims& lastFrom = n == 2 ? firstClaims : lastClaims;
  auto run = [&](unsigned r) {
    if (r == 0 || r == n - 1) {
      InPlaceSlice& s = r == 0 ? first : last;
      try {
        if (r == 0 && before) before();
        ListSemSlotsInPlace(r == 0 ? firstClaims : lastFrom, r == 0, values, sh, s);
      } catch (...) {
        s.failure = std::current_exception();
      }
      return;
    }
    int from, to;
    range(r, from, to);
    middle[r - 1].List(from, to, values, si, n);
  };
  RunOnThreads(n, run);
  if (first.failure) std::rethrow_exception(first.failure);
  if (last.failure) std::rethrow_exception(last.failure);
  for (auto& m : middle) {
    if (m.failure) std::rethrow_exception(m.failure);
  }
  if (sh.overflow.load()) return false;
  size_t midRows = 0, midValues = 0;
  for (auto& m : middle) {
    midRows += m.cols.count;
    midValues += m.cols.values.size();
  }
  if (n == 1) last = InPlaceSlice{};
  if (first.rows + midRows + last.rows > d.setCap || first.nvalues + midValues + last.nvalues > d.valueCap) return false;
  // the backward slice down behind the forward one and the middle ones, then the middle ones in the gap
  const size_t lastRow = first.rows + midRows, lastValue = first.nvalues + midValues;
  std::memmove(d.headers + lastRow * kSemStride, d.headers + (d.setCap - last.rows) * kSemStride,
               last.rows * kSemStride * sizeof(double));
  if (values) {
    std::memmove(d.values + lastValue, d.values + d.valueCap - last.nvalues, last.nvalues * sizeof(uint16_t));
  }
  out.count = first.rows;
  out.nvalues = first.nvalues;
  out.valueErrors = std::move(first.valueErrors);
  errors.insert(errors.end(), first.errors.begin(), first.errors.end());
  if (!first.statAny) statAny = false;
  for (auto& m : middle) {
    if (!m.cols.headers.empty()) {
      std::memcpy(d.headers + out.count * kSemStride, m.cols.headers.data(), m.cols.headers.size() * sizeof(double));
    }
    if (values && !m.cols.values.empty()) {
      std::memcpy(d.values + out.nvalues, m.cols.values.data(), m.cols.values.size() * sizeof(uint16_t));
    }
    for (auto& ve : m.cols.valueErrors) out.valueErrors.push_back(ValueErr{ve.set + out.count, ve.error});
    out.count += m.cols.count;
    out.nvalues += m.cols.values.size();
    errors.insert(errors.end(), m.errors.begin(), m.errors.end());
    if (!m.statAny) statAny = false;
  }
  // the backward slice's ordinals count from its highest slot
  for (auto it = last.valueErrors.rbegin(); it != last.valueErrors.rend(); ++it) {
    out.valueErrors.push_back(ValueErr{out.count + (last.rows - 1 - it->set), it->error});
  }
  errors.insert(errors.end(), last.errors.rbegin(), last.errors.rend());
  if (!last.statAny) statAny = false;
  out.count += last.rows;
  out.nvalues += last.nvalues;
  return true;
}

std::vector<int32_t> SemDetail(int id) {
  struct semid_ds ds;
  StatById(id, &ds);
  const size_t n = ds.sem_nsems;
  std::vector<unsigned short> vals(n);
  semun arg;
  arg.array = vals.data();
  if (n > 0 && semctl(id, 0, GETALL, arg) < 0) Fail(errno, "semctl", "GETALL", id);
  std::vector<int32_t> out(n * 4);
  for (size_t i = 0; i < n; i++) {
    int ncnt = semctl(id, static_cast<int>(i), GETNCNT);
    if (ncnt < 0) Fail(errno, "semctl", "GETNCNT", id);
    int zcnt = semctl(id, static_cast<int>(i), GETZCNT);
    if (zcnt < 0) Fail(errno, "semctl", "GETZCNT", id);
    int pid = semctl(id, static_cast<int>(i), GETPID);
    if (pid < 0) Fail(errno, "semctl", "GETPID", id);
    out[i * 4] = vals[i];
    out[i * 4 + 1] = ncnt;
    out[i * 4 + 2] = zcnt;
    out[i * 4 + 3] = pid;
  }
  return out;
}

namespace {

// Per-semaphore last-op pid and waiter counts (GETPID, GETNCNT, GETZCNT).
struct SemState {
  std::vector<int> pid, ncnt, zcnt;
};

SemState ReadSemState(int id, size_t n) {
  SemState s;
  s.pid.resize(n);
  s.ncnt.resize(n);
  s.zcnt.resize(n);
  for (size_t i = 0; i < n; i++) {
    const int sn = static_cast<int>(i);
    if ((s.ncnt[i] = semctl(id, sn, GETNCNT)) < 0) Fail(errno, "semctl", "GETNCNT", id);
    if ((s.zcnt[i] = semctl(id, sn, GETZCNT)) < 0) Fail(errno, "semctl", "GETZCNT", id);
    if ((s.pid[i] = semctl(id, sn, GETPID)) < 0) Fail(errno, "semctl", "GETPID", id);
  }
  return s;
}

// "" or the failed check: waiters, pids against the plan (when given) and against `ref` (the pre-lock read).
std::string CheckSemState(const SemState& s, const RemovalExpectation& e, const SemState* ref, const char* when) {
  for (size_t i = 0; i < s.pid.size(); i++) {
    if ((e.noWaiters || ref) && (s.ncnt[i] > 0 || s.zcnt[i] > 0)) {
      return std::string("waiters") + when + ": semaphore " + std::to_string(i) + " has ncount=" +
             std::to_string(s.ncnt[i]) + " zcount=" + std::to_string(s.zcnt[i]);
    }
    if (e.hasSemPids && s.pid[i] != e.semPids[i]) {
      return std::string("sempid changed") + when + ": semaphore " + std::to_string(i) + " last operated by pid " +
             std::to_string(s.pid[i]) + ", expected " + std::to_string(e.semPids[i]);
    }
    if (ref && s.pid[i] != ref->pid[i]) {
      return std::string("sempid changed") + when + ": semaphore " + std::to_string(i) + " last operated by pid " +
             std::to_string(s.pid[i]) + ", was " + std::to_string(ref->pid[i]);
    }
  }
  return "";
}

std::string OtimeChanged(long long found, long long expected, const char* when) {
  return std::string("otime changed") + when + ": expected " + std::to_string(expected) + ", found " +
         std::to_string(found) + " (someone operated on the set)";
}

}  // namespace

void RemoveSem(int id, const RemovalExpectation& e, const LockCheck& check) {
  struct semid_ds before;
  StatById(id, &before);
  const size_t n = before.sem_nsems;
  CheckKeyCtime("semctl", id, static_cast<int>(before.sem_perm.__key), static_cast<long long>(before.sem_ctime), e);
  if (e.hasSemPids && e.semPids.size() != n) {
    Changed("semctl", id, "sempid: expected " + std::to_string(e.semPids.size()) + " semaphores, the set has " +
                              std::to_string(n));
  }
  if (e.hasOtime && static_cast<long long>(before.sem_otime) != e.otime) {
    Changed("semctl", id, OtimeChanged(static_cast<long long>(before.sem_otime), e.otime, ""));
  }
  const SemState s0 = ReadSemState(id, n);
  std::string why = CheckSemState(s0, e, nullptr, "");
  if (!why.empty()) Changed("semctl", id, why);
  // LOCK -> VERIFY -> REMOVE (sysv_util.h): after the lock and the quiescence, everything again, and
  // nothing may differ from the pre-lock read (otime, every sempid, no waiters at all).
  LockVerifyRemove(
      "semctl", id, before, [](auto& d) -> auto& { return d.sem_perm; },
      [](const struct semid_ds& d) { return static_cast<long long>(d.sem_ctime); },
      [id](struct semid_ds* d) { return SemStatFor(id, IPC_STAT, d); },
      [id](struct semid_ds* d) { return SemStatFor(id, IPC_SET, d); },
      [id] { return semctl(id, 0, IPC_RMID); },
      [&](const struct semid_ds& locked) -> std::string {
        if (locked.sem_nsems != n) return "nsems changed while locked";
        if (locked.sem_otime != before.sem_otime) {
          return OtimeChanged(static_cast<long long>(locked.sem_otime), static_cast<long long>(before.sem_otime),
                              " while locking");
        }
        return CheckSemState(ReadSemState(id, n), e, &s0, " while locking");
      },
      check);
}

void RestoreSem(int id, const LockedObject& l) {
  RestoreLocked<struct semid_ds>(
      "semctl", id, [](auto& d) -> auto& { return d.sem_perm; },
      [](const struct semid_ds& d) { return static_cast<long long>(d.sem_ctime); },
      [id](struct semid_ds* d) { return SemStatFor(id, IPC_STAT, d); },
      [id](struct semid_ds* d) { return SemStatFor(id, IPC_SET, d); },
      l);
}

}  // namespace ipcx

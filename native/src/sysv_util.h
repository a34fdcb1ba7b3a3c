// Small helpers shared by the sysv_*.cc files (no N-API).
#pragma once

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <linux/membarrier.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <atomic>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "ipc_core.h"

namespace ipcx {

// semctl(2)'s fourth argument: glibc leaves defining it to the caller.
union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
  struct seminfo* __buf;
};

inline OpError Err(int err, const char* syscall, const char* op, long long id) {
  OpError e;
  e.err = err;
  e.syscall = syscall;
  e.op = op;
  e.id = id;
  return e;
}

[[noreturn]] inline void Fail(int err, const char* syscall, const char* op, long long id) {
  throw OpFailure{Err(err, syscall, op, id)};
}

// A guarded removal refused: code ECHANGED, the message names the check.
[[noreturn]] inline void Changed(const char* syscall, long long id, const std::string& what) {
  OpError e = Err(0, syscall, "IPC_RMID", id);
  e.code = "ECHANGED";
  e.detail = "refused, " + what;
  throw OpFailure{e};
}

// The columns every System V row starts with: id, key, uid, gid, cuid, cgid, and the mode bits `modeMask` keeps.
inline void PermColumns(int id, const struct ipc_perm& p, unsigned modeMask, double* h) {
  h[0] = id;
  h[1] = static_cast<int>(p.__key);
  h[2] = p.uid;
  h[3] = p.gid;
  h[4] = p.cuid;
  h[5] = p.cgid;
  h[6] = p.mode & modeMask;
}

inline std::string Oct(unsigned v) {
  char b[16];
  std::snprintf(b, sizeof b, "%03o", v);
  return b;
}

inline std::string SysErrText(int err) { return std::strerror(err); }

inline std::string Hex32(int key) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", static_cast<unsigned>(key));
  return b;
}

// Checks shared by every kind: key and ctime.
inline void CheckKeyCtime(const char* syscall, long long id, int key, long long ctime, const RemovalExpectation& e) {
  if (key != e.key) Changed(syscall, id, "key changed: expected " + Hex32(e.key) + ", found " + Hex32(key));
  if (ctime != e.ctime) {
    Changed(syscall, id, "ctime changed: expected " + std::to_string(e.ctime) + ", found " + std::to_string(ctime) +
                             " (the object was changed or replaced)");
  }
}

// "" when the plan did not record the field or it still holds; else "shm lpid changed 0 -> 4123".
inline std::string FieldChanged(const char* kind, const char* name, const RemovalExpectation::Field& f,
                                long long found) {
  if (!f.has || f.value == found) return "";
  return std::string(kind) + " " + name + " changed " + std::to_string(f.value) + " -> " + std::to_string(found);
}

// "" or "<kind> <name> changed while locking <was> -> <found>" (the pre-lock read against the locked one).
inline std::string ChangedWhileLocked(const char* kind, const char* name, long long was, long long found) {
  if (was == found) return "";
  return std::string(kind) + " " + name + " changed while locking " + std::to_string(was) + " -> " +
         std::to_string(found);
}

// Waits until every System V operation that passed its permission check before this call has finished.
// semop/semtimedop, SETVAL/SETALL, shmat and msgrcv check the mode (ipcperms) under rcu_read_lock() before
// they take the object's lock, so an IPC_SET that takes permission away does not stop a call that is already
// past its check. membarrier(MEMBARRIER_CMD_GLOBAL) returns after an RCU grace period (synchronize_rcu on
// more than one CPU), i.e. after every such reader has left its read-side section: such a call has then
// either completed (its sempid/otime/nattch/lspid... are visible) or is queued as a visible waiter. Where the
// command is unavailable (nohz_full kernels return EINVAL, ENOSYS without CONFIG_MEMBARRIER) it falls back to
// a 50 ms sleep, which is much longer than the few instructions between the check and the lock but not a proof
// (the README says so).
inline void QuiesceIpcOps() {
  if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0) return;
  struct timespec ts = {0, 50 * 1000 * 1000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

// LOCK -> VERIFY -> REMOVE, shared by the three kinds. `before` is the IPC_STAT that passed the identity
// checks (key, ctime, expectations). The object's mode is set to 0 with IPC_SET (uid and gid kept), so from
// then on no process without CAP_IPC_OWNER can operate on it (semop needs alter, shmat read, msgsnd write,
// msgrcv read permission; every call checks); root bypasses permission checks and cannot be fenced. If the
// caller itself then cannot read the object (a non-root owner), the lock is 0400 instead (only the owner uid
// may read: IPC_STAT/GETPID/wait-for-zero, no alter). After QuiesceIpcOps, `verify(locked)` re-reads
// everything and returns "" or the failed check; on a change, or any failure after the lock, the original
// mode is restored (only if the permissions are still exactly our lock: a concurrent IPC_SET by the owner
// wins) and the removal is refused. IPC_SET updates ctime, so the ctime recorded after our own IPC_SET is the
// reference from then on, together with mode, uid and gid (an IPC_SET by someone else shows in one of them).
// `check` (may be empty): the caller's own check, right before the lock ("beforeLock": a non-empty answer
// refuses with nothing changed) and after `verify` passed, still under the lock ("afterLock": refuses like a
// failed verify).
template <typename Ds, typename Perm, typename Ctime, typename Stat, typename Set, typename Rmid, typename Verify>
void LockVerifyRemove(const char* syscall, int id, const Ds& before, Perm perm, Ctime ctimeOf, Stat stat, Set set,
                      Rmid rmid, Verify verify, const LockCheck& check) {
  const unsigned origMode = perm(before).mode & 0777;
  auto withMode = [&](unsigned mode) {
    Ds d = before;
    perm(d).mode = mode;
    return d;
  };
  if (check) {
    std::string w = check("beforeLock");
    if (!w.empty()) Changed(syscall, id, w);
  }
  unsigned lockMode = 0;
  Ds lk = withMode(lockMode);
  if (set(&lk) < 0) {
    OpError err = Err(errno, syscall, "IPC_SET", id);
    err.detail = std::string("cannot lock the object before removal (IPC_SET mode 0): ") + SysErrText(err.err) +
                 "; nothing was removed";
    throw OpFailure{err};
  }
  auto stillOurLock = [&](const Ds& d) {
    return (perm(d).mode & 0777) == lockMode && perm(d).uid == perm(before).uid && perm(d).gid == perm(before).gid;
  };
  auto restore = [&]() -> std::string {
    Ds now;
    if (stat(&now) < 0) return " (the object is gone)";
    if (!stillOurLock(now)) return " (its permissions were changed by someone else meanwhile; left as they are)";
    Ds orig = withMode(origMode);
    if (set(&orig) < 0) return std::string("; restoring mode 0") + Oct(origMode) + " failed: " + SysErrText(errno);
    return "; mode restored to 0" + Oct(origMode);
  };
  try {
    QuiesceIpcOps();
    Ds locked;
    if (stat(&locked) < 0) {
      if (errno != EACCES) Fail(errno, syscall, "IPC_STAT", id);
      // a non-root owner cannot read its own object at mode 0: lock with owner-read only
      lockMode = 0400;
      Ds lk2 = withMode(lockMode);
      if (set(&lk2) < 0) Fail(errno, syscall, "IPC_SET", id);
      QuiesceIpcOps();
      if (stat(&locked) < 0) Fail(errno, syscall, "IPC_STAT", id);
    }
    if (perm(locked).__key != perm(before).__key) Changed(syscall, id, "key changed while locking" + restore());
    if (!stillOurLock(locked)) {
      Changed(syscall, id, "permissions changed by someone else (a concurrent IPC_SET) while locking" + restore());
    }
    const long long lockedCtime = ctimeOf(locked);
    std::string why = verify(locked);
    if (why.empty() && check) why = check("afterLock");
    if (why.empty()) {
      Ds last;
      if (stat(&last) < 0) Fail(errno, syscall, "IPC_STAT", id);
      if (!stillOurLock(last) || ctimeOf(last) != lockedCtime) {
        why = "changed by someone else while locked (IPC_SET: mode/uid/gid or ctime differ from our lock)";
      }
    }
    if (!why.empty()) Changed(syscall, id, why + restore());
  } catch (const OpFailure& f) {
    if (f.error.code != "ECHANGED") {
      OpError err = f.error;
      std::string r = restore();
      err.detail = (err.detail.empty() ? SysErrText(err.err) : err.detail) + "; nothing was removed" + r;
      throw OpFailure{err};
    }
    throw;
  }
  if (rmid() < 0) {
    OpError err = Err(errno, syscall, "IPC_RMID", id);
    err.detail = SysErrText(err.err);
    err.detail += restore();
    throw OpFailure{err};
  }
}

// Puts back the mode of an object a crashed recycle left locked (ipc_core.h RestoreSem/Shm/Msg).
template <typename Ds, typename Perm, typename Ctime, typename Stat, typename Set>
void RestoreLocked(const char* syscall, int id, Perm perm, Ctime ctimeOf, Stat stat, Set set, const LockedObject& l) {
  Ds now;
  if (stat(&now) < 0) {
    OpError err = Err(errno, syscall, "IPC_STAT", id);
    if (err.err == EACCES) {
      err.detail = "cannot read the locked object (its mode is 0): only root (CAP_IPC_OWNER) can verify and restore it";
    }
    throw OpFailure{err};
  }
  const unsigned m = perm(now).mode & 0777;
  if (static_cast<int>(perm(now).__key) != l.key) {
    Changed(syscall, id, "key changed: expected " + Hex32(l.key) + ", found " + Hex32(perm(now).__key) + " (another object)");
  }
  if (perm(now).uid != l.uid || perm(now).gid != l.gid) Changed(syscall, id, "owner changed since the lock");
  if (m != 0 && m != 0400) Changed(syscall, id, "not locked any more (mode 0" + Oct(m) + ")");
  if (ctimeOf(now) != l.ctime) {
    Changed(syscall, id, "ctime changed: expected " + std::to_string(l.ctime) + ", found " +
                             std::to_string(ctimeOf(now)) + " (changed since it was checked)");
  }
  Ds r = now;
  perm(r).mode = l.mode & 0777;
  if (set(&r) < 0) Fail(errno, syscall, "IPC_SET", id);
}

// Tracks whether *_STAT_ANY works on this kernel (Linux >= 4.17); falls back to *_STAT on EINVAL.
// Returns the id, or -1 with errno set. `op` receives the name of the command that produced the result.
template <typename StatFn>
int StatSlot(int idx, int& anyState, bool& statAny, const char*& op, const char* anyName, const char* plainName,
             StatFn stat, int anyCmd, int plainCmd) {
  if (anyState >= 0) {
    op = anyName;
    int id = stat(idx, anyCmd);
    if (id >= 0) {
      anyState = 1;
      return id;
    }
    if (errno != EINVAL || anyState == 1) return -1;
    // Unknown yet: an empty slot, or a kernel without *_STAT_ANY? Ask *_STAT once.
    int id2 = stat(idx, plainCmd);
    int e2 = errno;
    if (id2 >= 0 || e2 == EACCES) {
      anyState = -1;
      statAny = false;
      op = plainName;
      errno = e2;
      return id2;
    }
    errno = EINVAL;
    return -1;
  }
  op = plainName;
  return stat(idx, plainCmd);
}

/**
 * The cores a listing plans its threads for: std::thread::hardware_concurrency(), or IPCX_NATIVE_CORES (a
 * whole number 1-64) when set, so that tests on a machine of one kind run the paths a machine with more or
 * fewer cores takes. Read once per process.
 */
inline unsigned ScanCores() {
  static const unsigned cores = [] {
    const char* e = std::getenv("IPCX_NATIVE_CORES");
    if (e != nullptr && *e != '\0') {
      char* end = nullptr;
      const long n = std::strtol(e, &end, 10);
      if (*end == '\0' && n >= 1 && n <= 64) return static_cast<unsigned>(n);
    }
    return std::thread::hardware_concurrency();
  }();
  return cores;
}

/**
 * The CPUs other than the calling thread's that this process may run on, in order (empty when it may run on
 * one only, or its mask cannot be read); `allowed` receives the whole mask.
 */
inline std::vector<int> OtherCpus(cpu_set_t& allowed) {
  std::vector<int> out;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return out;
  const int here = sched_getcpu();
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (CPU_ISSET(c, &allowed) && c != here) out.push_back(c);
  }
  return out;
}

/**
 * fn(0) .. fn(n - 1), each but the first on a thread of its own; returns when all have. A thread that cannot
 * be made (a user at its process limit: EAGAIN) leaves its part, and the later ones, to this thread. fn must
 * not throw (an exception leaving a thread ends the process): it keeps its failure for the caller.
 *
 * Each new thread starts on another CPU than this one, then may run on any the process may. Left to itself,
 * the kernel puts a new thread on its creator's CPU whenever the other CPUs are busy at that instant (on two
 * cores: the extension host's JS thread, for a moment), and an idle CPU that was idle only briefly does not
 * pull it over: on a two-core machine the second thread of a 20 ms listing started 0.2-4.4 ms late, both
 * queued on one CPU, in half the listings. Started on the other CPU, it began within 0.3 ms in every one.
 */
template <typename F>
void RunOnThreads(unsigned n, F&& fn) {
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  cpu_set_t allowed;
  const std::vector<int> others = n > 1 ? OtherCpus(allowed) : std::vector<int>();
  // how many threads have their first CPU set: a thread widens its mask only after its creator chose it
  std::atomic<unsigned> placed{0};
  unsigned started = 1;
  for (; started < n; started++) {
    try {
      if (others.empty()) {
        threads.emplace_back(fn, started);
        continue;
      }
      threads.emplace_back([&fn, &placed, &allowed, t = started]() {
        while (placed.load(std::memory_order_acquire) < t) sched_yield();
        sched_setaffinity(0, sizeof allowed, &allowed);
        fn(t);
      });
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(others[(started - 1) % others.size()], &one);
      pthread_setaffinity_np(threads.back().native_handle(), sizeof one, &one);  // a failure leaves it where it is
      placed.store(started, std::memory_order_release);
    } catch (const std::system_error&) {
      break;
    }
  }
  fn(0);
  for (unsigned t = started; t < n; t++) fn(t);
  for (auto& th : threads) th.join();
}

}  // namespace ipcx

// System V shared memory: enumeration (IPC_INFO + SHM_STAT_ANY, or SHM_STAT before Linux 4.17), a read-only
// peek at a segment's first bytes, and guarded removal.
#include <sys/ipc.h>
#include <sys/shm.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <string>

#include "ipc_core.h"
#include "sysv_util.h"

namespace ipcx {

namespace {

void StatById(int id, struct shmid_ds* ds) {
  if (shmctl(id, IPC_STAT, ds) < 0) Fail(errno, "shmctl", "IPC_STAT", id);
}

void ShmRow(int id, const struct shmid_ds& ds, double* h) {
  PermColumns(id, ds.shm_perm, (0777 | SHM_DEST | SHM_LOCKED), h);
  h[7] = ClampU64(ds.shm_segsz, nullptr);
  h[8] = ds.shm_cpid;
  h[9] = ds.shm_lpid;
  h[10] = static_cast<double>(ds.shm_nattch);
  h[11] = static_cast<double>(ds.shm_atime);
  h[12] = static_cast<double>(ds.shm_dtime);
  h[13] = static_cast<double>(ds.shm_ctime);
}

// Every field the plan recorded, against `ds`: "" or the first difference.
std::string ShmFieldsChanged(const struct shmid_ds& ds, const RemovalExpectation& e) {
  std::string w;
  if (!(w = FieldChanged("shm", "nattch", e.nattch, static_cast<long long>(ds.shm_nattch))).empty()) return w;
  if (!(w = FieldChanged("shm", "cpid", e.cpid, ds.shm_cpid)).empty()) return w;
  if (!(w = FieldChanged("shm", "lpid", e.lpid, ds.shm_lpid)).empty()) return w;
  if (!(w = FieldChanged("shm", "atime", e.atime, static_cast<long long>(ds.shm_atime))).empty()) return w;
  return FieldChanged("shm", "dtime", e.dtime, static_cast<long long>(ds.shm_dtime));
}

}  // namespace

std::vector<double> StatShm(int id) {
  struct shmid_ds ds;
  StatById(id, &ds);
  std::vector<double> h(kShmStride);
  ShmRow(id, ds, h.data());
  return h;
}

void ListShms(Columns& out, std::vector<ItemErr>& errors, bool& statAny) {
  // IPC_INFO gives the highest slot in use as SHM_INFO does, without SHM_INFO's walk over every segment to
  // sum resident and swapped pages (2.3 ms at 4,096 segments; limits() reads them when asked, for the metrics)
  struct shminfo si{};
  int maxidx = shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&si));
  if (maxidx < 0) {
    errors.push_back(ItemErr{'m', -1, Err(errno, "shmctl", "IPC_INFO", -1)});
    return;
  }
  out.headers.reserve(std::min<size_t>(static_cast<size_t>(maxidx) + 1, 65536) * kShmStride);
  int anyState = 0;
  struct shmid_ds ds;
  auto stat = [&ds](int idx, int cmd) { return shmctl(idx, cmd, &ds); };
  for (int idx = 0; idx <= maxidx; idx++) {
    const char* op = "SHM_STAT_ANY";
    int id = StatSlot(idx, anyState, statAny, op, "SHM_STAT_ANY", "SHM_STAT", stat, SHM_STAT_ANY, SHM_STAT);
    if (id < 0) {
      int e = errno;
      if (e == EINVAL || e == EIDRM) continue;
      errors.push_back(ItemErr{'m', idx, Err(e, "shmctl", op, -1)});
      continue;
    }
    size_t at = out.headers.size();
    out.headers.resize(at + kShmStride);
    ShmRow(id, ds, out.headers.data() + at);
    out.count++;
  }
}

std::vector<uint8_t> ShmPeek(int id, size_t length) {
  struct shmid_ds ds;
  StatById(id, &ds);
  void* p = shmat(id, nullptr, SHM_RDONLY);
  if (p == reinterpret_cast<void*>(-1)) Fail(errno, "shmat", "SHM_RDONLY", id);
  // Our attach and detach overwrite lpid/atime/dtime, which would hide another process's attach + detach in
  // between. Bracket the read: right after our attach and right before our detach, lpid must be ours and
  // nattch the same (any other attach or detach sets lpid to that process); else the peek is refused, so the
  // caller records nothing and a later removal sees the change. Left open: an attach + detach by another
  // process entirely between the second IPC_STAT and our shmdt (two consecutive system calls).
  const pid_t self = getpid();
  struct shmid_ds a, b;
  bool clean = shmctl(id, IPC_STAT, &a) == 0 && a.shm_lpid == self;
  size_t n = std::min(length, static_cast<size_t>(ds.shm_segsz));
  std::vector<uint8_t> out(n);
  if (n) std::memcpy(out.data(), p, n);
  clean = clean && shmctl(id, IPC_STAT, &b) == 0 && b.shm_lpid == self && b.shm_nattch == a.shm_nattch;
  if (shmdt(p) < 0) Fail(errno, "shmdt", "", id);
  if (!clean) {
    OpError e = Err(0, "shmat", "SHM_RDONLY", id);
    e.code = "ECHANGED";
    e.detail = "another process attached or detached while its header was read";
    throw OpFailure{e};
  }
  return out;
}

void RemoveShm(int id, const RemovalExpectation& e, const LockCheck& check) {
  struct shmid_ds before;
  StatById(id, &before);
  CheckKeyCtime("shmctl", id, static_cast<int>(before.shm_perm.__key), static_cast<long long>(before.shm_ctime), e);
  if (e.nattchZero && before.shm_nattch != 0) {
    Changed("shmctl", id, "nattch: " + std::to_string(static_cast<unsigned long>(before.shm_nattch)) +
                              " attachment(s), expected none");
  }
  std::string pre = ShmFieldsChanged(before, e);
  if (!pre.empty()) Changed("shmctl", id, pre);
  // LOCK -> VERIFY -> REMOVE (sysv_util.h): shmat needs read (SHM_RDONLY) or read+write permission. After
  // the lock, every field again, against the pre-lock read (which matched the plan): an attach or a detach
  // in between moves nattch, lpid, atime or dtime.
  LockVerifyRemove(
      "shmctl", id, before, [](auto& d) -> auto& { return d.shm_perm; },
      [](const struct shmid_ds& d) { return static_cast<long long>(d.shm_ctime); },
      [id](struct shmid_ds* d) { return shmctl(id, IPC_STAT, d); },
      [id](struct shmid_ds* d) { return shmctl(id, IPC_SET, d); }, [id] { return shmctl(id, IPC_RMID, nullptr); },
      [&](const struct shmid_ds& locked) -> std::string {
        std::string w;
        if (!(w = ChangedWhileLocked("shm", "nattch", static_cast<long long>(before.shm_nattch),
                                     static_cast<long long>(locked.shm_nattch))).empty()) return w;
        if (!(w = ChangedWhileLocked("shm", "cpid", before.shm_cpid, locked.shm_cpid)).empty()) return w;
        if (!(w = ChangedWhileLocked("shm", "lpid", before.shm_lpid, locked.shm_lpid)).empty()) return w;
        if (!(w = ChangedWhileLocked("shm", "atime", static_cast<long long>(before.shm_atime),
                                     static_cast<long long>(locked.shm_atime))).empty()) return w;
        return ChangedWhileLocked("shm", "dtime", static_cast<long long>(before.shm_dtime),
                                  static_cast<long long>(locked.shm_dtime));
      },
      check);
}

void RestoreShm(int id, const LockedObject& l) {
  RestoreLocked<struct shmid_ds>(
      "shmctl", id, [](auto& d) -> auto& { return d.shm_perm; },
      [](const struct shmid_ds& d) { return static_cast<long long>(d.shm_ctime); },
      [id](struct shmid_ds* d) { return shmctl(id, IPC_STAT, d); }, [id](struct shmid_ds* d) { return shmctl(id, IPC_SET, d); }, l);
}

}  // namespace ipcx

// System V shared memory: enumeration (SHM_INFO + SHM_STAT_ANY, or SHM_STAT before Linux 4.17), a read-only
// peek at a segment's first bytes, and guarded removal.
#include <sys/ipc.h>
#include <sys/shm.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ipc_core.h"
#include "sysv_util.h"

namespace ipcx {

namespace {

void StatById(int id, struct shmid_ds* ds) {
  if (shmctl(id, IPC_STAT, ds) < 0) Fail(errno, "shmctl", "IPC_STAT", id);
}

}  // namespace

void ListShms(Columns& out, std::vector<ItemErr>& errors, bool& statAny) {
  struct shm_info si{};
  int maxidx = shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&si));
  if (maxidx < 0) {
    errors.push_back(ItemErr{'m', -1, Err(errno, "shmctl", "SHM_INFO", -1)});
    return;
  }
  out.headers.reserve((static_cast<size_t>(si.used_ids) + 16) * kShmStride);
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
    double* h = out.headers.data() + at;
    h[0] = id;
    h[1] = static_cast<int>(ds.shm_perm.__key);
    h[2] = ds.shm_perm.uid;
    h[3] = ds.shm_perm.gid;
    h[4] = ds.shm_perm.cuid;
    h[5] = ds.shm_perm.cgid;
    h[6] = ds.shm_perm.mode & (0777 | SHM_DEST | SHM_LOCKED);
    h[7] = ClampU64(ds.shm_segsz, nullptr);
    h[8] = ds.shm_cpid;
    h[9] = ds.shm_lpid;
    h[10] = static_cast<double>(ds.shm_nattch);
    h[11] = static_cast<double>(ds.shm_atime);
    h[12] = static_cast<double>(ds.shm_dtime);
    h[13] = static_cast<double>(ds.shm_ctime);
    out.count++;
  }
}

std::vector<uint8_t> ShmPeek(int id, size_t length) {
  struct shmid_ds ds;
  StatById(id, &ds);
  void* p = shmat(id, nullptr, SHM_RDONLY);
  if (p == reinterpret_cast<void*>(-1)) Fail(errno, "shmat", "SHM_RDONLY", id);
  size_t n = std::min(length, static_cast<size_t>(ds.shm_segsz));
  std::vector<uint8_t> out(n);
  if (n) std::memcpy(out.data(), p, n);
  if (shmdt(p) < 0) Fail(errno, "shmdt", "", id);
  return out;
}

void RemoveShm(int id, const RemovalExpectation& e) {
  struct shmid_ds before;
  StatById(id, &before);
  CheckKeyCtime("shmctl", id, static_cast<int>(before.shm_perm.__key), static_cast<long long>(before.shm_ctime), e);
  if (e.nattchZero && before.shm_nattch != 0) {
    Changed("shmctl", id, "nattch: " + std::to_string(static_cast<unsigned long>(before.shm_nattch)) +
                              " attachment(s), expected none");
  }
  // LOCK -> VERIFY -> REMOVE (sysv_util.h): shmat needs read (SHM_RDONLY) or read+write permission.
  LockVerifyRemove(
      "shmctl", id, before, [](auto& d) -> auto& { return d.shm_perm; },
      [](const struct shmid_ds& d) { return static_cast<long long>(d.shm_ctime); },
      [id](struct shmid_ds* d) { return shmctl(id, IPC_STAT, d); },
      [id](struct shmid_ds* d) { return shmctl(id, IPC_SET, d); }, [id] { return shmctl(id, IPC_RMID, nullptr); },
      [&](const struct shmid_ds& locked) -> std::string {
        if (locked.shm_nattch != before.shm_nattch) {
          return "nattch changed while locking: " + std::to_string(static_cast<unsigned long>(locked.shm_nattch)) +
                 " attachment(s), was " + std::to_string(static_cast<unsigned long>(before.shm_nattch));
        }
        if (locked.shm_lpid != before.shm_lpid || locked.shm_atime != before.shm_atime ||
            locked.shm_dtime != before.shm_dtime) {
          return "attached or detached while locking: lpid " + std::to_string(locked.shm_lpid) + " (was " +
                 std::to_string(before.shm_lpid) + "), atime/dtime changed";
        }
        return "";
      });
}

}  // namespace ipcx

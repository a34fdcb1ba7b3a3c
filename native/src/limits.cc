// Limits (IPC_INFO for each kind) and usage (SEM_INFO, SHM_INFO, MSG_INFO). The /proc/sys files that have
// no syscall (shm_rmid_forced, fs/mqueue/*) are read by the TypeScript wrapper.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>

#include "ipc_core.h"
#include "sysv_util.h"

namespace ipcx {

namespace {
constexpr unsigned long long kMaxSafe = (1ULL << 53) - 1;
}  // namespace

double ClampU64(unsigned long long v, bool* clamped) {
  if (v > kMaxSafe) {
    if (clamped) *clamped = true;
    return static_cast<double>(kMaxSafe);
  }
  if (clamped) *clamped = false;
  return static_cast<double>(v);
}

void ProbeSysv() {
  struct seminfo si{};
  semun arg;
  arg.__buf = &si;
  if (semctl(0, 0, IPC_INFO, arg) < 0) Fail(errno, "semctl", "IPC_INFO", -1);
  struct shminfo shi{};
  if (shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&shi)) < 0) Fail(errno, "shmctl", "IPC_INFO", -1);
  struct msginfo mi{};
  if (msgctl(0, IPC_INFO, reinterpret_cast<struct msqid_ds*>(&mi)) < 0) Fail(errno, "msgctl", "IPC_INFO", -1);
}

Limits ReadLimits(bool shmInfo) {
  Limits l;
  struct seminfo si{};
  semun arg;
  arg.__buf = &si;
  if (semctl(0, 0, IPC_INFO, arg) < 0) Fail(errno, "semctl", "IPC_INFO", -1);
  l.semmsl = si.semmsl;
  l.semmns = si.semmns;
  l.semopm = si.semopm;
  l.semmni = si.semmni;
  l.semvmx = si.semvmx;
  struct seminfo su{};
  arg.__buf = &su;
  if (semctl(0, 0, SEM_INFO, arg) < 0) Fail(errno, "semctl", "SEM_INFO", -1);
  l.semSets = su.semusz;
  l.semTotal = su.semaem;

  struct shminfo shi{};
  if (shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&shi)) < 0) Fail(errno, "shmctl", "IPC_INFO", -1);
  bool c = false;
  l.shmmax = ClampU64(shi.shmmax, &c);
  if (c) l.unlimited.push_back("shmmax");
  l.shmall = ClampU64(shi.shmall, &c);
  if (c) l.unlimited.push_back("shmall");
  l.shmmni = ClampU64(shi.shmmni, nullptr);
  l.shmmin = ClampU64(shi.shmmin, nullptr);
  l.shmInfo = shmInfo;
  if (shmInfo) {
    struct shm_info shu{};
    if (shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&shu)) < 0) Fail(errno, "shmctl", "SHM_INFO", -1);
    l.shmSegments = shu.used_ids;
    l.shmPages = ClampU64(shu.shm_tot, nullptr);
    l.shmRssPages = ClampU64(shu.shm_rss, nullptr);
    l.shmSwapPages = ClampU64(shu.shm_swp, nullptr);
  }

  struct msginfo mi{};
  if (msgctl(0, IPC_INFO, reinterpret_cast<struct msqid_ds*>(&mi)) < 0) Fail(errno, "msgctl", "IPC_INFO", -1);
  l.msgmax = mi.msgmax;
  l.msgmnb = mi.msgmnb;
  l.msgmni = mi.msgmni;
  struct msginfo mu{};
  if (msgctl(0, MSG_INFO, reinterpret_cast<struct msqid_ds*>(&mu)) < 0) Fail(errno, "msgctl", "MSG_INFO", -1);
  l.msgQueues = mu.msgpool;
  l.msgMessages = mu.msgmap;
  l.msgBytes = mu.msgtql;

  long ps = sysconf(_SC_PAGESIZE);
  l.pageSize = ps > 0 ? static_cast<double>(ps) : 4096;
  return l;
}

}  // namespace ipcx

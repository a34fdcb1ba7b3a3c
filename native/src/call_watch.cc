// Counting System V calls on one object system-wide while a guarded removal runs: a perf tracepoint counter
// (syscalls:sys_enter_msgrcv / sys_enter_msgsnd, filtered on the object's id) on every online CPU.
//
// Why: IPC_SET on a queue wakes every process sleeping in msgrcv/msgsnd on it (ipc/msg.c msgctl_down:
// expunge_all(-EAGAIN), ss_wakeup), and a non-root one then fails its permission re-check with EACCES. A
// process that starts waiting after the last /proc scan and before the lock leaves no trace in the queue's
// header and is gone from the waiters once woken. A counter enabled before that scan counts every such call
// as it enters the kernel, whoever makes it; the caller refuses the removal when the count is not 0.
// Limits (the caller words them): the kernel does not trace compat (32-bit) system calls, and a CPU brought
// online after the counters were opened has none (the online set is compared at every read).
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "ipc_core.h"
#include "sysv_util.h"

namespace ipcx {

namespace {

struct Watch {
  std::vector<int> fds;
  std::string online;
};

std::map<int, Watch>& Watches() {
  static std::map<int, Watch> w;
  return w;
}
int nextHandle = 1;

std::string ReadOnline() {
  int fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char b[512];
  ssize_t n = read(fd, b, sizeof b - 1);
  close(fd);
  if (n <= 0) return "";
  return std::string(b, static_cast<size_t>(n));
}

// "0-3,5,7-8\n" -> {0,1,2,3,5,7,8}; empty on a malformed list.
std::vector<int> ParseCpuList(const std::string& s) {
  std::vector<int> out;
  size_t i = 0;
  while (i < s.size() && s[i] != '\n') {
    char* end = nullptr;
    long a = std::strtol(s.c_str() + i, &end, 10);
    if (end == s.c_str() + i || a < 0 || a > 65535) return {};
    long b = a;
    i = static_cast<size_t>(end - s.c_str());
    if (i < s.size() && s[i] == '-') {
      i++;
      b = std::strtol(s.c_str() + i, &end, 10);
      if (end == s.c_str() + i || b < a || b > 65535) return {};
      i = static_cast<size_t>(end - s.c_str());
    }
    for (long c = a; c <= b; c++) out.push_back(static_cast<int>(c));
    if (i < s.size() && s[i] == ',') i++;
  }
  return out;
}

void CloseAll(std::vector<int>& fds) {
  for (int fd : fds) close(fd);
  fds.clear();
}

[[noreturn]] void WatchFail(int err, const char* op, const std::string& detail) {
  OpError e = Err(err, "perf_event_open", op, -1);
  e.detail = detail;
  throw OpFailure{e};
}

}  // namespace

int WatchCalls(const std::vector<long long>& tracepoints, const std::string& filter) {
  Watch w;
  w.online = ReadOnline();
  std::vector<int> cpus = ParseCpuList(w.online);
  if (cpus.empty()) WatchFail(EIO, "open", "cannot read the online CPUs (/sys/devices/system/cpu/online)");
  for (long long tp : tracepoints) {
    for (int cpu : cpus) {
      struct perf_event_attr a;
      std::memset(&a, 0, sizeof a);
      a.type = PERF_TYPE_TRACEPOINT;
      a.size = sizeof a;
      a.config = static_cast<uint64_t>(tp);
      a.disabled = 1;
      a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
      int fd = static_cast<int>(syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
      if (fd < 0) {
        int err = errno;
        CloseAll(w.fds);
        WatchFail(err, "open", std::string("cannot count system calls on CPU ") + std::to_string(cpu) + ": " + SysErrText(err));
      }
      w.fds.push_back(fd);
      if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter.c_str()) < 0) {
        int err = errno;
        CloseAll(w.fds);
        WatchFail(err, "PERF_EVENT_IOC_SET_FILTER", "cannot filter the counter (" + filter + "): " + SysErrText(err));
      }
    }
  }
  // enabled last, all of them, before returning: from here every matching call entering the kernel counts
  for (int fd : w.fds) {
    if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
      int err = errno;
      CloseAll(w.fds);
      WatchFail(err, "PERF_EVENT_IOC_ENABLE", std::string("cannot enable the counter: ") + SysErrText(err));
    }
  }
  int h = nextHandle++;
  Watches()[h] = std::move(w);
  return h;
}

// The number of matching calls since WatchCalls, or -1 when the count cannot be trusted (a counter that did
// not count the whole time, or the set of online CPUs changed).
long long WatchCount(int handle) {
  auto it = Watches().find(handle);
  if (it == Watches().end()) WatchFail(EBADF, "read", "no such call watch");
  long long total = 0;
  for (int fd : it->second.fds) {
    uint64_t v[3] = {0, 0, 0};
    if (read(fd, v, sizeof v) != static_cast<ssize_t>(sizeof v)) return -1;
    if (v[1] != v[2]) return -1;
    total += static_cast<long long>(v[0]);
  }
  if (ReadOnline() != it->second.online) return -1;
  return total;
}

void WatchClose(int handle) {
  auto it = Watches().find(handle);
  if (it == Watches().end()) return;
  CloseAll(it->second.fds);
  Watches().erase(it);
}

}  // namespace ipcx

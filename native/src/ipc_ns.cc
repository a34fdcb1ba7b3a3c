#include "ipc_ns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "sysv_util.h"

namespace ipcx {

namespace {

uint64_t InoOfFd(int fd) {
  struct stat st{};
  if (fstat(fd, &st) < 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

uint64_t InoOfPath(const char* p) {
  struct stat st{};
  if (stat(p, &st) < 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

OpError NsErr(int err, const char* syscall, const std::string& detail) {
  OpError e = Err(err, syscall, "CLONE_NEWIPC", -1);
  e.detail = detail;
  return e;
}

struct Rendezvous {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  const char* phase = nullptr;
  bool answered = false;
  std::string answer;
};

uint64_t OpenChecked(const std::string& path, uint64_t expectIno, int* fdOut) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    throw OpFailure{NsErr(err, "open", path + ": " + SysErrText(err) +
                                           (err == ENOENT || err == ESRCH ? " (its processes exited: the namespace is gone)" : ""))};
  }
  uint64_t ino = InoOfFd(fd);
  if (expectIno != 0 && ino != expectIno) {
    close(fd);
    OpError e = NsErr(0, "open", "");
    e.code = "ECHANGED";
    e.detail = path + " is now ipc:[" + std::to_string(ino) + "], not ipc:[" + std::to_string(expectIno) +
               "] (the pid was reused by a process of another namespace)";
    throw OpFailure{e};
  }
  *fdOut = fd;
  return ino;
}

}  // namespace

NsTrace RunInIpcNamespace(const std::string& path, uint64_t expectIno,
                          const std::function<void(const std::function<std::string(const char*)>& ask)>& fn,
                          const NsServe& serve) {
  int target = -1;
  uint64_t targetIno = OpenChecked(path, expectIno, &target);
  NsTrace trace;
  bool failed = false;
  OpError failure;
  std::exception_ptr other;
  Rendezvous rv;

  auto ask = [&](const char* phase) -> std::string {
    if (!serve) return "";
    std::unique_lock<std::mutex> lk(rv.m);
    rv.phase = phase;
    rv.answered = false;
    rv.cv.notify_all();
    rv.cv.wait(lk, [&] { return rv.answered; });
    return rv.answer;
  };

  std::thread worker([&] {
    int self = open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
      int err = errno;
      failed = true;
      failure = NsErr(err, "open", std::string("/proc/thread-self/ns/ipc: ") + SysErrText(err));
    } else {
      trace.before = InoOfFd(self);
      if (setns(target, CLONE_NEWIPC) < 0) {
        int err = errno;
        failed = true;
        failure = NsErr(err, "setns", path + ": " + SysErrText(err) +
                                          (err == EPERM ? " (entering another IPC namespace needs CAP_SYS_ADMIN)" : ""));
      } else {
        trace.inside = InoOfPath("/proc/thread-self/ns/ipc");
        try {
          if (trace.inside != targetIno) {
            OpError e = NsErr(0, "setns", "");
            e.code = "ECHANGED";
            e.detail = "after setns the thread is in ipc:[" + std::to_string(trace.inside) + "], not ipc:[" +
                       std::to_string(targetIno) + "]";
            throw OpFailure{e};
          }
          fn(ask);
        } catch (const OpFailure& f) {
          failed = true;
          failure = f.error;
        } catch (...) {
          other = std::current_exception();
        }
        if (setns(self, CLONE_NEWIPC) < 0) {
          int err = errno;
          failed = true;
          failure = NsErr(err, "setns", std::string("returning to the original IPC namespace: ") + SysErrText(err));
          failure.code = "ENSRETURN";
        }
        trace.after = InoOfPath("/proc/thread-self/ns/ipc");
        if (trace.after != trace.before && !failed) {
          failed = true;
          failure = NsErr(0, "setns", "the thread did not return to its IPC namespace");
          failure.code = "ENSRETURN";
        }
      }
      close(self);
    }
    std::lock_guard<std::mutex> lk(rv.m);
    rv.done = true;
    rv.cv.notify_all();
  });

  {
    std::unique_lock<std::mutex> lk(rv.m);
    for (;;) {
      rv.cv.wait(lk, [&] { return rv.done || (rv.phase != nullptr && !rv.answered); });
      if (rv.done) break;
      const char* phase = rv.phase;
      lk.unlock();
      std::string a;
      try {
        a = serve(phase);
      } catch (...) {
        a = std::string("the check (") + phase + ") failed";
      }
      lk.lock();
      rv.answer = a;
      rv.phase = nullptr;
      rv.answered = true;
      rv.cv.notify_all();
    }
  }
  worker.join();
  close(target);
  if (other) std::rethrow_exception(other);
  if (failed) throw OpFailure{failure};
  return trace;
}

namespace {
long long ReadNumber(const char* p) {
  FILE* f = std::fopen(p, "re");
  if (!f) return -1;
  long long v = -1;
  if (std::fscanf(f, "%lld", &v) != 1) v = -1;
  std::fclose(f);
  return v;
}
}  // namespace

NsSysctls ReadNsSysctls() {
  NsSysctls s;
  s.shmRmidForced = ReadNumber("/proc/sys/kernel/shm_rmid_forced");
  s.queuesMax = ReadNumber("/proc/sys/fs/mqueue/queues_max");
  s.msgMax = ReadNumber("/proc/sys/fs/mqueue/msg_max");
  s.msgsizeMax = ReadNumber("/proc/sys/fs/mqueue/msgsize_max");
  FILE* f = std::fopen("/proc/sys/kernel/sem", "re");
  if (f) {
    char buf[256];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    std::fclose(f);
    s.sem = buf;
    while (!s.sem.empty() && (s.sem.back() == '\n' || s.sem.back() == ' ')) s.sem.pop_back();
  }
  return s;
}

std::string UtsNodename(const std::string& path) {
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    OpError e = Err(err, "open", "CLONE_NEWUTS", -1);
    e.detail = path + ": " + SysErrText(err);
    throw OpFailure{e};
  }
  std::string name;
  bool failed = false;
  OpError failure;
  std::thread worker([&] {
    int self = open("/proc/thread-self/ns/uts", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
      failed = true;
      failure = Err(errno, "open", "CLONE_NEWUTS", -1);
      return;
    }
    if (setns(target, CLONE_NEWUTS) < 0) {
      failed = true;
      failure = Err(errno, "setns", "CLONE_NEWUTS", -1);
    } else {
      struct utsname u{};
      if (uname(&u) == 0) name = u.nodename;
      if (setns(self, CLONE_NEWUTS) < 0) {
        failed = true;
        failure = Err(errno, "setns", "CLONE_NEWUTS", -1);
        failure.code = "ENSRETURN";
      }
    }
    close(self);
  });
  worker.join();
  close(target);
  if (failed) throw OpFailure{failure};
  return name;
}

}  // namespace ipcx

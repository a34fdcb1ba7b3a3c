// Work inside another IPC namespace: setns(CLONE_NEWIPC) on a dedicated thread (no N-API).
//
// The IPC namespace is a property of a thread (task->nsproxy), not of the process: setns(2) on one thread
// moves only that thread. So the work runs on a std::thread made for it, never on the JS thread or a libuv
// pool thread (those run other work: a pool thread switched into a container would serve fs calls from
// it). What must hold, and how it is kept:
//  - the switched thread runs nothing but the given function: it is created per call, switched, runs the
//    function, switches back and ends; helper threads it starts (the parallel SEM_STAT pass) inherit its
//    namespace (clone copies the creating task's nsproxy) and are joined inside the function;
//  - it returns to the namespace it started in (setns on an fd of /proc/thread-self/ns/ipc opened before the
//    switch) and checks the inode of /proc/thread-self/ns/ipc before and after; a failed return is reported
//    as the call's error, and the thread ends anyway, so nothing else ever runs in the wrong namespace;
//  - nothing process-wide depends on the thread's namespace: the ns fds are O_CLOEXEC and closed by the
//    call; it never attaches a segment it does not detach before switching back, never creates objects,
//    never does semop (setns itself drops the thread's SEM_UNDO list reference: exit_sem in ipcns_install);
//  - the namespace is opened by path and its inode checked against the one discovery saw (fstat of the
//    nsfs fd), so a pid reused by a process of another namespace is ECHANGED, not a silent wrong read;
//  - an open fd pins the namespace: if its last process exits while the thread is inside, the objects stay
//    until the fd is closed (then the kernel frees the namespace and everything in it). A namespace gone
//    before the open is ENOENT/ESRCH from open: that namespace's error only;
//  - setns(CLONE_NEWIPC) needs CAP_SYS_ADMIN in the user namespace owning the target and in the caller's
//    own (EPERM otherwise).
// Procfs sysctl files under /proc/sys/kernel (sem, shm*, msg*) and /proc/sys/fs/mqueue show the reading
// task's IPC namespace, so they are read on the switched thread too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ipc_core.h"

namespace ipcx {

// Inode numbers of the namespaces one call went through, as /proc/thread-self/ns/ipc showed them on the
// switched thread (before the switch, inside, after the return).
struct NsTrace {
  uint64_t before = 0;
  uint64_t inside = 0;
  uint64_t after = 0;
};

// A request from the switched thread to the calling thread (the guarded removal's JS check), answered while
// the caller waits: the caller runs `serve` for each request until the work is done.
using NsServe = std::function<std::string(const char* phase)>;

// Opens `path` (an nsfs link such as /proc/PID/ns/ipc), checks its inode is `expectIno` (0: any), runs
// `fn` on a new thread switched into it and back. `fn` may call `ask(phase)` to have `serve(phase)` run on
// the calling thread (empty serve: ask returns ""). Throws OpFailure: the open/setns errno (syscall "open"
// or "setns", op "CLONE_NEWIPC"), ECHANGED when the inode differs, ENSRETURN when the thread could not
// return, or whatever `fn` threw.
NsTrace RunInIpcNamespace(const std::string& path, uint64_t expectIno,
                          const std::function<void(const std::function<std::string(const char*)>& ask)>& fn,
                          const NsServe& serve = {});

// The sysctl files that have no syscall, read in the current thread's namespace: -1 where unreadable.
struct NsSysctls {
  long long shmRmidForced = -1;
  long long queuesMax = -1, msgMax = -1, msgsizeMax = -1;
  std::string sem;  // /proc/sys/kernel/sem as text ("" if unreadable)
};
NsSysctls ReadNsSysctls();

// uname().nodename of the UTS namespace at `path` (/proc/PID/ns/uts), read on a dedicated thread the same
// way. Throws OpFailure.
std::string UtsNodename(const std::string& path);

}  // namespace ipcx

// A glibc named semaphore (/dev/shm/sem.NAME): open O_RDONLY|O_NOFOLLOW|O_NONBLOCK, check on the fd that it
// is a regular file, map it read-only and read the 64-bit data word with ONE aligned 8-byte atomic load
// (value and nwaiters from the same instant) plus the raw bytes. Decoding the layout is TypeScript's job
// (extension/domain/posixSem.ts).
//
// Why a mapping and not pread: a pread copies through copy_to_user (`rep movsb` on x86 with FSRM, byte or
// pair loops elsewhere), which is not guaranteed to be one 8-byte access, so a concurrent sem_post/sem_wait
// can be seen half-done. Only a load from the mapping is one access.
//
// Why the load is guarded: a load from a file mapping faults with SIGBUS when the page is gone, and anyone
// who can write the file can make that happen between our fstat and the load: ftruncate it shorter (in a
// loop, to win the race), or leave it sparse on a full tmpfs (reading a hole through a mapping allocates a
// page; ENOSPC there is SIGBUS). An unhandled SIGBUS kills the whole process (ipcx, or VS Code's extension
// host). The load therefore runs under a SIGBUS handler that is installed only around it, only acts on a
// fault of this thread inside the mapped range (siglongjmp back, the read reports EFAULT), and hands every
// other SIGBUS to the disposition that was there before.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstring>
#include <mutex>

#include "ipc_core.h"
#include "sysv_util.h"

namespace ipcx {

namespace {
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};
struct Map {
  void* p;
  size_t len;
  ~Map() {
    if (p != MAP_FAILED) munmap(p, len);
  }
};
constexpr size_t kRawBytes = 64;

// One guarded load at a time (process-wide state: the handler runs on whichever thread faults).
std::mutex g_guard_mu;
sigjmp_buf g_jmp;
volatile sig_atomic_t g_armed = 0;
volatile pid_t g_tid = 0;
const char* volatile g_lo = nullptr;
const char* volatile g_hi = nullptr;
struct sigaction g_prev;

void OnSigbus(int sig, siginfo_t* si, void*) {
  const char* a = static_cast<const char*>(si->si_addr);
  if (g_armed && si->si_code > 0 && static_cast<pid_t>(syscall(SYS_gettid)) == g_tid && a >= g_lo && a < g_hi) {
    g_armed = 0;
    siglongjmp(g_jmp, 1);
  }
  // Not our load: put the previous disposition back and let it act. A fault re-executes the faulting
  // instruction and meets it; a signal someone sent is sent again.
  sigaction(SIGBUS, &g_prev, nullptr);
  if (si->si_code <= 0) raise(sig);
}

// Copies `n` bytes of the mapping into `raw` and loads the first 8 bytes atomically into `word`.
// Returns false when the access faulted (the file shrank, or the page could not be provided).
bool GuardedRead(const void* p, size_t n, uint8_t* raw, uint64_t* word, int* err) {
  std::lock_guard<std::mutex> lock(g_guard_mu);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnSigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGBUS, &sa, &g_prev) != 0) {
    *err = errno;
    return false;
  }
  g_tid = static_cast<pid_t>(syscall(SYS_gettid));
  g_lo = static_cast<const char*>(p);
  g_hi = static_cast<const char*>(p) + n;
  volatile bool ok = false;
  if (sigsetjmp(g_jmp, 1) == 0) {
    g_armed = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    // The mapping is page-aligned, so offset 0 is 8-byte aligned: one atomic 64-bit load.
    *word = __atomic_load_n(static_cast<const uint64_t*>(p), __ATOMIC_SEQ_CST);
    const volatile uint8_t* src = static_cast<const volatile uint8_t*>(p);
    for (size_t i = 0; i < n; i++) raw[i] = src[i];
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    g_armed = 0;
    ok = true;
  }
  g_armed = 0;
  sigaction(SIGBUS, &g_prev, nullptr);
  if (!ok) *err = EFAULT;
  return ok;
}
}  // namespace

PosixSemRead ReadPosixSem(const std::string& path) {
  // O_NONBLOCK: a FIFO planted under the name must not block us (a regular file ignores the flag).
  Fd f{open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0) Fail(errno, "open", "O_RDONLY|O_NOFOLLOW", -1);
  struct stat st;
  if (fstat(f.fd, &st) < 0) Fail(errno, "fstat", "", -1);
  if (!S_ISREG(st.st_mode)) {
    OpError e = Err(EINVAL, "fstat", "S_ISREG", -1);
    e.detail = "not a regular file";
    throw OpFailure{e};
  }
  PosixSemRead r;
  r.size = static_cast<double>(st.st_size);
  if (st.st_size < 8) {
    OpError e = Err(EINVAL, "mmap", "PROT_READ", -1);
    e.detail = "file is " + std::to_string(static_cast<long long>(st.st_size)) +
               " bytes, a semaphore has at least 8";
    throw OpFailure{e};
  }
  long ps = sysconf(_SC_PAGESIZE);
  size_t maplen = std::min(static_cast<size_t>(st.st_size), static_cast<size_t>(ps > 0 ? ps : 4096));
  Map m{mmap(nullptr, maplen, PROT_READ, MAP_SHARED, f.fd, 0), maplen};
  if (m.p == MAP_FAILED) Fail(errno, "mmap", "PROT_READ", -1);
  size_t n = std::min(maplen, kRawBytes);
  r.raw.resize(n);
  uint64_t word = 0;
  int err = 0;
  if (!GuardedRead(m.p, n, r.raw.data(), &word, &err)) {
    if (err != EFAULT) Fail(err, "sigaction", "SIGBUS", -1);
    OpError e = Err(EFAULT, "load", "mmap", -1);
    e.detail = "the file's page vanished while it was read (SIGBUS caught): it was truncated after fstat saw " +
               std::to_string(static_cast<long long>(st.st_size)) +
               " bytes, or it is sparse on a full tmpfs; nothing was decoded";
    throw OpFailure{e};
  }
  // Put the atomically read word into the raw copy too, so raw and lo32/hi32 describe the same instant.
  std::memcpy(r.raw.data(), &word, sizeof word);
  r.lo32 = static_cast<uint32_t>(word & 0xffffffffULL);
  r.hi32 = static_cast<uint32_t>(word >> 32);
  return r;
}

}  // namespace ipcx

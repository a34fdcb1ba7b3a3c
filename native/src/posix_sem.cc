// A glibc named semaphore (/dev/shm/sem.NAME): open O_RDONLY|O_NOFOLLOW, map read-only, read the 64-bit
// data word with ONE aligned 8-byte atomic load (value and nwaiters from the same instant) plus the raw
// bytes. Decoding the layout is TypeScript's job (extension/domain/posixSem.ts).
//
// Caveat: if another process truncates the file between fstat and the load, the access would fault
// (SIGBUS). glibc never truncates a semaphore file (sem_open writes it whole before linking it into place),
// so this needs a deliberate ftruncate by someone with write access.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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
constexpr size_t kRawBytes = 64;
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
  void* p = mmap(nullptr, maplen, PROT_READ, MAP_SHARED, f.fd, 0);
  if (p == MAP_FAILED) Fail(errno, "mmap", "PROT_READ", -1);
  // The mapping is page-aligned, so offset 0 is 8-byte aligned: one atomic 64-bit load.
  uint64_t word = __atomic_load_n(static_cast<const uint64_t*>(p), __ATOMIC_SEQ_CST);
  size_t n = std::min(maplen, kRawBytes);
  r.raw.resize(n);
  std::memcpy(r.raw.data(), p, n);
  // Put the atomically read word into the raw copy too, so raw and lo32/hi32 describe the same instant.
  std::memcpy(r.raw.data(), &word, sizeof word);
  munmap(p, maplen);
  r.lo32 = static_cast<uint32_t>(word & 0xffffffffULL);
  r.hi32 = static_cast<uint32_t>(word >> 32);
  return r;
}

}  // namespace ipcx

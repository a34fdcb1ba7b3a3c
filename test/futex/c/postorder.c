/*
 * postorder: forces one interleaving inside the real glibc sem_post, for the futex-call faithfulness test:
 *
 *   P starts sem_post and stops at its first store to the semaphore (after its loads of private and the
 *   word); W then runs sem_wait until it sleeps in futex() on the semaphore; then P's store runs.
 *
 * The semaphore's page is write-protected, so P's first store faults. P's SIGSEGV handler makes the page
 * writable (W's stores then succeed), releases W, waits until W is asleep in futex() on the semaphore's
 * address (/proc/self/task/TID/syscall), and returns: the faulting instruction runs again. No sleeps decide
 * the order; only the fault and the kernel's report that W sleeps.
 *
 * Output (one JSON line): {"glibc","sizeof_sem_t","addr","post","wait","raw"} with the return values and the
 * final bytes. Run it under strace -f -e trace=/^futex to see the futex calls.
 */
// cprog: -pthread
#include <errno.h>
#include <gnu/libc-version.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static sem_t *sem;
static void *page;
static atomic_int w_go, faults;
static atomic_int w_tid;
static pid_t p_tid;
static int wait_ret = -2;

static void pause_us(long us) {
  struct timespec ts = {0, us * 1000L};
  nanosleep(&ts, NULL);
}

/* Whether thread tid is inside futex() on the semaphore (async-signal-safe: open/read/close only). */
static int asleep_on_sem(int tid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *end;
  long nr = strtol(buf, &end, 10);
  unsigned long a0 = strtoul(end, NULL, 16);
#ifdef SYS_futex_time64
  int is_futex = nr == SYS_futex || nr == SYS_futex_time64;
#else
  int is_futex = nr == SYS_futex;
#endif
  return is_futex && a0 == (unsigned long)(uintptr_t)sem;
}

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  if ((pid_t)syscall(SYS_gettid) != p_tid || (char *)si->si_addr < (char *)page ||
      (char *)si->si_addr >= (char *)page + 4096 || atomic_fetch_add(&faults, 1) != 0) {
    signal(SIGSEGV, SIG_DFL); /* not the one planned fault: die as the program would */
    return;
  }
  mprotect(page, 4096, PROT_READ | PROT_WRITE);
  atomic_store(&w_go, 1);
  for (int i = 0; i < 200000 && (atomic_load(&w_tid) == 0 || !asleep_on_sem(atomic_load(&w_tid))); i++) pause_us(50);
}

static void *waiter(void *arg) {
  (void)arg;
  atomic_store(&w_tid, (int)syscall(SYS_gettid));
  while (!atomic_load(&w_go)) pause_us(50);
  wait_ret = sem_wait(sem) == 0 ? 0 : errno;
  return NULL;
}

int main(void) {
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return perror("mmap"), 1;
  sem = page;
  if (sem_init(sem, 0, 0)) return perror("sem_init"), 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  pthread_t w;
  if (pthread_create(&w, NULL, waiter, NULL)) return perror("pthread_create"), 1;
  while (atomic_load(&w_tid) == 0) pause_us(50);
  p_tid = (pid_t)syscall(SYS_gettid);
  if (mprotect(page, 4096, PROT_READ)) return perror("mprotect"), 1;
  int post = sem_post(sem);
  pthread_join(w, NULL);
  char raw[2 * sizeof(sem_t) + 1];
  for (size_t i = 0; i < sizeof(sem_t); i++) sprintf(raw + 2 * i, "%02x", ((unsigned char *)sem)[i]);
  printf("{\"glibc\":\"%s\",\"sizeof_sem_t\":%zu,\"addr\":\"%p\",\"faults\":%d,\"post\":%d,\"wait\":%d,\"raw\":\"%s\"}\n",
         gnu_get_libc_version(), sizeof(sem_t), (void *)sem, atomic_load(&faults), post, wait_ret, raw);
  return 0;
}

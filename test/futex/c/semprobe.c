/*
 * semprobe: drives a real glibc semaphore through a script and prints its raw bytes at every quiescent point,
 * for the faithfulness tests (test/futex/faithfulness.test.ts) that replay the same operations through the
 * TypeScript model and compare.
 *
 *   semprobe KIND CMD...
 *     KIND  anon      sem_init(pshared=1) in a MAP_SHARED|MAP_ANONYMOUS page
 *           private   sem_init(pshared=0) in a malloc'd block
 *           named:/N  sem_open("/N", O_CREAT|O_EXCL, 0600, 0); the file /dev/shm/sem.N is also read
 *     CMD   init:V    (anon/private: sem_init with V; named: value given to sem_open) -- must come first
 *           block:K   start K threads in sem_wait; wait until each is asleep in futex() on the semaphore
 *           post:M    sem_post M times; wait until min(M, blocked) waiters have returned
 *           trywait   sem_trywait once
 *           timeout:MS  a thread calls sem_timedwait(now + MS ms); dump while it sleeps; join; dump
 *           cancel    a thread calls sem_wait; dump while it sleeps; pthread_cancel; join; dump
 *           dump      print the state
 *           hold:MS   keep everything as it is (waiters asleep) for MS ms, e.g. while another process reads it
 *
 * Each output line is JSON: {"cmd","raw","file"?,"value","ret"?,"errno"?,"futex_op"?}; the init line also has "addr". raw is the sizeof(sem_t)
 * bytes (32 on x86_64, 16 when built with -m32), the value word(s) taken by one aligned atomic load.
 * Built twice by the tests: native (glibc's 64-bit variant) and -m32 (i386 glibc: the 32-bit variant). "Asleep" is checked in
 * /proc/self/task/TID/syscall: syscall 202 (futex) whose first argument is the semaphore's address.
 * The first line reports gnu_get_libc_version().
 */
// cprog: -pthread
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXT 64

static sem_t *sem;
static int file_fd = -1;
static atomic_int finished;
static atomic_int blocked_now; /* waiters started by block:K and not yet returned */
static pid_t tids[MAXT];
static pthread_t threads[MAXT];
static int nthreads;
static unsigned long last_op;

static void die(const char *what) {
  fprintf(stdout, "{\"error\":\"%s: %s\"}\n", what, strerror(errno));
  fflush(stdout);
  exit(1);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void hex(const unsigned char *b, int n, char *out) {
  for (int i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
  out[2 * n] = 0;
}

#define SEMSZ ((int)sizeof(sem_t))

static void dump(const char *cmd, const char *extra) {
  unsigned char b[SEMSZ];
  if (SEMSZ == 32) { /* 64-bit variant: value and nwaiters in one aligned 8-byte atomic load */
    uint64_t w = __atomic_load_n((uint64_t *)sem, __ATOMIC_SEQ_CST);
    memcpy(b, &w, 8);
    memcpy(b + 8, (unsigned char *)sem + 8, SEMSZ - 8);
  } else { /* 32-bit variant: the futex word atomically, the rest as plain bytes */
    uint32_t w = __atomic_load_n((uint32_t *)sem, __ATOMIC_SEQ_CST);
    memcpy(b, &w, 4);
    memcpy(b + 4, (unsigned char *)sem + 4, SEMSZ - 4);
  }
  char raw[2 * SEMSZ + 1], file[2 * SEMSZ + 1];
  file[0] = 0;
  hex(b, SEMSZ, raw);
  if (file_fd >= 0) {
    unsigned char fb[SEMSZ];
    if (pread(file_fd, fb, SEMSZ, 0) != SEMSZ) die("pread");
    hex(fb, SEMSZ, file);
  }
  int v = -1;
  sem_getvalue(sem, &v);
  printf("{\"cmd\":\"%s\",\"raw\":\"%s\"%s%s%s,\"value\":%d%s}\n", cmd, raw, file_fd >= 0 ? ",\"file\":\"" : "",
         file, file_fd >= 0 ? "\"" : "", v, extra ? extra : "");
  fflush(stdout);
}

/* Is thread `tid` inside futex() on the semaphore? Records the futex op it used. */
static int asleep_on_sem(pid_t tid) {
  char p[64], buf[256];
  snprintf(p, sizeof p, "/proc/self/task/%d/syscall", (int)tid);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  int ok = 0;
  if (fgets(buf, sizeof buf, f)) {
    long nr = -1;
    unsigned long a0, a1;
    int n = sscanf(buf, "%ld %lx %lx", &nr, &a0, &a1);
#ifdef SYS_futex_time64
    int is_futex = nr == SYS_futex || nr == SYS_futex_time64;
#else
    int is_futex = nr == SYS_futex;
#endif
    if (n == 3 && is_futex && a0 == (unsigned long)sem) {
      ok = 1;
      last_op = a1;
    }
  }
  fclose(f);
  return ok;
}

struct targ {
  int idx;
  int mode; /* 0 wait, 1 timedwait, 2 wait (cancel target) */
  int ms;
  int ret, err;
  atomic_int done; /* the thread's wait returned */
};
static struct targ args[MAXT];

/* Waits until waiter `i` is asleep in futex() on the semaphore. A timed waiter whose deadline passed before it
   was seen asleep fails at once, with that cause (not as a waiter that never slept). */
static void wait_asleep(int i) {
  pid_t tid = tids[i];
  for (int k = 0; k < 5000; k++) {
    if (atomic_load(&args[i].done)) {
      errno = ETIMEDOUT;
      die(args[i].mode == 1 ? "the timed waiter's deadline passed before it was seen asleep in futex()"
                            : "the waiter returned before it was seen asleep in futex()");
    }
    if (asleep_on_sem(tid)) {
      sleep_ms(2); /* still there a moment later: really blocked, not passing through */
      if (asleep_on_sem(tid)) return;
    }
    sleep_ms(1);
  }
  errno = ETIMEDOUT;
  die("waiter never went to sleep in futex()");
}

static void *waiter(void *p) {
  struct targ *a = p;
  tids[a->idx] = (pid_t)syscall(SYS_gettid);
  if (a->mode == 1) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)a->ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    a->ret = sem_timedwait(sem, &ts);
  } else {
    a->ret = sem_wait(sem);
  }
  a->err = a->ret ? errno : 0;
  atomic_store(&a->done, 1);
  atomic_fetch_add(&finished, 1);
  return NULL;
}

static int start(int mode, int ms) {
  if (nthreads >= MAXT) {
    errno = E2BIG;
    die("too many threads");
  }
  int i = nthreads++;
  args[i] = (struct targ){.idx = i, .mode = mode, .ms = ms};
  atomic_init(&args[i].done, 0);
  tids[i] = 0;
  if (pthread_create(&threads[i], NULL, waiter, &args[i])) die("pthread_create");
  while (__atomic_load_n(&tids[i], __ATOMIC_SEQ_CST) == 0) sleep_ms(1);
  return i;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: semprobe anon|private|named:/NAME init:V CMD...\n");
    return 2;
  }
  printf("{\"glibc\":\"%s\",\"sizeof_sem_t\":%zu}\n", gnu_get_libc_version(), sizeof(sem_t));
  const char *kind = argv[1];
  int init = -1;
  if (sscanf(argv[2], "init:%d", &init) != 1) {
    fprintf(stderr, "first command must be init:V\n");
    return 2;
  }
  if (!strcmp(kind, "anon")) {
    sem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sem == MAP_FAILED) die("mmap");
    if (sem_init(sem, 1, (unsigned)init)) die("sem_init");
  } else if (!strcmp(kind, "private")) {
    sem = calloc(1, sizeof(sem_t));
    if (!sem) die("calloc");
    if (sem_init(sem, 0, (unsigned)init)) die("sem_init");
  } else if (!strncmp(kind, "named:", 6)) {
    const char *name = kind + 6;
    sem = sem_open(name, O_CREAT | O_EXCL, 0600, (unsigned)init);
    if (sem == SEM_FAILED) die("sem_open");
    char path[256];
    snprintf(path, sizeof path, "/dev/shm/sem.%s", name[0] == '/' ? name + 1 : name);
    file_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (file_fd < 0) die("open /dev/shm/sem.NAME");
  } else {
    fprintf(stderr, "bad kind %s\n", kind);
    return 2;
  }
  {
    char a[64];
    snprintf(a, sizeof a, ",\"addr\":\"%p\"", (void *)sem); /* the futex calls' address, for the strace comparison */
    dump(argv[2], a);
  }
  for (int c = 3; c < argc; c++) {
    const char *cmd = argv[c];
    int n;
    char extra[160];
    if (sscanf(cmd, "block:%d", &n) == 1) {
      for (int k = 0; k < n; k++) {
        int i = start(0, 0);
        wait_asleep(i);
        atomic_fetch_add(&blocked_now, 1);
      }
      snprintf(extra, sizeof extra, ",\"futex_op\":%lu", last_op);
      dump(cmd, extra);
    } else if (sscanf(cmd, "post:%d", &n) == 1) {
      int f0 = atomic_load(&finished);
      int b = atomic_load(&blocked_now);
      int expect = f0 + (n < b ? n : b);
      int bad = 0;
      for (int k = 0; k < n; k++)
        if (sem_post(sem)) bad++;
      for (int i = 0; i < 5000 && atomic_load(&finished) < expect; i++) sleep_ms(1);
      if (atomic_load(&finished) < expect) {
        errno = ETIMEDOUT;
        die("woken waiters did not return");
      }
      atomic_fetch_sub(&blocked_now, expect - f0);
      snprintf(extra, sizeof extra, ",\"ret\":%d", bad ? -1 : 0);
      dump(cmd, extra);
    } else if (!strcmp(cmd, "trywait")) {
      int r = sem_trywait(sem);
      snprintf(extra, sizeof extra, ",\"ret\":%d,\"errno\":\"%s\"", r, r ? (errno == EAGAIN ? "EAGAIN" : "other") : "");
      dump(cmd, extra);
    } else if (sscanf(cmd, "timeout:%d", &n) == 1) {
      int i = start(1, n);
      wait_asleep(i);
      dump("timeout:asleep", NULL);
      pthread_join(threads[i], NULL);
      snprintf(extra, sizeof extra, ",\"ret\":%d,\"errno\":\"%s\"", args[i].ret,
               args[i].ret ? (args[i].err == ETIMEDOUT ? "ETIMEDOUT" : "other") : "");
      dump(cmd, extra);
    } else if (!strcmp(cmd, "cancel")) {
      int i = start(2, 0);
      wait_asleep(i);
      dump("cancel:asleep", NULL);
      if (pthread_cancel(threads[i])) die("pthread_cancel");
      void *rv = NULL;
      pthread_join(threads[i], &rv);
      snprintf(extra, sizeof extra, ",\"canceled\":%s", rv == PTHREAD_CANCELED ? "true" : "false");
      dump(cmd, extra);
    } else if (sscanf(cmd, "hold:%d", &n) == 1) {
      printf("{\"cmd\":\"%s\",\"holding\":true}\n", cmd);
      fflush(stdout);
      sleep_ms(n);
    } else if (!strcmp(cmd, "dump")) {
      dump(cmd, NULL);
    } else {
      fprintf(stderr, "bad command %s\n", cmd);
      return 2;
    }
  }
  if (!strncmp(kind, "named:", 6)) sem_unlink(kind + 6);
  return 0;
}

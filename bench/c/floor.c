// floor: the least work that yields the facts of a System V snapshot (every header of every set, segment
// and queue, plus GETALL of every set), done by each of the fastest means available, timed inside this
// process (no start-up, no output formatting). Built and run by bench/snapshot.bench.ts only; not shipped.
//
//   floor OUT REPS [--machine] [--no-sysv] [--posix DIR N]
// writes "name value" lines to OUT (see below). --machine: the machine's costs; --no-sysv: skip the System V
// modes; --posix DIR N: getdents of DIR + fstatat of the first N names (sorted), the least work behind a
// /dev/shm listing.
//
// Modes (each run REPS times after one warm-up; the median wall time and the median CPU time of the process,
// all threads, are reported):
//   stat1  *_STAT_ANY per kernel slot (0..maxidx from *_INFO), GETALL right after each set's stat, 1 thread
//   stat2  the same on two threads: the first lists segments and queues, then both take set slots in batches
//          from the two ends of the table until they meet (so both finish together)
//   proc1  /proc/sysvipc/{sem,shm,msg} read with a 1 MiB buffer and parsed, then GETALL per set id, 1 thread
//   proc2  the same, with a second thread taking GETALLs of the set ids as the first one parses them (and the
//          first one joining the GETALLs once shm and msg are parsed)
// Machine costs (min of several runs): syscall_ns (getppid loop), fault_ns (first touch of an anonymous
// page, mmap/munmap included, per 4 KiB page).
// Output also carries what each mode found (sets, values, shm, msg; they must agree) so the bench can check
// the floor read what the contenders read.
// cprog: -lpthread
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
  struct seminfo *__buf;
};

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// CPU time of the whole process (every thread), for figures that hold under load
static long long cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(2);
}

// What one pass found. Headers are kept (as a real reader would) in preallocated columns.
typedef struct {
  long sets, values, shm, msg;
  unsigned long long sum;  // of every semaphore value (a check that GETALL really ran)
} Found;

#define MAX_SETS 65536
#define SEM_COLS 10
#define SHM_COLS 14
#define MSG_COLS 15
static long long semh[MAX_SETS * SEM_COLS];
static long long shmh[65536 * SHM_COLS];
static long long msgh[65536 * MSG_COLS];
static unsigned short vals[2][MAX_SETS * 64];  // per thread

// ---- *_STAT_ANY per slot -----------------------------------------------------------------------------

typedef struct {
  int from, to, t;
  Found f;
} StatPart;

static void *stat_sems(void *arg) {
  StatPart *p = arg;
  struct semid_ds ds;
  union semun a;
  size_t voff = 0;
  for (int i = p->from; i <= p->to; i++) {
    a.buf = &ds;
    int id = semctl(i, 0, SEM_STAT_ANY, a);
    if (id < 0) continue;
    long long *h = &semh[(size_t)i * SEM_COLS];
    h[0] = id; h[1] = ds.sem_perm.__key; h[2] = ds.sem_perm.uid; h[3] = ds.sem_perm.gid;
    h[4] = ds.sem_perm.cuid; h[5] = ds.sem_perm.cgid; h[6] = ds.sem_perm.mode; h[7] = (long long)ds.sem_nsems;
    h[8] = ds.sem_otime; h[9] = ds.sem_ctime;
    unsigned short *v = &vals[p->t][voff];
    a.array = v;
    if (ds.sem_nsems && semctl(id, 0, GETALL, a) == 0) {
      for (unsigned long j = 0; j < ds.sem_nsems; j++) p->f.sum += v[j];
      p->f.values += (long)ds.sem_nsems;
    }
    voff = (voff + ds.sem_nsems) % (MAX_SETS * 64 - 70000);
    p->f.sets++;
  }
  return NULL;
}

static void stat_shms(Found *f) {
  // IPC_INFO: the highest slot in use, as SHM_INFO gives it, without SHM_INFO's walk over every segment
  struct shminfo si;
  int max = shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
  struct shmid_ds ds;
  for (int i = 0; i <= max; i++) {
    int id = shmctl(i, SHM_STAT_ANY, &ds);
    if (id < 0) continue;
    long long *h = &shmh[(size_t)(f->shm % 65536) * SHM_COLS];
    h[0] = id; h[1] = ds.shm_perm.__key; h[2] = ds.shm_perm.uid; h[3] = ds.shm_perm.gid; h[4] = ds.shm_perm.cuid;
    h[5] = ds.shm_perm.cgid; h[6] = ds.shm_perm.mode; h[7] = (long long)ds.shm_segsz; h[8] = ds.shm_cpid;
    h[9] = ds.shm_lpid; h[10] = (long long)ds.shm_nattch; h[11] = ds.shm_atime; h[12] = ds.shm_dtime;
    h[13] = ds.shm_ctime;
    f->shm++;
  }
}

static void stat_msgs(Found *f) {
  struct msginfo mi;
  int max = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
  struct msqid_ds ds;
  for (int i = 0; i <= max; i++) {
    int id = msgctl(i, MSG_STAT_ANY, &ds);
    if (id < 0) continue;
    long long *h = &msgh[(size_t)(f->msg % 65536) * MSG_COLS];
    h[0] = id; h[1] = ds.msg_perm.__key; h[2] = ds.msg_perm.uid; h[3] = ds.msg_perm.gid; h[4] = ds.msg_perm.cuid;
    h[5] = ds.msg_perm.cgid; h[6] = ds.msg_perm.mode; h[7] = (long long)ds.__msg_cbytes; h[8] = (long long)ds.msg_qnum;
    h[9] = (long long)ds.msg_qbytes; h[10] = ds.msg_lspid; h[11] = ds.msg_lrpid; h[12] = ds.msg_stime;
    h[13] = ds.msg_rtime; h[14] = ds.msg_ctime;
    f->msg++;
  }
}

static int sem_maxidx(void) {
  struct seminfo si;
  union semun a;
  a.__buf = &si;
  int max = semctl(0, 0, SEM_INFO, a);
  if (max < 0) die("SEM_INFO");
  return max;
}

// Set slots two threads take in batches from the two ends of the table until they meet (lo << 32 | end):
// the thread that also lists segments and queues takes fewer, so both finish together.
static _Atomic unsigned long long slots;
#define CLAIM_BATCH 128

static int claim(int forward, int *from, int *to) {
  unsigned long long cur = atomic_load(&slots);
  for (;;) {
    unsigned lo = (unsigned)(cur >> 32), end = (unsigned)cur;
    if (lo >= end) return 0;
    unsigned take = end - lo < CLAIM_BATCH ? end - lo : CLAIM_BATCH;
    unsigned long long next = forward ? ((unsigned long long)(lo + take) << 32) | end
                                      : ((unsigned long long)lo << 32) | (end - take);
    if (atomic_compare_exchange_weak(&slots, &cur, next)) {
      *from = (int)(forward ? lo : end - take);
      *to = *from + (int)take - 1;
      return 1;
    }
  }
}

typedef struct {
  int forward;
  StatPart p;
  Found others;  // segments and queues (the forward thread)
} Claimer;

static void *claim_sems(void *arg) {
  Claimer *c = arg;
  if (c->forward) {
    stat_shms(&c->others);
    stat_msgs(&c->others);
  }
  int from, to;
  while (claim(c->forward, &from, &to)) {
    c->p.from = from;
    c->p.to = to;
    stat_sems(&c->p);
  }
  return NULL;
}

static Found run_stat(int threads) {
  int max = sem_maxidx();
  Found f = {0};
  if (threads == 1) {
    StatPart p = {0};
    p.from = 0; p.to = max; p.t = 0;
    stat_sems(&p);
    stat_shms(&f);
    stat_msgs(&f);
    f.sets = p.f.sets; f.values = p.f.values; f.sum = p.f.sum;
    return f;
  }
  // the first thread lists segments and queues, then both take set slots from the two ends
  atomic_store(&slots, (unsigned long long)(unsigned)(max + 1));
  Claimer c[2] = {{0}};
  c[0].forward = 1; c[0].p.t = 0;
  c[1].forward = 0; c[1].p.t = 1;
  pthread_t th;
  pthread_create(&th, NULL, claim_sems, &c[1]);
  claim_sems(&c[0]);
  pthread_join(th, NULL);
  f = c[0].others;
  f.sets = c[0].p.f.sets + c[1].p.f.sets;
  f.values = c[0].p.f.values + c[1].p.f.values;
  f.sum = c[0].p.f.sum + c[1].p.f.sum;
  return f;
}

// ---- /proc/sysvipc ------------------------------------------------------------------------------------

static char procbuf[2][1 << 20];

// Parses whitespace-separated unsigned/signed integers of one line into out[0..n); returns chars consumed
// up to and including the newline, or 0 when the line is incomplete.
static size_t parse_line(const char *s, size_t len, long long *out, int n) {
  size_t i = 0;
  int k = 0;
  while (i < len && s[i] != '\n') {
    while (i < len && s[i] == ' ') i++;
    if (i >= len || s[i] == '\n') break;
    int neg = 0;
    if (s[i] == '-') { neg = 1; i++; }
    long long v = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (k < n) out[k++] = neg ? -v : v;
    while (i < len && s[i] != ' ' && s[i] != '\n') i++;  // anything else in a field (never in these files)
  }
  if (i >= len) return 0;
  return i + 1;
}

// Reads a /proc/sysvipc file and calls row(fields) per object line; returns the number of rows.
typedef void (*RowFn)(long long *fields, void *ctx);
static long read_proc(const char *file, int ncols, RowFn row, void *ctx, int buf) {
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(file);
  char *b = procbuf[buf];
  size_t have = 0;
  int header = 1;
  long rows = 0;
  long long fields[20];
  for (;;) {
    ssize_t n = read(fd, b + have, sizeof procbuf[0] - have);
    if (n < 0) die("read");
    have += (size_t)n;
    size_t at = 0;
    for (;;) {
      size_t used = parse_line(b + at, have - at, fields, ncols);
      if (!used) break;
      if (header) header = 0;
      else { row(fields, ctx); rows++; }
      at += used;
    }
    memmove(b, b + at, have - at);
    have -= at;
    if (n == 0) break;
  }
  close(fd);
  return rows;
}

// proc columns: sem: key semid perms nsems uid gid cuid cgid otime ctime
typedef struct {
  _Atomic long published;  // set rows parsed so far
  _Atomic int done;        // parsing finished
  _Atomic long next;       // next row to GETALL
  Found part[2];
} ProcShared;

static ProcShared ps;
static int setids[MAX_SETS];
static int setn[MAX_SETS];

static void sem_row(long long *f, void *ctx) {
  (void)ctx;
  long i = atomic_load_explicit(&ps.published, memory_order_relaxed);
  long long *h = &semh[(size_t)i * SEM_COLS];
  h[0] = f[1]; h[1] = f[0]; h[2] = f[4]; h[3] = f[5]; h[4] = f[6]; h[5] = f[7]; h[6] = f[2]; h[7] = f[3];
  h[8] = f[8]; h[9] = f[9];
  setids[i] = (int)f[1];
  setn[i] = (int)f[3];
  atomic_store_explicit(&ps.published, i + 1, memory_order_release);
}

static void shm_row(long long *f, void *ctx) {
  Found *fo = ctx;
  memcpy(&shmh[(size_t)(fo->shm++ % 65536) * SHM_COLS], f, SHM_COLS * sizeof(long long));
}

static void msg_row(long long *f, void *ctx) {
  Found *fo = ctx;
  memcpy(&msgh[(size_t)(fo->msg++ % 65536) * MSG_COLS], f, MSG_COLS * sizeof(long long));
}

// GETALLs set rows as they are published; returns when parsing is done and every row is taken.
static void getall_rows(int t) {
  Found *f = &ps.part[t];
  union semun a;
  size_t voff = 0;
  for (;;) {
    long i = atomic_fetch_add(&ps.next, 1);
    for (;;) {
      long pub = atomic_load_explicit(&ps.published, memory_order_acquire);
      if (i < pub) break;
      if (atomic_load(&ps.done) && i >= atomic_load(&ps.published)) return;
    }
    unsigned short *v = &vals[t][voff];
    a.array = v;
    if (setn[i] && semctl(setids[i], 0, GETALL, a) == 0) {
      for (int j = 0; j < setn[i]; j++) f->sum += v[j];
      f->values += setn[i];
    }
    voff = (voff + (size_t)setn[i]) % (MAX_SETS * 64 - 70000);
    f->sets++;
  }
}

static void *proc_worker(void *arg) {
  getall_rows((int)(long)arg);
  return NULL;
}

static Found run_proc(int threads) {
  memset(&ps, 0, sizeof ps);
  Found f = {0};
  pthread_t th;
  if (threads == 2) pthread_create(&th, NULL, proc_worker, (void *)1L);
  read_proc("/proc/sysvipc/sem", 10, sem_row, NULL, 0);
  atomic_store(&ps.done, 1);
  read_proc("/proc/sysvipc/shm", SHM_COLS + 2, shm_row, &f, 0);
  read_proc("/proc/sysvipc/msg", MSG_COLS, msg_row, &f, 0);
  getall_rows(0);
  if (threads == 2) pthread_join(th, NULL);
  f.sets = ps.part[0].sets + ps.part[1].sets;
  f.values = ps.part[0].values + ps.part[1].values;
  f.sum = ps.part[0].sum + ps.part[1].sum;
  return f;
}

// ---- machine costs ------------------------------------------------------------------------------------

static double syscall_ns(void) {
  double best = 1e18;
  for (int r = 0; r < 5; r++) {
    const int n = 200000;
    long long t0 = now_ns();
    for (int i = 0; i < n; i++) syscall(SYS_getppid);
    double per = (double)(now_ns() - t0) / n;
    if (per < best) best = per;
  }
  return best;
}

static double fault_ns(void) {
  double best = 1e18;
  const size_t pages = 8192;  // 32 MiB
  for (int r = 0; r < 5; r++) {
    long long t0 = now_ns();
    char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("mmap");
    for (size_t i = 0; i < pages; i++) p[i * 4096] = 1;
    munmap(p, pages * 4096);
    double per = (double)(now_ns() - t0) / pages;
    if (per < best) best = per;
  }
  return best;
}

// ---- POSIX (/dev/shm) ---------------------------------------------------------------------------------

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static long run_posix(const char *dir, long limit, long *total) {
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) die(dir);
  static char *names[1 << 20];
  static char pool[64 << 20];
  size_t used = 0;
  long n = 0;
  char buf[1 << 16];
  for (;;) {
    long got = syscall(SYS_getdents64, dfd, buf, sizeof buf);
    if (got < 0) die("getdents64");
    if (got == 0) break;
    for (long off = 0; off < got;) {
      struct { unsigned long long ino; long long off; unsigned short reclen; unsigned char type; char name[]; } *d =
          (void *)(buf + off);
      off += d->reclen;
      if (d->type != DT_REG && d->type != DT_UNKNOWN) continue;
      size_t l = strlen(d->name) + 1;
      if (used + l > sizeof pool || n >= (long)(sizeof names / sizeof names[0])) break;
      names[n++] = memcpy(pool + used, d->name, l);
      used += l;
    }
  }
  qsort(names, (size_t)n, sizeof names[0], cmpstr);
  long listed = 0;
  struct stat st;
  for (long i = 0; i < n && listed < limit; i++) {
    if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) listed++;
  }
  close(dfd);
  *total = n;
  return listed;
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *xs, int n) {
  qsort(xs, (size_t)n, sizeof *xs, cmpd);
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: floor OUT REPS [--machine] [--no-sysv] [--posix DIR N]\n");
    return 2;
  }
  int reps = atoi(argv[2]);
  if (reps < 1 || reps > 1000) reps = 5;
  int machine = 0, sysv = 1;
  const char *posixDir = NULL;
  long posixLimit = 0;
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--machine")) machine = 1;
    else if (!strcmp(argv[i], "--no-sysv")) sysv = 0;
    else if (!strcmp(argv[i], "--posix") && i + 2 < argc) {
      posixDir = argv[++i];
      posixLimit = atol(argv[++i]);
    } else {
      fprintf(stderr, "floor: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  FILE *out = fopen(argv[1], "w");
  if (!out) die(argv[1]);
  if (machine) {
    fprintf(out, "syscall_ns %.1f\n", syscall_ns());
    fprintf(out, "fault_ns %.1f\n", fault_ns());
  }
  if (sysv) {
    const char *names[] = {"stat1", "stat2", "proc1", "proc2"};
    static double t[4][1000], c[4][1000];
    Found f[4];
    for (int m = 0; m < 4; m++) f[m] = m < 2 ? run_stat(m + 1) : run_proc(m - 1);  // warm-up
    for (int r = 0; r < reps; r++) {
      for (int m = 0; m < 4; m++) {
        long long t0 = now_ns(), c0 = cpu_ns();
        f[m] = m < 2 ? run_stat(m + 1) : run_proc(m - 1);
        t[m][r] = (double)(now_ns() - t0) / 1e6;
        c[m][r] = (double)(cpu_ns() - c0) / 1e6;
      }
    }
    for (int m = 0; m < 4; m++) {
      fprintf(out, "%s_ms %.3f\n%s_cpu_ms %.3f\n%s_found %ld %ld %ld %ld %llu\n", names[m], median(t[m], reps), names[m],
              median(c[m], reps), names[m], f[m].sets, f[m].values, f[m].shm, f[m].msg, f[m].sum);
    }
  }
  if (posixDir) {
    long total = 0, listed = 0;
    static double pt[1000];
    run_posix(posixDir, posixLimit, &total);
    for (int r = 0; r < reps; r++) {
      long long t0 = now_ns();
      listed = run_posix(posixDir, posixLimit, &total);
      pt[r] = (double)(now_ns() - t0) / 1e6;
    }
    fprintf(out, "posix_ms %.3f\nposix_found %ld %ld\n", median(pt, reps), total, listed);
  }
  fclose(out);
  return 0;
}

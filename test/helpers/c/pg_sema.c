// Test helper for the recycle tests: System V objects made the way PostgreSQL and other applications
// make them, in whatever IPC namespace it runs in (tests run it inside private ones only).
//
//   pg_sema pg BASEKEY NSETS [GENERIC]
//       PostgreSQL's sysv_sema.c: for key = BASEKEY+1, +2, ... semget(key, 17, IPC_CREAT|IPC_EXCL|0600)
//       (skipping keys in use), SETVAL 0 on semaphores 0..15, SETVAL(16, 536) then semop(16, +1) so the marker
//       is 537 (PGSemaMagic) and its sempid is this process. With GENERIC > 0 also makes that many plain
//       3-semaphore sets (IPC_PRIVATE, SETVAL so their sempid is this process). Prints "sem ID KEY" per
//       set, then "READY", then sleeps until killed.
//   pg_sema app BASEKEY
//       a live application: set A (key BASEKEY+1, 3 sems, SETVAL by this process), set B (key BASEKEY+2,
//       2 sems) with a forked child blocked in semop(-1) on semaphore 0 (ncount 1), set C (key BASEKEY+3,
//       4 sems, never operated on: every sempid 0), and a 4096-byte shm segment (key BASEKEY+4) it keeps
//       attached. Prints "sem ID KEY" / "shm ID KEY" / "waiter PID", then "READY", then sleeps.
//   pg_sema try NSEMS
//       semget(IPC_PRIVATE, NSEMS, IPC_CREAT|0600): prints "ok ID" (and removes it again) or "err ERRNONAME".
//   pg_sema withpid PID
//       clone3 with set_tid (needs CAP_SYS_ADMIN): a child with exactly this pid, which sleeps; prints
//       "child PID" then "READY" and sleeps too (pid-reuse tests; end both by pid).
//   pg_sema adopt SEMID SHMID
//       a live process takes over: semop(+1,-1) on semaphore 0 of SEMID (its sempid becomes this pid) unless
//       SEMID < 0, and shmat(SHMID) unless SHMID < 0; prints "READY" and sleeps attached.
//   pg_sema race BASEKEY NKEYS ROUNDS
//       the race partner: for ROUNDS rounds, for each key BASEKEY+1..BASEKEY+NKEYS: if no set has the key,
//       a forked child creates it PostgreSQL-style and exits (a fresh orphan); if a set has it, about one
//       visit in four this process adopts it: semop(+1,-1) on semaphore 0 (its sempid becomes this live process), then checks it is still
//       there after a short pause. Every 4th round it also makes a shm segment under BASEKEY+100+k: a child
//       creates+attaches+exits (orphan), and this process attaches it and checks it was not marked for
//       removal while attached. Prints "wrongsem ID NS" / "wrongshm ID NS" for each adopted object that was
//       removed anyway (NS = CLOCK_MONOTONIC when the semop/shmat had returned), then "adopted N",
//       "orphans N", "wrong N" (live objects removed by someone else), "lost N" (adoption lost the race,
//       fine), "blocked N" (semop/shmat refused with EACCES: a recycler had locked the object with IPC_SET
//       mode 0; only a non-root partner sees this), "waitedLock N" (checks of an adopted object that had to
//       wait out such a lock), "stuck N" (an adopted object still locked after 2 s: a lock the recycler never
//       released) and "DONE". Run it as a non-root user to see the lock fence it off.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <time.h>
#include <unistd.h>

#include "race_common.h"

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

static const char *errname(int e) {
  switch (e) {
    case ENOSPC: return "ENOSPC";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EIDRM: return "EIDRM";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    default: return "EOTHER";
  }
}

static void die(const char *what) {
  fprintf(stderr, "pg_sema: %s: %s (%s)\n", what, strerror(errno), errname(errno));
  exit(2);
}

static void pause_forever(void) {
  printf("READY\n");
  fflush(stdout);
  for (;;) pause();
}

/* Exactly sysv_sema.c's InternalIpcSemaphoreCreate + IpcSemaphoreCreate marker dance. */
static int pg_create(key_t key) {
  int id = semget(key, 17, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) return -1;
  union semun arg;
  for (int i = 0; i < 16; i++) {
    arg.val = 0;
    if (semctl(id, i, SETVAL, arg) < 0) die("semctl(SETVAL)");
  }
  arg.val = 537 - 1;
  if (semctl(id, 16, SETVAL, arg) < 0) die("semctl(SETVAL marker)");
  struct sembuf op = {16, 1, 0};
  if (semop(id, &op, 1) < 0) die("semop(marker)");
  return id;
}

static int cmd_pg(key_t base, int nsets, int generic) {
  key_t key = base;
  for (int made = 0; made < nsets;) {
    key++;
    int id = pg_create(key);
    if (id < 0) {
      if (errno == EEXIST || errno == EACCES || errno == EIDRM) continue; /* try the next key, as PostgreSQL does */
      die("semget(17)");
    }
    printf("sem %d %d\n", id, (int)key);
    made++;
  }
  for (int g = 0; g < generic; g++) {
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    if (id < 0) die("semget(generic)");
    union semun arg;
    arg.val = 1;
    for (int i = 0; i < 3; i++)
      if (semctl(id, i, SETVAL, arg) < 0) die("semctl(SETVAL generic)");
    printf("sem %d 0\n", id);
  }
  pause_forever();
  return 0;
}

static int cmd_app(key_t base) {
  union semun arg;
  int a = semget(base + 1, 3, IPC_CREAT | IPC_EXCL | 0600);
  if (a < 0) die("semget(A)");
  arg.val = 2;
  for (int i = 0; i < 3; i++)
    if (semctl(a, i, SETVAL, arg) < 0) die("semctl(A)");
  printf("sem %d %d\n", a, (int)(base + 1));
  int b = semget(base + 2, 2, IPC_CREAT | IPC_EXCL | 0600);
  if (b < 0) die("semget(B)");
  printf("sem %d %d\n", b, (int)(base + 2));
  int c = semget(base + 3, 4, IPC_CREAT | IPC_EXCL | 0600);
  if (c < 0) die("semget(C)");
  printf("sem %d %d\n", c, (int)(base + 3));
  int m = shmget(base + 4, 4096, IPC_CREAT | IPC_EXCL | 0600);
  if (m < 0) die("shmget");
  if (shmat(m, NULL, 0) == (void *)-1) die("shmat");
  printf("shm %d %d\n", m, (int)(base + 4));
  fflush(stdout);
  pid_t w = fork();
  if (w < 0) die("fork");
  if (w == 0) {
    struct sembuf op = {0, -1, 0};
    /* blocks: semaphore 0 of B is 0 (again after EINTR: a stop and continue ends semop, signal(7)) */
    while (semop(b, &op, 1) < 0 && errno == EINTR) {}
    _exit(0);
  }
  /* wait until the waiter is really blocked (ncount 1) */
  for (int i = 0; i < 2000 && semctl(b, 0, GETNCNT) < 1; i++) usleep(1000);
  printf("waiter %d\n", (int)w);
  pause_forever();
  return 0;
}

static int cmd_try(int nsems) {
  int id = semget(IPC_PRIVATE, nsems, IPC_CREAT | 0600);
  if (id < 0) {
    printf("err %s\n", errname(errno));
    return 1;
  }
  printf("ok %d\n", id);
  semctl(id, 0, IPC_RMID);
  return 0;
}

/* IPC_STAT of an object we adopted, waiting out a recycler's transient lock (IPC_SET mode 0 makes IPC_STAT
 * fail with EACCES for a non-root user until the recycler restores the mode or removes the object). Returns 0
 * (there), -1 with errno EINVAL/EIDRM (removed), or -1 with errno EACCES (still locked after 2 s: a leaked lock). */
static int stat_past_lock(int sem, int id, struct semid_ds *sds, struct shmid_ds *mds, long *waited) {
  for (int i = 0; i < 2000; i++) {
    int r;
    if (sem) {
      union semun arg;
      arg.buf = sds;
      r = semctl(id, 0, IPC_STAT, arg);
    } else {
      r = shmctl(id, IPC_STAT, mds);
    }
    if (r == 0 || errno != EACCES) return r;
    if (i == 0) (*waited)++;
    nap(1000);
  }
  errno = EACCES;
  return -1;
}

static int pg_create_orphan(key_t key, int unused) {
  (void)unused;
  return pg_create(key);
}

static int cmd_race(key_t base, int nkeys, int rounds) {
  long adopted = 0, orphans = 0, wrong = 0, lost = 0, shmAdopted = 0, blocked = 0, waitedLock = 0, stuck = 0;
  srand((unsigned)getpid());
  for (int r = 0; r < rounds; r++) {
    for (int k = 1; k <= nkeys; k++) {
      key_t key = base + k;
      int id = semget(key, 0, 0);
      if (id < 0) {
        orphans += orphan_in_child(pg_create_orphan, key, 0);
        continue;
      }
      /* leave most orphans alone for a while so the recycler gets to them; adopt about one visit in four */
      if (rand() % 4 != 0) {
        nap(300);
        continue;
      }
      /* adopt: from now on a live process has operated on the set */
      struct sembuf ops[2] = {{0, 1, 0}, {0, -1, 0}};
      if (semop(id, ops, 2) < 0) {
        if (errno == EACCES) blocked++; /* the recycler had locked it (mode 0): it is being removed, fine */
        else lost++;                    /* removed before we got to it: fine */
        continue;
      }
      long long adoptedAt = mono_ns(); /* the semop has returned: from here on the set is live */
      adopted++;
      nap(200 + rand() % 800);
      struct semid_ds ds;
      if (stat_past_lock(1, id, &ds, NULL, &waitedLock) < 0) {
        if (errno == EACCES) {
          stuck++;
          fprintf(stderr, "pg_sema race: adopted set %d stayed locked (mode 0) for 2 s\n", id);
          continue;
        }
        wrong++; /* a set a live process had operated on was removed */
        printf("wrongsem %d %lld\n", id, adoptedAt);
        fprintf(stderr, "pg_sema race: adopted set %d (key %d) was removed: %s\n", id, (int)key, errname(errno));
      } else {
        semctl(id, 0, IPC_RMID); /* done with it: the next round makes a new orphan under the key */
      }
    }
    if (r % 4 == 0) {
      for (int k = 1; k <= nkeys; k++) {
        key_t key = base + 100 + k;
        int id = shmget(key, 0, 0);
        if (id < 0) {
          pid_t c = fork();
          if (c == 0) {
            int m = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
            if (m < 0 || shmat(m, NULL, SHM_RDONLY) == (void *)-1) _exit(1);
            _exit(0);
          }
          int st;
          waitpid(c, &st, 0);
          if (WIFEXITED(st) && WEXITSTATUS(st) == 0) orphans++;
          continue;
        }
        if (rand() % 2 != 0) continue;
        void *p = shmat(id, NULL, SHM_RDONLY);
        if (p == (void *)-1) {
          if (errno == EACCES) blocked++;
          else lost++;
          continue;
        }
        long long attachedAt = mono_ns();
        shmAdopted++;
        nap(200 + rand() % 800);
        struct shmid_ds ds;
        int sr = stat_past_lock(0, id, NULL, &ds, &waitedLock);
        if (sr < 0 && errno == EACCES) {
          stuck++;
          fprintf(stderr, "pg_sema race: attached segment %d stayed locked (mode 0) for 2 s\n", id);
        } else if (sr < 0 || (ds.shm_perm.mode & SHM_DEST)) {
          wrong++;
          printf("wrongshm %d %lld\n", id, attachedAt);
          fprintf(stderr, "pg_sema race: attached segment %d (key %d) was removed\n", id, (int)key);
        } else {
          shmctl(id, IPC_RMID, NULL);
        }
        shmdt(p);
      }
    }
  }
  printf("adopted %ld\nshmAdopted %ld\norphans %ld\nwrong %ld\nlost %ld\nblocked %ld\nwaitedLock %ld\nstuck %ld\nDONE\n", adopted,
         shmAdopted, orphans, wrong, lost, blocked, waitedLock, stuck);
  return 0;
}

static int cmd_withpid(pid_t want) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  pid_t tid[1] = {want};
  args.exit_signal = SIGCHLD;
  args.set_tid = (unsigned long)tid;
  args.set_tid_size = 1;
  long r = syscall(SYS_clone3, &args, sizeof args);
  if (r < 0) die("clone3(set_tid)");
  if (r == 0) {
    for (;;) pause();
  }
  printf("child %ld\n", r);
  pause_forever();
  return 0;
}

static int cmd_adopt(int semid, int shmid) {
  if (semid >= 0) {
    struct sembuf ops[2] = {{0, 1, 0}, {0, -1, 0}};
    if (semop(semid, ops, 2) < 0) die("semop(adopt)");
  }
  if (shmid >= 0 && shmat(shmid, NULL, SHM_RDONLY) == (void *)-1) die("shmat(adopt)");
  pause_forever();
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && strcmp(argv[1], "pg") == 0) return cmd_pg((key_t)strtol(argv[2], NULL, 0), atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 0);
  if (argc >= 3 && strcmp(argv[1], "app") == 0) return cmd_app((key_t)strtol(argv[2], NULL, 0));
  if (argc >= 3 && strcmp(argv[1], "try") == 0) return cmd_try(atoi(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "adopt") == 0) return cmd_adopt(atoi(argv[2]), atoi(argv[3]));
  if (argc >= 3 && strcmp(argv[1], "withpid") == 0) return cmd_withpid((pid_t)atoi(argv[2]));
  if (argc >= 5 && strcmp(argv[1], "race") == 0) return cmd_race((key_t)strtol(argv[2], NULL, 0), atoi(argv[3]), atoi(argv[4]));
  fprintf(stderr, "usage: pg_sema pg BASEKEY NSETS [GENERIC] | app BASEKEY | try NSEMS | race BASEKEY NKEYS ROUNDS\n");
  return 2;
}

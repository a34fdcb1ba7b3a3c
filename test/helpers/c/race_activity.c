// race_activity: the partner of the activity race test (test/recycle/raceActivity.test.ts). Run it only
// inside a private IPC namespace, as a non-root user (the recycler's lock then fences it off with EACCES).
//
//   race_activity shm BASEKEY NKEYS ROUNDS
//       for each key BASEKEY+1..+NKEYS: if no segment has it, a forked child creates it (0600), attaches and
//       exits: a fresh orphan (creator dead, nattch 0). If one has it, about one visit in four this process
//       uses it: shmat + shmdt (activity, no lasting attachment: only lpid/atime/dtime show it), then checks
//       after a short pause that it was not removed, and removes it itself.
//   race_activity msg BASEKEY NKEYS ROUNDS
//       the same with queues: a forked child creates one (0600), sends one message and exits (sender dead).
//       A visit that uses it either sends and receives a message of its own (lspid/lrpid/stime/rtime move,
//       qnum/cbytes do not), or forks a receiver that blocks in msgrcv on a type nobody sends (no trace in the
//       header at all) and, while it is blocked, checks the queue is still there.
// Prints "wrongshm ID NS" / "wrongmsg ID NS" for each object in use that was removed anyway (NS =
// CLOCK_MONOTONIC when the use began), then "adopted N" (uses), "blockedWaits N" (receivers that were
// blocked while the recycler worked), "orphans N", "wrong N", "lost N" (an orphan removed before the use:
// fine), "blocked N" (use refused with EACCES: the object was locked for removal, fine), "lockWoken N" (a
// blocked receiver woken with EACCES by a lock: the recycler locked a queue someone was waiting on, which
// it started doing after the recycler's last scan), "lockWokenRemoved N" (of those, the queue was then
// removed: "wokenmsg ID NS" each; the test requires 0),
// "waitedLock N", "stuck N" (still locked after 2 s: a lock never released) and "DONE".
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "race_common.h"

struct msg8 {
  long mtype;
  char text[8];
};

static long adopted, blockedWaits, orphans, wrong, lost, blocked, lockWoken, lockWokenRemoved, waitedLock, stuck;

// IPC_STAT past a recycler's transient lock: 0 there, -1 errno EINVAL/EIDRM removed, -1 EACCES stuck.
static int stat_past_lock(int msg, int id) {
  for (int i = 0; i < 2000; i++) {
    int r;
    if (msg) {
      struct msqid_ds ds;
      r = msgctl(id, IPC_STAT, &ds);
    } else {
      struct shmid_ds ds;
      r = shmctl(id, IPC_STAT, &ds);
      if (r == 0 && (ds.shm_perm.mode & SHM_DEST)) {
        errno = EIDRM;
        return -1;
      }
    }
    if (r == 0 || errno != EACCES) return r;
    if (i == 0) waitedLock++;
    nap(1000);
  }
  errno = EACCES;
  return -1;
}

static void judge(const char *what, int msg, int id, long long at) {
  if (stat_past_lock(msg, id) < 0) {
    if (errno == EACCES) {
      stuck++;
      fprintf(stderr, "race_activity: %s %d stayed locked for 2 s\n", what, id);
      return;
    }
    wrong++;
    printf("wrong%s %d %lld\n", what, id, at);
    fprintf(stderr, "race_activity: %s %d in use was removed\n", what, id);
    return;
  }
  if (msg) msgctl(id, IPC_RMID, NULL);
  else shmctl(id, IPC_RMID, NULL);
}

static int blocked_in_msgrcv(pid_t p) {
  char path[64], buf[128];
  snprintf(path, sizeof path, "/proc/%d/syscall", (int)p);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int ok = fgets(buf, sizeof buf, f) != NULL;
  fclose(f);
#if defined(__aarch64__)
  return ok && strncmp(buf, "188 ", 4) == 0;
#else
  return ok && strncmp(buf, "70 ", 3) == 0;
#endif
}

static void use_shm(int id) {
  void *p = shmat(id, NULL, SHM_RDONLY);
  if (p == (void *)-1) {
    if (errno == EACCES) blocked++;
    else lost++;
    return;
  }
  shmdt(p);
  long long at = mono_ns();
  adopted++;
  nap(200 + rand() % 800);
  judge("shm", 0, id, at);
}

static void use_msg(int id) {
  struct msg8 m = {2, "mine"};
  if (rand() % 2) {
    if (msgsnd(id, &m, sizeof m.text, IPC_NOWAIT) < 0) {
      if (errno == EACCES) blocked++;
      else lost++;
      return;
    }
    long long at = mono_ns();
    adopted++;
    if (msgrcv(id, &m, sizeof m.text, 2, IPC_NOWAIT) < 0 && errno == EACCES) {
      // locked between our send and our receive: the lock's re-verification must see the send
      nap(1000);
    }
    nap(200 + rand() % 800);
    judge("msg", 1, id, at);
    return;
  }
  // a receiver blocked on a type nobody sends: a user the header does not show
  pid_t c = fork();
  if (c == 0) {
    struct msg8 r;
    if (msgrcv(id, &r, sizeof r.text, 3, 0) >= 0) _exit(0);
    _exit(errno == EIDRM ? 10 : errno == EACCES ? 11 : errno == EINVAL ? 13 : 12);
  }
  int st = 0;
  int isBlocked = 0;
  for (int i = 0; i < 500 && !isBlocked; i++) {
    if (waitpid(c, &st, WNOHANG) == c) break;
    isBlocked = blocked_in_msgrcv(c);
    if (!isBlocked) nap(100);
  }
  if (!isBlocked) {
    // it never blocked: exited first (queue gone or locked before its msgrcv), or slow to start
    if (waitpid(c, &st, WNOHANG) == 0) {
      kill(c, SIGKILL);
      waitpid(c, &st, 0);
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (code == 11) blocked++;
    else lost++;
    return;
  }
  long long at = mono_ns();
  adopted++;
  blockedWaits++;
  nap(300 + rand() % 2000);
  int code = -1;
  if (waitpid(c, &st, WNOHANG) == c) code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (code == 11) {
    // a lock woke it (IPC_SET wakes a queue's receivers; as nobody it then fails with EACCES): the
    // recycler locked a queue someone was waiting on (it started waiting after the recycler's last scan)
    lockWoken++;
    if (stat_past_lock(1, id) < 0 && errno != EACCES) {
      lockWokenRemoved++;
      printf("wokenmsg %d %lld\n", id, at);
    } else {
      msgctl(id, IPC_RMID, NULL);
    }
    return;
  }
  if (code != -1) {
    // woken by the removal (EIDRM; EINVAL when it re-checked the id after it): removed while it waited
    wrong++;
    printf("wrongmsg %d %lld\n", id, at);
    fprintf(stderr, "race_activity: queue %d was removed while a receiver was blocked on it (exit %d)\n", id, code);
    return;
  }
  // still waiting: nothing but a removal or a lock could have ended its msgrcv, so the queue must be there
  // now; check it while the receiver still waits, then end the receiver
  if (stat_past_lock(1, id) < 0 && errno != EACCES) {
    // gone: the receiver's msgrcv has ended (the removal, or a lock before it, woke it): how?
    waitpid(c, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 11) {
      lockWoken++;
      lockWokenRemoved++;
      printf("wokenmsg %d %lld\n", id, at);
      return;
    }
    wrong++;
    printf("wrongmsg %d %lld\n", id, at);
    fprintf(stderr, "race_activity: queue %d was removed while a receiver was blocked on it\n", id);
    return;
  }
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  msgctl(id, IPC_RMID, NULL);
}

/* The orphan's creator: a queue holding one message (msg), or a segment it attached. -1 on failure. */
static int make_orphan(key_t key, int msg) {
  if (msg) {
    int q = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    struct msg8 m = {1, "orphan"};
    return q < 0 || msgsnd(q, &m, sizeof m.text, 0) < 0 ? -1 : 0;
  }
  int s = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
  return s < 0 || shmat(s, NULL, SHM_RDONLY) == (void *)-1 ? -1 : 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc != 5 || (strcmp(argv[1], "shm") != 0 && strcmp(argv[1], "msg") != 0)) {
    fprintf(stderr, "usage: race_activity shm|msg BASEKEY NKEYS ROUNDS\n");
    return 64;
  }
  int msg = strcmp(argv[1], "msg") == 0;
  key_t base = (key_t)strtol(argv[2], NULL, 0);
  int nkeys = atoi(argv[3]), rounds = atoi(argv[4]);
  srand((unsigned)getpid());
  for (int r = 0; r < rounds; r++) {
    for (int k = 1; k <= nkeys; k++) {
      key_t key = base + k;
      int id = msg ? msgget(key, 0) : shmget(key, 0, 0);
      if (id < 0) {
        orphans += orphan_in_child(make_orphan, key, msg);
        continue;
      }
      if (rand() % 4 != 0) {
        nap(300);
        continue;
      }
      if (msg) use_msg(id);
      else use_shm(id);
    }
  }
  printf("adopted %ld\nblockedWaits %ld\norphans %ld\nwrong %ld\nlost %ld\nblocked %ld\nlockWoken %ld\nlockWokenRemoved %ld\nwaitedLock %ld\nstuck %ld\nDONE\n",
         adopted, blockedWaits, orphans, wrong, lost, blocked, lockWoken, lockWokenRemoved, waitedLock, stuck);
  return 0;
}

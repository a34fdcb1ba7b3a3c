// ipc_user: a process that uses an existing System V object the way applications do (recycle re-check
// tests; run it only inside a private IPC namespace).
//
//   ipc_user touch SHMID          shmat + shmdt once (nattch back to 0; lpid/atime/dtime move), prints "done PID"
//   ipc_user sendrecv MSQID       msgsnd one 16-byte message, then msgrcv it (qnum/cbytes as before; lspid,
//                                 lrpid, stime, rtime move), prints "done PID"
//   ipc_user recv MSQID [TYPE]    a server: prints "pid PID" and blocks in msgrcv (TYPE, default 0 = any);
//                                 on a message prints "got N" and exits 0; on an error prints "err ERRNAME"
//                                 and exits 3
//   ipc_user touchstay SHMID      touch, prints "done PID", then stays alive (sleeps until killed)
//   ipc_user fill MSQID           a sender on a full queue: msgsnd IPC_NOWAIT until EAGAIN (the queue is full),
//                                 prints "pid PID" and "full N", then blocks in msgsnd; prints "sent" or
//                                 "err ERRNAME" when that returns
//   ipc_user shmloop SHMID N      N times: shmat, shmdt (activity without a lasting attachment); "done N"
//   ipc_user gorecv MSQID TYPE    prints "pid PID", waits for a line on stdin (asleep in read), then blocks in
//                                 msgrcv(TYPE); prints "got N" or "err ERRNAME" (exit 3) when that returns
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <unistd.h>

struct msg16 {
  long mtype;
  char text[16];
};

static const char *errname(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "EOTHER";
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 3) {
    fprintf(stderr, "usage: ipc_user touch SHMID | sendrecv MSQID | recv MSQID | fill MSQID | shmloop SHMID N\n");
    return 64;
  }
  int id = atoi(argv[2]);
  /* touch and shmloop attach + detach N times (default 1); touchstay once, then stays alive */
  int stay = strcmp(argv[1], "touchstay") == 0;
  if (stay || strcmp(argv[1], "touch") == 0 || strcmp(argv[1], "shmloop") == 0) {
    long n = !stay && argc > 3 ? atol(argv[3]) : 1;
    for (long i = 0; i < n; i++) {
      void *p = shmat(id, NULL, SHM_RDONLY);
      if (p == (void *)-1) {
        printf("err %s\n", errname(errno));
        return 3;
      }
      shmdt(p);
    }
    printf("done %d\n", (int)getpid());
    if (stay)
      for (;;) pause();
    return 0;
  }
  struct msg16 m = {1, "ipc_user message"};
  if (strcmp(argv[1], "sendrecv") == 0) {
    if (msgsnd(id, &m, sizeof m.text, 0) < 0 || msgrcv(id, &m, sizeof m.text, 0, 0) < 0) {
      printf("err %s\n", errname(errno));
      return 3;
    }
    printf("done %d\n", (int)getpid());
    return 0;
  }
  if (strcmp(argv[1], "gorecv") == 0) {
    char line[64];
    printf("pid %d\n", (int)getpid());
    if (!fgets(line, sizeof line, stdin)) return 4;
  }
  if (strcmp(argv[1], "recv") == 0 || strcmp(argv[1], "gorecv") == 0) {
    if (argv[1][0] == 'r') printf("pid %d\n", (int)getpid());
    ssize_t r;
    /* EINTR: a stop and continue of this process (signal(7)); receive again */
    while ((r = msgrcv(id, &m, sizeof m.text, argc > 3 ? atol(argv[3]) : 0, 0)) < 0 && errno == EINTR) {}
    if (r < 0) {
      printf("err %s\n", errname(errno));
      return 3;
    }
    printf("got %zd\n", r);
    return 0;
  }
  if (strcmp(argv[1], "fill") == 0) {
    long n = 0;
    while (msgsnd(id, &m, sizeof m.text, IPC_NOWAIT) == 0) n++;
    if (errno != EAGAIN) {
      printf("err %s\n", errname(errno));
      return 3;
    }
    printf("pid %d\nfull %ld\n", (int)getpid(), n);
    if (msgsnd(id, &m, sizeof m.text, 0) < 0) {
      printf("err %s\n", errname(errno));
      return 3;
    }
    printf("sent\n");
    return 0;
  }
  fprintf(stderr, "ipc_user: unknown command %s\n", argv[1]);
  return 64;
}

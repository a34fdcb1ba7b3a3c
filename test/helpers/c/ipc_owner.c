// ipc_owner: a process that owns or uses System V objects and stays alive (tests; run it only inside a
// private IPC namespace). Each mode prints its lines, then READY, then waits for a signal:
//   ipc_owner shm KEY SIZE MODE   creates a segment (never attaches it): "shm <id> <key>"
//   ipc_owner touch ID            attaches segment ID and detaches it again (lpid, atime, dtime): "touched <pid>"
//   ipc_owner msg KEY MODE        creates a queue, sends one message and receives it: "msg <id> <key>"
// KEY 0 = IPC_PRIVATE; MODE is octal. On failure prints "ERR <syscall> <errno>" and exits 2.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <unistd.h>

static void fail(const char *call) {
  printf("ERR %s %d\n", call, errno);
  fflush(stdout);
  exit(2);
}

static void ready(void) {
  printf("READY\n");
  fflush(stdout);
  for (;;) pause();
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "shm") == 0) {
    key_t key = (key_t)strtol(argv[2], NULL, 0);
    int id = shmget(key, (size_t)strtol(argv[3], NULL, 0), IPC_CREAT | IPC_EXCL | (int)strtol(argv[4], NULL, 8));
    if (id < 0) fail("shmget");
    printf("shm %d %d\n", id, (int)key);
    ready();
  }
  if (argc >= 3 && strcmp(argv[1], "touch") == 0) {
    void *p = shmat(atoi(argv[2]), NULL, SHM_RDONLY);
    if (p == (void *)-1) fail("shmat");
    if (shmdt(p) != 0) fail("shmdt");
    printf("touched %d\n", (int)getpid());
    ready();
  }
  if (argc >= 4 && strcmp(argv[1], "msg") == 0) {
    key_t key = (key_t)strtol(argv[2], NULL, 0);
    int id = msgget(key, IPC_CREAT | IPC_EXCL | (int)strtol(argv[3], NULL, 8));
    if (id < 0) fail("msgget");
    struct { long mtype; char text[8]; } m = { 1, "ping" };
    if (msgsnd(id, &m, sizeof m.text, 0) != 0) fail("msgsnd");
    if (msgrcv(id, &m, sizeof m.text, 0, 0) < 0) fail("msgrcv");
    printf("msg %d %d\n", id, (int)key);
    ready();
  }
  fprintf(stderr, "usage: ipc_owner shm KEY SIZE MODE | touch ID | msg KEY MODE\n");
  return 64;
}

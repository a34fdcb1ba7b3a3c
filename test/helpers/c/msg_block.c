// msg_block: a process that uses System V objects the way a server does (tests only, inside a private IPC
// namespace).
//   msg_block rcv ID      prints "blocking <pid>", then blocks in msgrcv(ID) until a message or a signal
//   msg_block snd ID      fills queue ID with IPC_NOWAIT sends until EAGAIN, prints "blocking <pid>", then
//                         blocks in msgsnd(ID)
//   msg_block attach ID   shmat + shmdt of segment ID once (changes lpid, atime, dtime; nattch back to 0)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <unistd.h>

struct msg {
  long mtype;
  char text[1024];
};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: msg_block rcv|snd|attach ID\n");
    return 64;
  }
  int id = atoi(argv[2]);
  static struct msg m;
  m.mtype = 1;
  memset(m.text, 'x', sizeof m.text);
  if (strcmp(argv[1], "attach") == 0) {
    void *p = shmat(id, NULL, SHM_RDONLY);
    if (p == (void *)-1) {
      perror("shmat");
      return 2;
    }
    if (shmdt(p) < 0) {
      perror("shmdt");
      return 2;
    }
    return 0;
  }
  if (strcmp(argv[1], "snd") == 0) {
    for (;;) {
      if (msgsnd(id, &m, sizeof m.text, IPC_NOWAIT) == 0) continue;
      if (errno == EAGAIN) break;
      perror("msgsnd");
      return 2;
    }
    printf("blocking %d\n", (int)getpid());
    fflush(stdout);
    /* EINTR: a stop and continue of this process (signal(7)); block again */
    while (msgsnd(id, &m, sizeof m.text, 0) < 0) {
      if (errno == EINTR) continue;
      perror("msgsnd");
      break;
    }
    return 0;
  }
  if (strcmp(argv[1], "rcv") == 0) {
    printf("blocking %d\n", (int)getpid());
    fflush(stdout);
    /* EINTR: a stop and continue of this process (signal(7)); block again */
    while (msgrcv(id, &m, sizeof m.text, 0, 0) < 0) {
      if (errno == EINTR) continue;
      perror("msgrcv");
      break;
    }
    return 0;
  }
  fprintf(stderr, "msg_block: unknown mode %s\n", argv[1]);
  return 64;
}

// sem_waiter ID SEMNUM OP: prints "waiting <pid>" and then blocks in semop(ID, {SEMNUM, OP, 0}).
// OP < 0 waits for the value to reach |OP| (ncount), OP == 0 waits for zero (zcount). Exits 0 when the
// operation completes (e.g. the set is removed: EIDRM -> exit 3). The test ends it by pid.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: sem_waiter ID SEMNUM OP\n");
    return 64;
  }
  struct sembuf op = {.sem_num = (unsigned short)atoi(argv[2]), .sem_op = (short)atoi(argv[3]), .sem_flg = 0};
  printf("waiting %d\n", (int)getpid());
  fflush(stdout);
  /* a stop and continue of this process (a VM snapshot, SIGSTOP/SIGCONT) ends semop and msgrcv/msgsnd with
     EINTR even without a handler (signal(7)): wait again, so the waiter outlives it */
  int r;
  while ((r = semop(atoi(argv[1]), &op, 1)) < 0 && errno == EINTR) {}
  if (r < 0) {
    printf("semop: %s\n", strerror(errno));
    return errno == EIDRM ? 3 : 2;
  }
  printf("done\n");
  return 0;
}

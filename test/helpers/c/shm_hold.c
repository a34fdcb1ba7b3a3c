// shm_hold ID: attaches segment ID (read-only), prints "attached <pid>" and sleeps until killed.
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: shm_hold ID\n");
    return 64;
  }
  void *p = shmat(atoi(argv[1]), NULL, SHM_RDONLY);
  if (p == (void *)-1) {
    perror("shmat");
    return 2;
  }
  printf("attached %d\n", (int)getpid());
  fflush(stdout);
  for (;;) pause();
}

// sem_churn MILLISECONDS: creates and removes private 17-semaphore sets in a loop for the given time, so
// that concurrent readers see sets vanish between listing and GETALL. Prints "churning <pid>" first and
// "churned <count>" at the end. Run it only inside a private IPC namespace.
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sem_churn MILLISECONDS\n");
    return 64;
  }
  double until = now_ms() + atof(argv[1]);
  long n = 0;
  printf("churning %d\n", (int)getpid());
  fflush(stdout);
  while (now_ms() < until) {
    int ids[64];
    int k = 0;
    for (; k < 64; k++) {
      ids[k] = semget(IPC_PRIVATE, 17, IPC_CREAT | 0600);
      if (ids[k] < 0) break;
    }
    for (int j = 0; j < k; j++) semctl(ids[j], 0, IPC_RMID);
    n += k;
  }
  printf("churned %ld\n", n);
  return 0;
}

// cprog: -pthread
// posix_sem create NAME VALUE   sem_open(NAME, O_CREAT|O_EXCL, 0600, VALUE); prints "created"
// posix_sem wait NAME           sem_open(NAME, 0); prints "waiting <pid>"; blocks in sem_wait
// posix_sem post NAME           sem_post once; prints "posted"
// Run it only with a private /dev/shm (a mount namespace with its own tmpfs).
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: posix_sem create NAME VALUE | wait NAME | post NAME\n");
    return 64;
  }
  if (strcmp(argv[1], "create") == 0 && argc == 4) {
    sem_t *s = sem_open(argv[2], O_CREAT | O_EXCL, 0600, (unsigned)atoi(argv[3]));
    if (s == SEM_FAILED) { perror("sem_open"); return 2; }
    printf("created\n");
    return 0;
  }
  sem_t *s = sem_open(argv[2], 0);
  if (s == SEM_FAILED) { perror("sem_open"); return 2; }
  if (strcmp(argv[1], "wait") == 0) {
    printf("waiting %d\n", (int)getpid());
    fflush(stdout);
    if (sem_wait(s) < 0) { perror("sem_wait"); return 2; }
    printf("done\n");
    return 0;
  }
  if (strcmp(argv[1], "post") == 0) {
    if (sem_post(s) < 0) { perror("sem_post"); return 2; }
    printf("posted\n");
    return 0;
  }
  return 64;
}

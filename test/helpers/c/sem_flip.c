// sem_flip: an adopter that keeps operating on a System V set from fresh processes, for the guarded-removal
// lock tests (run it only inside a private IPC namespace).
//
//   sem_flip new PERIOD_US     creates a 1-semaphore set (IPC_PRIVATE, mode 0600, owned by the running user)
//   sem_flip SEMID PERIOD_US   uses an existing set
//
//   sem_flip new|SEMID step    one operation per line read on stdin, answered "op ok|blocked|gone"
//
// Prints "sem ID" and "READY", then every PERIOD_US microseconds (or for each stdin line, in step mode: the
// test decides exactly when) a freshly forked child does semop(+1,-1) on semaphore 0 and exits, so the set's
// sempid changes with every operation. A child's semop that fails with EACCES (the set is locked: IPC_SET
// mode 0 by a guarded removal) counts as "blocked". When the set is gone (EIDRM/EINVAL) it prints
// "ops N blocked N gone" and exits 0; on SIGTERM (or end of stdin in step mode) the same line with "stopped".
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;
static void on_term(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sem_flip new|SEMID PERIOD_US|step\n");
    return 64;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  int id;
  if (strcmp(argv[1], "new") == 0) {
    id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    if (id < 0) {
      perror("sem_flip: semget");
      return 2;
    }
  } else {
    id = atoi(argv[1]);
  }
  int step = strcmp(argv[2], "step") == 0;
  long period = step ? 0 : atol(argv[2]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  printf("sem %d\nREADY\n", id);
  long ops = 0, blocked = 0;
  const char *end = "stopped";
  char line[64];
  while (!stopping) {
    if (step && !fgets(line, sizeof line, stdin)) break;
    pid_t c = fork();
    if (c < 0) {
      perror("sem_flip: fork");
      return 2;
    }
    if (c == 0) {
      struct sembuf sb[2] = {{0, 1, 0}, {0, -1, 0}};
      if (semop(id, sb, 2) == 0) _exit(0);
      _exit(errno == EACCES ? 1 : (errno == EIDRM || errno == EINVAL) ? 2 : 3);
    }
    int st;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 3;
    if (step) printf("op %s\n", code == 0 ? "ok" : code == 1 ? "blocked" : code == 2 ? "gone" : "failed");
    if (code == 0) ops++;
    else if (code == 1) blocked++;
    else if (code == 2) {
      end = "gone";
      break;
    } else {
      fprintf(stderr, "sem_flip: semop failed unexpectedly\n");
      return 2;
    }
    if (step) continue;
    struct timespec ts = {period / 1000000, (period % 1000000) * 1000};
    nanosleep(&ts, NULL);
  }
  printf("ops %ld blocked %ld %s\n", ops, blocked, end);
  return 0;
}

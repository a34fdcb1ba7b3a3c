// spawn_timer: runs commands on request and reports their wall time, so a benchmark process never forks
// itself (a fork write-protects all of the parent's pages: its next writes fault, which would bill an
// in-process measurement for the reference's process creation).
// Protocol: one request per line on stdin, argv fields separated by TABs; the command runs with stdin and
// stdout on /dev/null and stderr inherited; the reply is one line "<exit status> <elapsed ns> <cpu ns>" on
// stdout (cpu: the child's user + system time, from wait4).
// EOF on stdin ends it.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int devnull = open("/dev/null", O_RDWR);
  if (devnull < 0) { perror("open /dev/null"); return 2; }
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[n - 1] == '\n') line[--n] = 0;
    char *argv[256];
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(line, "\t", &save); t && argc < 255; t = strtok_r(NULL, "\t", &save)) argv[argc++] = t;
    argv[argc] = NULL;
    if (argc == 0) { printf("-1 0 0\n"); fflush(stdout); continue; }
    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid == 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      execvp(argv[0], argv);
      _exit(127);
    }
    int status = -1;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (pid > 0) wait4(pid, &status, 0, &ru);
    long long t1 = now_ns();
    long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    printf("%d %lld %lld\n", pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, t1 - t0, cpu);
    fflush(stdout);
  }
  free(line);
  return 0;
}

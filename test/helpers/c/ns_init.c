/*
 * ns_init: pid 1 of a test's private pid namespace. Prints READY, then reaps every child (orphans are
 * reparented to it) so that killed processes disappear from /proc instead of staying zombies. Ends when the
 * test kills it (the kernel then kills every process of the namespace).
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

static void on_chld(int sig) { (void)sig; }

int main(void) {
  sigset_t chld, none;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  signal(SIGCHLD, on_chld);
  printf("READY\n");
  fflush(stdout);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    sigsuspend(&none); /* returns after SIGCHLD: no child exit is missed (SIGCHLD stays blocked otherwise) */
  }
}

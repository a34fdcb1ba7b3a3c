/* Shared by the race partners (pg_sema.c, race_activity.c): a clock, a short sleep, and the orphan maker. */
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC in ns: the clock node's process.hrtime.bigint() reads, so times compare across processes. */
static inline long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void nap(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

/* Runs make(key, arg) in a forked child that exits right after, so what it made has no live creator: an
 * orphan. 1 when make succeeded (returned >= 0), else 0. */
static inline int orphan_in_child(int (*make)(key_t key, int arg), key_t key, int arg) {
  pid_t c = fork();
  if (c == 0) _exit(make(key, arg) < 0 ? 1 : 0);
  int st;
  waitpid(c, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

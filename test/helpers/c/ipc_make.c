// ipc_make: create System V objects with known contents, fast (tests and benches; run it only inside a
// private IPC namespace).
//
//   ipc_make sem -n COUNT -s NSEMS [-v SPEC] [-k KEYBASE] [-m MODE] [-q]
//        SPEC: "0" all zero (default) | "p" pattern (set*31 + semnum) % 32768 | "v0,v1,..." per semaphore
//   ipc_make shm -n COUNT -s SIZE [-w TEXT] [-k KEYBASE] [-m MODE] [-q]     (-w writes TEXT at offset 0)
//   ipc_make msg -n COUNT [-M NMSG] [-B BYTES] [-k KEYBASE] [-m MODE] [-q]  (NMSG messages of BYTES each)
//
// KEYBASE 0 (default) = IPC_PRIVATE; otherwise object i gets key KEYBASE + i. MODE is octal (default 600).
// Prints "<kind> <id> <key>" per object (or only "created N" with -q). On failure prints
// "ERR <syscall> <ERRNAME> <errno> <index>" and exits 2 (objects made so far stay).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

static void fail(const char *syscall, long idx) {
  int e = errno;
  const char *name = strerrorname_np(e);
  printf("ERR %s %s %d %ld\n", syscall, name ? name : "E?", e, idx);
  fflush(stdout);
  exit(2);
}

static void usage(void) {
  fprintf(stderr, "usage: ipc_make sem|shm|msg -n COUNT [-s NSEMS|SIZE] [-v SPEC] [-w TEXT] [-M NMSG] [-B BYTES] "
                  "[-k KEYBASE] [-m MODE] [-q]\n");
  exit(64);
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  const char *kind = argv[1];
  long count = 1, size = 1, nmsg = 0, bytes = 16;
  long keybase = 0;
  int mode = 0600, quiet = 0;
  const char *spec = "0", *text = NULL;
  int c;
  optind = 2;
  while ((c = getopt(argc, argv, "n:s:v:w:M:B:k:m:q")) != -1) {
    switch (c) {
      case 'n': count = strtol(optarg, NULL, 0); break;
      case 's': size = strtol(optarg, NULL, 0); break;
      case 'v': spec = optarg; break;
      case 'w': text = optarg; break;
      case 'M': nmsg = strtol(optarg, NULL, 0); break;
      case 'B': bytes = strtol(optarg, NULL, 0); break;
      case 'k': keybase = strtol(optarg, NULL, 0); break;
      case 'm': mode = (int)strtol(optarg, NULL, 8); break;
      case 'q': quiet = 1; break;
      default: usage();
    }
  }
  if (strcmp(kind, "sem") == 0) {
    unsigned short *vals = calloc((size_t)size, sizeof *vals);
    int explicit = strchr(spec, ',') != NULL || (spec[0] != 'p' && strcmp(spec, "0") != 0);
    if (explicit) {
      char *dup = strdup(spec), *save = NULL;
      long i = 0;
      for (char *t = strtok_r(dup, ",", &save); t && i < size; t = strtok_r(NULL, ",", &save)) vals[i++] = (unsigned short)atoi(t);
      free(dup);
    }
    for (long i = 0; i < count; i++) {
      key_t key = keybase ? (key_t)(keybase + i) : IPC_PRIVATE;
      int id = semget(key, (int)size, IPC_CREAT | IPC_EXCL | mode);
      if (id < 0) fail("semget", i);
      if (spec[0] == 'p') {
        for (long j = 0; j < size; j++) vals[j] = (unsigned short)((i * 31 + j) % 32768);
      }
      if (spec[0] == 'p' || explicit) {
        union semun arg;
        arg.array = vals;
        if (semctl(id, 0, SETALL, arg) < 0) fail("semctl", i);
      }
      if (!quiet) printf("sem %d %d\n", id, (int)key);
    }
    free(vals);
  } else if (strcmp(kind, "shm") == 0) {
    for (long i = 0; i < count; i++) {
      key_t key = keybase ? (key_t)(keybase + i) : IPC_PRIVATE;
      int id = shmget(key, (size_t)size, IPC_CREAT | IPC_EXCL | mode);
      if (id < 0) fail("shmget", i);
      if (text) {
        char *p = shmat(id, NULL, 0);
        if (p == (void *)-1) fail("shmat", i);
        size_t n = strlen(text);
        if (n > (size_t)size) n = (size_t)size;
        memcpy(p, text, n);
        if (shmdt(p) < 0) fail("shmdt", i);
      }
      if (!quiet) printf("shm %d %d\n", id, (int)key);
    }
  } else if (strcmp(kind, "msg") == 0) {
    struct { long mtype; char mtext[65536]; } *m = calloc(1, sizeof *m);
    if (bytes > (long)sizeof m->mtext) bytes = sizeof m->mtext;
    memset(m->mtext, 'x', (size_t)bytes);
    for (long i = 0; i < count; i++) {
      key_t key = keybase ? (key_t)(keybase + i) : IPC_PRIVATE;
      int id = msgget(key, IPC_CREAT | IPC_EXCL | mode);
      if (id < 0) fail("msgget", i);
      for (long j = 0; j < nmsg; j++) {
        m->mtype = j + 1;
        if (msgsnd(id, m, (size_t)bytes, IPC_NOWAIT) < 0) fail("msgsnd", i);
      }
      if (!quiet) printf("msg %d %d\n", id, (int)key);
    }
    free(m);
  } else {
    usage();
  }
  if (quiet) printf("created %ld\n", count);
  return 0;
}

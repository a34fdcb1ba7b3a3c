// deny_sysv ERRNO CMD ARGS...: runs CMD with a seccomp filter under which every System V IPC system call
// (semget, semop, semtimedop, semctl, shmget, shmat, shmdt, shmctl, msgget, msgsnd, msgrcv, msgctl) fails
// with ERRNO, as in a sandbox that forbids System V IPC (a container runtime's profile, systemd
// SystemCallFilter=~@ipc). Files (/proc/sysvipc, /dev/shm) stay readable. x86_64 only.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DENY(sysno) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA))

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: deny_sysv ERRNO CMD ARGS...\n");
    return 64;
  }
#if !defined(__x86_64__)
  fprintf(stderr, "deny_sysv: x86_64 only\n");
  return 65;
#else
  char *end = NULL;
  long e = strtol(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || e <= 0 || e > 4095) {
    fprintf(stderr, "deny_sysv: ERRNO must be 1..4095, got %s\n", argv[1]);
    return 64;
  }
  unsigned err = (unsigned)e;
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    DENY(__NR_semget), DENY(__NR_semop), DENY(__NR_semtimedop), DENY(__NR_semctl),
    DENY(__NR_shmget), DENY(__NR_shmat), DENY(__NR_shmdt), DENY(__NR_shmctl),
    DENY(__NR_msgget), DENY(__NR_msgsnd), DENY(__NR_msgrcv), DENY(__NR_msgctl),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("prctl"); return 2; }
  if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) { perror("seccomp"); return 2; }
  execvp(argv[2], argv + 2);
  perror("execvp");
  return 127;
#endif
}

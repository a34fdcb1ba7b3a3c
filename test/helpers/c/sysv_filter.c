// sysv_filter MODE CMD ARGS...: runs CMD under a seccomp filter that changes what System V IPC calls answer,
// so tests can meet kernels and sandboxes this machine is not. x86_64 only.
//   no-stat-any  semctl/shmctl/msgctl fail with EINVAL for SEM_STAT_ANY/SHM_STAT_ANY/MSG_STAT_ANY, as on
//                kernels before 4.17 (the *_STAT fallback path on a new kernel)
//   deny=ERRNO   every System V call (semget, semop, semtimedop, semctl, shmget, shmat, shmdt, shmctl,
//                msgget, msgsnd, msgrcv, msgctl) fails with ERRNO, as in a sandbox that forbids System V IPC
//                (a container runtime's profile, systemd SystemCallFilter=~@ipc); files (/proc/sysvipc,
//                /dev/shm) stay readable
//   deny-ctl=ERRNO  only semctl, shmctl and msgctl fail with ERRNO: the process cannot read, change or remove
//                objects, but can still make them (semget, shmget, msgget), so a test can set up what the
//                refused reader is shown
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define FAIL(err) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((err) & SECCOMP_RET_DATA))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

// the call `sysno` with command `val` in argument `argidx` fails with EINVAL; the accumulator holds nr again after
#define CMD_IS(sysno, argidx, val)                                                        \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, 4),                                    \
  LOAD(args[argidx]),                                                                    \
  BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff), /* glibc ORs IPC_64 (0x100) into cmd */ \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (val), 0, 1),                                   \
  FAIL(EINVAL),                                                                          \
  LOAD(nr)

// the call `sysno` gets `action` (SECCOMP_RET_ERRNO | errno, or SECCOMP_RET_ALLOW)
#define ON(sysno, action) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, 1), BPF_STMT(BPF_RET | BPF_K, (action))

static int install(struct sock_filter *f, unsigned short len) {
  struct sock_fprog prog = {.len = len, .filter = f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("prctl"); return -1; }
  if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) { perror("seccomp"); return -1; }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sysv_filter no-stat-any|deny=ERRNO CMD ARGS...\n");
    return 64;
  }
#if !defined(__x86_64__)
  fprintf(stderr, "sysv_filter: x86_64 only\n");
  return 65;
#else
  int rc;
  if (strcmp(argv[1], "no-stat-any") == 0) {
    struct sock_filter f[] = {
      LOAD(arch),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      ALLOW,
      LOAD(nr),
      CMD_IS(__NR_semctl, 2, 20),  // SEM_STAT_ANY
      CMD_IS(__NR_shmctl, 1, 15),  // SHM_STAT_ANY
      CMD_IS(__NR_msgctl, 1, 13),  // MSG_STAT_ANY
      ALLOW,
    };
    rc = install(f, sizeof f / sizeof f[0]);
  } else if (strncmp(argv[1], "deny=", 5) == 0 || strncmp(argv[1], "deny-ctl=", 9) == 0) {
    const int ctlOnly = argv[1][4] == '-';
    const char *num = argv[1] + (ctlOnly ? 9 : 5);
    char *end = NULL;
    long e = strtol(num, &end, 10);
    if (*num == '\0' || *end != '\0' || e <= 0 || e > 4095) {
      fprintf(stderr, "sysv_filter: %s needs ERRNO in 1..4095\n", argv[1]);
      return 64;
    }
    const unsigned deny = SECCOMP_RET_ERRNO | ((unsigned)e & SECCOMP_RET_DATA);
    // deny-ctl: the calls that make, use or attach objects are let through
    const unsigned other = ctlOnly ? SECCOMP_RET_ALLOW : deny;
    struct sock_filter f[] = {
      LOAD(arch),
      // another ABI (int 0x80, the i386 ipc() multiplexer) would bypass the numbers below: end the process
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      LOAD(nr),
      ON(__NR_semctl, deny), ON(__NR_shmctl, deny), ON(__NR_msgctl, deny),
      ON(__NR_semget, other), ON(__NR_semop, other), ON(__NR_semtimedop, other),
      ON(__NR_shmget, other), ON(__NR_shmat, other), ON(__NR_shmdt, other),
      ON(__NR_msgget, other), ON(__NR_msgsnd, other), ON(__NR_msgrcv, other),
      ALLOW,
    };
    rc = install(f, sizeof f / sizeof f[0]);
  } else {
    fprintf(stderr, "sysv_filter: unknown mode %s (no-stat-any, deny=ERRNO)\n", argv[1]);
    return 64;
  }
  if (rc < 0) return 2;
  execvp(argv[2], argv + 2);
  perror("execvp");
  return 127;
#endif
}

// no_stat_any CMD ARGS...: runs CMD with a seccomp filter that makes semctl/shmctl/msgctl fail with EINVAL
// for SEM_STAT_ANY/SHM_STAT_ANY/MSG_STAT_ANY, as on kernels before 4.17. Lets tests exercise the *_STAT
// fallback path on a new kernel. x86_64 only.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CMD_IS(sysno, argidx, val)                                                        \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, 4),                                    \
  BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[argidx])),    \
  BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff), /* glibc ORs IPC_64 (0x100) into cmd */ \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (val), 0, 1),                                   \
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EINVAL & SECCOMP_RET_DATA)),         \
  BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: no_stat_any CMD ARGS...\n");
    return 64;
  }
#if !defined(__x86_64__)
  fprintf(stderr, "no_stat_any: x86_64 only\n");
  return 65;
#else
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    CMD_IS(__NR_semctl, 2, 20),  // SEM_STAT_ANY
    CMD_IS(__NR_shmctl, 1, 15),  // SHM_STAT_ANY
    CMD_IS(__NR_msgctl, 1, 13),  // MSG_STAT_ANY
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("prctl"); return 2; }
  if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) { perror("seccomp"); return 2; }
  execvp(argv[1], argv + 1);
  perror("execvp");
  return 127;
#endif
}

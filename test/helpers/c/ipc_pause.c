// ipc_pause [--at-set] CMD ARGS...: runs CMD under a seccomp user-notification supervisor that holds CMD at one point
// of a guarded System V removal, so a test can force an interleaving instead of racing the scheduler.
//
// Every semctl/shmctl/msgctl and membarrier call of CMD (all its threads) stops in the kernel until this
// supervisor lets it continue unchanged (SECCOMP_USER_NOTIF_FLAG_CONTINUE, Linux >= 5.5). All are let through
// at once, except the first such call AFTER the first IPC_SET, i.e. once the removal has applied its lock
// (IPC_SET mode 0) and is about to wait out in-flight calls and re-verify. There the supervisor writes
// "PAUSED <syscall> <cmd>\n" to fd 3 and waits for a line on fd 3 before letting it run. fd 3 must be a
// socket or a pair of pipes the test holds (node: stdio[3] = 'pipe'); CMD does not inherit it.
// With --at-set the pause is at the first IPC_SET itself, before the kernel runs it: every check before the
// lock has been made and the lock is not applied yet.
// Exits with CMD's exit status (128 + signal when killed). x86_64 only.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOTIFY_IF(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)

static int send_fd(int sock, int fd) {
  char byte = 'F';
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock) {
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  if (recvmsg(sock, &m, 0) != 1) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

static const char *name_of(int nr) {
  switch (nr) {
    case __NR_semctl: return "semctl";
    case __NR_shmctl: return "shmctl";
    case __NR_msgctl: return "msgctl";
    case __NR_membarrier: return "membarrier";
    default: return "?";
  }
}

int main(int argc, char **argv) {
  int atSet = argc > 1 && strcmp(argv[1], "--at-set") == 0;
  if (atSet) {
    argv++;
    argc--;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: ipc_pause [--at-set] CMD ARGS...\n");
    return 64;
  }
#if !defined(__x86_64__)
  fprintf(stderr, "ipc_pause: x86_64 only\n");
  return 65;
#else
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0) { perror("ipc_pause: socketpair"); return 2; }
  pid_t child = fork();
  if (child < 0) { perror("ipc_pause: fork"); return 2; }
  if (child == 0) {
    close(sp[0]);
    close(3);
    struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      NOTIFY_IF(__NR_semctl),
      NOTIFY_IF(__NR_shmctl),
      NOTIFY_IF(__NR_msgctl),
      NOTIFY_IF(__NR_membarrier),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("ipc_pause: prctl"); _exit(2); }
    int listener = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0) { perror("ipc_pause: seccomp"); _exit(2); }
    if (send_fd(sp[1], listener) < 0) { perror("ipc_pause: sendmsg"); _exit(2); }
    close(listener);
    close(sp[1]);
    execvp(argv[1], argv + 1);
    perror("ipc_pause: execvp");
    _exit(127);
  }
  close(sp[1]);
  int listener = recv_fd(sp[0]);
  close(sp[0]);
  if (listener < 0) { fprintf(stderr, "ipc_pause: no listener from the child\n"); return 2; }
  FILE *ctl = fdopen(3, "r+");
  if (!ctl) { perror("ipc_pause: fd 3"); return 2; }
  setvbuf(ctl, NULL, _IONBF, 0);

  struct seccomp_notif_sizes sizes;
  if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) { perror("ipc_pause: notif sizes"); return 2; }
  struct seccomp_notif *req = calloc(1, sizes.seccomp_notif);
  struct seccomp_notif_resp *resp = calloc(1, sizes.seccomp_notif_resp);
  int locked = 0, paused = 0;
  for (;;) {
    // POLLHUP once every task using the filter is gone (a blocked RECV would wait forever)
    struct pollfd pfd = {.fd = listener, .events = POLLIN};
    if (poll(&pfd, 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (!(pfd.revents & POLLIN)) break;
    memset(req, 0, sizes.seccomp_notif);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
      if (errno == EINTR || errno == ENOENT) continue;  // ENOENT: that task died meanwhile
      break;
    }
    int nr = req->data.nr;
    // glibc ORs IPC_64 (0x100) into the command; the command is args[2] for semctl, args[1] otherwise
    unsigned cmd = (unsigned)(nr == __NR_semctl ? req->data.args[2] : req->data.args[1]) & 0xff;
    int is_ctl = nr == __NR_semctl || nr == __NR_shmctl || nr == __NR_msgctl;
    if (!paused && (atSet ? is_ctl && cmd == IPC_SET : locked)) {
      paused = 1;
      char line[64];
      fprintf(ctl, "PAUSED %s %u\n", name_of(nr), is_ctl ? cmd : 0);
      if (!fgets(line, sizeof line, ctl)) { fprintf(stderr, "ipc_pause: control fd closed; continuing\n"); }
    }
    if (is_ctl && cmd == IPC_SET) locked = 1;
    memset(resp, 0, sizes.seccomp_notif_resp);
    resp->id = req->id;
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT) perror("ipc_pause: notif send");
  }
  int st;
  while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  if (!paused) fprintf(ctl, "NOTPAUSED\n");
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
#endif
}

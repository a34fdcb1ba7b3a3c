// System V message queues: enumeration (MSG_INFO + MSG_STAT_ANY, or MSG_STAT before Linux 4.17) and guarded
// removal.
#include <sys/ipc.h>
#include <sys/msg.h>

#include <cerrno>
#include <string>

#include "ipc_core.h"
#include "sysv_util.h"

namespace ipcx {

namespace {

void MsgRow(int id, const struct msqid_ds& ds, double* h) {
  PermColumns(id, ds.msg_perm, 0777, h);
  h[7] = static_cast<double>(ds.__msg_cbytes);
  h[8] = static_cast<double>(ds.msg_qnum);
  h[9] = static_cast<double>(ds.msg_qbytes);
  h[10] = ds.msg_lspid;
  h[11] = ds.msg_lrpid;
  h[12] = static_cast<double>(ds.msg_stime);
  h[13] = static_cast<double>(ds.msg_rtime);
  h[14] = static_cast<double>(ds.msg_ctime);
}

// Every field the plan recorded, against `ds`: "" or the first difference.
std::string MsgFieldsChanged(const struct msqid_ds& ds, const RemovalExpectation& e) {
  std::string w;
  if (!(w = FieldChanged("msg", "qnum", e.qnum, static_cast<long long>(ds.msg_qnum))).empty()) return w;
  if (!(w = FieldChanged("msg", "cbytes", e.cbytes, static_cast<long long>(ds.__msg_cbytes))).empty()) return w;
  if (!(w = FieldChanged("msg", "lspid", e.lspid, ds.msg_lspid)).empty()) return w;
  if (!(w = FieldChanged("msg", "lrpid", e.lrpid, ds.msg_lrpid)).empty()) return w;
  if (!(w = FieldChanged("msg", "stime", e.stime, static_cast<long long>(ds.msg_stime))).empty()) return w;
  return FieldChanged("msg", "rtime", e.rtime, static_cast<long long>(ds.msg_rtime));
}

}  // namespace

std::vector<double> StatMsg(int id) {
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) < 0) Fail(errno, "msgctl", "IPC_STAT", id);
  std::vector<double> h(kMsgStride);
  MsgRow(id, ds, h.data());
  return h;
}

void ListMsgs(Columns& out, std::vector<ItemErr>& errors, bool& statAny) {
  struct msginfo mi{};
  int maxidx = msgctl(0, MSG_INFO, reinterpret_cast<struct msqid_ds*>(&mi));
  if (maxidx < 0) {
    errors.push_back(ItemErr{'q', -1, Err(errno, "msgctl", "MSG_INFO", -1)});
    return;
  }
  out.headers.reserve((static_cast<size_t>(mi.msgpool) + 16) * kMsgStride);
  int anyState = 0;
  struct msqid_ds ds;
  auto stat = [&ds](int idx, int cmd) { return msgctl(idx, cmd, &ds); };
  for (int idx = 0; idx <= maxidx; idx++) {
    const char* op = "MSG_STAT_ANY";
    int id = StatSlot(idx, anyState, statAny, op, "MSG_STAT_ANY", "MSG_STAT", stat, MSG_STAT_ANY, MSG_STAT);
    if (id < 0) {
      int e = errno;
      if (e == EINVAL || e == EIDRM) continue;
      errors.push_back(ItemErr{'q', idx, Err(e, "msgctl", op, -1)});
      continue;
    }
    size_t at = out.headers.size();
    out.headers.resize(at + kMsgStride);
    MsgRow(id, ds, out.headers.data() + at);
    out.count++;
  }
}

void RemoveMsg(int id, const RemovalExpectation& e, const LockCheck& check) {
  struct msqid_ds before;
  if (msgctl(id, IPC_STAT, &before) < 0) Fail(errno, "msgctl", "IPC_STAT", id);
  CheckKeyCtime("msgctl", id, static_cast<int>(before.msg_perm.__key), static_cast<long long>(before.msg_ctime), e);
  std::string pre = MsgFieldsChanged(before, e);
  if (!pre.empty()) Changed("msgctl", id, pre);
  // LOCK -> VERIFY -> REMOVE (sysv_util.h): msgsnd needs write, msgrcv read permission. IPC_SET also sets
  // msg_qbytes: `before` carries the current value, so it is unchanged. Note: IPC_SET wakes every process
  // sleeping in msgrcv/msgsnd on the queue so it re-checks its permission (ipc/msg.c expunge_all,
  // ss_wakeup): a non-root one then fails with EACCES. The executor proves nobody is blocked on the queue
  // right before the lock and again under it (`check`).
  LockVerifyRemove(
      "msgctl", id, before, [](auto& d) -> auto& { return d.msg_perm; },
      [](const struct msqid_ds& d) { return static_cast<long long>(d.msg_ctime); },
      [id](struct msqid_ds* d) { return msgctl(id, IPC_STAT, d); },
      [id](struct msqid_ds* d) { return msgctl(id, IPC_SET, d); }, [id] { return msgctl(id, IPC_RMID, nullptr); },
      [&](const struct msqid_ds& locked) -> std::string {
        std::string w;
        if (!(w = ChangedWhileLocked("msg", "qnum", static_cast<long long>(before.msg_qnum),
                                     static_cast<long long>(locked.msg_qnum))).empty()) return w;
        if (!(w = ChangedWhileLocked("msg", "cbytes", static_cast<long long>(before.__msg_cbytes),
                                     static_cast<long long>(locked.__msg_cbytes))).empty()) return w;
        if (!(w = ChangedWhileLocked("msg", "lspid", before.msg_lspid, locked.msg_lspid)).empty()) return w;
        if (!(w = ChangedWhileLocked("msg", "lrpid", before.msg_lrpid, locked.msg_lrpid)).empty()) return w;
        if (!(w = ChangedWhileLocked("msg", "stime", static_cast<long long>(before.msg_stime),
                                     static_cast<long long>(locked.msg_stime))).empty()) return w;
        return ChangedWhileLocked("msg", "rtime", static_cast<long long>(before.msg_rtime),
                                  static_cast<long long>(locked.msg_rtime));
      },
      check);
}

void RestoreMsg(int id, const LockedObject& l) {
  RestoreLocked<struct msqid_ds>(
      "msgctl", id, [](auto& d) -> auto& { return d.msg_perm; },
      [](const struct msqid_ds& d) { return static_cast<long long>(d.msg_ctime); },
      [id](struct msqid_ds* d) { return msgctl(id, IPC_STAT, d); }, [id](struct msqid_ds* d) { return msgctl(id, IPC_SET, d); }, l);
}

}  // namespace ipcx

/**
 * Counts the msgrcv/msgsnd calls on one queue, system-wide, from right before the last blocked-process scan
 * until right before IPC_RMID (native watchCalls: a perf counter of the syscalls:sys_enter_msgrcv and
 * sys_enter_msgsnd tracepoints filtered on the queue id, on every online CPU).
 *
 * Why: the lock (IPC_SET mode 0) wakes every process sleeping in msgrcv/msgsnd on the queue, and a non-root
 * one then fails with EACCES (ipc/msg.c msgctl_down: expunge_all(-EAGAIN), ss_wakeup; do_msgrcv re-checks
 * ipcperms). A process that started waiting after the scan read its task and before the lock is woken and
 * leaves no trace: not in the header, not among the waiters any more. It did enter the kernel through one of
 * these calls, though, after the counter was on: a count above 0 refuses the removal (the mode is restored).
 *
 * Needs root (CAP_PERFMON or CAP_SYS_ADMIN for a system-wide counter) and tracefs, to look the tracepoint
 * ids up (/sys/kernel/tracing, or /sys/kernel/debug/tracing). Without them no queue is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toIpcErrorInfo } from '../domain/errors';
import type { NativeBinding } from './nativeBinding';

export type CallWatch = { ok: true; count(): number; close(): void } | { ok: false; why: string };

export const TRACEFS_DIRS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** The perf ids of syscalls:sys_enter_msgrcv and sys_enter_msgsnd, or why they cannot be read. */
export function queueTracepoints(dirs: string[] = TRACEFS_DIRS): { ids: number[] } | { why: string } {
  const tried: string[] = [];
  for (const d of dirs) {
    const ids: number[] = [];
    for (const call of ['msgrcv', 'msgsnd']) {
      const f = path.join(d, 'events', 'syscalls', `sys_enter_${call}`, 'id');
      try {
        const t = fs.readFileSync(f, 'utf8').trim();
        if (/^\d+$/.test(t)) ids.push(Number(t));
      } catch (e) {
        tried.push(`${f}: ${(e as NodeJS.ErrnoException).code ?? 'EIO'}`);
        break;
      }
    }
    if (ids.length === 2) return { ids };
  }
  return {
    why:
      `the msgrcv/msgsnd tracepoints cannot be read (${tried.join('; ')}); tracefs is not mounted or the kernel lacks ` +
      'CONFIG_FTRACE_SYSCALLS. As root: mount -t tracefs nodev /sys/kernel/tracing',
  };
}

/** Starts counting msgrcv/msgsnd calls on queue `id`; `count()` is -1 when the count cannot be trusted. */
export function watchQueueCalls(binding: NativeBinding, id: number, dirs?: string[]): CallWatch {
  const tp = queueTracepoints(dirs);
  if ('why' in tp) return { ok: false, why: tp.why };
  let handle: number;
  try {
    handle = binding.watchCalls(tp.ids, `msqid == ${id}`);
  } catch (e) {
    const info = toIpcErrorInfo(e);
    const hint = info.code === 'EACCES' || info.code === 'EPERM' ? ' (a system-wide counter needs root: CAP_PERFMON or CAP_SYS_ADMIN)' : '';
    return { ok: false, why: `cannot count msgrcv/msgsnd calls on it: ${info.message}${hint}` };
  }
  let closed = false;
  return {
    ok: true,
    count: () => (closed ? -1 : binding.watchCount(handle)),
    close: () => {
      if (!closed) binding.watchClose(handle);
      closed = true;
    },
  };
}

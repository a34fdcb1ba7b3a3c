import type { QueuePerm, TaskWaits } from '../domain/taskWaits';
import type { CallWatch } from './callWatch';
import type { IpcErrorInfo, IpcSnapshot, RemovalExpectation, RemovalMode, SemElem, SysvKind, SysvObject } from '../shared/model';

/**
 * A place IPC objects can be read from and removed on: the local machine (native binding or /proc
 * fallback) or an SSH host. Everything above this interface (tree, dashboard, recycle, CLI) is
 * source-agnostic.
 */
export interface IpcSource {
  /** 'local' or the SSH destination. */
  readonly host: string;
  /** The whole snapshot in one call. Never rejects for one object's error (those go to `errors`). */
  snapshot(): Promise<IpcSnapshot>;
  /** GETPID/GETNCNT/GETZCNT/GETVAL for every semaphore of the given sets (the expensive part, on demand). */
  semDetail(ids: number[]): Promise<Map<number, SemElem[] | IpcErrorInfo>>;
  /**
   * Guarded removal: re-read the object, refuse (reject with code 'ECHANGED', or EIDRM/EINVAL when gone) if any
   * expectation fails, otherwise IPC_RMID. Rejects with a structured IpcError on failure.
   */
  remove(kind: SysvKind, id: number, expected: RemovalExpectation, opts?: RemoveOptions): Promise<void>;
  /**
   * One object's header, read right now by id (IPC_STAT). Rejects with an IpcError (EINVAL/EIDRM when gone).
   * Absent where a per-object read costs a round trip (SSH): the executor then re-reads a whole snapshot.
   */
  stat?(kind: SysvKind, id: number): Promise<SysvObject>;
  /**
   * Which processes are blocked in msgrcv/msgsnd/semop right now, or why that cannot be proven (local:
   * /proc/PID/task/TID/syscall). Absent: never provable here, so no queue is removed.
   */
  taskWaits?(opts?: { fence?: QueuePerm }): TaskWaits;
  /**
   * Starts counting the msgrcv/msgsnd calls made on queue `id` by any process (local: a perf tracepoint
   * counter, backend/callWatch.ts). Absent or failing: no queue is removed.
   */
  watchQueueCalls?(id: number): CallWatch;
  /**
   * True when `remove` itself proves, on the host and right before removing a queue, that no process is
   * blocked in msgrcv/msgsnd on it (the SSH removal scripts): then no `taskWaits` is needed.
   */
  readonly removeChecksWaits?: boolean;
  /**
   * True when the pids this source reports are this machine's, in our pid namespace's numbers (another IPC
   * namespace of this machine): process facts are read from our /proc, as for the local source.
   */
  readonly localProcesses?: boolean;
  /**
   * True when process facts come only from this source's own snapshots (the local host on macOS/FreeBSD:
   * no /proc), so nothing reads our /proc for them even though the host is 'local'.
   */
  readonly probeProcesses?: boolean;
  /** How `remove` works on this host (locked or unlocked, and why), decided by a self-test where needed. */
  removalMode?(): Promise<RemovalMode>;
  dispose?(): void;
}

export interface RemoveOptions {
  /**
   * Runs right before the lock ('beforeLock') and while the object is locked, right before IPC_RMID
   * ('afterLock'): '' lets the removal go on, any other text refuses it (ECHANGED; after the lock the mode is
   * restored). Only the local native primitive supports it.
   */
  check?: (phase: 'beforeLock' | 'afterLock') => string;
}

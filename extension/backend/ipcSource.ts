import type { IpcErrorInfo, IpcSnapshot, RemovalExpectation, RemovalMode, SemElem, SysvKind } from '../shared/model';

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
  remove(kind: SysvKind, id: number, expected: RemovalExpectation): Promise<void>;
  /** How `remove` works on this host (locked or unlocked, and why), decided by a self-test where needed. */
  removalMode?(): Promise<RemovalMode>;
  dispose?(): void;
}

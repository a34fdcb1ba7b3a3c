/**
 * One other IPC namespace of this machine as an IpcSource: the native binding's reads and guarded removal
 * run on a thread switched into it (setns(CLONE_NEWIPC), native/src/ipc_ns.h), so objects, limits, usage
 * and the sysctl files are that namespace's. Its POSIX objects are in its main process's mount namespace:
 * /proc/PID/root/dev/shm. Pids the kernel records are already in our pid namespace's numbers (the thread's
 * pid namespace does not change), so process facts and verdicts work as for the host.
 *
 * Needs the native binding and CAP_SYS_ADMIN; without them `snapshot` rejects with the reason.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assembleSnapshot } from '../domain/assembleSnapshot';
import { IpcError, toIpcErrorInfo } from '../domain/errors';
import type { HostFacts } from '../domain/hostFacts';
import type { TaskWaits } from '../domain/taskWaits';
import type { IpcErrorInfo, IpcSnapshot, RemovalExpectation, SemElem, SysvKind, SysvObject } from '../shared/model';
import type { IpcNamespaceInfo } from '../shared/namespaces';
import { nativeSemReader } from './devShm';
import type { IpcSource, RemoveOptions } from './ipcSource';
import { collectLocalFacts, type LocalFactsOptions } from './localFacts';
import type { NamespaceBinding, NativeBinding } from './nativeBinding';
import { nativeBinding, type LoadResult } from './nativeLoader';
import { scanTaskWaits, type ScanOptions } from './taskWaits';

export interface NamespaceSourceOptions extends LocalFactsOptions {
  load?: () => LoadResult;
  values?: boolean;
  taskScan?: ScanOptions;
  /** procfs mount (default /proc) */
  proc?: string;
}

/**
 * Whether `<root>/dev/shm` can be listed without following a link the container controls: `dev` and `shm`
 * must be real directories. Through /proc/PID/root an absolute symlink resolves against OUR root, so a
 * container whose /dev/shm is a link to /etc would show the host's /etc as its POSIX objects. Returns why not.
 */
export function unsafeDevShm(root: string): string | undefined {
  for (const rel of ['dev', 'dev/shm']) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(root, rel));
    } catch (e) {
      return `${path.join(root, rel)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
    if (st.isSymbolicLink()) return `${path.join(root, rel)} is a symbolic link (not followed: it would resolve outside the container)`;
    if (!st.isDirectory()) return `${path.join(root, rel)} is not a directory`;
  }
  return undefined;
}

export class NamespaceSource implements IpcSource {
  readonly host: string;
  readonly localProcesses = true;
  private readonly native: NativeBinding | undefined;
  private readonly loadError: IpcErrorInfo | undefined;

  constructor(readonly namespace: IpcNamespaceInfo, private readonly opts: NamespaceSourceOptions = {}) {
    // named in recycle reports and audit records: the namespace and its container
    this.host = `local:${namespace.ns} ${namespace.label}`;
    const r = (opts.load ?? nativeBinding)();
    this.native = r.binding;
    this.loadError = r.error;
  }

  private bound(op: string): NamespaceBinding {
    if (!this.namespace.enterable) {
      throw new IpcError({ code: 'EPERM', syscall: 'setns', op: 'CLONE_NEWIPC', message: `${this.namespace.label}: ${this.namespace.reason ?? 'cannot be entered'}` });
    }
    if (!this.native) {
      throw new IpcError({
        code: 'ENATIVE',
        syscall: 'setns',
        op,
        message: `${this.namespace.label}: reading another IPC namespace needs the native binding (${this.loadError?.message ?? 'not loaded'})`,
      });
    }
    return this.native.inNamespace(this.namespace.nsPath, this.namespace.inode);
  }

  /** The directory holding this namespace's POSIX objects: its main process's /dev/shm. */
  get devShmPath(): string {
    return path.join(this.opts.proc ?? '/proc', String(this.namespace.mainPid), 'root', 'dev', 'shm');
  }

  async snapshot(): Promise<IpcSnapshot> {
    return assembleSnapshot(await this.collect());
  }

  /** This namespace's objects and limits (read inside it), its /dev/shm, and the processes they name. */
  async collect(): Promise<HostFacts> {
    const b = this.bound('snapshot');
    const takenAt = Date.now();
    const values = this.opts.values !== false;
    const n = await b.sysvAsync({ values });
    const proc = this.opts.proc ?? '/proc';
    const warnings: string[] = [];
    const unsafe = unsafeDevShm(path.join(proc, String(this.namespace.mainPid), 'root'));
    if (unsafe) warnings.push(`/dev/shm of this namespace not listed: ${unsafe}`);
    // not 'local': owner names, lock journal restores and plans must not mistake it for our namespace
    const facts = collectLocalFacts(
      { host: this.host, source: 'native', takenAt, sysv: { kind: 'columns', raw: n.sysv, values }, sysvErrors: [], limits: { kind: 'native', raw: n.raw, files: n.files }, warnings },
      {
        ...this.opts,
        // a path that does not exist lists nothing (ENOENT is no error)
        paths: { proc, devShm: unsafe ? path.join(proc, String(this.namespace.mainPid), 'root', '.ipcx-devshm-not-followed') : this.devShmPath },
        readSem: this.opts.readSem ?? nativeSemReader(this.native!),
        ipcNamespace: this.namespace.ns,
      },
    );
    facts.namespaceLabel = this.namespace.label;
    if (this.namespace.hostname !== undefined) facts.hostname = this.namespace.hostname;
    else delete facts.hostname;
    facts.kernel = os.release();
    return facts;
  }

  async semDetail(ids: number[]): Promise<Map<number, SemElem[] | IpcErrorInfo>> {
    const out = new Map<number, SemElem[] | IpcErrorInfo>();
    let b: NamespaceBinding;
    try {
      b = this.bound('GETALL');
    } catch (e) {
      for (const id of ids) out.set(id, toIpcErrorInfo(e, { syscall: 'setns', op: 'GETALL', id }));
      return out;
    }
    for (const id of ids) {
      try {
        out.set(id, b.semDetail(id));
      } catch (e) {
        out.set(id, toIpcErrorInfo(e, { syscall: 'semctl', op: 'GETALL', id }));
      }
    }
    return out;
  }

  async remove(kind: SysvKind, id: number, expected: RemovalExpectation, opts: RemoveOptions = {}): Promise<void> {
    const b = this.bound('IPC_RMID');
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      b.remove(kind, id, expected, opts.check);
    } catch (e) {
      throw e instanceof IpcError ? e : new IpcError({ ...toIpcErrorInfo(e, { op: 'IPC_RMID', id }) });
    }
  }

  async stat(kind: SysvKind, id: number): Promise<SysvObject> {
    const b = this.bound('IPC_STAT');
    try {
      return b.statObject(kind, id);
    } catch (e) {
      throw e instanceof IpcError ? e : new IpcError({ ...toIpcErrorInfo(e, { op: 'IPC_STAT', id }) });
    }
  }

  /** Tasks blocked in semop/msgrcv/msgsnd on this namespace's ids (tasks of other namespaces are skipped). */
  taskWaits(): TaskWaits {
    return scanTaskWaits({ ...this.opts.taskScan, ipcNamespace: this.namespace.ns });
  }
}

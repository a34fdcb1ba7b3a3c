/**
 * The typed surface over the C++ binding (native/, node-addon-api): the System V listing as columns and the
 * limits as IPC_INFO reports them (decoded by domain/sysvColumns.ts and assembled by
 * domain/assembleSnapshot.ts, like every other source's facts), per-object calls, and thrown errors turned
 * into `IpcError`s with hints. Loaded by nativeLoader.ts. Linux only.
 */
import { IpcError, fromErrorInfo, toIpcErrorInfo } from '../domain/errors';
import type { LimitFiles } from '../domain/procParser';
import { SHM_STRIDE, decodeRow, nsSysctlFiles, semValueErrors, type RawColumns, type RawLimits, type RawSemColumns, type RawSysv } from '../domain/sysvColumns';
import type { MsgQueue, RemovalExpectation, SemElem, SemSet, ShmSegment, SysvKind } from '../shared/model';
import { MSG_ACTIVITY_FIELDS, SHM_ACTIVITY_FIELDS } from '../shared/model';
import type { LockedObject, LockPhase, NsTrace, PosixSemRead, RawNative, SemsJsonArgs } from './nativeRaw';

export type { LockedObject, LockPhase, NsTrace, PosixSemRead } from './nativeRaw';

export interface NativeBinding {
  /** e.g. 'ipc_native 0.1.0 (napi 8)'. */
  readonly version: string;
  /** the .node file loaded. */
  readonly path: string;
  /** Every SysV object as columns; with values (default true) one GETALL per set. Never throws for one object. */
  sysv(opts?: { values?: boolean }): RawSysv;
  /**
   * sysv() with the kernel reads on a libuv worker thread, so the extension host's event loop stays free.
   * `reuse`: the set columns of a listing the caller is done with; this listing is written into their
   * buffers when they are large enough (no new pages to fault in), so nothing may read them afterwards.
   * `reuseOthers`: likewise the segment and queue columns of a listing the caller is done with.
   */
  sysvAsync(opts?: { values?: boolean; reuse?: RawSemColumns; reuseOthers?: { shm: RawColumns; msg: RawColumns } }): Promise<RawSysv>;
  /**
   * For each set of `cur`, the row of `prev` (an earlier listing) with the same id whose header and values
   * are byte for byte the same, or -1 (memcmp in C++: comparing the decoded objects field by field touches
   * every one of them, which at 32,000 sets costs milliseconds in cache misses alone).
   */
  sameSets(prev: RawSemColumns, cur: RawSemColumns, withValues: boolean): Int32Array;
  /**
   * JSON text of the listing's sets, byte-identical to `JSON.stringify(decodeSems(raw.sem, withValues))`
   * (a set whose values could not be read carries its valuesError).
   */
  semsJson(raw: RawSysv, withValues: boolean): Buffer;
  /**
   * Writes texts[0], the listing's sets, texts[1], its segments, texts[2], its queues, texts[3] to fd, the
   * objects as JSON straight from the columns (the bytes JSON.stringify gives for the decoded objects; the
   * sets as semsJson): for `ipcx snapshot --json`, which then never builds its multi-megabyte output.
   * `shmAttachers` (by shmid, assembleColumnar's): each segment's `attachers`, [] when not in it; undefined
   * leaves the key out. Returns the bytes written; throws IpcError (syscall 'write', e.g. EPIPE when the
   * reader went away).
   */
  writeSysvJson(fd: number, raw: RawSysv, withValues: boolean, texts: string[], shmAttachers?: ReadonlyMap<number, readonly number[]>): number;
  /**
   * IPC_INFO and *_INFO: every limit and the kernel's usage counters. `shmInfo: false`: no SHM_INFO (a walk
   * over every segment), so no segment counters.
   */
  limits(opts?: { shmInfo?: boolean }): RawLimits;
  /**
   * semctl, shmctl and msgctl IPC_INFO alone (three syscalls; limits() also walks the tables): throws IpcError
   * when this process may not make them (the kernel refuses them to nobody: a sandbox did).
   */
  probeSysv(): void;
  /** GETALL + GETPID/GETNCNT/GETZCNT for each semaphore of one set. Throws IpcError. */
  semDetail(id: number): SemElem[];
  /**
   * Guarded IPC_RMID: checks every RemovalExpectation field with IPC_STAT (and GETNCNT/GETZCNT/GETPID for
   * sets) immediately before removing. Throws IpcError 'ECHANGED' (message names the failed check),
   * 'EIDRM'/'EINVAL' when gone, or the errno of IPC_RMID. `check` runs right before the lock ('beforeLock')
   * and under it, after the kernel re-verification, right before IPC_RMID ('afterLock'): '' lets the removal
   * go on, any other text (or a throw) refuses it with ECHANGED and that text (after the lock: the mode is
   * restored).
   */
  remove(kind: SysvKind, id: number, expected: RemovalExpectation, check?: (phase: LockPhase) => string): void;
  /** One object's header by id (IPC_STAT; a set without values). Throws IpcError (EINVAL/EIDRM when gone). */
  statObject(kind: SysvKind, id: number): SemSet | ShmSegment | MsgQueue;
  /**
   * Put back the mode of an object a crashed recycle left locked: IPC_STAT, refuse (ECHANGED) unless key,
   * uid, gid and ctime are as given and the mode is still a lock (0 or 0400), then IPC_SET `mode`.
   */
  restoreMode(kind: SysvKind, id: number, locked: LockedObject): void;
  /**
   * Copy min(length, segsz) bytes of a segment: shmat(SHM_RDONLY), copy, shmdt. Note: attaching updates the
   * segment's atime/dtime/lpid and briefly raises nattch, as any attach does.
   */
  shmPeek(id: number, length: number): Buffer;
  /**
   * open(O_RDONLY|O_NOFOLLOW|O_NONBLOCK) + fstat (regular file) + mmap(PROT_READ) + one aligned 8-byte atomic
   * load under a SIGBUS guard (a file truncated meanwhile is EFAULT). A Buffer path is used byte for byte.
   * Throws IpcError.
   */
  readPosixSem(path: string | Buffer): PosixSemRead;
  /**
   * Counts, system-wide, the events of these tracepoints (perf ids, e.g. syscalls:sys_enter_msgrcv) that
   * match `filter` (`msqid == 12`), one counter per online CPU, enabled before it returns. Returns a handle.
   * Throws IpcError (EACCES/EPERM without CAP_PERFMON, ENOENT for an unknown tracepoint, EINVAL for a filter).
   */
  watchCalls(tracepoints: number[], filter: string): number;
  /** Events counted since watchCalls, or -1 when the count cannot be trusted (a counter that did not count the whole time, CPUs brought online or offline). */
  watchCount(handle: number): number;
  watchClose(handle: number): void;
  /**
   * The same kernel reads and the guarded removal inside another IPC namespace (setns(CLONE_NEWIPC) on a
   * thread made for each call, see native/src/ipc_ns.h). `path` opens it (/proc/PID/ns/ipc), `inode` is what
   * discovery saw there: a different inode is ECHANGED. Limits and the limit files are that namespace's.
   */
  inNamespace(path: string, inode: number): NamespaceBinding;
  /** uname().nodename of the UTS namespace at `path`. Throws IpcError. */
  utsNodename(path: string): string;
}

/** The limits of one namespace as read inside it: IPC_INFO / *_INFO and the limit files they do not cover. */
export interface NamespaceLimits {
  raw: RawLimits;
  files: LimitFiles;
  trace: NsTrace;
}

/** NativeBinding's reads and removal, inside one IPC namespace. */
export interface NamespaceBinding {
  sysvAsync(opts?: { values?: boolean }): Promise<NamespaceLimits & { sysv: RawSysv }>;
  limits(): NamespaceLimits;
  /** Enter and leave, reporting the inodes the worker thread saw. */
  probe(): NsTrace;
  semDetail(id: number): SemElem[];
  statObject(kind: SysvKind, id: number): SemSet | ShmSegment | MsgQueue;
  remove(kind: SysvKind, id: number, expected: RemovalExpectation, check?: (phase: LockPhase) => string): void;
}

/** A thrown native error (or anything) -> IpcError with a hint. */
function toIpcError(e: unknown): IpcError {
  return e instanceof IpcError ? e : fromErrorInfo(toIpcErrorInfo(e));
}

/** Runs a raw call; errno-style errors (with a string `code`) become IpcError, usage TypeErrors pass as-is. */
function call<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string') throw toIpcError(e);
    throw e;
  }
}

/** callAsync: the same for a promise. */
async function callAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string') throw toIpcError(e);
    throw e;
  }
}

/** The shm and msg header fields a RemovalExpectation may carry (the native side checks each one given). */
const EXPECTED_FIELDS = [...SHM_ACTIVITY_FIELDS, ...MSG_ACTIVITY_FIELDS] as const;

/** A plain copy of the fields given (the native side reads own properties only, and any it is given). */
function expectationFor(expected: RemovalExpectation): RemovalExpectation {
  const e: RemovalExpectation = { key: expected.key, ctime: expected.ctime };
  if (expected.nattchZero !== undefined) e.nattchZero = expected.nattchZero;
  if (expected.noWaiters !== undefined) e.noWaiters = expected.noWaiters;
  if (expected.otime !== undefined) e.otime = expected.otime;
  if (expected.semPids !== undefined) e.semPids = [...expected.semPids];
  for (const f of EXPECTED_FIELDS) if (expected[f] !== undefined) e[f] = expected[f];
  return e;
}

/** semDetail's 4 int32 per semaphore (semval, ncount, zcount, pid) -> SemElem[]. */
function semElems(d: Int32Array): SemElem[] {
  const out: SemElem[] = new Array(d.length >> 2);
  for (let i = 0, b = 0; b < d.length; i++, b += 4) {
    out[i] = { semval: d[b]!, ncount: d[b + 1]!, zcount: d[b + 2]!, pid: d[b + 3]! };
  }
  return out;
}

/** The JSON writers' arguments for a listing's sets (value errors as their index and JSON). */
function semsJsonArgs(r: RawSysv, withValues: boolean): SemsJsonArgs {
  const errs = semValueErrors(r.sem);
  return [r.sem.headers, r.sem.values, r.sem.count, withValues, errs.map((e) => e.index), errs.map((e) => JSON.stringify(e.error))];
}

/** The segments of the listing that have attachers: their column index and their attachers' JSON. */
function attachersByIndex(r: RawSysv, byId: ReadonlyMap<number, readonly number[]>): [number[], string[]] {
  const index: number[] = [];
  const json: string[] = [];
  for (let i = 0; i < r.shm.count; i++) {
    const pids = byId.get(r.shm.headers[i * SHM_STRIDE]!);
    if (pids?.length) {
      index.push(i);
      json.push(JSON.stringify(pids));
    }
  }
  return [index, json];
}

function inNamespace(raw: RawNative, nsPath: string, inode: number): NamespaceBinding {
  return {
    async sysvAsync(opts = {}) {
      const r = await callAsync(() => raw.nsSnapshotAsync(nsPath, inode, opts.values !== false));
      return { sysv: r.snapshot, raw: r.limits, files: nsSysctlFiles(r.sysctls), trace: r.trace };
    },
    limits() {
      const r = call(() => raw.nsLimits(nsPath, inode));
      return { raw: r.limits, files: nsSysctlFiles(r.sysctls), trace: r.trace };
    },
    probe() {
      return call(() => raw.nsProbe(nsPath, inode));
    },
    semDetail(id) {
      return semElems(call(() => raw.nsSemDetail(nsPath, inode, id)));
    },
    statObject(kind, id) {
      return decodeRow(kind, call(() => raw.nsStatObject(nsPath, inode, kind, id)));
    },
    remove(kind, id, expected, check) {
      const e = expectationFor(expected);
      call(() => (check ? raw.nsRemove(nsPath, inode, kind, id, e, check) : raw.nsRemove(nsPath, inode, kind, id, e)));
    },
  };
}

export function wrapRaw(raw: RawNative, file: string): NativeBinding {
  return {
    version: raw.version,
    path: file,
    sysv(opts = {}) {
      return call(() => raw.snapshot(opts.values !== false));
    },
    sysvAsync(opts = {}) {
      const o = opts.reuseOthers;
      return callAsync(() => raw.snapshotAsync(opts.values !== false, opts.reuse?.headers.buffer, opts.reuse?.values.buffer, o?.shm.headers.buffer, o?.msg.headers.buffer));
    },
    sameSets(prev, cur, withValues) {
      return raw.sameSets(prev.headers, prev.values, cur.headers, cur.values, withValues);
    },
    semsJson(r, withValues) {
      return call(() => raw.formatSemsJson(...semsJsonArgs(r, withValues)));
    },
    writeSysvJson(fd, r, withValues, texts, shmAttachers) {
      if (texts.length !== 4) throw new TypeError('writeSysvJson: four texts (around sems, shms and msgs)');
      const t = texts as [string, string, string, string];
      const att = shmAttachers && attachersByIndex(r, shmAttachers);
      return call(() => raw.writeSysvJson(fd, t, ...semsJsonArgs(r, withValues), r.shm.headers, r.shm.count, att ?? null, r.msg.headers, r.msg.count));
    },
    probeSysv() {
      call(() => raw.probeSysv());
    },
    limits(opts = {}) {
      return call(() => raw.limits(opts.shmInfo !== false));
    },
    semDetail(id) {
      return semElems(call(() => raw.semDetail(id)));
    },
    remove(kind, id, expected, check) {
      const e = expectationFor(expected);
      call(() => (check ? raw.remove(kind, id, e, check) : raw.remove(kind, id, e)));
    },
    statObject(kind: SysvKind, id: number) {
      return decodeRow(kind, call(() => raw.statObject(kind, id)));
    },
    restoreMode(kind, id, locked) {
      call(() => raw.restoreMode(kind, id, { key: locked.key, ctime: locked.ctime, uid: locked.uid, gid: locked.gid, mode: locked.mode }));
    },
    shmPeek(id, length) {
      return call(() => raw.shmPeek(id, length));
    },
    readPosixSem(p) {
      return call(() => raw.readPosixSem(p));
    },
    utsNodename(p) {
      return call(() => raw.utsNodename(p));
    },
    watchCalls(tracepoints, filter) {
      return call(() => raw.watchCalls(tracepoints, filter));
    },
    watchCount(handle) {
      return call(() => raw.watchCount(handle));
    },
    watchClose(handle) {
      raw.watchClose(handle);
    },
    inNamespace(nsPath, inode) {
      return inNamespace(raw, nsPath, inode);
    },
  };
}

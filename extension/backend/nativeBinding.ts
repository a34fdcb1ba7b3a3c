/**
 * The C++ binding (native/, node-addon-api): its raw typed surface, a node-pty-style loader that says which
 * paths it tried, and a thin wrapper that turns the binding's columnar results into model objects and its
 * thrown errors into `IpcError`s with hints.
 *
 * Why columnar: building 32,000 set objects property by property through N-API costs more than the
 * syscalls. The binding returns typed arrays (one Float64Array of headers per kind, one Uint16Array of every
 * semaphore value) and the model objects are built here, in JS, where V8 makes object literals cheap.
 *
 * Linux only. Posix and process facts are not the binding's job (localSource adds them).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IpcError, fromErrorInfo, hintFor, toIpcErrorInfo } from '../domain/errors';
import type {
  IpcErrorInfo,
  IpcLimits,
  IpcUsage,
  ItemError,
  MsgQueue,
  RemovalExpectation,
  SemElem,
  SemSet,
  ShmSegment,
  SysvKind,
} from '../shared/model';
import { MSG_ACTIVITY_FIELDS, SHM_ACTIVITY_FIELDS } from '../shared/model';

// ---------------------------------------------------------------------------------------------------------
// Raw binding (what ipc_native.node exports). Layouts are fixed by native/src/convert.cc.
// ---------------------------------------------------------------------------------------------------------

/** Doubles per semaphore set in RawSemColumns.headers. */
export const SEM_STRIDE = 10; // id key uid gid cuid cgid mode nsems otime ctime
/** Doubles per segment in RawShmColumns.headers. */
export const SHM_STRIDE = 14; // id key uid gid cuid cgid mode segsz cpid lpid nattch atime dtime ctime
/** Doubles per queue in RawMsgColumns.headers. */
export const MSG_STRIDE = 15; // id key uid gid cuid cgid mode cbytes qnum qbytes lspid lrpid stime rtime ctime

/** An error as the binding reports it (thrown, or listed per item). */
export interface RawError {
  code: string;
  errno: number;
  syscall: string;
  op: string;
  id?: number;
  message: string;
}

export interface RawItemError extends RawError {
  kind: SysvKind;
  /** kernel index (slot) that failed, when the id is not known. */
  index: number;
}

export interface RawSemColumns {
  count: number;
  headers: Float64Array;
  /** every set's values back to back (set i starts at the sum of nsems of sets < i); zero where unread. */
  values: Uint16Array;
  /** GETALL failures, by set index (the header is still valid). */
  valueErrors: Array<RawError & { index: number }>;
}

export interface RawColumns {
  count: number;
  headers: Float64Array;
}

export interface RawSnapshot {
  sem: RawSemColumns;
  shm: RawColumns;
  msg: RawColumns;
  errors: RawItemError[];
  /** false when the kernel lacks *_STAT_ANY (< 4.17) and *_STAT was used. */
  statAny: boolean;
}

export interface RawLimits {
  semmsl: number;
  semmns: number;
  semopm: number;
  semmni: number;
  semvmx: number;
  shmmax: number;
  shmall: number;
  shmmni: number;
  shmmin: number;
  msgmax: number;
  msgmnb: number;
  msgmni: number;
  pageSize: number;
  unlimited: string[];
  semSets: number;
  semTotal: number;
  shmSegments: number;
  shmPages: number;
  shmRssPages: number;
  shmSwapPages: number;
  msgQueues: number;
  msgMessages: number;
  msgBytes: number;
}

/** The binding takes the model's expectation as it is. */
export type RawRemovalExpectation = RemovalExpectation;

/** When the guarded removal calls its caller's check: right before the lock, and under it before IPC_RMID. */
export type LockPhase = 'beforeLock' | 'afterLock';

/** An object left locked by a recycle: what it must still be (ctime as read while locked) and its mode. */
export interface LockedObject {
  key: number;
  ctime: number;
  uid: number;
  gid: number;
  mode: number;
}

export interface PosixSemRead {
  /** file size in bytes. */
  size: number;
  /** the first min(size, 64) bytes, as mapped. */
  raw: Buffer;
  /** low and high 32 bits of the first 8 bytes, from ONE aligned 8-byte atomic load (little-endian halves). */
  lo32: number;
  hi32: number;
}

/** Inode numbers of /proc/thread-self/ns/ipc on the switched worker thread: before, inside, after. */
export interface NsTrace {
  before: number;
  inside: number;
  after: number;
}

/** The sysctl files without a syscall, as read inside a namespace (-1: unreadable; sem as text). */
export interface RawNsSysctls {
  shmRmidForced: number;
  queuesMax: number;
  msgMax: number;
  msgsizeMax: number;
  sem: string;
}

/** The raw module: typed arrays in, typed arrays out; throws RawError-shaped Errors. */
export interface RawNative {
  readonly version: string;
  snapshot(values: boolean): RawSnapshot;
  /** the same, with the kernel reads on a libuv worker thread. */
  snapshotAsync(values: boolean): Promise<RawSnapshot>;
  limits(): RawLimits;
  /** 4 int32 per semaphore: semval, ncount, zcount, pid. */
  semDetail(id: number): Int32Array;
  remove(kind: SysvKind, id: number, expected: RawRemovalExpectation, check?: (phase: LockPhase) => string): void;
  /** one object's header row (IPC_STAT by id), in the snapshot's column layout (SEM/SHM/MSG_STRIDE doubles). */
  statObject(kind: SysvKind, id: number): Float64Array;
  restoreMode(kind: SysvKind, id: number, locked: LockedObject): void;
  shmPeek(id: number, length: number): Buffer;
  readPosixSem(path: string | Buffer): PosixSemRead;
  /** The same reads inside the IPC namespace at `path` (an nsfs link) whose inode must be `inode` (0: any). */
  nsSnapshotAsync(path: string, inode: number, values: boolean): Promise<{ snapshot: RawSnapshot; limits: RawLimits; sysctls: RawNsSysctls; trace: NsTrace }>;
  nsLimits(path: string, inode: number): { limits: RawLimits; sysctls: RawNsSysctls; trace: NsTrace };
  nsProbe(path: string, inode: number): NsTrace;
  nsSemDetail(path: string, inode: number, id: number): Int32Array;
  nsStatObject(path: string, inode: number, kind: SysvKind, id: number): Float64Array;
  nsRemove(path: string, inode: number, kind: SysvKind, id: number, expected: RawRemovalExpectation, check?: (phase: LockPhase) => string): void;
  /** uname().nodename inside the UTS namespace at `path` (/proc/PID/ns/uts). */
  utsNodename(path: string): string;
  watchCalls(tracepoints: number[], filter: string): number;
  watchCount(handle: number): number;
  watchClose(handle: number): void;
  /** JSON text of the SemSet[] array for these columns (errJson[i] = valuesError JSON of set errIndex[i]). */
  formatSemsJson(
    headers: Float64Array,
    values: Uint16Array,
    count: number,
    withValues: boolean,
    errIndex: number[],
    errJson: string[],
  ): Buffer;
  /**
   * Writes `before`, the same JSON text, then `after` to fd, in 256 KiB chunks straight from the columns (waits
   * on EAGAIN, retries short writes); returns the bytes written. Throws a RawError (syscall 'write', e.g. EPIPE).
   */
  writeSemsJson(
    fd: number,
    before: string | Buffer,
    headers: Float64Array,
    values: Uint16Array,
    count: number,
    withValues: boolean,
    errIndex: number[],
    errJson: string[],
    after: string | Buffer,
  ): number;
}

// ---------------------------------------------------------------------------------------------------------
// Public API (what localSource, recycle and the tests use).
// ---------------------------------------------------------------------------------------------------------

export interface NativeSnapshot {
  sems: SemSet[];
  shms: ShmSegment[];
  msgs: MsgQueue[];
  errors: ItemError[];
  limits: IpcLimits;
  usage: IpcUsage;
  /** `ipc:[inode]` of the namespace listed ('' when /proc/self/ns/ipc is unreadable). */
  ipcNamespace: string;
  /** effective uid of the reader. */
  uid: number;
  /**
   * false when the kernel lacks *_STAT_ANY (Linux < 4.17) and *_STAT was used: objects the reader may not
   * read then appear only as EACCES entries in `errors`, not as headers.
   */
  statAny: boolean;
}

/**
 * snapshot() with the semaphore sets as JSON text instead of objects, for `ipcx snapshot --json`: building
 * and stringifying 32,000 set objects costs more than reading them from the kernel. `semsJson` is
 * byte-identical to `JSON.stringify(snapshot().sems)` for the same kernel state.
 */
export interface NativeSnapshotJson extends Omit<NativeSnapshot, 'sems'> {
  /** rendered on first access */
  readonly semsJson: Buffer;
  /**
   * Writes `before` + the sets' JSON (the same bytes as semsJson) + `after` to fd without building the text:
   * for `ipcx snapshot --json`, which then never holds its multi-megabyte output in memory. Returns the bytes
   * written; throws IpcError (syscall 'write', e.g. EPIPE when the reader went away).
   */
  writeSemsJson(fd: number, before: string, after: string): number;
  semCount: number;
  /** the sets whose values could not be read (their valuesError is inside semsJson too). */
  semValueErrors: Array<{ id: number; error: IpcErrorInfo }>;
}

export interface NativeBinding {
  /** e.g. 'ipc_native 0.1.0 (napi 8)'. */
  readonly version: string;
  /** the .node file loaded. */
  readonly path: string;
  /** Every SysV object; with values (default true) one GETALL per set. Never throws for one object. */
  snapshot(opts?: { values?: boolean }): NativeSnapshot;
  /**
   * snapshot() with the kernel reads (the expensive part) on a libuv worker thread, so the extension host's
   * event loop stays free; only building the model objects runs on the calling thread.
   */
  snapshotAsync(opts?: { values?: boolean }): Promise<NativeSnapshot>;
  /** The same snapshot with the sets pre-rendered as JSON (see NativeSnapshotJson). */
  snapshotJson(opts?: { values?: boolean }): NativeSnapshotJson;
  /** GETALL + GETPID/GETNCNT/GETZCNT for each semaphore of one set. Throws IpcError. */
  semDetail(id: number): SemElem[];
  limitsAndUsage(): { limits: IpcLimits; usage: IpcUsage };
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
   * discovery saw there: a different inode is ECHANGED. Limits and the sysctl files are that namespace's.
   */
  inNamespace(path: string, inode: number): NamespaceBinding;
  /** uname().nodename of the UTS namespace at `path`. Throws IpcError. */
  utsNodename(path: string): string;
}

/** NativeBinding's reads and removal, inside one IPC namespace. */
export interface NamespaceBinding {
  snapshotAsync(opts?: { values?: boolean }): Promise<Omit<NativeSnapshot, 'ipcNamespace' | 'uid'> & { trace: NsTrace }>;
  limitsAndUsage(): { limits: IpcLimits; usage: IpcUsage; trace: NsTrace };
  /** Enter and leave, reporting the inodes the worker thread saw. */
  probe(): NsTrace;
  semDetail(id: number): SemElem[];
  statObject(kind: SysvKind, id: number): SemSet | ShmSegment | MsgQueue;
  remove(kind: SysvKind, id: number, expected: RemovalExpectation, check?: (phase: LockPhase) => string): void;
}

export interface LoadResult {
  binding?: NativeBinding;
  error?: IpcErrorInfo;
  /** every path tried, in order. */
  tried: string[];
}

export const NATIVE_FILE = 'ipc_native.node';

/** Every function the wrapper calls; a binary lacking one is skipped as stale. */
const RAW_FUNCTIONS = [
  'snapshot', 'snapshotAsync', 'limits', 'semDetail', 'remove', 'statObject', 'restoreMode', 'shmPeek', 'readPosixSem', 'formatSemsJson',
  'writeSemsJson',
  'nsSnapshotAsync', 'nsLimits', 'nsProbe', 'nsSemDetail', 'nsStatObject', 'nsRemove', 'utsNodename',
  'watchCalls', 'watchCount', 'watchClose',
] as const satisfies ReadonlyArray<keyof RawNative>;

/**
 * Candidate paths, in order: $IPCX_NATIVE_PATH, then for each base directory (the bundle's dist/ and this
 * source file's extension/backend/) native/build/Release, native/build/Debug and prebuilds/<platform>-<arch>
 * of the package root above it.
 */
export function nativeCandidates(
  env: NodeJS.ProcessEnv = process.env,
  baseDirs: string[] = defaultBaseDirs(),
): string[] {
  const out: string[] = [];
  const add = (p: string): void => {
    const abs = path.resolve(p);
    if (!out.includes(abs)) out.push(abs);
  };
  if (env['IPCX_NATIVE_PATH']) add(env['IPCX_NATIVE_PATH']);
  const tag = `${process.platform}-${process.arch}`;
  for (const base of baseDirs) {
    add(path.join(base, 'native', 'build', 'Release', NATIVE_FILE));
    add(path.join(base, 'native', 'build', 'Debug', NATIVE_FILE));
    add(path.join(base, 'prebuilds', tag, NATIVE_FILE));
  }
  return out;
}

/** Package roots seen from the bundle (dist/ -> ..) and from the source tree (extension/backend/ -> ../..). */
function defaultBaseDirs(): string[] {
  const here = __dirname;
  return [path.resolve(here, '..'), path.resolve(here, '..', '..')];
}

/**
 * Load the binding. Never throws: on failure `error` (code 'ENATIVE') lists every path tried and the last
 * error, and `tried` holds the paths. Options exist for tests (an empty env and a base without a build).
 */
export function loadNative(opts: { env?: NodeJS.ProcessEnv; baseDirs?: string[] } = {}): LoadResult {
  const tried = nativeCandidates(opts.env ?? process.env, opts.baseDirs ?? defaultBaseDirs());
  if (process.platform !== 'linux') {
    return {
      tried: [],
      error: nativeLoadError(`the native binding is Linux-only (this is ${process.platform})`, []),
    };
  }
  let last = 'not found';
  for (const file of tried) {
    if (!fs.existsSync(file)) {
      last = `${file}: not found`;
      continue;
    }
    try {
      const mod = { exports: {} as unknown };
      process.dlopen(mod, file, os.constants.dlopen.RTLD_NOW);
      const raw = mod.exports as Record<string, unknown>;
      if (typeof raw['version'] !== 'string') {
        last = `${file}: not an ipc_native binding (no version export)`;
        continue;
      }
      const missing = RAW_FUNCTIONS.filter((f) => typeof raw[f] !== 'function');
      if (missing.length) {
        last = `${file}: a stale build (${String(raw['version'])}) without ${missing.join(', ')}; rebuild it`;
        continue;
      }
      return { binding: wrapRaw(raw as unknown as RawNative, file), tried };
    } catch (e) {
      last = `${file}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return { tried, error: nativeLoadError(last, tried) };
}

function nativeLoadError(last: string, tried: string[]): IpcErrorInfo {
  const where = tried.length ? ` Tried: ${tried.join(', ')}.` : '';
  const message = `cannot load the native binding ${NATIVE_FILE} (ENATIVE).${where} Last error: ${last}`;
  return { code: 'ENATIVE', syscall: 'dlopen', message, hint: hintFor('ENATIVE') };
}

let cached: LoadResult | undefined;
/** loadNative() once per process. */
export function nativeBinding(): LoadResult {
  if (!cached) cached = loadNative();
  return cached;
}

// ---------------------------------------------------------------------------------------------------------
// Wrapper: raw columns -> model objects; raw errors -> IpcError.
// ---------------------------------------------------------------------------------------------------------

/** A thrown native error (or anything) -> IpcError with a hint. */
export function toIpcError(e: unknown): IpcError {
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

function rawToInfo(r: RawError): IpcErrorInfo {
  return toIpcErrorInfo(r);
}

function readIpcNamespace(): string {
  try {
    return fs.readlinkSync('/proc/self/ns/ipc');
  } catch {
    return '';
  }
}

function readNumberFile(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Raw limits + /proc/sys/kernel/shm_rmid_forced + /proc/sys/fs/mqueue/* -> model limits and usage. */
export function buildLimitsAndUsage(r: RawLimits, procRoot = '/proc'): { limits: IpcLimits; usage: IpcUsage } {
  const limits: IpcLimits = {
    semmsl: r.semmsl,
    semmns: r.semmns,
    semopm: r.semopm,
    semmni: r.semmni,
    semvmx: r.semvmx,
    shmmax: r.shmmax,
    shmall: r.shmall,
    shmmni: r.shmmni,
    shmmin: r.shmmin,
    msgmax: r.msgmax,
    msgmnb: r.msgmnb,
    msgmni: r.msgmni,
    pageSize: r.pageSize,
  };
  if (r.unlimited.length) limits.unlimited = [...r.unlimited];
  const forced = readNumberFile(path.join(procRoot, 'sys/kernel/shm_rmid_forced'));
  if (forced !== undefined) limits.shmRmidForced = forced !== 0;
  const mq = path.join(procRoot, 'sys/fs/mqueue');
  const queuesMax = readNumberFile(path.join(mq, 'queues_max'));
  const msgMax = readNumberFile(path.join(mq, 'msg_max'));
  const msgsizeMax = readNumberFile(path.join(mq, 'msgsize_max'));
  if (queuesMax !== undefined && msgMax !== undefined && msgsizeMax !== undefined) {
    limits.mqueue = { queuesMax, msgMax, msgsizeMax };
  }
  const usage: IpcUsage = {
    semSets: r.semSets,
    semTotal: r.semTotal,
    shmSegments: r.shmSegments,
    shmPages: r.shmPages,
    shmRssPages: r.shmRssPages,
    shmSwapPages: r.shmSwapPages,
    msgQueues: r.msgQueues,
    msgMessages: r.msgMessages,
    msgBytes: r.msgBytes,
  };
  return { limits, usage };
}

/** Raw limits + the sysctl files as read inside a namespace -> model limits and usage. */
export function buildNsLimitsAndUsage(r: RawLimits, s: RawNsSysctls): { limits: IpcLimits; usage: IpcUsage } {
  const lu = buildLimitsAndUsage(r, '/nonexistent');
  delete lu.limits.shmRmidForced;
  delete lu.limits.mqueue;
  if (s.shmRmidForced >= 0) lu.limits.shmRmidForced = s.shmRmidForced !== 0;
  if (s.queuesMax >= 0 && s.msgMax >= 0 && s.msgsizeMax >= 0) {
    lu.limits.mqueue = { queuesMax: s.queuesMax, msgMax: s.msgMax, msgsizeMax: s.msgsizeMax };
  }
  return lu;
}

/** Columnar semaphore sets -> SemSet[] (values as plain arrays). */
export function buildSems(c: RawSemColumns, withValues: boolean): SemSet[] {
  const h = c.headers;
  const v = c.values;
  const errs = new Map<number, IpcErrorInfo>();
  for (const e of c.valueErrors) errs.set(e.index, rawToInfo(e));
  const out: SemSet[] = new Array(c.count);
  let off = 0;
  for (let i = 0, b = 0; i < c.count; i++, b += SEM_STRIDE) {
    const nsems = h[b + 7]!;
    const err = errs.size ? errs.get(i) : undefined;
    if (withValues && err === undefined) {
      const values: number[] = new Array(nsems);
      for (let j = 0; j < nsems; j++) values[j] = v[off + j]!;
      out[i] = {
        kind: 'sem', id: h[b]!, key: h[b + 1]!, uid: h[b + 2]!, gid: h[b + 3]!, cuid: h[b + 4]!,
        cgid: h[b + 5]!, mode: h[b + 6]!, nsems, otime: h[b + 8]!, ctime: h[b + 9]!, values,
      };
    } else if (err !== undefined) {
      out[i] = {
        kind: 'sem', id: h[b]!, key: h[b + 1]!, uid: h[b + 2]!, gid: h[b + 3]!, cuid: h[b + 4]!,
        cgid: h[b + 5]!, mode: h[b + 6]!, nsems, otime: h[b + 8]!, ctime: h[b + 9]!, valuesError: err,
      };
    } else {
      out[i] = {
        kind: 'sem', id: h[b]!, key: h[b + 1]!, uid: h[b + 2]!, gid: h[b + 3]!, cuid: h[b + 4]!,
        cgid: h[b + 5]!, mode: h[b + 6]!, nsems, otime: h[b + 8]!, ctime: h[b + 9]!,
      };
    }
    off += nsems;
  }
  return out;
}

const SHM_DEST = 0o1000;
const SHM_LOCKED = 0o2000;

export function buildShms(c: RawColumns): ShmSegment[] {
  const h = c.headers;
  const out: ShmSegment[] = new Array(c.count);
  for (let i = 0, b = 0; i < c.count; i++, b += SHM_STRIDE) {
    const mode = h[b + 6]!;
    out[i] = {
      kind: 'shm', id: h[b]!, key: h[b + 1]!, uid: h[b + 2]!, gid: h[b + 3]!, cuid: h[b + 4]!, cgid: h[b + 5]!,
      mode, segsz: h[b + 7]!, cpid: h[b + 8]!, lpid: h[b + 9]!, nattch: h[b + 10]!, atime: h[b + 11]!,
      dtime: h[b + 12]!, ctime: h[b + 13]!, dest: (mode & SHM_DEST) !== 0, locked: (mode & SHM_LOCKED) !== 0,
    };
  }
  return out;
}

export function buildMsgs(c: RawColumns): MsgQueue[] {
  const h = c.headers;
  const out: MsgQueue[] = new Array(c.count);
  for (let i = 0, b = 0; i < c.count; i++, b += MSG_STRIDE) {
    out[i] = {
      kind: 'msg', id: h[b]!, key: h[b + 1]!, uid: h[b + 2]!, gid: h[b + 3]!, cuid: h[b + 4]!, cgid: h[b + 5]!,
      mode: h[b + 6]!, cbytes: h[b + 7]!, qnum: h[b + 8]!, qbytes: h[b + 9]!, lspid: h[b + 10]!,
      lrpid: h[b + 11]!, stime: h[b + 12]!, rtime: h[b + 13]!, ctime: h[b + 14]!,
    };
  }
  return out;
}

function toItemError(e: RawItemError): ItemError {
  const item: ItemError = { kind: e.kind, error: rawToInfo(e) };
  if (e.id !== undefined) item.id = e.id;
  else item.name = `index ${e.index}`;
  return item;
}

/**
 * JSON text of `doc` with its top-level `sems` replaced by pre-rendered JSON (NativeSnapshotJson.semsJson),
 * as one Buffer: `JSON.parse` of the result deep-equals `{...doc, sems: JSON.parse(semsJson)}`.
 */
export function stringifyWithSemsJson<T extends object>(doc: T, semsJson: Buffer, pretty = false): Buffer {
  const [before, after] = jsonAroundSems(doc, pretty);
  return Buffer.concat([Buffer.from(before), semsJson, Buffer.from(after)]);
}

/**
 * The JSON text of `doc` before and after its top-level `sems` value (which is left out): what goes around
 * NativeSnapshotJson.semsJson (or writeSemsJson) to make the whole document.
 */
export function jsonAroundSems<T extends object>(doc: T, pretty = false): [string, string] {
  const marker = `\u0000ipcx-sems-${process.pid}-${Date.now()}\u0000`;
  const text = pretty ? JSON.stringify({ ...doc, sems: marker }, null, 2) : JSON.stringify({ ...doc, sems: marker });
  const quoted = JSON.stringify(marker);
  const at = text.indexOf(quoted);
  if (at < 0) throw new Error('jsonAroundSems: doc has no top-level sems');
  return [text.slice(0, at), text.slice(at + quoted.length)];
}

/** The shm and msg header fields a RemovalExpectation may carry (the native side checks each one given). */
const EXPECTED_FIELDS = [...SHM_ACTIVITY_FIELDS, ...MSG_ACTIVITY_FIELDS] as const;

function wrapRaw(raw: RawNative, file: string): NativeBinding {
  const rest = (r: RawSnapshot, lu: { limits: IpcLimits; usage: IpcUsage }) => ({
    shms: buildShms(r.shm),
    msgs: buildMsgs(r.msg),
    errors: r.errors.map(toItemError),
    limits: lu.limits,
    usage: lu.usage,
    ipcNamespace: readIpcNamespace(),
    uid: process.geteuid ? process.geteuid() : -1,
    statAny: r.statAny,
  });
  return {
    version: raw.version,
    path: file,
    async snapshotAsync(opts = {}) {
      const withValues = opts.values !== false;
      let r: RawSnapshot;
      try {
        r = await raw.snapshotAsync(withValues);
      } catch (e) {
        throw e instanceof Error && typeof (e as { code?: unknown }).code === 'string' ? toIpcError(e) : e;
      }
      const lu = call(() => buildLimitsAndUsage(raw.limits()));
      return { sems: buildSems(r.sem, withValues), ...rest(r, lu) };
    },
    snapshotJson(opts = {}) {
      const withValues = opts.values !== false;
      const r = call(() => raw.snapshot(withValues));
      const lu = call(() => buildLimitsAndUsage(raw.limits()));
      const h = r.sem.headers;
      const errs = r.sem.valueErrors.map((e) => ({ index: e.index, id: h[e.index * SEM_STRIDE]!, error: rawToInfo(e) }));
      const errIndex = errs.map((e) => e.index);
      const errJson = errs.map((e) => JSON.stringify(e.error));
      let semsJson: Buffer | undefined;
      return {
        get semsJson(): Buffer {
          semsJson ??= call(() => raw.formatSemsJson(h, r.sem.values, r.sem.count, withValues, errIndex, errJson));
          return semsJson;
        },
        writeSemsJson(fd: number, before: string, after: string): number {
          return call(() => raw.writeSemsJson(fd, before, h, r.sem.values, r.sem.count, withValues, errIndex, errJson, after));
        },
        semCount: r.sem.count,
        semValueErrors: errs.map((e) => ({ id: e.id, error: e.error })),
        ...rest(r, lu),
      };
    },
    snapshot(opts = {}) {
      const withValues = opts.values !== false;
      const r = call(() => raw.snapshot(withValues));
      const lu = call(() => buildLimitsAndUsage(raw.limits()));
      return { sems: buildSems(r.sem, withValues), ...rest(r, lu) };
    },
    semDetail(id) {
      const d = call(() => raw.semDetail(id));
      const out: SemElem[] = new Array(d.length >> 2);
      for (let i = 0, b = 0; b < d.length; i++, b += 4) {
        out[i] = { semval: d[b]!, ncount: d[b + 1]!, zcount: d[b + 2]!, pid: d[b + 3]! };
      }
      return out;
    },
    limitsAndUsage() {
      return buildLimitsAndUsage(call(() => raw.limits()));
    },
    remove(kind, id, expected, check) {
      const e: RawRemovalExpectation = { key: expected.key, ctime: expected.ctime };
      if (expected.nattchZero !== undefined) e.nattchZero = expected.nattchZero;
      if (expected.noWaiters !== undefined) e.noWaiters = expected.noWaiters;
      if (expected.otime !== undefined) e.otime = expected.otime;
      if (expected.semPids !== undefined) e.semPids = [...expected.semPids];
      for (const f of EXPECTED_FIELDS) if (expected[f] !== undefined) e[f] = expected[f];
      call(() => (check ? raw.remove(kind, id, e, check) : raw.remove(kind, id, e)));
    },
    statObject(kind: SysvKind, id: number) {
      const h = call(() => raw.statObject(kind, id));
      const cols = { count: 1, headers: h };
      if (kind === 'sem') return buildSems({ ...cols, values: new Uint16Array(0), valueErrors: [] }, false)[0]!;
      if (kind === 'shm') return buildShms(cols)[0]!;
      return buildMsgs(cols)[0]!;
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
    inNamespace(nsPath, inode) {
      return {
        async snapshotAsync(opts = {}) {
          const withValues = opts.values !== false;
          let r: Awaited<ReturnType<RawNative['nsSnapshotAsync']>>;
          try {
            r = await raw.nsSnapshotAsync(nsPath, inode, withValues);
          } catch (e) {
            throw e instanceof Error && typeof (e as { code?: unknown }).code === 'string' ? toIpcError(e) : e;
          }
          const lu = buildNsLimitsAndUsage(r.limits, r.sysctls);
          return {
            sems: buildSems(r.snapshot.sem, withValues),
            shms: buildShms(r.snapshot.shm),
            msgs: buildMsgs(r.snapshot.msg),
            errors: r.snapshot.errors.map(toItemError),
            limits: lu.limits,
            usage: lu.usage,
            statAny: r.snapshot.statAny,
            trace: r.trace,
          };
        },
        limitsAndUsage() {
          const r = call(() => raw.nsLimits(nsPath, inode));
          return { ...buildNsLimitsAndUsage(r.limits, r.sysctls), trace: r.trace };
        },
        probe() {
          return call(() => raw.nsProbe(nsPath, inode));
        },
        semDetail(id) {
          const d = call(() => raw.nsSemDetail(nsPath, inode, id));
          const out: SemElem[] = new Array(d.length >> 2);
          for (let i = 0, b = 0; b < d.length; i++, b += 4) {
            out[i] = { semval: d[b]!, ncount: d[b + 1]!, zcount: d[b + 2]!, pid: d[b + 3]! };
          }
          return out;
        },
        statObject(kind, id) {
          const h = call(() => raw.nsStatObject(nsPath, inode, kind, id));
          const cols = { count: 1, headers: h };
          if (kind === 'sem') return buildSems({ ...cols, values: new Uint16Array(0), valueErrors: [] }, false)[0]!;
          if (kind === 'shm') return buildShms(cols)[0]!;
          return buildMsgs(cols)[0]!;
        },
        remove(kind, id, expected, check) {
          const e: RawRemovalExpectation = { key: expected.key, ctime: expected.ctime };
          if (expected.nattchZero !== undefined) e.nattchZero = expected.nattchZero;
          if (expected.noWaiters !== undefined) e.noWaiters = expected.noWaiters;
          if (expected.otime !== undefined) e.otime = expected.otime;
          if (expected.semPids !== undefined) e.semPids = [...expected.semPids];
          for (const f of EXPECTED_FIELDS) if (expected[f] !== undefined) e[f] = expected[f];
          call(() => (check ? raw.nsRemove(nsPath, inode, kind, id, e, check) : raw.nsRemove(nsPath, inode, kind, id, e)));
        },
      };
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
  };
}

/**
 * What ipc_native.node exports, as the TypeScript side sees it (layouts fixed by native/src/convert.cc; the
 * column types live in domain/sysvColumns.ts, which decodes them). Cast once by the loader.
 */
import type { RemovalExpectation, SysvKind } from '../shared/model';
import type { RawLimits, RawNsSysctls, RawSysv } from '../domain/sysvColumns';

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

/** The semaphore columns the JSON writers take, and the sets whose values could not be read (by index). */
export type SemsJsonArgs = [
  headers: Float64Array,
  values: Uint16Array,
  count: number,
  withValues: boolean,
  errIndex: number[],
  errJson: string[],
];

/** The raw module: typed arrays in, typed arrays out; throws RawError-shaped Errors. */
export interface RawNative {
  readonly version: string;
  snapshot(values: boolean): RawSysv;
  /**
   * the same, with the kernel reads on a libuv worker thread; the sets' columns are written into
   * `reuseHeaders`/`reuseValues` when given and large enough (the caller keeps no view of them it still reads).
   */
  snapshotAsync(values: boolean, reuseHeaders?: ArrayBufferLike, reuseValues?: ArrayBufferLike, reuseShm?: ArrayBufferLike, reuseMsg?: ArrayBufferLike): Promise<RawSysv>;
  /** for each set of a listing, the row of an earlier listing it repeats byte for byte (same id), or -1 */
  sameSets(prevHeaders: Float64Array, prevValues: Uint16Array, headers: Float64Array, values: Uint16Array, withValues: boolean): Int32Array;
  limits(shmInfo?: boolean): RawLimits;
  probeSysv(): void;
  /** 4 int32 per semaphore: semval, ncount, zcount, pid. */
  semDetail(id: number): Int32Array;
  remove(kind: SysvKind, id: number, expected: RemovalExpectation, check?: (phase: LockPhase) => string): void;
  /** one object's header row (IPC_STAT by id), in the snapshot's column layout (SEM/SHM/MSG_STRIDE doubles). */
  statObject(kind: SysvKind, id: number): Float64Array;
  restoreMode(kind: SysvKind, id: number, locked: LockedObject): void;
  shmPeek(id: number, length: number): Buffer;
  readPosixSem(path: string | Buffer): PosixSemRead;
  /** The same reads inside the IPC namespace at `path` (an nsfs link) whose inode must be `inode` (0: any). */
  nsSnapshotAsync(path: string, inode: number, values: boolean): Promise<{ snapshot: RawSysv; limits: RawLimits; sysctls: RawNsSysctls; trace: NsTrace }>;
  nsLimits(path: string, inode: number): { limits: RawLimits; sysctls: RawNsSysctls; trace: NsTrace };
  nsProbe(path: string, inode: number): NsTrace;
  nsSemDetail(path: string, inode: number, id: number): Int32Array;
  nsStatObject(path: string, inode: number, kind: SysvKind, id: number): Float64Array;
  nsRemove(path: string, inode: number, kind: SysvKind, id: number, expected: RemovalExpectation, check?: (phase: LockPhase) => string): void;
  /** uname().nodename inside the UTS namespace at `path` (/proc/PID/ns/uts). */
  utsNodename(path: string): string;
  watchCalls(tracepoints: number[], filter: string): number;
  watchCount(handle: number): number;
  watchClose(handle: number): void;
  /** JSON text of the SemSet[] array for these columns (errJson[i] = valuesError JSON of set errIndex[i]). */
  formatSemsJson(...sets: SemsJsonArgs): Buffer;
  /**
   * Writes texts[0], the sets' JSON (as formatSemsJson), texts[1], the segments' JSON, texts[2], the queues'
   * JSON, texts[3] to fd, in 256 KiB chunks straight from the columns (waits on EAGAIN, retries short writes);
   * returns the bytes written. `attachers`: null for no `attachers` key, else the segments that have some (by
   * column index) and their JSON; the others get []. Throws a RawError (syscall 'write', e.g. EPIPE).
   */
  writeSysvJson(
    fd: number, texts: [string, string, string, string], ...sets: [...SemsJsonArgs, shmHeaders: Float64Array, shmCount: number,
      attachers: [index: number[], json: string[]] | null, msgHeaders: Float64Array, msgCount: number]
  ): number;
}

/** Every function the wrapper calls; a binary lacking one is skipped as stale. */
export const RAW_FUNCTIONS = [
  'snapshot', 'snapshotAsync', 'sameSets', 'limits', 'probeSysv', 'semDetail', 'remove', 'statObject', 'restoreMode', 'shmPeek', 'readPosixSem', 'formatSemsJson',
  'writeSysvJson',
  'nsSnapshotAsync', 'nsLimits', 'nsProbe', 'nsSemDetail', 'nsStatObject', 'nsRemove', 'utsNodename',
  'watchCalls', 'watchCount', 'watchClose',
] as const satisfies ReadonlyArray<keyof RawNative>;

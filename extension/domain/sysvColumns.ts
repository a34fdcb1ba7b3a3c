/**
 * The native binding's columnar System V listing and raw limits (header strides of native/src/ipc_core.h,
 * arrays built in native/src/convert.cc) and their decoding into model objects. Pure: typed arrays in, model out.
 *
 * Why columnar: building 32,000 set objects property by property through N-API costs more than the
 * syscalls. The binding returns typed arrays (one Float64Array of headers per kind, one Uint16Array of every
 * semaphore value) and the model objects are built here, in JS, where V8 makes object literals cheap.
 */
import type { IpcErrorInfo, IpcLimits, IpcUsage, ItemError, MsgQueue, SemSet, ShmSegment, SysvKind } from '../shared/model';
import { toIpcErrorInfo } from './errors';
import { limitsBeyondIpcInfo, type LimitFiles } from './procParser';

/**
 * Column `i` of a header array as a number V8 keeps inside the object it is stored in. A Float64Array read is a
 * heap number, and an object field first given heap numbers stays a field of boxed doubles: every set would
 * carry ten heap numbers of its own, which cost more to build, compare and collect than the set itself. An
 * integer that fits in 32 bits (every field of nearly every object) comes back as a small integer, any other
 * value unchanged.
 */
function col(h: Float64Array, i: number): number {
  const x = h[i]!;
  const n = x | 0;
  return n === x ? n : x;
}

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

/** One listing of every System V object, as the binding returns it. */
export interface RawSysv {
  sem: RawSemColumns;
  shm: RawColumns;
  msg: RawColumns;
  errors: RawItemError[];
  /** false when the kernel lacks *_STAT_ANY (< 4.17) and *_STAT was used. */
  statAny: boolean;
}

/** IPC_INFO / *_INFO as the binding reads them: every limit and the kernel's usage counters. */
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
  /** SHM_INFO's counters: absent when the caller asked for none (limits(false)) */
  shmSegments?: number;
  shmPages?: number;
  shmRssPages?: number;
  shmSwapPages?: number;
  msgQueues: number;
  msgMessages: number;
  msgBytes: number;
}

/**
 * The limit files without a syscall, as the binding reads them inside another IPC namespace (-1: unreadable;
 * sem as text, which IPC_INFO covers).
 */
export interface RawNsSysctls {
  shmRmidForced: number;
  queuesMax: number;
  msgMax: number;
  msgsizeMax: number;
  sem: string;
}

/** The sysctls read inside a namespace as the limit files they came from (an unreadable one is left out). */
export function nsSysctlFiles(s: RawNsSysctls): LimitFiles {
  const files: LimitFiles = {};
  const put = (k: keyof LimitFiles, v: number): void => {
    if (v >= 0) files[k] = String(v);
  };
  put('kernel/shm_rmid_forced', s.shmRmidForced);
  put('fs/mqueue/queues_max', s.queuesMax);
  put('fs/mqueue/msg_max', s.msgMax);
  put('fs/mqueue/msgsize_max', s.msgsizeMax);
  return files;
}

/** The System V objects of a columnar listing, decoded. */
export interface DecodedSysv {
  sems: SemSet[];
  shms: ShmSegment[];
  msgs: MsgQueue[];
  errors: ItemError[];
  statAny: boolean;
}

/**
 * Columnar semaphore sets -> SemSet[] (values as plain arrays when `withValues`).
 *
 * `previous`: the sets this decoder returned for the same source's last listing. A row whose header and
 * values equal every field of a previous set, which nobody has given per-semaphore detail or an error since
 * (`elems`, `valuesError`), is that same object: a refresh of a host whose sets did not change builds no object
 * and no garbage per set (at 32,000 sets the objects and their collection cost more than the kernel reads),
 * and a set that changed in any field is decoded anew. Sets are matched by id, in listing order first.
 *
 * `same` (with `previous`): for each row, the row of the previous listing it repeats byte for byte, or -1, as
 * the source compared the two listings' columns (NativeBinding.sameSets); `previous` must be what decoding
 * that listing gave. A set is then kept on its id, nsems and the absence of detail and error alone, without
 * reading its fields and values again: a set's header and values are read-only (shared/model.ts), and
 * `values` is replaced only together with `elems`.
 */
export function decodeSems(c: RawSemColumns, withValues: boolean, previous?: readonly SemSet[], same?: Int32Array): SemSet[] {
  const h = c.headers;
  const v = c.values;
  const errs = new Map<number, IpcErrorInfo>();
  for (const e of c.valueErrors) errs.set(e.index, toIpcErrorInfo(e));
  const out: SemSet[] = new Array(c.count);
  const prev = previous ?? [];
  let next = 0; // where the previous listing is expected to go on
  let byId: Map<number, number> | undefined;
  let off = 0;
  for (let i = 0, b = 0; i < c.count; i++, b += SEM_STRIDE) {
    const nsems = col(h, b + 7);
    const err = errs.size ? errs.get(i) : undefined;
    if (same !== undefined && prev.length && err === undefined) {
      const j = same[i] ?? -1;
      const o = j >= 0 ? prev[j] : undefined;
      if (o !== undefined && o.id === h[b] && o.nsems === nsems && o.elems === undefined && o.valuesError === undefined && (o.values === undefined) !== withValues) {
        out[i] = o;
        off += nsems;
        continue;
      }
    } else if (prev.length && err === undefined) {
      const id = col(h, b);
      let at = next;
      if (prev[at]?.id !== id) {
        byId ??= new Map(prev.map((o, k) => [o.id, k]));
        at = byId.get(id) ?? -1;
      }
      if (at >= 0) {
        next = at + 1;
        const o = prev[at]!;
        if (sameSet(o, h, b, withValues ? v : undefined, off)) {
          out[i] = o;
          off += nsems;
          continue;
        }
      }
    }
    if (withValues && err === undefined) {
      const values: number[] = new Array(nsems);
      for (let j = 0; j < nsems; j++) values[j] = v[off + j]!;
      out[i] = {
        kind: 'sem', id: col(h, b), key: col(h, b + 1), uid: col(h, b + 2), gid: col(h, b + 3), cuid: col(h, b + 4),
        cgid: col(h, b + 5), mode: col(h, b + 6), nsems, otime: col(h, b + 8), ctime: col(h, b + 9), values,
      };
    } else if (err !== undefined) {
      out[i] = {
        kind: 'sem', id: col(h, b), key: col(h, b + 1), uid: col(h, b + 2), gid: col(h, b + 3), cuid: col(h, b + 4),
        cgid: col(h, b + 5), mode: col(h, b + 6), nsems, otime: col(h, b + 8), ctime: col(h, b + 9),
        valuesError: err,
      };
    } else {
      out[i] = {
        kind: 'sem', id: col(h, b), key: col(h, b + 1), uid: col(h, b + 2), gid: col(h, b + 3), cuid: col(h, b + 4),
        cgid: col(h, b + 5), mode: col(h, b + 6), nsems, otime: col(h, b + 8), ctime: col(h, b + 9),
      };
    }
    off += nsems;
  }
  return out;
}

/**
 * Whether set `o` is exactly what the header row at `b` (and, with `v`, the values from `off`) decodes to, with
 * nothing added since: values present exactly when read and equal to them, no detail, no error.
 */
function sameSet(o: SemSet, h: Float64Array, b: number, v: Uint16Array | undefined, off: number): boolean {
  if (o.elems !== undefined || o.valuesError !== undefined) return false;
  if (o.id !== h[b] || o.key !== h[b + 1] || o.uid !== h[b + 2] || o.gid !== h[b + 3] || o.cuid !== h[b + 4]) return false;
  if (o.cgid !== h[b + 5] || o.mode !== h[b + 6] || o.nsems !== h[b + 7] || o.otime !== h[b + 8] || o.ctime !== h[b + 9]) return false;
  const vs = o.values;
  if (v === undefined) return vs === undefined;
  if (vs === undefined || vs.length !== o.nsems) return false;
  for (let j = 0; j < vs.length; j++) if (vs[j] !== v[off + j]) return false;
  return true;
}

/** SHM_DEST and SHM_LOCKED, the shm status bits the kernel keeps in the mode. */
export const SHM_DEST = 0o1000;
export const SHM_LOCKED = 0o2000;

export function decodeShms(c: RawColumns): ShmSegment[] {
  const h = c.headers;
  const out: ShmSegment[] = new Array(c.count);
  for (let i = 0, b = 0; i < c.count; i++, b += SHM_STRIDE) {
    const mode = col(h, b + 6);
    out[i] = {
      kind: 'shm', id: col(h, b), key: col(h, b + 1), uid: col(h, b + 2), gid: col(h, b + 3), cuid: col(h, b + 4),
      cgid: col(h, b + 5), mode, segsz: col(h, b + 7), cpid: col(h, b + 8), lpid: col(h, b + 9),
      nattch: col(h, b + 10), atime: col(h, b + 11), dtime: col(h, b + 12), ctime: col(h, b + 13),
      dest: (mode & SHM_DEST) !== 0, locked: (mode & SHM_LOCKED) !== 0,
    };
  }
  return out;
}

export function decodeMsgs(c: RawColumns): MsgQueue[] {
  const h = c.headers;
  const out: MsgQueue[] = new Array(c.count);
  for (let i = 0, b = 0; i < c.count; i++, b += MSG_STRIDE) {
    out[i] = {
      kind: 'msg', id: col(h, b), key: col(h, b + 1), uid: col(h, b + 2), gid: col(h, b + 3), cuid: col(h, b + 4),
      cgid: col(h, b + 5), mode: col(h, b + 6), cbytes: col(h, b + 7), qnum: col(h, b + 8), qbytes: col(h, b + 9),
      lspid: col(h, b + 10), lrpid: col(h, b + 11), stime: col(h, b + 12), rtime: col(h, b + 13), ctime: col(h, b + 14),
    };
  }
  return out;
}

export function decodeItemError(e: RawItemError): ItemError {
  const item: ItemError = { kind: e.kind, error: toIpcErrorInfo(e) };
  if (e.id !== undefined) item.id = e.id;
  else item.name = `index ${e.index}`;
  return item;
}

/** A whole columnar listing as model objects (`previousSems`, `same`: see decodeSems). */
export function decodeSysv(r: RawSysv, withValues: boolean, previousSems?: readonly SemSet[], same?: Int32Array): DecodedSysv {
  return {
    sems: decodeSems(r.sem, withValues, previousSems, same),
    shms: decodeShms(r.shm),
    msgs: decodeMsgs(r.msg),
    errors: r.errors.map(decodeItemError),
    statAny: r.statAny,
  };
}

/** One object's header row (the binding's statObject) as a model object. */
export function decodeRow(kind: SysvKind, headers: Float64Array): SemSet | ShmSegment | MsgQueue {
  const cols = { count: 1, headers };
  if (kind === 'sem') return decodeSems({ ...cols, values: new Uint16Array(0), valueErrors: [] }, false)[0]!;
  if (kind === 'shm') return decodeShms(cols)[0]!;
  return decodeMsgs(cols)[0]!;
}

/** The sets whose values could not be read: their index, id and error. */
export function semValueErrors(c: RawSemColumns): Array<{ index: number; id: number; error: IpcErrorInfo }> {
  return c.valueErrors.map((e) => ({ index: e.index, id: c.headers[e.index * SEM_STRIDE]!, error: toIpcErrorInfo(e) }));
}

/** The same listing without its semaphore sets (the JSON fast path renders those natively). */
export function withoutSems(r: RawSysv): RawSysv {
  return { ...r, sem: { count: 0, headers: new Float64Array(0), values: new Uint16Array(0), valueErrors: [] } };
}

/** What the snapshot needs of the segment and queue columns besides rendering them. */
export interface ColumnsSummary {
  /** the pids the headers name (cpid, lpid, lspid, lrpid), without 0, ascending */
  pids: number[];
  /** whether some segment is attached (nattch > 0): only then is a maps scan worth it */
  someShmAttached: boolean;
}

const summaries = new WeakMap<RawSysv, ColumnsSummary>();

/**
 * One pass over the segment and queue columns (tens of thousands of values: a pass costs milliseconds in a
 * fresh process, before V8 optimises it), kept per listing: a listing's columns are never changed.
 */
export function columnsSummary(r: RawSysv): ColumnsSummary {
  let out = summaries.get(r);
  if (out) return out;
  const pids = new Set<number>();
  let someAttached = false;
  const s = r.shm.headers;
  // a pid repeated in the rows before it (one creator of many objects) is added once per run
  let lastC = 0;
  let lastL = 0;
  for (let b = 0; b < r.shm.count * SHM_STRIDE; b += SHM_STRIDE) {
    const c = s[b + 8]!;
    const l = s[b + 9]!;
    if (c !== lastC) pids.add((lastC = c));
    if (l !== lastL) pids.add((lastL = l));
    if (s[b + 10]! > 0) someAttached = true;
  }
  const m = r.msg.headers;
  lastC = lastL = 0;
  for (let b = 0; b < r.msg.count * MSG_STRIDE; b += MSG_STRIDE) {
    const sp = m[b + 10]!;
    const rp = m[b + 11]!;
    if (sp !== lastC) pids.add((lastC = sp));
    if (rp !== lastL) pids.add((lastL = rp));
  }
  out = { pids: [...pids].filter((p) => p > 0).sort((a, b) => a - b), someShmAttached: someAttached };
  summaries.set(r, out);
  return out;
}

/** The shmids of the listing. */
export function shmIdsOfColumns(r: RawSysv): Set<number> {
  const out = new Set<number>();
  const s = r.shm.headers;
  for (let b = 0; b < r.shm.count * SHM_STRIDE; b += SHM_STRIDE) out.add(s[b]!);
  return out;
}

/**
 * Limits and usage from IPC_INFO / *_INFO, completed by the limit files the syscalls do not cover
 * (shm_rmid_forced and /proc/sys/fs/mqueue/*). Where SHM_INFO was not read, the segments and their pages are
 * counted from `shm` (the listing's segment columns) as the kernel counts shm_tot, each segment rounded up
 * to whole pages; without a listing there is then no usage (the caller counts the decoded objects).
 */
export function limitsFromNative(r: RawLimits, files: LimitFiles, shm?: RawColumns): { limits: IpcLimits; usage?: IpcUsage } {
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
  Object.assign(limits, limitsBeyondIpcInfo(files));
  const segments = r.shmSegments !== undefined && r.shmPages !== undefined
    ? { shmSegments: r.shmSegments, shmPages: r.shmPages }
    : shm && shmUsageOfColumns(shm, r.pageSize);
  if (!segments) return { limits };
  const resident = r.shmRssPages !== undefined && r.shmSwapPages !== undefined;
  const usage: IpcUsage = {
    semSets: r.semSets,
    semTotal: r.semTotal,
    ...segments,
    ...(resident && { shmRssPages: r.shmRssPages, shmSwapPages: r.shmSwapPages }),
    msgQueues: r.msgQueues,
    msgMessages: r.msgMessages,
    msgBytes: r.msgBytes,
  };
  return { limits, usage };
}

/** Segments and their pages (each rounded up to whole pages, as the kernel's shm_tot) in a segment listing. */
export function shmUsageOfColumns(c: RawColumns, pageSize: number): { shmSegments: number; shmPages: number } {
  const ps = pageSize > 0 ? pageSize : 4096;
  let pages = 0;
  for (let b = 7; b < c.count * SHM_STRIDE; b += SHM_STRIDE) pages += Math.ceil(c.headers[b]! / ps);
  return { shmSegments: c.count, shmPages: pages };
}

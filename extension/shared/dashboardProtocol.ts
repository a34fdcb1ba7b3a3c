/**
 * The dashboard's typed message protocol: one union per direction, shared by the extension host
 * (extension/webviews/dashboardPanel.ts) and the webview app (webview/dashboard/). Naming follows GitLens:
 * webview -> host messages are imperative requests, host -> webview messages are nouns or `did…`.
 *
 * The webview is untrusted input: the host runs every incoming message through `isWebviewToHost`, a strict
 * validator (exact keys, types, integer ranges, string lengths, known kinds only), and ignores what fails.
 * This file imports only ./model and ./limitDescriptors so that both bundles can include it.
 */
import type { CapacityRow } from './limitDescriptors';
import type { IpcErrorInfo, IpcKind, IpcSnapshot, ObjectRef, OwnerInfo, SemElem, SemSet, SysvKind, Verdict, VerdictState } from './model';

export type { CapacityRow } from './limitDescriptors';

export const PROTOCOL_VERSION = 1 as const;

/**
 * The refs domain/diff.ts's SnapshotDiff marks (appeared, vanished, changed since the previous snapshot of
 * the same host), as the dashboard receives them: objects are marked for one cycle.
 */
export interface DiffMarks {
  appeared: ObjectRef[];
  vanished: ObjectRef[];
  changed: ObjectRef[];
}

/** One figure of a namespace against one of its own limits (or its /dev/shm size). */
export interface NamespaceUsage {
  /** SEMMNS, SEMMNI, SHMALL, DEVSHM */
  limitName: string;
  used: number;
  limit: number;
  /** 0..100+, null when the limit is 0, unknown or unlimited */
  percent: number | null;
  unit: 'count' | 'bytes';
}

/** One IPC namespace of the machine in the dashboard's picker and its "by container" view. */
export interface NamespaceItem {
  /** its store host; null: it cannot be read (then `reason`) */
  host: string | null;
  /** `ipc:[N]`: what `selectNamespace` names to show it */
  ns: string;
  /** `host`, `docker 2403ccfe427f · postgres`, … (the container's own text: the page shows it as text only) */
  label: string;
  initial: boolean;
  own: boolean;
  reason?: string;
  /** its last refresh failed: `ENOENT: …` */
  error?: string;
  counts?: { sem: number; shm: number; msg: number; posix: number };
  /** semaphores: the fuller of SEMMNS and SEMMNI */
  sem?: NamespaceUsage;
  /** System V shared memory bytes against SHMALL */
  shm?: NamespaceUsage;
  /** its /dev/shm tmpfs */
  devShm?: NamespaceUsage;
}

export type HostToWebview =
  /** the machine's IPC namespaces (empty: only one visible, the view hides the picker); `current`: the one shown */
  | { type: 'namespaces'; current: string; items: NamespaceItem[] }
  | {
      type: 'snapshot';
      host: string;
      takenAt: number;
      snapshot: IpcSnapshot;
      /**
       * one per object. Above SLIM_SET_REASONS_ABOVE sets, semaphore sets' verdicts arrive without `reasons`
       * and the sets without `values` (toWire); a set's reasons and values arrive with its `detail`.
       */
      verdicts: Verdict[];
      capacity: CapacityRow[];
      diff: DiffMarks | null;
    }
  /** per-semaphore detail of one set, with the set's verdict re-assessed on it (reasons included). */
  | { type: 'detail'; kind: 'sem'; id: number; elems: SemElem[]; verdict?: Verdict }
  | { type: 'detail'; kind: 'sem'; id: number; error: IpcErrorInfo; verdict?: Verdict }
  | { type: 'didRecycle'; kind: SysvKind; id: number; removed: boolean; message: string }
  | { type: 'focus'; ref: ObjectRef }
  | { type: 'error'; error: IpcErrorInfo }
  /**
   * a big `snapshot` as it crosses (see toWire): the semaphore sets and their verdicts as typed-array columns,
   * everything else as in `snapshot` (its `sems` empty, `verdicts` those of the other kinds); the page turns it
   * back into the `snapshot` message (fromWire), after checking every column
   */
  | { type: 'snapshotColumns'; host: string; takenAt: number; snapshot: IpcSnapshot; verdicts: Verdict[]; capacity: CapacityRow[]; diff: DiffMarks | null; sems: SemColumns };

/**
 * Above this many sets a snapshot crosses as columns (toWire): without the sets' `values` (nothing the view
 * draws at that size needs them; an opened set's arrive with its `detail`) and without the sets' verdict
 * reasons (~40 % of the message as objects; a set's reasons arrive with its `detail` too).
 */
export const SLIM_SET_REASONS_ABOVE = 1500;

/**
 * A big snapshot's semaphore sets and their verdicts, one typed array per field (index i = the i-th set).
 * Typed arrays cross VS Code's host -> webview channel as binary buffers beside the message's JSON (VS Code
 * extracts them; the iframe's structured clone copies each as one block), so 32,000 sets cost 2.2 MB of
 * copies instead of a JSON text of 7.4 MB that is escaped, copied and parsed back into objects. A value that
 * does not fit its column (not a number, out of the column's range, fractional) travels in `extras`.
 */
export interface SemColumns {
  n: number;
  id: Int32Array;
  key: Int32Array;
  nsems: Int32Array;
  mode: Int32Array;
  uid: Uint32Array;
  gid: Uint32Array;
  cuid: Uint32Array;
  cgid: Uint32Array;
  otime: Float64Array;
  ctime: Float64Array;
  /** the set's verdict state: index into VERDICT_STATES; NO_VERDICT: the host has no verdict for it */
  state: Uint8Array;
  recyclable: Uint8Array;
  /** index into `owners` (-1: none) */
  owner: Int32Array;
  /** the distinct owners of the sets (a PostgreSQL cluster's sets share one) */
  owners: OwnerInfo[];
  /** verdict.orphanForSeconds, NaN: absent */
  orphanFor: Float64Array;
  /** verdict.becomesRecyclableIn, NaN: absent */
  recyclableIn: Float64Array;
  /** what the columns do not carry, per set: [index, the set's other fields, the verdict's other fields] */
  extras: Array<[number, Record<string, unknown>, Record<string, unknown>]>;
}

export const VERDICT_STATES: readonly VerdictState[] = ['live', 'orphan', 'unreadable', 'unknown'];
export const NO_VERDICT = 255;

const SEM_INT_COLUMNS = ['id', 'key', 'nsems', 'mode'] as const;
const SEM_UINT_COLUMNS = ['uid', 'gid', 'cuid', 'cgid'] as const;
const SEM_TIME_COLUMNS = ['otime', 'ctime'] as const;

/**
 * Where each field of a set and of its verdict travels (a field added to SemSet or Verdict fails to compile
 * here until it is given a way across): a column, the extras, or left out above SLIM_SET_REASONS_ABOVE sets.
 */
const SEM_FIELDS: Record<keyof SemSet, 'column' | 'extra' | 'left out'> = {
  kind: 'column', id: 'column', key: 'column', nsems: 'column', mode: 'column', uid: 'column', gid: 'column', cuid: 'column', cgid: 'column',
  otime: 'column', ctime: 'column', values: 'left out', elems: 'extra', valuesError: 'extra',
};
const VERDICT_FIELDS: Record<keyof Verdict, 'column' | 'extra' | 'left out'> = {
  ref: 'column', state: 'column', recyclable: 'column', reasons: 'left out', owner: 'column', orphanForSeconds: 'column', becomesRecyclableIn: 'column',
};
void SEM_FIELDS;
void VERDICT_FIELDS;

/** true when x is stored exactly by an Int32Array (Uint32Array) cell. */
const fitsI32 = (x: number): boolean => (x | 0) === x;
const fitsU32 = (x: number): boolean => x >>> 0 === x;

/** The sets of a snapshot and their verdicts as columns (values and the sets' verdict reasons left out). */
export function encodeSemColumns(sems: readonly SemSet[], verdicts: ReadonlyMap<ObjectRef, Verdict> | readonly Verdict[]): SemColumns {
  const n = sems.length;
  // the store's verdicts come in the snapshot's order, sets first: then the i-th is the i-th set's
  const list = verdicts instanceof Map ? undefined : (verdicts as readonly Verdict[]);
  let byRef: ReadonlyMap<ObjectRef, Verdict> | undefined = verdicts instanceof Map ? verdicts : undefined;
  const verdictOf = (i: number, ref: ObjectRef): Verdict | undefined => {
    if (list && !byRef) {
      if (list[i]?.ref === ref) return list[i];
      byRef = new Map(list.map((v) => [v.ref, v]));
    }
    return byRef!.get(ref);
  };
  const id = new Int32Array(n);
  const key = new Int32Array(n);
  const nsems = new Int32Array(n);
  const mode = new Int32Array(n);
  const uid = new Uint32Array(n);
  const gid = new Uint32Array(n);
  const cuid = new Uint32Array(n);
  const cgid = new Uint32Array(n);
  const otime = new Float64Array(n);
  const ctime = new Float64Array(n);
  const state = new Uint8Array(n);
  const recyclable = new Uint8Array(n);
  const owner = new Int32Array(n);
  const orphanFor = new Float64Array(n);
  const recyclableIn = new Float64Array(n);
  const owners: OwnerInfo[] = [];
  const extras: SemColumns['extras'] = [];
  const ownerIndex = new Map<OwnerInfo, number>();
  const ownerByText = new Map<string, number>();
  const unknown = VERDICT_STATES.indexOf('unknown');
  for (let i = 0; i < n; i++) {
    const s = sems[i]!;
    let extra: Record<string, unknown> | undefined;
    // a value a column cannot hold exactly goes as it is in the extras (the column keeps 0)
    if (typeof s.id === 'number' && fitsI32(s.id)) id[i] = s.id; else (extra ??= {}).id = s.id;
    if (typeof s.key === 'number' && fitsI32(s.key)) key[i] = s.key; else (extra ??= {}).key = s.key;
    if (typeof s.nsems === 'number' && fitsI32(s.nsems)) nsems[i] = s.nsems; else (extra ??= {}).nsems = s.nsems;
    if (typeof s.mode === 'number' && fitsI32(s.mode)) mode[i] = s.mode; else (extra ??= {}).mode = s.mode;
    if (typeof s.uid === 'number' && fitsU32(s.uid)) uid[i] = s.uid; else (extra ??= {}).uid = s.uid;
    if (typeof s.gid === 'number' && fitsU32(s.gid)) gid[i] = s.gid; else (extra ??= {}).gid = s.gid;
    if (typeof s.cuid === 'number' && fitsU32(s.cuid)) cuid[i] = s.cuid; else (extra ??= {}).cuid = s.cuid;
    if (typeof s.cgid === 'number' && fitsU32(s.cgid)) cgid[i] = s.cgid; else (extra ??= {}).cgid = s.cgid;
    if (typeof s.otime === 'number') otime[i] = s.otime; else (extra ??= {}).otime = s.otime;
    if (typeof s.ctime === 'number') ctime[i] = s.ctime; else (extra ??= {}).ctime = s.ctime;
    if (s.elems !== undefined) (extra ??= {}).elems = s.elems;
    if (s.valuesError !== undefined) (extra ??= {}).valuesError = s.valuesError;
    const v = verdictOf(i, `sem:${s.id}`);
    if (!v) {
      state[i] = NO_VERDICT;
      owner[i] = -1;
      orphanFor[i] = NaN;
      recyclableIn[i] = NaN;
    } else {
      const st = v.state === 'live' ? 0 : v.state === 'orphan' ? 1 : v.state === 'unreadable' ? 2 : unknown;
      state[i] = st;
      recyclable[i] = v.recyclable ? 1 : 0;
      orphanFor[i] = v.orphanForSeconds ?? NaN;
      recyclableIn[i] = v.becomesRecyclableIn ?? NaN;
      if (v.owner) {
        let o = ownerIndex.get(v.owner);
        if (o === undefined) {
          const text = JSON.stringify(v.owner);
          o = ownerByText.get(text);
          if (o === undefined) {
            o = owners.length;
            owners.push(v.owner);
            ownerByText.set(text, o);
          }
          ownerIndex.set(v.owner, o);
        }
        owner[i] = o;
      } else owner[i] = -1;
    }
    if (extra) extras.push([i, extra, {}]);
  }
  return { n, id, key, nsems, mode, uid, gid, cuid, cgid, otime, ctime, state, recyclable, owner, owners, orphanFor, recyclableIn, extras };
}

const MAX_SETS = 1 << 20;

function isRecordOf(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

/**
 * The page's check of a host message's columns: every column the right typed array of length n, states and
 * owner indices in range, owners with their text fields, extras at valid distinct indices. The host is the
 * extension, but a message that is not exactly this shape is dropped, not half-drawn.
 */
export function isSemColumns(x: unknown): x is SemColumns {
  if (!isRecordOf(x)) return false;
  const n = x.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_SETS) return false;
  const typed = (v: unknown, T: { new (n: number): ArrayBufferView }): boolean => v instanceof T && (v as unknown as { length: number }).length === n;
  for (const f of SEM_INT_COLUMNS) if (!typed(x[f], Int32Array)) return false;
  for (const f of SEM_UINT_COLUMNS) if (!typed(x[f], Uint32Array)) return false;
  for (const f of SEM_TIME_COLUMNS) if (!typed(x[f], Float64Array)) return false;
  if (!typed(x.state, Uint8Array) || !typed(x.recyclable, Uint8Array) || !typed(x.owner, Int32Array)) return false;
  if (!typed(x.orphanFor, Float64Array) || !typed(x.recyclableIn, Float64Array)) return false;
  const owners = x.owners;
  if (!Array.isArray(owners) || owners.length > n) return false;
  for (const o of owners) {
    if (!isRecordOf(o) || typeof o.app !== 'string' || typeof o.label !== 'string' || !Array.isArray(o.evidence)) return false;
  }
  const state = x.state as Uint8Array;
  const owner = x.owner as Int32Array;
  for (let i = 0; i < n; i++) {
    if (state[i]! >= VERDICT_STATES.length && state[i] !== NO_VERDICT) return false;
    if (owner[i]! < -1 || owner[i]! >= owners.length) return false;
  }
  const extras = x.extras;
  if (!Array.isArray(extras) || extras.length > n) return false;
  let last = -1;
  for (const e of extras) {
    if (!Array.isArray(e) || e.length !== 3 || typeof e[0] !== 'number' || !Number.isInteger(e[0]) || e[0] <= last || e[0] >= n) return false;
    if (!isRecordOf(e[1]) || !isRecordOf(e[2]) || 'kind' in e[1] || 'ref' in e[2]) return false;
    // an id from the extras becomes the verdict's ref (`sem:${id}`): an object there (`{"toString": ""}`) cannot be made text
    if (typeof e[1].id === 'object' && e[1].id !== null) return false;
    // Object.assign of an own `__proto__` (JSON.parse makes one) would set the object's prototype
    if (Object.prototype.hasOwnProperty.call(e[1], '__proto__') || Object.prototype.hasOwnProperty.call(e[2], '__proto__')) return false;
    last = e[0];
  }
  return true;
}

/** The sets and their verdicts back from columns (isSemColumns checked first). */
export function decodeSemColumns(c: SemColumns): { sems: SemSet[]; verdicts: Verdict[] } {
  const sems: SemSet[] = new Array<SemSet>(c.n);
  const verdicts: Verdict[] = [];
  let next = 0;
  for (let i = 0; i < c.n; i++) {
    const s: SemSet = {
      kind: 'sem', id: c.id[i]!, key: c.key[i]!, uid: c.uid[i]!, gid: c.gid[i]!, cuid: c.cuid[i]!, cgid: c.cgid[i]!, mode: c.mode[i]!,
      nsems: c.nsems[i]!, otime: c.otime[i]!, ctime: c.ctime[i]!,
    };
    const extra = c.extras[next]?.[0] === i ? c.extras[next++] : undefined;
    if (extra) Object.assign(s, extra[1]);
    sems[i] = s;
    const st = c.state[i]!;
    if (st === NO_VERDICT) continue;
    const v: Verdict = { ref: `sem:${s.id}`, state: VERDICT_STATES[st]!, recyclable: c.recyclable[i] === 1, reasons: [] };
    const o = c.owner[i]!;
    if (o >= 0) v.owner = c.owners[o];
    const of = c.orphanFor[i]!;
    if (!Number.isNaN(of)) v.orphanForSeconds = of;
    const ri = c.recyclableIn[i]!;
    if (!Number.isNaN(ri)) v.becomesRecyclableIn = ri;
    if (extra) Object.assign(v, extra[2]);
    verdicts.push(v);
  }
  return { sems, verdicts };
}

/**
 * The message as the host posts it: a `snapshot` of more than SLIM_SET_REASONS_ABOVE sets goes as
 * `snapshotColumns` (its sets and their verdicts as typed-array columns, without the sets' values and the
 * sets' verdict reasons: an opened set's come with its `detail`). It takes the store's snapshot as it is.
 */
export function toWire(message: HostToWebview): HostToWebview {
  if (message.type !== 'snapshot') return message;
  const sems = Array.isArray(message.snapshot.sems) ? message.snapshot.sems : [];
  if (sems.length <= SLIM_SET_REASONS_ABOVE) return message;
  const others = message.verdicts.filter((v) => !v.ref.startsWith('sem:'));
  return {
    type: 'snapshotColumns',
    host: message.host,
    takenAt: message.takenAt,
    snapshot: { ...message.snapshot, sems: [] },
    verdicts: others,
    capacity: message.capacity,
    diff: message.diff,
    sems: encodeSemColumns(sems, message.verdicts),
  };
}

/** The page's side of toWire: the `snapshot` inside a `snapshotColumns`, or null when its columns are not valid. */
export function fromSnapshotColumns(m: Extract<HostToWebview, { type: 'snapshotColumns' }>): Extract<HostToWebview, { type: 'snapshot' }> | null {
  if (!isSemColumns(m.sems) || !isRecordOf(m.snapshot) || !Array.isArray(m.verdicts)) return null;
  const { sems, verdicts } = decodeSemColumns(m.sems);
  return {
    type: 'snapshot',
    host: m.host,
    takenAt: m.takenAt,
    snapshot: { ...m.snapshot, sems },
    verdicts: [...verdicts, ...m.verdicts],
    capacity: m.capacity,
    diff: m.diff,
  };
}

export type CopyWhat = 'key' | 'id' | 'ipcrm' | 'json' | 'name';

export type WebviewToHost =
  | { type: 'ready'; protocol: typeof PROTOCOL_VERSION }
  | { type: 'selectObject'; ref: ObjectRef }
  | { type: 'requestDetail'; kind: 'sem'; id: number }
  | { type: 'requestRecycle'; kind: SysvKind; id: number; key: number; ctime: number }
  /** "Recycle orphans…": the host runs the guarded Recycle Orphans command (plan, modal, re-checks) */
  | { type: 'requestRecycleOrphans' }
  | { type: 'copy'; ref: ObjectRef; what: CopyWhat }
  | { type: 'inspect'; ref: ObjectRef }
  | { type: 'setFilter'; text: string }
  /** show another IPC namespace of the machine (`ipc:[N]`): one the last `namespaces` message listed */
  | { type: 'selectNamespace'; ns: string }
  | { type: 'refresh' };

export type WebviewToHostType = WebviewToHost['type'];
export type HostToWebviewType = HostToWebview['type'];

export const MAX_FILTER_LENGTH = 256;
/** an IPC namespace as /proc/PID/ns/ipc names it: `ipc:[4026532181]` (an inode: at most 20 digits) */
const NS_RE = /^ipc:\[[1-9][0-9]{0,19}\]$/;
export const MAX_REF_LENGTH = 300;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
/** kernel times in seconds: anything past year 2^40 s is hostile. */
const MAX_TIME = 2 ** 40;

const SYSV_KINDS: readonly string[] = ['sem', 'shm', 'msg'] satisfies readonly SysvKind[];
const COPY_WHATS: readonly string[] = ['key', 'id', 'ipcrm', 'json', 'name'] satisfies readonly CopyWhat[];

/** `sem:32769`, `shm:5`, `msg:0`, `posixSem:/orders`, `posixShm:/cache` (a POSIX name: one slash, no NUL). */
const REF_RE = /^(?:(?:sem|shm|msg):(?:0|[1-9][0-9]{0,9})|(?:posixSem|posixShm):\/[^/\u0000-\u001f]{1,255})$/;

export function isObjectRef(x: unknown): x is ObjectRef {
  if (typeof x !== 'string' || x.length > MAX_REF_LENGTH || !REF_RE.test(x)) return false;
  const colon = x.indexOf(':');
  const kind = x.slice(0, colon);
  if (SYSV_KINDS.includes(kind)) return Number(x.slice(colon + 1)) <= INT32_MAX;
  return true;
}

/** Parses a ref into kind + id (SysV) or kind + name (POSIX); null when malformed. */
export function parseObjectRef(ref: string): { kind: SysvKind; id: number } | { kind: Exclude<IpcKind, SysvKind>; name: string } | null {
  if (!isObjectRef(ref)) return null;
  const colon = ref.indexOf(':');
  const kind = ref.slice(0, colon);
  const rest = ref.slice(colon + 1);
  if (kind === 'sem' || kind === 'shm' || kind === 'msg') return { kind, id: Number(rest) };
  if (kind === 'posixSem' || kind === 'posixShm') return { kind, name: rest };
  return null;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
}

/** exactly these own keys, nothing more (no `__proto__` tricks, no smuggled fields). */
function hasExactKeys(o: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(o, k));
}

function isIntIn(x: unknown, min: number, max: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
}

/** A SysV id as the kernel hands them out (non-negative int). */
function isId(x: unknown): x is number {
  return isIntIn(x, 0, INT32_MAX);
}

const HOST_TYPES: ReadonlySet<string> = new Set(['namespaces', 'snapshot', 'detail', 'didRecycle', 'focus', 'error', 'snapshotColumns'] satisfies HostToWebview['type'][]);

/** Shape check on the webview side (the host is trusted, but stray window messages are ignored). */
export function isHostToWebview(x: unknown): x is HostToWebview {
  return typeof x === 'object' && x !== null && HOST_TYPES.has((x as { type?: unknown }).type as string);
}

/**
 * Strict runtime validator for messages from the webview. Returns false for anything not exactly one of
 * the WebviewToHost shapes: unknown types, missing or extra fields, non-integer or out-of-range numbers,
 * over-long strings, unknown kinds.
 */
export function isWebviewToHost(x: unknown): x is WebviewToHost {
  if (!isRecord(x) || typeof x.type !== 'string') return false;
  switch (x.type) {
    case 'ready':
      return hasExactKeys(x, ['type', 'protocol']) && x.protocol === PROTOCOL_VERSION;
    case 'selectObject':
    case 'inspect':
      return hasExactKeys(x, ['type', 'ref']) && isObjectRef(x.ref);
    case 'requestDetail':
      return hasExactKeys(x, ['type', 'kind', 'id']) && x.kind === 'sem' && isId(x.id);
    case 'requestRecycle':
      return (
        hasExactKeys(x, ['type', 'kind', 'id', 'key', 'ctime']) &&
        typeof x.kind === 'string' &&
        SYSV_KINDS.includes(x.kind) &&
        isId(x.id) &&
        isIntIn(x.key, INT32_MIN, INT32_MAX) &&
        isIntIn(x.ctime, 0, MAX_TIME)
      );
    case 'copy':
      return (
        hasExactKeys(x, ['type', 'ref', 'what']) &&
        isObjectRef(x.ref) &&
        typeof x.what === 'string' &&
        COPY_WHATS.includes(x.what)
      );
    case 'setFilter':
      return hasExactKeys(x, ['type', 'text']) && typeof x.text === 'string' && x.text.length <= MAX_FILTER_LENGTH;
    case 'selectNamespace':
      // by inode, never by the label (a container's text); the host also checks it is one it listed
      return hasExactKeys(x, ['type', 'ns']) && typeof x.ns === 'string' && NS_RE.test(x.ns);
    case 'refresh':
    case 'requestRecycleOrphans':
      return hasExactKeys(x, ['type']);
    default:
      return false;
  }
}

/** For exhaustive switches over the unions. */
export function assertNever(x: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(x)}`);
}

/**
 * The dashboard's protocol for the host's webview controller (extension/webviews/webviewController.ts):
 * its name in the log, the guard on the page's messages, a newer snapshot replacing a held older one, and
 * the wire form of a big snapshot.
 */
export const DASHBOARD_PROTOCOL = {
  name: 'dashboard',
  isWebviewToHost,
  supersedes: (older: HostToWebview, newer: HostToWebview): boolean =>
    (older.type === 'snapshot' && newer.type === 'snapshot') || (older.type === 'namespaces' && newer.type === 'namespaces'),
  toWire,
};

/** The page's side of toWire: a `snapshotColumns` becomes its snapshot message (null: not valid); others pass. */
export function fromWire(message: HostToWebview): HostToWebview | null {
  return message.type === 'snapshotColumns' ? fromSnapshotColumns(message) : message;
}

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
import type { IpcErrorInfo, IpcKind, IpcSnapshot, ObjectRef, SemElem, SysvKind, Verdict } from './model';

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
       * one per object. Above SLIM_SET_REASONS_ABOVE sets, semaphore sets' verdicts come without `reasons`
       * (they would be most of the message); a set's reasons arrive with its `detail`.
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
  /** a big `snapshot` message as its JSON text (see toWire); the webview parses it and handles the snapshot */
  | { type: 'snapshotText'; text: string };

export const SLIM_SET_REASONS_ABOVE = 1500;

/**
 * The verdicts as the host sends them: above SLIM_SET_REASONS_ABOVE sets, semaphore sets' reasons are left
 * out (for 32,000 sets they would be ~40 % of the message); a set's detail reply carries its full verdict.
 */
export function slimVerdicts(snapshot: Pick<IpcSnapshot, 'sems'>, verdicts: ReadonlyMap<ObjectRef, Verdict>): Verdict[] {
  const all = [...verdicts.values()];
  if (snapshot.sems.length <= SLIM_SET_REASONS_ABOVE) return all;
  return all.map((v) => (v.ref.startsWith('sem:') ? { ...v, reasons: [] } : v));
}

/**
 * The snapshot as the host sends it: above SLIM_SET_REASONS_ABOVE sets, semaphore sets come without `values`
 * (at 32,000 sets of 17 those 544,000 numbers are most of the message's structured clone, and nothing the view
 * draws at that size needs them: the map, lists and capacity use the headers; an opened set's values arrive
 * with its `detail`). The snapshot given is not changed.
 */
export function slimSnapshot(snapshot: IpcSnapshot): IpcSnapshot {
  if (snapshot.sems.length <= SLIM_SET_REASONS_ABOVE) return snapshot;
  return { ...snapshot, sems: snapshot.sems.map(({ values: _values, ...s }) => s) };
}

/**
 * The message as the host posts it: a `snapshot` of more than SLIM_SET_REASONS_ABOVE sets goes as its JSON
 * text. A string crosses VS Code's host -> webview channel and the iframe's structured clone as one flat copy,
 * and JSON.parse in the webview rebuilds the tens of thousands of objects several times faster than the
 * structured clone of the object graph does (measured by `npm run bench dashboard`, both ways in one run).
 */
export function toWire(message: HostToWebview): HostToWebview {
  if (message.type !== 'snapshot') return message;
  const sets = Array.isArray(message.snapshot.sems) ? message.snapshot.sems.length : 0;
  if (sets <= SLIM_SET_REASONS_ABOVE) return message;
  return { type: 'snapshotText', text: JSON.stringify(message) };
}

/** The webview's side of toWire: the snapshot message inside a `snapshotText`, or null when it is not one. */
export function fromSnapshotText(text: unknown): Extract<HostToWebview, { type: 'snapshot' }> | null {
  if (typeof text !== 'string') return null;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== 'snapshot') return null;
  return m as Extract<HostToWebview, { type: 'snapshot' }>;
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

const HOST_TYPES: ReadonlySet<string> = new Set(['namespaces', 'snapshot', 'detail', 'didRecycle', 'focus', 'error', 'snapshotText'] satisfies HostToWebview['type'][]);

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

/** The page's side of toWire: a `snapshotText` becomes its snapshot message (null: not one); others pass. */
export function fromWire(message: HostToWebview): HostToWebview | null {
  return message.type === 'snapshotText' ? fromSnapshotText(message.text) : message;
}

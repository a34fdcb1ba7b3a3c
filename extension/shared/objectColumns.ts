/**
 * One descriptor per object column, like lsipc's `coldescs[]`: its name, the CLI header and alignment, the
 * tree tooltip's label, and how each surface formats it. `ipcx` tables (cli/render.ts), the tree's tooltips
 * and the inspect document (views/objectFields.ts) and the dashboard's lists (webview/layout/others.ts,
 * webview/dashboard/main.ts) all read these, in this order. Pure: no imports beyond ./model and ./format.
 */
import { formatBytes, formatBytesExact, formatKey, formatKeyHex, formatMode, formatTime } from './format';
import type { IpcKind, IpcObject } from './model';

/** What a surface supplies: how it names pids, users and groups, and (CLI) the state cell. */
export interface ColumnContext {
  /** a pid with what the surface knows of it, e.g. `21599 (postgres)` */
  pid(pid: number): string;
  user(uid: number): string;
  group(gid: number): string;
  /** the CLI's STATE cell, with extra words (shm flags) */
  state?(o: IpcObject, extra: string[]): string;
}

type Of<K extends IpcKind> = Extract<IpcObject, { kind: K }>;

export interface ObjectColumn<O extends IpcObject = IpcObject> {
  /** the model field, or a name for a derived value */
  name: string;
  /** the CLI table's header, when the CLI shows the column */
  header?: string;
  /** right-aligned in the CLI table (numbers) */
  right?: boolean;
  /** the tree tooltip's (and inspect document's) label, when they show the column */
  label?: string;
  cli?(o: O, c: ColumnContext): string;
  /** undefined: the row is left out for this object */
  tooltip?(o: O, c: ColumnContext): string | undefined;
  /** the dashboard list's text fragment; undefined: none for this object */
  list?(o: O): string | undefined;
}

/** `name (uid)`, or the bare uid when it has no name. */
function userWithId(uid: number, c: ColumnContext): string {
  const n = c.user(uid);
  return n === String(uid) ? String(uid) : `${n} (${uid})`;
}

/** CLI: `?` not scanned, `-` none; tooltip: `not scanned`, `none`. */
function pidsCli(list: number[] | undefined, c: ColumnContext): string {
  return list === undefined ? '?' : list.map((p) => c.pid(p)).join(', ') || '-';
}
function pidsTooltip(list: number[] | undefined, c: ColumnContext): string {
  return list === undefined ? 'not scanned' : list.length ? list.map((p) => c.pid(p)).join(', ') : 'none';
}

/** A set's values in a CLI cell: the first 8, then the count. */
export function valuesLabel(s: Of<'sem'>, max = 8): string {
  if (s.valuesError) return `(${s.valuesError.code})`;
  if (!s.values) return '-';
  const shown = s.values.slice(0, max).join(' ');
  return s.values.length > max ? `${shown} … (${s.values.length})` : shown;
}

/** The ipc_perm columns every System V kind has. */
function permColumns<O extends Of<'sem' | 'shm' | 'msg'>>(): ObjectColumn<O>[] {
  return [
    { name: 'key', header: 'KEY', label: 'key', cli: (o) => formatKeyHex(o.key), tooltip: (o) => `${formatKey(o.key)} (${o.key})` },
    { name: 'id', header: 'ID', right: true, label: 'id', cli: (o) => String(o.id), tooltip: (o) => String(o.id) },
    {
      name: 'uid', header: 'OWNER', label: 'owner',
      cli: (o, c) => `${c.user(o.uid)}:${c.group(o.gid)}`,
      tooltip: (o, c) => `${userWithId(o.uid, c)} gid ${o.gid}`,
    },
    { name: 'cuid', label: 'creator', tooltip: (o, c) => `${userWithId(o.cuid, c)} gid ${o.cgid}` },
    { name: 'mode', header: 'PERMS', label: 'mode', cli: (o) => formatMode(o.mode), tooltip: (o) => formatMode(o.mode) },
  ];
}

/** The /dev/shm file columns both POSIX kinds start with. */
function fileColumns<O extends Of<'posixSem' | 'posixShm'>>(): ObjectColumn<O>[] {
  return [
    { name: 'name', header: 'NAME', label: 'name', cli: (o) => o.name, tooltip: (o) => o.name },
    { name: 'path', label: 'path', tooltip: (o) => o.path },
    {
      name: 'uid', header: 'OWNER', label: 'owner',
      cli: (o, c) => `${c.user(o.uid)}:${c.group(o.gid)}`,
      tooltip: (o, c) => `${userWithId(o.uid, c)} gid ${o.gid}`,
    },
    { name: 'mode', header: 'PERMS', label: 'mode', cli: (o) => formatMode(o.mode), tooltip: (o) => formatMode(o.mode) },
  ];
}

const state = (o: IpcObject, c: ColumnContext, extra: string[] = []): string => c.state?.(o, extra) ?? '';

const SEM: ObjectColumn<Of<'sem'>>[] = [
  ...permColumns<Of<'sem'>>(),
  { name: 'nsems', header: 'NSEMS', right: true, label: 'semaphores (nsems)', cli: (o) => String(o.nsems), tooltip: (o) => String(o.nsems) },
  { name: 'otime', header: 'OTIME', label: 'last semop (otime)', cli: (o) => formatTime(o.otime), tooltip: (o) => formatTime(o.otime) },
  { name: 'ctime', header: 'CTIME', label: 'changed (ctime)', cli: (o) => formatTime(o.ctime), tooltip: (o) => formatTime(o.ctime) },
  { name: 'state', header: 'STATE', cli: (o, c) => state(o, c) },
  {
    name: 'values', header: 'VALUES', label: 'values (GETALL)', cli: (o) => valuesLabel(o),
    tooltip: (o) => (o.values ? (o.values.length > 64 ? `${o.values.slice(0, 64).join(' ')} …` : o.values.join(' ')) : undefined),
  },
  {
    name: 'sempids', label: 'last-op pids (GETPID)',
    tooltip: (o, c) => {
      if (!o.elems) return undefined;
      const pids = [...new Set(o.elems.map((e) => e.pid).filter((p) => p > 0))];
      return pids.length ? pids.map((p) => c.pid(p)).join(', ') : 'none';
    },
  },
  {
    name: 'waiters', label: 'waiters (ncount / zcount)',
    tooltip: (o) => (o.elems ? `${o.elems.reduce((a, e) => a + e.ncount, 0)} / ${o.elems.reduce((a, e) => a + e.zcount, 0)}` : undefined),
  },
  { name: 'detail', label: 'last-op pids, waiters', tooltip: (o) => (o.elems ? undefined : 'not loaded (expand the set)') },
  { name: 'valuesError', label: 'read error', tooltip: (o) => (o.valuesError ? o.valuesError.message + (o.valuesError.hint ? ` (${o.valuesError.hint})` : '') : undefined) },
];

const SHM: ObjectColumn<Of<'shm'>>[] = [
  ...permColumns<Of<'shm'>>(),
  { name: 'segsz', header: 'SIZE', right: true, label: 'size (segsz)', cli: (o) => formatBytes(o.segsz), tooltip: (o) => formatBytesExact(o.segsz), list: (o) => formatBytes(o.segsz) },
  { name: 'nattch', header: 'NATTCH', right: true, label: 'attached (nattch)', cli: (o) => String(o.nattch), tooltip: (o) => String(o.nattch), list: (o) => `nattch ${o.nattch}` },
  { name: 'cpid', header: 'CPID', label: 'creator pid (cpid)', cli: (o, c) => c.pid(o.cpid), tooltip: (o, c) => c.pid(o.cpid) },
  { name: 'lpid', header: 'LPID', label: 'last attach/detach pid (lpid)', cli: (o, c) => c.pid(o.lpid), tooltip: (o, c) => c.pid(o.lpid) },
  { name: 'atime', label: 'attached (atime)', tooltip: (o) => formatTime(o.atime) },
  { name: 'dtime', label: 'detached (dtime)', tooltip: (o) => formatTime(o.dtime) },
  { name: 'ctime', header: 'CTIME', label: 'changed (ctime)', cli: (o) => formatTime(o.ctime), tooltip: (o) => formatTime(o.ctime) },
  {
    name: 'state', header: 'STATE',
    cli: (o, c) => state(o, c, [o.dest ? 'dest' : '', o.locked ? 'locked' : ''].filter(Boolean)),
  },
  {
    name: 'attachers', header: 'ATTACHERS', label: 'attached by', cli: (o, c) => pidsCli(o.attachers, c), tooltip: (o, c) => pidsTooltip(o.attachers, c),
    list: (o) => (o.attachers ? `${o.attachers.length} attacher${o.attachers.length === 1 ? '' : 's'}` : undefined),
  },
  { name: 'rss', label: 'resident', tooltip: (o) => (o.rss !== undefined ? formatBytes(o.rss) : undefined) },
  { name: 'swap', label: 'swapped', tooltip: (o) => (o.swap !== undefined ? formatBytes(o.swap) : undefined) },
  {
    name: 'status', label: 'status',
    tooltip: (o) => [o.dest ? 'SHM_DEST (removed at last detach)' : '', o.locked ? 'SHM_LOCKED' : ''].filter(Boolean).join(', ') || '-',
    list: (o) => (o.dest ? 'dest' : undefined),
  },
];

const MSG: ObjectColumn<Of<'msg'>>[] = [
  ...permColumns<Of<'msg'>>(),
  {
    name: 'qnum', header: 'MESSAGES', right: true, label: 'messages (qnum)', cli: (o) => String(o.qnum), tooltip: (o) => String(o.qnum),
    list: (o) => `${formatBytes(o.cbytes)} / ${formatBytes(o.qbytes)} (${o.qnum} message${o.qnum === 1 ? '' : 's'})`,
  },
  { name: 'cbytes', header: 'BYTES', right: true, label: 'bytes (cbytes)', cli: (o) => String(o.cbytes), tooltip: (o) => String(o.cbytes) },
  { name: 'qbytes', header: 'QBYTES', right: true, label: 'max bytes (qbytes)', cli: (o) => String(o.qbytes), tooltip: (o) => String(o.qbytes) },
  { name: 'lspid', header: 'LSPID', label: 'last sender (lspid)', cli: (o, c) => c.pid(o.lspid), tooltip: (o, c) => c.pid(o.lspid) },
  { name: 'lrpid', header: 'LRPID', label: 'last receiver (lrpid)', cli: (o, c) => c.pid(o.lrpid), tooltip: (o, c) => c.pid(o.lrpid) },
  { name: 'stime', label: 'sent (stime)', tooltip: (o) => formatTime(o.stime) },
  { name: 'rtime', label: 'received (rtime)', tooltip: (o) => formatTime(o.rtime) },
  { name: 'ctime', header: 'CTIME', label: 'changed (ctime)', cli: (o) => formatTime(o.ctime), tooltip: (o) => formatTime(o.ctime) },
  { name: 'state', header: 'STATE', cli: (o, c) => state(o, c) },
];

const POSIX_SEM: ObjectColumn<Of<'posixSem'>>[] = [
  ...fileColumns<Of<'posixSem'>>(),
  { name: 'size', label: 'size', tooltip: (o) => formatBytesExact(o.size), list: (o) => (o.decoded ? undefined : formatBytesExact(o.size)) },
  {
    name: 'value', header: 'VALUE', right: true, label: 'value',
    cli: (o) => (o.decoded ? String(o.decoded.value) : `(${o.decodeError?.code ?? '?'})`),
    tooltip: (o) => (o.decoded ? String(o.decoded.value) : undefined),
    list: (o) => (o.decoded ? `value ${o.decoded.value}, ${o.decoded.nwaiters} waiters` : undefined),
  },
  {
    name: 'nwaiters', header: 'WAITERS', right: true, label: 'waiters (nwaiters)',
    cli: (o) => (o.decoded ? String(o.decoded.nwaiters) : '-'), tooltip: (o) => (o.decoded ? String(o.decoded.nwaiters) : undefined),
  },
  { name: 'private', label: 'private', tooltip: (o) => (o.decoded ? String(o.decoded.private) : undefined) },
  {
    name: 'layout', header: 'LAYOUT', label: 'layout',
    cli: (o) => (o.decoded ? o.decoded.layout + (o.decoded.atomic ? '' : ' (non-atomic read)') : '-'),
    tooltip: (o) => (o.decoded ? `${o.decoded.layout}${o.decoded.atomic ? ' (one atomic 8-byte read)' : ''}` : undefined),
  },
  { name: 'raw', label: 'raw bytes', tooltip: (o) => o.decoded?.raw },
  { name: 'decodeError', label: 'decode error', tooltip: (o) => o.decodeError?.message },
  { name: 'mtime', header: 'MTIME', label: 'mtime', cli: (o) => formatTime(o.mtime), tooltip: (o) => formatTime(o.mtime) },
  { name: 'ino', label: 'dev:ino', tooltip: (o) => `${o.dev}:${o.ino}` },
  { name: 'attachers', header: 'ATTACHERS', label: 'mapped by', cli: (o, c) => pidsCli(o.attachers, c), tooltip: (o, c) => pidsTooltip(o.attachers, c) },
];

const POSIX_SHM: ObjectColumn<Of<'posixShm'>>[] = [
  ...fileColumns<Of<'posixShm'>>(),
  { name: 'size', header: 'SIZE', right: true, label: 'size', cli: (o) => formatBytes(o.size), tooltip: (o) => formatBytesExact(o.size), list: (o) => formatBytesExact(o.size) },
  { name: 'mtime', header: 'MTIME', label: 'mtime', cli: (o) => formatTime(o.mtime), tooltip: (o) => formatTime(o.mtime) },
  { name: 'ino', label: 'dev:ino', tooltip: (o) => `${o.dev}:${o.ino}` },
  { name: 'attachers', header: 'ATTACHERS', label: 'mapped by', cli: (o, c) => pidsCli(o.attachers, c), tooltip: (o, c) => pidsTooltip(o.attachers, c) },
];

/** Every kind's columns, in display order. */
export const OBJECT_COLUMNS: { readonly [K in IpcKind]: readonly ObjectColumn<Of<K>>[] } = {
  sem: SEM,
  shm: SHM,
  msg: MSG,
  posixSem: POSIX_SEM,
  posixShm: POSIX_SHM,
};

export function columnsOf<K extends IpcKind>(kind: K): readonly ObjectColumn<Of<K>>[] {
  return OBJECT_COLUMNS[kind];
}

/** The tooltip rows of one object: [label, value] for every column it has a value for. */
export function tooltipRows(o: IpcObject, c: ColumnContext): Array<[label: string, value: string]> {
  const out: Array<[string, string]> = [];
  for (const col of OBJECT_COLUMNS[o.kind] as readonly ObjectColumn[]) {
    if (!col.label || !col.tooltip) continue;
    const v = col.tooltip(o, c);
    if (v !== undefined) out.push([col.label, v]);
  }
  return out;
}

/** The dashboard list's text of one object: its columns' fragments, joined. */
export function listText(o: IpcObject): string {
  const parts: string[] = [];
  for (const col of OBJECT_COLUMNS[o.kind] as readonly ObjectColumn[]) {
    const v = col.list?.(o);
    if (v !== undefined) parts.push(v);
  }
  return parts.join(' · ');
}

/** The CLI table of one kind: headers with alignment, and one row of cells per object. */
export function cliTable<K extends IpcKind>(kind: K, objects: readonly Of<K>[], c: ColumnContext): { columns: Array<{ header: string; right?: boolean }>; rows: string[][] } {
  const cols = OBJECT_COLUMNS[kind].filter((col) => col.header && col.cli) as readonly ObjectColumn<Of<K>>[];
  return {
    columns: cols.map((col) => (col.right ? { header: col.header!, right: true } : { header: col.header! })),
    rows: objects.map((o) => cols.map((col) => col.cli!(o, c))),
  };
}

/**
 * Human-readable rendering of snapshots for `ipcx`: one table per kind, like `ipcs` but with owner names,
 * keys in hex, process names next to pids, and each object's state (from domain/verdict).
 */
import { assessSnapshot, objectRef, verdictOptions } from '../domain/verdict';
import { formatTime } from '../shared/format';
import type { IpcKind, IpcObject, IpcSnapshot, ItemError, ProcessFact, Verdict } from '../shared/model';
import { cliTable, type ColumnContext } from '../shared/objectColumns';
import { formatErrorLine } from './cliSupport';
import { localNames, numericNames, type NameMaps } from './names';
import { printable, renderTable } from './table';

export function namesFor(snap: IpcSnapshot): NameMaps {
  return snap.host === 'local' ? localNames() : numericNames;
}

/** `21599 (postgres)`, `21599 (dead)`, `21599 (unknown)` (cannot be seen), `-` for 0. */
export function pidLabel(pid: number, processes: Record<number, ProcessFact>): string {
  if (!pid) return '-';
  const f = processes[pid];
  if (!f) return String(pid);
  if (!f.alive) return `${pid} (${f.liveness === 'dead' ? 'dead' : 'unknown'})`;
  return f.comm ? `${pid} (${f.comm})` : String(pid);
}

function stateLabel(v: Verdict | undefined, extra: string[] = []): string {
  const parts = [...extra];
  if (v) parts.unshift(v.recyclable ? 'orphan, recyclable' : v.state);
  if (v?.owner) parts.push(v.owner.app);
  return parts.join(', ');
}

export function itemErrorLine(e: ItemError): string {
  const what = e.id !== undefined ? `${e.kind} id=${e.id}` : e.name !== undefined ? `${e.kind} ${e.name}` : e.kind;
  return printable(`${what}: ${formatErrorLine(e.error)}`);
}

export function renderHeader(snap: IpcSnapshot): string {
  const bits = [
    `host ${snap.host}${snap.hostname ? ` (${snap.hostname})` : ''}`,
    `${snap.platform}${snap.kernel ? ' ' + snap.kernel : ''}`,
    snap.ipcNamespace ?? 'namespace unknown',
    `source ${snap.source}`,
    snap.uid !== undefined ? `uid ${snap.uid}` : '',
    `taken ${formatTime(Math.floor(snap.takenAt / 1000))}`,
  ].filter(Boolean);
  let out = printable(bits.join(' · ')) + '\n';
  for (const w of snap.warnings) out += `warning: ${printable(w)}\n`;
  return out;
}

const SECTIONS: Array<[IpcKind, string]> = [
  ['sem', 'Semaphore sets'],
  ['shm', 'Shared memory segments'],
  ['msg', 'Message queues'],
  ['posixSem', 'POSIX semaphores'],
  ['posixShm', 'POSIX shared memory'],
];

const LISTS: { [K in IpcKind]: (s: IpcSnapshot) => Array<Extract<IpcObject, { kind: K }>> } = {
  sem: (s) => s.sems,
  shm: (s) => s.shms,
  msg: (s) => s.msgs,
  posixSem: (s) => s.posixSems,
  posixShm: (s) => s.posixShms,
};

export function renderSnapshot(snap: IpcSnapshot, nowSeconds: number): string {
  const names = namesFor(snap);
  let verdicts: Map<string, Verdict>;
  try {
    verdicts = assessSnapshot(snap, verdictOptions(), nowSeconds);
  } catch {
    verdicts = new Map();
  }
  const ctx: ColumnContext = {
    pid: (p) => pidLabel(p, snap.processes),
    user: (uid) => names.user(uid),
    group: (gid) => names.group(gid),
    state: (o, extra) => stateLabel(verdicts.get(objectRef(o)), extra),
  };
  let out = renderHeader(snap);
  for (const [kind, title] of SECTIONS) {
    const objects = LISTS[kind](snap);
    out += `\n${title} (${objects.length})\n`;
    if (objects.length) {
      const t = cliTable(kind, objects as never[], ctx);
      out += renderTable(t.columns, t.rows);
    }
  }

  const valueErrors = snap.sems.filter((s) => s.valuesError);
  if (snap.errors.length || valueErrors.length) {
    out += `\nErrors (${snap.errors.length + valueErrors.length})\n`;
    for (const e of snap.errors) out += `  ${itemErrorLine(e)}\n`;
    const MAX = 10;
    for (const s of valueErrors.slice(0, MAX)) out += `  ${itemErrorLine({ kind: 'sem', id: s.id, error: s.valuesError! })}\n`;
    if (valueErrors.length > MAX) out += `  … and ${valueErrors.length - MAX} more sets whose values could not be read\n`;
  }
  return out;
}

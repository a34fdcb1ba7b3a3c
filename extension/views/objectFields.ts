/**
 * Every field of an object as labelled rows, shared by the tree's markdown tooltips and the inspect document.
 * Pure (no vscode): data in, rows out.
 */
import { formatBytes, formatBytesExact, formatKey, formatMode, formatTime } from '../shared/format';
import type { IpcObject, IpcSnapshot, Verdict } from '../shared/model';
import { pidText, stateText } from './presentation';

export type Row = [label: string, value: string];

function user(uid: number, name: (uid: number) => string): string {
  const n = name(uid);
  return n === String(uid) ? String(uid) : `${n} (${uid})`;
}

/** Labelled rows for every field of `o`; pids carry their command name and liveness from the snapshot. */
export function objectRows(o: IpcObject, snap: IpcSnapshot, name: (uid: number) => string): Row[] {
  const facts = snap.processes;
  const pids = (list: number[] | undefined): string =>
    list === undefined ? 'not scanned' : list.length ? list.map((p) => pidText(p, facts)).join(', ') : 'none';
  const rows: Row[] = [];
  if (o.kind === 'posixSem' || o.kind === 'posixShm') {
    rows.push(['name', o.name], ['path', o.path], ['owner', `${user(o.uid, name)} gid ${o.gid}`], ['mode', formatMode(o.mode)]);
    rows.push(['size', formatBytesExact(o.size)], ['mtime', formatTime(o.mtime)], ['dev:ino', `${o.dev}:${o.ino}`]);
    if (o.kind === 'posixSem') {
      if (o.decoded) {
        const d = o.decoded;
        rows.push(['value', String(d.value)], ['waiters (nwaiters)', String(d.nwaiters)], ['private', String(d.private)]);
        rows.push(['layout', `${d.layout}${d.atomic ? ' (one atomic 8-byte read)' : ''}`], ['raw bytes', d.raw]);
      }
      if (o.decodeError) rows.push(['decode error', o.decodeError.message]);
    }
    rows.push(['mapped by', pids(o.attachers)]);
    return rows;
  }
  rows.push(['key', `${formatKey(o.key)} (${o.key})`], ['id', String(o.id)]);
  rows.push(['owner', `${user(o.uid, name)} gid ${o.gid}`], ['creator', `${user(o.cuid, name)} gid ${o.cgid}`]);
  rows.push(['mode', formatMode(o.mode)]);
  switch (o.kind) {
    case 'sem':
      rows.push(['semaphores (nsems)', String(o.nsems)], ['last semop (otime)', formatTime(o.otime)], ['changed (ctime)', formatTime(o.ctime)]);
      if (o.values) rows.push(['values (GETALL)', o.values.length > 64 ? `${o.values.slice(0, 64).join(' ')} …` : o.values.join(' ')]);
      if (o.elems) {
        const lastPids = [...new Set(o.elems.map((e) => e.pid).filter((p) => p > 0))];
        rows.push(['last-op pids (GETPID)', lastPids.length ? lastPids.map((p) => pidText(p, facts)).join(', ') : 'none']);
        rows.push(['waiters (ncount / zcount)', `${o.elems.reduce((a, e) => a + e.ncount, 0)} / ${o.elems.reduce((a, e) => a + e.zcount, 0)}`]);
      } else {
        rows.push(['last-op pids, waiters', 'not loaded (expand the set)']);
      }
      if (o.valuesError) rows.push(['read error', o.valuesError.message + (o.valuesError.hint ? ` (${o.valuesError.hint})` : '')]);
      break;
    case 'shm':
      rows.push(['size (segsz)', formatBytesExact(o.segsz)], ['attached (nattch)', String(o.nattch)]);
      rows.push(['creator pid (cpid)', pidText(o.cpid, facts)], ['last attach/detach pid (lpid)', pidText(o.lpid, facts)]);
      rows.push(['attached by', pids(o.attachers)]);
      rows.push(['attached (atime)', formatTime(o.atime)], ['detached (dtime)', formatTime(o.dtime)], ['changed (ctime)', formatTime(o.ctime)]);
      if (o.rss !== undefined) rows.push(['resident', formatBytes(o.rss)]);
      if (o.swap !== undefined) rows.push(['swapped', formatBytes(o.swap)]);
      rows.push(['status', [o.dest ? 'SHM_DEST (removed at last detach)' : '', o.locked ? 'SHM_LOCKED' : ''].filter(Boolean).join(', ') || '-']);
      break;
    case 'msg':
      rows.push(['messages (qnum)', String(o.qnum)], ['bytes (cbytes)', String(o.cbytes)], ['max bytes (qbytes)', String(o.qbytes)]);
      rows.push(['last sender (lspid)', pidText(o.lspid, facts)], ['last receiver (lrpid)', pidText(o.lrpid, facts)]);
      rows.push(['sent (stime)', formatTime(o.stime)], ['received (rtime)', formatTime(o.rtime)], ['changed (ctime)', formatTime(o.ctime)]);
      break;
  }
  return rows;
}

export function verdictRows(v: Verdict | undefined): Row[] {
  if (!v) return [['state', 'not assessed']];
  const rows: Row[] = [['state', stateText(v)]];
  if (v.owner) rows.push(['owner app', v.owner.label]);
  if (v.orphanForSeconds !== undefined) rows.push(['orphaned for', `${Math.round(v.orphanForSeconds)} s`]);
  v.reasons.forEach((r, i) => rows.push([i === 0 ? 'because' : '', r]));
  return rows;
}

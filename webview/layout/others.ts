/**
 * Shared-memory segments, message queues and the pid view (pure layout).
 * - shm: one bar per segment, length by bytes (log scale: segments span bytes to gigabytes), with attachers;
 * - msg: one bar per queue, bytes used against qbytes;
 * - pids: every pid the objects mention, with command name and alive/dead, linked to its objects.
 */
import { scaleLog } from 'd3-scale';
import type { IpcSnapshot, MsgQueue, ObjectRef, ShmSegment, Verdict, VerdictState } from '../../extension/shared/model';
import { formatBytes } from '../../extension/shared/format';
import { listText } from '../../extension/shared/objectColumns';
import { pidsOf } from './filter';
import { keyHex, keyU32, refOf } from './refs';

export interface ShmBar {
  ref: ObjectRef;
  id: number;
  keyText: string;
  bytes: number;
  bytesText: string;
  nattch: number;
  attachers: number | null;
  state: VerdictState;
  dest: boolean;
  /** bar length 0..1 of the track (log scale). */
  frac: number;
  /** the row's text: the list fragments of the segment's columns (shared/objectColumns.ts) */
  text: string;
  label: string;
}

export interface MsgBar {
  ref: ObjectRef;
  id: number;
  keyText: string;
  cbytes: number;
  qbytes: number;
  qnum: number;
  state: VerdictState;
  /** used/qbytes 0..1. */
  frac: number;
  text: string;
  label: string;
}

export function layoutShm(shms: readonly ShmSegment[], verdicts: ReadonlyMap<ObjectRef, Verdict>): { bars: ShmBar[]; domain: [number, number] } {
  const max = shms.reduce((m, s) => Math.max(m, s.segsz), 2);
  const domain: [number, number] = [1, max];
  const scale = scaleLog().domain(domain).range([0.02, 1]).clamp(true);
  const bars = [...shms]
    .sort((a, b) => keyU32(a.key) - keyU32(b.key) || a.id - b.id)
    .map((s) => {
      const ref = refOf(s);
      const state = verdicts.get(ref)?.state ?? 'unknown';
      const attachers = s.attachers ? s.attachers.length : null;
      return {
        ref,
        id: s.id,
        keyText: keyHex(s.key),
        bytes: s.segsz,
        bytesText: formatBytes(s.segsz),
        nattch: s.nattch,
        attachers,
        state,
        dest: s.dest,
        frac: scale(Math.max(1, s.segsz)),
        text: listText(s),
        label: `shared memory ${keyHex(s.key)} id ${s.id}, ${formatBytes(s.segsz)}, ${s.nattch} attached${
          attachers !== null ? ` by ${attachers} process${attachers === 1 ? '' : 'es'}` : ''
        }, ${state}${s.dest ? ', marked for removal' : ''}`,
      };
    });
  return { bars, domain };
}

export function layoutMsg(msgs: readonly MsgQueue[], verdicts: ReadonlyMap<ObjectRef, Verdict>): MsgBar[] {
  return [...msgs]
    .sort((a, b) => keyU32(a.key) - keyU32(b.key) || a.id - b.id)
    .map((m) => {
      const ref = refOf(m);
      const state = verdicts.get(ref)?.state ?? 'unknown';
      const frac = m.qbytes > 0 ? Math.min(1, m.cbytes / m.qbytes) : 0;
      const text = listText(m);
      return {
        ref,
        id: m.id,
        keyText: keyHex(m.key),
        cbytes: m.cbytes,
        qbytes: m.qbytes,
        qnum: m.qnum,
        state,
        frac,
        text,
        label: `message queue ${keyHex(m.key)} id ${m.id}, ${text}, ${state}`,
      };
    });
}

export type PidRole = 'owner' | 'creator' | 'last-op' | 'sender' | 'receiver' | 'attached';

export interface PidRow {
  pid: number;
  comm: string;
  alive: boolean | null;
  objects: Array<{ ref: ObjectRef; text: string; roles: PidRole[]; state: VerdictState }>;
  label: string;
}

/** Every pid the snapshot's objects mention, most-referenced first; at most `limit` rows (plus the count left). */
export function layoutPids(
  snapshot: IpcSnapshot,
  verdicts: ReadonlyMap<ObjectRef, Verdict>,
  include: (ref: ObjectRef) => boolean = () => true,
  limit = 200,
): { rows: PidRow[]; more: number } {
  const byPid = new Map<number, Map<ObjectRef, { text: string; roles: Set<PidRole> }>>();
  const add = (pid: number, ref: ObjectRef, text: string, role: PidRole): void => {
    if (!(pid > 0) || !include(ref)) return;
    let objs = byPid.get(pid);
    if (!objs) byPid.set(pid, (objs = new Map()));
    let o = objs.get(ref);
    if (!o) objs.set(ref, (o = { text, roles: new Set() }));
    o.roles.add(role);
  };
  for (const s of snapshot.sems) {
    const ref = refOf(s);
    const text = `sem ${keyHex(s.key)}`;
    const owner = verdicts.get(ref)?.owner;
    if (owner?.pid) add(owner.pid, ref, text, 'owner');
    for (const e of s.elems ?? []) add(e.pid, ref, text, 'last-op');
  }
  for (const s of snapshot.shms) {
    const ref = refOf(s);
    const text = `shm ${keyHex(s.key)}`;
    add(s.cpid, ref, text, 'creator');
    add(s.lpid, ref, text, 'last-op');
    for (const p of s.attachers ?? []) add(p, ref, text, 'attached');
    const owner = verdicts.get(ref)?.owner;
    if (owner?.pid) add(owner.pid, ref, text, 'owner');
  }
  for (const m of snapshot.msgs) {
    const ref = refOf(m);
    const text = `msg ${keyHex(m.key)}`;
    add(m.lspid, ref, text, 'sender');
    add(m.lrpid, ref, text, 'receiver');
  }
  for (const o of [...snapshot.posixSems, ...snapshot.posixShms]) {
    const ref = refOf(o);
    for (const p of pidsOf(o, undefined)) add(p, ref, `${o.kind === 'posixSem' ? 'sem' : 'shm'} ${o.name}`, 'attached');
  }
  const rows: PidRow[] = [...byPid.entries()].map(([pid, objs]) => {
    const fact = snapshot.processes[pid];
    // null = unknown: no facts, or a pid the reader cannot see (only a proven death is "dead")
    const alive = fact ? (fact.alive ? true : fact.liveness === 'dead' ? false : null) : null;
    const comm = fact?.comm ?? '';
    const objects = [...objs.entries()].map(([ref, o]) => ({ ref, text: o.text, roles: [...o.roles], state: verdicts.get(ref)?.state ?? 'unknown' }));
    return {
      pid,
      comm,
      alive,
      objects,
      label: `pid ${pid}${comm ? ` ${comm}` : ''}, ${alive === null ? 'liveness unknown' : alive ? 'alive' : 'dead'}, ${objects.length} object${
        objects.length === 1 ? '' : 's'
      }`,
    };
  });
  rows.sort((a, b) => b.objects.length - a.objects.length || a.pid - b.pid);
  return { rows: rows.slice(0, limit), more: Math.max(0, rows.length - limit) };
}

/** appeared/vanished between two snapshots (when the host sent no diff). */
export function diffRefs(prev: readonly ObjectRef[], next: readonly ObjectRef[]): { appeared: ObjectRef[]; vanished: ObjectRef[] } {
  const p = new Set(prev);
  const n = new Set(next);
  return { appeared: next.filter((r) => !p.has(r)), vanished: prev.filter((r) => !n.has(r)) };
}

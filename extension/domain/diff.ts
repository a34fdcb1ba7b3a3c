/**
 * Changes between two snapshots of one host: objects that appeared, vanished or changed. Objects are
 * matched by ObjectRef (`sem:ID`, `posixSem:/NAME`, see verdict.objectRef). Identity beyond the ref: a
 * SysV object whose ctime or key differs under the same id is a different object (the id was reused after
 * removal), so it counts as vanished + appeared; a POSIX object whose inode differs was recreated. (On
 * Linux semctl SETVAL/SETALL and IPC_SET also move ctime; the guarded removal compares the same
 * {key, ctime}, so the two agree on what "the same object" is.)
 */
import type { IpcObject, IpcSnapshot, ObjectRef } from '../shared/model';
import { allObjects, objectRef } from './verdict';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface ObjectChange {
  ref: ObjectRef;
  before: IpcObject;
  after: IpcObject;
  changes: FieldChange[];
}

export interface SnapshotDiff {
  appeared: IpcObject[];
  vanished: IpcObject[];
  changed: ObjectChange[];
  /** how many objects did not change */
  unchanged: number;
}

/** Fields compared per kind (identity fields excluded: they decide replaced vs changed). */
const FIELDS: Record<IpcObject['kind'], string[]> = {
  sem: ['uid', 'gid', 'mode', 'nsems', 'otime', 'values', 'valuesError'],
  shm: ['uid', 'gid', 'mode', 'segsz', 'cpid', 'lpid', 'nattch', 'atime', 'dtime', 'dest', 'locked', 'rss', 'swap', 'attachers'],
  msg: ['uid', 'gid', 'mode', 'cbytes', 'qnum', 'qbytes', 'lspid', 'lrpid', 'stime', 'rtime'],
  posixSem: ['uid', 'gid', 'mode', 'size', 'mtime', 'decoded', 'decodeError', 'attachers'],
  posixShm: ['uid', 'gid', 'mode', 'size', 'mtime', 'attachers'],
};

function sameIdentity(a: IpcObject, b: IpcObject): boolean {
  switch (a.kind) {
    case 'sem':
    case 'shm':
    case 'msg':
      return b.kind === a.kind && a.key === b.key && a.ctime === b.ctime;
    case 'posixSem':
    case 'posixShm':
      return b.kind === a.kind && a.dev === b.dev && a.ino === b.ino;
  }
}

/** Structural equality for the plain JSON values the model holds. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a as object), kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

export function diffSnapshots(before: Pick<IpcSnapshot, 'sems' | 'shms' | 'msgs' | 'posixSems' | 'posixShms'>, after: Pick<IpcSnapshot, 'sems' | 'shms' | 'msgs' | 'posixSems' | 'posixShms'>): SnapshotDiff {
  const prev = new Map<ObjectRef, IpcObject>();
  for (const o of allObjects(before as IpcSnapshot)) prev.set(objectRef(o), o);
  const out: SnapshotDiff = { appeared: [], vanished: [], changed: [], unchanged: 0 };
  const seen = new Set<ObjectRef>();
  for (const o of allObjects(after as IpcSnapshot)) {
    const ref = objectRef(o);
    seen.add(ref);
    const p = prev.get(ref);
    if (!p) {
      out.appeared.push(o);
      continue;
    }
    if (!sameIdentity(p, o)) {
      out.vanished.push(p);
      out.appeared.push(o);
      continue;
    }
    const changes: FieldChange[] = [];
    const rp = p as unknown as Record<string, unknown>, ro = o as unknown as Record<string, unknown>;
    for (const f of FIELDS[o.kind]) {
      if (!deepEqual(rp[f], ro[f])) changes.push({ field: f, before: rp[f], after: ro[f] });
    }
    if (changes.length) out.changed.push({ ref, before: p, after: o, changes });
    else out.unchanged++;
  }
  for (const [ref, p] of prev) if (!seen.has(ref)) out.vanished.push(p);
  return out;
}

/** The refs a diff marks (what the dashboard receives: protocol DiffMarks). */
export function diffMarks(d: SnapshotDiff): { appeared: ObjectRef[]; vanished: ObjectRef[]; changed: ObjectRef[] } {
  return { appeared: d.appeared.map(objectRef), vanished: d.vanished.map(objectRef), changed: d.changed.map((c) => c.ref) };
}

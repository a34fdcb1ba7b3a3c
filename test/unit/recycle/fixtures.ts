/** Small hand-made snapshots for the recycle unit tests (plain data; no kernel). */
import { PG_DSM_CONTROL_MAGIC } from '../../../extension/domain/recognizers/postgresql';
import type { IpcLimits, IpcSnapshot, MsgQueue, ProcessFact, SemElem, SemSet, ShmSegment } from '../../../extension/shared/model';

export const NOW = 1_800_000_000;
/** realtime - boottime of the fixture host: it booted 200 days before NOW. */
export const BOOT = NOW - 200 * 86400;

/** A reader in the initial pid namespace, /proc its own, no hidepid, the clock offset known to 20 ms. */
export const READER = { pidNs: 'pid:[4026531836]', initialPidNs: true, procIsOwnPidNs: true, hidepid: 'off' as const, clockOffset: BOOT, clockOffsetError: 0.02 };

export const LIMITS: IpcLimits = {
  semmsl: 250, semmns: 32000, semopm: 32, semmni: 128, semvmx: 32767, shmmax: 2 ** 40, shmall: 2 ** 30,
  shmmni: 4096, shmmin: 1, msgmax: 8192, msgmnb: 16384, msgmni: 32000, pageSize: 4096,
};

export function snapshot(parts: Partial<IpcSnapshot> = {}): IpcSnapshot {
  const s: IpcSnapshot = {
    version: 1, host: 'local', platform: 'linux', source: 'fixture', takenAt: NOW * 1000, ipcNamespace: 'ipc:[1]', uid: 0,
    sems: [], shms: [], msgs: [], posixSems: [], posixShms: [], errors: [], limits: LIMITS,
    usage: { semSets: 0, semTotal: 0, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 },
    processes: {}, warnings: [], reader: READER, ...parts,
  };
  if (!parts.usage) {
    s.usage.semSets = s.sems.length;
    s.usage.semTotal = s.sems.reduce((a, x) => a + x.nsems, 0);
  }
  return s;
}

export function elems(n: number, pid: number, over: Partial<SemElem>[] = []): SemElem[] {
  return Array.from({ length: n }, (_, i) => ({ semval: 0, ncount: 0, zcount: 0, pid, ...(over[i] ?? {}) }));
}

/** A PostgreSQL set: 17 sems, marker 537 on semnum 16, every sempid = the postmaster. */
export function pgSet(id: number, key: number, postmaster: number, t = NOW - 3600, over: Partial<SemSet> = {}): SemSet {
  const e = elems(17, postmaster);
  e[16] = { semval: 537, ncount: 0, zcount: 0, pid: postmaster };
  return {
    kind: 'sem', id, key, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, nsems: 17, otime: t, ctime: t,
    values: e.map((x) => x.semval), elems: e, ...over,
  };
}

export function semSet(id: number, key: number, e: SemElem[] | undefined, t = NOW - 3600, over: Partial<SemSet> = {}): SemSet {
  const s: SemSet = { kind: 'sem', id, key, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, nsems: e?.length ?? 3, otime: t, ctime: t, ...over };
  if (e) {
    s.elems = e;
    s.values = e.map((x) => x.semval);
  }
  return s;
}

export function shm(id: number, key: number, cpid: number, over: Partial<ShmSegment> = {}): ShmSegment {
  return {
    kind: 'shm', id, key, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, segsz: 56, cpid, lpid: cpid, nattch: 0,
    atime: NOW - 7200, dtime: NOW - 7200, ctime: NOW - 7200, dest: false, locked: false, ...over,
  };
}

export function msg(id: number, key: number, lspid: number, lrpid: number, over: Partial<MsgQueue> = {}): MsgQueue {
  return {
    kind: 'msg', id, key, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, cbytes: 0, qnum: 0, qbytes: 16384, lspid, lrpid,
    stime: NOW - 7200, rtime: NOW - 7200, ctime: NOW - 7200, ...over,
  };
}

/** A fact as a local source makes it: alive (visible, with its start on both clocks) or dead (proven). */
export function proc(pid: number, alive: boolean, over: Partial<ProcessFact> = {}): ProcessFact {
  const f: ProcessFact = {
    pid, alive, liveness: alive ? 'alive' : 'dead', comm: alive ? 'app' : undefined, startTime: alive ? NOW - 86400 : undefined, ipcNs: 'ipc:[1]', ...over,
  };
  if (f.startTime !== undefined && !('startBoot' in over)) f.startBoot = f.startTime - BOOT;
  return f;
}

export function procs(...facts: ProcessFact[]): Record<number, ProcessFact> {
  return Object.fromEntries(facts.map((f) => [f.pid, f]));
}

/** PGShmemHeader bytes (LP64 little-endian). */
export function pgHeader(creatorPid: number, dev: bigint, ino: bigint, magic = 679834894): Uint8Array {
  const b = new Uint8Array(56);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, magic, true);
  dv.setInt32(4, creatorPid, true);
  dv.setBigUint64(8, 56n, true);
  dv.setBigUint64(40, dev, true);
  dv.setBigUint64(48, ino, true);
  return b;
}

/** A control segment as dsm.c lays it out on LP64 (itemSize 40: 14+, 24: 10-13, 8: 9.4-9.6). */
export function controlBytes(items: Array<[number, number]>, maxitems = 8, itemSize: 40 | 24 | 8 = 40): Uint8Array {
  const header = itemSize === 8 ? 12 : 16;
  const b = new Uint8Array(header + itemSize * maxitems);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, PG_DSM_CONTROL_MAGIC, true);
  dv.setUint32(4, items.length, true);
  dv.setUint32(8, maxitems, true);
  items.forEach(([h, r], i) => {
    dv.setUint32(header + i * itemSize, h, true);
    dv.setUint32(header + i * itemSize + 4, r, true);
  });
  return b;
}

/** A copy of a PGShmemHeader with its dsm_control handle set. */
export function withDsmControl(header: Uint8Array, handle: number): Uint8Array {
  const b = new Uint8Array(header);
  new DataView(b.buffer).setUint32(24, handle, true);
  return b;
}

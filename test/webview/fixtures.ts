/**
 * Fixture snapshots for the dashboard tests and benchmark, built from the seed scenario (DOMAIN.md §4, the
 * pgsql-hackers ENOSPC thread): a crashed PostgreSQL left 14 semaphore sets (17 semaphores each, marker
 * semnum 16 = 537, last-op pid = the dead postmaster 21599) plus its interlock shm segment; another
 * application holds 2 live sets. SEMMNS is 340, so all 340 semaphores are taken and the restarted
 * postmaster's `semget(5432015, 17, 03600)` fails with ENOSPC.
 *
 * Verdicts come from the real domain code (extension/domain/verdict.ts), and the verdicts (slimmed) and
 * capacity rows go through the same functions the host uses, so the page gets what the extension would send.
 */
import { assessSnapshot, verdictOptions } from '../../extension/domain/verdict';
import type { IpcSnapshot, MsgQueue, SemElem, SemSet, ShmSegment } from '../../extension/shared/model';
import { toWire, type HostToWebview } from '../../extension/shared/dashboardProtocol';
import { capacityRowsFor } from '../../extension/domain/capacityRows';

/** the fixed clock of every fixture (2026-11-24 12:00:00 UTC). */
export const NOW_MS = Date.UTC(2026, 10, 24, 12, 0, 0);
const NOW = NOW_MS / 1000;
const DAY = 86400;

export const DEAD_POSTMASTER = 21599;
export const LIVE_APP = 4242;

function pgSet(id: number, key: number, ctime: number): SemSet {
  const values = Array.from({ length: 17 }, (_, i) => (i === 16 ? 537 : 1));
  const elems: SemElem[] = values.map((semval, i) => ({ semval, ncount: 0, zcount: 0, pid: i === 16 || i < 3 ? DEAD_POSTMASTER : 0 }));
  return { kind: 'sem', id, key, uid: 999, gid: 999, cuid: 999, cgid: 999, mode: 0o600, nsems: 17, otime: ctime + 5, ctime, values, elems };
}

function appSet(id: number, key: number, nsems: number): SemSet {
  const values = Array.from({ length: nsems }, (_, i) => i % 3);
  const elems: SemElem[] = values.map((semval, i) => ({ semval, ncount: i === 1 ? 1 : 0, zcount: 0, pid: LIVE_APP }));
  return { kind: 'sem', id, key, uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o660, nsems, otime: NOW - 30, ctime: NOW - DAY, values, elems };
}

export interface SeedOptions {
  /** extra orphan-free live sets to scale the map (for the benchmark): total sets = 16 + extra. */
  extraSets?: number;
  /** drop these PostgreSQL set ids (simulate recycling between refreshes). */
  without?: number[];
  /** add a set that just appeared. */
  appearedSet?: boolean;
}

export function seedSnapshot(opts: SeedOptions = {}): IpcSnapshot {
  const crashed = NOW - 3 * DAY;
  const sems: SemSet[] = [];
  // PostgreSQL 12-style keys: port * 1000 + n
  for (let i = 0; i < 14; i++) sems.push(pgSet(i, 5432001 + i, crashed));
  sems.push(appSet(14, 0x1e240001, 51), appSet(15, 0x1e240002, 51));
  for (let i = 0; i < (opts.extraSets ?? 0); i++) {
    sems.push({ ...appSet(16 + i, 0x20000000 + i, 1 + (i % 17)), uid: 1001 + (i % 5) });
  }
  if (opts.appearedSet) sems.push(appSet(90000, 0x7fff0001, 4));
  const without = new Set(opts.without ?? []);
  const kept = sems.filter((s) => !without.has(s.id));
  const shms: ShmSegment[] = [
    {
      kind: 'shm', id: 3, key: 5432001, uid: 999, gid: 999, cuid: 999, cgid: 999, mode: 0o600, segsz: 56, cpid: DEAD_POSTMASTER,
      lpid: DEAD_POSTMASTER, nattch: 0, atime: crashed, dtime: crashed, ctime: crashed, dest: false, locked: false, attachers: [],
    },
    {
      kind: 'shm', id: 7, key: 0x1e240010, uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o660, segsz: 64 * 1024 * 1024,
      cpid: LIVE_APP, lpid: LIVE_APP + 1, nattch: 2, atime: NOW - 60, dtime: 0, ctime: NOW - DAY, dest: false, locked: false,
      attachers: [LIVE_APP, LIVE_APP + 1],
    },
  ];
  const msgs: MsgQueue[] = [
    {
      kind: 'msg', id: 1, key: 0x1e240020, uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o660, cbytes: 12288, qnum: 3,
      qbytes: 16384, lspid: LIVE_APP, lrpid: LIVE_APP + 1, stime: NOW - 20, rtime: NOW - 25, ctime: NOW - DAY,
    },
  ];
  const semTotal = kept.reduce((a, s) => a + s.nsems, 0);
  return {
    version: 1,
    host: 'local',
    hostname: 'db1',
    platform: 'linux',
    kernel: '6.18.0',
    source: 'fixture',
    takenAt: NOW_MS,
    sems: kept,
    shms,
    msgs,
    posixSems: [],
    posixShms: [],
    errors: [],
    limits: {
      semmsl: 250, semmns: Math.max(340, semTotal), semopm: 32, semmni: Math.max(128, kept.length + 16), semvmx: 32767,
      shmmax: 128 * 1024 * 1024, shmall: 65536, shmmni: 4096, shmmin: 1, msgmax: 8192, msgmnb: 16384, msgmni: 32000,
      pageSize: 4096, mqueue: { queuesMax: 256, msgMax: 10, msgsizeMax: 8192 },
    },
    usage: {
      semSets: kept.length, semTotal, shmSegments: shms.length, shmPages: shms.reduce((a, s) => a + Math.ceil(s.segsz / 4096), 0),
      msgQueues: msgs.length, msgMessages: 3, msgBytes: 12288,
    },
    processes: {
      [DEAD_POSTMASTER]: { pid: DEAD_POSTMASTER, alive: false, liveness: 'dead', livenessReason: 'no such process' },
      [LIVE_APP]: { pid: LIVE_APP, alive: true, liveness: 'alive', comm: 'orderd', uid: 1000, startTime: NOW - 2 * DAY, startBoot: 8 * DAY },
      [LIVE_APP + 1]: { pid: LIVE_APP + 1, alive: true, liveness: 'alive', comm: 'orderd-worker', uid: 1000, startTime: NOW - 2 * DAY, startBoot: 8 * DAY },
    },
    warnings: [],
    // booted 10 days ago, in the initial pid namespace
    reader: { pidNs: 'pid:[4026531836]', initialPidNs: true, procIsOwnPidNs: true, hidepid: 'off', clockOffset: NOW - 10 * DAY, clockOffsetError: 0.02 },
  };
}

/**
 * The message the host would post for this snapshot, as it posts it (dashboardProtocol.ts toWire: above
 * 1,500 sets as typed-array columns, without the sets' values and their verdicts' reasons).
 */
export function snapshotMessage(snapshot: IpcSnapshot, diff: Extract<HostToWebview, { type: 'snapshot' }>['diff'] = null): HostToWebview {
  const verdicts = assessSnapshot(snapshot, verdictOptions(), snapshot.takenAt / 1000);
  return toWire({
    type: 'snapshot',
    host: snapshot.host,
    takenAt: snapshot.takenAt,
    snapshot,
    verdicts: [...verdicts.values()],
    capacity: capacityRowsFor(snapshot),
    diff,
  });
}

/**
 * Property-based tests of the recycle plan (domain/recyclePlan.ts): what a plan would remove is only what
 * its verdicts proved recyclable, each removal carries everything the plan saw so that it can re-check it,
 * and any doubt keeps the object. Generated snapshots (System V sets with and without per-semaphore detail,
 * segments with creator and last-attach pids, PostgreSQL interlock headers with their DSM files, queues with
 * sender and receiver pids, POSIX objects) come with process facts (alive, dead, unknown, absent, live pids
 * started after the object's time, pids in another IPC namespace), random settings, a remover's uid that may
 * or may not own each object, a scan of blocked tasks (clean, with a task blocked on a queue or a set, with
 * doubts, failed, absent), plan options (kinds, refs, removal checks waits itself) and a removal mode
 * (locked, unlocked, none, queues staying). The verdicts come from assessSnapshot.
 * The properties, by class of failure:
 * - no input throws, the plan is deterministic and leaves its inputs alone, and its lists agree with each
 *   other: every object considered appears exactly once (a candidate or a stay), the counts, what it frees,
 *   the waiting summary and planSummary's numbers match the lists, before and after the removal mode;
 * - safety: a candidate is a System V object whose own verdict in the same snapshot is recyclable, that the
 *   remover may remove, with per-semaphore detail; its expectation carries exactly the fields the guarded
 *   primitive checks (docs/recycle.md), and changing any one of them in the object (or adding a waiter or an
 *   attach) makes an independent model of that check refuse; every pid the verdict rested on is re-checked
 *   (a segment listed as our own header peek left it, which the verdict judged as it was before the peek,
 *   re-checks our own live pid instead, so that removal is refused);
 * - doubt keeps: a queue with a task blocked on it, or whose scan failed or has doubts, is no candidate
 *   (unless the source's removal checks that itself); removal mode none leaves no candidate, queuesStay no
 *   queue; an object the uid may not remove stays with the EPERM reason; monotonicity: a blocked task, a
 *   failed scan, a doubt, less privilege, lost detail, a narrower selection, mode none, a verdict made not
 *   recyclable or missing, or evidence of life re-assessed never adds a candidate;
 * - the report names every candidate under WOULD REMOVE and nothing else there, and every stay with its
 *   reason under STAYS; the summary claims a removal only when something would be removed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  applyRemovalMode, buildRecyclePlan, expectationFor, formatPlanReport, mayRemove, pidsToRecheck, planSummary,
  type PlanOptions, type RecyclePlan,
} from '../../../extension/domain/recyclePlan';
import type { OwnerEvidence } from '../../../extension/domain/recognizers/types';
import type { TaskWait, TaskWaits } from '../../../extension/domain/taskWaits';
import { allObjects, assessSnapshot, objectRef, verdictOptions, type ObjectRule, type VerdictOptions } from '../../../extension/domain/verdict';
import type {
  IpcKind, IpcObject, IpcSnapshot, MsgQueue, ObjectRef, ProcessFact, ReaderView, RemovalExpectation, RemovalMode, SemElem, SemSet,
  ShmSegment, SnapshotSource, SysvKind, SysvObject, Verdict,
} from '../../../extension/shared/model';
import { pgHeader, withDsmControl } from '../recycle/fixtures';

/** Runs per property: the whole file stays within a few seconds. */
const RUNS = 200;
const run = <T>(arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = RUNS): void => {
  fc.assert(fc.property(arb, check), { numRuns });
};

// ---------------------------------------------------------------------------------------------- the world

/** Pids objects record; NO_FACTS_PID never has facts. */
const POOL = [1, 2, 37, 100, 4242] as const;
const NO_FACTS_PID = 99_999;
/** IPC Explorer's own pid (its read-only header peek leaves it as a segment's lpid): alive since boot. */
const OWN_PID = 5555;
/** The host has been up this long at `now`: realtime - boottime = now - UPTIME. */
const UPTIME = 200 * 86_400;
const NOW = 1_800_000_000;
const OUR_NS = 'ipc:[1]';
const PG_MARKER = 537;
const KEYS = [0, 1, 5_432_001, -1, 0x7fff_ffff, -(2 ** 31)] as const;
const UIDS = [0, 26, 1000] as const;
const SYSV_KINDS: readonly SysvKind[] = ['sem', 'shm', 'msg'];
const KINDS: readonly IpcKind[] = ['sem', 'shm', 'msg', 'posixSem', 'posixShm'];
const SOURCES: readonly SnapshotSource[] = ['native', 'proc', 'ssh-linux', 'ssh-ipcs', 'ipcs', 'fixture'];

interface World {
  snap: IpcSnapshot;
  opts: VerdictOptions;
  now: number;
  verdicts: Map<ObjectRef, Verdict>;
  plan: PlanOptions;
  mode?: RemovalMode;
}

/** `arb` once in `1 + absent` draws, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, absent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/**
 * Snapshots, verdicts, plan options and a removal mode. Dead pids are the most common fact, so that every
 * kind reaches recyclable verdicts often; everything else that keeps an object is drawn beside them.
 */
function genWorld(): fc.Arbitrary<World> {
  const pid = fc.oneof(
    { weight: 16, arbitrary: fc.constantFrom(...POOL) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constant(NO_FACTS_PID) },
  );
  /** seconds before now (0 = never) */
  const ago = fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: fc.integer({ min: 0, max: 2_000_000 }) }, { weight: 2, arbitrary: fc.constantFrom(5, 59, 60, 3600) });
  const fact = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 8,
      arbitrary: fc.record({
        liveness: fc.constantFrom('alive' as const, 'dead' as const, 'dead' as const, 'dead' as const, 'dead' as const, 'dead' as const, 'dead' as const, 'unknown' as const, undefined),
        aliveFlag: fc.boolean(),
        /** started this many seconds before now (a pid started after the object's time is reused) */
        startedAgo: fc.option(fc.integer({ min: 0, max: 3_000_000 }), { nil: undefined }),
        ns: fc.option(fc.constantFrom(OUR_NS, 'ipc:[2]'), { nil: undefined }),
      }, { requiredKeys: ['liveness', 'aliveFlag'] }),
    },
  );
  const key = fc.constantFrom(...KEYS);
  const uid = fc.constantFrom(...UIDS);
  const sem = fc.record({
    key, uid, cuid: uid,
    nsems: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(17)),
    marker: fc.boolean(),
    /** the last-op pids of the set's semaphores take turns from these */
    pids: fc.array(pid, { minLength: 1, maxLength: 2 }),
    detail: fc.constantFrom('full', 'full', 'full', 'full', 'none', 'short'),
    waiter: sometimes(fc.record({ at: fc.nat(16), which: fc.constantFrom('ncount' as const, 'zcount' as const) }), 5),
    valuesError: sometimes(fc.constantFrom('EACCES', 'EINVAL'), 8),
    otime: ago, ctime: ago,
  });
  const shm = fc.record({
    key, uid, cuid: uid, cpid: pid, lpid: fc.oneof(fc.constant('cpid' as const), pid),
    nattch: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 3) }),
    attachers: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constant<number[]>([]) }, { weight: 1, arbitrary: fc.array(pid, { minLength: 1, maxLength: 2 }) }),
    atime: ago, dtime: ago, ctime: ago, segsz: fc.constantFrom(56, 4096, 1 << 20),
    header: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.record({ creator: fc.option(pid, { nil: undefined, freq: 3 }), dsmControl: fc.constantFrom(0, 7, 7), dir: fc.constantFrom(0, 0, 1) }) }),
  });
  const msg = fc.record({ key, uid, cuid: uid, lspid: pid, lrpid: fc.oneof(fc.constant('lspid' as const), pid), stime: ago, rtime: ago, ctime: ago, qnum: fc.constantFrom(0, 0, 0, 2) });
  const posix = fc.record({ kind: fc.constantFrom('posixSem' as const, 'posixShm' as const), uid, attachers: fc.option(fc.array(pid, { maxLength: 1 }), { nil: undefined }), mtime: ago });
  const rule: fc.Arbitrary<ObjectRule> = fc.record({ kind: fc.constantFrom(...KINDS), key, uid }, { requiredKeys: [], noNullPrototype: true });
  const reader: fc.Arbitrary<ReaderView | undefined> = fc.option(fc.record({
    initialPidNs: fc.constantFrom(true, true, false),
    procIsOwnPidNs: fc.constant(true),
    hidepid: fc.constantFrom('off' as const, 'invisible' as const),
    clockOffset: fc.constant(NOW - UPTIME),
    clockOffsetError: fc.constantFrom(0.02, 1),
  }), { nil: undefined, freq: 8 });
  const queueId = fc.nat(3);
  const wait: fc.Arbitrary<TaskWait> = fc.record({
    pid: fc.constantFrom(812, 813), kind: fc.constantFrom('msg' as const, 'msg' as const, 'sem' as const), id: queueId, comm: fc.constant('server'),
  }).map(({ pid: p, kind, id, comm }) => ({ pid: p, tid: p, comm, kind, id, call: kind === 'msg' ? ('msgrcv' as const) : ('semop' as const) }));
  const waits: fc.Arbitrary<TaskWaits | undefined> = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant<TaskWaits>({ ok: false, why: 'a task of pid 1 cannot be read (EPERM)' }) },
    {
      weight: 6,
      arbitrary: fc.record({
        waits: fc.oneof({ weight: 3, arbitrary: fc.constant<TaskWait[]>([]) }, { weight: 2, arbitrary: fc.array(wait, { minLength: 1, maxLength: 3 }) }),
        doubts: sometimes(fc.constant<string[]>(['pid 900 runs 32-bit code']), 4),
      }).map(({ waits: list, doubts }): TaskWaits => ({ ok: true, waits: list, tasks: 40, ...(doubts ? { doubts } : {}) })),
    },
  );
  const mode: fc.Arbitrary<RemovalMode | undefined> = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    {
      weight: 5,
      arbitrary: fc.record({
        mode: fc.constantFrom('locked' as const, 'locked' as const, 'unlocked' as const, 'none' as const),
        queuesStay: sometimes(fc.constant('no process list shows threads blocked in msgrcv/msgsnd on freebsd'), 3),
      }).map(({ mode: m, queuesStay }): RemovalMode => ({
        mode: m,
        detail: m === 'locked' ? 'lock -> verify -> remove' : m === 'unlocked' ? 'check-then-ipcrm, no lock: perl lacks IPC_SET' : 'no removal here: read from /proc/sysvipc',
        ...(queuesStay ? { queuesStay } : {}),
      })),
    },
  );

  return fc.record({
    facts: fc.array(fact, { minLength: POOL.length, maxLength: POOL.length }),
    reader,
    source: fc.oneof({ weight: 5, arbitrary: fc.constant<SnapshotSource>('native') }, { weight: 1, arbitrary: fc.constantFrom(...SOURCES) }),
    ipcNamespace: fc.option(fc.constant(OUR_NS), { nil: undefined, freq: 4 }),
    remover: fc.constantFrom<number | undefined>(undefined, 0, 0, 26, 1000, -1),
    sems: fc.array(sem, { maxLength: 3 }),
    shms: fc.array(shm, { maxLength: 3 }),
    msgs: fc.array(msg, { maxLength: 4 }),
    posix: fc.array(posix, { maxLength: 2 }),
    dsmFile: fc.constantFrom(true, true, false),
    postmasterPid: sometimes(pid, 2),
    ownPeek: sometimes(fc.record({ restored: fc.constantFrom(true, true, false), known: fc.boolean(), atime: ago }), 3),
    minAge: fc.constantFrom(0, 0, 0, 60, 3600),
    recent: fc.constantFrom(0, 10),
    ignore: fc.array(rule, { maxLength: 1 }),
    trust: fc.array(rule, { maxLength: 1 }),
    recycleUnrecognized: fc.constantFrom(true, true, false),
    vkinds: fc.oneof({ weight: 4, arbitrary: fc.constant<IpcKind[]>(['sem', 'shm', 'msg']) }, { weight: 1, arbitrary: fc.subarray([...KINDS]) }),
    kinds: sometimes(fc.subarray([...KINDS]), 4),
    refs: sometimes(fc.array(fc.constantFrom('sem:0', 'sem:1', 'shm:0', 'shm:2', 'msg:0', 'msg:1', 'msg:9', 'posixShm:/orders'), { maxLength: 4 }), 4),
    waits,
    waitsCheckedAtRemoval: fc.constantFrom(false, false, false, true),
    mode,
    dropVerdict: sometimes(fc.nat(8), 4),
  }).map((g): World => {
    const at = (t: number | null): number => (t === null ? 0 : NOW - t);
    const sems: SemSet[] = g.sems.map((x, id) => {
      const s: SemSet = { kind: 'sem', id, key: x.key, uid: x.uid, gid: 0, cuid: x.cuid, cgid: 0, mode: 0o600, nsems: x.nsems, otime: at(x.otime), ctime: at(x.ctime) };
      const n = x.detail === 'short' ? x.nsems - 1 : x.nsems;
      const elems: SemElem[] = Array.from({ length: n }, (_, i) => ({ semval: i === 16 && x.marker ? PG_MARKER : 1, ncount: 0, zcount: 0, pid: x.pids[i % x.pids.length]! }));
      if (x.waiter && elems.length) elems[x.waiter.at % elems.length]![x.waiter.which] = 1;
      s.values = elems.map((e) => e.semval);
      if (x.valuesError) {
        s.valuesError = { code: x.valuesError, syscall: 'semctl', op: 'GETALL', message: `semctl: ${x.valuesError}` };
        delete s.values;
      } else if (x.detail !== 'none') s.elems = elems;
      return s;
    });
    const headers: NonNullable<OwnerEvidence['shmHeaders']> = {};
    const shms: ShmSegment[] = g.shms.map((x, id) => {
      const m: ShmSegment = {
        kind: 'shm', id, key: x.key, uid: x.uid, gid: 0, cuid: x.cuid, cgid: 0, mode: 0o600, segsz: x.segsz, cpid: x.cpid,
        lpid: x.lpid === 'cpid' ? x.cpid : x.lpid, nattch: x.nattch, atime: at(x.atime), dtime: at(x.dtime), ctime: at(x.ctime), dest: false, locked: false,
      };
      if (x.attachers) m.attachers = x.attachers;
      if (x.header) headers[id] = withDsmControl(pgHeader(x.header.creator ?? x.cpid, 1n, BigInt(10 + x.header.dir)), x.header.dsmControl);
      return m;
    });
    const msgs: MsgQueue[] = g.msgs.map((x, id) => ({
      kind: 'msg', id, key: x.key, uid: x.uid, gid: 0, cuid: x.cuid, cgid: 0, mode: 0o600, cbytes: x.qnum * 16, qnum: x.qnum, qbytes: 16384,
      lspid: x.lspid, lrpid: x.lrpid === 'lspid' ? x.lspid : x.lrpid, stime: at(x.stime), rtime: at(x.rtime), ctime: at(x.ctime),
    }));
    const snap: IpcSnapshot = {
      version: 1, host: 'db1', platform: 'linux', source: g.source, takenAt: NOW * 1000,
      sems, shms, msgs, posixSems: [], posixShms: [], errors: [], limits: { pageSize: 4096 },
      usage: { semSets: sems.length, semTotal: 0, shmSegments: shms.length, shmPages: 0, msgQueues: msgs.length, msgMessages: 0, msgBytes: 0 },
      processes: {}, warnings: [],
    };
    g.posix.forEach((x, i) => {
      const file = { name: `/orders${i}`, path: `/dev/shm/orders${i}`, uid: x.uid, gid: 0, mode: 0o600, size: 4096, mtime: at(x.mtime), dev: 9, ino: 100 + i };
      if (x.kind === 'posixSem') snap.posixSems.push({ ...file, kind: 'posixSem', ...(x.attachers ? { attachers: x.attachers } : {}) });
      else snap.posixShms.push({ ...file, kind: 'posixShm', ...(x.attachers ? { attachers: x.attachers } : {}) });
    });
    if (g.remover !== undefined) snap.uid = g.remover;
    if (g.ipcNamespace) snap.ipcNamespace = g.ipcNamespace;
    if (g.reader) snap.reader = g.reader;
    POOL.forEach((p, i) => {
      const s = g.facts[i];
      if (!s) return;
      const f: ProcessFact = { pid: p, alive: s.liveness === 'alive' || (s.liveness === undefined && s.aliveFlag) };
      if (s.liveness) f.liveness = s.liveness;
      if (s.startedAgo !== undefined) f.startBoot = UPTIME - s.startedAgo;
      if (s.ns) f.ipcNs = s.ns;
      snap.processes[p] = f;
    });
    const evidence: OwnerEvidence = {
      shmHeaders: headers,
      dataDirs: [{ path: '/var/lib/pg/main', dev: 1, ino: 10, source: 'user', ...(g.postmasterPid !== undefined ? { postmasterPid: g.postmasterPid } : {}) }],
    };
    if (g.dsmFile) {
      const control = { path: '/dev/shm/PostgreSQL.7', handle: 7, dev: 9, ino: 70, uid: 26, size: 4096 };
      evidence.pgDsm = { 7: { handle: 7, file: control, layout: { versions: '14+', itemSize: 40, nitems: 0, maxitems: 1 }, items: [] } };
    }
    const opts = verdictOptions({
      minOrphanAgeSeconds: g.minAge, recentActivitySeconds: g.recent, ignore: g.ignore, trust: g.trust,
      recycleUnrecognized: g.recycleUnrecognized, kinds: g.vkinds, evidence,
    });
    // our own read-only header peek moved segment 0's lpid/atime/dtime (local host only); the planning glue
    // lists the segment with the values from before the peek (restorePeekedFields), or, when it has no record
    // of that peek, as the peek left it, and the verdict takes the values from before it when they are known
    if (g.ownPeek && shms.length) {
      const m = shms[0]!;
      opts.ownPids = [OWN_PID];
      snap.processes[OWN_PID] = { pid: OWN_PID, alive: true, liveness: 'alive', startBoot: 0 };
      if (g.ownPeek.known) evidence.shmBefore = { 0: { ctime: m.ctime, atime: m.atime, dtime: m.dtime, lpid: m.lpid } };
      if (!g.ownPeek.restored) {
        m.lpid = OWN_PID;
        m.atime = at(g.ownPeek.atime);
        m.dtime = m.atime;
      }
    }
    const verdicts = assessSnapshot(snap, opts, NOW);
    if (g.dropVerdict !== undefined) {
      const refs = [...verdicts.keys()];
      if (refs.length) verdicts.delete(refs[g.dropVerdict % refs.length]!);
    }
    const plan: PlanOptions = {};
    if (g.kinds) plan.kinds = g.kinds;
    if (g.refs) plan.refs = g.refs;
    if (g.waits) plan.waits = g.waits;
    if (g.waitsCheckedAtRemoval) plan.waitsCheckedAtRemoval = true;
    const w: World = { snap, opts, now: NOW, verdicts, plan };
    if (g.mode) w.mode = g.mode;
    // plain objects, as JSON and structured clone make them (fast-check also makes ones without a prototype)
    return structuredClone(w);
  });
}

/** The plan of a world, with its removal mode applied as the executor's preparation does. */
function planOf(w: World): RecyclePlan {
  const p = buildRecyclePlan(w.snap, w.verdicts, w.now, w.plan);
  if (w.mode) applyRemovalMode(p, w.mode);
  return p;
}

function cloneWorld(w: World): World {
  return structuredClone(w);
}

function objectOf(s: IpcSnapshot, ref: ObjectRef): IpcObject {
  const o = allObjects(s).find((x) => objectRef(x) === ref);
  assert.ok(o, `${ref} is not in the snapshot`);
  return o;
}

const isSysv = (o: IpcObject): o is SysvObject => (SYSV_KINDS as readonly string[]).includes(o.kind);

/** The objects a plan considers: selected by kind and ref, with a verdict. */
function considered(w: World): IpcObject[] {
  return allObjects(w.snap).filter((o) => {
    const ref = objectRef(o);
    return (!w.plan.kinds || w.plan.kinds.includes(o.kind)) && (!w.plan.refs || w.plan.refs.includes(ref)) && w.verdicts.has(ref);
  });
}

// ------------------------------------------------------------------------------- the independent models

/**
 * The fields the guarded primitive checks per kind (docs/recycle.md, "Lock -> verify -> remove" step 1):
 * key and ctime always; sem: no waiters, otime, every sempid; shm: nattch 0 and nattch, cpid, lpid, atime,
 * dtime; msg: qnum, cbytes, lspid, lrpid, stime, rtime. The native argument parser refuses fields of
 * another kind, so these are exactly the keys an expectation may have.
 */
const EXPECTED_KEYS: Record<SysvKind, readonly string[]> = {
  sem: ['key', 'ctime', 'noWaiters', 'otime', 'semPids'],
  shm: ['key', 'ctime', 'nattchZero', 'nattch', 'cpid', 'lpid', 'atime', 'dtime'],
  msg: ['key', 'ctime', 'qnum', 'cbytes', 'lspid', 'lrpid', 'stime', 'rtime'],
};

/** The header fields of each kind whose change since the plan must refuse the removal. */
const WATCHED: Record<SysvKind, readonly string[]> = {
  sem: ['key', 'ctime', 'otime'],
  shm: ['key', 'ctime', 'nattch', 'cpid', 'lpid', 'atime', 'dtime'],
  msg: ['key', 'ctime', 'qnum', 'cbytes', 'lspid', 'lrpid', 'stime', 'rtime'],
};

/** Why the guarded primitive, given `e`, refuses to remove the object as it is `now` (empty: it removes). */
function primitiveRefuses(e: RemovalExpectation, now: SysvObject): string[] {
  const why: string[] = [];
  const same = (name: string, want: number | undefined, got: number): void => {
    if (want !== undefined && want !== got) why.push(`${name} ${want} -> ${got}`);
  };
  same('key', e.key, now.key);
  same('ctime', e.ctime, now.ctime);
  if (now.kind === 'sem') {
    same('otime', e.otime, now.otime);
    if (e.noWaiters && now.elems?.some((x) => x.ncount > 0 || x.zcount > 0)) why.push('waiters');
    if (e.semPids) {
      const pids = now.elems?.map((x) => x.pid);
      if (!pids || pids.length !== e.semPids.length || pids.some((p, i) => p !== e.semPids![i])) why.push('sempids');
    }
  }
  if (now.kind === 'shm') {
    if (e.nattchZero && now.nattch !== 0) why.push('attached');
    for (const f of ['nattch', 'cpid', 'lpid', 'atime', 'dtime'] as const) same(f, e[f], now[f]);
  }
  if (now.kind === 'msg') for (const f of ['qnum', 'cbytes', 'lspid', 'lrpid', 'stime', 'rtime'] as const) same(f, e[f], now[f]);
  return why;
}

/** The object as the verdict judged it: a segment's fields our own header peek moved are from before the peek. */
function asJudged(o: IpcObject, opts: VerdictOptions): IpcObject {
  if (o.kind !== 'shm') return o;
  const b = opts.evidence?.shmBefore?.[o.id];
  if (b && b.ctime === o.ctime && (opts.ownPids ?? []).includes(o.lpid)) return { ...o, atime: b.atime, dtime: b.dtime, lpid: b.lpid };
  return o;
}

/**
 * Every pid a recyclable verdict rested on (each was found dead or reused: a recyclable verdict has no live
 * or doubtful pid): a set's last-op pids, a segment's creator and last attacher (not our own peek), a queue's
 * last sender and receiver, and a recognised owner's pid.
 */
function pidsJudged(o: IpcObject, w: World, v: Verdict): number[] {
  const out = new Set<number>();
  const j = asJudged(o, w.opts);
  if (j.kind === 'sem') for (const e of j.elems ?? []) if (e.pid > 0) out.add(e.pid);
  if (j.kind === 'shm') {
    if (j.cpid > 0) out.add(j.cpid);
    if (j.lpid > 0 && !(w.opts.ownPids ?? []).includes(j.lpid)) out.add(j.lpid);
  }
  if (j.kind === 'msg') {
    if (j.lspid > 0) out.add(j.lspid);
    if (j.lrpid > 0) out.add(j.lrpid);
  }
  if (v.owner?.pid !== undefined && v.owner.pid > 0) out.add(v.owner.pid);
  return [...out];
}

/** Whether the scan the plan was given proves that nothing is, or is about to be, blocked on queue `id`. */
function scanClears(waits: TaskWaits | undefined, id: number): boolean {
  return waits !== undefined && waits.ok && !waits.waits.some((x) => x.kind === 'msg' && x.id === id) && !waits.doubts?.length;
}

const KIND_WORD: Record<IpcKind, string> = {
  sem: 'semaphore set', shm: 'shared memory segment', msg: 'message queue', posixSem: 'POSIX semaphore', posixShm: 'POSIX shared memory',
};

/** The start of the report line naming an object: `semaphore set id 3 key 0x0052e2c1`. */
function nameOf(kind: IpcKind, id: number | undefined, key: number | undefined, name: string | undefined): string {
  return id !== undefined ? `${KIND_WORD[kind]} id ${id} key 0x${((key ?? 0) >>> 0).toString(16).padStart(8, '0')}` : `${KIND_WORD[kind]} ${name ?? ''}`;
}

// ------------------------------------------------------------------------------------------- the checks

/** Every list of the plan agrees with the others and with the objects it considered. */
function checkConsistent(w: World, p: RecyclePlan, realVerdicts: boolean): void {
  const want = considered(w).map(objectRef);
  const refs = [...p.candidates.map((c) => c.ref), ...p.stays.map((s) => s.ref)];
  assert.equal(new Set(refs).size, refs.length, `an object appears twice: ${refs.join(', ')}`);
  assert.deepEqual([...refs].sort(), [...want].sort(), 'candidates and stays are not exactly the objects considered');
  const counts = { live: 0, orphan: 0, unreadable: 0, unknown: 0 };
  for (const r of want) counts[w.verdicts.get(r)!.state]++;
  assert.deepEqual(p.counts, counts);
  for (const c of p.candidates) {
    const o = objectOf(w.snap, c.ref);
    assert.ok(isSysv(o), `${c.ref}: a candidate that is not System V`);
    assert.equal(c.object, o, `${c.ref}: the candidate's record is not the snapshot's`);
    assert.equal(c.verdict, w.verdicts.get(c.ref), `${c.ref}: not its own verdict`);
    assert.deepEqual([c.kind, c.id, c.key], [o.kind, o.id, o.key]);
  }
  for (const s of p.stays) {
    const o = objectOf(w.snap, s.ref);
    assert.equal(s.verdict, w.verdicts.get(s.ref), `${s.ref}: not its own verdict`);
    assert.ok(s.why.length > 0, `${s.ref}: stays without a reason`);
    if (isSysv(o)) assert.deepEqual([s.kind, s.id, s.key], [o.kind, o.id, o.key]);
    else assert.deepEqual([s.kind, s.name], [o.kind, o.name]);
  }
  // what it frees is what the candidates hold
  const of = (k: SysvKind) => p.candidates.filter((c) => c.kind === k).map((c) => c.object);
  const dsm = p.candidates.flatMap((c) => (c.kind === 'shm' && c.verdict.owner?.dsm ? [...c.verdict.owner.dsm.segments, ...(c.verdict.owner.dsm.control ? [c.verdict.owner.dsm.control] : [])] : []));
  assert.deepEqual(p.frees, {
    semSets: of('sem').length,
    semaphores: of('sem').reduce((n, o) => n + (o.kind === 'sem' ? o.nsems : 0), 0),
    shmSegments: of('shm').length,
    shmBytes: of('shm').reduce((n, o) => n + (o.kind === 'shm' ? o.segsz : 0), 0),
    msgQueues: of('msg').length,
    dsmFiles: dsm.length,
    dsmBytes: dsm.reduce((n, f) => n + f.size, 0),
  });
  // the waiting summary is the stays that carry a time
  const waiting = p.stays.filter((s) => s.becomesRecyclableIn !== undefined);
  if (!waiting.length) assert.equal(p.waiting, undefined, 'a waiting summary without waiting stays');
  else {
    const secs = waiting.map((s) => s.becomesRecyclableIn!);
    const byKind: Partial<Record<SysvKind, number>> = {};
    for (const s of waiting) byKind[s.kind as SysvKind] = (byKind[s.kind as SysvKind] ?? 0) + 1;
    assert.deepEqual(p.waiting, {
      count: waiting.length, byKind, minSeconds: Math.min(...secs), maxSeconds: Math.max(...secs), recency: waiting.some((s) => s.verdict.state === 'unknown'),
    });
  }
  for (const s of waiting) {
    assert.equal(s.becomesRecyclableIn, s.verdict.becomesRecyclableIn, `${s.ref}: a waiting time its verdict does not give`);
    assert.ok(mayRemove(objectOf(w.snap, s.ref) as SysvObject, w.snap.uid), `${s.ref}: would wait for an object the uid may not remove`);
  }
  if (p.removal?.mode === 'none') assert.equal(waiting.length, 0, 'waiting where nothing is removed');
  // planSummary's numbers are the lists'
  const sum = planSummary(p);
  if (p.candidates.length) assert.ok(sum.startsWith(`Recycle would remove ${p.candidates.length} object(s) on ${p.host}: `), sum);
  else assert.ok(sum.startsWith(`Nothing on ${p.host} is provably safe to remove.`), sum);
  if (realVerdicts) {
    const m = / (\d+) object\(s\) stay \(live (\d+), orphan but kept (\d+), unreadable (\d+), unknown (\d+)\)\./.exec(sum);
    assert.ok(m, sum);
    const st = (state: string) => p.stays.filter((s) => s.verdict.state === state).length;
    assert.deepEqual(m.slice(1).map(Number), [p.stays.length, counts.live, st('orphan'), counts.unreadable, counts.unknown], sum);
  }
  if (p.frees.semSets) assert.ok(sum.includes(`${p.frees.semSets} semaphore set(s) (${p.frees.semaphores} semaphores)`), sum);
  if (p.frees.shmSegments) assert.ok(sum.includes(`${p.frees.shmSegments} shared memory segment(s) holding `), sum);
  if (p.frees.msgQueues) assert.ok(sum.includes(`${p.frees.msgQueues} message queue(s)`), sum);
  if (p.removal?.mode === 'none') assert.ok(sum.includes(`Nothing is removed on ${p.host}: `), sum);
}

/** Whether a candidate's object is one the plan may remove: recyclable verdict, may remove, detail, waits. */
function checkCandidateSafe(w: World, p: RecyclePlan): void {
  for (const c of p.candidates) {
    const o = objectOf(w.snap, c.ref) as SysvObject;
    const v = w.verdicts.get(c.ref);
    assert.ok(v && v.recyclable && v.state === 'orphan', `${c.ref}: a candidate whose verdict is ${v ? `${v.state}, recyclable ${v.recyclable}` : 'missing'}`);
    assert.ok(mayRemove(o, w.snap.uid), `${c.ref}: uid ${w.snap.uid} may not remove it (uid ${o.uid}, cuid ${o.cuid})`);
    // the remover's uid is root, unknown, the owner or the creator
    assert.ok(w.snap.uid === undefined || w.snap.uid <= 0 || w.snap.uid === o.uid || w.snap.uid === o.cuid, `${c.ref}: uid ${w.snap.uid}`);
    if (o.kind === 'sem') assert.ok(o.elems, `${c.ref}: a set without per-semaphore detail`);
    if (o.kind === 'msg') assert.ok(w.plan.waits?.ok ? scanClears(w.plan.waits, o.id) : w.plan.waitsCheckedAtRemoval === true, `${c.ref}: a queue the scan does not clear: ${JSON.stringify(w.plan.waits)}`);
    assert.notEqual(p.removal?.mode, 'none', `${c.ref}: a candidate where nothing is removed`);
    if (o.kind === 'msg') assert.ok(!p.removal?.queuesStay, `${c.ref}: a queue where queues stay`);
  }
}

/** A candidate's expectation carries every fact its verdict rested on, and the removal re-checks each of them. */
function checkExpectation(w: World, p: RecyclePlan): void {
  for (const c of p.candidates) {
    const o = c.object;
    const e = c.expected;
    assert.deepEqual(e, expectationFor(o), `${c.ref}: the expectation is not expectationFor(object)`);
    assert.deepEqual(Object.keys(e).sort(), [...EXPECTED_KEYS[o.kind]].sort(), `${c.ref}: ${JSON.stringify(e)}`);
    if (o.kind === 'sem') assert.ok(e.noWaiters === true && e.otime === o.otime && isDeepStrictEqual(e.semPids, o.elems!.map((x) => x.pid)), `${c.ref}: ${JSON.stringify(e)}`);
    if (o.kind === 'shm') assert.equal(e.nattchZero, true);
    assert.deepEqual(primitiveRefuses(e, o), [], `${c.ref}: the expectation refuses the object as planned`);
    // change one field the plan saw: the expectation of the changed object differs, and the planned one refuses it
    const changed: Array<[string, SysvObject]> = [];
    for (const f of WATCHED[o.kind]) {
      const x = structuredClone(o) as unknown as Record<string, number>;
      x[f] = (x[f]! === 0 ? 1 : x[f]! + 1) | 0 || 2;
      changed.push([f, x as unknown as SysvObject]);
    }
    if (o.kind === 'sem') {
      o.elems!.forEach((_, i) => {
        const x = structuredClone(o);
        x.elems![i]!.pid = x.elems![i]!.pid + 1;
        changed.push([`sempid ${i}`, x]);
        const y = structuredClone(o);
        y.elems![i]!.ncount = 1;
        changed.push([`ncount ${i}`, y]);
        const z = structuredClone(o);
        z.elems![i]!.zcount = 1;
        changed.push([`zcount ${i}`, z]);
      });
      const more = { ...structuredClone(o), nsems: o.nsems + 1 };
      more.elems!.push({ semval: 0, ncount: 0, zcount: 0, pid: 0 });
      changed.push(['one semaphore more', more]);
    }
    for (const [f, x] of changed) {
      assert.ok(primitiveRefuses(e, x).length > 0, `${c.ref}: ${f} changed, yet the expectation ${JSON.stringify(e)} accepts it`);
      if (!/count/.test(f)) assert.ok(!isDeepStrictEqual(expectationFor(x), e), `${c.ref}: ${f} changed, same expectation`);
    }
    // every pid the verdict rested on is re-checked right before the removal
    assert.deepEqual(c.pids, pidsToRecheck(o, c.verdict));
    const judged = asJudged(o, w.opts);
    if (judged === o) {
      for (const pid of pidsJudged(o, w, c.verdict)) assert.ok(c.pids.includes(pid), `${c.ref}: pid ${pid} the verdict judged is not re-checked (${c.pids.join(', ')})`);
    } else {
      // the verdict judged the segment as it was before our own peek, the plan holds it as the peek left it:
      // the re-check then includes our own pid, alive, so that removal is refused rather than unchecked
      assert.ok(o.kind === 'shm' && c.pids.includes(o.lpid) && w.snap.processes[o.lpid]?.liveness === 'alive', `${c.ref}: pids ${c.pids.join(', ')}`);
    }
    assert.ok(c.pids.every((x, i) => x > 0 && (i === 0 || x > c.pids[i - 1]!)), `${c.ref}: pids ${c.pids.join(', ')}`);
  }
}

/** Candidates (by ref) of a world's plan. */
const candidatesOf = (w: World): Set<ObjectRef> => new Set(planOf(w).candidates.map((c) => c.ref));

function assertSubset(after: Set<ObjectRef>, before: Set<ObjectRef>, what: string): void {
  const added = [...after].filter((r) => !before.has(r));
  assert.deepEqual(added, [], `${what} added candidate(s)`);
}

/** Changes that only add doubt or take away privilege or evidence: each applied alone. */
function keepingChanges(w: World): Array<{ name: string; world: World }> {
  const out: Array<{ name: string; world: World }> = [];
  const edit = (name: string, f: (c: World) => void): void => {
    const c = cloneWorld(w);
    f(c);
    out.push({ name, world: c });
  };
  for (const q of w.snap.msgs) {
    edit(`a task blocked in msgrcv on queue ${q.id}`, (c) => {
      if (c.plan.waits?.ok) c.plan.waits.waits.push({ pid: 900, tid: 901, call: 'msgrcv', kind: 'msg', id: q.id });
    });
    edit(`a task blocked in msgsnd on queue ${q.id}, the scan given`, (c) => {
      c.plan.waits = c.plan.waits?.ok ? { ...c.plan.waits, waits: [...c.plan.waits.waits, { pid: 900, tid: 900, call: 'msgsnd', kind: 'msg', id: q.id }] } : c.plan.waits;
    });
  }
  // where the removal proves no task is blocked (waitsCheckedAtRemoval), a readable scan's blocked task still
  // keeps a queue, and losing the scan hands that proof to the removal: no longer a change that only adds doubt
  if (!w.plan.waitsCheckedAtRemoval) {
    edit('the scan failed', (c) => void (c.plan.waits = { ok: false, why: 'EACCES' }));
    edit('no scan', (c) => void delete c.plan.waits);
  }
  edit('the scan has a doubt', (c) => void (c.plan.waits = c.plan.waits?.ok ? { ...c.plan.waits, doubts: ['pid 7 cannot be read'] } : c.plan.waits));
  edit('the removal no longer checks waits itself', (c) => void delete c.plan.waitsCheckedAtRemoval);
  edit('removal mode none', (c) => void (c.mode = { mode: 'none', detail: 'no removal here: read from /proc/sysvipc' }));
  edit('queues stay', (c) => void (c.mode = { ...(c.mode ?? { mode: 'locked', detail: 'lock' }), queuesStay: 'no list of blocked processes here' }));
  edit('a remover that owns nothing', (c) => void (c.snap.uid = 4242));
  edit('kinds narrowed to shm', (c) => void (c.plan.kinds = (c.plan.kinds ?? [...KINDS]).filter((k) => k === 'shm')));
  edit('refs narrowed', (c) => void (c.plan.refs = (c.plan.refs ?? allObjects(c.snap).map(objectRef)).slice(1)));
  for (const [ref, v] of w.verdicts) {
    if (v.recyclable) {
      edit(`${ref} not recyclable (orphan kept by a rule)`, (c) => {
        const x = c.verdicts.get(ref)!;
        c.verdicts.set(ref, { ...x, recyclable: false, reasons: [...x.reasons, 'not recyclable: matches an ignore rule'] });
      });
      edit(`${ref} unknown`, (c) => void c.verdicts.set(ref, { ...c.verdicts.get(ref)!, state: 'unknown', recyclable: false }));
    }
    edit(`${ref} without a verdict`, (c) => void c.verdicts.delete(ref));
  }
  for (const s of w.snap.sems) edit(`set ${s.id} lost its per-semaphore detail`, (c) => void delete c.snap.sems.find((x) => x.id === s.id)!.elems);
  // evidence of life or doubt, with the verdicts assessed again
  const reassess = (name: string, f: (c: World) => void): void =>
    edit(name, (c) => {
      f(c);
      const dropped = [...w.verdicts.keys()];
      c.verdicts = assessSnapshot(c.snap, c.opts, c.now);
      for (const r of [...c.verdicts.keys()]) if (!dropped.includes(r)) c.verdicts.delete(r);
    });
  for (const p of POOL) {
    reassess(`pid ${p} alive`, (c) => void (c.snap.processes[p] = { pid: p, alive: true, liveness: 'alive', ...(c.snap.ipcNamespace ? { ipcNs: c.snap.ipcNamespace } : {}) }));
    reassess(`pid ${p} unknown`, (c) => void (c.snap.processes[p] = { pid: p, alive: false, liveness: 'unknown' }));
  }
  reassess('the /proc source', (c) => void (c.snap.source = 'proc'));
  return out;
}

// ------------------------------------------------------------------------------------------- the properties

test('no generated input makes the plan throw; it is deterministic, leaves its inputs alone, and its lists, counts, frees and summary agree', () => {
  run(genWorld(), (w) => {
    const copy = cloneWorld(w);
    const a = planOf(w);
    const b = planOf(w);
    assert.ok(isDeepStrictEqual(a, b), 'two plans of the same inputs differ');
    assert.equal(formatPlanReport(a), formatPlanReport(b));
    assert.ok(isDeepStrictEqual(w, copy), 'the inputs were changed');
    checkConsistent(w, a, true);
    // the same before the removal mode
    checkConsistent(w, buildRecyclePlan(w.snap, w.verdicts, w.now, w.plan), true);
  }, 300);
});

test('verdicts of any shape (recyclable or not, any state, missing, for objects not in the snapshot) never make the plan throw or list an object twice', () => {
  const arb = fc.tuple(genWorld(), fc.array(fc.record({ i: fc.nat(12), recyclable: fc.boolean(), state: fc.constantFrom('live' as const, 'orphan' as const, 'unreadable' as const, 'unknown' as const), wait: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }) }), { maxLength: 6 }));
  run(arb, ([w, edits]) => {
    const refs = [...allObjects(w.snap).map(objectRef), 'sem:77', 'posixSem:/gone'];
    for (const e of edits) {
      const ref = refs[e.i % refs.length]!;
      const v: Verdict = { ref, state: e.state, recyclable: e.recyclable, reasons: e.state === 'orphan' ? [] : ['edited'] };
      if (e.wait !== undefined) v.becomesRecyclableIn = e.wait;
      w.verdicts.set(ref, v);
    }
    const p = planOf(w);
    checkConsistent(w, p, false);
    // still: a candidate is recyclable by its verdict, removable by the uid, with detail and a clear scan
    for (const c of p.candidates) {
      const o = c.object;
      assert.ok(c.verdict.recyclable && mayRemove(o, w.snap.uid) && (o.kind !== 'sem' || o.elems) && (o.kind !== 'msg' || (w.plan.waits?.ok ? scanClears(w.plan.waits, o.id) : w.plan.waitsCheckedAtRemoval === true)), c.ref);
    }
    formatPlanReport(p);
  });
});

test('a candidate has its own recyclable verdict, a uid that may remove it, detail and a clear scan; its expectation carries every field the plan saw and every pid the verdict rested on', () => {
  const seen: Record<SysvKind, number> = { sem: 0, shm: 0, msg: 0 };
  let dsm = 0;
  run(genWorld(), (w) => {
    const p = planOf(w);
    checkCandidateSafe(w, p);
    checkExpectation(w, p);
    for (const c of p.candidates) {
      seen[c.kind]++;
      if (c.verdict.owner?.dsm?.control) dsm++;
    }
  }, 400);
  // the generator must reach candidates of every kind, or the property says nothing
  assert.ok(Object.values(seen).every((n) => n >= 15) && dsm >= 1, `only ${JSON.stringify(seen)} candidates and ${dsm} with PostgreSQL DSM files generated`);
});

test('doubt keeps: a blocked task, a failed or doubtful scan, mode none, queues staying, no right to remove; none of those, lost detail, a narrower selection, a verdict made not recyclable or evidence of life ever adds a candidate', () => {
  let aimed = 0;
  run(genWorld(), (w) => {
    const before = candidatesOf(w);
    for (const ch of keepingChanges(w)) assertSubset(candidatesOf(ch.world), before, ch.name);
    // aimed at each candidate of the plan before any removal mode: the change keeps it, and the plan says why
    const base = cloneWorld(w);
    delete base.mode;
    for (const c of planOf(base).candidates) {
      const stayOf = (x: World): string | undefined => planOf(x).stays.find((s) => s.ref === c.ref)?.why;
      const blocked = cloneWorld(base);
      if (c.kind === 'msg') {
        // a blocked task the plan was shown keeps the queue, whether or not the removal checks waits itself
        blocked.plan.waits = { ok: true, tasks: 2, waits: [{ pid: 812, tid: 812, comm: 'server', call: 'msgrcv', kind: 'msg', id: c.id }] };
        assert.match(stayOf(blocked) ?? '', /pid 812 \(server\) is blocked in msgrcv on it/, `${c.ref}: a blocked receiver`);
      }
      if (c.kind === 'msg' && !base.plan.waitsCheckedAtRemoval) {
        aimed++;
        const failed = cloneWorld(base);
        failed.plan.waits = { ok: false, why: 'hidepid=2' };
        assert.match(stayOf(failed) ?? '', /cannot prove that no process is blocked in msgrcv\/msgsnd on it: hidepid=2/, `${c.ref}: a failed scan`);
        const none = cloneWorld(base);
        delete none.plan.waits;
        assert.match(stayOf(none) ?? '', /cannot prove that no process is blocked/, `${c.ref}: no scan`);
      }
      const noRight = cloneWorld(base);
      noRight.snap.uid = 4242;
      assert.match(stayOf(noRight) ?? '', /you \(uid 4242\) are neither its owner .* IPC_RMID would fail with EPERM/, `${c.ref}: no right to remove`);
      const none = cloneWorld(base);
      none.mode = { mode: 'none', detail: 'no removal here: read from /proc/sysvipc' };
      assert.equal(stayOf(none), 'no removal here: read from /proc/sysvipc', `${c.ref}: mode none`);
      const flipped = cloneWorld(base);
      flipped.verdicts.set(c.ref, { ...c.verdict, recyclable: false, reasons: ['not recyclable: matches an ignore rule'] });
      assert.equal(stayOf(flipped), 'not recyclable: matches an ignore rule', `${c.ref}: not recyclable`);
      if (c.kind === 'msg') {
        const q = cloneWorld(base);
        q.mode = { mode: 'locked', detail: 'lock', queuesStay: 'no list of blocked processes on freebsd' };
        assert.equal(stayOf(q), 'no list of blocked processes on freebsd', `${c.ref}: queues stay`);
      }
    }
    // mode none: nothing would go, nothing frees or waits, and every object still appears once
    const none = cloneWorld(w);
    none.mode = { mode: 'none', detail: 'no removal here' };
    const pn = planOf(none);
    assert.equal(pn.candidates.length, 0);
    assert.ok(Object.values(pn.frees).every((n) => n === 0) && pn.waiting === undefined && pn.stays.every((s) => s.becomesRecyclableIn === undefined));
  }, 200);
  assert.ok(aimed >= 8, `only ${aimed} queue candidates aimed at`);
});

test('the report names every candidate under WOULD REMOVE and nothing else there, every stay with its reason under STAYS, and claims no removal when nothing would go', () => {
  run(genWorld(), (w) => {
    const p = planOf(w);
    const text = formatPlanReport(p);
    const lines = text.split('\n');
    const a = lines.findIndex((l) => l.startsWith('WOULD REMOVE ('));
    const b = lines.findIndex((l) => l.startsWith('STAYS ('));
    assert.ok(a > 0 && b > a, text);
    assert.ok(lines[a]!.startsWith(`WOULD REMOVE (${p.candidates.length}) `), lines[a]);
    assert.equal(lines[b], `STAYS (${p.stays.length}):`);
    const goes = lines.slice(a + 1, b).filter((l) => l.startsWith('  - '));
    assert.equal(goes.length, p.candidates.length, `object lines under WOULD REMOVE:\n${goes.join('\n')}`);
    p.candidates.forEach((c, i) => {
      const n = `  - ${nameOf(c.kind, c.id, c.key, undefined)}`;
      assert.ok(goes[i] === n || goes[i]!.startsWith(`${n} `), `${goes[i]} does not name ${c.ref}`);
    });
    if (!p.candidates.length) assert.ok(lines.slice(a + 1, b).includes('  (none)'));
    const rest = lines.slice(b + 1);
    for (const s of p.stays) {
      const n = `  - ${nameOf(s.kind, s.id, s.key, s.name)}`;
      const i = rest.findIndex((l) => (l === n || l.startsWith(`${n} `)) && l.endsWith(`[${s.verdict.state}]`));
      assert.ok(i >= 0, `${s.ref} is not under STAYS`);
      assert.equal(rest[i + 1], `      why: ${s.why}`);
      assert.ok(!goes.some((l) => l === n || l.startsWith(`${n} `)), `${s.ref} stays but is listed under WOULD REMOVE`);
    }
    const sum = planSummary(p);
    assert.ok(text.includes(sum), 'the summary is not in the report');
    assert.equal(/would remove/i.test(sum), p.candidates.length > 0, sum);
    if (p.removal?.mode === 'none') assert.ok(text.includes(`Removal mode on ${p.host}: none (`) && text.includes(`Nothing is removed on ${p.host}: `));
  });
});

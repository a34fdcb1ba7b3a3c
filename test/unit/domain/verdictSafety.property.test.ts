/**
 * Property-based tests of the verdict's one safety rule: cannot see is never dead, and any doubt keeps the
 * object. Generated snapshots (System V sets with or without per-semaphore detail and with unreadable values,
 * segments with attach counts, mappings, creator and last-attach pids, queues with sender and receiver pids,
 * POSIX objects, PostgreSQL markers, interlock headers and data directories) come with process facts of every
 * kind (alive, dead, unknown, absent, legacy facts without a liveness, live pids started after the object's
 * time, pids in another IPC namespace, and facts built by processFacts from what /proc and kill(pid, 0)
 * answered under every hidepid / pid-namespace view), a reader view, random settings and a random clock.
 * The properties, by class of failure:
 * - no input throws (missing optional fields, pid 0, pids without facts, detail shorter or longer than the
 *   set, times 0, in the future or extreme, settings at their bounds);
 * - a verdict of `orphan` or `recyclable` has positive evidence of death and no evidence of life or doubt,
 *   checked by an independent checker written from verdict.ts's and processFacts.ts's documentation (every
 *   pid the object records is proven dead or proven reused, nothing attached, no waiters, detail complete
 *   and readable, no pid 0 the reader cannot place, nothing recent), plus, for `recyclable`, every rule of
 *   the settings and the source (never from /proc/sysvipc, never POSIX, an identity, the minimum age, no
 *   ignore rule, no PostgreSQL DSM doubt); an owner's `proof` is checked against the facts it claims;
 * - monotonicity: a change that adds evidence of life or takes away evidence of death (a pid alive,
 *   unknown, without facts or in another IPC namespace; an attach; a waiter; unreadable or missing detail;
 *   a reader that sees less: hidepid, another pid namespace, no clock offset, a pid namespace that is not
 *   the initial one; the /proc source; an ignore rule; a kind not selected) never makes any object more
 *   removable, and for a recyclable object each such change aimed at it makes it not recyclable;
 * - pid reuse is decided per recorded role at that role's own time: a pid proven reused for the creation
 *   (or the send) may still be the live last attacher (or receiver), and a live pid that started within the
 *   reuse margin of the object's time may be the original; both keep the object;
 * - determinism and purity: the same inputs give the same verdicts, assessSnapshot agrees with assessObject
 *   for every object, and neither changes its inputs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { buildProcessFact, type KillProbe, type ProcessFiles } from '../../../extension/domain/processFacts';
import { PG_SHMEM_MAGIC } from '../../../extension/domain/recognizers/postgresql';
import type { OwnerEvidence } from '../../../extension/domain/recognizers/types';
import { allObjects, assessObject, assessSnapshot, objectRef, verdictOptions, type ObjectRule, type VerdictOptions } from '../../../extension/domain/verdict';
import type {
  IpcKind, IpcObject, IpcSnapshot, MsgQueue, Platform, PosixSem, PosixShm, ProcessFact, ReaderView, SemElem, SemSet, ShmSegment,
  SnapshotSource, Verdict,
} from '../../../extension/shared/model';
import { pgHeader, withDsmControl } from '../recycle/fixtures';

/** Runs per property: the whole file stays within a few seconds. */
const RUNS = 250;
const run = <T>(arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = RUNS): void => {
  fc.assert(fc.property(arb, check), { numRuns });
};

// ---------------------------------------------------------------------------------------------- the world

/** Pids objects record: a few with facts of any kind, one that is never in `processes`. */
const POOL = [1, 2, 37, 100, 4242, 4_194_304, 2_147_483_647] as const;
const NO_FACTS_PID = 99_999;
/** The host has been up this long at `now`: realtime - boottime = now - UPTIME. */
const UPTIME = 200 * 86_400;
const OUR_NS = 'ipc:[1]';
const CLK_TCK = 100;
const PG_MARKER = 537;
const KEYS = [0, 1, 5_432_001, -1, 0x7fff_ffff, -(2 ** 31), 0x0052_e2c1] as const;
const SOURCES: readonly SnapshotSource[] = ['native', 'proc', 'ssh-linux', 'ssh-ipcs', 'ipcs', 'fixture'];
const KINDS: readonly IpcKind[] = ['sem', 'shm', 'msg', 'posixSem', 'posixShm'];

/** How a pid's fact was made: given directly (any source), or built by processFacts from /proc and kill(pid, 0). */
type FactSpec =
  | { how: 'fact'; liveness: 'alive' | 'dead' | 'unknown' | undefined; aliveFlag: boolean; startBoot?: number; ns?: 'ours' | 'other' }
  | { how: 'files'; stat?: { state: 'R' | 'S' | 'Z'; startBoot: number }; statCode?: string; kill?: KillProbe; ns?: 'ours' | 'other' };

/** A time: 0 (never), `now - ago`, or (wild inputs) an absolute value. */
type TimeSpec = null | number | { abs: number };

interface World {
  snap: IpcSnapshot;
  opts: VerdictOptions;
  now: number;
  /** the fact specs, so the facts can be built again under another reader view */
  specs: Record<number, FactSpec>;
}

/** `arb` once in `1 + absent` draws, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, absent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** Object ages (seconds before `now`) that process start times are also drawn around. */
const NEAR_AGES = [60, 3600] as const;

const EXTREME = [2 ** 31 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, 1e300, -1, -(2 ** 31)] as const;

function genWorld(wild: boolean): fc.Arbitrary<World> {
  const pid = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...POOL) },
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: wild ? fc.constantFrom(NO_FACTS_PID, -1, Number.MAX_SAFE_INTEGER) : fc.constant(NO_FACTS_PID) },
  );
  const time: fc.Arbitrary<TimeSpec> = fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 6, arbitrary: fc.integer({ min: -100_000, max: 2_000_000 }) },
    { weight: 2, arbitrary: fc.constantFrom(0, 5, 30, 59, 60, 61, ...NEAR_AGES) },
    // before this boot on the boot clock: only a stepped realtime clock makes such a time
    { weight: 1, arbitrary: fc.constantFrom(UPTIME + 1, UPTIME + 4, UPTIME + 86_400) },
    ...(wild ? [{ weight: 1, arbitrary: fc.constantFrom(...EXTREME).map((abs) => ({ abs })) }] : []),
  );
  const count = (big: number) => fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, big) });
  // a start on the boot clock anywhere, or just around one of the object times NEAR_AGES makes (the reuse margin)
  const nearStart = fc.tuple(fc.constantFrom(...NEAR_AGES), fc.constantFrom(-1, 0, 1, 2, 2.5, 3, 3.5, 5.5, 6, 10)).map(([a, d]) => UPTIME - a + d);
  const startBoot = fc.oneof(fc.integer({ min: 0, max: UPTIME + 100_000 }), fc.constantFrom(0, 1), nearStart, fc.double({ min: 0, max: UPTIME, noNaN: true }));
  const ns = fc.option(fc.constantFrom('ours' as const, 'other' as const), { nil: undefined });
  const factSpec: fc.Arbitrary<FactSpec | undefined> = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 4,
      arbitrary: fc.record({
        how: fc.constant('fact' as const),
        liveness: fc.constantFrom('alive' as const, 'dead' as const, 'dead' as const, 'dead' as const, 'dead' as const, 'unknown' as const, undefined),
        aliveFlag: fc.boolean(),
        startBoot: fc.option(startBoot, { nil: undefined }),
        ns,
      }, { requiredKeys: ['how', 'liveness', 'aliveFlag'] }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        how: fc.constant('files' as const),
        stat: fc.option(fc.record({ state: fc.constantFrom('R' as const, 'S' as const, 'Z' as const), startBoot: fc.oneof(fc.integer({ min: 0, max: UPTIME + 1000 }), nearStart) }), { nil: undefined }),
        statCode: fc.option(fc.constantFrom('ENOENT', 'ENOENT', 'EACCES', 'EPERM', 'skipped', 'EIO'), { nil: undefined }),
        kill: sometimes(fc.constantFrom<KillProbe>('ok', 'ESRCH', 'ESRCH', 'EPERM', 'other'), 1),
        ns,
      }, { requiredKeys: ['how'] }),
    },
  );
  const key = fc.constantFrom(...KEYS);
  const uid = fc.constantFrom(0, 26, 1000);
  const elem = fc.record({ pidIdx: fc.nat(3), semval: fc.constantFrom(0, 1, 32767) });
  const sem = fc.record({
    key, uid, mode: fc.constantFrom(0o600, 0o666),
    nsems: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(17)),
    marker: fc.boolean(),
    pids: fc.oneof(fc.tuple(pid, pid, pid, pid), pid.map((p) => [p, p, p, p] as const)),
    elems: fc.array(elem, { minLength: 18, maxLength: 18 }),
    detail: fc.constantFrom('full', 'full', 'full', 'none', 'short', 'long'),
    waiter: sometimes(fc.record({ at: fc.nat(16), which: fc.constantFrom('ncount' as const, 'zcount' as const), n: fc.constantFrom(1, 3, 2 ** 31 - 1) }), 4),
    valuesError: sometimes(fc.constantFrom('EACCES', 'EPERM', 'EINVAL', 'EIDRM'), 6),
    otime: time, ctime: time,
  });
  const header = fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.record({ creator: fc.option(pid, { nil: undefined }), dsmControl: fc.constantFrom(0, 0, 7), dev: fc.constantFrom(1, 2), ino: fc.constantFrom(10, 11) }) },
    { weight: 1, arbitrary: fc.constantFrom('error' as const, 'junk' as const) },
  );
  const shm = fc.record({
    key, uid, cuid: uid, cpid: pid, lpid: fc.oneof(fc.constant('cpid' as const), pid),
    nattch: count(2 ** 31 - 1), attachers: fc.oneof(fc.constant(undefined), fc.constant<number[]>([]), fc.array(pid, { minLength: 1, maxLength: 2 })),
    atime: time, dtime: time, ctime: time, dest: fc.boolean(), segsz: fc.constantFrom(56, 4096), header,
  });
  const msg = fc.record({ key, uid, lspid: pid, lrpid: fc.oneof(fc.constant('lspid' as const), pid), stime: time, rtime: time, ctime: time, qnum: count(1e6) });
  const posix = fc.record({
    kind: fc.constantFrom('posixSem' as const, 'posixShm' as const),
    name: fc.constantFrom('/orders', '/PostgreSQL.7', '/PostgreSQL.8'),
    uid, attachers: fc.option(fc.array(pid, { maxLength: 2 }), { nil: undefined }), mtime: time,
    nwaiters: fc.option(fc.constantFrom(0, 1), { nil: undefined }), ino: fc.constantFrom(70, 80),
  });
  const dataDir = fc.record({
    dev: fc.constantFrom(1, 2), ino: fc.constantFrom(10, 11), postmasterPid: fc.option(pid, { nil: undefined }),
    shmKey: fc.option(key, { nil: undefined }), shmId: fc.option(fc.nat(3), { nil: undefined }),
    source: fc.constantFrom('process' as const, 'user' as const, 'postmaster.pid' as const),
  });
  const rule: fc.Arbitrary<ObjectRule> = fc.record({
    kind: fc.constantFrom(...KINDS), key, keyMin: key, keyMax: key, uid, app: fc.constantFrom('postgresql', 'other'),
  }, { requiredKeys: [], noNullPrototype: true });
  const reader: fc.Arbitrary<ReaderView | undefined> = fc.option(fc.record({
    pidNs: fc.constant('pid:[4026531836]'),
    initialPidNs: fc.boolean(),
    procIsOwnPidNs: fc.boolean(),
    hidepid: fc.constantFrom('off' as const, 'off' as const, 'noaccess' as const, 'invisible' as const, 'ptraceable' as const),
    clockOffset: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 5 }) }),
    clockOffsetError: fc.constantFrom(0, 0.02, 1, 5),
  }, { requiredKeys: [] }), { nil: undefined, freq: 6 });

  return fc.record({
    now: wild
      ? fc.oneof(fc.constant(1_800_000_000), fc.integer({ min: 0, max: 2 ** 32 }), fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER))
      : fc.oneof(fc.constant(1_800_000_000), fc.integer({ min: UPTIME + 3_000_000, max: 2 ** 32 })),
    specs: fc.array(factSpec, { minLength: POOL.length, maxLength: POOL.length }),
    reader,
    source: fc.oneof({ weight: 3, arbitrary: fc.constant<SnapshotSource>('native') }, { weight: 3, arbitrary: fc.constantFrom(...SOURCES) }),
    platform: fc.constantFrom<Platform>('linux', 'linux', 'freebsd', 'darwin', 'unknown'),
    ipcNamespace: fc.option(fc.constant(OUR_NS), { nil: undefined, freq: 4 }),
    devShmIncomplete: sometimes(fc.constant('the listing stopped at 10000 files'), 5),
    sems: fc.array(sem, { maxLength: 3 }),
    shms: fc.array(shm, { maxLength: 3 }),
    msgs: fc.array(msg, { maxLength: 2 }),
    posix: fc.array(posix, { maxLength: 2 }),
    dataDirs: fc.array(dataDir, { maxLength: 2 }),
    pgDsm: fc.constantFrom('none', 'enoent', 'file'),
    shmBefore: sometimes(fc.record({ sameCtime: fc.boolean(), atime: time, dtime: time, lpid: pid }), 2),
    ownPids: sometimes(fc.subarray([...POOL], { maxLength: 2 }), 2),
    minAge: fc.constantFrom(0, 10, 60, 60, 60, 3600, 1e9),
    recent: fc.constantFrom(0, 10, 10, 10, 1e9),
    ignore: fc.array(rule, { maxLength: 2 }),
    trust: fc.array(rule, { maxLength: 2 }),
    recycleUnrecognized: fc.constantFrom(true, true, false),
    kinds: fc.oneof({ weight: 3, arbitrary: fc.constant<IpcKind[]>(['sem', 'shm', 'msg']) }, { weight: 1, arbitrary: fc.subarray([...KINDS]) }),
  }).map((g): World => {
    const now = g.now;
    const at = (t: TimeSpec): number => (t === null ? 0 : typeof t === 'number' ? now - t : t.abs);
    const specs: Record<number, FactSpec> = {};
    POOL.forEach((p, i) => {
      const s = g.specs[i];
      if (s) specs[p] = s;
    });
    const reader = g.reader ? { ...g.reader, ...(g.reader.clockOffset !== undefined ? { clockOffset: now - UPTIME + g.reader.clockOffset } : {}) } : undefined;
    const sems: SemSet[] = g.sems.map((x, id) => {
      const s: SemSet = { kind: 'sem', id, key: x.key, uid: x.uid, gid: 0, cuid: x.uid, cgid: 0, mode: x.mode, nsems: x.nsems, otime: at(x.otime), ctime: at(x.ctime) };
      const n = x.detail === 'short' ? Math.max(0, x.nsems - 1) : x.detail === 'long' ? x.nsems + 1 : x.nsems;
      const elems: SemElem[] = x.elems.slice(0, n).map((e) => ({ semval: e.semval, ncount: 0, zcount: 0, pid: x.pids[e.pidIdx]! }));
      if (x.marker && elems.length >= 17) elems[16] = { ...elems[16]!, semval: PG_MARKER };
      if (x.waiter && elems.length) elems[x.waiter.at % elems.length]![x.waiter.which] = x.waiter.n;
      if (x.valuesError) {
        s.valuesError = { code: x.valuesError, syscall: 'semctl', op: 'GETALL', message: `semctl: ${x.valuesError}` };
        if (x.valuesError === 'EINVAL' || x.valuesError === 'EIDRM') s.elems = elems; // a later call failed after the detail
      } else {
        s.values = elems.map((e) => e.semval);
        if (x.detail !== 'none') s.elems = elems;
      }
      return s;
    });
    const headers: NonNullable<OwnerEvidence['shmHeaders']> = {};
    const shms: ShmSegment[] = g.shms.map((x, id) => {
      const m: ShmSegment = {
        kind: 'shm', id, key: x.key, uid: x.uid, gid: 0, cuid: x.cuid, cgid: 0, mode: 0o600, segsz: x.segsz, cpid: x.cpid,
        lpid: x.lpid === 'cpid' ? x.cpid : x.lpid, nattch: x.nattch, atime: at(x.atime), dtime: at(x.dtime), ctime: at(x.ctime),
        dest: x.dest, locked: false,
      };
      if (x.attachers) m.attachers = x.attachers;
      if (x.header === 'error') headers[id] = { code: 'EACCES', message: 'shmat: EACCES' };
      else if (x.header === 'junk') headers[id] = new Uint8Array(56).fill(7);
      else if (x.header) headers[id] = withDsmControl(pgHeader(x.header.creator ?? x.cpid, BigInt(x.header.dev), BigInt(x.header.ino)), x.header.dsmControl);
      return m;
    });
    const msgs: MsgQueue[] = g.msgs.map((x, id) => ({
      kind: 'msg', id, key: x.key, uid: x.uid, gid: 0, cuid: x.uid, cgid: 0, mode: 0o600, cbytes: x.qnum * 16, qnum: x.qnum, qbytes: 16384,
      lspid: x.lspid, lrpid: x.lrpid === 'lspid' ? x.lspid : x.lrpid, stime: at(x.stime), rtime: at(x.rtime), ctime: at(x.ctime),
    }));
    const posixSems: PosixSem[] = [];
    const posixShms: PosixShm[] = [];
    g.posix.forEach((x, i) => {
      const name = x.kind === 'posixSem' ? `${x.name}${i}` : x.name;
      const file = { name, path: x.kind === 'posixSem' ? `/dev/shm/sem.${name.slice(1)}` : `/dev/shm${name}`, uid: x.uid, gid: 0, mode: 0o600, size: 4096, mtime: at(x.mtime), dev: 9, ino: x.ino + i };
      if (x.kind === 'posixSem') {
        const s: PosixSem = { ...file, kind: 'posixSem' };
        if (x.attachers) s.attachers = x.attachers;
        if (x.nwaiters !== undefined) s.decoded = { layout: 'glibc-new-64', value: 0, nwaiters: x.nwaiters, private: 128, raw: '00', atomic: true };
        posixSems.push(s);
      } else if (!posixShms.some((f) => f.name === name)) {
        const s: PosixShm = { ...file, kind: 'posixShm' };
        if (x.attachers) s.attachers = x.attachers;
        posixShms.push(s);
      }
    });
    const evidence: OwnerEvidence = {
      shmHeaders: headers,
      dataDirs: g.dataDirs.map((d, i) => ({ path: `/var/lib/pg/${i}`, ...d })),
    };
    if (g.pgDsm === 'enoent') evidence.pgDsm = { 7: { handle: 7, error: { code: 'ENOENT', message: 'ENOENT' } } };
    if (g.pgDsm === 'file') {
      const f = { path: '/dev/shm/PostgreSQL.7', handle: 7, dev: 9, ino: 70, uid: 26, size: 4096 };
      evidence.pgDsm = { 7: { handle: 7, file: f, layout: { versions: '14+', itemSize: 40, nitems: 0, maxitems: 1 }, items: [] } };
    }
    if (g.shmBefore && shms.length) {
      const m = shms[0]!;
      evidence.shmBefore = { 0: { ctime: g.shmBefore.sameCtime ? m.ctime : m.ctime + 1, atime: at(g.shmBefore.atime), dtime: at(g.shmBefore.dtime), lpid: g.shmBefore.lpid } };
    }
    const snap: IpcSnapshot = {
      version: 1, host: 'local', platform: g.platform, source: g.source, takenAt: now * 1000, uid: 0,
      sems, shms, msgs, posixSems, posixShms, errors: [], limits: { pageSize: 4096 },
      usage: { semSets: sems.length, semTotal: 0, shmSegments: shms.length, shmPages: 0, msgQueues: msgs.length, msgMessages: 0, msgBytes: 0 },
      processes: {}, warnings: [],
    };
    if (g.ipcNamespace) snap.ipcNamespace = g.ipcNamespace;
    if (reader) snap.reader = reader;
    if (g.devShmIncomplete) snap.devShmIncomplete = g.devShmIncomplete;
    snap.processes = factsOf(specs, reader, now);
    const opts = verdictOptions({
      minOrphanAgeSeconds: g.minAge, recentActivitySeconds: g.recent, ignore: g.ignore, trust: g.trust,
      recycleUnrecognized: g.recycleUnrecognized, kinds: g.kinds, evidence,
    });
    if (g.ownPids) opts.ownPids = g.ownPids;
    // plain objects, as JSON and structured clone make them (fast-check also makes ones without a prototype)
    return structuredClone({ snap, opts, now, specs });
  });
}

/** /proc/PID/stat text with the state and the start time in clock ticks (field 22). */
function statText(pid: number, state: string, startBoot: number): string {
  return `${pid} (app) ${state} 1 ${'0 '.repeat(17)}${Math.round(startBoot * CLK_TCK)} 0 0`;
}

/** The process facts of the specs as the reader `view` sees them (processFacts builds the file-based ones). */
function factsOf(specs: Record<number, FactSpec>, view: ReaderView | undefined, now: number): Record<number, ProcessFact> {
  const out: Record<number, ProcessFact> = {};
  for (const [k, s] of Object.entries(specs)) {
    const pid = Number(k);
    const ns = s.ns === undefined ? undefined : s.ns === 'ours' ? OUR_NS : 'ipc:[2]';
    if (s.how === 'fact') {
      const f: ProcessFact = { pid, alive: s.liveness === 'alive' || (s.liveness === undefined && s.aliveFlag) };
      if (s.liveness) f.liveness = s.liveness;
      if (s.startBoot !== undefined) f.startBoot = s.startBoot;
      if (ns) f.ipcNs = ns;
      out[pid] = f;
    } else {
      const files: ProcessFiles = { pid };
      if (s.stat) files.stat = statText(pid, s.stat.state, s.stat.startBoot);
      if (s.statCode !== undefined) files.statCode = s.statCode;
      if (s.kill !== undefined) files.kill = s.kill;
      if (ns) files.nsIpc = ns;
      out[pid] = buildProcessFact(files, now - UPTIME, CLK_TCK, view);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------- the independent checker

/**
 * Whether the facts prove that `pid` is not the process that acted on the object at `refTime`: its fact
 * says dead, or it is alive but started, on the boot clock, more than the reuse margin (2 s plus the clock
 * offset's error) after the object's time, that time not falling before boot by more than the margin (a
 * stepped realtime clock). No fact, an unknown liveness, a legacy fact without `alive`: not proven.
 */
function provenGone(s: IpcSnapshot, pid: number, refTime: number): boolean {
  if (!(pid > 0)) return false;
  const f = Object.prototype.hasOwnProperty.call(s.processes, pid) ? s.processes[pid] : undefined;
  if (!f) return false;
  if (f.liveness === 'dead') return true;
  const alive = f.liveness === 'alive' || (f.liveness === undefined && f.alive === true);
  if (!alive) return false;
  const r = s.reader;
  if (r?.clockOffset === undefined || f.startBoot === undefined || !(refTime > 0)) return false;
  const margin = 2 + (r.clockOffsetError ?? 1);
  const refBoot = refTime - r.clockOffset;
  return f.startBoot > refBoot + margin && refBoot >= -margin;
}

/** A segment as the verdict must judge it: fields our own header peek overwrote are taken from before it. */
function effectiveShm(m: ShmSegment, opts: VerdictOptions): ShmSegment {
  const b = opts.evidence?.shmBefore?.[m.id];
  if (b && b.ctime === m.ctime && (opts.ownPids ?? []).includes(m.lpid)) return { ...m, atime: b.atime, dtime: b.dtime, lpid: b.lpid };
  return m;
}

/** Every pid the object records (with the time it is compared to): each must be proven gone for an orphan. */
function recordedPids(o: IpcObject, w: World, v: Verdict): Array<{ pid: number; ref: number; role: string }> {
  const out: Array<{ pid: number; ref: number; role: string }> = [];
  switch (o.kind) {
    case 'sem': {
      const ref = Math.max(o.otime, o.ctime);
      for (const e of o.elems ?? []) if (e.pid > 0) out.push({ pid: e.pid, ref, role: 'last-op' });
      if (v.owner?.pid !== undefined && v.owner.pid > 0) out.push({ pid: v.owner.pid, ref, role: 'owner' });
      break;
    }
    case 'shm': {
      const m = effectiveShm(o, w.opts);
      if (m.cpid > 0) out.push({ pid: m.cpid, ref: m.ctime, role: 'creator' });
      if (m.lpid > 0 && !(w.opts.ownPids ?? []).includes(m.lpid)) out.push({ pid: m.lpid, ref: Math.max(m.atime, m.dtime, m.ctime), role: 'last attach' });
      if (v.owner?.pid !== undefined && v.owner.pid > 0) out.push({ pid: v.owner.pid, ref: m.ctime, role: 'owner' });
      break;
    }
    case 'msg':
      if (o.lspid > 0) out.push({ pid: o.lspid, ref: Math.max(o.stime, o.ctime), role: 'last sender' });
      if (o.lrpid > 0) out.push({ pid: o.lrpid, ref: Math.max(o.rtime, o.ctime), role: 'last receiver' });
      break;
    default:
      break;
  }
  return out;
}

/** The object's newest recorded time (0: none). */
function newest(o: IpcObject, opts: VerdictOptions): number {
  switch (o.kind) {
    case 'sem':
      return Math.max(o.otime, o.ctime);
    case 'shm': {
      const m = effectiveShm(o, opts);
      return Math.max(m.atime, m.dtime, m.ctime);
    }
    case 'msg':
      return Math.max(o.stime, o.rtime, o.ctime);
    default:
      return o.mtime;
  }
}

/** A PostgreSQL header of the segment in the evidence, parsed independently. */
function headerCreator(w: World, id: number): number | undefined {
  const raw = w.opts.evidence?.shmHeaders?.[id];
  if (!(raw instanceof Uint8Array) || raw.byteLength < 56) return undefined;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return dv.getInt32(0, true) === PG_SHMEM_MAGIC ? dv.getInt32(4, true) : undefined;
}

/**
 * Whether the owner's `proof` is backed by the facts it names: a PostgreSQL marker set (17 semaphores,
 * semnum 16 = 537) whose marker pid is proven gone, or an interlock segment with nothing attached whose
 * header creator is proven gone. Such an orphan waits for no age.
 */
function proofHolds(o: IpcObject, w: World): boolean {
  if (o.kind === 'sem') {
    const e = o.elems?.[16];
    const marker = e?.semval ?? o.values?.[16];
    return o.nsems === 17 && marker === PG_MARKER && e !== undefined && provenGone(w.snap, e.pid, Math.max(o.otime, o.ctime));
  }
  if (o.kind === 'shm') {
    const creator = headerCreator(w, o.id);
    return o.nattch === 0 && !o.attachers?.length && creator !== undefined && provenGone(w.snap, creator, o.ctime);
  }
  return false;
}

/** Why the object may not be an orphan: evidence of life, doubt, or no evidence of death (empty: none). */
function mustNotBeOrphan(o: IpcObject, w: World, v: Verdict): string[] {
  const why: string[] = [];
  const s = w.snap;
  const initial = s.reader?.initialPidNs === true;
  const pids = recordedPids(o, w, v);
  for (const p of pids) if (!provenGone(s, p.pid, p.ref)) why.push(`${p.role} pid ${p.pid} is not proven dead`);
  // a pid field no kernel writes says the listing is damaged: nothing about the object's users is known
  const pidFields = o.kind === 'shm' ? [o.cpid, o.lpid] : o.kind === 'msg' ? [o.lspid, o.lrpid] : o.kind === 'sem' ? (o.elems ?? []).map((e) => e.pid) : [];
  for (const p of pidFields) if (!(Number.isSafeInteger(p) && p >= 0)) why.push(`pid field ${p} is not a pid`);
  switch (o.kind) {
    case 'posixSem':
    case 'posixShm':
      why.push('POSIX objects record no creator');
      break;
    case 'sem':
      if (o.valuesError) why.push(`semaphore values unreadable (${o.valuesError.code})`);
      if (!o.elems) why.push('per-semaphore detail not loaded');
      else {
        if (o.elems.length !== o.nsems) why.push(`detail of ${o.elems.length} of ${o.nsems} semaphores`);
        if (o.elems.some((e) => e.ncount !== 0 || e.zcount !== 0)) why.push('waiters');
        if (!initial && o.elems.some((e) => e.pid === 0)) {
          if (o.elems.some((e) => e.pid > 0)) why.push('a last-op pid 0 the reader cannot place');
        }
      }
      break;
    case 'shm': {
      const m = effectiveShm(o, w.opts);
      if (m.nattch !== 0) why.push(`nattch ${m.nattch}`);
      if (m.attachers?.length) why.push('mapped');
      if (!(m.cpid > 0)) why.push('creator pid 0');
      if (m.lpid === 0 && (m.atime > 0 || m.dtime > 0)) why.push('last attach pid 0 with an attach time');
      break;
    }
    case 'msg':
      if (o.lspid === 0 && o.stime > 0) why.push('sender pid 0 with a send time');
      if (o.lrpid === 0 && o.rtime > 0) why.push('receiver pid 0 with a receive time');
      break;
  }
  if (o.kind !== 'posixSem' && o.kind !== 'posixShm' && !pids.some((p) => provenGone(s, p.pid, p.ref))) why.push('no recorded pid proven dead');
  const proven = v.owner?.proof !== undefined;
  const last = newest(o, w.opts);
  if (!proven && last > 0 && w.now - last < w.opts.recentActivitySeconds) why.push('recent activity');
  return why;
}

/** Key and kind matching as ObjectRule documents it (exact key signed, range unsigned). */
function matches(r: ObjectRule, o: IpcObject, app: string | undefined): boolean {
  if (r.kind !== undefined && r.kind !== o.kind) return false;
  if (r.uid !== undefined && r.uid !== o.uid) return false;
  if (r.app !== undefined && r.app !== app) return false;
  if (r.key === undefined && r.keyMin === undefined && r.keyMax === undefined) return true;
  if (!('key' in o)) return false;
  const u = (k: number) => k >>> 0;
  return (r.key === undefined || u(r.key) === u(o.key)) && (r.keyMin === undefined || u(o.key) >= u(r.keyMin)) && (r.keyMax === undefined || u(o.key) <= u(r.keyMax));
}

/** Why the object may not be recyclable (empty: nothing forbids it). */
function mustNotBeRecyclable(o: IpcObject, w: World, v: Verdict): string[] {
  const why = mustNotBeOrphan(o, w, v);
  const { opts, snap } = w;
  const app = v.owner?.app;
  if (o.kind === 'posixSem' || o.kind === 'posixShm') why.push('POSIX');
  if (snap.source === 'proc') why.push('the /proc reader removes nothing');
  if (!opts.kinds.includes(o.kind)) why.push('kind not selected');
  if (opts.ignore.some((r) => matches(r, o, app))) why.push('an ignore rule');
  if (v.owner?.dsm?.blocked) why.push('DSM unit blocked');
  const proven = v.owner?.proof !== undefined;
  if (proven && !proofHolds(o, w)) why.push(`a proof the facts do not back: ${v.owner!.proof}`);
  const last = newest(o, opts);
  if (!proven && !(last > 0 && w.now - last >= opts.minOrphanAgeSeconds)) why.push('younger than minOrphanAgeSeconds');
  if (o.kind === 'sem' || o.kind === 'msg') {
    const ownerGone = v.owner?.pid !== undefined && provenGone(snap, v.owner.pid, Math.max(...(o.kind === 'sem' ? [o.otime, o.ctime] : [o.ctime])));
    if (!ownerGone && !opts.recycleUnrecognized && !opts.trust.some((r) => matches(r, o, app))) why.push('no identity');
  }
  if (o.kind === 'shm' && !v.owner?.dsm && !(opts.evidence?.shmHeaders?.[o.id] instanceof Uint8Array)) {
    if (snap.platform !== 'linux' && o.segsz === 56) why.push('may be a PostgreSQL interlock segment (size 56) with invisible DSM');
    if (snap.platform === 'linux') {
      if (snap.posixShms.some((f) => /^\/dev\/shm\/PostgreSQL\.\d+$/.test(f.path) && (f.uid === o.uid || f.uid === o.cuid))) why.push('PostgreSQL DSM files of its owner');
      if (snap.devShmIncomplete) why.push('/dev/shm not fully listed');
    }
  }
  return why;
}

// ------------------------------------------------------------------------------------------- the helpers

const verdicts = (w: World): Map<string, Verdict> => assessSnapshot(w.snap, w.opts, w.now);
const clone = (w: World): World => structuredClone(w);

function describe(o: IpcObject, v: Verdict, w: World): string {
  const pids = Object.fromEntries(Object.entries(w.snap.processes).map(([k, f]) => [k, { l: f.liveness, a: f.alive, sb: f.startBoot, ns: f.ipcNs }]));
  return `${JSON.stringify(o)}\nverdict ${JSON.stringify({ state: v.state, recyclable: v.recyclable, owner: v.owner?.label, proof: v.owner?.proof, reasons: v.reasons })}` +
    `\nreader ${JSON.stringify(w.snap.reader)} source ${w.snap.source} now ${w.now}\nfacts ${JSON.stringify(pids)}`;
}

/** `after` is never more removable than `before`, for every object both hold. */
function neverMoreRemovable(before: World, after: World, change: string): void {
  const a = verdicts(before);
  const b = verdicts(after);
  for (const [ref, vb] of b) {
    const va = a.get(ref);
    if (!va) continue;
    assert.ok(!vb.recyclable || va.recyclable, `${change} made ${ref} recyclable: ${vb.reasons.join(' | ')} (before: ${va.state}, ${va.reasons.join(' | ')})`);
    assert.ok(vb.state !== 'orphan' || va.state === 'orphan', `${change} made ${ref} an orphan: ${vb.reasons.join(' | ')} (before: ${va.state}, ${va.reasons.join(' | ')})`);
  }
}

/** The object of `w` named `ref` (every test object has a ref). */
function objectOf(w: World, ref: string): IpcObject {
  const o = allObjects(w.snap).find((x) => objectRef(x) === ref);
  assert.ok(o, ref);
  return o;
}

/** The process table with `pid`'s fact replaced (undefined: removed). */
function withFact(w: World, pid: number, fact: ProcessFact | undefined): World {
  const c = clone(w);
  if (fact) c.snap.processes[pid] = fact;
  else delete c.snap.processes[pid];
  delete c.specs[pid];
  return c;
}

/** The same world seen by another reader: facts from /proc and kill(pid, 0) are decided again under it. */
function withReader(w: World, view: ReaderView): World {
  const c = clone(w);
  c.snap.reader = view;
  c.snap.processes = { ...c.snap.processes, ...factsOf(c.specs, view, c.now) };
  return c;
}

/** Changes that add evidence of life, doubt, or a rule that keeps: each aimed at object `ref` of `w`. */
function keepingChanges(w: World, ref: string, v: Verdict): Array<{ name: string; world: World; mustKeep: boolean }> {
  const o = objectOf(w, ref);
  const out: Array<{ name: string; world: World; mustKeep: boolean }> = [];
  const edit = (name: string, f: (c: World, x: IpcObject) => void, mustKeep = true) => {
    const c = clone(w);
    f(c, objectOf(c, ref));
    out.push({ name, world: c, mustKeep });
  };
  const ns = w.snap.ipcNamespace;
  for (const p of recordedPids(o, w, v)) {
    out.push({ name: `${p.role} pid ${p.pid} alive`, world: withFact(w, p.pid, { pid: p.pid, alive: true, liveness: 'alive', ...(ns ? { ipcNs: ns } : {}) }), mustKeep: true });
    out.push({ name: `${p.role} pid ${p.pid} alive, started at boot`, world: withFact(w, p.pid, { pid: p.pid, alive: true, liveness: 'alive', startBoot: 0, ...(ns ? { ipcNs: ns } : {}) }), mustKeep: true });
    out.push({ name: `${p.role} pid ${p.pid} alive without a liveness (legacy fact)`, world: withFact(w, p.pid, { pid: p.pid, alive: true }), mustKeep: true });
    out.push({ name: `${p.role} pid ${p.pid} alive in another IPC namespace`, world: withFact(w, p.pid, { pid: p.pid, alive: true, liveness: 'alive', ipcNs: 'ipc:[3]' }), mustKeep: true });
    out.push({ name: `${p.role} pid ${p.pid} unknown`, world: withFact(w, p.pid, { pid: p.pid, alive: false, liveness: 'unknown' }), mustKeep: true });
    out.push({ name: `${p.role} pid ${p.pid} without a liveness`, world: withFact(w, p.pid, { pid: p.pid, alive: false }), mustKeep: true });
    out.push({ name: `${p.role} pid ${p.pid} without facts`, world: withFact(w, p.pid, undefined), mustKeep: true });
    const spec = w.specs[p.pid];
    // a death that rests on /proc/PID being absent holds only without hidepid and with /proc of our pid namespace
    const enoentOnly = spec?.how === 'files' && !spec.stat && spec.statCode === 'ENOENT' && spec.kill === undefined;
    const view = w.snap.reader ?? {};
    out.push({ name: `hidepid=2 (${p.role} pid ${p.pid})`, world: withReader(w, { ...view, hidepid: 'invisible' }), mustKeep: enoentOnly });
    out.push({ name: `/proc of another pid namespace (${p.role} pid ${p.pid})`, world: withReader(w, { ...view, procIsOwnPidNs: false }), mustKeep: enoentOnly });
    out.push({ name: `hidepid not determined (${p.role} pid ${p.pid})`, world: withReader(w, { ...view, hidepid: undefined }), mustKeep: enoentOnly });
    // a pid proven reused only through the clock offset: without it the live pid may be the original
    const f = w.snap.processes[p.pid];
    const reused = f !== undefined && f.liveness !== 'dead';
    out.push({ name: `no clock offset (${p.role} pid ${p.pid})`, world: withReader(w, { ...view, clockOffset: undefined }), mustKeep: reused });
  }
  const anyPid = POOL[0];
  if (o.kind === 'shm') {
    edit('nattch 1', (_c, x) => void ((x as ShmSegment).nattch = 1));
    edit('an attacher', (_c, x) => void ((x as ShmSegment).attachers = [anyPid]));
    edit('creator pid 0', (_c, x) => void ((x as ShmSegment).cpid = 0));
  }
  if (o.kind === 'sem') {
    const n = o.elems?.length ?? 0;
    for (const i of new Set([0, n - 1, 16].filter((j) => j >= 0 && j < n))) {
      edit(`ncount 1 on semaphore ${i}`, (_c, x) => void ((x as SemSet).elems![i]!.ncount = 1));
      edit(`zcount 1 on semaphore ${i}`, (_c, x) => void ((x as SemSet).elems![i]!.zcount = 1));
      // sempid 0 outside the initial pid namespace: the last operation may come from a process we cannot see
      if (w.snap.reader?.initialPidNs !== false) {
        edit(`sempid 0 of semaphore ${i}, pid namespace not the initial one`, (c, x) => {
          (x as SemSet).elems![i]!.pid = 0;
          c.snap.reader = { ...(c.snap.reader ?? {}), initialPidNs: false };
        });
      }
    }
    edit('detail not loaded', (_c, x) => void delete (x as SemSet).elems);
    edit('values unreadable (EACCES)', (_c, x) => void ((x as SemSet).valuesError = { code: 'EACCES', message: 'semctl: EACCES' }));
    edit('a semaphore failed (EINVAL)', (_c, x) => void ((x as SemSet).valuesError = { code: 'EINVAL', message: 'semctl: EINVAL' }));
    edit('detail of one semaphore less', (_c, x) => void (x as SemSet).elems!.pop());
  }
  if (o.kind === 'msg') {
    edit('last sender pid 0 with a send time', (_c, x) => {
      (x as MsgQueue).lspid = 0;
      (x as MsgQueue).stime = Math.max(1, (x as MsgQueue).stime);
    });
  }
  const hasZero = (o.kind === 'sem' && o.elems?.some((e) => e.pid === 0)) || false;
  for (const initialPidNs of [false, undefined]) {
    const view = { ...(w.snap.reader ?? {}), initialPidNs };
    out.push({ name: `initialPidNs ${String(initialPidNs)}`, world: withReader(w, view), mustKeep: hasZero });
  }
  edit('source proc', (c) => void (c.snap.source = 'proc'));
  if ('key' in o) edit(`an ignore rule for key ${o.key}`, (c) => void c.opts.ignore.push({ key: o.key }));
  edit(`an ignore rule for kind ${o.kind}`, (c) => void c.opts.ignore.push({ kind: o.kind }));
  edit(`kind ${o.kind} not selected`, (c) => void (c.opts.kinds = c.opts.kinds.filter((k) => k !== o.kind)));
  return out;
}

/** Changes anywhere in the world that only add evidence of life or doubt (each applied alone). */
function lessEvidenceOfDeath(w: World): Array<{ name: string; world: World }> {
  const out: Array<{ name: string; world: World }> = [];
  const ns = w.snap.ipcNamespace;
  for (const [k, f] of Object.entries(w.snap.processes)) {
    const pid = Number(k);
    if (f.liveness === 'dead') out.push({ name: `pid ${pid} dead -> unknown`, world: withFact(w, pid, { pid, alive: false, liveness: 'unknown' }) });
    out.push({ name: `pid ${pid} -> alive`, world: withFact(w, pid, { pid, alive: true, liveness: 'alive', ...(ns ? { ipcNs: ns } : {}) }) });
    out.push({ name: `pid ${pid} -> no facts`, world: withFact(w, pid, undefined) });
  }
  const view = w.snap.reader ?? {};
  out.push({ name: 'hidepid=2', world: withReader(w, { ...view, hidepid: 'invisible' }) });
  out.push({ name: 'hidepid=1', world: withReader(w, { ...view, hidepid: 'noaccess' }) });
  out.push({ name: '/proc of another pid namespace', world: withReader(w, { ...view, procIsOwnPidNs: false }) });
  out.push({ name: 'no clock offset', world: withReader(w, { ...view, clockOffset: undefined }) });
  out.push({ name: 'initialPidNs false', world: withReader(w, { ...view, initialPidNs: false }) });
  out.push({ name: 'initialPidNs undefined', world: withReader(w, { ...view, initialPidNs: undefined }) });
  out.push({ name: 'no reader view', world: (() => { const c = withReader(w, {}); delete c.snap.reader; return c; })() });
  const c = clone(w);
  c.snap.source = 'proc';
  out.push({ name: 'source proc', world: c });
  return out;
}

// ------------------------------------------------------------------------------------------- the properties

test('no generated snapshot, however wild, makes a verdict throw; every object gets a well-formed verdict', () => {
  run(genWorld(true), (w) => {
    const all = verdicts(w);
    assert.equal(all.size, allObjects(w.snap).length);
    for (const [ref, v] of all) {
      assert.equal(v.ref, ref);
      assert.ok(['live', 'orphan', 'unreadable', 'unknown'].includes(v.state), v.state);
      assert.ok(!v.recyclable || v.state === 'orphan', `${ref}: recyclable but ${v.state}`);
      assert.ok(v.reasons.length > 0 && v.reasons.every((r) => typeof r === 'string' && r.length > 0), `${ref}: reasons`);
      if (v.becomesRecyclableIn !== undefined) assert.ok(Number.isInteger(v.becomesRecyclableIn) && v.becomesRecyclableIn > 0, `${ref}: ${v.becomesRecyclableIn}`);
    }
  }, 400);
});

test('an orphan has evidence of death and none of life or doubt; a recyclable one also passes every rule of the settings and the source', () => {
  let orphans = 0;
  const recyclable: Record<string, number> = { sem: 0, shm: 0, msg: 0 };
  run(genWorld(false), (w) => {
    for (const [ref, v] of verdicts(w)) {
      const o = objectOf(w, ref);
      if (v.state === 'orphan') {
        orphans++;
        const why = mustNotBeOrphan(o, w, v);
        assert.deepEqual(why, [], `orphan although: ${why.join('; ')}\n${describe(o, v, w)}`);
      }
      if (v.recyclable) {
        recyclable[o.kind] = (recyclable[o.kind] ?? 0) + 1;
        const why = mustNotBeRecyclable(o, w, v);
        assert.deepEqual(why, [], `recyclable although: ${why.join('; ')}\n${describe(o, v, w)}`);
      }
    }
  }, 600);
  // the generator must reach the interesting verdicts, or the property says nothing
  assert.ok(orphans >= 50 && Object.values(recyclable).every((n) => n >= 10), `only ${orphans} orphans and ${JSON.stringify(recyclable)} recyclable objects generated`);
});

test('evidence of life or doubt aimed at a recyclable object makes it not recyclable, and never makes any object more removable', () => {
  let checked = 0;
  run(genWorld(false), (w) => {
    const before = verdicts(w);
    for (const [ref, v] of before) {
      if (!v.recyclable) continue;
      for (const ch of keepingChanges(w, ref, v)) {
        const after = verdicts(ch.world).get(ref);
        assert.ok(after, `${ch.name}: ${ref} vanished`);
        if (ch.mustKeep) {
          checked++;
          assert.equal(after.recyclable, false, `${ch.name} left ${ref} recyclable: ${after.reasons.join(' | ')}\n${describe(objectOf(w, ref), v, w)}`);
        }
        neverMoreRemovable(w, ch.world, ch.name);
      }
    }
  }, 200);
  assert.ok(checked >= 200, `only ${checked} aimed changes checked`);
});

test('taking away evidence of death anywhere (dead -> unknown, alive, no facts, a reader that sees less, the /proc source) never makes an object more removable', () => {
  run(genWorld(false), (w) => {
    for (const ch of lessEvidenceOfDeath(w)) neverMoreRemovable(w, ch.world, ch.name);
  }, 150);
});

test('a pid recorded in two roles is judged at each role\'s own time: started after the creation or the send, it may still be the last attacher or receiver', () => {
  // the creator's (sender's) pid belongs to a later process by the time of the creation (send), but that process
  // started before the last attach/detach (receive): it may be the process that used the object last
  const arb = fc.record({
    kind: fc.constantFrom('shm' as const, 'msg' as const),
    pid: fc.constantFrom(...POOL),
    first: fc.integer({ min: 100, max: 1_000_000 }),
    startedAfter: fc.integer({ min: 10, max: 50 }),
    usedAfterStart: fc.integer({ min: 10, max: 50 }),
    err: fc.constantFrom(0, 0.02, 1),
    attachLast: fc.boolean(),
  }).map(({ kind, pid, first, startedAfter, usedAfterStart, err, attachLast }) => {
    const now = 1_800_000_000;
    const offset = now - UPTIME;
    const t1 = now - first;
    const start = t1 + startedAfter;
    const t2 = Math.min(now, start + usedAfterStart);
    const base = { key: 1, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, id: 0 };
    const snap: IpcSnapshot = {
      version: 1, host: 'local', platform: 'linux', source: 'native', takenAt: now * 1000, ipcNamespace: OUR_NS, uid: 0,
      sems: [], shms: [], msgs: [], posixSems: [], posixShms: [], errors: [], limits: { pageSize: 4096 },
      usage: { semSets: 0, semTotal: 0, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 },
      processes: { [pid]: { pid, alive: true, liveness: 'alive', startBoot: start - offset, ipcNs: OUR_NS } }, warnings: [],
      reader: { initialPidNs: true, procIsOwnPidNs: true, hidepid: 'off', clockOffset: offset, clockOffsetError: err },
    };
    if (kind === 'shm') {
      snap.shms.push({ ...base, kind: 'shm', segsz: 4096, cpid: pid, lpid: pid, nattch: 0, atime: attachLast ? t2 : t1, dtime: t2, ctime: t1, dest: false, locked: false });
    } else {
      snap.msgs.push({ ...base, kind: 'msg', cbytes: 0, qnum: 0, qbytes: 16384, lspid: pid, lrpid: pid, stime: t1, rtime: t2, ctime: t1 });
    }
    const opts = verdictOptions({ minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true });
    return { snap, opts, now, specs: {} } satisfies World;
  });
  run(arb, (w) => {
    for (const [ref, v] of verdicts(w)) {
      assert.equal(v.recyclable, false, `${ref}: ${v.reasons.join(' | ')}`);
      assert.equal(v.state, 'live', `${ref}: ${v.reasons.join(' | ')}`);
    }
  }, 100);
});

test('a live pid that started no later than the reuse margin (2 s plus the clock offset\'s error) after the object\'s time may be the original: the object stays', () => {
  const arb = fc.record({
    kind: fc.constantFrom('sem' as const, 'shm' as const, 'msg' as const),
    pid: fc.constantFrom(...POOL),
    age: fc.integer({ min: 100, max: 1_000_000 }),
    err: fc.option(fc.constantFrom(0, 0.02, 1, 5, 30), { nil: undefined }),
    /** where in [-1000, margin] after the object's time the process started */
    at: fc.double({ min: 0, max: 1, noNaN: true }),
  }).map(({ kind, pid, age, err, at }) => {
    const now = 1_800_000_000;
    const offset = now - UPTIME;
    const t = now - age;
    const margin = 2 + (err ?? 1);
    const startBoot = t - offset - 1000 + at * (1000 + margin);
    const base = { key: 1, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, id: 0 };
    const snap: IpcSnapshot = {
      version: 1, host: 'local', platform: 'linux', source: 'native', takenAt: now * 1000, ipcNamespace: OUR_NS, uid: 0,
      sems: [], shms: [], msgs: [], posixSems: [], posixShms: [], errors: [], limits: { pageSize: 4096 },
      usage: { semSets: 0, semTotal: 0, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 },
      processes: { [pid]: { pid, alive: true, liveness: 'alive', startBoot, ipcNs: OUR_NS } }, warnings: [],
      reader: { initialPidNs: true, procIsOwnPidNs: true, hidepid: 'off', clockOffset: offset, ...(err !== undefined ? { clockOffsetError: err } : {}) },
    };
    if (kind === 'sem') snap.sems.push({ ...base, kind: 'sem', nsems: 2, otime: t, ctime: t - 50, elems: [{ semval: 0, ncount: 0, zcount: 0, pid }, { semval: 1, ncount: 0, zcount: 0, pid }] });
    if (kind === 'shm') snap.shms.push({ ...base, kind: 'shm', segsz: 4096, cpid: pid, lpid: pid, nattch: 0, atime: t, dtime: t, ctime: t, dest: false, locked: false });
    if (kind === 'msg') snap.msgs.push({ ...base, kind: 'msg', cbytes: 0, qnum: 0, qbytes: 16384, lspid: pid, lrpid: pid, stime: t, rtime: t, ctime: t - 50 });
    const opts = verdictOptions({ minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true });
    return { snap, opts, now, specs: {} } satisfies World;
  });
  run(arb, (w) => {
    for (const [ref, v] of verdicts(w)) assert.equal(v.state, 'live', `${ref}: ${v.reasons.join(' | ')}`);
  }, 150);
});

test('verdicts are deterministic, assessSnapshot agrees with assessObject, and neither changes its inputs', () => {
  run(genWorld(true), (w) => {
    const copy = clone(w);
    const first = verdicts(w);
    const second = verdicts(w);
    assert.ok(isDeepStrictEqual(first, second), 'two runs differ');
    for (const o of allObjects(w.snap)) {
      const one = assessObject(o, w.snap, w.opts, w.now);
      assert.deepEqual(one, first.get(objectRef(o)), objectRef(o));
    }
    assert.ok(isDeepStrictEqual(w, copy), 'the inputs were changed');
  }, 200);
});

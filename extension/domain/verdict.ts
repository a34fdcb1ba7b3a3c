/**
 * Verdicts: what IPC Explorer concludes about each object (live / orphan / unreadable / unknown), with the
 * reasons, the recognised owner and, for orphans, how long nothing has happened to it.
 *
 * Pure: the snapshot (with its process facts), the settings and the clock come in; nothing is read here.
 *
 * The rules, most decisive first:
 * - live: a creator or last-operation pid is alive (and is the same process: a pid that started after the
 *   object's last change cannot be the one that made it; that is pid reuse and is said so), a shm segment
 *   is attached (nattch > 0 or a mapping pid), any semaphore has waiters (ncount / zcount), a message queue's
 *   last sender or receiver is alive. One proof of life is enough, whatever else is unknown.
 * - unreadable: we could not read what we need (EACCES on GETALL/GETPID...): nothing can be proved.
 * - unknown: the facts do not decide it: per-semaphore detail not loaded (waiters unknown), a pid we have
 *   no facts about, a pid alive in another IPC namespace, a SysV set with no recorded pid and no recognised
 *   owner, activity more recent than `recentActivitySeconds`, POSIX objects nobody maps.
 * - orphan: none of the above: no live creator, nothing attached, no waiters, nothing recent.
 *   `recyclable` additionally needs a provable identity (a shm creator pid; a recognised owner such as
 *   PostgreSQL's marker semaphore; or a `trust` rule / `recycleUnrecognized`), no `ignore` rule, a SysV kind
 *   (the guarded primitive only exists for those), a kind the settings allow, and an age of at least
 *   `minOrphanAgeSeconds`.
 * - no waiting for proven owners: when a recogniser proves identity and the owner's death the way the
 *   application itself does before reusing the object (OwnerInfo.proof: PostgreSQL's marker semaphore with
 *   a dead postmaster; its interlock segment's header matching a data directory, nattch 0, creator and
 *   postmaster.pid's postmaster dead), neither `recentActivitySeconds` nor `minOrphanAgeSeconds` applies:
 *   the application would reuse it at once, and nothing else can be using it. Everything else that waits
 *   only for time carries `becomesRecyclableIn`.
 * - a PostgreSQL interlock segment whose dynamic shared memory cannot be removed with it stays
 *   (OwnerInfo.dsm.blocked): removing it alone leaks the DSM files.
 */
import type {
  IpcKind,
  IpcObject,
  IpcSnapshot,
  MsgQueue,
  ObjectRef,
  OwnerInfo,
  PosixSem,
  PosixShm,
  SemSet,
  ShmSegment,
  Verdict,
  VerdictState,
} from '../shared/model';
import { livenessOf, pidReuse } from './processFacts';
import { recognizeOwner } from './recognizers/index';
import type { OwnerEvidence, PidStatus, RecognizerContext } from './recognizers/types';
import { formatDuration, formatTime, isKeyValue, keyOfText } from '../shared/format';

/** Matches objects for `ignore` / `trust` rules. Every field given must match. */
export interface ObjectRule {
  kind?: IpcKind;
  /** exact key (signed 32-bit, as in the model). */
  key?: number;
  /** inclusive key range, compared as unsigned 32-bit (0x00000000..0xffffffff). */
  keyMin?: number;
  keyMax?: number;
  /** owner uid of the object. */
  uid?: number;
  /** a recognised owner app, e.g. 'postgresql'. */
  app?: string;
  /** a note shown in the reasons. */
  note?: string;
}

export interface VerdictOptions {
  /** an orphan becomes recyclable only after this many seconds without activity. Default 60. */
  minOrphanAgeSeconds: number;
  /** activity newer than this keeps an object out of `orphan` (a creator may be mid-setup). Default 10. */
  recentActivitySeconds: number;
  /** objects matching any of these are never recyclable. */
  ignore: ObjectRule[];
  /** orphans matching any of these are recyclable without a recognised owner (the user vouches). */
  trust: ObjectRule[];
  /** allow recycling orphaned sem sets / msg queues that no recogniser claims (their pids are all dead). Default false. */
  recycleUnrecognized: boolean;
  /** kinds recycle may touch. Default all SysV kinds. */
  kinds: IpcKind[];
  /** facts the backend gathered for owner recognition (shm header bytes, data directories). */
  evidence?: OwnerEvidence;
  /**
   * pids of IPC Explorer itself (the process that peeked shm headers read-only): a shm lpid equal to one of
   * these is our own peek, not evidence that an application uses the segment.
   */
  ownPids?: number[];
}

export const DEFAULT_VERDICT_OPTIONS: VerdictOptions = {
  minOrphanAgeSeconds: 60,
  recentActivitySeconds: 10,
  ignore: [],
  trust: [],
  recycleUnrecognized: false,
  kinds: ['sem', 'shm', 'msg'],
};

export function verdictOptions(partial: Partial<VerdictOptions> = {}): VerdictOptions {
  return { ...DEFAULT_VERDICT_OPTIONS, ...partial };
}

/** `sem:32769`, `shm:5`, `msg:3`, `posixSem:/orders`, `posixShm:/cache`. */
export function objectRef(o: IpcObject): ObjectRef {
  switch (o.kind) {
    case 'sem':
    case 'shm':
    case 'msg':
      return `${o.kind}:${o.id}`;
    case 'posixSem':
    case 'posixShm':
      return `${o.kind}:${o.name}`;
  }
}

/** Every object of a snapshot, in a stable order (sem, shm, msg, posixSem, posixShm). */
export function allObjects(s: IpcSnapshot): IpcObject[] {
  return [...s.sems, ...s.shms, ...s.msgs, ...s.posixSems, ...s.posixShms];
}

export function ruleMatches(rule: ObjectRule, o: IpcObject, owner?: OwnerInfo): boolean {
  if (rule.kind !== undefined && rule.kind !== o.kind) return false;
  if (rule.uid !== undefined && rule.uid !== o.uid) return false;
  if (rule.app !== undefined && rule.app !== owner?.app) return false;
  const hasKey = rule.key !== undefined || rule.keyMin !== undefined || rule.keyMax !== undefined;
  if (hasKey) {
    if (!('key' in o)) return false;
    if (rule.key !== undefined && (rule.key | 0) !== (o.key | 0)) return false;
    const k = o.key >>> 0;
    if (rule.keyMin !== undefined && k < rule.keyMin >>> 0) return false;
    if (rule.keyMax !== undefined && k > rule.keyMax >>> 0) return false;
  }
  return true;
}

const RULE_KINDS: readonly IpcKind[] = ['sem', 'shm', 'msg', 'posixSem', 'posixShm'];

/**
 * A rule from settings (user input), validated field by field; undefined when malformed or empty. Keys may be
 * numbers or "0x..." / decimal text.
 */
export function parseObjectRule(raw: unknown): ObjectRule | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const out: ObjectRule = {};
  // a key is signed or unsigned 32-bit, whether written as a number or as text
  const key = (v: unknown): number | undefined =>
    typeof v === 'number' ? (isKeyValue(v) ? v : undefined) : typeof v === 'string' ? keyOfText(v.trim()) : undefined;
  if (r['kind'] !== undefined) {
    if (!RULE_KINDS.includes(r['kind'] as IpcKind)) return undefined;
    out.kind = r['kind'] as IpcKind;
  }
  for (const f of ['key', 'keyMin', 'keyMax'] as const) {
    if (r[f] === undefined) continue;
    const k = key(r[f]);
    if (k === undefined) return undefined;
    out[f] = k;
  }
  if (r['uid'] !== undefined) {
    if (typeof r['uid'] !== 'number' || !Number.isInteger(r['uid']) || r['uid'] < 0) return undefined;
    out.uid = r['uid'];
  }
  if (r['app'] !== undefined) {
    if (typeof r['app'] !== 'string') return undefined;
    out.app = r['app'];
  }
  if (typeof r['note'] === 'string') out.note = r['note'];
  return Object.keys(out).some((k) => k !== 'note') ? out : undefined;
}

/**
 * The liveness of one pid (as the kernel reported it to this reader) as far as this object is concerned:
 * the fact's three answers (alive / dead / unknown), then, for a live pid, whether it can be the process that
 * acted on the object at `refTime` (pid reuse, compared on the boot clock: processFacts.pidReuse), and its IPC
 * namespace.
 */
export function pidStatusIn(snapshot: IpcSnapshot, pid: number, refTime: number): PidStatus {
  const fact = snapshot.processes[pid];
  if (!fact) return { state: 'doubt', pid, why: 'no facts about this pid (liveness unknown)' };
  const l = livenessOf(fact);
  if (l === 'dead') return fact.livenessReason ? { state: 'dead', pid, why: fact.livenessReason } : { state: 'dead', pid };
  if (l === 'unknown') return { state: 'doubt', pid, why: fact.livenessReason ?? 'liveness unknown (the source could not tell)' };
  const r = snapshot.reader;
  const reuse = pidReuse(fact.startBoot, refTime, { offset: r?.clockOffset, error: r?.clockOffsetError });
  if (reuse.answer === 'later') {
    return { state: 'reused', pid, comm: fact.comm, startTime: fact.startTime ?? 0, gapSeconds: reuse.gap, marginSeconds: reuse.margin };
  }
  if (reuse.answer === 'clock-stepped') {
    return {
      state: 'doubt', pid,
      why: `is alive${fact.comm ? ` (${fact.comm})` : ''} and started after the object's time by the realtime clock, but that time is ` +
        `${Math.round(reuse.beforeBoot)} s before this boot on the boot clock: the realtime clock was stepped forward since, ` +
        'so whether it is the original process or a later one reusing the pid cannot be told',
    };
  }
  if (fact.ipcNs && snapshot.ipcNamespace && fact.ipcNs !== snapshot.ipcNamespace) {
    return { state: 'doubt', pid, why: `alive in another IPC namespace (${fact.ipcNs})` };
  }
  return { state: 'alive', pid, comm: fact.comm };
}

/**
 * Why a pid field the kernel reported as 0 decides nothing. pid_vnr() gives 0 for a process that has no pid
 * in the reader's pid namespace (one outside it); in the initial pid namespace every process has a pid, so
 * there a 0 is a field never set.
 */
export function zeroPidReason(snapshot: IpcSnapshot, role: string): string {
  switch (snapshot.reader?.initialPidNs) {
    case false:
      return `${role} pid not visible from this pid namespace (reported as 0): a process outside it, whose liveness cannot be checked from here`;
    case true:
      return `${role} pid reported as 0 although it was set (this reader is in the initial pid namespace, where that does not happen): nothing can be checked`;
    default:
      return `${role} pid reported as 0: a process outside this reader's pid namespace (not visible from here), or never set; which one cannot be told (pid namespace not determined)`;
  }
}

function isoTime(t: number): string {
  return formatTime(t);
}

function describePid(role: string, st: PidStatus, refTime: number): string {
  switch (st.state) {
    case 'alive':
      return `${role} pid ${st.pid}${st.comm ? ` (${st.comm})` : ''} is alive`;
    case 'dead':
      return `${role} pid ${st.pid} is dead${st.why ? ` (${st.why})` : ''}`;
    case 'reused':
      return (
        `${role} pid ${st.pid} is alive${st.comm ? ` (${st.comm})` : ''} but started ` +
        `${st.startTime ? `at ${isoTime(st.startTime)}, ` : ''}${st.gapSeconds !== undefined ? `${Math.round(st.gapSeconds)} s ` : ''}` +
        `after the object's last change at ${isoTime(refTime)}` +
        `${st.marginSeconds !== undefined ? ` (on the boot clock, beyond the ${st.marginSeconds.toFixed(2)} s margin)` : ''}` +
        ': a different process (pid reuse); the original is dead'
      );
    case 'doubt':
      return `${role} pid ${st.pid}: ${st.why}`;
  }
}

/** Collected while assessing one object. */
class Findings {
  live: string[] = [];
  doubt: string[] = [];
  dead: string[] = [];
  notes: string[] = [];
  /** pid evidence that counts towards proving an orphan (a recorded pid that is dead or reused). */
  deadPidEvidence = 0;

  pid(role: string, st: PidStatus, refTime: number): void {
    const text = describePid(role, st, refTime);
    if (st.state === 'alive') this.live.push(text);
    else if (st.state === 'doubt') this.doubt.push(text);
    else {
      this.dead.push(text);
      this.deadPidEvidence++;
    }
  }
}

interface Ctx {
  snapshot: IpcSnapshot;
  opts: VerdictOptions;
  now: number;
  rctx: RecognizerContext;
}

/** The object's last recorded change or operation (seconds): the reference time for pid reuse and recency. */
export function lastActivity(o: IpcObject): number {
  switch (o.kind) {
    case 'sem':
      return Math.max(o.otime, o.ctime);
    case 'shm':
      return Math.max(o.atime, o.dtime, o.ctime);
    case 'msg':
      return Math.max(o.stime, o.rtime, o.ctime);
    case 'posixSem':
    case 'posixShm':
      return o.mtime;
  }
}

/**
 * Pid fields no kernel writes (negative, a fraction, not a number) out of `fields`: a damaged or forged
 * listing, from which nothing about the object's users can be concluded; each one is doubt.
 */
function notPids(f: Findings, fields: ReadonlyArray<readonly [role: string, pid: number]>): void {
  for (const [role, pid] of fields) {
    if (!(Number.isSafeInteger(pid) && pid >= 0)) f.doubt.push(`${role} pid ${pid} is not a pid: the listing is damaged, its users unknown`);
  }
}

function semFindings(s: SemSet, ctx: Ctx, f: Findings): void {
  const err = s.valuesError;
  if (err && (err.code === 'EACCES' || err.code === 'EPERM')) {
    f.doubt.push(
      `cannot read the semaphores (${err.syscall ?? 'semctl'}(${err.op ?? 'GETALL'}): ${err.code})` +
        `${ctx.snapshot.uid !== undefined ? ` as uid ${ctx.snapshot.uid}` : ''}: waiters and last-op pids unknown`,
    );
    return;
  }
  if (err) f.doubt.push(`semaphore detail failed (${err.code}: ${err.message})`);
  if (!s.elems) {
    f.doubt.push('per-semaphore detail (GETNCNT/GETZCNT/GETPID) not loaded: waiters and last-op pids unknown');
    return;
  }
  // a detail cut short (ipcs -s -i stopped between rows on a host) says nothing about the semaphores it lacks
  if (s.elems.length !== s.nsems) {
    f.doubt.push(`per-semaphore detail lists ${s.elems.length} of the set's ${s.nsems} semaphores: waiters and last-op pids of the rest unknown`);
    return;
  }
  notPids(f, s.elems.map((e, i) => [`semaphore ${i} last-op`, e.pid] as const));
  let waiters = 0;
  const waitingOn: number[] = [];
  s.elems.forEach((e, i) => {
    if (e.ncount > 0 || e.zcount > 0) {
      waiters += e.ncount + e.zcount;
      waitingOn.push(i);
    }
  });
  if (waiters > 0) f.live.push(`${waiters} process(es) waiting on semaphore(s) ${waitingOn.join(', ')}`);
  const ref = Math.max(s.otime, s.ctime);
  const pids = [...new Set(s.elems.map((e) => e.pid).filter((p) => p > 0))];
  for (const pid of pids) f.pid('last-op', pidStatusIn(ctx.snapshot, pid, ref), ref);
  // a semaphore's sempid is 0 until a semop/SETVAL/SETALL, and also when the last one came from a process
  // outside the reader's pid namespace: only in the initial pid namespace does 0 mean "never operated on"
  const zero = s.elems.map((e, i) => (e.pid === 0 ? i : -1)).filter((i) => i >= 0);
  if (pids.length === 0) {
    f.notes.push(
      ctx.snapshot.reader?.initialPidNs === true
        ? 'no semaphore has a last-op pid (never operated on since creation)'
        : 'no semaphore shows a last-op pid: never operated on, or only by processes outside this pid namespace',
    );
  } else if (zero.length && ctx.snapshot.reader?.initialPidNs !== true) {
    f.doubt.push(
      `semaphore(s) ${zero.join(', ')} show last-op pid 0: never operated on, or last operated on by a process outside this ` +
        `pid namespace (not visible from here)${ctx.snapshot.reader?.initialPidNs === undefined ? '; the pid namespace was not determined' : ''}`,
    );
  }
}

function shmFindings(m: ShmSegment, ctx: Ctx, f: Findings): void {
  if (m.nattch > 0) f.live.push(`attached ${m.nattch} time(s) (nattch ${m.nattch})`);
  if (m.attachers && m.attachers.length > 0) f.live.push(`mapped by pid(s) ${m.attachers.join(', ')}`);
  if (m.dest) f.notes.push('marked for removal (SHM_DEST): goes away at the last detach');
  notPids(f, [['creator', m.cpid], ['last attach/detach', m.lpid]]);
  // the kernel records a creator for every segment: 0 means one this reader cannot see
  const creator = m.cpid > 0 ? pidStatusIn(ctx.snapshot, m.cpid, m.ctime) : undefined;
  if (creator) f.pid('creator', creator, m.ctime);
  else f.doubt.push(zeroPidReason(ctx.snapshot, 'creator'));
  const lref = Math.max(m.atime, m.dtime, m.ctime);
  // lpid 0 with no attach/detach time: never attached since creation (the kernel sets them together)
  if (m.lpid === 0 && (m.atime > 0 || m.dtime > 0)) f.doubt.push(zeroPidReason(ctx.snapshot, 'last attach/detach'));
  const own = ctx.opts.ownPids?.includes(m.lpid) ?? false;
  if (m.lpid > 0 && m.lpid !== m.cpid && own) f.notes.push(`last attach/detach pid ${m.lpid} is IPC Explorer's own read-only header peek`);
  else if (m.lpid > 0 && !own) {
    // the creator's pid is judged again at the last attach/detach: a process that started after the creation
    // (a later process reusing the pid, so not the creator) may still be the one that attached last
    const last = pidStatusIn(ctx.snapshot, m.lpid, lref);
    if (m.lpid !== m.cpid || last.state !== creator?.state) f.pid('last attach/detach', last, lref);
  }
}

function msgFindings(q: MsgQueue, ctx: Ctx, f: Findings): void {
  notPids(f, [['last sender', q.lspid], ['last receiver', q.lrpid]]);
  // lspid/stime and lrpid/rtime are set together: a 0 pid with its time set is a process we cannot see
  if (q.lspid === 0 && q.stime > 0) f.doubt.push(zeroPidReason(ctx.snapshot, 'last sender'));
  if (q.lrpid === 0 && q.rtime > 0) f.doubt.push(zeroPidReason(ctx.snapshot, 'last receiver'));
  const sender = q.lspid > 0 ? pidStatusIn(ctx.snapshot, q.lspid, Math.max(q.stime, q.ctime)) : undefined;
  if (sender) f.pid('last sender', sender, Math.max(q.stime, q.ctime));
  if (q.lrpid > 0) {
    // the sender's pid is judged again at the last receive: a process that started after the send (a later
    // process reusing the pid, so not the sender) may still be the one that received last
    const receiver = pidStatusIn(ctx.snapshot, q.lrpid, Math.max(q.rtime, q.ctime));
    if (q.lrpid !== q.lspid || receiver.state !== sender?.state) f.pid('last receiver', receiver, Math.max(q.rtime, q.ctime));
  }
  if (q.qnum > 0) f.notes.push(`holds ${q.qnum} message(s), ${q.cbytes} bytes: removing it discards them`);
}

function posixFindings(p: PosixSem | PosixShm, f: Findings): void {
  if (p.attachers === undefined) f.doubt.push('mappings not scanned: users unknown');
  else if (p.attachers.length > 0) f.live.push(`mapped by pid(s) ${p.attachers.join(', ')}`);
  else f.doubt.push('no process maps it, but POSIX objects record no creator and may be meant to persist');
  if (p.kind === 'posixSem' && p.decoded && p.decoded.nwaiters > 0) f.live.push(`${p.decoded.nwaiters} waiter(s) (nwaiters)`);
}

/** Assess one object of `snapshot` (the snapshot carries the process facts). */
export function assessObject(o: IpcObject, snapshot: IpcSnapshot, opts: VerdictOptions, nowSeconds: number): Verdict {
  const rctx: RecognizerContext = {
    snapshot,
    evidence: opts.evidence ?? {},
    pidStatus: (pid, refTime) => pidStatusIn(snapshot, pid, refTime),
  };
  return assessWith(o, { snapshot, opts, now: nowSeconds, rctx });
}

/** A segment whose atime/dtime/lpid our own header peek overwrote, with the values from before it. */
function beforeOwnPeek(m: ShmSegment, opts: VerdictOptions): ShmSegment {
  const b = opts.evidence?.shmBefore?.[m.id];
  if (!b || b.ctime !== m.ctime || !opts.ownPids?.includes(m.lpid)) return m;
  return { ...m, atime: b.atime, dtime: b.dtime, lpid: b.lpid };
}

function assessWith(input: IpcObject, ctx: Ctx): Verdict {
  const o = input.kind === 'shm' ? beforeOwnPeek(input, ctx.opts) : input;
  const ref = objectRef(o);
  const owner = recognizeOwner(o, ctx.rctx);
  const f = new Findings();
  switch (o.kind) {
    case 'sem':
      semFindings(o, ctx, f);
      break;
    case 'shm':
      shmFindings(o, ctx, f);
      break;
    case 'msg':
      msgFindings(o, ctx, f);
      break;
    case 'posixSem':
    case 'posixShm':
      posixFindings(o, f);
      break;
  }
  // A recognised owner's pid (e.g. PostgreSQL's postmaster) counts like a creator.
  let ownerPid: PidStatus | undefined;
  if (owner?.pid && owner.pid > 0) {
    const refTime = o.kind === 'sem' ? Math.max(o.otime, o.ctime) : 'ctime' in o ? o.ctime : 0;
    const st = pidStatusIn(ctx.snapshot, owner.pid, refTime);
    ownerPid = st;
    const already = o.kind === 'shm' && o.cpid === owner.pid;
    if (!already && !(o.kind === 'sem' && o.elems?.some((e) => e.pid === owner.pid))) f.pid(`${owner.app} owner`, st, refTime);
  }

  const last = lastActivity(o);
  const idle = last > 0 ? ctx.now - last : undefined;
  const reasons: string[] = [];
  let state: VerdictState;
  const unreadable = o.kind === 'sem' && (o.valuesError?.code === 'EACCES' || o.valuesError?.code === 'EPERM');
  // identity and the owner's death proven as the application itself proves them: no waiting rules
  const proven = owner?.proof !== undefined && f.live.length === 0 && f.doubt.length === 0 && !unreadable;

  if (f.live.length > 0) {
    state = 'live';
    reasons.push(...f.live, ...f.doubt, ...f.dead);
  } else if (unreadable) {
    state = 'unreadable';
    reasons.push(...f.doubt, 'nothing can be proved without reading it: run as root or as its owner');
  } else if (f.doubt.length > 0) {
    state = 'unknown';
    reasons.push(...f.doubt, ...f.dead);
  } else if ((o.kind === 'sem' || o.kind === 'msg') && f.deadPidEvidence === 0) {
    state = 'unknown';
    reasons.push(
      o.kind === 'sem'
        ? 'a System V semaphore set has no creator pid and none of its semaphores records a last-op pid: no evidence either way'
        : 'no sender or receiver pid recorded: no evidence either way',
    );
  } else if (o.kind === 'shm' && f.deadPidEvidence === 0) {
    state = 'unknown';
    reasons.push('no creator pid recorded: no evidence either way');
  } else if (!proven && idle !== undefined && idle < ctx.opts.recentActivitySeconds) {
    state = 'unknown';
    reasons.push(`last activity ${formatDuration(idle)} ago (within recentActivitySeconds = ${ctx.opts.recentActivitySeconds} s)`, ...f.dead);
  } else {
    state = 'orphan';
    const noAttach = o.kind === 'shm' ? ['nothing attached (nattch 0)'] : [];
    const noWait = o.kind === 'sem' ? ['no waiters'] : [];
    reasons.push(...f.dead, ...noAttach, ...noWait);
    if (idle !== undefined) reasons.push(`no activity for ${formatDuration(idle)} (since ${isoTime(last)})`);
    if (proven) reasons.push(`proven the way PostgreSQL proves it, so no waiting: ${owner!.proof}`);
  }
  reasons.push(...f.notes);
  if (owner) reasons.push(`owner: ${owner.label} [${owner.evidence.join('; ')}]`);

  let recyclable = false;
  let waitFor: number | undefined;
  const other = state === 'orphan' || state === 'unknown' ? recycleBlocker(o, owner, ownerPid, ctx) : undefined;
  if (state === 'orphan') {
    const age = proven ? undefined : ageBlocker(idle, ctx.opts);
    const why = other ?? age;
    if (why) reasons.push(`not recyclable: ${why}`);
    else recyclable = true;
    if (!other && age && idle !== undefined) waitFor = ctx.opts.minOrphanAgeSeconds - idle;
  } else if (state === 'unknown' && !other && idle !== undefined && idle < ctx.opts.recentActivitySeconds && !f.doubt.length && f.deadPidEvidence > 0) {
    // kept only by the recency window (then the minimum age)
    waitFor = Math.max(ctx.opts.recentActivitySeconds, ctx.opts.minOrphanAgeSeconds) - idle;
  }
  const v: Verdict = { ref, state, recyclable, reasons };
  if (owner) v.owner = owner;
  if (state === 'orphan' && idle !== undefined) v.orphanForSeconds = idle;
  if (waitFor !== undefined && waitFor > 0) v.becomesRecyclableIn = Math.ceil(waitFor);
  return v;
}

/** The waiting rule for orphans nothing proves: an age of at least minOrphanAgeSeconds. */
function ageBlocker(idle: number | undefined, opts: VerdictOptions): string | undefined {
  if (idle === undefined || idle < opts.minOrphanAgeSeconds) {
    return `orphaned for ${idle === undefined ? 'an unknown time' : formatDuration(idle)}, less than minOrphanAgeSeconds = ${opts.minOrphanAgeSeconds} s`;
  }
  return undefined;
}

const PROC_READER_REMOVES_NOTHING =
  'read from /proc/sysvipc (no native binding, or System V calls refused to this process), which removes nothing';

/** Why an orphan may not be recycled whatever its age, or undefined when it may. */
function recycleBlocker(
  o: IpcObject,
  owner: OwnerInfo | undefined,
  ownerPid: PidStatus | undefined,
  ctx: Ctx,
): string | undefined {
  const opts = ctx.opts;
  if (o.kind === 'posixSem' || o.kind === 'posixShm') return 'POSIX objects are not recycled (no guarded removal exists for them)';
  // the /proc reader (no binding, or System V calls refused to this process) has no removal at all
  if (ctx.snapshot.source === 'proc') return PROC_READER_REMOVES_NOTHING;
  if (!opts.kinds.includes(o.kind)) return `kind ${o.kind} is not selected for recycling`;
  const ignored = opts.ignore.find((r) => ruleMatches(r, o, owner));
  if (ignored) return `matches an ignore rule${ignored.note ? ` (${ignored.note})` : ''}`;
  if (owner?.dsm?.blocked) {
    return `${owner.dsm.blocked}; the segment stays with its dynamic shared memory (removing it alone would leak the DSM files until reboot); starting PostgreSQL on its data directory cleans up all of them`;
  }
  if (o.kind === 'shm') return pgDsmDoubt(o, owner, ctx); // creator pid recorded and dead, nothing attached
  // e.g. PostgreSQL's marker semaphore names the creating postmaster, and it is dead (or its pid reused)
  if (owner && ownerPid && (ownerPid.state === 'dead' || ownerPid.state === 'reused')) return undefined;
  const trusted = opts.trust.find((r) => ruleMatches(r, o, owner));
  if (trusted) return undefined;
  if (opts.recycleUnrecognized) return undefined;
  return 'no recognised owner proves whose it is (set recycleUnrecognized or add a trust rule to allow it)';
}

/** sizeof(PGShmemHeader) on LP64: the whole SysV segment of PostgreSQL 9.3+ with shared_memory_type = mmap. */
const PG_SHMEM_HEADER_BYTES = 56;

/**
 * A segment whose header was not read (an SSH host, the /proc fallback, a segment that was not peeked) may be
 * a PostgreSQL interlock segment: its dynamic shared memory (/dev/shm/PostgreSQL.<handle>) is cleaned up only
 * through that segment's header when PostgreSQL starts again, so removing the segment alone leaks the files
 * until reboot. Without the header the DSM unit (pgDsm.ts) cannot be formed; the segment stays while /dev/shm
 * holds PostgreSQL.* files of the segment's owner or creator (PostgreSQL creates both as the cluster's user),
 * or while /dev/shm is not fully listed. Off Linux, DSM segments are invisible shm_open objects: a segment of
 * exactly PGShmemHeader's size stays.
 */
function pgDsmDoubt(o: Extract<IpcObject, { kind: 'shm' }>, owner: OwnerInfo | undefined, ctx: Ctx): string | undefined {
  if (owner?.dsm) return undefined; // the unit was formed (its blocked state is handled before)
  const hdr = ctx.rctx.evidence.shmHeaders?.[o.id];
  if (hdr instanceof Uint8Array) return undefined; // the header was read: the recogniser decided
  const snap = ctx.snapshot;
  const cannot = 'its header cannot be read from here';
  if (snap.platform !== 'linux') {
    return o.segsz === PG_SHMEM_HEADER_BYTES
      ? `${cannot} and it has exactly the size of PostgreSQL's shared memory header (${PG_SHMEM_HEADER_BYTES} bytes): it may be a PostgreSQL interlock segment, whose dynamic shared memory (invisible shm_open objects on ${snap.platform}) would leak if it were removed alone`
      : undefined;
  }
  const files = snap.posixShms.filter((f) => /^\/dev\/shm\/PostgreSQL\.\d+$/.test(f.path) && (f.uid === o.uid || f.uid === o.cuid));
  if (files.length) {
    const names = files.slice(0, 3).map((f) => f.path.slice('/dev/shm/'.length)).join(', ');
    return (
      `${cannot}, and /dev/shm holds ${files.length} PostgreSQL DSM file(s) of uid ${files[0]!.uid} (${names}${files.length > 3 ? ', ...' : ''}): ` +
      'it may be the interlock segment of that cluster, and removing it alone would leak them until reboot (PostgreSQL removes them only ' +
      'through the segment\'s header when it starts again on its data directory); start PostgreSQL there, or recycle on the host itself'
    );
  }
  if (snap.devShmIncomplete) {
    return `${cannot}, and /dev/shm is not fully listed (${snap.devShmIncomplete}): PostgreSQL DSM files of its owner may be among the rest, and removing a PostgreSQL interlock segment alone would leak them`;
  }
  return undefined;
}

/** Verdicts for every object of a snapshot. */
export function assessSnapshot(snapshot: IpcSnapshot, opts: VerdictOptions, nowSeconds: number): Map<ObjectRef, Verdict> {
  const rctx: RecognizerContext = {
    snapshot,
    evidence: opts.evidence ?? {},
    pidStatus: (pid, refTime) => pidStatusIn(snapshot, pid, refTime),
  };
  const ctx: Ctx = { snapshot, opts, now: nowSeconds, rctx };
  const out = new Map<ObjectRef, Verdict>();
  for (const o of allObjects(snapshot)) out.set(objectRef(o), assessWith(o, ctx));
  return out;
}

/** Find an object of a snapshot by its ref. */
export function findObject(snapshot: IpcSnapshot, ref: ObjectRef): IpcObject | undefined {
  return allObjects(snapshot).find((o) => objectRef(o) === ref);
}

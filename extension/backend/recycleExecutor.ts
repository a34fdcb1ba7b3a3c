/**
 * Executes a recycle plan, one candidate at a time, never removing on doubt. For each candidate, right
 * before its own removal (not once per run):
 *   1. re-read its header by id (IPC_STAT through `IpcSource.stat`; sources without it re-read one snapshot
 *      per run) and compare every field the plan saw (headerChanges); for a set, its per-semaphore detail
 *      (waiters, last-op pids) through `IpcSource.semDetail`;
 *   2. re-check the liveness of every pid involved (fresh process facts), pid reuse included;
 *   3. for a queue, prove that no process is blocked in msgrcv/msgsnd on it (`IpcSource.taskWaits`);
 *   4. write the intent (object, original mode) to the audit log, then call the guarded primitive
 *      `IpcSource.remove(kind, id, expected)`: IPC_STAT + every check, LOCK (IPC_SET mode 0), the same
 *      checks again (and the blocked-process scan, locally), IPC_RMID or restore + ECHANGED;
 *   5. report removed / refused (why) / failed (errno), and append the outcome to the audit log.
 * A crash between 4 and 5 leaves an intent without an outcome: `pendingLocks` finds the object still locked.
 */
import os from 'node:os';
import { toIpcErrorInfo } from '../domain/errors';
import type { OwnerEvidence } from '../domain/recognizers/types';
import { blockedReason, type QueuePerm } from '../domain/taskWaits';
import type { CallWatch } from './callWatch';
import { applyRemovalMode, buildRecyclePlan, type PlanOptions, type RecycleCandidate, type RecycleOutcome, type RecyclePlan, type RecycleReport } from '../domain/recyclePlan';
import { assessSnapshot, lastActivity, pidStatusIn, verdictOptions, type VerdictOptions } from '../domain/verdict';
import type { IpcKind, IpcObject, IpcSnapshot, ObjectRef, PgDsmUnit, ProcessFact, RemovalExpectation, SemElem, ShmSegment, SysvObject, Verdict } from '../shared/model';
import type { AuditLog, AuditRecord } from './audit';
import type { IpcSource } from './ipcSource';
import type { NativeBinding } from './nativeBinding';
import { nativeBinding } from './nativeLoader';
import { readReaderView } from './procfs';
import { dsmControlHandles, findDataDirs, localProcessFacts, ownPeekAfter, peekable, peekShmHeaders, restorePeekedFields, shmBeforePeek, withDetail } from './ownerEvidence';
import { readDsmFacts, removeDsmUnit, type DsmRemoval } from './pgDsm';

export interface ExecutorDeps {
  source: IpcSource;
  /** fresh facts for pids, read right before each removal. */
  processFacts(pids: number[]): Promise<Record<number, ProcessFact>> | Record<number, ProcessFact>;
  audit?: AuditLog;
  /** pids of IPC Explorer itself (a shm lpid equal to one is our own header peek). */
  ownPids?: number[];
  /** called after each decision (progress in VS Code, tests). */
  onOutcome?(o: RecycleOutcome): void;
  /** called right before the guarded removal of each candidate (tests use it to inject races). */
  beforeRemove?(c: RecycleCandidate): Promise<void> | void;
  /** the atime/dtime/lpid our own header peek left on a segment (default: ownerEvidence's record). */
  ownPeek?(id: number, ctime: number): Pick<ShmSegment, 'atime' | 'dtime' | 'lpid'> | undefined;
  /**
   * removes a PostgreSQL interlock segment's DSM files right before the segment (default: local /dev/shm,
   * pgDsm.removeDsmUnit; other hosts have none, so such a segment is refused).
   */
  removeDsm?(unit: PgDsmUnit): DsmRemoval;
}

/** Header differences between the planned and the re-read object that forbid removal. */
export function headerChanges(planned: SysvObject, now: SysvObject, ownPeek?: Pick<ShmSegment, 'atime' | 'dtime' | 'lpid'>): string[] {
  const out: string[] = [];
  const field = (name: string, a: number, b: number, why: string): void => {
    if (a !== b) out.push(`${name} changed ${a} -> ${b}: ${why}`);
  };
  if (now.kind !== planned.kind) return [`kind changed (${planned.kind} -> ${now.kind})`];
  if (now.key !== planned.key) out.push(`key changed (${planned.key} -> ${now.key}): the id now names another object`);
  if (now.ctime !== planned.ctime) out.push(`ctime changed (${planned.ctime} -> ${now.ctime}): recreated or changed`);
  if (planned.kind === 'sem' && now.kind === 'sem') {
    if (now.otime !== planned.otime) out.push(`sem_otime changed (${planned.otime} -> ${now.otime}): someone operated on the set`);
    if (now.nsems !== planned.nsems) out.push('nsems changed');
  }
  if (planned.kind === 'shm' && now.kind === 'shm') {
    if (now.nattch !== 0) out.push(`now attached (nattch ${now.nattch})`);
    else field('shm nattch', planned.nattch, now.nattch, 'attached since the plan');
    field('shm cpid', planned.cpid, now.cpid, 'another creator');
    // our own read-only header peek (after the plan's snapshot) moved lpid/atime/dtime: accepted only when
    // the segment shows exactly what that peek left (any attach or detach since would show its own values)
    const peek = ownPeek && now.lpid === ownPeek.lpid && now.atime === ownPeek.atime && now.dtime === ownPeek.dtime;
    if (!peek) {
      field('shm lpid', planned.lpid, now.lpid, 'attached or detached since the plan');
      field('shm atime', planned.atime, now.atime, 'attached since the plan');
      field('shm dtime', planned.dtime, now.dtime, 'detached since the plan');
    }
  }
  if (planned.kind === 'msg' && now.kind === 'msg') {
    field('msg qnum', planned.qnum, now.qnum, 'messages sent or received since the plan');
    field('msg cbytes', planned.cbytes, now.cbytes, 'messages sent or received since the plan');
    field('msg lspid', planned.lspid, now.lspid, 'a new sender');
    field('msg lrpid', planned.lrpid, now.lrpid, 'a new receiver');
    field('msg stime', planned.stime, now.stime, 'a message was sent since the plan');
    field('msg rtime', planned.rtime, now.rtime, 'a message was received since the plan');
  }
  return out;
}

/** Per-semaphore differences that forbid removal: waiters, or a last-op pid not in the plan. */
export function elemChanges(planned: SemElem[] | undefined, now: SemElem[]): string[] {
  const out: string[] = [];
  const waiting = now.filter((e) => e.ncount > 0 || e.zcount > 0).length;
  if (waiting) out.push(`${waiting} semaphore(s) now have waiters`);
  if (!planned) out.push('no planned per-semaphore detail to compare with');
  else if (planned.length !== now.length) out.push('number of semaphores changed');
  else {
    const moved = now.map((e, i) => (e.pid !== planned[i].pid ? i : -1)).filter((i) => i >= 0);
    if (moved.length) out.push(`new last-op pid on semaphore(s) ${moved.join(', ')} (${[...new Set(moved.map((i) => now[i].pid))].join(', ')})`);
  }
  return out;
}

/**
 * A pid is dead only when proven: liveness 'dead', or (facts without a liveness answer) alive false and no
 * read error. Anything else (alive, unknown, missing) keeps the object.
 */
export function provenDead(fact: ProcessFact | undefined): boolean {
  if (!fact) return false;
  if (fact.liveness !== undefined) return fact.liveness === 'dead';
  return fact.alive === false && !fact.error;
}

let journalSeq = 0;

export async function executeRecyclePlan(plan: RecyclePlan, deps: ExecutorDeps): Promise<RecycleReport> {
  const report: RecycleReport = { host: plan.host, outcomes: [], removed: 0, refused: 0, failed: 0 };
  if (deps.audit) report.auditPath = deps.audit.path;
  const hostname = os.hostname();
  const uid = process.geteuid ? process.geteuid() : -1;
  const source = deps.source;
  const ownPeek = deps.ownPeek ?? (source.host === 'local' ? ownPeekAfter : undefined);
  // sources without a per-object read: one snapshot for the run (the remote removal re-checks on the host)
  let runSnapshot: IpcSnapshot | undefined;
  let runSnapshotError: string | undefined;
  if (plan.candidates.length && !source.stat) {
    try {
      runSnapshot = await source.snapshot();
    } catch (e) {
      runSnapshotError = toIpcErrorInfo(e).message;
    }
  }
  const base: Pick<AuditRecord, 'host' | 'hostname' | 'uid' | 'pid'> = { host: plan.host, hostname, uid, pid: process.pid };
  const writeAudit = (rec: AuditRecord): string | undefined => {
    if (!deps.audit) return undefined;
    try {
      deps.audit.append(rec);
      return undefined;
    } catch (e) {
      return `audit log write failed: ${toIpcErrorInfo(e).message}`;
    }
  };

  const removeDsm = deps.removeDsm ?? (deps.source.host === 'local' ? (u: PgDsmUnit) => removeDsmUnit(u) : undefined);
  let dsmDone: DsmRemoval | undefined;
  const decide = (c: RecycleCandidate, action: RecycleOutcome['action'], reasons: string[], record: IpcObject, code?: string, txn?: string): void => {
    const d = dsmDone;
    dsmDone = undefined;
    if (d && !d.refused && d.removed.length) reasons = [...reasons, `PostgreSQL DSM files removed first: ${d.removed.join(', ')}`];
    const o: RecycleOutcome = { ref: c.ref, kind: c.kind, id: c.id, key: c.key, action, reasons };
    if (code) o.code = code;
    if (d) o.dsm = { removed: d.removed, remaining: d.remaining, gone: d.gone };
    report.outcomes.push(o);
    report[action]++;
    if (deps.audit) {
      const v = c.verdict;
      const verdict: AuditRecord['verdict'] = { state: v.state, reasons: v.reasons };
      if (v.owner) verdict.owner = v.owner;
      if (v.orphanForSeconds !== undefined) verdict.orphanForSeconds = v.orphanForSeconds;
      const rec: AuditRecord = { time: new Date().toISOString(), ...base, action, ref: c.ref, reasons, verdict, object: record };
      if (code) rec.code = code;
      if (plan.removal) rec.removalMode = plan.removal.mode;
      if (txn) rec.txn = txn;
      const bad = writeAudit(rec);
      if (bad) o.reasons = [...o.reasons, bad];
    }
    deps.onOutcome?.(o);
  };

  for (const c of plan.candidates) {
    let record: SysvObject = c.object;
    let txn: string | undefined;
    let watch: Extract<CallWatch, { ok: true }> | undefined;
    try {
      // 1. re-read this object now
      let now: SysvObject | undefined;
      if (source.stat) {
        try {
          now = await source.stat(c.kind, c.id);
        } catch (e) {
          const info = toIpcErrorInfo(e);
          if (info.code === 'EIDRM' || info.code === 'EINVAL') {
            decide(c, 'refused', ['gone since the plan (removed by someone else)'], record, info.code);
          } else decide(c, 'refused', [`could not re-read the object: ${info.message}`], record, info.code ?? 'EUNKNOWN');
          continue;
        }
      } else {
        if (!runSnapshot) {
          decide(c, 'refused', [`could not re-read the objects: ${runSnapshotError ?? 'unknown error'}`], record, 'EUNKNOWN');
          continue;
        }
        const list: SysvObject[] = c.kind === 'sem' ? runSnapshot.sems : c.kind === 'shm' ? runSnapshot.shms : runSnapshot.msgs;
        now = list.find((o) => o.id === c.id);
        if (!now) {
          decide(c, 'refused', ['gone since the plan (removed by someone else)'], record, 'EIDRM');
          continue;
        }
      }
      record = now;
      const peek = c.kind === 'shm' ? ownPeek?.(c.id, c.object.ctime) : undefined;
      const hdr = headerChanges(c.object, now, peek);
      if (hdr.length) {
        decide(c, 'refused', hdr, record, 'ECHANGED');
        continue;
      }
      // 1b. per-semaphore detail right before
      if (c.kind === 'sem') {
        const d = (await source.semDetail([c.id])).get(c.id);
        if (!d || !Array.isArray(d)) {
          const info = d && !Array.isArray(d) ? d : undefined;
          const gone = info && (info.code === 'EIDRM' || info.code === 'EINVAL');
          decide(c, 'refused', [gone ? 'gone since the plan (removed by someone else)' : `cannot re-read the semaphores: ${info?.message ?? 'no detail'}`], record, info?.code ?? 'EUNKNOWN');
          continue;
        }
        record = { ...(now as Extract<SysvObject, { kind: 'sem' }>), elems: d, values: d.map((e) => e.semval) };
        const ch = elemChanges(c.object.kind === 'sem' ? c.object.elems : undefined, d);
        if (ch.length) {
          decide(c, 'refused', ch, record, 'ECHANGED');
          continue;
        }
      }
      // 2. liveness of every pid involved, right now
      const facts = await deps.processFacts(c.pids);
      const probe: IpcSnapshot = { ...emptySnapshot(plan.host), processes: facts };
      // the reader's view (pid namespace, hidepid, realtime - boottime) words the reasons and decides pid reuse
      const reader = (source.host === 'local' && !source.probeProcesses) || source.localProcesses ? readReaderView() : runSnapshot?.reader;
      if (reader) probe.reader = reader;
      const ns = plan.ipcNamespace ?? runSnapshot?.ipcNamespace;
      if (ns) probe.ipcNamespace = ns;
      const ref = lastActivity(c.object); // planned times: our own header peek may have moved atime/dtime since
      const alive = c.pids
        .map((p) => ({ p, st: pidStatusIn(probe, p, ref) }))
        .filter(({ p, st }) => st.state === 'alive' || st.state === 'doubt' || (st.state === 'dead' && !provenDead(facts[p])))
        .map(({ p, st }) =>
          st.state === 'doubt' ? `pid ${st.pid}: ${st.why}` : st.state === 'alive' ? `pid ${st.pid}${st.comm ? ` (${st.comm})` : ''} is alive now` : `pid ${p}: not proven dead (${facts[p]?.livenessReason ?? facts[p]?.error?.message ?? 'unknown'})`,
        );
      if (alive.length) {
        decide(c, 'refused', alive, record, 'ECHANGED');
        continue;
      }
      // 3. a queue: nobody blocked in msgrcv/msgsnd on it (no trace in the header)
      let check: ((phase: 'beforeLock' | 'afterLock') => string) | undefined;
      if (c.kind === 'msg' && !source.removeChecksWaits) {
        const scan = source.taskWaits?.() ?? { ok: false as const, why: `${plan.host} offers no list of blocked processes` };
        const why = blockedReason(scan, 'msg', c.id);
        if (why) {
          decide(c, 'refused', [why], record, 'ECHANGED');
          continue;
        }
        check = queueFence(source, c.id, now as Extract<SysvObject, { kind: 'msg' }>, (w) => (watch = w));
      }
      await deps.beforeRemove?.(c);
      // 2b. a PostgreSQL interlock segment goes only with its DSM files, and after them (see pgDsm.ts)
      const dsm = c.kind === 'shm' ? c.verdict.owner?.dsm : undefined;
      if (dsm && (dsm.segments.length || dsm.control)) {
        if (!removeDsm) {
          decide(c, 'refused', ['its PostgreSQL DSM files cannot be removed from here; the segment stays with them'], record, 'ENOTSUP');
          continue;
        }
        dsmDone = removeDsm(dsm);
        if (dsmDone.refused) {
          const left = dsmDone.remaining.length ? `; still there: ${dsmDone.remaining.join(', ')}` : '';
          const done = dsmDone.removed.length ? `; already removed: ${dsmDone.removed.join(', ')}` : '';
          decide(c, 'refused', [`PostgreSQL DSM: ${dsmDone.refused}${done}${left}; the segment stays so that PostgreSQL can clean up the rest through its header`], record, dsmDone.code);
          continue;
        }
      }
      // 4. intent, then the guarded primitive: IPC_STAT + checks, lock (IPC_SET mode 0), re-verify, IPC_RMID
      const expected = expectedNow(c, now);
      txn = `${process.pid}-${Date.now().toString(36)}-${++journalSeq}`;
      // the journal is for the lock: an unlocked removal (an SSH host's check-then-ipcrm) takes none
      if (deps.audit && plan.removal?.mode !== 'unlocked') {
        const bad = writeAudit({
          time: new Date().toISOString(), ...base, action: 'intent', ref: c.ref, reasons: ['locking (IPC_SET mode 0) to verify and remove'],
          verdict: { state: c.verdict.state, reasons: c.verdict.reasons }, object: now, txn,
          lock: { kind: c.kind, id: c.id, key: now.key, ctime: now.ctime, mode: now.mode & 0o777, uid: now.uid, gid: now.gid },
          ...(plan.removal ? { removalMode: plan.removal.mode } : {}),
        });
        if (bad) {
          decide(c, 'refused', [`${bad}: not locking an object whose lock could not be journaled`], record, 'EIO');
          continue;
        }
      }
      await source.remove(c.kind, c.id, expected, check ? { check } : {});
      decide(c, 'removed', c.verdict.reasons, record, undefined, txn);
    } catch (e) {
      const info = toIpcErrorInfo(e);
      if (info.code === 'ECHANGED') decide(c, 'refused', [info.message], record, info.code, txn);
      else if (info.code === 'EIDRM' || info.code === 'EINVAL') decide(c, 'refused', [`gone since the plan: ${info.message}`], record, info.code, txn);
      else decide(c, 'failed', [info.hint ? `${info.message} - ${info.hint}` : info.message], record, info.code, txn);
    } finally {
      watch?.close();
    }
  }
  return report;
}

/**
 * The check a queue's guarded removal runs right before its lock and under it, right before IPC_RMID.
 * IPC_SET on a queue wakes every process sleeping in msgrcv/msgsnd on it so it re-checks its permission
 * (ipc/msg.c expunge_all(-EAGAIN), ss_wakeup), and a non-root one then fails with EACCES; the woken process
 * leaves no trace. So the lock must never meet a waiter:
 * - before the lock: start counting msgrcv/msgsnd calls on the queue (callWatch), then scan every task: none
 *   is asleep in msgrcv/msgsnd on it, and every task that could use it was seen asleep elsewhere (not on its
 *   way into the call, entered before the counter) and runs 64-bit code (compat calls are not traced). From
 *   the counter on, a process can only start waiting by entering msgrcv/msgsnd, which counts;
 * - under the lock (after the RCU grace period): the same scan (a root process, which the lock does not fence,
 *   re-waits after the wake-up and shows there), then the count must still be 0. A count above 0 means someone
 *   called msgrcv/msgsnd on the queue meanwhile, before the lock (it was woken: EACCES, or it re-waits as
 *   root) or after it (a non-root newcomer got EACCES at once): the removal is refused, the mode restored.
 */
function queueFence(source: IpcSource, id: number, q: Extract<SysvObject, { kind: 'msg' }>, started: (w: Extract<CallWatch, { ok: true }>) => void): (phase: 'beforeLock' | 'afterLock') => string {
  const fence: QueuePerm = { uid: q.uid, gid: q.gid, cuid: q.cuid, cgid: q.cgid, mode: q.mode & 0o777 };
  let watch: Extract<CallWatch, { ok: true }> | undefined;
  return (phase) => {
    if (phase === 'beforeLock') {
      const w = source.watchQueueCalls?.(id) ?? { ok: false as const, why: `${source.host} cannot count msgrcv/msgsnd calls` };
      if (!w.ok) return `cannot prove that no process starts waiting on it while it is locked: ${w.why}`;
      watch = w;
      started(w);
    }
    const why = blockedReason(source.taskWaits!({ fence }), 'msg', id);
    if (why) return why;
    if (phase === 'afterLock') {
      const n = watch?.count() ?? -1;
      if (n < 0) return 'cannot prove that no process started waiting on it while it was locked: the msgrcv/msgsnd counter did not count the whole time';
      if (n > 0) {
        return (
          `${n} msgrcv/msgsnd call(s) on it since the last scan: a process may have been waiting on it when the lock woke it ` +
          '(IPC_SET wakes every waiter; a non-root one then gets EACCES)'
        );
      }
    }
    return '';
  };
}

/** A snapshot shell for the liveness helper when no run snapshot exists (only `processes` matters there). */
function emptySnapshot(host: string): IpcSnapshot {
  return {
    version: 1, host, platform: 'linux', source: 'native', takenAt: Date.now(), sems: [], shms: [], msgs: [], posixSems: [], posixShms: [],
    errors: [], limits: {} as IpcSnapshot['limits'], usage: {} as IpcSnapshot['usage'], processes: {}, warnings: [],
  };
}

/**
 * The expectation handed to the primitive: the plan's, with the shm fields our own header peek moved taken
 * from the re-read (headerChanges accepted them only as exactly what the peek left).
 */
function expectedNow(c: RecycleCandidate, now: SysvObject): RemovalExpectation {
  const e: RemovalExpectation = { ...c.expected };
  if (now.kind === 'shm' && e.lpid !== undefined) {
    e.lpid = now.lpid;
    e.atime = now.atime;
    e.dtime = now.dtime;
  }
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// Planning glue shared by the CLI and VS Code: snapshot -> detail + facts + owner evidence -> verdicts -> plan.
// ---------------------------------------------------------------------------------------------------------

export interface PlanRequest {
  verdict?: Partial<VerdictOptions>;
  /** PostgreSQL data directories the user names (in addition to running postgres processes' -D). */
  dataDirs?: string[];
  kinds?: IpcKind[];
  refs?: ObjectRef[];
  /** seconds since the epoch; default now. */
  now?: number;
  /** the native binding for shm header peeks (local only); default: load it when the source is local. */
  binding?: NativeBinding | null;
}

export interface PreparedRecycle {
  snapshot: IpcSnapshot;
  verdicts: Map<ObjectRef, Verdict>;
  plan: RecyclePlan;
  options: VerdictOptions;
  /** fresh facts for pids, as the executor needs them for this source. */
  processFacts(pids: number[]): Promise<Record<number, ProcessFact>>;
}

/** Facts for pids: local /proc for the local source; for others, the facts a fresh snapshot carries. */
export function processFactsFor(source: IpcSource): (pids: number[]) => Promise<Record<number, ProcessFact>> {
  if ((source.host === 'local' && !source.probeProcesses) || source.localProcesses) return async (pids) => localProcessFacts(pids);
  return async (pids) => {
    const s = await source.snapshot();
    const out: Record<number, ProcessFact> = {};
    for (const p of pids) if (s.processes[p]) out[p] = s.processes[p];
    return out;
  };
}

export async function prepareRecycle(source: IpcSource, req: PlanRequest = {}): Promise<PreparedRecycle> {
  const processFacts = processFactsFor(source);
  const base = await source.snapshot();
  const local = source.host === 'local';
  // header peeks (and their pre-peek fields) are this machine's: a remote segment with the same id is another one
  const snapshot = await withDetail(source, local ? restorePeekedFields(base) : base, { processFacts });
  const evidence: OwnerEvidence = {};
  if (source.host === 'local') {
    const binding = req.binding === undefined ? nativeBinding().binding : (req.binding ?? undefined);
    // peek after the snapshot: the snapshot keeps the segments' pre-peek atime/dtime/lpid
    if (binding) {
      evidence.shmHeaders = peekShmHeaders(binding, snapshot.shms, 4096, peekable(snapshot));
      evidence.shmBefore = shmBeforePeek();
    }
    evidence.dataDirs = findDataDirs(req.dataDirs ?? []);
    if (evidence.shmHeaders) evidence.pgDsm = readDsmFacts(dsmControlHandles(evidence.shmHeaders), evidence.dataDirs);
  }
  const options = verdictOptions({ ...req.verdict, evidence, ownPids: local ? [process.pid] : [] });
  const now = req.now ?? Math.floor(Date.now() / 1000);
  const verdicts = assessSnapshot(snapshot, options, now);
  const planOpts: PlanOptions = {};
  if (req.kinds) planOpts.kinds = req.kinds;
  if (req.refs) planOpts.refs = req.refs;
  // who is blocked in msgrcv/msgsnd (no trace in a queue's header): scanned once for the plan, again per queue
  if (source.removeChecksWaits) planOpts.waitsCheckedAtRemoval = true;
  else if (snapshot.msgs.length && source.taskWaits) planOpts.waits = source.taskWaits();
  const plan = buildRecyclePlan(snapshot, verdicts, now, planOpts);
  const removal = await source.removalMode?.();
  if (removal) applyRemovalMode(plan, removal);
  return { snapshot, verdicts, plan, options, processFacts };
}

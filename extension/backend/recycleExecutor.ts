/**
 * Executes a recycle plan, one candidate at a time, never removing on doubt:
 *   1. re-read: a fresh snapshot at the start (header fields: key, ctime, otime, nattch, cpid/lpid,
 *      lspid/lrpid...), then right before each set's removal its per-semaphore detail (waiters, last-op
 *      pids) through `IpcSource.semDetail`;
 *   2. re-check the liveness of every pid involved (fresh process facts), pid reuse included;
 *   3. remove through the guarded primitive `IpcSource.remove(kind, id, expected)`, which repeats the
 *      IPC_STAT (+ GETPID/GETNCNT/GETZCNT) checks immediately before IPC_RMID;
 *   4. report removed / refused (why) / failed (errno), and append every decision to the audit log.
 */
import os from 'node:os';
import { toIpcErrorInfo } from '../domain/errors';
import type { OwnerEvidence } from '../domain/recognizers/types';
import { buildRecyclePlan, type PlanOptions, type RecycleCandidate, type RecycleOutcome, type RecyclePlan, type RecycleReport } from '../domain/recyclePlan';
import { assessSnapshot, lastActivity, pidStatusIn, verdictOptions, type VerdictOptions } from '../domain/verdict';
import type { IpcKind, IpcObject, IpcSnapshot, ObjectRef, ProcessFact, SemElem, SysvObject, Verdict } from '../shared/model';
import type { AuditLog } from './audit';
import type { IpcSource } from './ipcSource';
import { nativeBinding, type NativeBinding } from './nativeBinding';
import { findDataDirs, localProcessFacts, peekShmHeaders, restorePeekedFields, shmBeforePeek, withDetail } from './ownerEvidence';

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
}

function find(s: IpcSnapshot, c: RecycleCandidate): SysvObject | undefined {
  const list: SysvObject[] = c.kind === 'sem' ? s.sems : c.kind === 'shm' ? s.shms : s.msgs;
  return list.find((o) => o.id === c.id);
}

/** Header differences between the planned and the re-read object that forbid removal. */
export function headerChanges(planned: SysvObject, now: SysvObject, ownPids: number[] = []): string[] {
  const out: string[] = [];
  if (now.key !== planned.key) out.push(`key changed (${planned.key} -> ${now.key}): the id now names another object`);
  if (now.ctime !== planned.ctime) out.push(`ctime changed (${planned.ctime} -> ${now.ctime}): recreated or changed`);
  if (planned.kind === 'sem' && now.kind === 'sem') {
    if (now.otime !== planned.otime) out.push(`sem_otime changed (${planned.otime} -> ${now.otime}): someone operated on the set`);
    if (now.nsems !== planned.nsems) out.push('nsems changed');
  }
  if (planned.kind === 'shm' && now.kind === 'shm') {
    if (now.nattch !== 0) out.push(`now attached (nattch ${now.nattch})`);
    if (now.cpid !== planned.cpid) out.push(`creator pid changed (${planned.cpid} -> ${now.cpid})`);
    if (now.lpid !== planned.lpid && !ownPids.includes(now.lpid)) out.push(`new last attach/detach pid ${now.lpid}`);
  }
  if (planned.kind === 'msg' && now.kind === 'msg') {
    if (now.lspid !== planned.lspid || now.stime !== planned.stime) out.push(`new send (pid ${now.lspid})`);
    if (now.lrpid !== planned.lrpid || now.rtime !== planned.rtime) out.push(`new receive (pid ${now.lrpid})`);
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

export async function executeRecyclePlan(plan: RecyclePlan, deps: ExecutorDeps): Promise<RecycleReport> {
  const report: RecycleReport = { host: plan.host, outcomes: [], removed: 0, refused: 0, failed: 0 };
  if (deps.audit) report.auditPath = deps.audit.path;
  const own = deps.ownPids ?? [process.pid];
  const hostname = os.hostname();
  const uid = process.geteuid ? process.geteuid() : -1;
  let fresh: IpcSnapshot | undefined;
  let freshError: string | undefined;
  if (plan.candidates.length) {
    try {
      fresh = await deps.source.snapshot();
    } catch (e) {
      freshError = toIpcErrorInfo(e).message;
    }
  }

  const decide = (c: RecycleCandidate, action: RecycleOutcome['action'], reasons: string[], record: IpcObject, code?: string): void => {
    const o: RecycleOutcome = { ref: c.ref, kind: c.kind, id: c.id, key: c.key, action, reasons };
    if (code) o.code = code;
    report.outcomes.push(o);
    report[action]++;
    if (deps.audit) {
      const v = c.verdict;
      const verdict: NonNullable<Parameters<AuditLog['append']>[0]['verdict']> = { state: v.state, reasons: v.reasons };
      if (v.owner) verdict.owner = v.owner;
      if (v.orphanForSeconds !== undefined) verdict.orphanForSeconds = v.orphanForSeconds;
      const rec: Parameters<AuditLog['append']>[0] = {
        time: new Date().toISOString(), host: plan.host, hostname, uid, pid: process.pid, action, ref: c.ref, reasons, verdict, object: record,
      };
      if (code) rec.code = code;
      if (plan.removal) rec.removalMode = plan.removal.mode;
      try {
        deps.audit.append(rec);
      } catch (e) {
        o.reasons = [...o.reasons, `audit log write failed: ${toIpcErrorInfo(e).message}`];
      }
    }
    deps.onOutcome?.(o);
  };

  for (const c of plan.candidates) {
    let record: SysvObject = c.object;
    try {
      // 1. re-read the header
      if (!fresh) {
        decide(c, 'refused', [`could not re-read the objects: ${freshError ?? 'unknown error'}`], record, 'EUNKNOWN');
        continue;
      }
      const now = find(fresh, c);
      if (!now) {
        decide(c, 'refused', ['gone since the plan (removed by someone else)'], record, 'EIDRM');
        continue;
      }
      record = now;
      const hdr = headerChanges(c.object, now, own);
      if (hdr.length) {
        decide(c, 'refused', hdr, record, 'ECHANGED');
        continue;
      }
      // 1b. per-semaphore detail right before
      if (c.kind === 'sem') {
        const d = (await deps.source.semDetail([c.id])).get(c.id);
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
      const probe: IpcSnapshot = { ...fresh, processes: facts };
      const ref = lastActivity(c.object); // planned times: our own header peek may have moved atime/dtime since
      const alive = c.pids
        .map((p) => pidStatusIn(probe, p, ref))
        .filter((st) => st.state === 'alive' || st.state === 'doubt')
        .map((st) => (st.state === 'doubt' ? `pid ${st.pid}: ${st.why}` : `pid ${st.pid}${st.comm ? ` (${st.comm})` : ''} is alive now`));
      if (alive.length) {
        decide(c, 'refused', alive, record, 'ECHANGED');
        continue;
      }
      await deps.beforeRemove?.(c);
      // 3. the guarded primitive: IPC_STAT + checks, lock (IPC_SET mode 0), re-verify, IPC_RMID (or restore + ECHANGED)
      await deps.source.remove(c.kind, c.id, c.expected);
      decide(c, 'removed', c.verdict.reasons, record);
    } catch (e) {
      const info = toIpcErrorInfo(e);
      if (info.code === 'ECHANGED') decide(c, 'refused', [info.message], record, info.code);
      else if (info.code === 'EIDRM' || info.code === 'EINVAL') decide(c, 'refused', [`gone since the plan: ${info.message}`], record, info.code);
      else decide(c, 'failed', [info.hint ? `${info.message} - ${info.hint}` : info.message], record, info.code);
    }
  }
  return report;
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
  if (source.host === 'local') return async (pids) => localProcessFacts(pids);
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
  const snapshot = await withDetail(source, restorePeekedFields(base), { processFacts });
  const evidence: OwnerEvidence = {};
  if (source.host === 'local') {
    const binding = req.binding === undefined ? nativeBinding().binding : (req.binding ?? undefined);
    // peek after the snapshot: the snapshot keeps the segments' pre-peek atime/dtime/lpid
    if (binding) {
      evidence.shmHeaders = peekShmHeaders(binding, snapshot.shms);
      evidence.shmBefore = shmBeforePeek();
    }
    evidence.dataDirs = findDataDirs(req.dataDirs ?? []);
  }
  const options = verdictOptions({ ...req.verdict, evidence, ownPids: [process.pid] });
  const now = req.now ?? Math.floor(Date.now() / 1000);
  const verdicts = assessSnapshot(snapshot, options, now);
  const planOpts: PlanOptions = {};
  if (req.kinds) planOpts.kinds = req.kinds;
  if (req.refs) planOpts.refs = req.refs;
  const plan = buildRecyclePlan(snapshot, verdicts, now, planOpts);
  const removal = await source.removalMode?.();
  if (removal) plan.removal = removal;
  return { snapshot, verdicts, plan, options, processFacts };
}

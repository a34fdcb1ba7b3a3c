/**
 * The recycle plan: which objects would be removed (each with its verdict, reasons and the expectation the
 * guarded removal re-checks immediately before IPC_RMID), what stays and why, what it frees, and a readable
 * report. Pure: a snapshot and its verdicts in, data out.
 */
import type {
  IpcKind,
  IpcObject,
  IpcSnapshot,
  ObjectRef,
  RemovalExpectation,
  RemovalMode,
  SysvKind,
  SysvObject,
  Verdict,
} from '../shared/model';
import { MSG_ACTIVITY_FIELDS, SHM_ACTIVITY_FIELDS } from '../shared/model';
import { blockedReason, type TaskWaits } from './taskWaits';
import { allObjects, objectRef } from './verdict';
import { formatBytesExact, formatDuration, formatTimestamp } from '../shared/format';

export interface RecycleCandidate {
  ref: ObjectRef;
  kind: SysvKind;
  id: number;
  key: number;
  /** the object's full record as planned (goes to the audit log). */
  object: SysvObject;
  verdict: Verdict;
  /** what the guarded removal re-checks right before IPC_RMID. */
  expected: RemovalExpectation;
  /** pids whose liveness is re-checked right before removal (creator, last-op, owner). */
  pids: number[];
}

export interface RecycleStay {
  ref: ObjectRef;
  kind: IpcKind;
  id?: number;
  name?: string;
  key?: number;
  verdict: Verdict;
  /** the decisive reason it stays. */
  why: string;
  /** only waiting keeps it: it becomes recyclable in this many seconds if nothing happens to it. */
  becomesRecyclableIn?: number;
}

/** Objects that only the waiting rules keep (recentActivitySeconds / minOrphanAgeSeconds). */
export interface RecycleWaiting {
  /** how many, per kind. */
  count: number;
  byKind: Partial<Record<SysvKind, number>>;
  /** seconds until the first and the last of them becomes recyclable. */
  minSeconds: number;
  maxSeconds: number;
  /** some are kept by the recency window (proceeding now needs --recent 0 as well). */
  recency: boolean;
}

export interface RecycleFrees {
  semSets: number;
  semaphores: number;
  shmSegments: number;
  shmBytes: number;
  msgQueues: number;
  /** PostgreSQL DSM files removed with their interlock segments (/dev/shm/PostgreSQL.*), and their bytes. */
  dsmFiles: number;
  dsmBytes: number;
}

export interface RecyclePlan {
  host: string;
  /** seconds since the epoch when the plan was made. */
  now: number;
  /** uid that will remove (snapshot.uid), when known. */
  uid?: number;
  /** `ipc:[inode]` the plan's snapshot listed (a pid alive in another IPC namespace is doubt, not dead). */
  ipcNamespace?: string;
  candidates: RecycleCandidate[];
  stays: RecycleStay[];
  frees: RecycleFrees;
  /** counts by state over the objects considered. */
  counts: Record<Verdict['state'], number>;
  /** how the source will remove (locked / unlocked check-then-ipcrm), when the source says. */
  removal?: RemovalMode;
  /** stays that only waiting keeps, when there are any. */
  waiting?: RecycleWaiting;
}

export interface PlanOptions {
  /** only these kinds are considered (default all). */
  kinds?: IpcKind[];
  /** only these objects are considered (the tree's "Recycle" on one object). */
  refs?: ObjectRef[];
  /**
   * Who is blocked in msgrcv/msgsnd right now (a scan of the host's tasks), or undefined when this host cannot
   * tell: then no queue is removed (a blocked server leaves no trace in the queue's header).
   */
  waits?: TaskWaits;
  /**
   * the source's removal itself proves no process is blocked on a queue (SSH scripts): `waits` not needed;
   * when given and readable, a task they show blocked on a queue still keeps it.
   */
  waitsCheckedAtRemoval?: boolean;
}

const SYSV: readonly string[] = ['sem', 'shm', 'msg'];

function isSysv(o: IpcObject): o is SysvObject {
  return SYSV.includes(o.kind);
}

/**
 * The expectation the guarded primitive checks before and again after its lock: everything the plan saw
 * that activity would change (sem: otime, waiters, every sempid; shm: nattch, cpid, lpid, atime, dtime;
 * msg: qnum, cbytes, lspid, lrpid, stime, rtime), plus key and ctime (the same object).
 */
export function expectationFor(o: SysvObject): RemovalExpectation {
  const e: RemovalExpectation = { key: o.key, ctime: o.ctime };
  if (o.kind === 'shm') {
    e.nattchZero = true;
    for (const f of SHM_ACTIVITY_FIELDS) e[f] = o[f];
  }
  if (o.kind === 'sem') {
    e.noWaiters = true;
    e.otime = o.otime;
    if (o.elems) e.semPids = o.elems.map((x) => x.pid);
  }
  if (o.kind === 'msg') for (const f of MSG_ACTIVITY_FIELDS) e[f] = o[f];
  return e;
}

/** Pids whose liveness must be re-checked right before removing this object. */
export function pidsToRecheck(o: SysvObject, v: Verdict): number[] {
  const s = new Set<number>();
  if (o.kind === 'sem') for (const e of o.elems ?? []) if (e.pid > 0) s.add(e.pid);
  if (o.kind === 'shm') {
    if (o.cpid > 0) s.add(o.cpid);
    if (o.lpid > 0) s.add(o.lpid);
  }
  if (o.kind === 'msg') {
    if (o.lspid > 0) s.add(o.lspid);
    if (o.lrpid > 0) s.add(o.lrpid);
  }
  if (v.owner?.pid && v.owner.pid > 0) s.add(v.owner.pid);
  return [...s].sort((a, b) => a - b);
}

/** True when the uid may IPC_RMID the object (owner, creator or root). Unknown uid: assume yes, the kernel decides. */
export function mayRemove(o: SysvObject, uid: number | undefined): boolean {
  if (uid === undefined || uid < 0 || uid === 0) return true;
  return o.uid === uid || o.cuid === uid;
}

export function buildRecyclePlan(
  snapshot: IpcSnapshot,
  verdicts: Map<ObjectRef, Verdict>,
  nowSeconds: number,
  opts: PlanOptions = {},
): RecyclePlan {
  const plan: RecyclePlan = {
    host: snapshot.host,
    now: nowSeconds,
    candidates: [],
    stays: [],
    frees: { semSets: 0, semaphores: 0, shmSegments: 0, shmBytes: 0, msgQueues: 0, dsmFiles: 0, dsmBytes: 0 },
    counts: { live: 0, orphan: 0, unreadable: 0, unknown: 0 },
  };
  if (snapshot.uid !== undefined) plan.uid = snapshot.uid;
  if (snapshot.ipcNamespace) plan.ipcNamespace = snapshot.ipcNamespace;
  for (const o of allObjects(snapshot)) {
    const ref = objectRef(o);
    if (opts.kinds && !opts.kinds.includes(o.kind)) continue;
    if (opts.refs && !opts.refs.includes(ref)) continue;
    const v = verdicts.get(ref);
    if (!v) continue;
    plan.counts[v.state]++;
    const stay = (why: string): void => {
      const s: RecycleStay = { ref, kind: o.kind, verdict: v, why };
      if (isSysv(o)) {
        s.id = o.id;
        s.key = o.key;
        if (v.becomesRecyclableIn !== undefined && mayRemove(o, snapshot.uid) && !(o.kind === 'sem' && !o.elems)) {
          s.becomesRecyclableIn = v.becomesRecyclableIn;
          const w = (plan.waiting ??= { count: 0, byKind: {}, minSeconds: Infinity, maxSeconds: 0, recency: false });
          w.count++;
          w.byKind[o.kind] = (w.byKind[o.kind] ?? 0) + 1;
          w.minSeconds = Math.min(w.minSeconds, v.becomesRecyclableIn);
          w.maxSeconds = Math.max(w.maxSeconds, v.becomesRecyclableIn);
          if (v.state === 'unknown') w.recency = true;
        }
      } else s.name = o.name;
      plan.stays.push(s);
    };
    if (!v.recyclable || !isSysv(o)) {
      stay(v.state === 'orphan' ? (v.reasons.find((r) => r.startsWith('not recyclable:')) ?? 'not recyclable') : `${v.state}: ${v.reasons[0] ?? 'no reason recorded'}`);
      continue;
    }
    if (!mayRemove(o, snapshot.uid)) {
      stay(`you (uid ${snapshot.uid}) are neither its owner (uid ${o.uid}) nor its creator (cuid ${o.cuid}): IPC_RMID would fail with EPERM; run as root`);
      continue;
    }
    if (o.kind === 'sem' && !o.elems) {
      stay('per-semaphore detail not loaded: waiters and last-op pids cannot be re-checked');
      continue;
    }
    // a source whose removal proves no process is blocked needs no list; one it was given still keeps a queue
    // that list shows a blocked task on (evidence of life is never set aside)
    if (o.kind === 'msg' && (!opts.waitsCheckedAtRemoval || opts.waits?.ok)) {
      const blocked = blockedReason(opts.waits ?? { ok: false, why: `${snapshot.host} offers no list of blocked processes` }, 'msg', o.id);
      if (blocked) {
        stay(blocked);
        continue;
      }
    }
    plan.candidates.push({ ref, kind: o.kind, id: o.id, key: o.key, object: o, verdict: v, expected: expectationFor(o), pids: pidsToRecheck(o, v) });
    if (o.kind === 'sem') {
      plan.frees.semSets++;
      plan.frees.semaphores += o.nsems;
    } else if (o.kind === 'shm') {
      plan.frees.shmSegments++;
      plan.frees.shmBytes += o.segsz;
      const dsm = v.owner?.dsm;
      for (const f of dsm ? [...dsm.segments, ...(dsm.control ? [dsm.control] : [])] : []) {
        plan.frees.dsmFiles++;
        plan.frees.dsmBytes += f.size;
      }
    } else plan.frees.msgQueues++;
  }
  return plan;
}

/**
 * Records how the source will remove (the plan and the audit name it); where queues cannot be removed there
 * (`queuesStay`), the queue candidates become stays with that reason instead of refusals at removal time.
 */
export function applyRemovalMode(plan: RecyclePlan, mode: RemovalMode): void {
  plan.removal = mode;
  if (mode.mode === 'none') {
    // a source that cannot remove: every candidate stays, saying why, and the plan frees nothing
    for (const c of plan.candidates) plan.stays.push({ ref: c.ref, kind: c.kind, id: c.id, key: c.key, verdict: c.verdict, why: mode.detail });
    plan.candidates = [];
    for (const k of Object.keys(plan.frees) as Array<keyof RecycleFrees>) plan.frees[k] = 0;
    // nor does waiting make anything recyclable there
    delete plan.waiting;
    for (const st of plan.stays) delete st.becomesRecyclableIn;
    return;
  }
  if (!mode.queuesStay) return;
  const keep = plan.candidates.filter((c) => c.kind === 'msg');
  if (!keep.length) return;
  plan.candidates = plan.candidates.filter((c) => c.kind !== 'msg');
  plan.frees.msgQueues -= keep.length;
  for (const c of keep) plan.stays.push({ ref: c.ref, kind: c.kind, id: c.id, key: c.key, verdict: c.verdict, why: mode.queuesStay });
}

export function hexKey(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}

function kindWord(k: IpcKind): string {
  switch (k) {
    case 'sem':
      return 'semaphore set';
    case 'shm':
      return 'shared memory segment';
    case 'msg':
      return 'message queue';
    case 'posixSem':
      return 'POSIX semaphore';
    case 'posixShm':
      return 'POSIX shared memory';
  }
}

function objectLine(kind: IpcKind, id: number | undefined, key: number | undefined, name: string | undefined, v: Verdict): string {
  const what = id !== undefined ? `${kindWord(kind)} id ${id} key ${hexKey(key ?? 0)}` : `${kindWord(kind)} ${name ?? ''}`;
  const owner = v.owner ? ` - ${v.owner.label}` : '';
  const age = v.orphanForSeconds !== undefined ? ` (orphan for ${formatDuration(v.orphanForSeconds)})` : '';
  return `${what}${owner}${age}`;
}

/** One-paragraph summary for a modal or a CLI header. */
export function planSummary(plan: RecyclePlan): string {
  const f = plan.frees;
  const parts: string[] = [];
  if (f.semSets) parts.push(`${f.semSets} semaphore set(s) (${f.semaphores} semaphores)`);
  if (f.shmSegments) parts.push(`${f.shmSegments} shared memory segment(s) holding ${formatBytesExact(f.shmBytes)}`);
  if (f.msgQueues) parts.push(`${f.msgQueues} message queue(s)`);
  if (f.dsmFiles) parts.push(`${f.dsmFiles} PostgreSQL DSM file(s) in /dev/shm (${f.dsmBytes} bytes)`);
  const c = plan.counts;
  const head = plan.candidates.length
    ? `Recycle would remove ${plan.candidates.length} object(s) on ${plan.host}: ${parts.join(', ')}.`
    : `Nothing on ${plan.host} is provably safe to remove.`;
  return `${head} ${plan.stays.length} object(s) stay (live ${c.live}, orphan but kept ${Math.max(0, c.orphan - plan.candidates.length)}, unreadable ${c.unreadable}, unknown ${c.unknown}).${removalLine(plan)}`;
}

/**
 * " Removal on HOST: locked (...)." / " ... unlocked check-then-ipcrm (why)." when the source said and something
 * would go; " Nothing is removed on HOST: why." when the source removes nothing.
 */
function removalLine(plan: RecyclePlan): string {
  const r = plan.removal;
  if (r?.mode === 'none') return ` Nothing is removed on ${plan.host}: ${r.detail.replace(/^no removal here: /, '')}.`;
  if (!r || !plan.candidates.length) return '';
  return r.mode === 'locked'
    ? ` Removal on ${plan.host}: locked (lock -> verify -> remove).`
    : ` Removal on ${plan.host}: unlocked check-then-ipcrm (${r.detail.replace(/^check-then-ipcrm, no lock: /, '')}).`;
}

const KIND_PLURAL: Record<SysvKind, [string, string]> = {
  sem: ['semaphore set', 'semaphore sets'],
  shm: ['shared memory segment', 'shared memory segments'],
  msg: ['message queue', 'message queues'],
};

/** How to proceed without waiting, for the CLI (the default) or another front end. */
export type ProceedHint = (w: RecycleWaiting) => string;

export const CLI_PROCEED: ProceedHint = (w) => `\`ipcx recycle --min-age 0${w.recency ? ' --recent 0' : ''}\` to proceed now`;

/**
 * "2 semaphore sets become recyclable in 58 s; `ipcx recycle --min-age 0` to proceed now", or undefined
 * when nothing is only waiting.
 */
export function waitingLine(plan: RecyclePlan, proceed: ProceedHint = CLI_PROCEED): string | undefined {
  const w = plan.waiting;
  if (!w || !w.count) return undefined;
  const what = (Object.keys(w.byKind) as SysvKind[])
    .map((k) => `${w.byKind[k]} ${KIND_PLURAL[k][w.byKind[k] === 1 ? 0 : 1]}`)
    .join(' and ');
  const verb = w.count === 1 ? 'becomes' : 'become';
  const when = w.maxSeconds - w.minSeconds <= 1 ? `in ${formatDuration(w.maxSeconds)}` : `in ${formatDuration(w.minSeconds)} to ${formatDuration(w.maxSeconds)}`;
  return `${what} ${verb} recyclable ${when} if nothing happens to ${w.count === 1 ? 'it' : 'them'}; ${proceed(w)}.`;
}

/** The full readable report: what goes and why, what stays and why. */
export function formatPlanReport(plan: RecyclePlan, proceed: ProceedHint = CLI_PROCEED): string {
  const out: string[] = [];
  out.push(`IPC Explorer recycle plan for ${plan.host} at ${formatTimestamp(plan.now * 1000)}${plan.uid !== undefined ? ` (uid ${plan.uid})` : ''}`);
  out.push('');
  out.push(planSummary(plan));
  const r = plan.removal;
  if (r) out.push(`Removal mode on ${plan.host}: ${r.mode === 'locked' ? 'locked' : r.mode === 'none' ? 'none' : 'unlocked check-then-ipcrm'} (${r.detail}).`);
  out.push('');
  out.push(`WOULD REMOVE (${plan.candidates.length}) - each is re-read and re-checked right before its own removal, then locked and checked again (same id, key, ctime; every header field as planned: nattch, lpid, atime, dtime, qnum, lspid, stime...; no waiters; no new last-op pid; no process blocked on a queue; pids still dead):`);
  for (const c of plan.candidates) {
    out.push(`  - ${objectLine(c.kind, c.id, c.key, undefined, c.verdict)}`);
    const dsm = c.verdict.owner?.dsm;
    if (dsm && (dsm.segments.length || dsm.control)) {
      out.push(`      first its PostgreSQL DSM files, each only if no process maps it and it is still the same file:`);
      for (const f of dsm.segments) out.push(`        ${f.path} (${f.size} bytes)`);
      if (dsm.control) out.push(`        ${dsm.control.path} (${dsm.control.size} bytes, the control segment, last)`);
    }
    for (const r of c.verdict.reasons) out.push(`      ${r}`);
  }
  if (!plan.candidates.length) out.push('  (none)');
  out.push('');
  out.push(`STAYS (${plan.stays.length}):`);
  for (const s of plan.stays) {
    out.push(`  - ${objectLine(s.kind, s.id, s.key, s.name, s.verdict)} [${s.verdict.state}]`);
    out.push(`      why: ${s.why}`);
    if (s.becomesRecyclableIn !== undefined) out.push(`      becomes recyclable in ${formatDuration(s.becomesRecyclableIn)} if nothing happens to it`);
    for (const r of s.verdict.reasons) if (r !== s.why && `${s.verdict.state}: ${r}` !== s.why) out.push(`      ${r}`);
  }
  if (!plan.stays.length) out.push('  (none)');
  const wait = waitingLine(plan, proceed);
  if (wait) out.push('', wait);
  return out.join('\n') + '\n';
}

/** What happened to one candidate. */
export interface RecycleOutcome {
  ref: ObjectRef;
  kind: SysvKind;
  id: number;
  key: number;
  action: 'removed' | 'refused' | 'failed';
  /** why it was refused / how it failed; for removed, the verdict's reasons. */
  reasons: string[];
  /** errno name or 'ECHANGED' for refused/failed. */
  code?: string;
  /** a PostgreSQL interlock segment's DSM files: unlinked, still there, already gone. */
  dsm?: { removed: string[]; remaining: string[]; gone: string[] };
}

export interface RecycleReport {
  host: string;
  outcomes: RecycleOutcome[];
  removed: number;
  refused: number;
  failed: number;
  auditPath?: string;
}

export function formatRecycleReport(r: RecycleReport): string {
  const out = [`Recycle on ${r.host}: ${r.removed} removed, ${r.refused} refused, ${r.failed} failed.`];
  for (const o of r.outcomes) {
    out.push(`  ${o.action.toUpperCase().padEnd(7)} ${o.kind} id ${o.id} key ${hexKey(o.key)}${o.code ? ` (${o.code})` : ''}${o.action === 'removed' ? '' : `: ${o.reasons.join('; ')}`}`);
    if (o.dsm?.removed.length) out.push(`          PostgreSQL DSM files removed first: ${o.dsm.removed.join(', ')}`);
    if (o.dsm?.gone.length) out.push(`          PostgreSQL DSM files already gone: ${o.dsm.gone.join(', ')}`);
    if (o.dsm?.remaining.length) out.push(`          PostgreSQL DSM files still there: ${o.dsm.remaining.join(', ')}`);
  }
  if (r.auditPath) out.push(`Audit log: ${r.auditPath}`);
  return out.join('\n') + '\n';
}

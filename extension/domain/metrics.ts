/**
 * Prometheus metrics of one snapshot: snapshot + verdicts in, metric families out (pure data; the exposition
 * format is written by prom-client in extension/backend/metricsExposition.ts).
 *
 * Names follow the Prometheus naming guide: one application prefix (`ipc_`), base units with the unit as a
 * suffix (`_bytes`, `_seconds`; SHMALL is exported in bytes, not pages), `_total` only on counters (none
 * here: every figure of a snapshot is a gauge), `_info` gauges of value 1 for labels that describe rather than
 * measure. A limit and its use share the `resource` label (the kernel's name: SEMMNS, SHMALL ...) and are split
 * by unit (`ipc_limit` / `ipc_limit_bytes`, `ipc_used` / `ipc_used_bytes`), so a sum over one metric always
 * adds like to like; the use of every limit as a fraction is
 * `ipc_used / ipc_limit or ipc_used_bytes / ipc_limit_bytes`.
 *
 * Every series carries the scope labels: `host`, and `namespace` / `container` when the caller names them
 * (an IPC namespace other than the reader's, a container's). Per-object series only when asked for, capped.
 */
import type { IpcErrorInfo, IpcKind, IpcObject, IpcSnapshot, ObjectRef, SemSet, Verdict, VerdictState } from '../shared/model';
import { capacity } from './capacity';
import { livenessOf } from './processFacts';
import { allObjects, lastActivity, objectRef } from './verdict';

export type MetricType = 'gauge' | 'counter';

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  /** every label name any sample may carry (scope labels included). */
  labelNames: string[];
  samples: MetricSample[];
}

/** Which host / namespace / container the series describe. */
export interface MetricScope {
  host: string;
  namespace?: string;
  container?: string;
}

export interface MetricsOptions {
  /** emit per-object series. */
  perObject?: boolean;
  /** at most this many objects get per-object series (the cardinality guard); default 500. */
  maxObjects?: number;
  /** seconds since the epoch (orphan ages); default: the snapshot's takenAt. */
  now?: number;
}

export interface MetricsInput {
  scope: MetricScope;
  snapshot: IpcSnapshot;
  /** verdicts of every object (domain/verdict.ts assessSnapshot over a snapshot with per-semaphore detail). */
  verdicts: Map<ObjectRef, Verdict>;
  /** seconds the collection took (snapshot, per-semaphore detail, process facts, verdicts). */
  durationSeconds: number;
}

export const DEFAULT_MAX_OBJECTS = 500;
export const KINDS: readonly IpcKind[] = ['sem', 'shm', 'msg', 'posixSem', 'posixShm'];
export const STATES: readonly VerdictState[] = ['live', 'orphan', 'unreadable', 'unknown'];

/** Scope label names in the order they are written. */
export const SCOPE_LABELS = ['host', 'namespace', 'container'] as const;

function scopeLabels(s: MetricScope): Record<string, string> {
  const out: Record<string, string> = { host: s.host };
  if (s.namespace !== undefined) out['namespace'] = s.namespace;
  if (s.container !== undefined) out['container'] = s.container;
  return out;
}

/** Builds families in order; a family is created on first use, its label names are the union of its samples'. */
class Families {
  private readonly byName = new Map<string, MetricFamily>();
  constructor(private readonly scope: Record<string, string>) {}

  add(name: string, type: MetricType, help: string, labels: Record<string, string>, value: number): void {
    let f = this.byName.get(name);
    if (!f) {
      f = { name, help, type, labelNames: [...SCOPE_LABELS], samples: [] };
      this.byName.set(name, f);
    }
    for (const k of Object.keys(labels)) if (!f.labelNames.includes(k)) f.labelNames.push(k);
    f.samples.push({ labels: { ...this.scope, ...labels }, value });
  }

  gauge(name: string, help: string, value: number, labels: Record<string, string> = {}): void {
    this.add(name, 'gauge', help, labels, value);
  }

  list(): MetricFamily[] {
    return [...this.byName.values()];
  }
}

const HELP = {
  probe: 'Whether the snapshot of this host was taken (1) or failed (0; ipc_probe_error_info says why).',
  duration: 'Seconds the snapshot took: headers, limits, per-semaphore detail, process facts and verdicts.',
  timestamp: 'When the snapshot was taken, seconds since the epoch (by the clock of the host that took it).',
  info: 'Facts about the snapshot (value 1): hostname, kernel release, platform, data source, IPC namespace.',
  errors: 'Objects of this snapshot that could not be read (they are missing from every other figure), by kind and errno name.',
  warnings: 'Snapshot-level warnings (the /proc fallback, unreadable limits, /dev/shm listing bounds ...); `ipcx snapshot` prints them.',
  limit: 'A kernel IPC limit that is a count (SEMMNI, SEMMNS, SEMMSL, SEMOPM, SEMVMX, SHMMNI, MSGMNI, MQ_QUEUES_MAX).',
  limitBytes: 'A kernel IPC limit in bytes (SHMALL converted from pages, SHMMAX, SHMMIN, MSGMNB, MSGMAX).',
  used: 'Use of a count limit: SEMMNI sets, SEMMNS semaphores of all sets (SEM_INFO semaem), SHMMNI segments, MSGMNI queues; the largest set for SEMMSL, the largest value for SEMVMX.',
  usedBytes: 'Use of a byte limit: SHMALL all segments rounded to pages (SHM_INFO shm_tot), the largest segment for SHMMAX, the fullest queue for MSGMNB.',
  objects: 'IPC objects by kind and verdict state (live, orphan, unreadable, unknown).',
  orphans: 'Provable orphans (no live creator or user, nothing attached, no waiters, nothing recent) by kind, recognised owner application, owner uid and whether recycle would remove them now.',
  orphanOldest: 'Seconds since the last activity of the oldest orphan of this kind.',
  semaphores: 'Semaphores in System V sets, by the verdict state of their set (what recycling orphans would give back to SEMMNS).',
  semWaiters: 'Tasks blocked in semop on System V semaphores (sum of GETNCNT and GETZCNT over every semaphore).',
  setsWithWaiters: 'System V semaphore sets with blocked tasks, by what is known of the last-op pids of the set: alive (one is alive), dead (every recorded one is dead: nobody may ever post), unknown.',
  semDetailMissing: 'System V semaphore sets whose per-semaphore detail (waiters, last-op pids) is missing: unreadable (EACCES), or not available (FreeBSD/macOS over SSH).',
  shmSize: 'Bytes of System V shared memory segments (segsz), by the verdict state of the segment.',
  shmResident: 'Resident bytes of all System V shared memory (SHM_INFO shm_rss).',
  shmSwap: 'Swapped-out bytes of all System V shared memory (SHM_INFO shm_swp).',
  msgMessages: 'Messages queued in all System V message queues.',
  msgBytes: 'Bytes queued in all System V message queues.',
  posixSize: 'Bytes of the POSIX objects listed in /dev/shm (file sizes), by kind.',
  posixWaiters: 'Waiters recorded in POSIX named semaphores (glibc nwaiters).',
  devshmSize: 'Size of the /dev/shm file system.',
  devshmFree: 'Free bytes of the /dev/shm file system.',
  devshmAvail: 'Bytes of /dev/shm available to unprivileged users.',
  devshmFiles: 'Inodes (files) of the /dev/shm file system.',
  devshmFilesFree: 'Free inodes of the /dev/shm file system.',
  objectInfo: 'One series per object (value 1) with its key, owner uid, state and recognised owner; only with --per-object.',
  objectSize: 'Size of one object: shm segsz, queued bytes of a queue, file size of a POSIX object.',
  objectSems: 'Semaphores in one System V set.',
  objectAttach: 'Attachments of one System V segment (nattch).',
  objectMessages: 'Messages in one System V queue.',
  objectWaiters: 'Tasks blocked on one System V semaphore set.',
  objectOrphanAge: 'Seconds since the last activity of one orphan.',
  perObjectLimit: 'At most this many objects get per-object series (the cardinality guard).',
  perObjectDropped: 'Objects left out of the per-object series by the cardinality guard, by kind.',
  errorInfo: 'Why the snapshot of this host failed (value 1): errno name or project code (ESSH, ETIMEDOUT ...), and the call.',
};

/** ownerless orphans are labelled so in `owner`. */
export const NO_OWNER = 'unrecognized';

/**
 * How the last-op pids of a set with waiters stand: alive (at least one is alive), dead (every non-zero one is
 * proven dead), unknown (none recorded, or some cannot be told). "Cannot see" never counts as dead.
 */
export function lastOpLiveness(s: SemSet, snapshot: IpcSnapshot): 'alive' | 'dead' | 'unknown' {
  const pids = [...new Set((s.elems ?? []).map((e) => e.pid).filter((p) => p > 0))];
  if (!pids.length) return 'unknown';
  const states = pids.map((p) => livenessOf(snapshot.processes[p]));
  if (states.includes('alive')) return 'alive';
  if (states.every((x) => x === 'dead')) return 'dead';
  return 'unknown';
}

function waitersOf(s: SemSet): number {
  let n = 0;
  for (const e of s.elems ?? []) n += e.ncount + e.zcount;
  return n;
}

function idLabel(o: IpcObject): string {
  return o.kind === 'posixSem' || o.kind === 'posixShm' ? o.name : String(o.id);
}

function keyLabel(o: IpcObject): string {
  if (!('key' in o)) return '';
  return '0x' + (o.key >>> 0).toString(16).padStart(8, '0');
}

/** Per-object priority: orphans first (oldest first), then unreadable, unknown, live; by kind, then id. */
function perObjectOrder(objects: IpcObject[], verdicts: Map<ObjectRef, Verdict>): IpcObject[] {
  const rank: Record<VerdictState, number> = { orphan: 0, unreadable: 1, unknown: 2, live: 3 };
  return objects
    .map((o, i) => ({ o, i, v: verdicts.get(objectRef(o)) }))
    .sort((a, b) => {
      const ra = a.v ? rank[a.v.state] : 2, rb = b.v ? rank[b.v.state] : 2;
      if (ra !== rb) return ra - rb;
      const aa = a.v?.orphanForSeconds ?? -1, ab = b.v?.orphanForSeconds ?? -1;
      if (aa !== ab) return ab - aa;
      return a.i - b.i;
    })
    .map((x) => x.o);
}

/** The metric families of one snapshot. */
export function snapshotMetrics(input: MetricsInput, opts: MetricsOptions = {}): MetricFamily[] {
  const { snapshot: snap, verdicts } = input;
  const f = new Families(scopeLabels(input.scope));
  const now = opts.now ?? snap.takenAt / 1000;

  f.gauge('ipc_probe_success', HELP.probe, 1);
  f.gauge('ipc_snapshot_duration_seconds', HELP.duration, input.durationSeconds);
  f.gauge('ipc_snapshot_timestamp_seconds', HELP.timestamp, snap.takenAt / 1000);
  const info: Record<string, string> = { platform: snap.platform, source: snap.source };
  if (snap.hostname !== undefined) info['hostname'] = snap.hostname;
  if (snap.kernel !== undefined) info['kernel'] = snap.kernel;
  if (snap.ipcNamespace !== undefined) info['ipc_namespace'] = snap.ipcNamespace;
  f.gauge('ipc_snapshot_info', HELP.info, 1, info);

  // objects that could not be read at all, by kind and code (always at least one series so the figure is never
  // absent); a set whose per-semaphore detail is missing is in ipc_sem_sets_detail_missing instead
  const errCount = new Map<string, { kind: string; code: string; n: number }>();
  for (const e of snap.errors) {
    const k = `${e.kind}\0${e.error.code}`;
    const c = errCount.get(k) ?? { kind: e.kind, code: e.error.code, n: 0 };
    c.n++;
    errCount.set(k, c);
  }
  if (!errCount.size) f.gauge('ipc_snapshot_object_errors', HELP.errors, 0, { kind: 'any', code: 'none' });
  for (const c of errCount.values()) f.gauge('ipc_snapshot_object_errors', HELP.errors, c.n, { kind: c.kind, code: c.code });
  f.gauge('ipc_snapshot_warnings', HELP.warnings, snap.warnings.length);

  // limits and their use, split by unit
  for (const r of capacity(snap)) {
    const bytes = r.unit === 'bytes' || r.unit === 'pages';
    const limit = r.unit === 'pages' ? r.limitBytes ?? r.limit * (snap.limits.pageSize || 4096) : r.limit;
    f.gauge(bytes ? 'ipc_limit_bytes' : 'ipc_limit', bytes ? HELP.limitBytes : HELP.limit, limit, { resource: r.name });
    if (r.used !== null) {
      const used = r.unit === 'pages' ? r.usedBytes ?? r.used * (snap.limits.pageSize || 4096) : r.used;
      f.gauge(bytes ? 'ipc_used_bytes' : 'ipc_used', bytes ? HELP.usedBytes : HELP.used, used, { resource: r.name });
    }
  }

  // objects by kind and state (every combination, zeros included, so no series appears from nowhere)
  const byKindState = new Map<string, number>();
  for (const k of KINDS) for (const s of STATES) byKindState.set(`${k}\0${s}`, 0);
  const orphans = new Map<string, { labels: Record<string, string>; n: number }>();
  const oldest = new Map<IpcKind, number>();
  const semsByState = new Map<VerdictState, number>(STATES.map((s) => [s, 0]));
  const shmByState = new Map<VerdictState, number>(STATES.map((s) => [s, 0]));
  const stateOf = (o: IpcObject): VerdictState => verdicts.get(objectRef(o))?.state ?? 'unknown';
  for (const o of allObjects(snap)) {
    const v = verdicts.get(objectRef(o));
    const state = v?.state ?? 'unknown';
    byKindState.set(`${o.kind}\0${state}`, (byKindState.get(`${o.kind}\0${state}`) ?? 0) + 1);
    if (o.kind === 'sem') semsByState.set(state, semsByState.get(state)! + o.nsems);
    if (o.kind === 'shm') shmByState.set(state, shmByState.get(state)! + o.segsz);
    if (state !== 'orphan' || !v) continue;
    const labels = { kind: o.kind, owner: v.owner?.app ?? NO_OWNER, uid: String(o.uid), recyclable: String(v.recyclable) };
    const key = Object.values(labels).join('\0');
    const c = orphans.get(key) ?? { labels, n: 0 };
    c.n++;
    orphans.set(key, c);
    if (v.orphanForSeconds !== undefined) oldest.set(o.kind, Math.max(oldest.get(o.kind) ?? 0, v.orphanForSeconds));
  }
  for (const k of KINDS) for (const s of STATES) f.gauge('ipc_objects', HELP.objects, byKindState.get(`${k}\0${s}`)!, { kind: k, state: s });
  for (const c of orphans.values()) f.gauge('ipc_orphans', HELP.orphans, c.n, c.labels);
  for (const [kind, age] of oldest) f.gauge('ipc_orphan_oldest_age_seconds', HELP.orphanOldest, age, { kind });

  // System V semaphores: per state, waiters, sets with waiters by last-op liveness
  for (const s of STATES) f.gauge('ipc_sem_semaphores', HELP.semaphores, semsByState.get(s)!, { state: s });
  let waiters = 0;
  let detailMissing = 0;
  const withWaiters = { alive: 0, dead: 0, unknown: 0 };
  for (const s of snap.sems) {
    if (!s.elems) {
      detailMissing++;
      continue;
    }
    const w = waitersOf(s);
    waiters += w;
    if (w > 0) withWaiters[lastOpLiveness(s, snap)]++;
  }
  f.gauge('ipc_sem_waiters', HELP.semWaiters, waiters);
  for (const [k, n] of Object.entries(withWaiters)) f.gauge('ipc_sem_sets_with_waiters', HELP.setsWithWaiters, n, { last_op_pid: k });
  f.gauge('ipc_sem_sets_detail_missing', HELP.semDetailMissing, detailMissing);

  // System V shared memory and message queues
  for (const s of STATES) f.gauge('ipc_shm_size_bytes', HELP.shmSize, shmByState.get(s)!, { state: s });
  const page = snap.limits.pageSize > 0 ? snap.limits.pageSize : 4096;
  if (snap.usage.shmRssPages !== undefined) f.gauge('ipc_shm_resident_bytes', HELP.shmResident, snap.usage.shmRssPages * page);
  if (snap.usage.shmSwapPages !== undefined) f.gauge('ipc_shm_swap_bytes', HELP.shmSwap, snap.usage.shmSwapPages * page);
  f.gauge('ipc_msg_queued_messages', HELP.msgMessages, snap.usage.msgMessages);
  f.gauge('ipc_msg_queued_bytes', HELP.msgBytes, snap.usage.msgBytes);

  // POSIX objects and /dev/shm
  f.gauge('ipc_posix_size_bytes', HELP.posixSize, snap.posixSems.reduce((a, p) => a + p.size, 0), { kind: 'posixSem' });
  f.gauge('ipc_posix_size_bytes', HELP.posixSize, snap.posixShms.reduce((a, p) => a + p.size, 0), { kind: 'posixShm' });
  f.gauge('ipc_posix_sem_waiters', HELP.posixWaiters, snap.posixSems.reduce((a, p) => a + (p.decoded?.nwaiters ?? 0), 0));
  if (snap.devShm) {
    const d = snap.devShm;
    f.gauge('ipc_devshm_size_bytes', HELP.devshmSize, d.size);
    f.gauge('ipc_devshm_free_bytes', HELP.devshmFree, d.size - d.used);
    f.gauge('ipc_devshm_avail_bytes', HELP.devshmAvail, d.avail);
    if (d.files !== undefined) f.gauge('ipc_devshm_files', HELP.devshmFiles, d.files);
    if (d.filesFree !== undefined) f.gauge('ipc_devshm_files_free', HELP.devshmFilesFree, d.filesFree);
  }

  if (opts.perObject) perObjectSeries(f, snap, verdicts, now, opts.maxObjects ?? DEFAULT_MAX_OBJECTS, stateOf);
  return f.list();
}

function perObjectSeries(
  f: Families,
  snap: IpcSnapshot,
  verdicts: Map<ObjectRef, Verdict>,
  now: number,
  max: number,
  stateOf: (o: IpcObject) => VerdictState,
): void {
  const ordered = perObjectOrder(allObjects(snap), verdicts);
  const kept = ordered.slice(0, Math.max(0, max));
  const dropped = new Map<IpcKind, number>(KINDS.map((k) => [k, 0]));
  for (const o of ordered.slice(kept.length)) dropped.set(o.kind, dropped.get(o.kind)! + 1);
  f.gauge('ipc_per_object_limit', HELP.perObjectLimit, max);
  for (const [kind, n] of dropped) f.gauge('ipc_per_object_dropped', HELP.perObjectDropped, n, { kind });
  for (const o of kept) {
    const v = verdicts.get(objectRef(o));
    const id = { kind: o.kind, id: idLabel(o) };
    f.gauge('ipc_object_info', HELP.objectInfo, 1, {
      ...id, key: keyLabel(o), uid: String(o.uid), state: stateOf(o), owner: v?.owner?.app ?? NO_OWNER, recyclable: String(v?.recyclable ?? false),
    });
    switch (o.kind) {
      case 'sem':
        f.gauge('ipc_object_semaphores', HELP.objectSems, o.nsems, id);
        if (o.elems) f.gauge('ipc_object_waiters', HELP.objectWaiters, waitersOf(o), id);
        break;
      case 'shm':
        f.gauge('ipc_object_size_bytes', HELP.objectSize, o.segsz, id);
        f.gauge('ipc_object_attachments', HELP.objectAttach, o.nattch, id);
        break;
      case 'msg':
        f.gauge('ipc_object_size_bytes', HELP.objectSize, o.cbytes, id);
        f.gauge('ipc_object_messages', HELP.objectMessages, o.qnum, id);
        break;
      default:
        f.gauge('ipc_object_size_bytes', HELP.objectSize, o.size, id);
    }
    if (v?.state === 'orphan') {
      const last = lastActivity(o);
      f.gauge('ipc_object_orphan_age_seconds', HELP.objectOrphanAge, v.orphanForSeconds ?? (last > 0 ? Math.max(0, now - last) : 0), id);
    }
  }
}

/** The families of a host whose snapshot failed: success 0, the duration, and the error's code. */
export function failureMetrics(scope: MetricScope, error: IpcErrorInfo, durationSeconds: number): MetricFamily[] {
  const f = new Families(scopeLabels(scope));
  f.gauge('ipc_probe_success', HELP.probe, 0);
  f.gauge('ipc_snapshot_duration_seconds', HELP.duration, durationSeconds);
  f.gauge('ipc_probe_error_info', HELP.errorInfo, 1, { code: error.code || 'EUNKNOWN', syscall: error.syscall ?? '' });
  return f.list();
}

/** Families of several hosts merged by name (one HELP/TYPE per name, label names united). */
export function mergeFamilies(lists: MetricFamily[][]): MetricFamily[] {
  const out = new Map<string, MetricFamily>();
  for (const list of lists) {
    for (const fam of list) {
      const have = out.get(fam.name);
      if (!have) {
        out.set(fam.name, { ...fam, labelNames: [...fam.labelNames], samples: [...fam.samples] });
        continue;
      }
      for (const l of fam.labelNames) if (!have.labelNames.includes(l)) have.labelNames.push(l);
      have.samples.push(...fam.samples);
    }
  }
  return [...out.values()];
}

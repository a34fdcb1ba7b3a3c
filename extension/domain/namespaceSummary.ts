/**
 * One IPC namespace in a line and in three bars: its object counts, its fullest pool (its own limits and its
 * own /dev/shm: capacity.ts fullestPool, the host row's and the status bar's rule), and the figures the dashboard's "by container" view draws. Pure: a snapshot in, numbers out.
 */
import type { IpcErrorInfo, IpcSnapshot } from '../shared/model';
import type { NamespaceItem, NamespaceUsage } from '../shared/dashboardProtocol';
import type { IpcNamespaceInfo } from '../shared/namespaces';
import { capacity, devShmRow, fullestPool, type CapacityInput } from './capacity';

/** the limit a bar is measured against (SEMMNS, SEMMNI, SHMALL, DEVSHM), used, limit, percent */
export type UsageBar = NamespaceUsage;

export interface NamespaceSummary {
  counts: { sem: number; shm: number; msg: number; posixSem: number; posixShm: number };
  /** the fullest pool of the namespace, /dev/shm included (`text`: `SEMMNI 40 %`); per-object maxima are not pools */
  worst?: { name: string; percent: number; text: string };
  /** semaphores: the fuller of SEMMNS (semaphores) and SEMMNI (sets) */
  sem: UsageBar;
  /** System V shared memory in bytes against SHMALL */
  shm: UsageBar;
  /** the namespace's /dev/shm tmpfs, when it was read */
  devShm?: UsageBar;
}

type SummaryInput = CapacityInput & Pick<IpcSnapshot, 'posixSems' | 'posixShms' | 'devShm'>;

export function namespaceSummary(snap: SummaryInput): NamespaceSummary {
  const rows = capacity(snap);
  const dev = devShmRow(snap);
  const w = fullestPool(snap, rows);
  const worst = w ? { name: w.row.name as string, percent: w.percent, text: w.text } : undefined;
  const row = (n: string) => rows.find((r) => r.name === n);
  const bar = (n: string): UsageBar | undefined => {
    const r = row(n);
    if (!r || r.used === null) return undefined;
    return { limitName: n, used: r.used, limit: r.limit, percent: r.unlimited ? null : r.percent, unit: 'count' };
  };
  const semmns = bar('SEMMNS');
  const semmni = bar('SEMMNI');
  const sem =
    semmns && semmni ? ((semmni.percent ?? -1) > (semmns.percent ?? -1) ? semmni : semmns) : (semmns ?? semmni ?? { limitName: 'SEMMNS', used: 0, limit: 0, percent: null, unit: 'count' as const });
  const shmall = row('SHMALL');
  const page = snap.limits.pageSize > 0 ? snap.limits.pageSize : 4096;
  const shm: UsageBar = {
    limitName: 'SHMALL',
    used: shmall?.usedBytes ?? snap.shms.reduce((a, m) => a + m.segsz, 0),
    // 0 with a null percent, like the semaphore bar's: a limit this host did not report
    limit: shmall?.limitBytes ?? (snap.limits.shmall ?? 0) * page,
    percent: shmall && !shmall.unlimited ? shmall.percent : null,
    unit: 'bytes',
  };
  const out: NamespaceSummary = {
    counts: { sem: snap.sems.length, shm: snap.shms.length, msg: snap.msgs.length, posixSem: snap.posixSems.length, posixShm: snap.posixShms.length },
    sem,
    shm,
  };
  if (worst) out.worst = worst;
  if (dev) out.devShm = { limitName: 'DEVSHM', used: dev.used ?? 0, limit: dev.limit, percent: dev.percent, unit: 'bytes' };
  return out;
}

/** `3 sem · 1 shm · 0 msg · 2 POSIX · worst SEMMNI 40 %` (the tree's description of a namespace). */
export function namespaceDescription(s: NamespaceSummary): string {
  const c = s.counts;
  const parts = [`${c.sem} sem`, `${c.shm} shm`, `${c.msg} msg`, `${c.posixSem + c.posixShm} POSIX`];
  if (s.worst) parts.push(`worst ${s.worst.text}`);
  return parts.join(' · ');
}

/**
 * One namespace as the dashboard's picker and "by container" view get it: `host` null when it cannot be read
 * (then its reason), its last refresh's error, its counts and bars from its latest snapshot.
 */
export function namespaceItem(
  info: Pick<IpcNamespaceInfo, 'ns' | 'label' | 'initial' | 'own' | 'reason'>,
  host: string | null,
  state?: { snapshot?: IpcSnapshot; error?: IpcErrorInfo },
): NamespaceItem {
  const item: NamespaceItem = { host, ns: info.ns, label: info.initial ? 'host' : info.label, initial: info.initial, own: info.own };
  if (host === null) {
    item.reason = info.reason ?? 'cannot be entered';
    return item;
  }
  if (state?.error) item.error = `${state.error.code}: ${state.error.message}`;
  if (state?.snapshot) {
    const s = namespaceSummary(state.snapshot);
    item.counts = { sem: s.counts.sem, shm: s.counts.shm, msg: s.counts.msg, posix: s.counts.posixSem + s.counts.posixShm };
    item.sem = s.sem;
    item.shm = s.shm;
    if (s.devShm) item.devShm = s.devShm;
  }
  return item;
}

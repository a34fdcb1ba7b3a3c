/**
 * Capacity: every IPC limit with what is used, the limit and the percentage, like `lsipc -g` and more.
 *
 * - SEMMNI: sets / semmni; SEMMNS: usage.semTotal (SEM_INFO semaem, the kernel's own count: the truth;
 *   lsipc 2.38 multiplies sets by the first set's nsems instead) / semmns;
 * - SEMMSL: the largest set's nsems; SEMVMX: the largest semaphore value seen (when values were read);
 *   SEMOPM: no usage;
 * - SHMMNI: segments; SHMALL: usage.shmPages in pages and in bytes; SHMMAX: the largest segment;
 * - MSGMNI: queues; MSGMNB: the fullest queue's bytes; MSGMAX: no usage;
 * - MQ_QUEUES_MAX (POSIX message queues) when the limit is known; no usage.
 *
 * Percent is null where there is no usage to compare (lsipc prints `-`) or the limit is 0/unknown.
 */
import { CAPACITY_THRESHOLDS, LIMIT_DESCRIPTORS, raiseHint, type CapacityRow, type LimitDescriptor, type LimitName } from '../shared/limitDescriptors';
import type { IpcLimits, IpcSnapshot, Platform, SysvKind } from '../shared/model';

export type CapacityInput = Pick<IpcSnapshot, 'sems' | 'shms' | 'msgs' | 'limits' | 'usage'> & { platform?: Platform };

function pct(used: number | null, limit: number): number | null {
  if (used === null || !(limit > 0)) return null;
  return (used / limit) * 100;
}

function limitValue(limits: IpcLimits, d: LimitDescriptor): number | undefined {
  if (d.field === 'mqueue.queuesMax') return limits.mqueue?.queuesMax;
  return limits[d.field];
}

/** A maximum-style usage (SEMMSL, SEMVMX, SHMMAX, MSGMNB): the largest object's figure, and which object. */
function usedByLargest(row: CapacityRow, max: { id: number; n: number } | undefined, kind: SysvKind, basis: string): void {
  row.used = max ? max.n : 0;
  if (max) {
    row.basis = `${basis} ${max.id}`;
    row.object = { kind, id: max.id };
  }
}

export function capacity(snap: CapacityInput): CapacityRow[] {
  const { limits, usage } = snap;
  const unlimited = new Set((limits.unlimited ?? []).map((s) => s.toLowerCase()));
  const page = limits.pageSize > 0 ? limits.pageSize : 4096;

  // maxima over objects, one pass each
  let bigSet: { id: number; n: number } | undefined;
  let maxVal: { id: number; n: number } | undefined;
  let valuesSeen = false;
  for (const s of snap.sems) {
    if (!bigSet || s.nsems > bigSet.n) bigSet = { id: s.id, n: s.nsems };
    if (s.values) {
      valuesSeen = true;
      for (const v of s.values) if (!maxVal || v > maxVal.n) maxVal = { id: s.id, n: v };
    }
  }
  let bigSeg: { id: number; n: number } | undefined;
  for (const m of snap.shms) if (!bigSeg || m.segsz > bigSeg.n) bigSeg = { id: m.id, n: m.segsz };
  let fullQ: { id: number; n: number } | undefined;
  for (const q of snap.msgs) if (!fullQ || q.cbytes > fullQ.n) fullQ = { id: q.id, n: q.cbytes };

  const rows: CapacityRow[] = [];
  for (const d of LIMIT_DESCRIPTORS) {
    const limit = limitValue(limits, d);
    // a limit the host did not report has no row: its 0 is not the kernel's
    if (limit === undefined) continue;
    const row: CapacityRow = {
      name: d.name,
      label: d.label,
      help: d.help,
      kind: d.kind,
      unit: d.unit,
      used: null,
      limit,
      percent: null,
      unlimited: unlimited.has(d.field.toLowerCase()),
    };
    const platform = snap.platform ?? 'linux';
    const raise = raiseHint(d.name, limits, platform)?.text;
    if (raise) row.raise = raise;
    switch (d.name) {
      case 'SEMMNI':
        row.used = usage.semSets;
        break;
      case 'SEMMNS':
        row.used = usage.semTotal;
        break;
      case 'SEMMSL':
        usedByLargest(row, bigSet, 'sem', 'largest set: id');
        break;
      case 'SEMVMX':
        if (valuesSeen) {
          usedByLargest(row, maxVal, 'sem', 'largest value: set id');
        }
        break;
      case 'SHMMNI':
        row.used = usage.shmSegments;
        break;
      case 'SHMALL':
        row.used = usage.shmPages;
        row.usedBytes = usage.shmPages * page;
        row.limitBytes = Math.min(limit * page, Number.MAX_SAFE_INTEGER);
        break;
      case 'SHMMAX':
        usedByLargest(row, bigSeg, 'shm', 'largest segment: id');
        break;
      case 'MSGMNI':
        row.used = usage.msgQueues;
        break;
      case 'MSGMNB':
        usedByLargest(row, fullQ, 'msg', 'fullest queue: id');
        break;
      default:
        break; // SEMOPM, SHMMIN, MSGMAX, MQ_QUEUES_MAX: no usage to compare
    }
    row.percent = pct(row.used, limit);
    rows.push(row);
  }
  return rows;
}

/**
 * /dev/shm as a capacity row: bytes used of the tmpfs size (statfs). A container's default is 64 MiB (Docker),
 * and a full one is PostgreSQL's `could not resize shared memory segment "/PostgreSQL.N"` (ENOSPC).
 */
export function devShmRow(snap: Pick<IpcSnapshot, 'devShm'>): CapacityRow | undefined {
  const d = snap.devShm;
  if (!d || !(d.size > 0)) return undefined;
  return {
    name: 'DEVSHM',
    label: `${d.path} (${d.fsType})`,
    help:
      'Size and use of the file system holding POSIX shared memory and named semaphores. When it is full, ftruncate/posix_fallocate of a ' +
      'POSIX shm object fails (ENOSPC; PostgreSQL: could not resize shared memory segment). Containers get their own, often 64 MiB.',
    kind: 'shm',
    unit: 'bytes',
    used: d.used,
    limit: d.size,
    percent: pct(d.used, d.size),
    unlimited: false,
    raise: 'mount -o remount,size=SIZE /dev/shm (docker run --shm-size, a Kubernetes emptyDir with medium: Memory and a sizeLimit)',
  };
}

/** The row with the highest percentage, whatever it measures; undefined if none has one. */
export function worstUsage(rows: readonly CapacityRow[]): CapacityRow | undefined {
  let worst: CapacityRow | undefined;
  for (const r of rows) if (r.percent !== null && (!worst || r.percent > worst.percent!)) worst = r;
  return worst;
}

/**
 * The pools: system-wide limits that every new object draws from, so that a full one makes the next
 * semget/shmget/msgget (or a POSIX object's ftruncate on /dev/shm) fail with ENOSPC. Their percentage is a
 * fill level. The other limits with a usage are per-object maxima (SEMMSL, SEMVMX, SHMMAX, MSGMNB): their
 * percentage compares the largest object with what ONE object may be, and at 100 % nothing runs out (a
 * PostgreSQL sized to SHMMAX sits there for good); only a larger object is refused.
 */
const POOLS: ReadonlySet<CapacityRow['name']> = new Set(['SEMMNI', 'SEMMNS', 'SHMMNI', 'SHMALL', 'MSGMNI', 'DEVSHM']);

export function isPool(row: Pick<CapacityRow, 'name'>): boolean {
  return POOLS.has(row.name);
}

/**
 * A percentage for a one-line summary: whole numbers, never "0" for a pool in use nor "100" for one not yet
 * full (0.3 -> "<1", 99.7 -> "99").
 */
export function summaryPercent(pct: number): string {
  if (pct <= 0) return '0';
  if (pct < 0.5) return '<1';
  if (pct >= 99.5 && pct < 100) return '99';
  return String(Math.round(pct));
}

/** A host's (or a namespace's) fullest pool, as every summary of it shows it. */
export interface FullestPool {
  row: CapacityRow;
  percent: number;
  /** `SEMMNS 78 %`, `/dev/shm 95 %` */
  text: string;
  /** `Fullest pool: SEMMNS (Number of semaphores system wide) at 78.2 %` */
  detail: string;
}

/**
 * The fullest pool in use (isPool; /dev/shm when the snapshot has its size), the one figure the host's tree
 * row, the status bar and an IPC namespace's row summarise a host by. Per-object maxima are left out (see
 * POOLS) and so is a limit marked unlimited. Undefined when no pool is in use. `rows`: capacity(snap), when
 * the caller has it.
 */
export function fullestPool(snap: CapacityInput & Partial<Pick<IpcSnapshot, 'devShm'>>, rows: readonly CapacityRow[] = capacity(snap)): FullestPool | undefined {
  const dev = devShmRow(snap);
  let best: CapacityRow | undefined;
  for (const r of dev ? [...rows, dev] : rows) {
    if (!isPool(r) || r.unlimited || r.percent === null || !(r.percent > 0)) continue;
    if (!best || r.percent > best.percent!) best = r;
  }
  if (!best) return undefined;
  const percent = best.percent!;
  const name = best.name === 'DEVSHM' ? '/dev/shm' : best.name;
  return {
    row: best,
    percent,
    text: `${name} ${summaryPercent(percent)} %`,
    detail: `Fullest pool: ${name} (${best.label}) at ${percent.toFixed(1)} %`,
  };
}

/**
 * The per-object maxima at or above the warning threshold, as a line each for a summary's tooltip:
 * `SHMMAX 100 % (largest segment: id 589836): per-object maximum, not a pool`. `rows`: capacity(snap), when
 * the caller has it (a pass over every object and semaphore value: 544,000 values at 32,000 sets).
 */
export function maximaNearLimit(snap: CapacityInput, rows: readonly CapacityRow[] = capacity(snap)): string[] {
  return rows
    .filter((r) => !isPool(r) && !r.unlimited && r.percent !== null && r.percent >= CAPACITY_THRESHOLDS.warn)
    .map((r) => `${r.name} ${summaryPercent(r.percent!)} %${r.basis ? ` (${r.basis})` : ''}: a per-object maximum (the largest object against what one may be), not a pool`);
}

/**
 * Would `semget(key, nsems)` for a NEW set succeed with these limits and this usage? (ENOSPC when SEMMNI
 * or SEMMNS would be exceeded, EINVAL when nsems > SEMMSL.) Pure arithmetic on the snapshot.
 */
export function semgetFits(snap: CapacityInput, nsems: number): { ok: true } | { ok: false; code: 'ENOSPC' | 'EINVAL'; limit: LimitName } {
  // a limit the host did not report cannot be what fails (doctor.ts says "cannot tell" for those)
  const { semmsl, semmni, semmns } = snap.limits;
  if (semmsl !== undefined && nsems > semmsl) return { ok: false, code: 'EINVAL', limit: 'SEMMSL' };
  if (semmni !== undefined && snap.usage.semSets + 1 > semmni) return { ok: false, code: 'ENOSPC', limit: 'SEMMNI' };
  if (semmns !== undefined && snap.usage.semTotal + nsems > semmns) return { ok: false, code: 'ENOSPC', limit: 'SEMMNS' };
  return { ok: true };
}

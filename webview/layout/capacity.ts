/**
 * Capacity bars (pure): CapacityRow[] + the snapshot's orphans -> positioned bars with their text. The
 * scale is returned as data (domain/range) so tests can check it without a DOM.
 */
import type { IpcSnapshot, ObjectRef, Verdict } from '../../extension/shared/model';
import { formatBytes, formatCount } from '../../extension/shared/format';
import { capacityLevel, type CapacityLevel as BaseLevel, type CapacityRow } from '../../extension/shared/limitDescriptors';
import { isPool } from '../../extension/domain/capacity';
import { refOf, verdictOf } from './refs';

export type CapacityLevel = BaseLevel | 'none';

export interface CapacityBar {
  /** the limit's name in lower case, e.g. 'semmns' (the row's data-limit) */
  name: string;
  /** the name as sysctl/ipcs print it, e.g. 'SEMMNS'; 'POSIX mqueues' for MQ_QUEUES_MAX */
  title: string;
  label: string;
  level: CapacityLevel;
  /** 0..1 of the track (clamped). */
  usedFrac: number;
  /** where the orphans' part starts and its width, 0..1 of the track (it sits at the end of `used`). */
  orphanStartFrac: number;
  orphanFrac: number;
  /** e.g. "340 / 340" or "1.0 GiB / 8.0 GiB". */
  valueText: string;
  /** e.g. "100 %", or "unlimited". */
  pctText: string;
  /** e.g. "orphans hold 238 (70 %)"; empty when none. */
  orphanText: string;
  /** the hover / aria text: the limit in words and how to raise it. */
  tooltip: string;
  row: CapacityRow;
}

/** The level a bar is drawn at: the one threshold table (shared/limitDescriptors.ts). */
export function levelOf(pct: number | null, unlimited: boolean): CapacityLevel {
  return capacityLevel(pct, unlimited);
}



function fmt(row: CapacityRow, n: number): string {
  return row.unit === 'bytes' ? formatBytes(n) : formatCount(n);
}

/** What the orphans hold of each limit, when it can be attributed to objects. */
export function orphanUsage(snapshot: IpcSnapshot, verdicts: ReadonlyMap<ObjectRef, Verdict>): Map<string, number> {
  const isOrphan = (ref: ObjectRef): boolean => verdicts.get(ref)?.state === 'orphan';
  let orphanSets = 0;
  let orphanSems = 0;
  for (const s of snapshot.sems) {
    if (verdictOf(verdicts, s)?.state !== 'orphan') continue;
    orphanSets++;
    orphanSems += s.nsems;
  }
  const shms = snapshot.shms.filter((s) => isOrphan(refOf(s)));
  const msgs = snapshot.msgs.filter((m) => isOrphan(refOf(m)));
  const page = snapshot.limits.pageSize > 0 ? snapshot.limits.pageSize : 4096;
  return new Map([
    ['semmni', orphanSets],
    ['semmns', orphanSems],
    ['shmmni', shms.length],
    // SHMALL counts pages; rows in bytes carry page-rounded bytes.
    ['shmall', shms.reduce((a, s) => a + Math.ceil(s.segsz / page) * page, 0)],
    ['msgmni', msgs.length],
  ]);
}

/**
 * A percentage a person can trust at a glance: never "100" unless it is full, never "0" unless it is empty
 * (99.95 -> 99.9, 0.04 -> <0.1), one decimal below 10, whole numbers otherwise.
 */
export function formatPct(pct: number): string {
  if (pct <= 0) return '0';
  if (pct < 0.1) return '<0.1';
  if (pct < 10) return pct.toFixed(1);
  if (pct < 99) return String(Math.round(pct));
  if (pct < 100) return (Math.floor(pct * 10) / 10).toFixed(1);
  return String(Math.round(pct));
}

export function capacityBars(rows: readonly CapacityRow[], orphans: ReadonlyMap<string, number>): CapacityBar[] {
  return rows.map((row) => {
    const unlimited = row.unlimited || !(row.limit > 0);
    const used = row.used;
    const name = row.name.toLowerCase();
    const title = row.name === 'MQ_QUEUES_MAX' ? 'POSIX mqueues' : row.name;
    const pct = unlimited || used === null ? null : row.percent ?? (used / row.limit) * 100;
    const level = used === null && !unlimited ? 'none' : levelOf(pct, unlimited);
    const usedFrac = unlimited || used === null ? 0 : Math.max(0, Math.min(1, used / row.limit));
    const orphanUsed = used === null ? 0 : Math.min(used, row.orphanUsed ?? orphans.get(name) ?? 0);
    const orphanFrac = unlimited ? 0 : Math.max(0, Math.min(usedFrac, orphanUsed / row.limit));
    const raiseBy = row.raiseBy ?? {};
    const sysctl = [raiseBy.linux ? `Linux: ${raiseBy.linux}` : '', raiseBy.bsd ? `BSD: ${raiseBy.bsd}` : '']
      .filter((s) => s !== '')
      .join('; ');
    const usedText = used === null ? '—' : fmt(row, used);
    const valueText = unlimited ? `${usedText} / unlimited` : `${usedText} / ${fmt(row, row.limit)}`;
    const pctText = used === null ? 'no usage to compare' : pct === null ? 'unlimited' : `${formatPct(pct)} %`;
    const orphanText =
      used !== null && orphanUsed > 0
        ? `orphans hold ${fmt(row, orphanUsed)}${used > 0 ? ` (${formatPct((orphanUsed / used) * 100)} % of used)` : ''}`
        : '';
    const tooltip = [
      `${title}: ${row.label}`,
      row.help,
      `${valueText} (${pctText})`,
      row.basis ?? '',
      orphanText,
      sysctl ? `To raise it: ${sysctl}` : '',
    ]
      .filter((s) => s !== '')
      .join('\n');
    return {
      name,
      title,
      label: row.label,
      level,
      usedFrac,
      orphanStartFrac: usedFrac - orphanFrac,
      orphanFrac,
      valueText,
      pctText,
      orphanText,
      tooltip,
      row,
    };
  });
}

/** what a per-object maximum at 100 % refuses (the largest object is exactly the maximum; nothing ran out) */
const AT_MAXIMUM: Record<string, string> = {
  SEMMSL: 'a larger set fails with EINVAL',
  SEMVMX: 'raising that semaphore further fails with ERANGE',
  SHMMAX: 'a larger segment fails with EINVAL',
  MSGMNB: 'that queue is full: msgsnd to it blocks (EAGAIN with IPC_NOWAIT)',
};

/**
 * The capacity headline's lines: the full pools, which make new objects fail with ENOSPC
 * (`SEMMNS is full (340 / 340): new objects fail with ENOSPC`), and apart from them the per-object maxima an
 * object has reached, with what that refuses
 * (`SHMMAX reached by the largest segment: id 589836 (512 MiB / 512 MiB): a larger segment fails with EINVAL`).
 */
export function fullLines(bars: readonly CapacityBar[]): { pools: string | null; maxima: string[] } {
  const full = bars.filter((b) => b.level === 'full');
  const pools = full.filter((b) => isPool(b.row));
  return {
    pools: pools.length ? `${pools.map((b) => `${b.title} is full (${b.valueText})`).join('; ')}: new objects fail with ENOSPC` : null,
    maxima: full
      .filter((b) => !isPool(b.row))
      .map((b) => `${b.title} reached${b.row.basis ? ` by the ${b.row.basis}` : ''} (${b.valueText})${AT_MAXIMUM[b.title] ? `: ${AT_MAXIMUM[b.title]}` : ''}`),
  };
}

export interface OrphanSummary {
  sets: number;
  orphanSets: number;
  recyclableSets: number;
  sems: number;
  orphanSems: number;
  recyclableSems: number;
  shms: number;
  orphanShms: number;
  msgs: number;
  orphanMsgs: number;
  /** "14 of 16 sets are orphans: recycling frees 238 of 340 semaphores" */
  headline: string;
}

export function orphanSummary(snapshot: IpcSnapshot, verdicts: ReadonlyMap<ObjectRef, Verdict>): OrphanSummary {
  let orphanSets = 0;
  let recyclableSets = 0;
  let sems = 0;
  let orphanSems = 0;
  let recyclableSems = 0;
  let undecided = 0;
  for (const s of snapshot.sems) {
    const v = verdictOf(verdicts, s);
    sems += s.nsems;
    if ((v?.state ?? 'unknown') === 'unknown') undecided++;
    if (v?.state === 'orphan') {
      orphanSets++;
      orphanSems += s.nsems;
      if (v.recyclable) {
        recyclableSets++;
        recyclableSems += s.nsems;
      }
    }
  }
  const orphanShms = snapshot.shms.filter((s) => verdicts.get(refOf(s))?.state === 'orphan').length;
  const orphanMsgs = snapshot.msgs.filter((m) => verdicts.get(refOf(m))?.state === 'orphan').length;
  const sets = snapshot.sems.length;
  let headline: string;
  if (sets === 0) headline = 'No semaphore sets.';
  else if (orphanSets === 0) {
    headline = undecided
      ? `No semaphore set is a proven orphan; ${formatCount(undecided)} of ${formatCount(sets)} are undecided.`
      : `None of ${formatCount(sets)} semaphore sets is an orphan.`;
  }
  else {
    const setsWord = `${formatCount(orphanSets)} of ${formatCount(sets)} ${sets === 1 ? 'set is an orphan' : 'sets are orphans'}`;
    const recyc = recyclableSets === orphanSets ? '' : ` (${formatCount(recyclableSets)} provably recyclable)`;
    headline = `${setsWord}${recyc}: recycling frees ${formatCount(recyclableSems)} of ${formatCount(sems)} semaphores`;
  }
  return {
    sets,
    orphanSets,
    recyclableSets,
    sems,
    orphanSems,
    recyclableSems,
    shms: snapshot.shms.length,
    orphanShms,
    msgs: snapshot.msgs.length,
    orphanMsgs,
    headline,
  };
}

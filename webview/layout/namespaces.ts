/**
 * The dashboard's "shared memory and semaphores by container" view (pure): the machine's IPC namespaces as
 * the host lists them -> one row per namespace with three bars, each against that namespace's own limit (its
 * SEMMNI/SEMMNS, its SHMALL) and its own /dev/shm size, with the text a person reads.
 */
import type { NamespaceItem, NamespaceUsage } from '../../extension/shared/dashboardProtocol';
import { formatBytes, formatCount, visibleText } from '../../extension/shared/format';
import { levelOf, type CapacityLevel } from './capacity';

export interface NamespaceBar {
  /** semaphores | sysvShm | devShm */
  what: 'sem' | 'shm' | 'devShm';
  title: string;
  level: CapacityLevel;
  /** 0..1 of the track (clamped) */
  frac: number;
  /** `SEMMNI 1 / 4`, `64 KiB / 16 GiB`, `3 MiB / 4 MiB` */
  valueText: string;
  /** `25 %`, `unlimited` */
  pctText: string;
}

export interface NamespaceRow {
  /** the store host to select, null when it cannot be read */
  host: string | null;
  ns: string;
  /** one line, control and bidi characters escaped */
  label: string;
  /** `machine's own`, `IPC Explorer runs here`, `3 sem · 1 shm · 1 msg · 1 POSIX` */
  note: string;
  current: boolean;
  /** why there are no bars: cannot be read, refresh failed, not read yet */
  problem?: string;
  bars: NamespaceBar[];
}

const TITLES = { sem: 'semaphores', shm: 'System V shared memory', devShm: '/dev/shm' } as const;

function bar(what: NamespaceBar['what'], u: NamespaceUsage | undefined): NamespaceBar {
  if (!u) return { what, title: TITLES[what], level: 'none', frac: 0, valueText: 'not read', pctText: '' };
  const unlimited = u.percent === null;
  const fmt = (n: number) => (u.unit === 'bytes' ? formatBytes(n) : formatCount(n));
  const prefix = what === 'sem' ? `${u.limitName} ` : '';
  return {
    what,
    title: TITLES[what],
    level: levelOf(u.percent, unlimited),
    frac: unlimited || !(u.limit > 0) ? 0 : Math.max(0, Math.min(1, u.used / u.limit)),
    valueText: `${prefix}${fmt(u.used)} / ${unlimited ? 'unlimited' : fmt(u.limit)}`,
    pctText: unlimited ? 'unlimited' : `${Math.round(u.percent!)} %`,
  };
}

export function layoutNamespaces(items: readonly NamespaceItem[], current: string): NamespaceRow[] {
  return items.map((it) => {
    const notes: string[] = [];
    if (it.initial) notes.push("machine's own");
    if (it.own) notes.push('IPC Explorer runs here');
    if (it.counts) notes.push(`${it.counts.sem} sem · ${it.counts.shm} shm · ${it.counts.msg} msg · ${it.counts.posix} POSIX`);
    const row: NamespaceRow = {
      host: it.host,
      ns: it.ns,
      label: visibleText(it.label, 120),
      note: notes.join(' · '),
      current: it.host !== null && it.host === current,
      bars: [],
    };
    if (!it.host) row.problem = `not read: ${visibleText(it.reason ?? 'cannot be entered', 200)}`;
    else if (it.error) row.problem = `refresh failed: ${visibleText(it.error, 200)}`;
    if (it.counts) row.bars = [bar('sem', it.sem), bar('shm', it.shm), bar('devShm', it.devShm)];
    else if (!row.problem) row.problem = 'not read yet';
    return row;
  });
}

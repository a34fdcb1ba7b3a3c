/**
 * PostgreSQL's System V semaphore needs (docs, "Managing Kernel Resources"), compared with the kernel limits.
 *
 * Each set holds 16 semaphores plus the marker, so SEMMSL >= 17. For releases 12 to 17:
 *   sets = ceil((max_connections + autovacuum_max_workers + max_wal_senders + max_worker_processes + 7) / 16)
 * 11 and older: ceil((max_connections + autovacuum_max_workers + max_worker_processes + 5) / 16) (walsenders
 * came out of max_connections in 12). 18: `postgres -D DATADIR -C num_os_semaphores` gives n directly, and
 * sets = ceil(n / 16). SEMMNI >= sets and SEMMNS >= sets * 17, plus whatever other applications use.
 *
 * Note: on Linux and FreeBSD PostgreSQL uses unnamed POSIX semaphores by default; SysV semaphores are used on
 * macOS, OpenBSD, NetBSD and builds configured with USE_SYSV_SEMAPHORES. The shm interlock segment is SysV
 * everywhere.
 */
import type { IpcLimits } from '../shared/model';

export interface PgSettings {
  /** major version, e.g. 15. */
  version: number;
  maxConnections: number;
  autovacuumMaxWorkers: number;
  maxWalSenders: number;
  maxWorkerProcesses: number;
  /** PostgreSQL 18+: the value of `postgres -C num_os_semaphores`, when known. */
  numOsSemaphores?: number;
}

/** PostgreSQL's defaults for a major version (max_wal_senders became 10 in 10, autovacuum 3, workers 8). */
export function pgDefaults(version = 15): PgSettings {
  return { version, maxConnections: 100, autovacuumMaxWorkers: 3, maxWalSenders: version >= 10 ? 10 : 0, maxWorkerProcesses: 8 };
}

export interface PgSemNeeds {
  /** semaphores PostgreSQL allocates (one per process slot), before grouping into sets. */
  processSlots: number;
  sets: number;
  semaphores: number;
  semmsl: number;
  /** the formula with the numbers filled in. */
  formula: string;
  notes: string[];
}

export function pgSemaphoreNeeds(s: PgSettings): PgSemNeeds {
  const notes: string[] = [];
  let n: number;
  let formula: string;
  if (s.version >= 18 && s.numOsSemaphores !== undefined) {
    n = s.numOsSemaphores;
    formula = `num_os_semaphores ${n} (postgres -C num_os_semaphores)`;
  } else if (s.version >= 12) {
    n = s.maxConnections + s.autovacuumMaxWorkers + s.maxWalSenders + s.maxWorkerProcesses + 7;
    formula = `max_connections ${s.maxConnections} + autovacuum_max_workers ${s.autovacuumMaxWorkers} + max_wal_senders ${s.maxWalSenders} + max_worker_processes ${s.maxWorkerProcesses} + 7 = ${n}`;
    if (s.version >= 18) notes.push('PostgreSQL 18: run `postgres -D DATADIR -C num_os_semaphores` for the exact number; this uses the 17 formula as an estimate');
  } else {
    n = s.maxConnections + s.autovacuumMaxWorkers + s.maxWorkerProcesses + 5;
    formula = `max_connections ${s.maxConnections} + autovacuum_max_workers ${s.autovacuumMaxWorkers} + max_worker_processes ${s.maxWorkerProcesses} + 5 = ${n} (11 and older: walsenders count in max_connections)`;
  }
  const sets = Math.ceil(n / 16);
  return { processSlots: n, sets, semaphores: sets * 17, semmsl: 17, formula: `ceil((${formula}) / 16) = ${sets} sets x 17 = ${sets * 17} semaphores`, notes };
}

export interface PgSizingCheck {
  limit: 'SEMMSL' | 'SEMMNI' | 'SEMMNS';
  need: number;
  /** what is free now (limit - used), or the limit itself for SEMMSL; null when the host did not report the limit. */
  available: number | null;
  limitValue: number | null;
  /** false also when the limit is not known */
  ok: boolean;
  /** the host did not report this limit (an ipcs-based host): whether PostgreSQL fits under it cannot be told */
  unknown?: true;
}

export interface PgSizing {
  settings: PgSettings;
  needs: PgSemNeeds;
  checks: PgSizingCheck[];
  ok: boolean;
  /** no check fails, but some limit is not known: neither "fits" nor "does not fit" */
  unknown: boolean;
}

/** Compare PostgreSQL's needs with the limits and current usage (used sets/semaphores system-wide). */
export function pgSizing(s: PgSettings, limits: IpcLimits, used: { sets: number; semaphores: number }): PgSizing {
  const needs = pgSemaphoreNeeds(s);
  const check = (limit: PgSizingCheck['limit'], need: number, value: number | undefined, inUse: number): PgSizingCheck => {
    if (value === undefined) return { limit, need, available: null, limitValue: null, ok: false, unknown: true };
    return { limit, need, available: value - inUse, limitValue: value, ok: value - inUse >= need };
  };
  const checks = [
    check('SEMMSL', needs.semmsl, limits.semmsl, 0),
    check('SEMMNI', needs.sets, limits.semmni, used.sets),
    check('SEMMNS', needs.semaphores, limits.semmns, used.semaphores),
  ];
  const ok = checks.every((c) => c.ok);
  return { settings: s, needs, checks, ok, unknown: !ok && checks.every((c) => c.ok || c.unknown) };
}

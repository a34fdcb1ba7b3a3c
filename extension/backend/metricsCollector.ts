/**
 * Collects what the metrics of one host need: a snapshot, per-semaphore detail for every set (waiters,
 * last-op pids), process facts for every pid then named, the owner evidence that needs no attach (PostgreSQL
 * data directories), verdicts (the snapshot carries the statfs of /dev/shm). The derivation itself is pure
 * (domain/metrics.ts).
 *
 * A metrics collection never attaches a shared memory segment: a header peek is an attach, and a scrape every
 * 15 s would keep moving the atime/lpid of the segments it watches (and keep their orphans young). So a
 * PostgreSQL interlock segment is recognised here only through a running postmaster's postmaster.pid, and an
 * orphaned one counts as an orphan without an owner (its semaphore sets are recognised by their marker value).
 */
import os from 'node:os';
import { toIpcErrorInfo } from '../domain/errors';
import { failureMetrics, snapshotMetrics, type MetricFamily, type MetricScope, type MetricsOptions } from '../domain/metrics';
import { assessSnapshot, verdictOptions, type VerdictOptions } from '../domain/verdict';
import type { IpcErrorInfo } from '../shared/model';
import type { IpcSource } from './ipcSource';
import { findDataDirs, restorePeekedFields, withDetail } from './ownerEvidence';
import { processFactsFor } from './recycleExecutor';

export interface CollectOptions extends MetricsOptions {
  /** the verdict rules (minimum orphan age, recency window, recycleUnrecognized ...). */
  verdict?: Partial<VerdictOptions>;
  /** PostgreSQL data directories to match (local). */
  dataDirs?: string[];
  /** the scope labels; default { host: the source's host, or this machine's hostname for 'local' }. */
  scope?: MetricScope;
}

export interface HostMetrics {
  families: MetricFamily[];
  /** set when the snapshot failed (the families then say ipc_probe_success 0). */
  error?: IpcErrorInfo;
  /** snapshot-level warnings and per-object errors, for a person (stderr). */
  notes: string[];
}

/** The scope label of a source: this machine's hostname for 'local', the SSH destination as named otherwise. */
export function defaultScope(source: IpcSource): MetricScope {
  return { host: source.host === 'local' ? os.hostname() : source.host };
}

/** The metric families of one source; a failure becomes failure metrics, never a rejection. */
export async function collectHostMetrics(source: IpcSource, opts: CollectOptions = {}): Promise<HostMetrics> {
  const t0 = performance.now();
  const local = source.host === 'local';
  try {
    const base = await source.snapshot();
    const snapshot = await withDetail(source, local ? restorePeekedFields(base) : base, { processFacts: processFactsFor(source) });
    const evidence = local ? { dataDirs: findDataDirs(opts.dataDirs ?? []) } : {};
    const options = verdictOptions({ ...opts.verdict, evidence, ownPids: local ? [process.pid] : [] });
    const now = opts.now ?? Math.floor(Date.now() / 1000);
    const verdicts = assessSnapshot(snapshot, options, now);
    const scope = opts.scope ?? defaultScope(source);
    const durationSeconds = (performance.now() - t0) / 1000;
    const families = snapshotMetrics({ scope, snapshot, verdicts, durationSeconds }, { ...opts, now });
    const notes = [...snapshot.warnings.map((w) => `warning: ${w}`)];
    for (const e of snapshot.errors) notes.push(`${e.kind}${e.id !== undefined ? ` id=${e.id}` : ''}${e.name ? ` ${e.name}` : ''}: ${e.error.message}`);
    return { families, notes };
  } catch (e) {
    const error = toIpcErrorInfo(e, local ? {} : { syscall: 'ssh' });
    const scope = opts.scope ?? defaultScope(source);
    return { families: failureMetrics(scope, error, (performance.now() - t0) / 1000), error, notes: [] };
  }
}

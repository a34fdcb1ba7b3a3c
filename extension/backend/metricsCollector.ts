/**
 * Collects what the metrics of one host need: a snapshot, per-semaphore detail for every set (waiters,
 * last-op pids), process facts for every pid then named, the owner evidence that needs no attach (PostgreSQL
 * data directories), verdicts, and the statfs of /dev/shm (local). The derivation itself is pure
 * (domain/metrics.ts).
 *
 * A metrics collection never attaches a shared memory segment: a header peek is an attach, and a scrape every
 * 15 s would keep moving the atime/lpid of the segments it watches (and keep their orphans young). So a
 * PostgreSQL interlock segment is recognised here only through a running postmaster's postmaster.pid, and an
 * orphaned one counts as an orphan without an owner (its semaphore sets are recognised by their marker value).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toIpcErrorInfo } from '../domain/errors';
import { failureMetrics, snapshotMetrics, type DevShmUsage, type MetricFamily, type MetricScope, type MetricsOptions } from '../domain/metrics';
import { assessSnapshot, verdictOptions, type VerdictOptions } from '../domain/verdict';
import type { IpcErrorInfo } from '../shared/model';
import type { IpcSource } from './ipcSource';
import { NamespaceSource, unsafeDevShm } from './namespaceSource';
import { findDataDirs, restorePeekedFields, withDetail } from './ownerEvidence';
import { processFactsFor } from './recycleExecutor';

export interface CollectOptions extends MetricsOptions {
  /** the verdict rules (minimum orphan age, recency window, recycleUnrecognized ...). */
  verdict?: Partial<VerdictOptions>;
  /** PostgreSQL data directories to match (local). */
  dataDirs?: string[];
  /** the scope labels; default { host: the source's host, or this machine's hostname for 'local' }. */
  scope?: MetricScope;
  /** where /dev/shm is (local); default /dev/shm. */
  devShmPath?: string;
}

export interface HostMetrics {
  families: MetricFamily[];
  /** set when the snapshot failed (the families then say ipc_probe_success 0). */
  error?: IpcErrorInfo;
  /** snapshot-level warnings and per-object errors, for a person (stderr). */
  notes: string[];
}

/** statfs of /dev/shm, or undefined when it cannot be read. */
export function devShmUsage(p = '/dev/shm'): DevShmUsage | undefined {
  try {
    const s = fs.statfsSync(p);
    return {
      sizeBytes: s.blocks * s.bsize,
      freeBytes: s.bfree * s.bsize,
      availBytes: s.bavail * s.bsize,
      files: s.files,
      filesFree: s.ffree,
    };
  } catch {
    return undefined;
  }
}

/**
 * statfs of the /dev/shm of what a source reads: this machine's (local), another namespace's main process's
 * (through /proc/PID/root, only when its dev and dev/shm are real directories: a link there would resolve
 * against our root and report our file system), none for other sources.
 */
function devShmOf(source: IpcSource, opts: CollectOptions): DevShmUsage | undefined {
  if (source.host === 'local') return devShmUsage(opts.devShmPath);
  if (source instanceof NamespaceSource) {
    const dir = source.devShmPath;
    if (unsafeDevShm(path.dirname(path.dirname(dir)))) return undefined;
    return devShmUsage(dir);
  }
  return undefined;
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
    const devShm = devShmOf(source, opts);
    const scope = opts.scope ?? defaultScope(source);
    const durationSeconds = (performance.now() - t0) / 1000;
    const families = snapshotMetrics({ scope, snapshot, verdicts, durationSeconds, ...(devShm ? { devShm } : {}) }, { ...opts, now });
    const notes = [...snapshot.warnings.map((w) => `warning: ${w}`)];
    for (const e of snapshot.errors) notes.push(`${e.kind}${e.id !== undefined ? ` id=${e.id}` : ''}${e.name ? ` ${e.name}` : ''}: ${e.error.message}`);
    return { families, notes };
  } catch (e) {
    const error = toIpcErrorInfo(e, local ? {} : { syscall: 'ssh' });
    const scope = opts.scope ?? defaultScope(source);
    return { families: failureMetrics(scope, error, (performance.now() - t0) / 1000), error, notes: [] };
  }
}

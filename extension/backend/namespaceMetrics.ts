/**
 * Metrics of several IPC namespaces of this machine in one exposition: each namespace's snapshot is collected
 * as any host's (metricsCollector.ts) and its series carry `host` (this machine), `namespace` (`ipc:[INODE]`)
 * and, when its main process's cgroup names one, `container`. A namespace that cannot be read (gone between
 * discovery and its snapshot, not enterable without CAP_SYS_ADMIN) is one `ipc_probe_success 0` under its
 * own labels; the others are still exported.
 */
import os from 'node:os';
import { describeContainer } from '../domain/containers';
import { mergeFamilies, type MetricScope } from '../domain/metrics';
import type { IpcNamespaceInfo } from '../shared/namespaces';
import type { IpcSource } from './ipcSource';
import { collectHostMetrics, type CollectOptions, type HostMetrics } from './metricsCollector';

/** The scope labels of one namespace of this machine. */
export function namespaceScope(info: IpcNamespaceInfo, host = os.hostname()): MetricScope {
  const scope: MetricScope = { host, namespace: info.ns };
  if (info.container) scope.container = describeContainer(info.container, info.pod);
  return scope;
}

export interface NamespaceMetrics {
  info: IpcNamespaceInfo;
  metrics: HostMetrics;
}

/**
 * Collects the namespaces one after another (each snapshot runs on a native thread switched into its
 * namespace; one at a time keeps a scrape of a machine with many containers to one such thread).
 */
export async function collectNamespaceMetrics(
  namespaces: readonly IpcNamespaceInfo[],
  sourceFor: (info: IpcNamespaceInfo) => IpcSource,
  opts: CollectOptions = {},
): Promise<NamespaceMetrics[]> {
  const out: NamespaceMetrics[] = [];
  for (const info of namespaces) {
    const source = sourceFor(info);
    try {
      out.push({ info, metrics: await collectHostMetrics(source, { ...opts, scope: namespaceScope(info, opts.scope?.host) }) });
    } finally {
      source.dispose?.();
    }
  }
  return out;
}

/**
 * One HostMetrics for all of them: the families merged; an error only when no namespace could be read;
 * notes prefixed with the namespace they are about (discovery warnings first).
 */
export function mergeNamespaceMetrics(results: readonly NamespaceMetrics[], warnings: readonly string[] = []): HostMetrics {
  const notes = warnings.map((w) => `warning: ${w}`);
  for (const r of results) {
    const who = `${r.info.ns} (${r.info.label})`;
    if (r.metrics.error) notes.push(`${who}: ${r.metrics.error.message}${r.metrics.error.code ? ` (${r.metrics.error.code})` : ''}`);
    for (const n of r.metrics.notes) notes.push(`${who}: ${n}`);
  }
  const merged: HostMetrics = { families: mergeFamilies(results.map((r) => r.metrics.families)), notes };
  const firstError = results.find((r) => r.metrics.error)?.metrics.error;
  if (firstError && results.every((r) => r.metrics.error)) merged.error = firstError;
  return merged;
}

import fs from 'node:fs';
import path from 'node:path';
import { collectHostMetrics, type CollectOptions, type HostMetrics } from '../../backend/metricsCollector';
import type { ExpositionFormat } from '../../backend/metricsExposition';
import { collectNamespaceMetrics } from '../../backend/namespaceMetrics';
import { DEFAULT_MAX_OBJECTS, mergeFamilies } from '../../domain/metrics';
import { EXIT, UsageError, checkHosts, formatErrorLine, parseCommandArgs, type CliIo, type Subcommand } from '../cliSupport';
import { NAMESPACE_OPTIONS, NAMESPACE_USAGE, namespaceTargets } from '../namespaceArgs';
import { getSources } from '../sources';
import { orphanOptions } from './recycle';

export const TEXTFILE_NAME = 'ipc.prom';

/** The options `metrics` and `serve` share (what a scrape computes). */
export const COLLECT_OPTIONS = {
  'per-object': { type: 'boolean' },
  'max-objects': { type: 'string' },
  'min-age': { type: 'string' },
  recent: { type: 'string' },
  'include-unrecognized': { type: 'boolean' },
  'data-dir': { type: 'string', multiple: true },
} as const;

export const COLLECT_USAGE = `  --per-object     also one series per object (info, size, attachments, waiters, orphan age), at most
                   --max-objects of them (default ${DEFAULT_MAX_OBJECTS}; orphans first): ipc_per_object_dropped counts the rest
  --min-age S, --recent S, --include-unrecognized   what counts as an orphan and as recyclable, as for
                   ipcx recycle (defaults 60 s, 10 s, off)
  --data-dir DIR   a PostgreSQL data directory to match objects against (repeatable; running postmasters'
                   -D are found by themselves)`;

export function collectOptions(values: {
  'per-object'?: boolean; 'max-objects'?: string; 'min-age'?: string; recent?: string; 'include-unrecognized'?: boolean; 'data-dir'?: string[];
}): CollectOptions {
  let maxObjects = DEFAULT_MAX_OBJECTS;
  if (values['max-objects'] !== undefined) {
    if (!/^\d{1,7}$/.test(values['max-objects'])) throw new UsageError(`--max-objects needs a whole number, not ${JSON.stringify(values['max-objects'])}`);
    maxObjects = Number(values['max-objects']);
  }
  return {
    perObject: values['per-object'] === true,
    maxObjects,
    verdict: orphanOptions(values),
    dataDirs: values['data-dir'] ?? [],
  };
}

/**
 * Writes `text` to DIR/ipc.prom atomically: a temporary file in DIR (node_exporter's textfile collector reads
 * only *.prom, so it never sees the partial file), flushed to disk, then renamed over the old one.
 */
export function writeTextfile(dir: string, text: string): string {
  const target = path.join(dir, TEXTFILE_NAME);
  const tmp = path.join(dir, `.${TEXTFILE_NAME}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fs.rmSync(tmp, { force: true }); // left by a run that died with this pid (unlinks a symlink, never its target)
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
    return target;
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Collects every host in parallel; one failing host never hides the others. */
export async function collectAll(hosts: string[], opts: CollectOptions): Promise<HostMetrics[]> {
  const sources = getSources(hosts);
  try {
    return await Promise.all(sources.map((s) => collectHostMetrics(s, opts)));
  } finally {
    for (const s of sources) s.dispose?.();
  }
}

export function reportNotes(results: HostMetrics[], hosts: string[], io: CliIo): void {
  results.forEach((r, i) => {
    const name = hosts[i] ?? 'local';
    if (r.error) io.err(`ipcx: ${name}: ${formatErrorLine(r.error)}\n`);
    for (const n of r.notes) io.err(`ipcx: ${name}: ${n}\n`);
  });
}

const command: Subcommand = {
  name: 'metrics',
  summary: 'Prometheus metrics of one snapshot: limits and use, objects by state, orphans, waiters, /dev/shm (or --textfile DIR)',
  usage: `usage: ipcx metrics [--openmetrics] [--textfile DIR] [--per-object [--max-objects N]] [--host DEST]...
                   [--namespace NS]... [--all-namespaces]
                   [--min-age S] [--recent S] [--include-unrecognized] [--data-dir DIR]...

Prints the Prometheus text exposition of one snapshot (metric names and labels: docs/prometheus.md).
  --openmetrics    the OpenMetrics text format instead
  --textfile DIR   write DIR/${TEXTFILE_NAME} atomically (temporary file in DIR, then rename) for node_exporter's
                   textfile collector, instead of printing; a failed snapshot still writes the file
                   (ipc_probe_success 0), so the alert fires
${COLLECT_USAGE}
  --host DEST      read DEST over SSH instead of this machine (repeatable; every series has a host label)
${NAMESPACE_USAGE}
                   every series of a namespace carries namespace="ipc:[INODE]" and, for a container's,
                   container="RUNTIME ID-or-NAME"; one that cannot be read is ipc_probe_success 0 under its labels
Exit status: 0 ok, 1 no host (namespace) could be read, 2 usage, 3 written but one of several failed.`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      { help: { type: 'boolean', short: 'h' }, host: { type: 'string', multiple: true }, openmetrics: { type: 'boolean' }, textfile: { type: 'string' }, ...NAMESPACE_OPTIONS, ...COLLECT_OPTIONS },
      false,
    );
    const hosts = checkHosts(values.host);
    const format: ExpositionFormat = values.openmetrics ? 'openmetrics' : 'prometheus';
    if (values.textfile !== undefined && values.openmetrics) throw new UsageError('--textfile writes the Prometheus text format (node_exporter reads only that); drop --openmetrics');
    if (values.textfile !== undefined) {
      const st = fs.statSync(values.textfile, { throwIfNoEntry: false });
      if (!st?.isDirectory()) throw new UsageError(`--textfile ${JSON.stringify(values.textfile)}: not a directory`);
    }
    const opts = collectOptions(values);
    if (hosts.some((h) => h !== 'local') && (values.namespace?.length || values['all-namespaces'])) {
      throw new UsageError('--namespace and --all-namespaces with metrics read this machine only (not with --host)');
    }
    const ns = await namespaceTargets(values, hosts);
    let results: HostMetrics[];
    let names: string[];
    if (ns) {
      for (const w of ns.warnings) io.err(`ipcx: warning: ${w}\n`);
      const byNs = await collectNamespaceMetrics(ns.targets.map((t) => t.info), (info) => ns.targets.find((t) => t.info === info)!.source, opts);
      results = byNs.map((r) => r.metrics);
      names = byNs.map((r) => `${r.info.ns} (${r.info.label})`);
    } else {
      results = await collectAll(hosts, opts);
      names = hosts.length ? hosts : ['local'];
    }
    // loaded here, not at start-up: prom-client costs every other command ~10 ms of module initialisation
    const { exposition } = await import('../../backend/metricsExposition');
    const text = await exposition(mergeFamilies(results.map((r) => r.families)), format);
    if (values.textfile !== undefined) {
      writeTextfile(values.textfile, text);
    } else {
      io.out(text);
    }
    reportNotes(results, names, io);
    if (results.every((r) => r.error)) return EXIT.ERROR;
    return results.some((r) => r.error) ? EXIT.PARTIAL : EXIT.OK;
  },
};

export default command;

import type { IpcSource } from '../../backend/ipcSource';
import { LocalSource } from '../../backend/localSource';
import { IpcError } from '../../domain/errors';
import type { IpcSnapshot } from '../../shared/model';
import type { NamespaceSnapshot } from '../../shared/namespaces';
import { SshSource } from '../../remote/sshSource';
import { COMMON_OPTIONS, EXIT, UsageError, checkHosts, errorInfoOf, formatErrorLine, parseCommandArgs, type CliIo, type Subcommand } from '../cliSupport';
import { NAMESPACE_OPTIONS, NAMESPACE_USAGE, namespaceTargets, type NamespaceTargets } from '../namespaceArgs';
import { renderSnapshot } from '../render';
import { getSources } from '../sources';

export interface HostResult {
  host: string;
  snapshot?: IpcSnapshot;
  error?: ReturnType<typeof errorInfoOf>;
}

/** Snapshots of every source, in parallel; one failing host never hides the others. */
export async function snapshotAll(hosts: string[]): Promise<HostResult[]> {
  return snapshotSources(getSources(hosts));
}

/** Snapshots of the given sources (disposed after), in parallel. */
export async function snapshotSources(sources: IpcSource[]): Promise<HostResult[]> {
  try {
    return await Promise.all(
      sources.map(async (s): Promise<HostResult> => {
        try {
          return { host: s.host, snapshot: await s.snapshot() };
        } catch (e) {
          return { host: s.host, error: errorInfoOf(e) };
        }
      }),
    );
  } finally {
    for (const s of sources) s.dispose?.();
  }
}

/**
 * Exit code for a set of host results: 1 when nothing was read, 3 when something is missing (a host failed,
 * an object could not be read, or a set's values could not be read), else 0.
 */
export function exitFor(results: HostResult[]): number {
  if (results.every((r) => r.error)) return EXIT.ERROR;
  const incomplete = (r: HostResult) =>
    r.error !== undefined ||
    (r.snapshot !== undefined && (r.snapshot.errors.length > 0 || r.snapshot.sems.some((s) => s.valuesError !== undefined)));
  if (results.some(incomplete)) return EXIT.PARTIAL;
  return EXIT.OK;
}

export function jsonText(value: unknown, pretty: boolean): string {
  return (pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value)) + '\n';
}

const command: Subcommand = {
  name: 'snapshot',
  summary: 'every IPC object, limit, usage count and related process (tables, or --json)',
  usage: `usage: ipcx snapshot [--json] [--host DEST]... [--namespace NS]... [--all-namespaces]

Prints every System V semaphore set, shared memory segment and message queue, the POSIX semaphores and
shared memory in /dev/shm, per-object errors and the processes the objects name.
  --json        the whole snapshot as JSON (keys documented in docs/cli.md, "ipcx snapshot --json");
                with several --host options, a JSON array with one snapshot (or {host, error}) per host
  --host DEST   read DEST instead of the local machine (repeatable; "local" is this machine)
${NAMESPACE_USAGE}
                with --json and several namespaces: [{namespace: {ns, label, container, pids, ...},
                snapshot} | {namespace, error}], one per namespace
Exit status: 0 ok, 1 nothing could be read, 2 usage, 3 printed but incomplete (an object, a set's values or
one of several hosts failed).`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...COMMON_OPTIONS, ...NAMESPACE_OPTIONS }, false);
    const hosts = checkHosts(values.host);
    if (values['all-namespaces'] && !values.namespace?.length && hosts.length === 1 && hosts[0] !== 'local') {
      return snapshotRemoteNamespaces(hosts[0]!, values.json === true, io);
    }
    const ns = await namespaceTargets(values, hosts);
    if (ns) return snapshotNamespaces(ns, values.json === true, io);
    if (values.json && hosts.every((h) => h === 'local') && hosts.length <= 1) {
      // the local fast path: the binding renders the sets' JSON itself (same content as JSON.stringify)
      const [source] = getSources(hosts);
      if (source instanceof LocalSource) {
        if (!io.isTTY && io.outFd !== undefined && source.mode === 'native') {
          // straight from the native columns to stdout: the document is never built in memory
          try {
            const w = await source.writeSnapshotJson(io.outFd);
            return w.partial ? EXIT.PARTIAL : EXIT.OK;
          } catch (e) {
            // a reader that went away (`ipcx snapshot --json | head -c 100`) is not an error
            if (e instanceof IpcError && e.code === 'EPIPE') return EXIT.OK;
            throw e;
          }
        }
        const r = await source.snapshotJson(io.isTTY);
        io.out(r.json);
        io.out('\n');
        return r.partial ? EXIT.PARTIAL : EXIT.OK;
      }
    }
    const results = await snapshotAll(hosts);
    const single = results.length === 1;
    if (single && results[0].error) {
      // nothing to print: the error line below says why
    } else if (values.json) {
      // one JSON.stringify of the whole document: V8's serializer beats hand-built strings here (measured)
      io.out(jsonText(single ? results[0].snapshot : results.map((r) => r.snapshot ?? { host: r.host, error: r.error }), io.isTTY));
    } else {
      const now = Math.floor(Date.now() / 1000);
      let first = true;
      for (const r of results) {
        if (!first) io.out('\n');
        first = false;
        if (r.snapshot) io.out(renderSnapshot(r.snapshot, now));
      }
    }
    for (const r of results) if (r.error) io.err(`ipcx: ${r.host}: ${formatErrorLine(r.error)}\n`);
    return exitFor(results);
  },
};

/** Snapshots of the namespaces `--namespace`/`--all-namespaces` named, one after another. */
export async function namespaceResults(ns: NamespaceTargets): Promise<NamespaceSnapshot[]> {
  const out: NamespaceSnapshot[] = [];
  try {
    for (const t of ns.targets) {
      const [r] = await snapshotSources([t.source]);
      if (r!.snapshot) {
        r!.snapshot.namespaceLabel = t.info.label;
        out.push({ namespace: t.info, snapshot: r!.snapshot });
      } else out.push({ namespace: t.info, error: r!.error! });
    }
  } finally {
    ns.dispose?.();
  }
  return out;
}

/**
 * `--host DEST --all-namespaces`: one probe reads the host's namespace and enters every other one with
 * nsenter (root, or sudo -n); the first entry is the probe's own namespace.
 */
async function snapshotRemoteNamespaces(host: string, json: boolean, io: CliIo): Promise<number> {
  const [source] = getSources([host]);
  if (!(source instanceof SshSource)) throw new UsageError('--all-namespaces with --host needs an SSH destination');
  let r: Awaited<ReturnType<SshSource['snapshotWithNamespaces']>>;
  try {
    r = await source.snapshotWithNamespaces();
  } finally {
    source.dispose?.();
  }
  const warnings: string[] = [];
  if (r.namespaces.cannotEnter) warnings.push(`${host}: ${r.namespaces.cannotEnter}`);
  if (r.namespaces.unreadable) warnings.push(`${host}: ${r.namespaces.unreadable} process(es)' /proc/PID/ns/ipc could not be read: their namespaces may be missing`);
  const ownNs = r.snapshot.ipcNamespace ?? 'ipc:[?]';
  const inode = Number(/\d+/.exec(ownNs)?.[0] ?? 0);
  const own: NamespaceSnapshot = {
    namespace: {
      ns: ownNs, inode, own: true, initial: inode === 4026531839, pids: [], mainPid: 0, nsPath: '/proc/self/ns/ipc',
      label: inode === 4026531839 ? 'host' : `${ownNs} (the probe's own)`, enterable: true,
    },
    snapshot: r.snapshot,
  };
  const code = printNamespaceResults([own, ...r.namespaces.list], warnings, json, io);
  // namespaces that could not be entered make the answer incomplete (unreadable processes are a warning, as locally)
  return code === EXIT.OK && r.namespaces.cannotEnter ? EXIT.PARTIAL : code;
}

async function snapshotNamespaces(ns: NamespaceTargets, json: boolean, io: CliIo): Promise<number> {
  return printNamespaceResults(await namespaceResults(ns), ns.warnings, json, io);
}

function printNamespaceResults(results: NamespaceSnapshot[], warnings: readonly string[], json: boolean, io: CliIo): number {
  for (const w of warnings) io.err(`warning: ${w}\n`);
  const single = results.length === 1;
  if (json) {
    if (single) {
      if (results[0]!.snapshot) io.out(jsonText(results[0]!.snapshot, io.isTTY));
    } else io.out(jsonText(results, io.isTTY));
  } else {
    const now = Math.floor(Date.now() / 1000);
    results.forEach((r, i) => {
      io.out(`${i ? '\n' : ''}namespace ${r.namespace.ns} ${r.namespace.label}\n`);
      if (r.snapshot) io.out(renderSnapshot(r.snapshot, now));
    });
  }
  for (const r of results) if (r.error) io.err(`ipcx: ${r.namespace.ns} (${r.namespace.label}): ${formatErrorLine(r.error)}\n`);
  return exitFor(results.map((r) => ({ host: r.namespace.ns, ...(r.snapshot ? { snapshot: r.snapshot } : { error: r.error! }) })));
}

export default command;

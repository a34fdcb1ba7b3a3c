/**
 * `--namespace PID|ipc:[N]|NAME` (repeatable) and `--all-namespaces`: which IPC namespaces of this machine a
 * command reads (snapshot, limits) or works in (recycle). The reader's own namespace is read as always
 * (LocalSource); every other one through NamespaceSource (setns on a dedicated native thread).
 *
 * With one `--host DEST` (a Linux SSH host), the host's probe lists its namespaces without entering them
 * (`--all-namespaces`: and reads them all, in the same round trip); the named one is read, or recycled in, by
 * an SshSource whose every script runs under `nsenter -t PID -i` there (root, or sudo -n).
 */
import type { IpcSource } from '../backend/ipcSource';
import { LocalSource } from '../backend/localSource';
import { nativeBinding } from '../backend/nativeLoader';
import { NamespaceSource } from '../backend/namespaceSource';
import { discoverNamespaces, findNamespace, type Discovery } from '../backend/namespaces';
import type { IpcNamespaceInfo } from '../shared/namespaces';
import { IpcError } from '../domain/errors';
import { SshSource } from '../remote/sshSource';
import { remoteOwnInfo } from '../domain/probeNamespaces';
import { UsageError } from './cliSupport';
import { getSources } from './sources';

export const NAMESPACE_OPTIONS = {
  namespace: { type: 'string', multiple: true },
  'all-namespaces': { type: 'boolean' },
} as const;

export const NAMESPACE_USAGE = `  --namespace NS    read the IPC namespace NS of this machine: a pid in it, ipc:[INODE], or a container
                    name, id prefix, pod name or hostname as \`ipcx namespaces\` lists them (repeatable;
                    entering another namespace needs root: CAP_SYS_ADMIN); with one --host DEST, a
                    namespace of that Linux host (entered with nsenter as root, or sudo -n)
  --all-namespaces  every IPC namespace of this machine, the machine's own first`;

/** Discovery with the binding's UTS hostname reader when it loads. */
export function discover(): Discovery {
  const b = nativeBinding().binding;
  return discoverNamespaces(b ? { utsNodename: (p) => b.utsNodename(p) } : {});
}

export interface NamespaceTarget {
  info: IpcNamespaceInfo;
  source: IpcSource;
}

export interface NamespaceTargets {
  targets: NamespaceTarget[];
  warnings: string[];
  /** ends what the targets share (an SSH host's connection) */
  dispose?(): void;
}

/**
 * `--namespace NS` or `--all-namespaces` with one `--host DEST`: one probe lists the host's namespaces
 * (`--all-namespaces`: and reads every one in that round trip; `--namespace`: enters none, only the picked
 * ones are read, by their own sources); the own one is the host's source, every other one its nsenter
 * source. A namespace that cannot be entered is still a target: reading it fails with the probe's reason.
 */
async function remoteTargets(host: string, specs: readonly string[], all: boolean): Promise<NamespaceTargets> {
  const [source] = getSources([host]);
  if (!(source instanceof SshSource)) throw new UsageError('--namespace with --host needs an SSH destination');
  let r: Awaited<ReturnType<SshSource['snapshotWithNamespaces']>>;
  try {
    r = await source.snapshotWithNamespaces({ listOnly: !all });
  } catch (e) {
    source.dispose();
    throw e;
  }
  if (r.snapshot.platform !== 'linux') {
    source.dispose();
    throw new IpcError({
      code: 'ENOTSUP', syscall: 'nsenter', op: 'CLONE_NEWIPC',
      message: `${host}: ${r.snapshot.platform} has no IPC namespaces: --namespace and --all-namespaces work on Linux hosts`,
    });
  }
  const own = remoteOwnInfo(r.snapshot, r.namespaces.ownPids);
  const list = [own, ...r.namespaces.list.map((e) => e.namespace)];
  const picked: IpcNamespaceInfo[] = [];
  if (all) picked.push(...list);
  for (const s of specs) {
    const f = findNamespace(list, s);
    if ('error' in f) {
      source.dispose();
      // a login that cannot read other processes' namespaces does not see them: that is the answer
      if (r.namespaces.cannotEnter) {
        throw new IpcError({ code: 'EPERM', syscall: 'nsenter', op: 'CLONE_NEWIPC', message: `${host}: --namespace ${JSON.stringify(s)}: ${f.error}; ${r.namespaces.cannotEnter}` });
      }
      throw new UsageError(`--namespace ${JSON.stringify(s)} on ${host}: ${f.error}`);
    }
    if (!picked.includes(f.ns)) picked.push(f.ns);
  }
  const warnings: string[] = [];
  if (r.namespaces.cannotEnter) warnings.push(`${host}: ${r.namespaces.cannotEnter}`);
  if (r.namespaces.unreadable) warnings.push(`${host}: ${r.namespaces.unreadable} process(es)' /proc/PID/ns/ipc could not be read: their namespaces may be missing`);
  // one target (recycle): its dispose() ends the connection; several: dispose() below does
  const closesHost = picked.length === 1;
  const targets = picked.map((info): NamespaceTarget => {
    if (info === own) {
      const s = source.sharing({ closesHost });
      if (all) s.prime(r.snapshot);
      return { info, source: s };
    }
    const ns = source.forNamespace(info, { closesHost });
    // --all-namespaces read it in the listing's round trip already: the first snapshot is that one
    const got = r.namespaces.list.find((e) => e.namespace === info)?.snapshot;
    if (got && all) ns.prime(got);
    return { info, source: ns };
  });
  return { targets, warnings, dispose: () => source.dispose() };
}

/** The namespaces the options name (undefined when neither option is given). */
export async function namespaceTargets(
  values: { namespace?: string[]; 'all-namespaces'?: boolean },
  hosts: readonly string[],
): Promise<NamespaceTargets | undefined> {
  const specs = values.namespace ?? [];
  if (!specs.length && !values['all-namespaces']) return undefined;
  if (specs.length && values['all-namespaces']) throw new UsageError('give --namespace or --all-namespaces, not both');
  if (hosts.some((h) => h !== 'local')) {
    if (hosts.length > 1) throw new UsageError('--namespace and --all-namespaces read one host at a time (one --host DEST)');
    return remoteTargets(hosts[0]!, specs, values['all-namespaces'] === true);
  }
  const d = discover();
  let picked: IpcNamespaceInfo[];
  if (values['all-namespaces']) picked = d.namespaces;
  else {
    picked = [];
    for (const s of specs) {
      const r = findNamespace(d.namespaces, s);
      if ('error' in r) throw new UsageError(`--namespace ${JSON.stringify(s)}: ${r.error}`);
      if (!picked.includes(r.ns)) picked.push(r.ns);
    }
  }
  return { targets: picked.map((info) => ({ info, source: sourceFor(info) })), warnings: d.warnings };
}

export function sourceFor(info: IpcNamespaceInfo): IpcSource {
  if (info.own) return new LocalSource();
  return new NamespaceSource(info);
}

/**
 * `--namespace PID|ipc:[N]|NAME` (repeatable) and `--all-namespaces`: which IPC namespaces of this machine a
 * command reads (snapshot, limits) or works in (recycle). The reader's own namespace is read as always
 * (LocalSource); every other one through NamespaceSource (setns on a dedicated native thread).
 */
import type { IpcSource } from '../backend/ipcSource';
import { LocalSource } from '../backend/localSource';
import { nativeBinding } from '../backend/nativeLoader';
import { NamespaceSource } from '../backend/namespaceSource';
import { discoverNamespaces, findNamespace, type Discovery } from '../backend/namespaces';
import type { IpcNamespaceInfo } from '../shared/namespaces';
import { UsageError } from './cliSupport';

export const NAMESPACE_OPTIONS = {
  namespace: { type: 'string', multiple: true },
  'all-namespaces': { type: 'boolean' },
} as const;

export const NAMESPACE_USAGE = `  --namespace NS    read the IPC namespace NS of this machine: a pid in it, ipc:[INODE], or a container
                    name, id prefix, pod name or hostname as \`ipcx namespaces\` lists them (repeatable;
                    entering another namespace needs root: CAP_SYS_ADMIN)
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

/** The namespaces the options name (undefined when neither option is given). */
export function namespaceTargets(
  values: { namespace?: string[]; 'all-namespaces'?: boolean },
  hosts: readonly string[],
): { targets: NamespaceTarget[]; warnings: string[] } | undefined {
  const specs = values.namespace ?? [];
  if (!specs.length && !values['all-namespaces']) return undefined;
  if (hosts.some((h) => h !== 'local')) {
    throw new UsageError('--namespace and --all-namespaces read this machine only (not with --host)');
  }
  if (specs.length && values['all-namespaces']) throw new UsageError('give --namespace or --all-namespaces, not both');
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

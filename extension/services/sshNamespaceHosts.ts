/**
 * An SSH host's other IPC namespaces as store hosts under it (the tree's host -> namespace level, the
 * dashboard's picker and per-container bars): the host's probe lists and reads every namespace in its own
 * round trip (`nsenter -t PID -i` as root, or `sudo -n`; SshSource with listNamespaces), each namespace's
 * source (SshSource.forNamespace) gets what that probe read right before its refresh, so one refresh of the
 * host is one round trip; a Refresh of one namespace's row reads that namespace alone. A namespace the probe
 * could not enter is a row with the reason; one that vanished mid-refresh is an error for itself only.
 *
 * No `vscode` import.
 */
import { remoteDiscovery } from '../domain/probeNamespaces';
import { SshSource } from '../remote/sshSource';
import { NamespaceHosts } from './namespaceHosts';
import type { SnapshotStore } from './snapshotStore';

export function sshNamespaceHosts(
  store: SnapshotStore,
  host: string,
  source: SshSource,
  opts: { enabled(): boolean; log?(level: 'info' | 'warn' | 'error', message: string): void },
): NamespaceHosts {
  return new NamespaceHosts(store, {
    parent: host,
    trigger: 'snapshot',
    enabled: () => opts.enabled() && source.namespaces() !== undefined,
    discover: () => {
      const snap = store.get(host)?.snapshot;
      const n = source.namespaces();
      if (!snap || !n) return { namespaces: [], unreadable: 0, warnings: [] };
      return remoteDiscovery(host, snap, n);
    },
    makeSource: (info) => source.forNamespace(info),
    prime: (info, ns) => {
      const got = source.namespaces()?.list.find((e) => e.namespace.inode === info.inode);
      if (!(ns instanceof SshSource) || !got) return;
      if (got.snapshot) ns.prime(got.snapshot);
      else if (got.error) ns.prime({ error: got.error });
    },
    ...(opts.log ? { log: opts.log } : {}),
  });
}

/**
 * The services every feature gets: `register(context, services)` in extension.ts hands this object to each
 * feature module (tree, commands, dashboard, recycle, SSH hosts, futex). Construction is cheap: no snapshot
 * is taken and nothing is read until a view becomes visible or a command runs.
 */
import * as vscode from 'vscode';
import { EXTENSION_SOURCE_OPTIONS, LocalSource } from '../backend/localSource';
import { localProcessFacts } from '../backend/ownerEvidence';
import { errorLine, Notifier } from './notify';
import { LOCAL_HOST, SnapshotStore } from './snapshotStore';
import { discoverNamespaces } from '../backend/namespaces';
import { NamespaceSource } from '../backend/namespaceSource';
import { nativeBinding } from '../backend/nativeLoader';
import { NamespaceHosts, NamespaceRegistry } from './namespaceHosts';
import { readNamespacesEnabled } from './settings';
import { VerdictService } from './verdictService';

export interface Services {
  readonly context: vscode.ExtensionContext;
  /** per-host snapshots, verdicts, errors; `store.addSource(source)` adds a host (an SSH host). */
  readonly store: SnapshotStore;
  /** the "IPC Explorer" LogOutputChannel: details of everything that went wrong. */
  readonly log: vscode.LogOutputChannel;
  /** notifications with errno name + hint (and a record of them for tests). */
  readonly notify: Notifier;
  /** the local machine's source (native binding, or the /proc fallback with a warning). */
  readonly localSource: LocalSource;
  /** verdict options per host (settings and owner evidence) and which sets get per-semaphore detail. */
  readonly verdicts: VerdictService;
  /** the machine's other IPC namespaces (containers) as store hosts; discovered with every local refresh */
  readonly namespaces: NamespaceHosts;
  /** the namespaces of every host that lists them: this machine's (`namespaces`) and each SSH host's */
  readonly hostNamespaces: NamespaceRegistry;
}

export function createServices(context: vscode.ExtensionContext, opts: { platform?: NodeJS.Platform } = {}): Services {
  const log = vscode.window.createOutputChannel('IPC Explorer', { log: true });
  context.subscriptions.push(log);
  const verdicts = new VerdictService();
  const localSource = new LocalSource({ platform: opts.platform, ...EXTENSION_SOURCE_OPTIONS });
  // the store asks for verdict options at every refresh, so a settings change shows on the next refresh
  const store: SnapshotStore = new SnapshotStore({
    verdictOptions: (host) => verdicts.options(host),
    log: (level, msg) => log[level](msg),
    // another IPC namespace's pids are ours (the kernel translates them for the reading thread)
    processFacts: (host: string, pids: number[]): ReturnType<typeof localProcessFacts> | undefined =>
      (host === LOCAL_HOST && !localSource.probeProcesses) || namespaces.isNamespaceHost(host) ? localProcessFacts(pids) : undefined,
    detailSets: (host, snap) => verdicts.detailSets(host, snap),
  });
  context.subscriptions.push(store, verdicts.attach(store, (m) => log.warn(m)));
  const namespaces: NamespaceHosts = new NamespaceHosts(store, {
    // Linux with System V IPC only: other platforms have no IPC namespaces
    enabled: () =>
      (opts.platform ?? process.platform) === 'linux' &&
      !localSource.unavailable &&
      readNamespacesEnabled(),
    discover: () => {
      const b = nativeBinding().binding;
      return discoverNamespaces(b ? { utsNodename: (p) => b.utsNodename(p) } : {});
    },
    makeSource: (info) => {
      const r = nativeBinding();
      if (!r.binding) return { error: `reading another IPC namespace needs the native binding (${r.error?.message ?? 'not loaded'})` };
      return new NamespaceSource(info);
    },
    log: (level, msg) => log[level](msg),
  });
  const hostNamespaces = new NamespaceRegistry(namespaces);
  context.subscriptions.push(
    hostNamespaces,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ipcExplorer.namespaces')) void store.refresh(LOCAL_HOST);
    }),
  );
  const notify = new Notifier(log);
  // no System V IPC here (Windows): no local host in the store, so no snapshot and no error; the tree shows
  // localSource.unavailable in one row instead
  if (!localSource.unavailable) context.subscriptions.push(store.addSource(localSource));
  const nativeError = localSource.nativeError;
  if (nativeError) {
    // said once, when the first local snapshot (from the /proc fallback) arrives, i.e. when someone looks
    const sub = store.onDidChange((c) => {
      if (c.host !== LOCAL_HOST || c.reason !== 'snapshot') return;
      sub.dispose();
      log.warn(`native binding: ${errorLine(nativeError)}`);
      // the binding loaded but its System V calls are refused (a sandbox), or it did not load at all
      const denied = nativeError.code !== 'ENATIVE';
      notify.warn(
        `IPC Explorer: ${denied ? `System V calls denied to this process (${errorLine(nativeError)})` : `native binding not loaded (${nativeError.code})`}: ` +
          `reading /proc/sysvipc instead (no semaphore values, no guarded removal). ${nativeError.hint ?? ''}` +
          (denied ? '' : ' The paths tried are in the log.'),
      );
    });
    context.subscriptions.push(sub);
  }
  return {
    context,
    store,
    log,
    notify,
    localSource,
    namespaces,
    hostNamespaces,
    verdicts,
  };
}

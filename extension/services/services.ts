/**
 * The services every feature gets: `register(context, services)` in extension.ts hands this object to each
 * feature module (tree, commands, dashboard, recycle, SSH hosts, futex). Construction is cheap: no snapshot
 * is taken and nothing is read until a view becomes visible or a command runs.
 */
import * as vscode from 'vscode';
import { LocalSource } from '../backend/localSource';
import { DEFAULT_VERDICT_OPTIONS, type VerdictOptions } from '../domain/verdict';
import type { IpcSnapshot } from '../shared/model';
import { errorLine, Notifier } from './notify';
import { LOCAL_HOST, SnapshotStore } from './snapshotStore';
import { localProcessFacts } from '../backend/ownerEvidence';
import { discoverNamespaces } from '../backend/namespaces';
import { NamespaceSource } from '../backend/namespaceSource';
import { nativeBinding } from '../backend/nativeLoader';
import { NamespaceHosts } from './namespaceHosts';

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
  /**
   * Settings and evidence for verdicts, per host. Default: domain/verdict.ts's defaults. The recycle
   * commands replace it with one that reads its `ipcExplorer.recycle.*` settings and owner evidence.
   */
  verdictOptions: (host: string) => VerdictOptions;
  /** How many sets each refresh of a host reads per-semaphore detail for before publishing (store option). */
  detailSets: (host: string, snapshot: IpcSnapshot) => number;
  /** the machine's other IPC namespaces (containers) as store hosts; discovered with every local refresh */
  readonly namespaces: NamespaceHosts;
}

/** Sets whose per-semaphore detail each refresh reads before publishing (beyond: when someone looks). */
export const LOCAL_REFRESH_DETAIL_SETS = 1024;
export const REMOTE_REFRESH_DETAIL_SETS = 512;

export function createServices(context: vscode.ExtensionContext, opts: { platform?: NodeJS.Platform } = {}): Services {
  const log = vscode.window.createOutputChannel('IPC Explorer', { log: true });
  context.subscriptions.push(log);
  let verdictOptions: (host: string) => VerdictOptions = () => DEFAULT_VERDICT_OPTIONS;
  // per-semaphore detail with every refresh, as the recycle plan reads it: locally GETPID/GETNCNT/GETZCNT
  // (about 10-20 ms per 256 sets of 17 here); over SSH one more round trip (Linux hosts only: BSD ipcs has no -i)
  let detailSets = (host: string, snap: IpcSnapshot): number =>
    host === LOCAL_HOST ? LOCAL_REFRESH_DETAIL_SETS : snap.platform === 'linux' ? REMOTE_REFRESH_DETAIL_SETS : 0;
  // the store asks for verdict options at every refresh, so a later replacement (by the recycle feature)
  // takes effect on the next refresh
  const localSource = new LocalSource({ platform: opts.platform });
  const store: SnapshotStore = new SnapshotStore({
    verdictOptions: (host) => verdictOptions(host),
    log: (level, msg) => log[level](msg),
    // another IPC namespace's pids are ours (the kernel translates them for the reading thread)
    processFacts: (host: string, pids: number[]): ReturnType<typeof localProcessFacts> | undefined =>
      (host === LOCAL_HOST && !localSource.probeProcesses) || namespaces.isNamespaceHost(host) ? localProcessFacts(pids) : undefined,
    detailSets: (host, snap) => detailSets(host, snap),
  });
  context.subscriptions.push(store);
  const namespaces: NamespaceHosts = new NamespaceHosts(store, {
    // Linux with System V IPC only: other platforms have no IPC namespaces
    enabled: () =>
      (opts.platform ?? process.platform) === 'linux' &&
      !localSource.unavailable &&
      vscode.workspace.getConfiguration('ipcExplorer').get<boolean>('namespaces.enabled', true) !== false,
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
  context.subscriptions.push(
    namespaces,
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
      notify.warn(
        `IPC Explorer: native binding not loaded (${nativeError.code}): reading /proc/sysvipc instead (no semaphore ` +
          `values, no guarded removal). ${nativeError.hint ?? ''} The paths tried are in the log.`,
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
    get verdictOptions() {
      return verdictOptions;
    },
    set verdictOptions(f) {
      verdictOptions = f;
    },
    get detailSets() {
      return detailSets;
    },
    set detailSets(f) {
      detailSets = f;
    },
  };
}

/**
 * What activate() returns: the one surface the integration suite (test/integration) talks to the extension
 * through. Views of state the person sees (hosts' snapshots and verdicts, tree rows, status-bar text, badge,
 * notifications) and the few levers a test needs (refresh, verdict options, the stand-in for a modal). Thin
 * glue over the services; nothing here decides anything. docs/tests.md describes it.
 *
 * Not a public API for other extensions: nothing outside this repository relies on it, and it changes with
 * the tests. The levers that change what the extension decides or lists (`verdicts.patch`,
 * `verdicts.setRefreshDetailSets`, `backdateSnapshot`, `addSource`) and `testHooks` work only when VS Code
 * runs the extension under its test runner (extension mode Test): anywhere else they throw and change nothing,
 * so no other extension can loosen the recycle gates through them.
 */
import * as vscode from 'vscode';
import type { IpcSource } from './backend/ipcSource';
import type { LocalSource } from './backend/localSource';
import { auditPath, type RecycleConfirmation, type RecycleResult, type StartupRestoreOffer, setRecycleConfirmForTests, startupRestoreOfferForTests } from './commands/recycle';
import type { Diagnosis } from './domain/doctor';
import type { VerdictOptions } from './domain/verdict';
import type { TreeState } from './domain/nextActions';
import type { Shown } from './services/notify';
import type { NamespaceEntry, NamespaceView } from './services/namespaceHosts';
import type { Services } from './services/services';
import type { HostState, StoreChange } from './services/snapshotStore';
import type { IpcErrorInfo, IpcSnapshot, ObjectRef, SemElem, Verdict } from './shared/model';
import type { TreeNode } from './views/nodes/node';
import type { TreeViews } from './views/register';
import type { StatusIndicators } from './views/statusIndicators';

export type { HostState, IpcSource, RecycleConfirmation, Shown, StartupRestoreOffer, TreeState, VerdictOptions };
/** what the commands return to a caller (executeCommand): ipcExplorer.recycleOrphans/recycleObject, ipcExplorer.diagnoseEnospc */
export type { Diagnosis, RecycleResult };
/** a line of the recycle audit log (`auditLogPath`, JSON lines) */
export type { AuditRecord } from './backend/audit';

/**
 * A row of the objects tree as a test holds it: an opaque handle to pass back to `tree.item`, `tree.children`,
 * `tree.reveal` or a command, with the fields that identify it.
 */
export interface TestTreeNode {
  /** unique and stable across refreshes */
  readonly id: string;
  /** the store host the row belongs to ('local', an SSH destination, a namespace host) */
  readonly host: string;
  /** object rows: `sem:ID`, `shm:ID`, `msg:ID`, `posixSem:/name`, `posixShm:/name` */
  readonly ref?: ObjectRef;
  /** message rows: the text shown */
  readonly text?: string;
  /** namespace rows: the IPC namespace behind the row (its info, its store host) */
  readonly entry?: NamespaceEntry;
}

/** One answer of the tree's provider: which call, for which row (undefined: the hosts), how long it took, when it ended. */
export interface ServedCall {
  call: 'children' | 'item';
  node: TestTreeNode | undefined;
  ms: number;
  at: number;
}

/** Per-semaphore detail of one set: its semaphores, or why they could not be read. */
export type SemDetail = SemElem[] | IpcErrorInfo;

export interface IpcExplorerTestApi {
  /** ms activate() took */
  readonly activationMs: number;
  /** how the local host is read: the native binding, the /proc fallback, BSD ipcs, or not at all (Windows) */
  readonly localMode: LocalSource['mode'];
  /** why the native binding is not used (undefined when it is) */
  readonly nativeError: IpcErrorInfo | undefined;
  /** the recycle audit log (JSON lines) in the extension's global storage */
  readonly auditLogPath: string;

  /** every host the store knows, in tree order ('local' first) */
  hosts(): readonly HostState[];
  /** one host's state: snapshot, previous snapshot, verdicts, what is new, error, loading, generation */
  host(host: string): HostState | undefined;
  verdict(host: string, ref: ObjectRef): Verdict | undefined;
  /** what the Refresh command does for one host (or every host); resolves when the new state is published */
  refresh(host?: string): Promise<void>;
  /** calls `listener` as each store change is published (a new snapshot: `reason` 'snapshot'); dispose to stop */
  onStoreChange(listener: (change: StoreChange) => void): vscode.Disposable;
  /** a set's per-semaphore detail, read now if it is not cached */
  semDetail(host: string, id: number): Promise<SemDetail>;
  /** a set's per-semaphore detail only if it was read already */
  cachedSemDetail(host: string, id: number): SemDetail | undefined;
  /** makes `host`'s cached snapshot look `ms` older (what a command that must take a fresh one is tested against) */
  backdateSnapshot(host: string, ms: number): void;
  /** this machine's IPC namespaces as discovery saw them last (undefined: off, or not run yet) */
  namespaces(): NamespaceView | undefined;
  /** adds a host with the given source (a test's own stand-in host); dispose to remove it */
  addSource(source: IpcSource): vscode.Disposable;

  readonly verdicts: {
    /** the options verdicts of `host` are made with now */
    options(host: string): VerdictOptions;
    /**
     * Overrides some options on top of what the settings and owner evidence give (e.g. `{ minOrphanAgeSeconds: 0 }`)
     * for every host; returns the function that restores the options (call it in `after()`: later suites share
     * the extension).
     */
    patch(patch: Partial<VerdictOptions>): () => void;
    /** Sets how many sets each refresh reads per-semaphore detail for (0: only when a row is expanded); returns the restore. */
    setRefreshDetailSets(count: number): () => void;
  };

  readonly tree: {
    /** the rows under `node` (the hosts without it), as VS Code gets them */
    children(node?: TestTreeNode): Promise<TestTreeNode[]>;
    /** the TreeItem VS Code gets for a row */
    item(node: TestTreeNode): vscode.TreeItem;
    /** the row of an object (expanding groups on the way), undefined when it is not in the tree */
    findObjectNode(host: string, ref: ObjectRef): Promise<TestTreeNode | undefined>;
    /** the row of one IPC namespace under the local host (by its store host or `ipc:[N]`), when listed */
    namespaceNode(hostOrNs: string): Promise<TestTreeNode | undefined>;
    /** a host's row as last served (undefined before the tree listed it) */
    hostNode(host: string): TestTreeNode | undefined;
    /** how many times VS Code fetched the children of `node` */
    fetchCount(node: TestTreeNode): number;
    /** resolves when no children answer is being computed and no change event is held back */
    whenSettled(): Promise<void>;
    /** reveals a row in the activity-bar view (TreeView.reveal) */
    reveal(node: TestTreeNode, options?: { select?: boolean; focus?: boolean; expand?: boolean | number }): Promise<void>;
    /** the activity-bar view's selection */
    selection(): readonly TestTreeNode[];
    /** whether the activity-bar view / its Explorer copy is visible */
    visible(): boolean;
    explorerVisible(): boolean;
    /** the badge VS Code shows on the activity-bar view */
    badge(): vscode.ViewBadge | undefined;
    /** the new-object highlight for a row's resourceUri (undefined: not highlighted) */
    decoration(uri: vscode.Uri | undefined): vscode.FileDecoration | undefined;
    /** the view's automatic refresh: timer armed, ticks so far */
    autoRefresh(): { running: boolean; ticks: number };
    /** calls `listener` after each answer the tree's provider gives VS Code (the bench times them); dispose to stop */
    onServed(listener: (served: ServedCall) => void): vscode.Disposable;
  };

  readonly status: {
    /** the status-bar item's text, colour and tooltip */
    item(): { text: string; backgroundColor: vscode.ThemeColor | undefined; tooltip: string | vscode.MarkdownString | undefined };
    /** what the views' badge says (undefined: no badge) */
    badge(): vscode.ViewBadge | undefined;
    /** what the welcome views read: 'empty', 'objects', ... */
    treeState(): TreeState;
  };

  /** the notifications shown so far, oldest first (the last 50) */
  notifications(): readonly Shown[];

  /**
   * Only when VS Code runs the extension under its test runner (extension mode Test): stand-ins for the
   * person at modal dialogs. Absent otherwise.
   */
  readonly testHooks?: {
    /** answers the recycle modal instead of the person (undefined: the modal is shown again) */
    setRecycleConfirm(answer: ((c: RecycleConfirmation) => boolean | Promise<boolean>) | undefined): void;
    /** the start-up notification about objects a crashed recycle left locked, as a test answers it */
    startupRestoreOffer(): Promise<StartupRestoreOffer | undefined>;
  };
}

/** The test API over the services and views activate() made. */
export function createTestApi(services: Services, tree: TreeViews, status: StatusIndicators, activationMs: number): IpcExplorerTestApi {
  const { store, verdicts, localSource } = services;
  const node = (n: TestTreeNode): TreeNode => n as TreeNode;
  const testMode = services.context.extensionMode === vscode.ExtensionMode.Test;
  /** a lever that changes what is decided or listed: extension mode Test only */
  const lever = (name: string): void => {
    if (!testMode) throw new Error(`${name}: only available when VS Code runs the extension under its test runner`);
  };
  const servedListeners = new Set<(served: ServedCall) => void>();
  let timed = false;
  /** wraps the provider's two methods once (own properties: VS Code calls them through the same object) */
  const timeProvider = (): void => {
    if (timed) return;
    timed = true;
    const p = tree.provider;
    const children = p.getChildren.bind(p);
    const item = p.getTreeItem.bind(p);
    const served = (call: ServedCall['call'], n: TreeNode | undefined, t0: number): void => {
      const at = performance.now();
      for (const l of servedListeners) l({ call, node: n, ms: at - t0, at });
    };
    p.getChildren = async (n?: TreeNode) => {
      const t0 = performance.now();
      const r = await children(n);
      served('children', n, t0);
      return r;
    };
    p.getTreeItem = (n: TreeNode) => {
      const t0 = performance.now();
      const r = item(n);
      served('item', n, t0);
      return r;
    };
  };
  return {
    activationMs,
    get localMode() { return localSource.mode; },
    nativeError: localSource.nativeError,
    auditLogPath: auditPath(services.context),
    hosts: () => store.hosts(),
    host: (host) => store.get(host),
    verdict: (host, ref) => store.verdict(host, ref),
    refresh: (host) => store.refresh(host),
    onStoreChange: (listener) => store.onDidChange(listener),
    semDetail: (host, id) => store.semDetail(host, id),
    cachedSemDetail: (host, id) => store.cachedSemDetail(host, id),
    addSource: (source) => {
      lever('addSource');
      return store.addSource(source);
    },
    namespaces: () => services.namespaces.current(),
    backdateSnapshot(host, ms) {
      lever('backdateSnapshot');
      const snap = store.get(host)?.snapshot;
      if (!snap) throw new Error(`backdateSnapshot: no snapshot of ${host} yet`);
      snap.takenAt -= ms;
    },
    verdicts: {
      options: (host) => verdicts.options(host),
      patch(patch) {
        lever('verdicts.patch');
        const own = Object.prototype.hasOwnProperty.call(verdicts, 'options') ? verdicts.options : undefined;
        const base = verdicts.options.bind(verdicts);
        verdicts.options = (host: string) => ({ ...base(host), ...patch });
        return () => {
          if (own) verdicts.options = own;
          else delete (verdicts as { options?: unknown }).options;
        };
      },
      setRefreshDetailSets(count) {
        lever('verdicts.setRefreshDetailSets');
        const own = Object.prototype.hasOwnProperty.call(verdicts, 'detailSets') ? verdicts.detailSets : undefined;
        verdicts.detailSets = (_host: string, _snap: IpcSnapshot) => count;
        return () => {
          if (own) verdicts.detailSets = own;
          else delete (verdicts as { detailSets?: unknown }).detailSets;
        };
      },
    },
    tree: {
      children: (n) => tree.provider.getChildren(n && node(n)),
      item: (n) => tree.provider.getTreeItem(node(n)),
      findObjectNode: (host, ref) => tree.provider.findObjectNode(host, ref),
      namespaceNode: (hostOrNs) => tree.provider.namespaceNode(hostOrNs),
      hostNode: (host) => tree.provider.hostNode(host),
      fetchCount: (n) => tree.provider.fetchCount(node(n)),
      whenSettled: () => tree.provider.whenSettled(),
      reveal: async (n, options) => { await tree.treeView.reveal(node(n), options); },
      selection: () => tree.treeView.selection,
      visible: () => tree.treeView.visible,
      explorerVisible: () => tree.explorerView.visible,
      badge: () => tree.treeView.badge,
      decoration: (uri) => (uri ? tree.decorations.provideFileDecoration(uri) : undefined),
      autoRefresh: () => ({ running: tree.autoRefresh.running, ticks: tree.autoRefresh.ticks }),
      onServed(listener) {
        timeProvider();
        servedListeners.add(listener);
        return new vscode.Disposable(() => servedListeners.delete(listener));
      },
    },
    status: {
      item: () => ({ text: status.item.text, backgroundColor: status.item.backgroundColor, tooltip: status.item.tooltip }),
      badge: () => status.badge(),
      treeState: () => status.treeState(),
    },
    notifications: () => services.notify.shown,
    ...(testMode ? { testHooks: { setRecycleConfirm: setRecycleConfirmForTests, startupRestoreOffer: startupRestoreOfferForTests } } : {}),
  };
}

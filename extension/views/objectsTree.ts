/**
 * The TreeDataProvider behind `ipcExplorer.objects` (activity bar) and `ipcExplorer.explorerObjects` (the
 * Explorer). It only translates: nodes are built from the store's snapshots; store changes become
 * onDidChangeTreeData events for the smallest subtree that changed (a host after a refresh; single set
 * rows when their per-semaphore detail arrives). getChildren makes no UI calls.
 */
import * as vscode from 'vscode';
import { treeState } from '../domain/nextActions';
import { objectRef } from '../domain/verdict';
import type { ObjectRef } from '../shared/model';
import { readTreeSettings, type TreeSettings } from '../services/settings';
import { LOCAL_HOST, type SnapshotStore, type StoreChange } from '../services/snapshotStore';
import type { NamespaceRegistry } from '../services/namespaceHosts';
import { NamespaceNode } from './nodes/namespaceNode';
import { GroupNode } from './nodes/groupNode';
import { HostNode } from './nodes/hostNode';
import { MessageNode } from './nodes/messageNode';
import { KindNode } from './nodes/kindNode';
import type { TreeNode, ViewContext } from './nodes/node';
import { ObjectNode } from './nodes/objectNode';
import { localUserName } from './userNames';

export const DECORATION_SCHEME = 'ipcx-node';

export class ObjectsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly hostNodes = new Map<string, HostNode>();
  /** object rows handed to VS Code, by `host|ref`, so a detail update can re-render exactly that row */
  private readonly shown = new Map<string, ObjectNode>();
  private settingsCache: TreeSettings = readTreeSettings();
  /** what the root showed last: nothing (the welcome) or the hosts */
  private rootEmpty = false;
  private readonly subs: vscode.Disposable[] = [];
  readonly ctx: ViewContext;
  private readonly dismissed = new Set<string>();

  constructor(
    private readonly store: SnapshotStore,
    /** the local machine has no System V IPC (Windows): this row, first, instead of a local host */
    private readonly localUnavailable?: { text: string; detail: string },
    /** the IPC namespaces (containers) of this machine and of each SSH host, listed under their host */
    private readonly namespaces?: NamespaceRegistry,
  ) {
    this.ctx = {
      namespaces: (host) => this.namespaces?.current(host),
      store,
      settings: () => this.settingsCache,
      userName: (host, uid) => (host === LOCAL_HOST ? localUserName(uid) : String(uid)),
      decorationScheme: DECORATION_SCHEME,
      dismissed: this.dismissed,
    };
    this.subs.push(
      new vscode.Disposable(store.onDidChange((c) => this.onStoreChange(c)).dispose),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ipcExplorer.tree')) {
          this.settingsCache = readTreeSettings();
          this.hostNodes.clear();
          this.fire();
        }
      }),
    );
  }

  /**
   * Change events wait while a getChildren answer is still being computed. VS Code's extension-host tree
   * registers the children of a fetch into the parent node it looked up when the fetch started; a refresh of
   * that node (or an ancestor) meanwhile replaces or drops that node, and the children end up registered
   * under an unreachable node: the next fetch then fails with "Element with id … is already registered" and
   * the set loses its rows. So events are held until no fetch is pending and delivered one macrotask later,
   * after VS Code has registered what the fetch returned.
   */
  private pendingFetches = 0;
  private held: (TreeNode | undefined)[] | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  private fire(n?: TreeNode): void {
    if (this.pendingFetches === 0 && !this.held) {
      this.changed.fire(n);
      return;
    }
    (this.held ??= []).push(n);
  }

  /** Resolves once no fetch is pending and every held event went to VS Code (so a reveal sees the new nodes). */
  whenSettled(): Promise<void> {
    if (this.pendingFetches === 0 && !this.held) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }
  private settledWaiters: (() => void)[] = [];

  private scheduleFlush(): void {
    if (this.pendingFetches === 0 && !this.held) {
      for (const w of this.settledWaiters.splice(0)) w();
      return;
    }
    if (this.pendingFetches > 0 || this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.pendingFetches > 0) return; // a new fetch started: its end schedules the flush again
      const held = this.held ?? [];
      this.held = undefined;
      if (held.includes(undefined)) this.changed.fire();
      else for (const n of new Set(held)) this.changed.fire(n);
      for (const w of this.settledWaiters.splice(0)) w();
    }, 0);
  }

  private onStoreChange(c: StoreChange): void {
    switch (c.reason) {
      case 'hosts':
        this.fire();
        break;
      case 'snapshot':
      case 'loading': {
        if (c.reason === 'snapshot') for (const k of [...this.shown.keys()]) if (k.startsWith(`${c.host}|`)) this.shown.delete(k);
        const empty = treeState(this.store.hosts()) === 'empty';
        if (empty || empty !== this.rootEmpty) {
          // the root shows (or switches to or from) the welcome instead of the host rows
          this.rootEmpty = empty;
          this.fire();
          break;
        }
        // another namespace of a host: its row is under that host, which is redrawn with its rows
        this.fire(this.hostNodes.get(this.namespaces?.parentOf(c.host) ?? c.host));
        break;
      }
      case 'detail':
        for (const ref of c.refs ?? []) {
          const n = this.shown.get(`${c.host}|${ref}`);
          if (n) this.fire(n);
        }
        break;
    }
  }

  /** Hides a warning row (the same text on every host) for the rest of the session; a new text shows again. */
  dismissWarning(text: string): void {
    if (this.dismissed.has(text)) return;
    this.dismissed.add(text);
    this.hostNodes.clear();
    this.fire();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem(this.ctx);
  }

  /** how many children answers each node has served (tests wait for the fetch a refresh causes) */
  private readonly served = new WeakMap<TreeNode, number>();

  /** The number of getChildren answers served for `node` so far. */
  fetchCount(node: TreeNode): number {
    return this.served.get(node) ?? 0;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      // only the local machine, read, holding nothing: no rows, so the view shows its welcome (package.json
      // viewsWelcome: what this means, Refresh, Show Limits, Add SSH Host)
      this.rootEmpty = treeState(this.store.hosts()) === 'empty';
      if (this.rootEmpty) return [];
      const hosts = this.store.hosts().filter((h) => !this.namespaces?.isNamespaceHost(h.host)).map((h) => {
        let n = this.hostNodes.get(h.host);
        if (!n) this.hostNodes.set(h.host, (n = new HostNode(h.host)));
        return n;
      });
      for (const k of [...this.hostNodes.keys()]) if (!this.store.get(k)) this.hostNodes.delete(k);
      if (this.localUnavailable && !this.store.get(LOCAL_HOST)) {
        const row = new MessageNode('local|unavailable', LOCAL_HOST, 'info', this.localUnavailable.text, this.localUnavailable.detail);
        row.command = { command: 'ipcExplorer.addSshHost', title: 'Add SSH Host…' };
        return [row, ...hosts];
      }
      return hosts;
    }
    const answer = node.children(this.ctx);
    let kids: TreeNode[];
    if (Array.isArray(answer)) kids = answer;
    else {
      this.pendingFetches++;
      try {
        kids = await answer;
      } finally {
        this.pendingFetches--;
        this.scheduleFlush();
      }
    }
    for (const k of kids) if (k instanceof ObjectNode) this.shown.set(k.id, k);
    this.served.set(node, this.fetchCount(node) + 1);
    return kids;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  /** The row of one IPC namespace under its host (by its store host, or `ipc:[N]` under `parent`), when listed. */
  async namespaceNode(hostOrNs: string, parent?: string): Promise<NamespaceNode | undefined> {
    await this.whenSettled();
    await this.getChildren();
    const local = this.hostNodes.get(parent ?? this.namespaces?.parentOf(hostOrNs) ?? LOCAL_HOST);
    if (!local) return undefined;
    const rows = await this.getChildren(local);
    return rows.find((n): n is NamespaceNode => n instanceof NamespaceNode && (n.entry.host === hostOrNs || n.entry.info.ns === hostOrNs));
  }

  /** The host's node (for reveal and tests). */
  hostNode(host: string): HostNode | undefined {
    return this.hostNodes.get(host);
  }

  /**
   * The node of one object, building the path host -> kind -> groups -> object (so `treeView.reveal` can
   * show it). Undefined when the object is not in the host's latest snapshot.
   */
  async findObjectNode(host: string, ref: ObjectRef): Promise<ObjectNode | undefined> {
    await this.whenSettled();
    await this.getChildren();
    const h = this.hostNodes.get(this.namespaces?.parentOf(host) ?? host);
    if (!h) return undefined;
    let level: TreeNode[] = await this.getChildren(h);
    // host -> namespace -> kinds when the local host lists the machine's IPC namespaces
    const nsRow = level.find((n) => n instanceof NamespaceNode && n.entry.host === host);
    if (nsRow) level = await this.getChildren(nsRow);
    else if (this.namespaces?.isNamespaceHost(host)) return undefined;
    for (let depth = 0; depth < 5; depth++) {
      const hit = level.find((n) => n instanceof ObjectNode && n.ref === ref);
      if (hit) return hit as ObjectNode;
      const next = level.find(
        (n) =>
          (n instanceof KindNode && n.objects.some((o) => objectRef(o) === ref)) ||
          (n instanceof GroupNode && n.group.items.some((o) => objectRef(o) === ref)),
      );
      if (!next) return undefined;
      level = await this.getChildren(next);
    }
    return undefined;
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

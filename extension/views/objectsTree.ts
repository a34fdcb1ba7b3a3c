/**
 * The TreeDataProvider behind `ipcExplorer.objects` (activity bar) and `ipcExplorer.explorerObjects` (the
 * Explorer). It only translates: nodes are built from the store's snapshots; store changes become
 * onDidChangeTreeData events for the smallest subtree that changed (a host after a refresh; single set
 * rows when their per-semaphore detail arrives). getChildren makes no UI calls.
 */
import * as vscode from 'vscode';
import { objectRef } from '../domain/verdict';
import type { ObjectRef } from '../shared/model';
import { readTreeSettings, type TreeSettings } from '../services/settings';
import { LOCAL_HOST, type SnapshotStore, type StoreChange } from '../services/snapshotStore';
import { GroupNode } from './nodes/groupNode';
import { HostNode } from './nodes/hostNode';
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
  private readonly subs: vscode.Disposable[] = [];
  readonly ctx: ViewContext;

  constructor(private readonly store: SnapshotStore) {
    this.ctx = {
      store,
      settings: () => this.settingsCache,
      userName: (host, uid) => (host === LOCAL_HOST ? localUserName(uid) : String(uid)),
      decorationScheme: DECORATION_SCHEME,
    };
    this.subs.push(
      new vscode.Disposable(store.onDidChange((c) => this.onStoreChange(c)).dispose),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ipcExplorer.tree')) {
          this.settingsCache = readTreeSettings();
          this.hostNodes.clear();
          this.changed.fire();
        }
      }),
    );
  }

  private onStoreChange(c: StoreChange): void {
    switch (c.reason) {
      case 'hosts':
        this.changed.fire();
        break;
      case 'snapshot':
      case 'loading': {
        const n = this.hostNodes.get(c.host);
        if (c.reason === 'snapshot') for (const k of [...this.shown.keys()]) if (k.startsWith(`${c.host}|`)) this.shown.delete(k);
        if (n) this.changed.fire(n);
        else this.changed.fire();
        break;
      }
      case 'detail':
        for (const ref of c.refs ?? []) {
          const n = this.shown.get(`${c.host}|${ref}`);
          if (n) this.changed.fire(n);
        }
        break;
    }
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem(this.ctx);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      const hosts = this.store.hosts().map((h) => {
        let n = this.hostNodes.get(h.host);
        if (!n) this.hostNodes.set(h.host, (n = new HostNode(h.host)));
        return n;
      });
      for (const k of [...this.hostNodes.keys()]) if (!this.store.get(k)) this.hostNodes.delete(k);
      return hosts;
    }
    const kids = await node.children(this.ctx);
    for (const k of kids) if (k instanceof ObjectNode) this.shown.set(k.id, k);
    return kids;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
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
    await this.getChildren();
    const h = this.hostNodes.get(host);
    if (!h) return undefined;
    let level: TreeNode[] = await this.getChildren(h);
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
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

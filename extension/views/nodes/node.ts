/**
 * The tree's node contract. Each node type lives in its own file; nodes are plain data + two methods, built
 * from the store's current snapshot. `children()` never makes UI calls; the only I/O it may start is
 * per-semaphore detail through the store (for a set being expanded).
 */
import type * as vscode from 'vscode';
import type { HostState, SnapshotStore } from '../../services/snapshotStore';
import type { TreeSettings } from '../../services/settings';
import type { NamespaceView } from '../../services/namespaceHosts';

export interface ViewContext {
  readonly store: SnapshotStore;
  settings(): TreeSettings;
  /** `root` for uid 0 on the local host (from /etc/passwd), else the number. */
  userName(host: string, uid: number): string;
  /** the URI scheme of tree items' resourceUri, for the decoration provider (new-object highlight). */
  readonly decorationScheme: string;
  /** warning texts the person dismissed (this session): their rows are not shown */
  readonly dismissed?: ReadonlySet<string>;
  /** the IPC namespaces of `host` (this machine, or an SSH host) as discovery saw them last (undefined: off or not yet run) */
  namespaces?(host: string): NamespaceView | undefined;
}

export abstract class TreeNode {
  /** unique and stable across refreshes (VS Code keeps expansion and selection by it). */
  abstract readonly id: string;
  abstract readonly host: string;
  parent: TreeNode | undefined;
  abstract treeItem(ctx: ViewContext): vscode.TreeItem;
  children(_ctx: ViewContext): TreeNode[] | Promise<TreeNode[]> {
    return [];
  }
  protected hostState(ctx: ViewContext): HostState | undefined {
    return ctx.store.get(this.host);
  }
}

/** Sets parent links on freshly built children. */
export function adopt<T extends TreeNode>(parent: TreeNode, kids: T[]): T[] {
  for (const k of kids) k.parent = parent;
  return kids;
}

/**
 * A System V semaphore set. Its semaphores come from the per-semaphore detail (GETPID/GETNCNT/GETZCNT) the
 * refresh read, or, for sets beyond that, are read when it is expanded.
 */
import * as vscode from 'vscode';
import type { IpcErrorInfo, SemElem, SemSet } from '../../shared/model';
import { MessageNode } from './messageNode';
import { adopt, type TreeNode, type ViewContext } from './node';
import { ObjectNode } from './objectNode';
import { SemaphoreNode } from './semaphoreNode';

export class SemSetNode extends ObjectNode<SemSet> {
  protected override collapsible(): vscode.TreeItemCollapsibleState {
    return this.obj.nsems > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
  }

  /** Synchronous when the detail is already there (read with the refresh, or cached): no await, no window. */
  override children(ctx: ViewContext): TreeNode[] | Promise<TreeNode[]> {
    const have = this.obj.elems ?? ctx.store.cachedSemDetail(this.host, this.obj.id);
    if (have) return this.rows(ctx, have);
    return ctx.store.semDetail(this.host, this.obj.id).then((r) => this.rows(ctx, r));
  }

  private rows(ctx: ViewContext, r: SemElem[] | IpcErrorInfo): TreeNode[] {
    if (!Array.isArray(r)) return adopt(this, [MessageNode.fromError(`${this.id}|error`, this.host, 'per-semaphore detail', r)]);
    const facts = ctx.store.get(this.host)?.snapshot?.processes ?? {};
    return adopt(this, r.map((e, i) => new SemaphoreNode(this.host, this.id, this.obj.id, i, e, facts[e.pid])));
  }
}

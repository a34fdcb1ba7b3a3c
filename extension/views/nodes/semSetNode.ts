/** A System V semaphore set. Expanding it loads its per-semaphore detail (GETPID/GETNCNT/GETZCNT) lazily. */
import * as vscode from 'vscode';
import type { SemSet } from '../../shared/model';
import { MessageNode } from './messageNode';
import { adopt, type TreeNode, type ViewContext } from './node';
import { ObjectNode } from './objectNode';
import { SemaphoreNode } from './semaphoreNode';

export class SemSetNode extends ObjectNode<SemSet> {
  protected override collapsible(): vscode.TreeItemCollapsibleState {
    return this.obj.nsems > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
  }

  override async children(ctx: ViewContext): Promise<TreeNode[]> {
    const r = await ctx.store.semDetail(this.host, this.obj.id);
    if (!Array.isArray(r)) return adopt(this, [MessageNode.fromError(`${this.id}|error`, this.host, 'per-semaphore detail', r)]);
    const facts = ctx.store.get(this.host)?.snapshot?.processes ?? {};
    return adopt(this, r.map((e, i) => new SemaphoreNode(this.host, this.id, this.obj.id, i, e, facts[e.pid])));
  }
}

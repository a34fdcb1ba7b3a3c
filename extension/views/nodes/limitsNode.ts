/** The host's kernel IPC limits (domain/capacity.ts rows), with a warning when any is at the warning threshold or above. */
import * as vscode from 'vscode';
import { capacity } from '../../domain/capacity';
import type { CapacityRow } from '../../shared/limitDescriptors';
import type { IpcSnapshot } from '../../shared/model';
import { LimitNode, WARN_PERCENT } from './limitNode';
import { adopt, TreeNode, type ViewContext } from './node';

export class LimitsNode extends TreeNode {
  readonly id: string;
  readonly rows: CapacityRow[];

  constructor(
    readonly host: string,
    snapshot: IpcSnapshot,
  ) {
    super();
    this.id = `${host}|limits`;
    this.rows = capacity(snapshot);
  }

  treeItem(_ctx: ViewContext): vscode.TreeItem {
    const hot = this.rows.filter((r) => r.percent !== null && r.percent >= WARN_PERCENT);
    const item = new vscode.TreeItem('Limits', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = hot.length ? `${hot.map((r) => r.name).join(', ')} at >= ${WARN_PERCENT}%` : `${this.rows.length} limits`;
    item.iconPath = hot.length
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon('dashboard');
    item.contextValue = 'limits';
    return item;
  }

  override children(_ctx: ViewContext): TreeNode[] {
    return adopt(this, this.rows.map((r) => new LimitNode(this.host, this.id, r)));
  }
}

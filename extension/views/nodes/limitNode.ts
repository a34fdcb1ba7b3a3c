/** One kernel limit: `SEMMNI 16/32000 (0.05%)`, a warning icon from CAPACITY_THRESHOLDS.warn on, help and how to raise it. */
import * as vscode from 'vscode';
import type { CapacityRow } from '../../shared/limitDescriptors';
import { CAPACITY_THRESHOLDS } from '../../shared/limitDescriptors';
import { formatBytes, formatCount, formatPercent } from '../../shared/format';
import { TreeNode, type ViewContext } from './node';

/** The tree marks a limit from the shared warning threshold on. */
export const WARN_PERCENT = CAPACITY_THRESHOLDS.warn;

export function limitValueText(r: CapacityRow): string {
  const lim = r.unlimited ? 'unlimited' : r.unit === 'bytes' ? formatBytes(r.limit) : formatCount(r.limit);
  if (r.used === null) return lim;
  const used = r.unit === 'bytes' ? formatBytes(r.used) : formatCount(r.used);
  return `${used}/${lim}`;
}

export class LimitNode extends TreeNode {
  readonly id: string;
  constructor(
    readonly host: string,
    parentId: string,
    readonly row: CapacityRow,
  ) {
    super();
    this.id = `${parentId}|${row.name}`;
  }

  get hot(): boolean {
    return this.row.percent !== null && this.row.percent >= WARN_PERCENT;
  }

  treeItem(_ctx: ViewContext): vscode.TreeItem {
    const r = this.row;
    const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = `${limitValueText(r)}${r.percent !== null ? ` (${formatPercent(r.percent)})` : ''}${r.unit === 'pages' && r.usedBytes !== undefined ? ` · ${formatBytes(r.usedBytes)}` : ''}`;
    item.iconPath = this.hot
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon('circle-small');
    item.contextValue = this.hot ? 'limit.warning' : 'limit';
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${r.name}**: `);
    md.appendText(`${r.label}\n\n${r.help}\n\n`);
    if (r.basis) md.appendText(`used: ${r.basis}\n\n`);
    if (r.raise) {
      md.appendMarkdown('raise: ');
      md.appendCodeblock(r.raise, 'sh');
    }
    item.tooltip = md;
    return item;
  }
}

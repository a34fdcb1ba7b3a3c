/** A group of objects of one kind (an owner, or an id range): keeps 32,000-set kinds navigable. */
import * as vscode from 'vscode';
import { formatCount } from '../../shared/format';
import type { IpcKind } from '../../shared/model';
import { layoutObjects, type Group } from '../grouping';
import { adopt, TreeNode, type ViewContext } from './node';
import { objectNodes } from './objectNodes';

export class GroupNode extends TreeNode {
  readonly id: string;
  private kids?: TreeNode[];

  constructor(
    readonly host: string,
    parentId: string,
    readonly kind: IpcKind,
    readonly group: Group,
    /** owner groups may split further into ranges; range groups list their objects */
    readonly level: 'owner' | 'range',
  ) {
    super();
    this.id = `${parentId}|${group.key}`;
  }

  treeItem(_ctx: ViewContext): vscode.TreeItem {
    const item = new vscode.TreeItem(this.group.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = formatCount(this.group.items.length);
    item.iconPath = new vscode.ThemeIcon(this.level === 'owner' ? 'account' : 'list-flat');
    item.contextValue = `group.${this.level}`;
    return item;
  }

  override children(ctx: ViewContext): TreeNode[] {
    if (this.kids) return this.kids;
    if (this.level === 'range') return (this.kids = adopt(this, objectNodes(this.host, this.group.items)));
    const s = ctx.settings();
    const layout = layoutObjects(this.group.items, { threshold: s.groupThreshold, rangeSize: s.rangeSize, byOwner: false }, (uid) =>
      ctx.userName(this.host, uid),
    );
    this.kids =
      'flat' in layout
        ? objectNodes(this.host, layout.flat)
        : layout.groups.map((g) => new GroupNode(this.host, this.id, this.kind, g, 'range'));
    return adopt(this, this.kids);
  }
}

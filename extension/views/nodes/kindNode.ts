/**
 * One kind of object on a host: `Semaphore sets 16/32000` (count/limit; POSIX kinds have no kernel count
 * limit). Small kinds list their objects; big ones are grouped (grouping.ts). Per-object read errors of
 * this kind are listed first.
 */
import * as vscode from 'vscode';
import { formatBytes, formatCount } from '../../shared/format';
import type { IpcKind, IpcObject, IpcSnapshot } from '../../shared/model';
import { layoutObjects } from '../grouping';
import { countText, KIND_ICON, KIND_LABEL } from '../presentation';
import { GroupNode } from './groupNode';
import { MessageNode } from './messageNode';
import { adopt, TreeNode, type ViewContext } from './node';
import { objectNodes } from './objectNodes';

export function objectsOf(s: IpcSnapshot, kind: IpcKind): IpcObject[] {
  switch (kind) {
    case 'sem':
      return s.sems;
    case 'shm':
      return s.shms;
    case 'msg':
      return s.msgs;
    case 'posixSem':
      return s.posixSems;
    case 'posixShm':
      return s.posixShms;
  }
}


function limitOf(s: IpcSnapshot, kind: IpcKind): number | undefined {
  return kind === 'sem' ? s.limits.semmni : kind === 'shm' ? s.limits.shmmni : kind === 'msg' ? s.limits.msgmni : undefined;
}

export class KindNode extends TreeNode {
  readonly id: string;
  private kids?: TreeNode[];

  constructor(
    readonly host: string,
    readonly kind: IpcKind,
    readonly snapshot: IpcSnapshot,
  ) {
    super();
    this.id = `${host}|kind:${kind}`;
  }

  get objects(): IpcObject[] {
    return objectsOf(this.snapshot, this.kind);
  }

  treeItem(_ctx: ViewContext): vscode.TreeItem {
    const s = this.snapshot;
    const objs = this.objects;
    const errors = s.errors.filter((e) => e.kind === this.kind).length;
    const label = `${KIND_LABEL[this.kind]} ${countText(objs.length, limitOf(s, this.kind))}`;
    const item = new vscode.TreeItem(
      label,
      objs.length || errors ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    const parts: string[] = [];
    if (this.kind === 'sem') parts.push(`${countText(s.usage.semTotal, s.limits.semmns)} semaphores`);
    if (this.kind === 'shm') parts.push(`${formatBytes(s.usage.shmPages * s.limits.pageSize)} in use`);
    if (this.kind === 'msg') parts.push(`${formatCount(s.usage.msgMessages)} messages`);
    if (errors) parts.push(`${errors} unreadable`);
    item.description = parts.join(' · ');
    item.iconPath = new vscode.ThemeIcon(KIND_ICON[this.kind]);
    item.contextValue = `kind.${this.kind}`;
    return item;
  }

  override children(ctx: ViewContext): TreeNode[] {
    if (this.kids) return this.kids;
    const errs = this.snapshot.errors
      .filter((e) => e.kind === this.kind)
      .map((e, i) =>
        MessageNode.fromError(`${this.id}|err${i}`, this.host, e.id !== undefined ? `id ${e.id}` : (e.name ?? this.kind), e.error),
      );
    const s = ctx.settings();
    const layout = layoutObjects(this.objects, { threshold: s.groupThreshold, rangeSize: s.rangeSize, byOwner: true }, (uid) =>
      ctx.userName(this.host, uid),
    );
    const rest: TreeNode[] =
      'flat' in layout
        ? objectNodes(this.host, layout.flat)
        : layout.groups.map((g) => new GroupNode(this.host, this.id, this.kind, g, g.key.startsWith('uid') ? 'owner' : 'range'));
    return (this.kids = adopt(this, [...errs, ...rest]));
  }
}

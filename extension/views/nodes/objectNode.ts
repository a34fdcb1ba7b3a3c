/**
 * What every object row shares: label (key + id, or POSIX name), description (owner, size/nsems, state),
 * icon and colour from the verdict, contextValue (`semSet`, `semSet.recyclable`, ...), a markdown tooltip
 * with the full record, and a resourceUri the decoration provider uses to highlight new objects.
 * Used as is for shm segments, message queues and POSIX objects; SemSetNode adds the lazy semaphores.
 */
import * as vscode from 'vscode';
import { objectRef } from '../../domain/verdict';
import type { IpcObject, ObjectRef } from '../../shared/model';
import { objectRows, verdictRows, type Row } from '../objectFields';
import { KIND_CONTEXT, KIND_NOUN, objectDescription, objectLabel, stateIcon } from '../presentation';
import { TreeNode, type ViewContext } from './node';

/** Escapes text for a markdown table cell. */
export function mdCell(s: string): string {
  return s.replace(/[\\`*_[\]|<>]/g, (c) => '\\' + c).replace(/\n/g, ' ');
}

export function rowsToMarkdown(title: string, rows: Row[]): vscode.MarkdownString {
  const lines = [`**${mdCell(title)}**`, '', '| | |', '|---|---|'];
  for (const [k, v] of rows) lines.push(`| ${k ? `**${mdCell(k)}**` : ''} | ${mdCell(v)} |`);
  const md = new vscode.MarkdownString(lines.join('\n'));
  md.supportThemeIcons = false;
  return md;
}

/** `ipcx-node:/local/sem:3`: the resourceUri of an object row (decorations key on it). */
export function objectUri(scheme: string, host: string, ref: ObjectRef): vscode.Uri {
  return vscode.Uri.from({ scheme, path: `/${encodeURIComponent(host)}/${encodeURIComponent(ref)}` });
}

export class ObjectNode<T extends IpcObject = IpcObject> extends TreeNode {
  readonly ref: ObjectRef;
  readonly id: string;

  constructor(
    readonly host: string,
    readonly obj: T,
  ) {
    super();
    this.ref = objectRef(obj);
    this.id = `${host}|${this.ref}`;
  }

  protected collapsible(): vscode.TreeItemCollapsibleState {
    return vscode.TreeItemCollapsibleState.None;
  }

  treeItem(ctx: ViewContext): vscode.TreeItem {
    const v = ctx.store.verdict(this.host, this.ref);
    const item = new vscode.TreeItem(objectLabel(this.obj), this.collapsible());
    item.id = this.id;
    item.description = objectDescription(this.obj, v, (uid) => ctx.userName(this.host, uid));
    item.iconPath = stateIcon(v, this.obj.kind);
    item.contextValue = KIND_CONTEXT[this.obj.kind] + (v?.recyclable ? '.recyclable' : '');
    item.resourceUri = objectUri(ctx.decorationScheme, this.host, this.ref);
    const snap = this.hostState(ctx)?.snapshot;
    if (snap) {
      const rows = [...objectRows(this.obj, snap, (uid) => ctx.userName(this.host, uid)), ...verdictRows(v)];
      if (this.host !== 'local') rows.unshift(['host', this.host]);
      item.tooltip = rowsToMarkdown(`${KIND_NOUN[this.obj.kind]} ${objectLabel(this.obj)}`, rows);
    }
    item.accessibilityInformation = {
      label: `${KIND_NOUN[this.obj.kind]} ${objectLabel(this.obj)}, ${item.description}`,
    };
    return item;
  }
}

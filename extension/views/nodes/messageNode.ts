/** A leaf that says something: an error (errno name + hint), a warning, or "loading". */
import * as vscode from 'vscode';
import type { IpcErrorInfo } from '../../shared/model';
import { TreeNode, type ViewContext } from './node';
import { errorLine } from '../../services/notify';

export type MessageSeverity = 'error' | 'warning' | 'info' | 'loading';

export class MessageNode extends TreeNode {
  /** run when the row is clicked (e.g. Add SSH Host… on a machine without System V IPC) */
  command?: vscode.Command;
  constructor(
    readonly id: string,
    readonly host: string,
    readonly severity: MessageSeverity,
    readonly text: string,
    readonly detail?: string,
  ) {
    super();
  }

  static fromError(id: string, host: string, what: string, e: IpcErrorInfo): MessageNode {
    return new MessageNode(id, host, 'error', `${what}: ${errorLine(e)}`, e.hint);
  }

  treeItem(_ctx: ViewContext): vscode.TreeItem {
    const item = new vscode.TreeItem(this.text, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = `message.${this.severity}`;
    item.iconPath =
      this.severity === 'error'
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
        : this.severity === 'warning'
          ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.yellow'))
          : this.severity === 'loading'
            ? new vscode.ThemeIcon('loading~spin')
            : new vscode.ThemeIcon('info');
    const md = new vscode.MarkdownString();
    md.appendText(this.text);
    if (this.detail) {
      md.appendMarkdown('\n\n**Hint:** ');
      md.appendText(this.detail);
    }
    item.tooltip = md;
    if (this.command) item.command = this.command;
    return item;
  }
}

/** One semaphore of a set: semval, waiters (ncount/zcount) and the last-op pid with its command and liveness. */
import * as vscode from 'vscode';
import type { ProcessFact, SemElem } from '../../shared/model';
import { pidText } from '../presentation';
import { TreeNode, type ViewContext } from './node';

export class SemaphoreNode extends TreeNode {
  readonly id: string;
  constructor(
    readonly host: string,
    setNodeId: string,
    readonly semid: number,
    readonly semnum: number,
    readonly elem: SemElem,
    readonly pidFact: ProcessFact | undefined,
  ) {
    super();
    this.id = `${setNodeId}|${semnum}`;
  }

  treeItem(_ctx: ViewContext): vscode.TreeItem {
    const e = this.elem;
    const item = new vscode.TreeItem(`sem ${this.semnum} = ${e.semval}`, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const pid = pidText(e.pid, this.pidFact ? { [e.pid]: this.pidFact } : {});
    const waiting = e.ncount + e.zcount;
    item.description = `${waiting ? `${e.ncount} waiting for >0, ${e.zcount} for 0 · ` : ''}last op ${pid}`;
    item.iconPath = new vscode.ThemeIcon(
      waiting ? 'watch' : 'circle-small',
      waiting ? new vscode.ThemeColor('charts.blue') : undefined,
    );
    item.contextValue = 'semaphore';
    item.accessibilityInformation = { label: `semaphore ${this.semnum} = ${e.semval}, ${item.description}` };
    item.tooltip = `semnum ${this.semnum} of set ${this.semid}\nsemval ${e.semval}\nncount ${e.ncount} (waiting for it to grow)\nzcount ${e.zcount} (waiting for zero)\nsempid ${pid}`;
    return item;
  }
}

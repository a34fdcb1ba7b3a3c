/**
 * A host (local first, then SSH hosts): where the data came from and when; its warnings and its last error
 * (the previous snapshot stays listed, marked stale); then one node per kind and the limits.
 */
import * as vscode from 'vscode';
import type { IpcKind } from '../../shared/model';
import { capacity, worstUsage } from '../../domain/capacity';
import { LOCAL_HOST } from '../../services/snapshotStore';
import { formatTimestamp } from '../../shared/format';
import { KindNode } from './kindNode';
import { LimitsNode } from './limitsNode';
import { MessageNode } from './messageNode';
import { adopt, TreeNode, type ViewContext } from './node';

export const KINDS: IpcKind[] = ['sem', 'shm', 'msg', 'posixSem', 'posixShm'];

export class HostNode extends TreeNode {
  readonly id: string;
  private built?: { generation: number; error: unknown; kids: TreeNode[] };

  constructor(readonly host: string) {
    super();
    this.id = `host:${host}`;
  }

  treeItem(ctx: ViewContext): vscode.TreeItem {
    const st = this.hostState(ctx);
    const local = this.host === LOCAL_HOST;
    const item = new vscode.TreeItem(local ? 'local' : this.host, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    const snap = st?.snapshot;
    const parts: string[] = [];
    if (snap?.hostname) parts.push(snap.hostname);
    if (snap) parts.push(snap.source === 'proc' ? '/proc fallback' : snap.source);
    if (snap?.ipcNamespace) parts.push(snap.ipcNamespace);
    // fleet columns: platform, worst limit usage, orphan count, connection state of SSH hosts
    if (snap && !local) parts.push(snap.platform);
    const worst = snap ? worstUsage(capacity(snap)) : undefined;
    if (worst && worst.percent !== null) parts.push(`${worst.name} ${Math.round(worst.percent)}%`);
    let orphans = 0;
    for (const v of st?.verdicts.values() ?? []) if (v.state === 'orphan') orphans++;
    if (orphans) parts.push(`${orphans} orphan${orphans === 1 ? '' : 's'}`);
    if (!local && snap && !st?.error) parts.push(st?.loading ? 'refreshing…' : 'connected');
    if (st?.error) parts.push(`error: ${st.error.code}`);
    else if (!snap) parts.push(st?.loading ? 'loading…' : 'not loaded');
    item.description = parts.join(' · ');
    item.iconPath = st?.error
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
      : new vscode.ThemeIcon(local ? 'vm' : 'remote');
    item.contextValue = local ? 'host.local' : 'host.remote';
    if (snap) {
      const md = new vscode.MarkdownString();
      md.appendMarkdown(`**${local ? 'local machine' : this.host}**\n\n`);
      md.appendText(
        `source: ${snap.source}\nplatform: ${snap.platform}${snap.kernel ? ` ${snap.kernel}` : ''}\n` +
          `taken: ${formatTimestamp(snap.takenAt)}\n` +
          (snap.ipcNamespace ? `IPC namespace: ${snap.ipcNamespace}\n` : '') +
          (snap.uid !== undefined ? `as uid ${snap.uid}\n` : '') +
          (st?.refreshMs !== undefined ? `refresh took ${st.refreshMs.toFixed(0)} ms\n` : ''),
      );
      item.tooltip = md;
    }
    return item;
  }

  override children(ctx: ViewContext): TreeNode[] {
    const st = this.hostState(ctx);
    if (!st) return [];
    if (this.built && this.built.generation === st.generation && this.built.error === st.error) return this.built.kids;
    const kids: TreeNode[] = [];
    if (st.error) {
      kids.push(
        MessageNode.fromError(`${this.id}|error`, this.host, st.snapshot ? 'refresh failed (showing the previous snapshot)' : 'refresh failed', st.error),
      );
    }
    const snap = st.snapshot;
    if (!snap) {
      if (!st.error) kids.push(new MessageNode(`${this.id}|loading`, this.host, 'loading', 'Reading IPC objects…'));
    } else {
      snap.warnings.forEach((w, i) => {
        if (!ctx.dismissed?.has(w)) kids.push(new MessageNode(`${this.id}|warn${i}`, this.host, 'warning', w));
      });
      for (const k of KINDS) kids.push(new KindNode(this.host, k, snap));
      kids.push(new LimitsNode(this.host, snap));
    }
    this.built = { generation: st.generation, error: st.error, kids: adopt(this, kids) };
    return this.built.kids;
  }
}

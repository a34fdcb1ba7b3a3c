/**
 * A host (local first, then SSH hosts): where the data came from and when; its warnings and its last error
 * (the previous snapshot stays listed, marked stale); then one node per kind and the limits. The local host,
 * when more than one IPC namespace of the machine is visible (containers), lists the namespaces instead, each
 * with its kinds (namespaceNode.ts).
 */
import * as vscode from 'vscode';
import { capacity, fullestPool, maximaNearLimit } from '../../domain/capacity';
import { LOCAL_HOST } from '../../services/snapshotStore';
import { formatTimestamp } from '../../shared/format';
import { hostContents } from './hostContents';
import { MessageNode } from './messageNode';
import { adopt, TreeNode, type ViewContext } from './node';
import { NamespaceNode } from './namespaceNode';

export { KINDS } from './hostContents';

export class HostNode extends TreeNode {
  readonly id: string;
  private built?: { generation: number; error: unknown; nsVersion: number; kids: TreeNode[] };

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
    // fleet columns: platform, fullest pool (the status bar's figure), orphan count, connection state of SSH hosts
    if (snap && !local) parts.push(snap.platform);
    // one pass over the objects for both the figure and the tooltip's per-object maxima
    const rows = snap ? capacity(snap) : [];
    const worst = snap ? fullestPool(snap, rows) : undefined;
    if (worst) parts.push(worst.text);
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
          (st?.refreshMs !== undefined ? `refresh took ${st.refreshMs.toFixed(0)} ms\n` : '') +
          [worst?.detail ?? 'No pool in use', ...maximaNearLimit(snap, rows)].join('\n'),
      );
      item.tooltip = md;
    }
    return item;
  }

  override children(ctx: ViewContext): TreeNode[] {
    const st = this.hostState(ctx);
    if (!st) return [];
    // more than one IPC namespace visible (containers): host -> namespace -> kinds
    const ns = ctx.namespaces?.(this.host);
    const nsVersion = ns && ns.entries.length > 1 ? ns.version : -1;
    if (this.built && this.built.generation === st.generation && this.built.error === st.error && this.built.nsVersion === nsVersion) return this.built.kids;
    const kids: TreeNode[] =
      ns && nsVersion >= 0
        ? [
            ...ns.warnings.filter((w) => !ctx.dismissed?.has(w)).map((w, i) => new MessageNode(`${this.id}|nswarn${i}`, this.host, 'warning', w)),
            ...ns.entries.map((e) => new NamespaceNode(e, ns.entries.length)),
          ]
        : hostContents(this.id, this.host, st, ctx);
    this.built = { generation: st.generation, error: st.error, nsVersion, kids: adopt(this, kids) };
    return this.built.kids;
  }
}

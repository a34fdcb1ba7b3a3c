/**
 * One IPC namespace of this machine under the local host (shown when more than one is visible): the machine's
 * own first, then the reader's, then the containers. Its label names the container (`docker 2403ccfe427f ·
 * postgres`), its description counts its objects and names its fullest limit (its own limits and its own
 * /dev/shm); its children are its kinds and limits, read inside it. A namespace that cannot be read lists
 * the reason instead; one whose refresh failed (its processes exited) shows the error for itself only.
 *
 * Names and command lines come from the namespace's processes and cgroup paths: untrusted text, shown as
 * plain labels with control and bidi characters escaped (visibleText), and as escaped markdown in tooltips.
 */
import * as vscode from 'vscode';
import { describeContainer } from '../../domain/containers';
import { namespaceDescription, namespaceSummary } from '../../domain/namespaceSummary';
import { formatBytes, visibleText } from '../../shared/format';
import { LOCAL_HOST } from '../../services/snapshotStore';
import type { NamespaceEntry } from '../../services/namespaceHosts';
import { hostContents } from './hostContents';
import { MessageNode } from './messageNode';
import { adopt, TreeNode, type ViewContext } from './node';

export class NamespaceNode extends TreeNode {
  readonly id: string;
  readonly host: string;
  private built?: { generation: number; error: unknown; kids: TreeNode[] };

  constructor(
    readonly entry: NamespaceEntry,
    private readonly siblings: number,
  ) {
    super();
    // the same namespace can be listed by this machine and by an SSH host of this machine
    this.id = entry.parent === LOCAL_HOST ? `ns:${entry.info.ns}` : `ns:${entry.parent}|${entry.info.ns}`;
    this.host = entry.host ?? entry.parent;
  }

  /** The namespace's row label: `host` for the machine's own, else the container or `ipc:[N] · comm`. */
  static label(entry: NamespaceEntry): string {
    return entry.info.initial ? 'host' : visibleText(entry.info.label);
  }

  treeItem(ctx: ViewContext): vscode.TreeItem {
    const { info } = this.entry;
    const st = this.entry.host ? ctx.store.get(this.entry.host) : undefined;
    const snap = st?.snapshot;
    const expanded = info.own || this.siblings <= 3;
    const item = new vscode.TreeItem(
      NamespaceNode.label(this.entry),
      expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = this.id;
    const parts: string[] = [];
    if (info.initial) parts.push("machine's own");
    if (info.own) parts.push(this.entry.parent === LOCAL_HOST ? 'IPC Explorer runs here' : 'the SSH login runs here');
    if (!this.entry.host) parts.push(`cannot read: ${visibleText(info.reason ?? 'not enterable', 120)}`);
    else if (snap) parts.push(namespaceDescription(namespaceSummary(snap)));
    if (st?.error) parts.push(`error: ${st.error.code}`);
    else if (this.entry.host && !snap) parts.push(st?.loading ? 'loading…' : 'not loaded');
    item.description = parts.join(' · ');
    item.iconPath = st?.error
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
      : !this.entry.host
        ? new vscode.ThemeIcon('lock')
        : new vscode.ThemeIcon(info.initial ? 'home' : info.container ? 'package' : 'symbol-namespace');
    item.contextValue = !this.entry.host ? 'namespace.unreadable' : this.entry.host === this.entry.parent ? 'host.namespace.own' : 'host.namespace';
    const md = new vscode.MarkdownString();
    md.appendMarkdown('**IPC namespace** ');
    md.appendText(`${info.ns}${info.initial ? " (the machine's own)" : ''}${info.own ? (this.entry.parent === LOCAL_HOST ? ' (IPC Explorer runs in it)' : ' (the SSH login runs in it)') : ''}\n\n`);
    if (this.entry.parent !== LOCAL_HOST) md.appendText(`on ${this.entry.parent}${info.own ? '' : ', read with nsenter -t PID -i'}\n\n`);
    const lines: string[] = [];
    if (info.container) lines.push(`container: ${visibleText(describeContainer(info.container, info.pod))}`);
    if (info.container?.cgroupPath) lines.push(`cgroup: ${visibleText(info.container.cgroupPath)}`);
    if (info.hostname !== undefined) lines.push(`hostname: ${visibleText(info.hostname)}`);
    lines.push(`main process: ${info.mainPid}${info.comm ? ` (${visibleText(info.comm)})` : ''}`);
    if (info.cmdline) lines.push(`command: ${visibleText(info.cmdline, 300)}`);
    lines.push(`${info.pids.length} process${info.pids.length === 1 ? '' : 'es'}${info.threads?.length ? `, ${info.threads.length} thread(s) of other processes` : ''}`);
    if (snap?.devShm) lines.push(`/dev/shm: ${formatBytes(snap.devShm.used)} of ${formatBytes(snap.devShm.size)} (${snap.devShm.fsType})`);
    if (!this.entry.host) lines.push(`not read: ${visibleText(info.reason ?? 'cannot be entered', 300)}`);
    if (st?.error) lines.push(`last refresh failed: ${st.error.code}: ${visibleText(st.error.message, 300)}`);
    md.appendText(lines.join('\n'));
    item.tooltip = md;
    return item;
  }

  override children(ctx: ViewContext): TreeNode[] {
    if (!this.entry.host) {
      return adopt(this, [
        new MessageNode(`${this.id}|unreadable`, this.host, 'info', `Not read: ${visibleText(this.entry.info.reason ?? 'cannot be entered', 200)}`),
      ]);
    }
    const st = ctx.store.get(this.entry.host);
    if (!st) return [];
    if (this.built && this.built.generation === st.generation && this.built.error === st.error) return this.built.kids;
    this.built = { generation: st.generation, error: st.error, kids: adopt(this, hostContents(this.id, this.entry.host, st, ctx)) };
    return this.built.kids;
  }
}

/**
 * The always-visible next actions: a status-bar item for the local machine ("SEMMNS 90 % · 5 orphans",
 * warning colour over `ipcExplorer.statusBar.warnPercent`, click: the dashboard), the orphan count as the
 * views' badge (every host), and the context keys the welcome views read (`ipcExplorer.tree`,
 * `ipcExplorer.hasSshHosts`, `ipcExplorer.nativeBinding`). Only translates domain/nextActions.ts.
 */
import * as vscode from 'vscode';
import { countOrphans, statusText, treeState, type TreeState } from '../domain/nextActions';
import type { Services } from '../services/services';
import { readStatusSettings } from '../services/settings';
import { LOCAL_HOST } from '../services/snapshotStore';

export interface StatusIndicators {
  readonly item: vscode.StatusBarItem;
  /** what the badge says now (undefined: no badge) */
  badge(): vscode.ViewBadge | undefined;
  treeState(): TreeState;
}

export function registerStatusIndicators(
  context: vscode.ExtensionContext,
  services: Services,
  views: readonly vscode.TreeView<unknown>[],
): StatusIndicators {
  const item = vscode.window.createStatusBarItem('ipcExplorer.status', vscode.StatusBarAlignment.Left, 20);
  item.name = 'IPC Explorer';
  item.command = { command: 'ipcExplorer.openDashboard', title: 'Open Dashboard', arguments: [LOCAL_HOST] };
  let badge: vscode.ViewBadge | undefined;
  let state: TreeState = 'objects';
  /** what the status bar shows now (text, colour, tooltip), so an unchanged one is not sent again */
  let shownKey = '';
  const keys = new Map<string, unknown>();
  const setKey = (key: string, value: unknown): void => {
    if (keys.get(key) === value) return;
    keys.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  };
  setKey('ipcExplorer.nativeBinding', services.localSource.mode === 'native' ? 'loaded' : services.localSource.mode === 'proc' ? 'missing' : services.localSource.mode);

  const update = (): void => {
    const hosts = services.store.hosts();
    state = treeState(hosts);
    setKey('ipcExplorer.tree', state);
    setKey('ipcExplorer.hasSshHosts', hosts.some((h) => h.host !== LOCAL_HOST));

    let orphans = 0;
    let recyclable = 0;
    for (const h of hosts) {
      const c = countOrphans(h.verdicts.values());
      orphans += c.orphans;
      recyclable += c.recyclable;
    }
    const next: vscode.ViewBadge | undefined = orphans
      ? { value: orphans, tooltip: `${orphans} orphaned IPC object${orphans === 1 ? '' : 's'} (${recyclable} recyclable now)` }
      : undefined;
    // only a changed badge goes to the window (store changes come many per refresh)
    if (next?.value !== badge?.value || next?.tooltip !== badge?.tooltip) {
      badge = next;
      for (const v of views) v.badge = badge;
    }

    const settings = readStatusSettings();
    const local = services.store.get(LOCAL_HOST);
    if (!settings.enabled || !local?.snapshot) {
      shownKey = '';
      item.hide();
      return;
    }
    const s = statusText(local.snapshot, local.verdicts.values(), settings.warnPercent);
    const key = `${s.text}|${s.warn}|${s.details.join('|')}`;
    if (key === shownKey) return;
    shownKey = key;
    item.text = `$(server-process) ${s.text}`;
    item.backgroundColor = s.warn ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown('**IPC Explorer** (local machine)\n\n');
    for (const d of s.details) md.appendText(`${d}\n\n`);
    md.appendMarkdown('Click to open the dashboard.');
    item.tooltip = md;
    item.accessibilityInformation = { label: `IPC Explorer: ${s.text}${s.warn ? ' (limit nearly full)' : ''}. Open the dashboard.` };
    item.show();
  };

  context.subscriptions.push(
    item,
    new vscode.Disposable(services.store.onDidChange(() => update()).dispose),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ipcExplorer.statusBar')) update();
    }),
  );
  update();
  return { item, badge: () => badge, treeState: () => state };
}

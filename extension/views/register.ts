/** Registers the objects tree in both places (its activity-bar container and the Explorer). */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services/services';
import { AutoRefresh } from './autoRefresh';
import { NewObjectDecorations } from './decorations';
import { MessageNode } from './nodes/messageNode';
import type { TreeNode } from './nodes/node';
import { ObjectsTreeProvider } from './objectsTree';

export const VIEW_ID = 'ipcExplorer.objects';
export const EXPLORER_VIEW_ID = 'ipcExplorer.explorerObjects';

export interface TreeViews {
  provider: ObjectsTreeProvider;
  /** the view in the IPC Explorer activity-bar container */
  treeView: vscode.TreeView<TreeNode>;
  /** the same tree in the Explorer */
  explorerView: vscode.TreeView<TreeNode>;
  autoRefresh: AutoRefresh;
  /** the new-object highlight */
  decorations: NewObjectDecorations;
}

export function registerTreeViews(context: vscode.ExtensionContext, services: Services): TreeViews {
  const provider = new ObjectsTreeProvider(services.store, services.localSource.unavailable, services.hostNamespaces);
  const treeView = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const explorerView = vscode.window.createTreeView(EXPLORER_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const autoRefresh = new AutoRefresh(services.store, [treeView, explorerView], [VIEW_ID, EXPLORER_VIEW_ID]);
  const decorations = new NewObjectDecorations(services.store);
  context.subscriptions.push(
    provider,
    treeView,
    explorerView,
    autoRefresh,
    decorations,
    vscode.window.registerFileDecorationProvider(decorations),
    vscode.commands.registerCommand('ipcExplorer.dismissWarning', (node?: unknown) => {
      if (node instanceof MessageNode && node.severity === 'warning') provider.dismissWarning(node.text);
    }),
  );
  revealIfAsked();
  return { provider, treeView, explorerView, autoRefresh, decorations };
}

/** The marker file that opens the view with the window (`npm start` opens such a folder). */
export const OPEN_MARKER = '.ipc-explorer-open';

/**
 * A workspace folder holding `.ipc-explorer-open` activates the extension (activationEvents
 * `workspaceContains:`) and asks for the view to be shown; everywhere else activation stays lazy.
 */
function revealIfAsked(): void {
  const asked = (vscode.workspace.workspaceFolders ?? []).some(
    (f) => f.uri.scheme === 'file' && fs.existsSync(path.join(f.uri.fsPath, OPEN_MARKER)),
  );
  if (asked) void vscode.commands.executeCommand(`${VIEW_ID}.focus`);
}

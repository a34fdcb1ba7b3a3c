/**
 * The editor-tab icon of the dashboard and the futex visualizer. A tab draws its icon as an image, so
 * `currentColor` has no colour to inherit and renders black: the tab needs a light/dark pair with the
 * colours baked in (the activity bar, which masks its icon, keeps the single currentColor one).
 */
import * as vscode from 'vscode';

export function panelIcon(extensionUri: vscode.Uri): { light: vscode.Uri; dark: vscode.Uri } {
  return {
    light: vscode.Uri.joinPath(extensionUri, 'media', 'ipc-explorer-light.svg'),
    dark: vscode.Uri.joinPath(extensionUri, 'media', 'ipc-explorer-dark.svg'),
  };
}

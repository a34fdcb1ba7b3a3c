/**
 * Highlights objects that appeared since the previous refresh: a `N` badge and the "added" colour on their
 * row (a FileDecorationProvider keyed on the rows' resourceUri, like source control's added files).
 */
import * as vscode from 'vscode';
import type { SnapshotStore } from '../services/snapshotStore';
import { readTreeSettings } from '../services/settings';
import { DECORATION_SCHEME } from './objectsTree';

export class NewObjectDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.changed.event;
  private readonly sub: { dispose(): void };

  constructor(private readonly store: SnapshotStore) {
    this.sub = store.onDidChange((c) => {
      if (c.reason === 'snapshot' || c.reason === 'hosts') this.changed.fire(undefined);
    });
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== DECORATION_SCHEME || !readTreeSettings().highlightNew) return undefined;
    const [, host, ref] = uri.path.split('/').map(decodeURIComponent);
    if (!host || !ref || !this.store.get(host)?.added.has(ref)) return undefined;
    return new vscode.FileDecoration('N', 'new since the previous refresh', new vscode.ThemeColor('gitDecoration.addedResourceForeground'));
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

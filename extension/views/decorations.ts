/**
 * Highlights objects that appeared since the previous refresh: a `N` badge on their row, in the blue the
 * dashboard draws "appeared since the last refresh" with (a FileDecorationProvider keyed on the rows'
 * resourceUri, like source control's added files). Not source control's green "added" colour: the colour
 * tints the whole label, and green is what a live object looks like; a new orphan drawn green read as live.
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
    return new vscode.FileDecoration('N', 'new since the previous refresh', new vscode.ThemeColor('charts.blue'));
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

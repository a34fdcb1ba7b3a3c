/**
 * Refreshes while someone looks: the first time a view becomes visible (lazy: nothing is read before), and
 * every `ipcExplorer.autoRefreshSeconds` (0 = off) while at least one of the views is visible, never while
 * all are hidden. Shows VS Code's progress bar on the views while a refresh runs.
 */
import * as vscode from 'vscode';
import type { SnapshotStore } from '../services/snapshotStore';
import { readTreeSettings } from '../services/settings';

export class AutoRefresh implements vscode.Disposable {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly subs: vscode.Disposable[] = [];
  private progressDone: (() => void) | undefined;
  /** refresh ticks started by the timer (tests read it) */
  ticks = 0;

  constructor(
    private readonly store: SnapshotStore,
    private readonly views: vscode.TreeView<unknown>[],
    private readonly viewIds: string[],
  ) {
    for (const v of views) this.subs.push(v.onDidChangeVisibility(() => this.update()));
    this.subs.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ipcExplorer.autoRefreshSeconds')) this.update();
      }),
      new vscode.Disposable(
        store.onDidChange((c) => {
          this.progress();
          if (c.reason === 'hosts') this.firstSnapshots();
        }).dispose,
      ),
    );
    this.update();
  }

  get visible(): boolean {
    return this.views.some((v) => v.visible);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** (Re)arms or stops the timer; takes the first snapshot when a view shows a host that has none yet. */
  update(): void {
    this.firstSnapshots();
    const secs = readTreeSettings().autoRefreshSeconds;
    const want = this.visible && secs > 0;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (want) {
      this.timer = setInterval(() => {
        if (!this.visible) return this.update();
        this.ticks++;
        void this.store.refresh();
      }, secs * 1000);
    }
  }

  /** While a view is visible, every host without a snapshot yet (new, or never looked at) gets one. */
  private firstSnapshots(): void {
    if (!this.visible) return;
    for (const h of this.store.hosts()) if (!h.snapshot && !h.loading && !h.error) void this.store.refresh(h.host);
  }

  private progress(): void {
    const loading = this.store.hosts().some((h) => h.loading);
    if (loading && !this.progressDone) {
      const done = new Promise<void>((r) => (this.progressDone = r));
      for (const viewId of this.viewIds) void vscode.window.withProgress({ location: { viewId } }, () => done);
    } else if (!loading && this.progressDone) {
      this.progressDone();
      this.progressDone = undefined;
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.progressDone?.();
    for (const s of this.subs) s.dispose();
  }
}

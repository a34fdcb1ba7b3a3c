/**
 * The futex semaphore visualizer panel. The model checker runs inside the webview (pure TS); this side only
 * opens the panel, hands it a starting scenario (a live POSIX named semaphore from the snapshot: "3 tokens,
 * 2 waiters") and re-reads that semaphore when the webview asks. The webview controller validates what the
 * page sends (`isFutexWebviewToHost`) and holds posts until the page says `ready`, again after the panel was
 * hidden (its page is torn down and reloads).
 *
 * Commands: `ipcExplorer.openFutexVisualizer` (optional argument: a built-in scenario id) and
 * `ipcExplorer.openInVisualizer` (argument: a tree node {host, obj: PosixSem}, a PosixSem, or
 * {name, value, nwaiters[, layout, host]}; without one, a quick pick of the local POSIX semaphores).
 */
import os from 'node:os';
import * as vscode from 'vscode';
import { findScenario, liveLibc, liveTargetOf, scenarioFromLive, type LiveTarget } from '../domain/futex';
import type { PosixSem } from '../shared/model';
import { FUTEX_PROTOCOL, type FutexHostToWebview, type FutexWebviewToHost, type LiveSource } from '../shared/futexProtocol';
import type { Services } from '../services/services';
import { LOCAL_HOST } from '../services/snapshotStore';
import { panelIcon } from './panelIcon';
import { WebviewController } from './webviewController';
import { buildWebviewHtml, webviewOptions } from './webviewHtml';

export const FUTEX_VIEW_TYPE = 'ipcExplorer.futexVisualizer';
export const OPEN_FUTEX_COMMAND = 'ipcExplorer.openFutexVisualizer';
export const OPEN_IN_VISUALIZER_COMMAND = 'ipcExplorer.openInVisualizer';

export class FutexPanel implements vscode.Disposable {
  static current: FutexPanel | undefined;
  private readonly messenger: WebviewController<FutexWebviewToHost, FutexHostToWebview>;
  private readonly disposables: vscode.Disposable[] = [];
  private live: LiveTarget | undefined;

  static createOrShow(services: Services): FutexPanel {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    if (FutexPanel.current) {
      FutexPanel.current.panel.reveal(column);
      return FutexPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(FUTEX_VIEW_TYPE, 'Futex Semaphores', column, webviewOptions(services.context.extensionUri));
    FutexPanel.current = new FutexPanel(panel, services);
    return FutexPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, services: Services): FutexPanel {
    FutexPanel.current?.dispose();
    FutexPanel.current = new FutexPanel(panel, services);
    return FutexPanel.current;
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly services: Services) {
    panel.webview.options = webviewOptions(services.context.extensionUri);
    panel.iconPath = panelIcon(services.context.extensionUri);
    panel.webview.html = buildWebviewHtml(panel.webview, {
      extensionUri: services.context.extensionUri, app: 'futex', title: 'Futex Semaphores', styles: ['futex.css'],
    });
    this.messenger = new WebviewController(panel, FUTEX_PROTOCOL, services.log);
    this.disposables.push(
      this.messenger,
      // a page with nothing to open shows what it restored from its own state
      this.messenger.onReady((flushed) => {
        if (!flushed) this.post({ type: 'open' });
      }),
      this.messenger.onMessage((m) => {
        switch (m.type) {
          case 'refreshLive':
            void this.refreshLive();
            break;
          case 'saveSvg':
            void this.saveSvg(m.name, m.svg);
            break;
        }
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** messages refused by the validator (for tests and the log). */
  get rejected(): number {
    return this.messenger.rejected;
  }

  private post(m: FutexHostToWebview): void {
    this.messenger.post(m);
  }

  openScenario(id: string): void {
    this.live = undefined;
    this.post({ type: 'open', scenarioId: id });
  }

  openLive(t: LiveTarget, readAt = Date.now()): void {
    this.live = t;
    // the glibc of the machine holding the semaphore: this one's, or the SSH host's as its probe read it
    const local = t.host === LOCAL_HOST;
    const { glibc, libcNote } = liveLibc(local, local ? localGlibcRelease() : undefined, local ? undefined : this.services.store.get(t.host)?.snapshot?.libc);
    const live: LiveSource = {
      name: t.name, host: t.host, value: t.value, nwaiters: t.nwaiters, readAt, ...(glibc ? { glibc } : {}), ...(libcNote ? { libcNote } : {}),
    };
    // the machine's release picks the glibc-new-* version the stepper follows
    this.post({ type: 'open', scenario: scenarioFromLive({ ...t, glibc: t.glibc ?? glibc }), live });
    this.panel.title = `Futex: ${t.name}`;
  }

  /** Re-reads the live semaphore through the store (a fresh snapshot of its host). */
  async refreshLive(): Promise<void> {
    const t = this.live;
    if (!t) {
      this.post({ type: 'error', message: 'This panel was not opened from a live semaphore.' });
      return;
    }
    const entry = this.services.store.get(t.host);
    if (!entry) {
      this.post({ type: 'error', message: `host ${t.host} is no longer configured` });
      return;
    }
    await this.services.store.refresh(t.host);
    const after = this.services.store.get(t.host);
    if (after?.error && !after.snapshot) {
      this.post({ type: 'error', message: `refresh of ${t.host} failed: ${after.error.message}` });
      return;
    }
    const sem = after?.snapshot?.posixSems.find((s: PosixSem) => s.name === t.name);
    if (!sem) {
      this.post({ type: 'error', message: `${t.name} no longer exists on ${t.host} (/dev/shm/sem.${t.name.replace(/^\/+/, '')} is gone: ENOENT); showing the last state read` });
      return;
    }
    const next = liveTargetOf({ host: t.host, obj: sem });
    if (!next || 'error' in next) {
      this.post({ type: 'error', message: next && 'error' in next ? next.error : `${t.name}: unreadable` });
      return;
    }
    this.openLive(next, after?.snapshot?.takenAt ?? Date.now());
  }

  /** Asks where to save the exported diagram (a save dialog: the person picks the file), then writes it. */
  async saveSvg(name: string, svg: string): Promise<vscode.Uri | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folder, name), filters: { 'SVG image': ['svg'] }, saveLabel: 'Export diagram',
      title: 'Export the futex sequence diagram',
    });
    if (!uri) return undefined;
    try {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(svg, 'utf8'));
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'Unknown';
      void vscode.window.showErrorMessage(`Futex visualizer: writing ${uri.fsPath} failed (${code}): ${(e as Error).message}. ` +
        'Choose a folder you can write to.');
      return undefined;
    }
    this.services.log.info(`futex visualizer: sequence diagram saved to ${uri.fsPath} (${svg.length} bytes)`);
    void vscode.window.showInformationMessage(`Sequence diagram saved to ${uri.fsPath}`);
    return uri;
  }

  dispose(): void {
    if (FutexPanel.current === this) FutexPanel.current = undefined;
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.panel.dispose();
  }
}

let glibcRelease: string | null | undefined;

/**
 * The glibc release this extension host runs on, as gnu_get_libc_version() returns it ('2.36'): Node's
 * diagnostic report carries it (`header.glibcVersionRuntime`); undefined where the libc is not glibc. Read
 * once (a report takes some 15 ms).
 */
export function localGlibcRelease(): string | undefined {
  if (glibcRelease === undefined) {
    try {
      const r = process.report?.getReport() as { header?: { glibcVersionRuntime?: unknown } } | undefined;
      const v = r?.header?.glibcVersionRuntime;
      glibcRelease = typeof v === 'string' && /^\d+\.\d+[0-9.]*$/.test(v) ? v : null;
    } catch {
      glibcRelease = null;
    }
  }
  return glibcRelease ?? undefined;
}

async function pickLocalSemaphore(services: Services): Promise<LiveTarget | undefined> {
  if (!services.store.get(LOCAL_HOST)?.snapshot) await services.store.refresh(LOCAL_HOST);
  const sems = services.store.get(LOCAL_HOST)?.snapshot?.posixSems ?? [];
  const items = sems.map((s) => {
    const t = liveTargetOf({ host: LOCAL_HOST, obj: s });
    return {
      label: s.name,
      description: t && !('error' in t) ? `${t.value} tokens, ${t.nwaiters} waiters` : 'undecodable',
      target: t && !('error' in t) ? t : undefined,
    };
  });
  if (!items.length) {
    void vscode.window.showInformationMessage('No POSIX named semaphores (/dev/shm/sem.*) on this machine; opening the built-in scenarios.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, { placeHolder: 'POSIX semaphore to open in the futex visualizer' });
  return pick?.target;
}

/** Registers the two commands and the panel serializer. */
export function registerFutexVisualizer(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(OPEN_FUTEX_COMMAND, (arg?: unknown) => {
      const p = FutexPanel.createOrShow(services);
      if (typeof arg === 'string' && findScenario(arg)) p.openScenario(arg);
      return p;
    }),
    vscode.commands.registerCommand(OPEN_IN_VISUALIZER_COMMAND, async (arg?: unknown) => {
      let t = liveTargetOf(arg);
      if (t && 'error' in t) {
        void vscode.window.showErrorMessage(`Futex visualizer: ${t.error}`);
        return undefined;
      }
      if (!t) t = await pickLocalSemaphore(services);
      const p = FutexPanel.createOrShow(services);
      if (t) p.openLive(t);
      return p;
    }),
    vscode.window.registerWebviewPanelSerializer(FUTEX_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        FutexPanel.revive(panel, services);
      },
    }),
    { dispose: () => FutexPanel.current?.dispose() },
  );
}

/**
 * The dashboard panel: one WebviewPanel (created, revealed or revived by the WebviewPanelSerializer),
 * showing one host at a time. It only translates between the SnapshotStore / domain and the typed
 * protocol: posts a fresh snapshot (with verdicts, capacity rows and the diff since the previous refresh)
 * after every `ready` and every store change, and answers the webview's requests. Everything from the
 * webview is validated (webviewController + isWebviewToHost); recycling is only forwarded to the guarded
 * `ipcExplorer.recycleObject` command, which re-verifies and asks the person to confirm.
 */
import * as vscode from 'vscode';
import { diffMarks, diffSnapshots } from '../domain/diff';
import { findObject } from '../domain/verdict';
import { formatKey, ipcrmArgs } from '../shared/format';
import type { IpcObject, IpcSnapshot, ObjectRef } from '../shared/model';
import {
  assertNever, DASHBOARD_PROTOCOL, isObjectRef, type DiffMarks, type HostToWebview, type NamespaceItem, type WebviewToHost,
} from '../shared/dashboardProtocol';
import { namespaceItem } from '../domain/namespaceSummary';
import type { Services } from '../services/services';
import { LOCAL_HOST, type HostState, type StoreChange } from '../services/snapshotStore';
import { capacityRowsFor } from '../domain/capacityRows';
import { WebviewController } from './webviewController';
import { panelIcon } from './panelIcon';
import { buildWebviewHtml, webviewOptions } from './webviewHtml';

export const DASHBOARD_VIEW_TYPE = 'ipcExplorer.dashboard';
export const OPEN_DASHBOARD_COMMAND = 'ipcExplorer.openDashboard';
/** The guarded recycle flow (commands/recycle.ts): re-reads the object, shows the reasons, asks to confirm, removes with expectations. */
export const RECYCLE_COMMAND = 'ipcExplorer.recycleObject';
export const INSPECT_COMMAND = 'ipcExplorer.inspectObject';
export const RECYCLE_ORPHANS_COMMAND = 'ipcExplorer.recycleOrphans';
/** A snapshot younger than this is shown as is when the panel opens; an older one is replaced at once. */
export const FRESH_MS = 2000;

/** What the webview persists (UI state only) that the panel reads back on revive: which host it showed. */
function hostFromState(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const data = (state as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return undefined;
  const host = (data as { host?: unknown }).host;
  return typeof host === 'string' && host.length > 0 && host.length <= 300 ? host : undefined;
}

export class DashboardPanel implements vscode.Disposable {
  static current: DashboardPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly messenger: WebviewController<WebviewToHost, HostToWebview>;
  /** the last diff per store generation, so a detail-only change re-sends the same marks. */
  private lastDiff: { generation: number; diff: DiffMarks | null } | undefined;
  private pendingFocus: ObjectRef | undefined;
  private detailGeneration = -1;
  private disposed = false;
  /** snapshots posted (for tests and the log). */
  posted = 0;

  /** Opens (or reveals) the dashboard on `host`, optionally focusing one object. */
  static createOrShow(services: Services, host: string = LOCAL_HOST, focus?: ObjectRef): DashboardPanel {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    if (DashboardPanel.current) {
      const p = DashboardPanel.current;
      p.panel.reveal(column);
      if (p.host !== host) p.setHost(host);
      if (focus) p.focus(focus);
      return p;
    }
    // start the fresh snapshot now: it is usually there before the page has loaded and said ready
    const st = services.store.get(host);
    if (!st?.snapshot || Date.now() - st.snapshot.takenAt > FRESH_MS) void services.store.refresh(host);
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, title(host), column, {
      ...webviewOptions(services.context.extensionUri),
    });
    DashboardPanel.current = new DashboardPanel(panel, services, host);
    if (focus) DashboardPanel.current.focus(focus);
    return DashboardPanel.current;
  }

  /** Called by the serializer after a reload of VS Code. */
  static revive(panel: vscode.WebviewPanel, services: Services, state: unknown): DashboardPanel {
    const wanted = hostFromState(state);
    const host = wanted && services.store.get(wanted) ? wanted : LOCAL_HOST;
    DashboardPanel.current?.dispose();
    DashboardPanel.current = new DashboardPanel(panel, services, host);
    return DashboardPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
    public host: string,
  ) {
    const webview = panel.webview;
    webview.options = webviewOptions(services.context.extensionUri);
    panel.iconPath = panelIcon(services.context.extensionUri);
    this.messenger = new WebviewController(panel, DASHBOARD_PROTOCOL, services.log);
    this.disposables.push(
      this.messenger,
      this.messenger.onReady(() => this.onReady()),
      this.messenger.onMessage((m) => void this.handle(m)),
      services.store.onDidChange((c) => this.onStoreChange(c)),
      panel.onDidDispose(() => this.dispose()),
    );
    webview.html = buildWebviewHtml(webview, {
      extensionUri: services.context.extensionUri,
      app: 'dashboard',
      title: 'IPC Explorer dashboard',
      styles: ['dashboard.css'],
    });
  }

  private setHost(host: string): void {
    this.host = host;
    this.lastDiff = undefined;
    this.panel.title = title(host);
    // another host may list other namespaces (or none): the picker and the per-container view follow it
    this.postNamespaces();
    this.postSnapshot();
    if (!this.services.store.get(host)?.snapshot) void this.services.store.refresh(host);
  }

  focus(ref: ObjectRef): void {
    if (!isObjectRef(ref)) return;
    if (this.messenger.isReady && this.state()?.snapshot) this.messenger.post({ type: 'focus', ref });
    else this.pendingFocus = ref;
  }

  private state(): HostState | undefined {
    return this.services.store.get(this.host);
  }

  private onReady(): void {
    // a (re)loaded webview: what we have (its time is on screen) and a fresh snapshot right after, unless the
    // one we have was taken a moment ago
    const st = this.state();
    if (!st) {
      this.messenger.post({ type: 'error', error: { code: 'ENOENT', message: `host ${this.host} is not configured any more` } });
      return;
    }
    this.postNamespaces();
    if (st.snapshot) this.postSnapshot();
    if (!st.snapshot || Date.now() - st.snapshot.takenAt > FRESH_MS) void this.services.store.refresh(this.host);
  }

  private onStoreChange(c: StoreChange): void {
    if (this.disposed) return;
    // the picker and the "by container" view follow every namespace's refresh (and the local one's discovery)
    const parent = this.parentHost();
    if ((c.reason === 'snapshot' || c.reason === 'hosts') && (c.host === parent || this.services.hostNamespaces.parentOf(c.host) === parent || c.host === this.host)) {
      this.postNamespaces();
    }
    if (c.host !== this.host) return;
    if (c.reason === 'snapshot' || c.reason === 'detail') this.postSnapshot();
    else if (c.reason === 'hosts' && !this.services.store.get(this.host)) {
      this.messenger.post({ type: 'error', error: { code: 'ENOENT', message: `host ${this.host} was removed` } });
    }
  }

  private diffFor(st: HostState): DiffMarks | null {
    if (this.lastDiff?.generation === st.generation) return this.lastDiff.diff;
    let diff: DiffMarks | null = null;
    if (st.previous && st.snapshot) {
      diff = diffMarks(diffSnapshots(st.previous, st.snapshot));
    }
    this.lastDiff = { generation: st.generation, diff };
    return diff;
  }

  /** Asks the store for the detail of sets still missing it (bounded); the store re-assesses and fires 'detail'. */
  private loadDetail(st: HostState): void {
    if (this.detailGeneration === st.generation || !st.snapshot) return;
    this.detailGeneration = st.generation;
    const ids = this.services.verdicts.dashboardDetail(st.snapshot, (id) => !!this.services.store.cachedSemDetail(st.host, id));
    for (const id of ids) void this.services.store.semDetail(st.host, id);
  }

  /** The host whose namespaces the picker lists: this panel's host, or the host listing this panel's namespace. */
  private parentHost(): string {
    return this.services.hostNamespaces.parentOf(this.host) ?? this.host;
  }

  /** The host's IPC namespaces as the picker and the per-container bars show them (empty: only one visible). */
  namespaceItems(): NamespaceItem[] {
    const view = this.services.hostNamespaces.current(this.parentHost());
    if (!view || view.entries.length < 2) return [];
    return view.entries.map((e) => namespaceItem(e.info, e.host ?? null, e.host ? this.services.store.get(e.host) : undefined));
  }

  private postNamespaces(): void {
    this.messenger.post({ type: 'namespaces', current: this.host, items: this.namespaceItems() });
  }

  private postSnapshot(): void {
    const st = this.state();
    if (st) this.loadDetail(st);
    if (!st?.snapshot) {
      if (st?.error) this.messenger.post({ type: 'error', error: st.error });
      return;
    }
    const snapshot = st.snapshot;
    this.messenger.post({
      type: 'snapshot',
      host: st.host,
      takenAt: snapshot.takenAt,
      // as the store holds them: toWire sends a big snapshot as columns, without what the view does not draw
      snapshot,
      verdicts: [...st.verdicts.values()],
      capacity: capacityRowsFor(snapshot),
      diff: this.diffFor(st),
    });
    if (st.error) this.messenger.post({ type: 'error', error: st.error });
    this.posted++;
    if (this.pendingFocus) {
      this.messenger.post({ type: 'focus', ref: this.pendingFocus });
      this.pendingFocus = undefined;
    }
  }

  private async handle(m: Exclude<WebviewToHost, { type: 'ready' }>): Promise<void> {
    try {
      switch (m.type) {
        case 'selectObject':
          this.services.log.trace(`dashboard: selected ${m.ref} on ${this.host}`);
          return;
        case 'setFilter':
          this.panel.title = title(this.host, m.text);
          return;
        case 'refresh':
          await this.services.store.refresh(this.host);
          return;
        case 'selectNamespace': {
          // only a namespace this panel can list, and only one that can be read
          const entry = this.services.hostNamespaces.current(this.parentHost())?.entries.find((e) => e.info.ns === m.ns);
          if (!entry?.host) {
            this.services.log.warn(`dashboard: selectNamespace ${m.ns}: not a namespace that can be shown (ignored)`);
            this.messenger.post({ type: 'error', error: { code: 'ENOENT', message: `${m.ns} is not listed (any more) or cannot be read: refresh` } });
            return;
          }
          if (entry.host !== this.host) this.setHost(entry.host);
          this.postNamespaces();
          return;
        }
        case 'requestDetail': {
          const r = await this.services.store.semDetail(this.host, m.id);
          const verdict = this.services.store.verdict(this.host, `sem:${m.id}`);
          const reply: HostToWebview = Array.isArray(r)
            ? { type: 'detail', kind: 'sem', id: m.id, elems: r, ...(verdict ? { verdict } : {}) }
            : { type: 'detail', kind: 'sem', id: m.id, error: r, ...(verdict ? { verdict } : {}) };
          this.messenger.post(reply);
          return;
        }
        case 'copy':
          await this.copy(m.ref, m.what);
          return;
        case 'inspect':
          await vscode.commands.executeCommand(INSPECT_COMMAND, { host: this.host, ref: m.ref });
          return;
        case 'requestRecycle':
          await this.recycle(m);
          return;
        case 'requestRecycleOrphans':
          // the same guarded command as the palette's, with its plan and modal (`open` is not a confirmation)
          await vscode.commands.executeCommand(RECYCLE_ORPHANS_COMMAND, { host: this.host, open: true });
          return;
        default:
          assertNever(m);
      }
    } catch (err) {
      const info = this.services.notify.error(`Dashboard: ${m.type} failed`, err);
      this.messenger.post({ type: 'error', error: info });
    }
  }

  private object(ref: ObjectRef): { obj: IpcObject; snapshot: IpcSnapshot } | undefined {
    const snapshot = this.state()?.snapshot;
    const obj = snapshot && findObject(snapshot, ref);
    return snapshot && obj ? { obj, snapshot } : undefined;
  }

  private async copy(ref: ObjectRef, what: 'key' | 'id' | 'ipcrm' | 'json' | 'name'): Promise<void> {
    const found = this.object(ref);
    if (!found) {
      this.services.notify.warn(`${ref} on ${this.host} is not in the latest snapshot (removed since?). Refresh and try again.`);
      return;
    }
    const o = found.obj;
    let text: string;
    if (o.kind === 'posixSem' || o.kind === 'posixShm') text = what === 'json' ? JSON.stringify(o, null, 2) : o.name;
    else if (what === 'key') text = formatKey(o.key);
    else if (what === 'ipcrm') text = ipcrmArgs(o.kind, o.id).join(' ');
    else if (what === 'json') text = JSON.stringify(o, null, 2);
    else text = String(o.id);
    await vscode.env.clipboard.writeText(text);
    void vscode.window.setStatusBarMessage(`IPC Explorer: copied ${text.length > 40 ? `${what} of ${ref}` : text}`, 3000);
  }

  /**
   * The webview only asks: the guarded command re-reads the object, explains, asks the person to confirm and
   * removes with {key, ctime} expectations. Here we only check that the request names the object we showed.
   */
  private async recycle(m: Extract<WebviewToHost, { type: 'requestRecycle' }>): Promise<void> {
    const ref = `${m.kind}:${m.id}`;
    const found = this.object(ref);
    const o = found?.obj;
    if (!o || o.kind !== m.kind || o.key !== m.key || o.ctime !== m.ctime) {
      const message = `${ref} changed or is gone since the dashboard showed it (key/ctime differ): refresh and look again. Nothing was removed.`;
      this.services.notify.warn(message);
      this.messenger.post({ type: 'didRecycle', kind: m.kind, id: m.id, removed: false, message });
      return;
    }
    await vscode.commands.executeCommand(RECYCLE_COMMAND, { host: this.host, ref, key: m.key, ctime: m.ctime });
    await this.services.store.refresh(this.host);
    const after = this.object(ref)?.obj;
    const removed = !after || !('key' in after) || after.key !== m.key || after.ctime !== m.ctime;
    this.messenger.post({
      type: 'didRecycle',
      kind: m.kind,
      id: m.id,
      removed,
      message: removed ? `${ref} (key ${formatKey(m.key)}) was recycled.` : `${ref} is still there (not confirmed, refused or failed: see the log).`,
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

function title(host: string, filter = ''): string {
  const base = host === LOCAL_HOST ? 'IPC Dashboard' : `IPC Dashboard: ${host.length > 60 ? `${host.slice(0, 59)}…` : host}`;
  return filter ? `${base} (${filter.length > 24 ? `${filter.slice(0, 24)}…` : filter})` : base;
}

/** `{host, ref}` from a tree node (ObjectNode/HostNode carry `host` and `ref`) or a plain object. */
function targetOf(arg: unknown): { host?: string; ref?: ObjectRef } {
  if (typeof arg === 'string') return { host: arg };
  if (typeof arg !== 'object' || arg === null) return {};
  const a = arg as { host?: unknown; ref?: unknown };
  return {
    host: typeof a.host === 'string' ? a.host : undefined,
    ref: typeof a.ref === 'string' && isObjectRef(a.ref) ? a.ref : undefined,
  };
}

/** Registers `ipcExplorer.openDashboard` and the panel serializer. */
export function registerDashboard(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(OPEN_DASHBOARD_COMMAND, (arg?: unknown) => {
      const { host, ref } = targetOf(arg);
      const known = host && services.store.get(host) ? host : DashboardPanel.current?.host ?? LOCAL_HOST;
      return DashboardPanel.createOrShow(services, known, ref);
    }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        DashboardPanel.revive(panel, services, state);
      },
    }),
    { dispose: () => DashboardPanel.current?.dispose() },
  );
}

/**
 * The other IPC namespaces of this machine (containers) as hosts of the SnapshotStore, so that the tree, the
 * dashboard and the guarded recycle read and act inside each of them exactly as they do for the local host.
 *
 * Every refresh of the local host runs discovery (/proc/PID/ns/ipc, extension/backend/namespaces.ts) first:
 * a namespace seen for the first time becomes a store host with a NamespaceSource (setns on a native worker
 * thread), one no longer seen is removed from the store, and every namespace host is refreshed with the local
 * host. The reader's own namespace is the local host itself. A namespace the reader cannot enter (no
 * CAP_SYS_ADMIN, no native binding) gets no store host: it is listed with its reason only.
 *
 * A namespace discovery saw whose processes exit before its snapshot is read fails that host's refresh
 * (ENOENT): its row shows the error, every other namespace is read as usual; the next discovery drops it.
 *
 * The same class lists an SSH host's namespaces (`parent` the SSH host, `trigger` 'snapshot'): there the
 * host's own probe lists and reads every namespace in its round trip, and `prime` hands each namespace's
 * source what that probe read before its refresh (no second round trip). NamespaceRegistry finds the
 * NamespaceHosts of a host and the parent of a namespace host.
 *
 * No `vscode` import: the store and this class are plain TypeScript.
 */
import type { IpcSource } from '../backend/ipcSource';
import type { Discovery } from '../backend/namespaces';
import type { IpcNamespaceInfo } from '../shared/namespaces';
import type { Disposable } from './emitter';
import { LOCAL_HOST, type SnapshotStore } from './snapshotStore';

/** One namespace as the views list it. */
export interface NamespaceEntry {
  info: IpcNamespaceInfo;
  /** its store host (LOCAL_HOST, or the SSH host, for the reader's own), absent when it cannot be read */
  host?: string;
  /** the host it belongs to: LOCAL_HOST, or the SSH host whose probe listed it */
  parent: string;
}

export interface NamespaceView {
  /** discovery order: the machine's own namespace first, then the reader's, then by main pid */
  entries: NamespaceEntry[];
  warnings: string[];
  /** increments with every discovery (the tree rebuilds the namespace rows when it changes) */
  version: number;
}

export interface NamespaceHostsOptions {
  /** the host whose namespaces these are (default LOCAL_HOST) */
  parent?: string;
  /**
   * when discovery runs: 'loading' (before the parent's refresh: local /proc) or 'snapshot' (after it: an SSH
   * host's probe lists them in its own round trip). Default 'loading'.
   */
  trigger?: 'loading' | 'snapshot';
  /** called for every namespace source right before the refresh that follows discovery */
  prime?(info: IpcNamespaceInfo, source: IpcSource): void;
  discover(): Discovery;
  /** the source that reads inside one namespace (undefined: it cannot be read, e.g. no native binding) */
  makeSource(info: IpcNamespaceInfo): IpcSource | { error: string };
  /** whether namespaces are listed at all (setting) */
  enabled(): boolean;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

export class NamespaceHosts implements Disposable {
  private view: NamespaceView | undefined;
  /** store hosts made here, by namespace inode */
  private readonly made = new Map<number, { host: string; handle: Disposable; mainPid: number; source: IpcSource; info: IpcNamespaceInfo }>();
  private readonly sub: Disposable;
  private syncing = false;
  private version = 0;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: SnapshotStore,
    private readonly opts: NamespaceHostsOptions,
  ) {
    this.parent = opts.parent ?? LOCAL_HOST;
    const trigger = opts.trigger ?? 'loading';
    this.sub = store.onDidChange((c) => {
      if (c.host === this.parent && c.reason === trigger) this.onLocalRefresh();
    });
  }

  /** the host whose namespaces these are */
  readonly parent: string;

  /** What discovery saw last (undefined: off, or no refresh of the local host yet). */
  current(): NamespaceView | undefined {
    return this.view;
  }

  /** Whether the tree shows the namespace level: more than one namespace visible. */
  nested(): boolean {
    return (this.view?.entries.length ?? 0) > 1;
  }

  /** Whether `host` is one of the store hosts made here (another namespace of this machine). */
  isNamespaceHost(host: string): boolean {
    for (const m of this.made.values()) if (m.host === host) return true;
    return false;
  }

  /** The namespace behind a store host (LOCAL_HOST: the reader's own, when discovery ran). */
  entryOf(host: string): NamespaceEntry | undefined {
    return this.view?.entries.find((e) => e.host === host);
  }

  private onLocalRefresh(): void {
    if (this.syncing) return;
    this.syncing = true;
    try {
      this.sync();
    } catch (e) {
      this.opts.log?.('error', `namespaces: discovery failed: ${String(e)}`);
    } finally {
      this.syncing = false;
    }
    // after the caller's own refresh calls (a "refresh all" starts every host in the same tick): only the
    // namespace hosts not already being refreshed are started here, so none is read twice
    this.refreshing = new Promise<void>((resolve) =>
      queueMicrotask(() => {
        const runs: Promise<void>[] = [];
        for (const m of this.made.values()) {
          const st = this.store.get(m.host);
          if (!st) continue;
          if (this.opts.prime) {
            // what the parent's probe read: a refresh already running (the tree asked for a new row) is
            // followed by one that takes it, with no round trip, and settled() waits for both
            this.opts.prime(m.info, m.source);
            runs.push(this.store.refresh(m.host));
          } else if (!st.loading) runs.push(this.store.refresh(m.host));
        }
        void Promise.all(runs).then(() => resolve());
      }),
    );
  }

  /** Resolves when the namespace refreshes the last local refresh started have ended (they never reject). */
  settled(): Promise<void> {
    return this.refreshing;
  }

  /** Runs discovery and makes the store's namespace hosts match it. */
  sync(): void {
    if (!this.opts.enabled()) {
      this.clear();
      return;
    }
    const d = this.opts.discover();
    const seen = new Set<number>();
    const entries: NamespaceEntry[] = [];
    for (const info of d.namespaces) {
      seen.add(info.inode);
      if (info.own) {
        entries.push({ info, host: this.parent, parent: this.parent });
        continue;
      }
      const had = this.made.get(info.inode);
      // the same namespace under another main process (its first one exited): a source for the new path
      if (had && had.mainPid !== info.mainPid) {
        had.handle.dispose();
        this.made.delete(info.inode);
      }
      const have = this.made.get(info.inode);
      if (have) {
        have.info = info;
        entries.push({ info, host: have.host, parent: this.parent });
        continue;
      }
      if (!info.enterable) {
        entries.push({ info, parent: this.parent });
        continue;
      }
      const src = this.opts.makeSource(info);
      if ('error' in src) {
        entries.push({ info: { ...info, enterable: false, reason: src.error }, parent: this.parent });
        continue;
      }
      if (this.store.get(src.host)) {
        // two namespaces with the same label and inode cannot happen; a stale host of that name is replaced
        this.store.removeHost(src.host);
      }
      const handle = this.store.addSource(src);
      this.made.set(info.inode, { host: src.host, handle, mainPid: info.mainPid, source: src, info });
      entries.push({ info, host: src.host, parent: this.parent });
    }
    for (const [ino, m] of [...this.made]) {
      if (!seen.has(ino)) {
        m.handle.dispose();
        this.made.delete(ino);
      }
    }
    this.view = { entries, warnings: d.warnings, version: ++this.version };
  }

  private clear(): void {
    for (const m of this.made.values()) m.handle.dispose();
    this.made.clear();
    this.view = undefined;
  }

  dispose(): void {
    this.sub.dispose();
    this.clear();
  }
}

/**
 * The NamespaceHosts of every host that lists namespaces: the local machine's (always) and each SSH host's.
 * A namespace host belongs to exactly one parent.
 */
export class NamespaceRegistry implements Disposable {
  private readonly byParent = new Map<string, NamespaceHosts>();

  constructor(readonly local: NamespaceHosts) {
    this.byParent.set(local.parent, local);
  }

  /** Adds an SSH host's NamespaceHosts; disposing the handle disposes it (its namespace hosts leave the store). */
  add(hosts: NamespaceHosts): Disposable {
    this.byParent.get(hosts.parent)?.dispose();
    this.byParent.set(hosts.parent, hosts);
    return {
      dispose: () => {
        if (this.byParent.get(hosts.parent) === hosts) this.byParent.delete(hosts.parent);
        hosts.dispose();
      },
    };
  }

  /** The namespaces listed under `parent` (LOCAL_HOST or an SSH host). */
  forHost(parent: string): NamespaceHosts | undefined {
    return this.byParent.get(parent);
  }

  current(parent: string = LOCAL_HOST): NamespaceView | undefined {
    return this.byParent.get(parent)?.current();
  }

  /** The host a namespace host is listed under (undefined: not a namespace host). */
  parentOf(host: string): string | undefined {
    for (const h of this.byParent.values()) if (h.isNamespaceHost(host)) return h.parent;
    return undefined;
  }

  isNamespaceHost(host: string): boolean {
    return this.parentOf(host) !== undefined;
  }

  /** The namespace behind a store host, under whichever parent lists it. */
  entryOf(host: string): NamespaceEntry | undefined {
    for (const h of this.byParent.values()) {
      const e = h.entryOf(host);
      if (e) return e;
    }
    return undefined;
  }

  /** Resolves when the namespace refreshes that `parent`'s last refresh started have ended. */
  settled(parent: string = LOCAL_HOST): Promise<void> {
    return this.byParent.get(parent)?.settled() ?? Promise.resolve();
  }

  dispose(): void {
    for (const h of this.byParent.values()) h.dispose();
    this.byParent.clear();
  }
}

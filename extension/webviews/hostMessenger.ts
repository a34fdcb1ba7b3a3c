/**
 * Typed messaging between the extension host and one webview: `post()` takes only HostToWebview messages
 * and holds them until the webview says `ready` (with our protocol version); `onMessage` delivers only
 * messages that pass `isWebviewToHost`. Anything else from the webview is ignored and logged: the webview
 * is untrusted input.
 */
import type * as vscode from 'vscode';
import { isWebviewToHost, toWire, type HostToWebview, type WebviewToHost } from '../shared/protocol';

export interface MessengerLog {
  warn(message: string): void;
}

/** The part of `vscode.Webview` the messenger needs. */
export interface WebviewPort {
  postMessage(message: HostToWebview): Thenable<boolean>;
  onDidReceiveMessage(listener: (e: unknown) => void): vscode.Disposable;
}

export class HostMessenger implements vscode.Disposable {
  private ready = false;
  private held: HostToWebview[] = [];
  private readonly listeners = new Set<(m: WebviewToHost) => void>();
  private readonly readyListeners = new Set<() => void>();
  private readonly subscription: vscode.Disposable;
  private disposed = false;
  /** how many invalid messages were ignored (exposed for tests and the output channel). */
  rejected = 0;

  constructor(
    private readonly webview: WebviewPort,
    private readonly log: MessengerLog,
  ) {
    this.subscription = webview.onDidReceiveMessage((raw) => this.receive(raw));
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Posts now if the webview is ready, else holds the message until it is. */
  post(message: HostToWebview): void {
    if (this.disposed) return;
    if (!this.ready) {
      // Keep only the newest snapshot among held messages: an older one is useless.
      if (message.type === 'snapshot') this.held = this.held.filter((m) => m.type !== 'snapshot');
      this.held.push(message);
      return;
    }
    void this.webview.postMessage(toWire(message)).then(undefined, (err: unknown) => {
      this.log.warn(`dashboard: postMessage(${message.type}) failed: ${String(err)}`);
    });
  }

  /** Validated messages other than `ready` (which the messenger handles). */
  onMessage(listener: (m: WebviewToHost) => void): vscode.Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Fires on every `ready` (the first one and after a webview reload), after held posts are flushed. */
  onReady(listener: () => void): vscode.Disposable {
    this.readyListeners.add(listener);
    return { dispose: () => this.readyListeners.delete(listener) };
  }

  /** The webview is gone or reloading: hold posts again until the next `ready`. */
  reset(): void {
    this.ready = false;
  }

  private receive(raw: unknown): void {
    if (this.disposed) return;
    if (!isWebviewToHost(raw)) {
      this.rejected++;
      this.log.warn(`dashboard: ignored an invalid message from the webview: ${describe(raw)}`);
      return;
    }
    if (raw.type === 'ready') {
      this.ready = true;
      const held = this.held;
      this.held = [];
      for (const m of held) this.post(m);
      for (const l of [...this.readyListeners]) l();
      return;
    }
    for (const l of [...this.listeners]) l(raw);
  }

  dispose(): void {
    this.disposed = true;
    this.held = [];
    this.listeners.clear();
    this.readyListeners.clear();
    this.subscription.dispose();
  }
}

/** A short, safe description of a rejected message for the log (never the whole payload). */
function describe(raw: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(raw) ?? String(raw);
  } catch {
    s = Object.prototype.toString.call(raw);
  }
  return s.length > 200 ? `${s.slice(0, 200)}… (${s.length} chars)` : s;
}

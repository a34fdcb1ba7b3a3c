/**
 * The host side of every webview panel: one plumbing, each panel brings only its protocol and handlers.
 *
 * - `post()` holds messages until the page says `ready` (its protocol's guard checks the version), then
 *   delivers them in order; a message that makes an older held one useless replaces it (`supersedes`).
 * - A hidden panel's page is torn down (no retainContextWhenHidden: UI state lives in the page's getState),
 *   so when the panel is hidden the controller holds again until the reloaded page says `ready`; without
 *   that, a post while the page reloads (a command revealing a hidden panel) would be lost.
 * - Everything the page sends is untrusted: only what the protocol's guard accepts reaches the handlers;
 *   the rest is counted and logged (truncated).
 */
import type * as vscode from 'vscode';

export interface ControllerLog {
  warn(message: string): void;
}

/** The parts of a `vscode.WebviewPanel` the controller uses. */
export interface PanelPort<Out> {
  readonly visible: boolean;
  readonly webview: {
    postMessage(message: Out): Thenable<boolean>;
    onDidReceiveMessage(listener: (e: unknown) => void): vscode.Disposable;
  };
  onDidChangeViewState(listener: () => void): vscode.Disposable;
}

/** One feature's protocol: what the page may send, and which held host message replaces which. */
export interface WebviewProtocol<In extends { type: string }, Out extends { type: string }> {
  /** for the log: `dashboard`, `futex visualizer` */
  readonly name: string;
  /** strict guard on the page's messages, `ready` (with this protocol's version) included */
  isWebviewToHost(x: unknown): x is In;
  /** true when `newer`, held, makes `older`, held, useless (the newest snapshot wins) */
  supersedes?(older: Out, newer: Out): boolean;
  /** the message as it crosses to the page (a big snapshot as one JSON text); default: as it is */
  toWire?(message: Out): Out;
}

type Ready = { type: 'ready' };

export class WebviewController<In extends { type: string }, Out extends { type: string }> implements vscode.Disposable {
  private ready = false;
  private held: Out[] = [];
  private readonly listeners = new Set<(m: Exclude<In, Ready>) => void>();
  private readonly readyListeners = new Set<(flushed: number) => void>();
  private readonly subscriptions: vscode.Disposable[];
  private disposed = false;
  /** how many invalid messages were ignored (for tests and the log). */
  rejected = 0;

  constructor(
    private readonly panel: PanelPort<Out>,
    private readonly protocol: WebviewProtocol<In, Out>,
    private readonly log: ControllerLog,
  ) {
    this.subscriptions = [
      panel.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    ];
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Posts now if the page is ready, else holds the message until it is. */
  post(message: Out): void {
    if (this.disposed) return;
    if (!this.ready) {
      const supersedes = this.protocol.supersedes;
      if (supersedes) this.held = this.held.filter((older) => !supersedes(older, message));
      this.held.push(message);
      return;
    }
    const wire = this.protocol.toWire ? this.protocol.toWire(message) : message;
    void this.panel.webview.postMessage(wire).then(undefined, (err: unknown) => {
      this.log.warn(`${this.protocol.name}: postMessage(${message.type}) failed: ${String(err)}`);
    });
  }

  /** Validated messages other than `ready` (which the controller handles). */
  onMessage(listener: (m: Exclude<In, Ready>) => void): vscode.Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * Fires on every `ready` (the first page, a page reloaded after being hidden, a restored panel), after the
   * held messages went out; `flushed` says how many there were.
   */
  onReady(listener: (flushed: number) => void): vscode.Disposable {
    this.readyListeners.add(listener);
    return { dispose: () => this.readyListeners.delete(listener) };
  }

  private receive(raw: unknown): void {
    if (this.disposed) return;
    if (!this.protocol.isWebviewToHost(raw)) {
      this.rejected++;
      this.log.warn(`${this.protocol.name}: ignored an invalid message from the webview: ${describe(raw)}`);
      return;
    }
    if (raw.type === 'ready') {
      this.ready = true;
      const held = this.held;
      this.held = [];
      for (const m of held) this.post(m);
      for (const l of [...this.readyListeners]) l(held.length);
      return;
    }
    for (const l of [...this.listeners]) l(raw as Exclude<In, Ready>);
  }

  dispose(): void {
    this.disposed = true;
    this.held = [];
    this.listeners.clear();
    this.readyListeners.clear();
    while (this.subscriptions.length) this.subscriptions.pop()?.dispose();
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

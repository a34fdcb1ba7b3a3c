/**
 * The page side of a webview's typed protocol (the mirror of extension/webviews/webviewController.ts), one
 * for every app: acquires the VS Code API once, posts only the app's page-to-host messages and hands the
 * host's messages that pass the protocol's guard to the listeners (anything else posted to the window is
 * ignored).
 */

let api: ReturnType<typeof acquireVsCodeApi> | undefined;

/** `acquireVsCodeApi()` may only be called once per page. */
export function vscodeApi(): ReturnType<typeof acquireVsCodeApi> {
  api ??= acquireVsCodeApi();
  return api;
}

export class WebviewMessenger<In extends { type: string }, Out extends { type: string }> {
  private readonly listeners = new Set<(m: In) => void>();

  /**
   * `fromWire` undoes the host protocol's `toWire` (a big snapshot arrives as JSON text); null drops the
   * message.
   */
  constructor(isHostToWebview: (x: unknown) => x is In, onMessage?: (m: In) => void, fromWire?: (m: In) => In | null) {
    if (onMessage) this.listeners.add(onMessage);
    window.addEventListener('message', (e: MessageEvent<unknown>) => {
      const data = e.data;
      if (!isHostToWebview(data)) return;
      const m = fromWire ? fromWire(data) : data;
      if (m) for (const l of [...this.listeners]) l(m);
    });
  }

  onMessage(listener: (m: In) => void): void {
    this.listeners.add(listener);
  }

  post(message: Out): void {
    vscodeApi().postMessage(message);
  }
}

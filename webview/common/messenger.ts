/**
 * The webview side of the typed protocol (mirror of extension/webviews/hostMessenger.ts): acquires the
 * VS Code API once, posts only WebviewToHost messages and hands HostToWebview messages to one handler.
 */
import { fromSnapshotText, type HostToWebview, type WebviewToHost } from '../../extension/shared/protocol';

const HOST_TYPES: ReadonlySet<string> = new Set(['snapshot', 'detail', 'didRecycle', 'focus', 'error', 'snapshotText'] satisfies HostToWebview['type'][]);

export interface WebviewApi<S> {
  postMessage(message: WebviewToHost): void;
  getState(): S | undefined;
  setState(state: S): S;
}

let api: ReturnType<typeof acquireVsCodeApi> | undefined;

/** `acquireVsCodeApi()` may only be called once per page. */
export function vscodeApi(): ReturnType<typeof acquireVsCodeApi> {
  api ??= acquireVsCodeApi();
  return api;
}

export class WebviewMessenger {
  constructor(private readonly onMessage: (m: HostToWebview) => void) {
    window.addEventListener('message', (e: MessageEvent<unknown>) => {
      const data = e.data;
      // Only the host posts to us; still, ignore anything that is not one of our messages.
      if (typeof data === 'object' && data !== null && HOST_TYPES.has((data as { type?: unknown }).type as string)) {
        const m = data as HostToWebview;
        if (m.type === 'snapshotText') {
          // a big snapshot arrives as JSON text (protocol.ts toWire)
          const snapshot = fromSnapshotText(m.text);
          if (snapshot) this.onMessage(snapshot);
          return;
        }
        this.onMessage(m);
      }
    });
  }

  post(message: WebviewToHost): void {
    vscodeApi().postMessage(message);
  }
}

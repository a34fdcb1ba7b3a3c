/**
 * A minimal event emitter with the same listener signature as `vscode.Event<T>`, so services stay free of the
 * `vscode` module (the store and the tree's data model can then be driven from plain node in tests and the
 * benchmark) while the views subscribe to them exactly as to any VS Code event.
 */
export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => unknown>();
  private disposed = false;

  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    const bound = thisArgs ? (e: T) => listener.call(thisArgs, e) : listener;
    if (!this.disposed) this.listeners.add(bound);
    const d: Disposable = { dispose: () => this.listeners.delete(bound) };
    disposables?.push(d);
    return d;
  };

  /** Calls every listener; one listener's exception never stops the others (it goes to onError). */
  fire(e: T, onError?: (err: unknown) => void): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        onError?.(err);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}

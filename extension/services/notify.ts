/**
 * User-facing failures: a notification with the failing call, the errno name and a hint, and the full
 * details in the "IPC Explorer" LogOutputChannel. Every command and view goes through here, so no failure
 * is silent and none escapes into the extension host.
 */
import * as vscode from 'vscode';
import { toIpcErrorInfo } from '../domain/errors';
import type { IpcErrorInfo } from '../shared/model';

/** `semctl(GETALL) id=3: Permission denied (EACCES)`: the message, with the errno name guaranteed. */
export function errorLine(info: IpcErrorInfo): string {
  return info.message.includes(`(${info.code})`) || info.message.includes(info.code) ? info.message : `${info.message} (${info.code})`;
}

export interface Shown {
  severity: 'error' | 'warning' | 'info';
  text: string;
  at: number;
  /** the buttons offered, in order */
  actions?: string[];
}

/** A next step offered on a notification: its button and what it runs. */
export interface NotifyAction {
  title: string;
  run(): unknown;
}

export class Notifier {
  /** the last messages shown (newest last), for the integration tests and the log. */
  readonly shown: Shown[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  private remember(severity: Shown['severity'], text: string, actions?: string[]): void {
    this.shown.push({ severity, text, at: Date.now(), ...(actions ? { actions } : {}) });
    if (this.shown.length > 50) this.shown.shift();
  }

  /** Shows `what: <call>: <text> (ERRNO)` + hint; logs everything. Returns the structured error. */
  error(what: string, err: unknown, fallback: { syscall?: string; op?: string; id?: number } = {}): IpcErrorInfo {
    const info = toIpcErrorInfo(err, fallback);
    this.log.error(`${what}: ${errorLine(info)}${info.hint ? `\n  hint: ${info.hint}` : ''}\n  ${JSON.stringify(info)}`);
    if (err instanceof Error && err.stack && info.code === 'EUNKNOWN') this.log.error(err.stack);
    const text = `${what}: ${errorLine(info)}${info.hint ? ` ${info.hint}` : ''}`;
    this.remember('error', text);
    void vscode.window.showErrorMessage(text, 'Show Log').then((c) => {
      if (c) this.log.show(true);
    });
    return info;
  }

  /** A warning with `actions` (the next steps) before Show Log. */
  warn(text: string, actions: readonly NotifyAction[] = []): void {
    this.log.warn(text);
    this.show('warning', text, [...actions, { title: 'Show Log', run: () => this.log.show(true) }]);
  }

  /** Information, with `actions` as its buttons when there are any. */
  info(text: string, actions: readonly NotifyAction[] = []): void {
    this.log.info(text);
    this.show('info', text, actions);
  }

  private show(severity: 'warning' | 'info', text: string, actions: readonly NotifyAction[]): void {
    this.remember(severity, text, actions.length ? actions.map((a) => a.title) : undefined);
    const titles = actions.map((a) => a.title);
    const shown = severity === 'warning' ? vscode.window.showWarningMessage(text, ...titles) : vscode.window.showInformationMessage(text, ...titles);
    void shown.then(async (pick) => {
      const a = actions.find((x) => x.title === pick);
      if (!a) return;
      try {
        await a.run();
      } catch (err) {
        this.error(`${a.title} failed`, err);
      }
    });
  }
}

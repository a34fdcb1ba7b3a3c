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
}

export class Notifier {
  /** the last messages shown (newest last), for the integration tests and the log. */
  readonly shown: Shown[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  private remember(severity: Shown['severity'], text: string): void {
    this.shown.push({ severity, text, at: Date.now() });
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

  warn(text: string): void {
    this.log.warn(text);
    this.remember('warning', text);
    void vscode.window.showWarningMessage(text, 'Show Log').then((c) => {
      if (c) this.log.show(true);
    });
  }

  info(text: string): void {
    this.log.info(text);
    this.remember('info', text);
    void vscode.window.showInformationMessage(text);
  }
}

/**
 * Registers a command whose failures become a notification (errno name + hint) and a log entry, never an
 * exception in the extension host.
 */
import * as vscode from 'vscode';
import type { Services } from '../services/services';

export function registerGuarded<A extends unknown[], R>(
  context: vscode.ExtensionContext,
  services: Services,
  id: string,
  what: string,
  fn: (...args: A) => Promise<R> | R,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(id, async (...args: A): Promise<R | undefined> => {
      try {
        return await fn(...args);
      } catch (e) {
        services.notify.error(what, e);
        return undefined;
      }
    }),
  );
}

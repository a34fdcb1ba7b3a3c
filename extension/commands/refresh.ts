/** `ipcExplorer.refresh`: a new snapshot of one host (from its node) or of every host (title bar, palette). */
import * as vscode from 'vscode';
import type { Services } from '../services/services';
import { hostOf } from './args';

export function registerRefresh(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('ipcExplorer.refresh', async (arg?: unknown) => {
      const host = hostOf(arg);
      await services.store.refresh(host);
      // a failed refresh is a notification (errno + hint), besides the error row in the tree
      for (const h of host ? [services.store.get(host)].filter((x) => x !== undefined) : services.store.hosts()) {
        if (h.error) services.notify.error(`Refresh of ${h.host} failed`, h.error);
      }
    }),
  );
}

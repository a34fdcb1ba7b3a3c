/** `ipcExplorer.refresh`: a new snapshot of one host (from its node) or of every host (title bar, palette). */
import * as vscode from 'vscode';
import type { Services } from '../services/services';
import { hostOf } from './args';
import { LOCAL_HOST } from '../services/snapshotStore';

export function registerRefresh(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('ipcExplorer.refresh', async (arg?: unknown) => {
      const host = hostOf(arg);
      await services.store.refresh(host);
      // the local host's refresh discovers the machine's other IPC namespaces and refreshes them too
      if (!host || host === LOCAL_HOST) await services.namespaces.settled();
      // a failed refresh is a notification (errno + hint), besides the error row in the tree
      // (refreshing everything: another IPC namespace's failure, e.g. a container that just exited, is its tree
      // row's error, not a notification each time)
      const hosts = host ? [services.store.get(host)].filter((x) => x !== undefined) : services.store.hosts().filter((h) => !services.namespaces.isNamespaceHost(h.host));
      for (const h of hosts) {
        if (h.error) services.notify.error(`Refresh of ${h.host} failed`, h.error);
      }
    }),
  );
}

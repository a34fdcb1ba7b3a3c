/** `ipcExplorer.refresh`: a new snapshot of one host (from its node) or of every host (title bar, palette). */
import * as vscode from 'vscode';
import type { Services } from '../services/services';
import { hostOf } from './args';

export function registerRefresh(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('ipcExplorer.refresh', async (arg?: unknown) => {
      const host = hostOf(arg);
      await services.store.refresh(host);
      // a host's refresh lists its other IPC namespaces (this machine's, or an SSH host's) and refreshes them too
      if (!host) await Promise.all(services.store.hosts().map((h) => services.hostNamespaces.settled(h.host)));
      else await services.hostNamespaces.settled(host);
      // a failed refresh is a notification (errno + hint), besides the error row in the tree
      // (refreshing everything: another IPC namespace's failure, e.g. a container that just exited, is its tree
      // row's error, not a notification each time)
      const hosts = host ? [services.store.get(host)].filter((x) => x !== undefined) : services.store.hosts().filter((h) => !services.hostNamespaces.isNamespaceHost(h.host));
      for (const h of hosts) {
        if (h.error) services.notify.error(`Refresh of ${h.host} failed`, h.error);
      }
    }),
  );
}

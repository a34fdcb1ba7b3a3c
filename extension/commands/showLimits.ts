/** `ipcExplorer.showLimits`: every kernel IPC limit of a host with used / limit / % in a document. */
import * as vscode from 'vscode';
import type { Services } from '../services/services';
import { latestSnapshot, pickHost } from './args';
import { limitsDocUri, showDocument } from './documents';
import { registerGuarded } from './guard';

export function registerShowLimits(context: vscode.ExtensionContext, services: Services): void {
  registerGuarded(context, services, 'ipcExplorer.showLimits', 'Show limits', async (arg?: unknown) => {
    const host = await pickHost(services, arg);
    if (!host) return undefined;
    if (!(await latestSnapshot(services, host, 'Show limits'))) return undefined;
    return showDocument(limitsDocUri(host));
  });
  registerGuarded(context, services, 'ipcExplorer.showLog', 'Show log', () => services.log.show(true));
}

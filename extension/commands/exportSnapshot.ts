/**
 * `ipcExplorer.exportSnapshot`: writes a host's latest snapshot (the `ipcx snapshot --json` document,
 * schema version 1) to a JSON file chosen in a save dialog. Tests and other features may pass the target:
 * `executeCommand('ipcExplorer.exportSnapshot', { host, target: Uri })` or just a Uri. Returns the Uri.
 */
import fs from 'node:fs';
import * as vscode from 'vscode';
import { IpcError, toIpcErrorInfo } from '../domain/errors';
import type { Services } from '../services/services';
import { hostOf, latestSnapshot, pickHost } from './args';
import { registerGuarded } from './guard';

function targetOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const t = typeof arg === 'object' && arg !== null ? (arg as { target?: unknown }).target : undefined;
  return t instanceof vscode.Uri ? t : undefined;
}

export function registerExportSnapshot(context: vscode.ExtensionContext, services: Services): void {
  registerGuarded(context, services, 'ipcExplorer.exportSnapshot', 'Export snapshot', async (arg?: unknown) => {
    const host = arg instanceof vscode.Uri ? await pickHost(services, undefined) : (hostOf(arg) ?? (await pickHost(services, undefined)));
    if (!host) return undefined;
    const snapshot = await latestSnapshot(services, host, 'Export snapshot');
    if (!snapshot) return undefined;
    const stamp = new Date(snapshot.takenAt).toISOString().replace(/[:.]/g, '-');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `ipc-snapshot-${host.replace(/[^\w.-]+/g, '_')}-${stamp}.json`;
    const target =
      targetOf(arg) ??
      (await vscode.window.showSaveDialog({
        title: `Export the IPC snapshot of ${host}`,
        filters: { JSON: ['json'] },
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
      }));
    if (!target) return undefined;
    await writeTarget(target, JSON.stringify(snapshot, null, 2) + '\n');
    services.notify.info(`Exported the snapshot of ${host} to ${target.fsPath || target.toString()}`);
    return target;
  });
}

/** Local files through node (real errno names in errors); other schemes through VS Code's file system API. */
async function writeTarget(target: vscode.Uri, text: string): Promise<void> {
  if (target.scheme !== 'file') return vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
  try {
    await fs.promises.writeFile(target.fsPath, text, 'utf8');
  } catch (e) {
    const info = toIpcErrorInfo(e, { syscall: 'open' });
    throw new IpcError({ ...info, op: 'export', hint: `Could not write ${target.fsPath}: choose a folder that exists and that you may write to.` });
  }
}

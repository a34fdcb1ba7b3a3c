/**
 * `ipcExplorer.copyKey`, `ipcExplorer.copyId`, `ipcExplorer.copyIpcrmCommand`: put the key (0x%08x), the id,
 * or the `ipcrm` command that removes the object on the clipboard. Each returns the text it copied.
 */
import * as vscode from 'vscode';
import { formatKeyHex, ipcrmArgs } from '../shared/format';
import type { IpcObject, SysvObject } from '../shared/model';
import type { Services } from '../services/services';
import { KIND_NOUN } from '../views/presentation';
import { resolveObject } from './args';
import { registerGuarded } from './guard';

function sysv(o: IpcObject): SysvObject | undefined {
  return o.kind === 'sem' || o.kind === 'shm' || o.kind === 'msg' ? o : undefined;
}

export function registerCopy(context: vscode.ExtensionContext, services: Services): void {
  const copy = (what: string, text: (o: SysvObject) => string) => async (arg?: unknown) => {
    const r = await resolveObject(services, arg);
    if (!r) return undefined;
    const o = sysv(r.obj);
    if (!o) {
      services.notify.info(`A ${KIND_NOUN[r.obj.kind]} has no ${what}; it is the file ${'path' in r.obj ? r.obj.path : ''}.`);
      return undefined;
    }
    const t = text(o);
    await vscode.env.clipboard.writeText(t);
    vscode.window.setStatusBarMessage(`Copied ${t}`, 3000);
    return t;
  };
  registerGuarded(context, services, 'ipcExplorer.copyKey', 'Copy key', copy('key', (o) => formatKeyHex(o.key)));
  registerGuarded(context, services, 'ipcExplorer.copyId', 'Copy id', copy('id', (o) => String(o.id)));
  registerGuarded(
    context,
    services,
    'ipcExplorer.copyIpcrmCommand',
    'Copy ipcrm command',
    copy('ipcrm command', (o) => ipcrmArgs(o.kind, o.id).join(' ')),
  );
}

/**
 * `ipcExplorer.inspectObject`: every field of an object in a readable document (ipcx: scheme), including
 * per-semaphore detail for a set (loaded for this set only). Returns the document (tests read it).
 */
import * as vscode from 'vscode';
import type { Services } from '../services/services';
import { resolveObject } from './args';
import { IpcDocuments, objectDocUri, showDocument, DOC_SCHEME } from './documents';
import { registerGuarded } from './guard';

export function registerInspect(context: vscode.ExtensionContext, services: Services): void {
  const docs = new IpcDocuments(services);
  context.subscriptions.push(docs, vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, docs));
  registerGuarded(context, services, 'ipcExplorer.inspectObject', 'Inspect object', async (arg?: unknown) => {
    const r = await resolveObject(services, arg);
    if (!r) return undefined;
    if (r.obj.kind === 'sem') await services.store.semDetail(r.host, r.obj.id);
    return showDocument(objectDocUri(r.host, r.ref));
  });
}

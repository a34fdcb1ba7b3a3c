/**
 * `ipcExplorer.inspectObject`: every field of an object in a readable document (ipcx: scheme), including
 * per-semaphore detail for a set (loaded for this set only). Returns the document (tests read it).
 */
import * as vscode from 'vscode';
import type { Services } from '../services/services';
import { findObject } from '../domain/verdict';
import type { IpcObject } from '../shared/model';
import { latestSnapshot, resolveObject, snapshotClock } from './args';
import { IpcDocuments, objectDocUri, showDocument, DOC_SCHEME } from './documents';
import { registerGuarded } from './guard';

/** `sem 9`, `shm 3`, `posixSem /orders`. */
function objectName(o: IpcObject): string {
  return o.kind === 'posixSem' || o.kind === 'posixShm' ? `${o.kind} ${o.name}` : `${o.kind} ${o.id}`;
}

/** The same kernel object (an id can be reused by a new one: the key or creation differs). */
function sameObject(a: IpcObject, b: IpcObject): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'posixSem' || a.kind === 'posixShm') return b.kind === a.kind && a.dev === b.dev && a.ino === b.ino;
  return 'key' in b && a.key === b.key && a.cuid === b.cuid && a.cgid === b.cgid;
}

export function registerInspect(context: vscode.ExtensionContext, services: Services): void {
  const docs = new IpcDocuments(services);
  context.subscriptions.push(docs, vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, docs));
  registerGuarded(context, services, 'ipcExplorer.inspectObject', 'Inspect object', async (arg?: unknown) => {
    const r = await resolveObject(services, arg);
    if (!r) return undefined;
    // what the person looked at may be minutes old: inspect a fresh snapshot, and say so when it is gone
    const fresh = await latestSnapshot(services, r.host, 'Inspect object');
    const now = fresh && findObject(fresh, r.ref);
    if (!fresh || !now || !sameObject(r.obj, now)) {
      if (fresh) {
        services.notify.warn(
          `${objectName(r.obj)} ${now ? 'is now a different object' : 'no longer exists'} on ${r.host} ` +
            `(${now ? 'recreated' : 'removed'} since the snapshot of ${snapshotClock(r.snapshot.takenAt)}).`,
        );
      }
      return undefined;
    }
    if (now.kind === 'sem') await services.store.semDetail(r.host, now.id);
    return showDocument(objectDocUri(r.host, r.ref));
  });
}

/**
 * What a command was invoked on. From a context menu VS Code passes the tree node; from the palette
 * nothing (we ask); from tests and other features a plain `{ host, ref }`.
 */
import * as vscode from 'vscode';
import { findObject, objectRef } from '../domain/verdict';
import type { IpcObject, IpcSnapshot, ObjectRef } from '../shared/model';
import type { Services } from '../services/services';
import { HostNode } from '../views/nodes/hostNode';
import { TreeNode } from '../views/nodes/node';
import { ObjectNode } from '../views/nodes/objectNode';
import { objectLabel, KIND_NOUN } from '../views/presentation';
import { LOCAL_HOST } from '../services/snapshotStore';
import { errorLine } from '../services/notify';
import { formatAge, formatTime } from '../shared/format';

export interface ObjectTarget {
  host: string;
  ref: ObjectRef;
}

export interface ResolvedObject {
  host: string;
  ref: ObjectRef;
  obj: IpcObject;
  snapshot: IpcSnapshot;
}

function isTarget(a: unknown): a is ObjectTarget {
  return typeof a === 'object' && a !== null && typeof (a as ObjectTarget).host === 'string' && typeof (a as ObjectTarget).ref === 'string';
}

/** The host a command applies to: a node's host, `{host}`, a host name, or undefined (all / ask). */
export function hostOf(arg: unknown): string | undefined {
  if (arg instanceof TreeNode) return arg.host;
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { host?: unknown }).host === 'string') return (arg as { host: string }).host;
  return undefined;
}

/** Lets the person pick a host when there are several (the local one alone needs no question). */
export async function pickHost(services: Services, arg: unknown): Promise<string | undefined> {
  const given = hostOf(arg);
  if (given) return given;
  const hosts = services.store.hosts().map((h) => h.host);
  if (hosts.length <= 1) return hosts[0] ?? LOCAL_HOST;
  return vscode.window.showQuickPick(hosts, { title: 'IPC Explorer: which host?' });
}

/** `23:12:05` (local time of day) of a snapshot's `takenAt` (ms). */
export function snapshotClock(takenAt: number): string {
  return formatTime(Math.floor(takenAt / 1000)).slice(11, 19);
}

/** `snapshot from 23:12:05, 5m 2s ago`. */
export function snapshotAge(takenAt: number, now = Date.now()): string {
  return `snapshot from ${snapshotClock(takenAt)}, ${formatAge(Math.floor(takenAt / 1000), Math.floor(now / 1000))}`;
}

/**
 * A fresh snapshot of the host: always takes one (a refresh already running is followed by one more). When
 * that fails the previous snapshot is returned and the person is told its age ("`what` of HOST: the refresh
 * failed …; showing the snapshot from 23:12:05, 5m ago"); undefined when there is none (the error is shown).
 */
export async function latestSnapshot(services: Services, host: string, what: string): Promise<IpcSnapshot | undefined> {
  await services.store.refresh(host);
  const st = services.store.get(host);
  if (st?.error) {
    if (!st.snapshot) services.notify.error(`${what} of ${host}`, st.error);
    else services.notify.warn(`${what} of ${host}: the refresh failed (${errorLine(st.error)}); showing the ${snapshotAge(st.snapshot.takenAt)}. Refresh to try again.`);
  }
  return st?.snapshot;
}

/**
 * The object a command is about, from the latest snapshot. Asks with a quick pick when invoked from the
 * palette. Undefined (after telling the person why) when it is gone.
 */
export async function resolveObject(services: Services, arg: unknown): Promise<ResolvedObject | undefined> {
  let host: string | undefined;
  let ref: ObjectRef | undefined;
  if (arg instanceof ObjectNode) ({ host, ref } = arg);
  else if (isTarget(arg)) ({ host, ref } = arg);
  else if (arg instanceof HostNode || arg === undefined) {
    host = await pickHost(services, arg);
    if (!host) return undefined;
    ref = await pickObject(services, host);
  }
  if (!host || !ref) return undefined;
  const snapshot = services.store.get(host)?.snapshot;
  const obj = snapshot && findObject(snapshot, ref);
  if (!snapshot || !obj) {
    services.notify.warn(`${ref} on ${host} is not in the latest snapshot (removed since?). Refresh and try again.`);
    return undefined;
  }
  return { host, ref, obj, snapshot };
}

async function pickObject(services: Services, host: string): Promise<ObjectRef | undefined> {
  let snap = services.store.get(host)?.snapshot;
  if (!snap) {
    await services.store.refresh(host);
    snap = services.store.get(host)?.snapshot;
  }
  if (!snap) return undefined;
  const all = [...snap.sems, ...snap.shms, ...snap.msgs, ...snap.posixSems, ...snap.posixShms];
  const items = all.map((o) => ({ label: objectLabel(o), description: KIND_NOUN[o.kind], ref: objectRef(o) }));
  const pick = await vscode.window.showQuickPick(items, { title: 'IPC Explorer: which object?', matchOnDescription: true });
  return pick?.ref;
}

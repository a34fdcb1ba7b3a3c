/**
 * How objects look in the tree: labels, descriptions, codicons and theme colours per verdict state. Pure
 * apart from the `vscode.ThemeIcon`/`ThemeColor` value classes (no UI calls).
 */
import * as vscode from 'vscode';
import { formatBytes, formatCount, formatKey } from '../shared/format';
import type { IpcKind, IpcObject, ProcessFact, Verdict } from '../shared/model';

export const KIND_LABEL: Record<IpcKind, string> = {
  sem: 'Semaphore sets',
  shm: 'Shared memory',
  msg: 'Message queues',
  posixSem: 'POSIX semaphores',
  posixShm: 'POSIX shared memory',
};

/** Singular nouns, for messages ("semaphore set 0x00001234 id 3"). */
export const KIND_NOUN: Record<IpcKind, string> = {
  sem: 'semaphore set',
  shm: 'shared memory segment',
  msg: 'message queue',
  posixSem: 'POSIX semaphore',
  posixShm: 'POSIX shared memory object',
};

export const KIND_ICON: Record<IpcKind, string> = {
  sem: 'symbol-array',
  shm: 'database',
  msg: 'mail',
  posixSem: 'symbol-constant',
  posixShm: 'file-binary',
};

/** contextValue per kind (STYLE.md): menus match them with `viewItem =~ /^semSet/`. */
export const KIND_CONTEXT: Record<IpcKind, string> = {
  sem: 'semSet',
  shm: 'shmSegment',
  msg: 'msgQueue',
  posixSem: 'posixSem',
  posixShm: 'posixShm',
};

/** Icon + colour for a verdict: live green, orphan yellow (recyclable orange), unreadable red, unknown grey. */
export function stateIcon(v: Verdict | undefined, kind: IpcKind): vscode.ThemeIcon {
  if (!v) return new vscode.ThemeIcon(KIND_ICON[kind]);
  switch (v.state) {
    case 'live':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('charts.green'));
    case 'orphan':
      return v.recyclable
        ? new vscode.ThemeIcon('trash', new vscode.ThemeColor('charts.orange'))
        : new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.yellow'));
    case 'unreadable':
      return new vscode.ThemeIcon('lock', new vscode.ThemeColor('charts.red'));
    case 'unknown':
      return new vscode.ThemeIcon('question', new vscode.ThemeColor('disabledForeground'));
  }
}

/** `orphan, recyclable` / `live` / ... */
export function stateText(v: Verdict | undefined): string {
  if (!v) return '';
  return v.state === 'orphan' && v.recyclable ? 'orphan, recyclable' : v.state;
}

/** Tree label: `0x00001234 · id 3` (SysV: key in hex or IPC_PRIVATE, then the id), or the POSIX name. */
export function objectLabel(o: IpcObject): string {
  if (o.kind === 'posixSem' || o.kind === 'posixShm') return o.name;
  return `${formatKey(o.key)} · id ${o.id}`;
}

/** Owner, size or nsems, state and the recognised owner application, for the description. */
export function objectDescription(o: IpcObject, v: Verdict | undefined, user: (uid: number) => string): string {
  const parts: string[] = [user(o.uid)];
  switch (o.kind) {
    case 'sem':
      parts.push(`${o.nsems} sem${o.nsems === 1 ? '' : 's'}`);
      break;
    case 'shm':
      parts.push(formatBytes(o.segsz), `${o.nattch} attached`);
      if (o.dest) parts.push('marked for removal');
      break;
    case 'msg':
      parts.push(`${o.qnum} msg${o.qnum === 1 ? '' : 's'}, ${formatBytes(o.cbytes)}`);
      break;
    case 'posixSem':
      if (o.decoded) parts.push(`value ${o.decoded.value}`, `${o.decoded.nwaiters} waiting`);
      else parts.push(formatBytes(o.size));
      break;
    case 'posixShm':
      parts.push(formatBytes(o.size));
      break;
  }
  const s = stateText(v);
  if (s) parts.push(s);
  // a recognised owner says whose it is: "PostgreSQL, data directory /var/lib/…, postmaster PID 21599 (dead)"
  if (v?.owner) parts.push(v.owner.label);
  return parts.join(' · ');
}

/** `pid 1234 (postgres, alive)`, `pid 99 (dead)`, `pid 8 (liveness unknown)`, `pid 7 (no facts)`; `none` for 0. */
export function pidText(pid: number, facts: Record<number, ProcessFact>): string {
  if (!pid) return 'none';
  const f = facts[pid];
  if (!f) return `pid ${pid} (no facts)`;
  const name = f.comm ? `${f.comm}, ` : '';
  return `pid ${pid} (${name}${f.alive ? 'alive' : f.liveness === 'dead' ? 'dead' : 'liveness unknown'})`;
}

export function countText(n: number, limit: number | undefined): string {
  return limit === undefined ? formatCount(n) : `${formatCount(n)}/${formatCount(limit)}`;
}

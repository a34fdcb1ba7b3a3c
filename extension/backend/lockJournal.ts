/**
 * Objects a crashed recycle left locked: the audit log's unfinished intents (domain/lockJournal.ts), each
 * object read again by id, and a guarded restore of the original mode (native restoreMode: only while the
 * object still has the same key, owner and post-lock ctime and a lock mode). SSH hosts: the intents this
 * machine wrote are judged against a snapshot of the host and restored with the host's Perl
 * (findRemoteLeftLocks, restoreRemoteLeftLock); intents another machine wrote are listed only.
 */
import os from 'node:os';
import { toIpcErrorInfo } from '../domain/errors';
import { judgeIntent, unfinishedIntents, type LockFinding, type UnfinishedIntent } from '../domain/lockJournal';
import type { SysvObject } from '../shared/model';
import type { AuditLog, AuditRecord } from './audit';
import type { NativeBinding } from './nativeBinding';
import { readProcessFacts } from './procfs';

/** True when `pid` is the recycle that wrote the intent and it is still running (alive, started before it). */
function writerRunning(intent: UnfinishedIntent): boolean {
  if (intent.failed) return false; // it recorded its (failed) outcome: done with this object
  if (intent.pid === process.pid) return true; // this very process: its recycle has not finished yet
  const f = readProcessFacts([intent.pid])[intent.pid];
  if (!f) return true; // cannot tell: do not touch a lock that may still be in use
  if (f.liveness === 'dead' || (f.liveness === undefined && !f.alive && !f.error)) return false;
  if (f.startTime !== undefined && f.startTime > Date.parse(intent.time) / 1000 + 2) return false; // a reused pid
  return true;
}

export interface LeftLocks {
  /** local intents, judged. */
  findings: LockFinding[];
  /** intents of other hosts (SSH): listed, not checked here. */
  remote: UnfinishedIntent[];
}

/** Every unfinished intent of the audit log, with what is left of it now (local objects read by id). */
export function findLeftLocks(audit: AuditLog, binding: Pick<NativeBinding, 'statObject'>): LeftLocks {
  const host = os.hostname();
  const out: LeftLocks = { findings: [], remote: [] };
  for (const intent of unfinishedIntents(audit.read())) {
    if (intent.host !== 'local' || (intent.hostname && intent.hostname !== host)) {
      out.remote.push(intent);
      continue;
    }
    let now: SysvObject | undefined;
    try {
      now = binding.statObject(intent.lock.kind, intent.lock.id);
    } catch (e) {
      const info = toIpcErrorInfo(e);
      if (info.code !== 'EINVAL' && info.code !== 'EIDRM') {
        out.findings.push({
          intent,
          state: 'other',
          why: `${intent.lock.kind} id ${intent.lock.id}: cannot read it (${info.code}); a lock with mode 0 can only be checked and restored by root`,
        });
        continue;
      }
    }
    out.findings.push(judgeIntent(intent, now, writerRunning(intent)));
  }
  return out;
}

/** What an SSH host offers for its left locks (SshSource). */
export interface RemoteLockHost {
  readonly host: string;
  snapshot(): Promise<{ sems: SysvObject[]; shms: SysvObject[]; msgs: SysvObject[] }>;
  restoreLocked(kind: 'sem' | 'shm' | 'msg', id: number, l: { key: number; uid: number; gid: number; mode: number; ctime: number }): Promise<void>;
}

/**
 * The unfinished intents of recycles this machine ran on SSH host `src.host`, each judged against the host's
 * objects now (one snapshot). Intents another machine wrote stay listed under `remote` (their recycler cannot
 * be checked from here).
 */
export async function findRemoteLeftLocks(audit: AuditLog, src: RemoteLockHost): Promise<LeftLocks> {
  const here = os.hostname();
  const out: LeftLocks = { findings: [], remote: [] };
  const mine = unfinishedIntents(audit.read()).filter((i) => i.host === src.host);
  if (!mine.length) return out;
  const snap = await src.snapshot();
  for (const intent of mine) {
    if (intent.hostname && intent.hostname !== here) {
      out.remote.push(intent);
      continue;
    }
    const list = intent.lock.kind === 'sem' ? snap.sems : intent.lock.kind === 'shm' ? snap.shms : snap.msgs;
    out.findings.push(judgeIntent(intent, list.find((o) => o.id === intent.lock.id), writerRunning(intent)));
  }
  return out;
}

/** restoreLeftLock for an SSH host: the host's guarded restore (lockScript.ts restore), journaled here. */
export async function restoreRemoteLeftLock(f: LockFinding, src: RemoteLockHost, audit: AuditLog): Promise<{ ok: boolean; message: string }> {
  const l = f.intent.lock;
  const what = `${src.host}: ${l.kind} id ${l.id}`;
  if (f.state !== 'locked' || !f.now) return { ok: false, message: `${what}: ${f.why}` };
  let failure: unknown;
  try {
    await src.restoreLocked(l.kind, l.id, { key: l.key, uid: l.uid, gid: l.gid, mode: l.mode, ctime: f.now.ctime });
  } catch (e) {
    failure = e ?? new Error('restore failed');
  }
  return journalRestore(f, what, failure, audit);
}

/** Locks to report: still locked by a recycle that is not running any more. */
export function restorable(l: LeftLocks): LockFinding[] {
  return l.findings.filter((f) => f.state === 'locked');
}

function record(intent: UnfinishedIntent, action: AuditRecord['action'], reasons: string[], code?: string): AuditRecord {
  const rec: AuditRecord = {
    time: new Date().toISOString(), host: intent.host, hostname: os.hostname(), uid: process.geteuid ? process.geteuid() : -1, pid: process.pid,
    action, ref: intent.ref, reasons, verdict: { state: 'orphan', reasons: [] }, object: (intent as unknown as AuditRecord).object, txn: intent.txn,
  };
  if (code) rec.code = code;
  return rec;
}

/**
 * Restore the original mode of a 'locked' finding (guarded: same key, owner, ctime, still a lock mode) and
 * close its intent in the audit log. Returns a line for people; throws nothing.
 */
export function restoreLeftLock(f: LockFinding, binding: Pick<NativeBinding, 'restoreMode'>, audit: AuditLog): { ok: boolean; message: string } {
  const l = f.intent.lock;
  const what = `${l.kind} id ${l.id}`;
  if (f.state !== 'locked' || !f.now) return { ok: false, message: `${what}: ${f.why}` };
  let failure: unknown;
  try {
    binding.restoreMode(l.kind, l.id, { key: l.key, ctime: f.now.ctime, uid: l.uid, gid: l.gid, mode: l.mode });
  } catch (e) {
    failure = e ?? new Error('restore failed');
  }
  return journalRestore(f, what, failure, audit);
}

/** The outcome of a restore as a line for people; a successful one closes its intent in the audit log. */
function journalRestore(f: LockFinding, what: string, failure: unknown, audit: AuditLog): { ok: boolean; message: string } {
  if (failure !== undefined) {
    const info = toIpcErrorInfo(failure);
    return { ok: false, message: `${what}: not restored: ${info.message}${info.hint ? ` - ${info.hint}` : ''}` };
  }
  const message = `${what}: mode restored to 0${(f.intent.lock.mode & 0o777).toString(8).padStart(3, '0')}`;
  try {
    audit.append(record(f.intent, 'restored', [message]));
  } catch (e) {
    return { ok: true, message: `${message} (audit log write failed: ${toIpcErrorInfo(e).message})` };
  }
  return { ok: true, message };
}

/** Close intents with nothing left to restore (gone, released, another object), so they are not re-checked. */
export function closeSettled(l: LeftLocks, audit: AuditLog): number {
  let n = 0;
  for (const f of l.findings) {
    if (f.state !== 'gone' && f.state !== 'released') continue;
    try {
      audit.append(record(f.intent, 'closed', [f.why]));
      n++;
    } catch {
      // stays unfinished: re-checked next time
    }
  }
  return n;
}

/** The report lines `ipcx recycle` / `ipcx doctor` / VS Code show. */
export function formatLeftLocks(l: LeftLocks, restoreHint: string): string[] {
  const out: string[] = [];
  const locked = restorable(l);
  if (locked.length) {
    out.push(`${locked.length} object(s) left locked by an interrupted recycle (${restoreHint}):`);
    for (const f of locked) out.push(`  - ${f.why}`);
  }
  for (const f of l.findings.filter((x) => x.state === 'other' && !x.now)) out.push(`  - ${f.why}`);
  if (l.remote.length) {
    out.push(`${l.remote.length} unfinished recycle(s) on SSH hosts (${[...new Set(l.remote.map((r) => r.host))].join(', ')}): check those objects' modes there`);
  }
  return out;
}

/**
 * The lock journal, read back: the executor writes an `intent` record (object, original mode) to the audit
 * log before the guarded primitive locks the object (IPC_SET mode 0), and the outcome after. An intent
 * without an outcome means the recycler stopped in between (killed, crashed, power cut); the object may still
 * be locked, unusable by its owner's non-root processes. This module pairs the records and judges what is
 * left of each unfinished intent. Pure: records and fresh object reads in, decisions out.
 */
import type { SysvObject } from '../shared/model';

/** The fields of an audit record this module reads (backend/audit.ts AuditRecord). */
export interface JournalRecord {
  time: string;
  host: string;
  hostname?: string;
  pid: number;
  action: string;
  ref: string;
  txn?: string;
  lock?: { kind: 'sem' | 'shm' | 'msg'; id: number; key: number; ctime: number; mode: number; uid: number; gid: number };
}

/** `failed`: the recycle recorded a failed outcome for it (it is done with the object, whatever it left). */
export type UnfinishedIntent = JournalRecord & { txn: string; lock: NonNullable<JournalRecord['lock']>; failed?: boolean };

/**
 * Intents with no later record of the same txn that settles them (removed, refused, restored, closed). A
 * `failed` outcome does not: the removal failed after the lock and its own restore may have failed too, or
 * (SSH) the program on the host was killed and the answer lost; what is left is judged from the object.
 */
export function unfinishedIntents(records: JournalRecord[]): UnfinishedIntent[] {
  const closed = new Set<string>();
  const failed = new Set<string>();
  for (const r of records) {
    if (!r.txn || r.action === 'intent') continue;
    if (r.action === 'failed') failed.add(r.txn);
    else closed.add(r.txn);
  }
  return records
    .filter((r): r is UnfinishedIntent => r.action === 'intent' && !!r.txn && !!r.lock && !closed.has(r.txn))
    .map((r) => (failed.has(r.txn) ? { ...r, failed: true } : r));
}

/** The lock modes the primitive sets: 0, or 0400 for a non-root owner (native/src/sysv_util.h). */
export const LOCK_MODES: readonly number[] = [0, 0o400];

export type LockState =
  /** still locked by that recycle: restore the original mode. */
  | 'locked'
  /** the recycler is still running (its pid is alive and started before the intent): leave it. */
  | 'in-progress'
  /** removed (the crash came after IPC_RMID), or no longer our object, or no longer locked: nothing to do. */
  | 'gone'
  | 'released'
  | 'other';

export interface LockFinding {
  intent: UnfinishedIntent;
  state: LockState;
  /** one line for people. */
  why: string;
  /** the object as read now (for 'locked': what the restore re-checks). */
  now?: SysvObject;
}

const oct = (m: number): string => `0${(m & 0o777).toString(8).padStart(3, '0')}`;

/**
 * What is left of an unfinished intent. `now` is the object read by id now (undefined when gone);
 * `writerRunning` true when the intent's pid is alive and is the same process (started before the intent).
 */
export function judgeIntent(intent: UnfinishedIntent, now: SysvObject | undefined, writerRunning: boolean): LockFinding {
  const l = intent.lock;
  const what = `${l.kind} id ${l.id} key 0x${(l.key >>> 0).toString(16).padStart(8, '0')}`;
  if (writerRunning) return { intent, state: 'in-progress', why: `${what}: the recycle (pid ${intent.pid}) is still running` };
  if (!now) return { intent, state: 'gone', why: `${what} is gone (removed before the recycle stopped)` };
  if (now.kind !== l.kind || now.key !== l.key || now.uid !== l.uid || now.gid !== l.gid) {
    return { intent, state: 'other', why: `${what}: the id now names another object (key/owner differ); nothing to restore`, now };
  }
  if (!LOCK_MODES.includes(now.mode & 0o777)) {
    return { intent, state: 'released', why: `${what} is not locked (mode ${oct(now.mode)}); nothing to restore`, now };
  }
  if ((now.mode & 0o777) === (l.mode & 0o777)) {
    return { intent, state: 'released', why: `${what} has its original mode ${oct(l.mode)}; nothing to restore`, now };
  }
  // the lock's IPC_SET moved ctime to the time of the lock: at or after the planned ctime and the intent
  const intentSeconds = Math.floor(Date.parse(intent.time) / 1000);
  if (now.ctime < l.ctime || (Number.isFinite(intentSeconds) && now.ctime < intentSeconds - 1)) {
    return { intent, state: 'other', why: `${what}: changed before the recycle's lock (ctime ${now.ctime}); not ours to restore`, now };
  }
  return {
    intent,
    state: 'locked',
    why: `${what} was left locked (mode ${oct(now.mode)}) by a recycle (pid ${intent.pid}) that stopped at ${intent.time}; its mode was ${oct(l.mode)}`,
    now,
  };
}

/**
 * The recycle audit log: one JSON object per line, appended (O_APPEND) for every removal, refusal and
 * failure, with the object's full record as it was read before the removal. The caller chooses the path:
 * the extension's globalStorageUri in VS Code, `~/.local/state/ipc-explorer/audit.jsonl` or `--audit FILE`
 * in the CLI.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IpcObject, OwnerInfo, RemovalMode, VerdictState } from '../shared/model';

export interface AuditRecord {
  /** ISO 8601 time of the decision. */
  time: string;
  /** 'local' or the SSH destination; plus the machine's hostname. */
  host: string;
  hostname: string;
  /** uid that acted. */
  uid: number;
  pid: number;
  /**
   * 'intent' is written before the guarded primitive locks the object (IPC_SET mode 0); the outcome record
   * with the same `txn` follows. An intent without an outcome is a crash while the object may be locked;
   * 'restored' (the mode put back) or 'closed' (nothing left to restore) ends it later.
   */
  action: 'intent' | 'removed' | 'refused' | 'failed' | 'restored' | 'closed';
  /** pairs an intent with its outcome. */
  txn?: string;
  /** intent only: the object as it will be locked, with its original mode (what a restore puts back). */
  lock?: LockIntent;
  ref: string;
  /** errno name or ECHANGED for refused/failed. */
  code?: string;
  reasons: string[];
  verdict: { state: VerdictState; reasons: string[]; owner?: OwnerInfo; orphanForSeconds?: number };
  /** the object's full record before removal (re-read at execution time when available, else as planned). */
  object: IpcObject;
  /** how the removal was done on that host: 'locked' (lock -> verify -> remove) or 'unlocked' (check-then-ipcrm). */
  removalMode?: RemovalMode['mode'];
}

export interface LockIntent {
  kind: 'sem' | 'shm' | 'msg';
  id: number;
  key: number;
  /** ctime before the lock (IPC_SET moves it to the time of the lock). */
  ctime: number;
  /** the original permission bits (0777 part). */
  mode: number;
  uid: number;
  gid: number;
}

export function defaultAuditPath(env: Record<string, string | undefined> = process.env): string {
  const state = env['XDG_STATE_HOME'] || path.join(env['HOME'] || os.homedir(), '.local', 'state');
  return path.join(state, 'ipc-explorer', 'audit.jsonl');
}

export class AuditLog {
  constructor(readonly path: string) {}

  /**
   * Append one record (creates the directory and the file, mode 0600). Synchronous so no decision is lost;
   * throws unless the whole line was written. A log whose last line was torn (a power cut or a full disk
   * mid-write) gets a newline first: glued to that tail the record would be one unreadable line, and an
   * intent lost that way would leave a lock without a trace.
   */
  append(rec: AuditRecord): void {
    fs.mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
    try {
      const st = fs.fstatSync(fd);
      const last = Buffer.alloc(1);
      const torn = st.isFile() && st.size > 0 && fs.readSync(fd, last, 0, 1, st.size - 1) === 1 && last[0] !== 0x0a;
      const buf = Buffer.from((torn ? '\n' : '') + JSON.stringify(rec) + '\n');
      for (let off = 0; off < buf.length; ) {
        const n = fs.writeSync(fd, buf, off, buf.length - off);
        if (n <= 0) throw Object.assign(new Error(`write ${this.path}: wrote ${off} of ${buf.length} bytes`), { code: 'EIO' });
        off += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Every record (for tests and the "show audit log" view); malformed lines are skipped. */
  read(): AuditRecord[] {
    let text = '';
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch {
      return [];
    }
    const out: AuditRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as AuditRecord);
      } catch {
        // a torn line (crash mid-write) is skipped, never fatal
      }
    }
    return out;
  }
}

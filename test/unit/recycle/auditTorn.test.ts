/**
 * The audit log after a torn write (a power cut or a full disk in the middle of a line): the next record, an
 * intent above all, must still be read back. Glued to the torn tail it was one unreadable line, skipped, and a
 * crash right after its lock then left the object at mode 0 with no trace for `ipcx recycle --restore`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AuditLog, type AuditRecord } from '../../../extension/backend/audit';
import { unfinishedIntents } from '../../../extension/domain/lockJournal';

const obj = { kind: 'shm', id: 4, key: 0x11, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o640, segsz: 4096, cpid: 7001, lpid: 7001, nattch: 0, atime: 0, dtime: 0, ctime: 1, dest: false, locked: false } as AuditRecord['object'];
const rec = (action: AuditRecord['action'], txn: string): AuditRecord => ({
  time: new Date(0).toISOString(), host: 'local', hostname: 'h', uid: 0, pid: 900, action, txn, ref: 'shm:4', reasons: [],
  verdict: { state: 'orphan', reasons: [] }, object: obj,
  ...(action === 'intent' ? { lock: { kind: 'shm' as const, id: 4, key: 0x11, ctime: 1, mode: 0o640, uid: 0, gid: 0 } } : {}),
});

test('audit log: a record appended after a torn last line is read back; the intent stays unfinished', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-audit-'));
  try {
    const file = path.join(dir, 'audit.jsonl');
    const log = new AuditLog(file);
    log.append(rec('intent', 'a'));
    log.append(rec('removed', 'a'));
    // a record cut mid-write: no newline at the end of the file
    fs.appendFileSync(file, JSON.stringify(rec('removed', 'x')).slice(0, 57));
    log.append(rec('intent', 'b'));
    const back = log.read();
    assert.deepEqual(back.map((r) => [r.action, r.txn]), [['intent', 'a'], ['removed', 'a'], ['intent', 'b']], 'the torn line alone is skipped');
    assert.deepEqual(unfinishedIntents(back).map((r) => r.txn), ['b']);
    assert.ok(fs.readFileSync(file, 'utf8').endsWith('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The lock journal read back (domain/lockJournal.ts): intents without an outcome, and what is left of each:
 * still locked by a stopped recycle (restorable), in progress, gone, released, or another object.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeIntent, unfinishedIntents, type JournalRecord, type UnfinishedIntent } from '../../../extension/domain/lockJournal';
import { NOW, shm } from './fixtures';

const T = new Date(NOW * 1000).toISOString();
const lock = { kind: 'shm' as const, id: 4, key: 0x11, ctime: NOW - 7200, mode: 0o640, uid: 0, gid: 0 };
const intent = (txn: string): JournalRecord => ({ time: T, host: 'local', pid: 900, action: 'intent', ref: 'shm:4', txn, lock });

test('unfinishedIntents: an intent closed by its outcome, a restore or a close is finished', () => {
  const recs: JournalRecord[] = [
    intent('a'), { time: T, host: 'local', pid: 900, action: 'removed', ref: 'shm:4', txn: 'a' },
    intent('b'), { time: T, host: 'local', pid: 900, action: 'refused', ref: 'shm:4', txn: 'b' },
    intent('c'),
    intent('d'), { time: T, host: 'local', pid: 901, action: 'restored', ref: 'shm:4', txn: 'd' },
    { time: T, host: 'local', pid: 900, action: 'removed', ref: 'shm:5' }, // an older record without txn
  ];
  assert.deepEqual(unfinishedIntents(recs).map((r) => r.txn), ['c']);
});

test('unfinishedIntents: a failed outcome does not settle the lock (the removal may have left it), and marks the recycle as done with it', () => {
  const recs: JournalRecord[] = [
    intent('e'), { time: T, host: 'db1', pid: 900, action: 'failed', ref: 'shm:4', txn: 'e' },
    intent('f'),
  ];
  const u = unfinishedIntents(recs);
  assert.deepEqual(u.map((r) => [r.txn, r.failed === true]), [['e', true], ['f', false]]);
  // judged from the object: still at the lock mode after the lock -> restorable
  const j = judgeIntent(u[0]!, shm(4, 0x11, 300, { mode: 0, ctime: NOW + 1 }), false);
  assert.equal(j.state, 'locked');
});

test('judgeIntent: locked by a stopped recycle is restorable; running, gone, released or another object is not', () => {
  const i = intent('c') as UnfinishedIntent;
  const locked = shm(4, 0x11, 300, { mode: 0, ctime: NOW + 1 });
  const f = judgeIntent(i, locked, false);
  assert.equal(f.state, 'locked');
  assert.match(f.why, /shm id 4 key 0x00000011 was left locked \(mode 0000\) by a recycle \(pid 900\) that stopped at .*; its mode was 0640/);
  assert.equal(judgeIntent(i, { ...locked, mode: 0o400 }, false).state, 'locked', 'a non-root owner locks with 0400');
  assert.equal(judgeIntent(i, locked, true).state, 'in-progress');
  assert.equal(judgeIntent(i, undefined, false).state, 'gone');
  assert.equal(judgeIntent(i, { ...locked, mode: 0o640 }, false).state, 'released');
  assert.equal(judgeIntent(i, { ...locked, key: 0x12 }, false).state, 'other');
  assert.equal(judgeIntent(i, { ...locked, uid: 5 }, false).state, 'other');
  assert.equal(judgeIntent(i, { ...locked, ctime: NOW - 9000 }, false).state, 'other', 'changed before the lock');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { removalNote } from '../../../extension/commands/removalNote';
import type { RecyclePlan } from '../../../extension/domain/recyclePlan';

const plan = (host: string): RecyclePlan => ({
  host, now: 0, candidates: [], stays: [], frees: { semSets: 0, semaphores: 0, shmSegments: 0, shmBytes: 0, msgQueues: 0, dsmFiles: 0, dsmBytes: 0 },
  counts: { live: 0, orphan: 0, unreadable: 0, unknown: 0 },
});

test('the recycle confirmation says whether removal on the host is locked', () => {
  assert.match(removalNote(plan('local'), 'local'), /^Each object is re-checked, locked \(mode 0/);
  const ssh = removalNote(plan('root@127.0.0.1:2222'), 'root@127.0.0.1:2222');
  assert.match(ssh, /^Removal on root@127\.0\.0\.1:2222 is NOT locked: .* removed with ipcrm; .*could lose it\. For the locked removal, run `ipcx recycle` on root@127\.0\.0\.1:2222 itself\.$/);
  // a source that reports its mode wins over the guess from the host
  assert.match(removalNote({ ...plan('db1'), removal: { mode: 'locked', detail: 'lock self-test passed' } }, 'db1'), /locked \(mode 0.*removed \(lock self-test passed\); any change keeps it/);
  assert.match(removalNote({ ...plan('local'), removal: { mode: 'unlocked', detail: 'no IPC_SET' } }, 'local'), /^Removal on local is NOT locked \(no IPC_SET\)/);
  assert.equal(removalNote({ ...plan('local'), removal: { mode: 'none', detail: 'no removal here: the native binding is not loaded' } }, 'local'),
    'Nothing is removed on local (no removal here: the native binding is not loaded).');
});

/**
 * Recycle inside another IPC namespace, through the real `ipcx recycle --namespace PID --yes`: two namespaces
 * made by the test (unshare --ipc --mount --pid --fork), each with one orphaned semaphore set (its last-op
 * pid, ipc_make's SETALL, exited) that has the same id in both, and an orphaned set in the stage's own
 * namespace. Only the named namespace's orphan is removed; the audit records name the namespace and its
 * label. (Sets, not queues: proving that no task is blocked on a queue needs every task's
 * /proc/PID/task/TID/syscall, which this sandbox denies for pid 1 even to root.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadNative } from '../../extension/backend/nativeLoader';
import { makeNamespace, type MadeNamespace } from '../helpers/containers';
import { buildC, repoRoot } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';

const made: MadeNamespace[] = [];
let tmp = '';
after(async () => {
  for (const m of made) await m.end();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

before(async () => {
  assertPrivateIpcNamespace();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-nsrecycle-'));
  made.push(await makeNamespace({ sets: 1, nsems: 2 }), await makeNamespace({ sets: 1, nsems: 2 }));
});

function ipcx(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'ipcx.js'), ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test('recycle --namespace removes that namespace\'s orphan only (same id elsewhere, and ours, stay)', () => {
  const native = loadNative().binding!;
  // an orphan of our own namespace too
  const r = spawnSync(buildC('ipc_make'), ['sem', '-n', '1', '-s', '2', '-v', 'p'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout);
  const ownId = Number(r.stdout.trim().split(' ')[1]);
  const [a, b] = made as [MadeNamespace, MadeNamespace];
  const idA = native.inNamespace(`/proc/${a.pid}/ns/ipc`, a.inode).statObject('sem', 0).id;
  const idB = native.inNamespace(`/proc/${b.pid}/ns/ipc`, b.inode).statObject('sem', 0).id;
  assert.equal(idA, idB, 'the same id in both namespaces');

  const audit = path.join(tmp, 'audit.jsonl');
  const res = ipcx(['recycle', '--namespace', String(a.pid), '--yes', '--json', '--include-unrecognized', '--min-age', '0', '--recent', '0',
    '--kind', 'sem', '--audit', audit]);
  assert.equal(res.status, 0, res.err + res.out);
  const report = JSON.parse(res.out).report as { host: string; outcomes: Array<{ kind: string; id: number; action: string }> };
  assert.deepEqual(report.outcomes.map((o) => [o.kind, o.id, o.action]), [['sem', idA, 'removed']]);
  assert.match(report.host, new RegExp(`^local:ipc:\\[${a.inode}\\] `));

  // gone in A; B's queue with the same id and ours stay
  assert.throws(() => native.inNamespace(`/proc/${a.pid}/ns/ipc`, a.inode).statObject('sem', idA), (e: Error & { code?: string }) =>
    ['EINVAL', 'EIDRM'].includes(e.code ?? ''));
  assert.equal(native.inNamespace(`/proc/${b.pid}/ns/ipc`, b.inode).statObject('sem', idB).id, idB);
  assert.equal(native.statObject('sem', ownId).id, ownId);

  const records = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { host: string });
  assert.ok(records.length >= 1);
  for (const rec of records) assert.match(rec.host, new RegExp(`ipc:\\[${a.inode}\\]`), 'the audit names the namespace');
  spawnSync('ipcrm', ['-s', String(ownId)]);
});

test('recycle refuses several namespaces at once', () => {
  const res = ipcx(['recycle', '--all-namespaces']);
  assert.equal(res.status, 2);
  assert.match(res.err, /one namespace at a time/);
});

/**
 * `ipcx namespaces`, `snapshot|limits --namespace` and `--all-namespaces` against namespaces the test makes
 * (unshare --ipc --mount --pid --fork with own limits, /dev/shm size and objects).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeNamespace, type MadeNamespace } from '../helpers/containers';
import { repoRoot } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';

const made: MadeNamespace[] = [];
after(async () => {
  for (const m of made) await m.end();
});
before(async () => {
  assertPrivateIpcNamespace();
  made.push(await makeNamespace({ shmSize: '8m', sem: '32 320 8 11', sets: 3, blobMiB: 2 }));
  made.push(await makeNamespace({ shmSize: '4m', sets: 5 }));
});

function ipcx(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'ipcx.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test('ipcx namespaces lists each namespace with its pids, main process and that it can be entered', () => {
  const r = ipcx(['namespaces', '--json']);
  assert.equal(r.status, 0, r.err);
  const list = JSON.parse(r.out) as Array<{ inode: number; pids: number[]; mainPid: number; enterable: boolean; own: boolean; label: string }>;
  assert.ok(list[0]!.label === 'host' || list[0]!.own);
  for (const m of made) {
    const n = list.find((x) => x.inode === m.inode);
    assert.ok(n, `${m.ns} listed`);
    assert.ok(n.pids.includes(m.pid));
    assert.equal(n.enterable, true);
  }
  const table = ipcx(['namespaces']);
  assert.match(table.out, new RegExp(`ipc:\\[${made[0]!.inode}\\]`));
});

test('snapshot --all-namespaces --json: one snapshot per namespace with its name', () => {
  const r = ipcx(['snapshot', '--all-namespaces', '--json']);
  assert.ok(r.status === 0 || r.status === 3, r.err);
  const doc = JSON.parse(r.out) as Array<{ namespace: { inode: number; label: string }; snapshot?: { sems: unknown[]; namespaceLabel?: string; ipcNamespace?: string } }>;
  for (const [i, m] of made.entries()) {
    const e = doc.find((d) => d.namespace.inode === m.inode);
    assert.ok(e?.snapshot, `${m.ns}: ${JSON.stringify(e)}`);
    assert.equal(e.snapshot.sems.length, i === 0 ? 3 : 5);
    assert.equal(e.snapshot.ipcNamespace, m.ns);
    assert.equal(e.snapshot.namespaceLabel, e.namespace.label);
  }
});

test('limits --namespace PID: that namespace\'s limits and its /dev/shm row', () => {
  const r = ipcx(['limits', '--namespace', String(made[0]!.pid), '--json']);
  assert.equal(r.status, 0, r.err);
  const rows = JSON.parse(r.out) as Array<{ name: string; used: number | null; limit: number }>;
  assert.equal(rows.find((x) => x.name === 'SEMMNI')?.limit, 11);
  assert.equal(rows.find((x) => x.name === 'SEMMNI')?.used, 3);
  const shm = rows.find((x) => x.name === 'DEVSHM');
  assert.deepEqual([shm?.used, shm?.limit], [2 * 1024 * 1024, 8 * 1024 * 1024]);
  const t = ipcx(['limits', '--namespace', `ipc:[${made[0]!.inode}]`]);
  assert.match(t.out, /DEVSHM .*2 MiB.*8 MiB/);
});

test('--namespace usage errors: unknown name, with several --host, both options', () => {
  let r = ipcx(['snapshot', '--namespace', 'no-such-container']);
  assert.equal(r.status, 2);
  assert.match(r.err, /no IPC namespace is named "no-such-container"/);
  // one SSH host's namespaces are read with --host DEST (test/remote/namespaceTarget.test.ts); several at once are not
  r = ipcx(['snapshot', '--namespace', '1', '--host', 'example', '--host', 'other']);
  assert.equal(r.status, 2);
  assert.match(r.err, /one host at a time/);
  r = ipcx(['metrics', '--namespace', '1', '--host', 'example']);
  assert.equal(r.status, 2);
  assert.match(r.err, /this machine only/);
  r = ipcx(['snapshot', '--namespace', '1', '--all-namespaces']);
  assert.equal(r.status, 2);
});

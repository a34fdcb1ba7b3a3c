/**
 * The lock journal: the real `ipcx recycle --yes` is killed with SIGKILL right after its lock (strace
 * injects SIGKILL at the membarrier(2) that immediately follows the IPC_SET mode 0 in the guarded primitive,
 * native/src/sysv_util.h QuiesceIpcOps): the audit log holds the intent (object, original mode) and no
 * outcome, the segment is left at mode 0. `ipcx recycle` and `ipcx doctor` then report it with the restore
 * command; `ipcx recycle --restore` puts back the original mode (0640) after checking it is still the same
 * locked object, records it, and a second run finds nothing left.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { NestedNs, ensureCliBuilt, ipcxJs } from './nsHarness';

let ns: NestedNs;
let tmp = '';

before(async () => {
  assertPrivateIpcNamespace();
  ensureCliBuilt();
  ns = await NestedNs.create();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-journal-'));
});

after(() => {
  ns?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function shmMode(id: number): number | undefined {
  const r = ns.ipcx(['snapshot', '--json']);
  const snap = JSON.parse(r.stdout);
  const m = snap.shms.find((x: { id: number }) => x.id === id);
  return m ? m.mode & 0o777 : undefined;
}

test('journal: a recycler killed right after its lock leaves an intent; recycle/doctor report it; --restore puts the mode back', { timeout: 120000 }, () => {
  assertPrivateIpcNamespace();
  const made = ns.run(buildC('ipc_make'), ['shm', '-n', '1', '-s', '4096', '-m', '640', '-k', '0x4a0e0001']);
  assert.equal(made.status, 0, made.stderr);
  const id = Number(/^shm (\d+)/m.exec(made.stdout)![1]);
  const audit = path.join(tmp, 'audit.jsonl');
  // the interleaving, forced: SIGKILL at the first membarrier(2), i.e. right after IPC_SET mode 0
  const killed = ns.run('strace', ['-qq', '-f', '-o', '/dev/null', '--inject=membarrier:signal=KILL',
    process.execPath, ipcxJs, 'recycle', '--yes', '--min-age', '0', '--recent', '0', '--audit', audit]);
  assert.notEqual(killed.status, 0, `the recycler was killed: ${killed.stdout}`);
  assert.equal(shmMode(id), 0, 'the segment was left locked (mode 0)');
  const records = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(records.length, 1, 'only the intent reached the log');
  const intent = records[0];
  assert.equal(intent.action, 'intent');
  assert.deepEqual({ ...intent.lock, ctime: 0 }, { kind: 'shm', id, key: 0x4a0e0001, ctime: 0, mode: 0o640, uid: 0, gid: 0 });

  const plan = ns.ipcx(['recycle', '--audit', audit]);
  assert.match(plan.stdout + plan.stderr, new RegExp(`1 object\\(s\\) left locked by an interrupted recycle \\(ipcx recycle --restore\\)`));
  assert.match(plan.stdout + plan.stderr, new RegExp(`shm id ${id} key 0x4a0e0001 was left locked \\(mode 0000\\) by a recycle \\(pid ${intent.pid}\\).*its mode was 0640`));
  const doctor = ns.ipcx(['doctor', '--audit', audit]);
  assert.match(doctor.stdout + doctor.stderr, new RegExp(`shm id ${id} key 0x4a0e0001 was left locked`));

  const restore = ns.ipcx(['recycle', '--restore', '--audit', audit]);
  assert.equal(restore.status, 0, restore.stdout + restore.stderr);
  assert.match(restore.stdout, new RegExp(`shm id ${id}: mode restored to 0640`));
  assert.equal(shmMode(id), 0o640, 'the original mode is back');
  const after = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(after[after.length - 1].action, 'restored');
  assert.equal(after[after.length - 1].txn, intent.txn);
  const again = ns.ipcx(['recycle', '--restore', '--audit', audit]);
  assert.match(again.stdout, /no object left locked by an interrupted recycle/);
  assert.equal(shmMode(id), 0o640);
});

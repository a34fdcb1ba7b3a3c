/**
 * The /proc fallback source end to end on a fixture tree (test/fixtures/proctree: real /proc/sysvipc
 * captures, limit files, one process, a /dev/shm with a semaphore, a malformed semaphore and a shm file).
 * No kernel objects: every path is redirected into a temporary copy of the tree.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalSource, describeLoadFailure } from '../../../extension/backend/localSource';
import { ProcSource } from '../../../extension/backend/procSource';

let root = '';
let paths = { proc: '', devShm: '' };

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-proctree-'));
  fs.cpSync(path.join(__dirname, '..', '..', 'fixtures', 'proctree'), root, { recursive: true, verbatimSymlinks: true });
  paths = { proc: path.join(root, 'proc'), devShm: path.join(root, 'devshm') };
  // the process maps the segment (shmid 0) and the semaphore under glibc's temporary name: same dev:ino
  const st = fs.statSync(path.join(paths.devShm, 'sem.orders'));
  const major = Number((BigInt(st.dev) >> 8n) & 0xfffn), minor = Number((BigInt(st.dev) & 0xffn) | ((BigInt(st.dev) >> 12n) & ~0xffn));
  const dev = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
  fs.writeFileSync(path.join(paths.proc, '23333', 'maps'), [
    '55d0c0000000-55d0c0001000 r--p 00000000 08:01 131                        /usr/bin/python3.11',
    '7f986315a000-7f986325a000 rw-s 00000000 00:01 0                          /SYSV00001234 (deleted)',
    `7fcbf91fc000-7fcbf91fd000 rw-s 00000000 ${dev} ${st.ino}                 /dev/shm/sem.6Dmz7r (deleted)`,
    '',
  ].join('\n'));
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

const failing = () => ({
  tried: ['/nowhere/ipc_native.node'],
  error: { code: 'ENATIVE', message: 'cannot load the native binding ipc_native.node (ENATIVE). Tried: /nowhere/ipc_native.node. Last error: /nowhere/ipc_native.node: not found' },
});

test('LocalSource without a binding falls back to /proc and says which paths it tried', async () => {
  const src = new LocalSource({ load: failing, paths });
  assert.equal(src.mode, 'proc');
  const snap = await src.snapshot();
  assert.equal(snap.source, 'proc');
  assert.equal(
    snap.warnings[0],
    'native binding not loaded (tried /nowhere/ipc_native.node; last error: /nowhere/ipc_native.node: not found): ' +
      'reading /proc/sysvipc; per-semaphore values and guarded removal unavailable',
  );
  assert.deepEqual(snap.errors, []);
  assert.deepEqual(snap.sems.map((s) => [s.id, s.nsems, s.values]), [[0, 17, undefined], [1, 3, undefined]]);
  assert.equal(snap.ipcNamespace, 'ipc:[4026532180]');
  // and a recycle plan through it removes nothing, saying so before any removal is tried
  assert.deepEqual(await src.removalMode!(), { mode: 'none', detail: 'no removal here: the native binding is not loaded; /proc/sysvipc shows headers only' });
});

test('limits and usage come from the files and the objects', async () => {
  const snap = await new ProcSource({ paths }).snapshot();
  assert.equal(snap.limits.semmni, 32000);
  assert.deepEqual(snap.limits.unlimited, ['shmmax', 'shmall']);
  assert.deepEqual(snap.limits.mqueue, { queuesMax: 256, msgMax: 10, msgsizeMax: 8192 });
  assert.equal(snap.usage.semTotal, 20);
  assert.equal(snap.usage.shmPages, 259);
  assert.equal(snap.msgs[0].qbytes, 16384, 'MSGMNB stands in for qbytes');
  assert.ok(snap.warnings.some((w) => /qbytes shown as MSGMNB/.test(w)));
});

test('attachers from maps (shmid 0 included) and POSIX objects by dev:inode; process facts for every pid', async () => {
  const snap = await new ProcSource({ paths }).snapshot();
  assert.deepEqual(snap.shms.map((s) => [s.id, s.attachers]), [[0, [23333]], [1, []], [2, []]]);
  const orders = snap.posixSems.find((s) => s.name === '/orders')!;
  assert.deepEqual(orders.attachers, [23333]);
  assert.deepEqual([orders.decoded!.value, orders.decoded!.nwaiters, orders.decoded!.atomic], [3, 0, false]);
  const broken = snap.posixSems.find((s) => s.name === '/broken')!;
  assert.equal(broken.decoded, undefined);
  assert.equal(broken.decodeError!.code, 'EPARSE');
  assert.deepEqual(snap.posixShms.map((s) => [s.name, s.size, s.attachers]), [['/cache', 100, []]]);
  assert.deepEqual(Object.keys(snap.processes), ['23333']);
  assert.deepEqual(snap.processes[23333], {
    pid: 23333, alive: true, liveness: 'alive', livenessReason: 'visible in /proc/23333', comm: 'python3', cmdline: 'python3 /tmp/h2mk.py', uid: 0,
    startTime: 1795555965 + 1022, startBoot: 1022, ipcNs: 'ipc:[4026532180]',
  });
});

test('the fallback refuses detail and removal with ENATIVE, never pretending', async () => {
  const src = new ProcSource({ paths, nativeError: 'x' });
  const d = (await src.semDetail([0])).get(0);
  assert.ok(d && !Array.isArray(d));
  assert.equal((d as { code: string }).code, 'ENATIVE');
  await assert.rejects(src.remove('sem', 0, { key: 0, ctime: 0 }), (e: { code: string; message: string }) => e.code === 'ENATIVE' && /native binding is not loaded/.test(e.message));
});

test('a missing /proc/sysvipc is an item error per kind, not a crash', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-noproc-'));
  try {
    const snap = await new ProcSource({ paths: { proc: empty, devShm: path.join(empty, 'none') } }).snapshot();
    assert.deepEqual(snap.sems, []);
    assert.deepEqual(snap.errors.map((e) => [e.kind, e.error.code]), [['sem', 'ENOENT'], ['shm', 'ENOENT'], ['msg', 'ENOENT']]);
    assert.ok(snap.warnings.some((w) => /limits: \/proc\/sys\/kernel\/sem: not readable/.test(w)));
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('describeLoadFailure without paths (non-Linux) keeps the loader message', () => {
  assert.equal(describeLoadFailure({ tried: [], error: { code: 'ENATIVE', message: 'Last error: Linux-only' } }), 'Linux-only');
});

test('the maps scan is bounded: past the bound, attachers are marked incomplete in a warning', async () => {
  const snap = await new ProcSource({ paths, maxMapsScan: 0 }).snapshot();
  assert.ok(snap.warnings.some((w) => /only the first 0 processes' \/proc\/PID\/maps were read/.test(w)));
  assert.deepEqual(snap.shms[0].attachers, []);
  const none = await new ProcSource({ paths, noAttachers: true }).snapshot();
  assert.equal(none.shms[0].attachers, undefined, 'not scanned is absent, not empty');
});

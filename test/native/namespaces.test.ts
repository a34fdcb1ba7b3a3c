/**
 * Other IPC namespaces, read through the native binding's setns worker thread, against real namespaces the
 * test makes (test/helpers/containers.ts: unshare --ipc --mount --pid --fork, own limits, own tmpfs
 * /dev/shm, own objects, a holder process):
 * - the snapshot of each namespace equals the snapshot taken inside it (LocalSource run under
 *   `nsenter --target PID --ipc --mount`);
 * - its limits are the ones written inside it (/proc/sys/kernel/sem read on the switched thread);
 * - the worker thread is back in our namespace after every call, and no thread of ours is left inside;
 * - a namespace whose last process exits between discovery and the snapshot is that namespace's error only;
 * - a pid reused by another namespace is ECHANGED (the inode is checked).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NamespaceSource } from '../../extension/backend/namespaceSource';
import { discoverNamespaces } from '../../extension/backend/namespaces';
import { limitsFromNative } from '../../extension/domain/sysvColumns';
import type { IpcSnapshot } from '../../extension/shared/model';
import { makeNamespace, type MadeNamespace } from '../helpers/containers';
import { assertPrivateIpcNamespace, native, repoRoot } from './support';

const made: MadeNamespace[] = [];
after(async () => {
  for (const m of made) await m.end();
});

const SPECS = [
  { shmSize: '8m', sem: '40 400 16 9', shmmni: 77, sets: 4, nsems: 5, queues: 1, blobMiB: 3 },
  { shmSize: '16m', sem: '250 32000 32 21', shmmni: 99, sets: 7, nsems: 2, queues: 2, blobMiB: 1 },
];

before(async () => {
  assertPrivateIpcNamespace();
  for (const s of SPECS) made.push(await makeNamespace(s));
});

function discovered(m: MadeNamespace) {
  const d = discoverNamespaces({ utsNodename: (p) => native().utsNodename(p) });
  const n = d.namespaces.find((x) => x.inode === m.inode);
  assert.ok(n, `discovery lists ${m.ns}`);
  return n;
}

/** LocalSource inside the namespace (its IPC and mount namespaces entered by nsenter). */
function snapshotInside(m: MadeNamespace): IpcSnapshot {
  const script = path.join(repoRoot, 'test', 'native', 'probes', 'localSnapshot.ts');
  const r = spawnSync('nsenter', ['--target', String(m.pid), '--ipc', '--mount', `--wd=${repoRoot}`, '--', process.execPath, '--import', 'tsx', script], {
    cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 26,
  });
  assert.equal(r.status, 0, `inside snapshot: ${r.stderr}`);
  return JSON.parse(r.stdout) as IpcSnapshot;
}

/** What both views must agree on: objects, values, limits, usage, POSIX objects (by name), /dev/shm size and use. */
function comparable(s: IpcSnapshot) {
  return {
    sems: s.sems,
    shms: s.shms.map(({ attachers: _a, ...rest }) => rest),
    msgs: s.msgs,
    errors: s.errors,
    limits: s.limits,
    usage: s.usage,
    posix: [...s.posixSems, ...s.posixShms].map((o) => ({ kind: o.kind, name: o.name, size: o.size, ino: o.ino, dev: o.dev })),
    devShm: s.devShm && { size: s.devShm.size, used: s.devShm.used, fsType: s.devShm.fsType },
  };
}

test('discovery lists each made namespace with its members, main process and enterability', () => {
  for (const m of made) {
    const n = discovered(m);
    assert.ok(n.pids.includes(m.pid), 'the holder');
    // unshare(1) moves itself into the new IPC namespace before it forks the holder: it is the member whose
    // parent (this test) is outside
    assert.ok(n.pids.includes(m.unshare.pid!), 'unshare itself');
    assert.equal(n.mainPid, m.unshare.pid);
    assert.equal(n.comm, 'unshare');
    assert.equal(n.own, false);
    assert.equal(n.enterable, true);
    assert.equal(n.nsPath, `/proc/${m.unshare.pid}/ns/ipc`);
    assert.equal(typeof n.hostname, 'string', 'UTS hostname read on the worker thread');
    assert.equal(n.label, `ipc:[${m.inode}] · unshare (pid ${m.unshare.pid})`);
  }
  const d = discoverNamespaces();
  assert.ok(d.namespaces.some((x) => x.own), 'our own namespace is listed');
  assert.ok(d.namespaces[0]!.initial || d.namespaces[0]!.own, 'the machine\'s own (or ours) first');
});

test('the snapshot of each namespace equals the snapshot taken inside it', async () => {
  for (const [i, m] of made.entries()) {
    const outside = await new NamespaceSource(discovered(m)).snapshot();
    const inside = snapshotInside(m);
    assert.equal(outside.ipcNamespace, m.ns);
    assert.equal(inside.ipcNamespace, m.ns);
    assert.deepEqual(comparable(outside), comparable(inside));
    // and it is that namespace's, not ours
    assert.equal(outside.sems.length, SPECS[i]!.sets);
    assert.ok(outside.sems.every((s) => s.nsems === SPECS[i]!.nsems && s.values?.length === s.nsems));
    assert.equal(outside.msgs.length, SPECS[i]!.queues);
    assert.equal(outside.devShm?.size, Number.parseInt(SPECS[i]!.shmSize, 10) * 1024 * 1024);
    assert.equal(outside.devShm?.used, SPECS[i]!.blobMiB * 1024 * 1024);
    assert.deepEqual(outside.posixShms.map((o) => o.name), ['/blob']);
    // the queue's last sender (ipc_make, exited) is reported in our pid numbers and is dead
    const q = outside.msgs[0]!;
    assert.ok(q.lspid > 0);
    assert.equal(outside.processes[q.lspid]?.liveness, 'dead');
  }
});

test('limits are the namespace\'s own: /proc/sys/kernel/sem and shmmni written inside it', () => {
  for (const [i, m] of made.entries()) {
    const b = native().inNamespace(`/proc/${m.pid}/ns/ipc`, m.inode);
    const l = b.limits();
    const { limits } = limitsFromNative(l.raw, l.files);
    const [semmsl, semmns, semopm, semmni] = SPECS[i]!.sem.split(' ').map(Number);
    assert.deepEqual([limits.semmsl, limits.semmns, limits.semopm, limits.semmni], [semmsl, semmns, semopm, semmni]);
    assert.equal(limits.shmmni, SPECS[i]!.shmmni);
  }
  // ours did not change
  const own = fs.readFileSync('/proc/sys/kernel/sem', 'utf8').trim().split(/\s+/).map(Number);
  const ownLimits = limitsFromNative(native().limits(), {}).limits;
  assert.deepEqual([ownLimits.semmsl, ownLimits.semmns, ownLimits.semopm, ownLimits.semmni], own);
});

test('the worker thread enters, and is back in our namespace after the call; no thread of ours stays inside', async () => {
  const ownIno = Number(/\d+/.exec(fs.readlinkSync('/proc/thread-self/ns/ipc'))![0]);
  for (const m of made) {
    const t = native().inNamespace(`/proc/${m.pid}/ns/ipc`, m.inode).probe();
    assert.deepEqual(t, { before: ownIno, inside: m.inode, after: ownIno });
    await native().inNamespace(`/proc/${m.pid}/ns/ipc`, m.inode).sysvAsync();
  }
  for (const tid of fs.readdirSync('/proc/self/task')) {
    assert.equal(fs.readlinkSync(`/proc/self/task/${tid}/ns/ipc`), `ipc:[${ownIno}]`, `thread ${tid} is in our namespace`);
  }
});

test('a pid now in another namespace is ECHANGED, not a read of the wrong namespace', () => {
  const [a, b] = made;
  assert.throws(() => native().inNamespace(`/proc/${a!.pid}/ns/ipc`, b!.inode).probe(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ECHANGED');
    assert.match(e.message, /another namespace/);
    return true;
  });
});

test('a namespace whose last process exits between discovery and its snapshot is an error for that namespace only', async () => {
  const doomed = await makeNamespace({ shmSize: '4m', sets: 1 });
  const survivor = made[0]!;
  const list = [discovered(doomed), discovered(survivor)];
  await doomed.end(); // the holder is reaped: its /proc entry and the namespace are gone
  const results = await Promise.allSettled(list.map((n) => new NamespaceSource(n).snapshot()));
  assert.equal(results[0]!.status, 'rejected');
  const err = (results[0] as PromiseRejectedResult).reason as Error & { code?: string };
  assert.equal(err.code, 'ENOENT');
  assert.match(err.message, /namespace is gone/);
  assert.equal(results[1]!.status, 'fulfilled');
  assert.equal((results[1] as PromiseFulfilledResult<IpcSnapshot>).value.sems.length, SPECS[0]!.sets);
});

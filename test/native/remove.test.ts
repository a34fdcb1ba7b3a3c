/**
 * Guarded removal on real objects: every RemovalExpectation field refuses with ECHANGED (naming the check)
 * and leaves the object intact; a matching expectation removes it; a vanished id gives EINVAL/EIDRM.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { IpcError } from '../../extension/domain/errors';
import type { RemovalExpectation, SemSet, SysvKind } from '../../extension/shared/model';
import { assertPrivateIpcNamespace, make, native, nativeObjects, removeQuietly, spawnReady, stop, until, type Made } from './support';

const created: Made[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) await stop(c);
  removeQuietly(created);
});

function find(kind: SysvKind, id: number) {
  const s = nativeObjects();
  return (kind === 'sem' ? s.sems : kind === 'shm' ? s.shms : s.msgs).find((o) => o.id === id);
}

function expectRefused(kind: SysvKind, id: number, exp: RemovalExpectation, check: RegExp, code = 'ECHANGED'): IpcError {
  const before = find(kind, id);
  assert.ok(before, `${kind} ${id} exists before`);
  let caught: unknown;
  try {
    native().remove(kind, id, exp);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof IpcError, `refused with an IpcError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, check);
  assert.deepEqual(find(kind, id), before, 'the object is intact');
  return caught;
}

function semOf(m: Made): SemSet {
  return find('sem', m.id) as SemSet;
}

test('sem: stale ctime and stale key are refused with ECHANGED naming the check; the set stays', () => {
  assertPrivateIpcNamespace();
  const [m] = make('sem', ['-n', '1', '-s', '3', '-v', '1,2,3', '-k', '0x4a140000']);
  created.push(m!);
  const s = semOf(m!);
  const e = expectRefused('sem', m!.id, { key: s.key, ctime: s.ctime - 1 }, /ctime changed: expected \d+, found \d+/);
  assert.equal(e.op, 'IPC_RMID');
  assert.equal(e.syscall, 'semctl');
  assert.equal(e.id, m!.id);
  assert.match(e.message, new RegExp(`^semctl\\(IPC_RMID\\) id=${m!.id}: refused, ctime changed.*\\(ECHANGED\\)$`));
  assert.match(e.hint!, /nothing was removed/);
  expectRefused('sem', m!.id, { key: s.key + 1, ctime: s.ctime }, /key changed: expected 0x4a140001, found 0x4a140000/);
});

test('sem: noWaiters refuses while a process waits in semop; otime and semPids refuse when they moved', async () => {
  assertPrivateIpcNamespace();
  const [m] = make('sem', ['-n', '1', '-s', '3', '-v', '0,0,0']);
  created.push(m!);
  const s0 = semOf(m!);
  const pids0 = native().semDetail(m!.id).map((e) => e.pid);
  const w = await spawnReady('sem_waiter', [String(m!.id), '1', '-1'], /waiting/);
  children.push(w);
  await until('waiter blocked', () => native().semDetail(m!.id)[1]!.ncount === 1);
  expectRefused('sem', m!.id, { key: s0.key, ctime: s0.ctime, noWaiters: true }, /waiters: semaphore 1 has ncount=1 zcount=0/);
  await stop(w);
  await until('waiter gone', () => native().semDetail(m!.id)[1]!.ncount === 0);
  // a completed semop (op +1 on semaphore 2) moves otime and semaphore 2's sempid
  const poster = await spawnReady('sem_waiter', [String(m!.id), '2', '1'], /waiting/);
  await new Promise<void>((r) => (poster.exitCode !== null ? r() : poster.once('exit', () => r())));
  const s1 = semOf(m!);
  assert.ok(s1.otime > 0);
  expectRefused('sem', m!.id, { key: s0.key, ctime: s0.ctime, otime: s0.otime }, /otime changed: expected 0, found \d+/);
  expectRefused('sem', m!.id, { key: s0.key, ctime: s0.ctime, semPids: pids0 },
    new RegExp(`sempid changed: semaphore 2 last operated by pid ${poster.pid}, expected ${pids0[2]}`));
  expectRefused('sem', m!.id, { key: s0.key, ctime: s0.ctime, semPids: pids0.slice(0, 2) }, /sempid: expected 2 semaphores, the set has 3/);
  // everything current: removed
  const pids1 = native().semDetail(m!.id).map((e) => e.pid);
  native().remove('sem', m!.id, { key: s1.key, ctime: s1.ctime, noWaiters: true, otime: s1.otime, semPids: pids1 });
  assert.equal(find('sem', m!.id), undefined, 'removed');
});

test('shm: nattchZero refuses while attached, removes once detached', async () => {
  assertPrivateIpcNamespace();
  const [m] = make('shm', ['-n', '1', '-s', '4096', '-k', '0x4a150000']);
  created.push(m!);
  const h = await spawnReady('shm_hold', [String(m!.id)], /attached/);
  children.push(h);
  const s = find('shm', m!.id)!;
  expectRefused('shm', m!.id, { key: s.key, ctime: s.ctime, nattchZero: true }, /nattch: 1 attachment\(s\), expected none/);
  await stop(h);
  native().remove('shm', m!.id, { key: s.key, ctime: s.ctime, nattchZero: true });
  assert.equal(find('shm', m!.id), undefined);
});

test('msg: a matching expectation removes; the same id again is EINVAL/EIDRM with the "refresh" hint', () => {
  assertPrivateIpcNamespace();
  const [m] = make('msg', ['-n', '1', '-M', '1']);
  created.push(m!);
  const q = find('msg', m!.id)!;
  native().remove('msg', m!.id, { key: q.key, ctime: q.ctime });
  assert.equal(find('msg', m!.id), undefined);
  let caught: unknown;
  try {
    native().remove('msg', m!.id, { key: q.key, ctime: q.ctime });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof IpcError);
  assert.ok(caught.code === 'EINVAL' || caught.code === 'EIDRM', caught.code);
  assert.equal(caught.op, 'IPC_STAT');
  assert.match(caught.message, new RegExp(`^msgctl\\(IPC_STAT\\) id=${m!.id}: .* \\(${caught.code}\\)$`));
  assert.match(caught.hint!, /already removed|removed while/);
});

test('expectation fields that do not apply to the kind, or malformed ones, are rejected before any syscall', () => {
  assertPrivateIpcNamespace();
  const [m] = make('msg', ['-n', '1']);
  created.push(m!);
  const q = find('msg', m!.id)!;
  assert.throws(() => native().remove('msg', m!.id, { key: q.key, ctime: q.ctime, noWaiters: true }), /only key, ctime, qnum, cbytes, lspid, lrpid, stime and rtime apply to msg/);
  assert.throws(
    () => native().remove('msg', m!.id, { key: q.key, ctime: 'yesterday' } as unknown as RemovalExpectation),
    /expected\.ctime must be an integer/,
  );
  assert.ok(find('msg', m!.id), 'still there');
});

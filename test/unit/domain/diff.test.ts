import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deepEqual, diffSnapshots } from '../../../extension/domain/diff';
import type { IpcSnapshot, PosixSem, SemSet, ShmSegment } from '../../../extension/shared/model';

type Lists = Pick<IpcSnapshot, 'sems' | 'shms' | 'msgs' | 'posixSems' | 'posixShms'>;
const perm = { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600 };
const sem = (id: number, key: number, ctime: number, values: number[]): SemSet => ({ kind: 'sem', id, key, ...perm, nsems: values.length, otime: 0, ctime, values });
const shm = (id: number, nattch: number): ShmSegment => ({
  kind: 'shm', id, key: 7, ...perm, segsz: 4096, cpid: 1, lpid: 0, nattch, atime: 0, dtime: 0, ctime: 5, dest: false, locked: false,
});
const psem = (name: string, ino: number, value: number): PosixSem => ({
  kind: 'posixSem', name, path: `/dev/shm/sem.${name.slice(1)}`, uid: 0, gid: 0, mode: 0o600, size: 32, mtime: 1, dev: 40, ino,
  decoded: { layout: 'glibc-new-64', value, nwaiters: 0, private: 128, raw: '', atomic: true },
});
const lists = (o: Partial<Lists>): Lists => ({ sems: [], shms: [], msgs: [], posixSems: [], posixShms: [], ...o });

test('identical snapshots: nothing appeared, vanished or changed', () => {
  const a = lists({ sems: [sem(1, 5, 100, [0, 1])], shms: [shm(2, 0)], posixSems: [psem('/a', 3, 1)] });
  const d = diffSnapshots(a, structuredClone(a));
  assert.deepEqual([d.appeared, d.vanished, d.changed, d.unchanged], [[], [], [], 3]);
});

test('appeared and vanished by ObjectRef', () => {
  const d = diffSnapshots(lists({ sems: [sem(1, 5, 100, [0])] }), lists({ sems: [sem(2, 6, 100, [0])], shms: [shm(3, 0)] }));
  assert.deepEqual(d.appeared.map((o) => `${o.kind}:${'id' in o ? o.id : ''}`), ['sem:2', 'shm:3']);
  assert.deepEqual(d.vanished.map((o) => ('id' in o ? o.id : -1)), [1]);
});

test('changed fields are listed with before/after (values, nattch, POSIX value)', () => {
  const d = diffSnapshots(
    lists({ sems: [sem(1, 5, 100, [0, 1])], shms: [shm(2, 0)], posixSems: [psem('/a', 3, 1)] }),
    lists({ sems: [sem(1, 5, 100, [0, 2])], shms: [shm(2, 1)], posixSems: [psem('/a', 3, 0)] }),
  );
  assert.deepEqual(d.changed.map((c) => [c.ref, c.changes.map((x) => x.field)]), [
    ['sem:1', ['values']],
    ['shm:2', ['nattch']],
    ['posixSem:/a', ['decoded']],
  ]);
  assert.deepEqual(d.changed[1].changes[0], { field: 'nattch', before: 0, after: 1 });
});

test('a reused id (same id, different ctime or key) is vanished + appeared, not changed', () => {
  const before = sem(32769, 5, 100, [0]);
  const d1 = diffSnapshots(lists({ sems: [before] }), lists({ sems: [sem(32769, 5, 200, [0])] }));
  assert.deepEqual([d1.vanished.length, d1.appeared.length, d1.changed.length], [1, 1, 0]);
  assert.equal((d1.vanished[0] as SemSet).ctime, 100);
  assert.equal((d1.appeared[0] as SemSet).ctime, 200);
  const d2 = diffSnapshots(lists({ sems: [before] }), lists({ sems: [sem(32769, 6, 100, [0])] }));
  assert.deepEqual([d2.vanished.length, d2.appeared.length], [1, 1]);
});

test('a POSIX object recreated under the same name (new inode) is vanished + appeared', () => {
  const d = diffSnapshots(lists({ posixSems: [psem('/a', 3, 1)] }), lists({ posixSems: [psem('/a', 4, 1)] }));
  assert.deepEqual([d.vanished.length, d.appeared.length, d.changed.length], [1, 1, 0]);
});

test('deepEqual', () => {
  assert.equal(deepEqual([1, { a: [2] }], [1, { a: [2] }]), true);
  assert.equal(deepEqual({ a: 1 }, { a: 1, b: undefined }), false);
  assert.equal(deepEqual([1], { 0: 1 }), false);
  assert.equal(deepEqual(null, {}), false);
});

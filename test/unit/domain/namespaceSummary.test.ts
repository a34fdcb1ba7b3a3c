/** One IPC namespace in a line and in bars (domain/namespaceSummary.ts), and untrusted names made one safe line (visibleText). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespaceDescription, namespaceSummary } from '../../../extension/domain/namespaceSummary';
import { visibleText } from '../../../extension/shared/format';
import type { IpcLimits, SemSet, ShmSegment } from '../../../extension/shared/model';

const limits: IpcLimits = {
  semmsl: 250, semmns: 1000, semopm: 32, semmni: 4, semvmx: 32767, shmmax: 1 << 20, shmall: 1000, shmmni: 100,
  shmmin: 1, msgmax: 8192, msgmnb: 16384, msgmni: 16, pageSize: 4096,
};
const perm = { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, key: 0 };
const sem = (id: number, nsems: number): SemSet => ({ kind: 'sem', id, ...perm, nsems, otime: 0, ctime: 1 });
const shm = (id: number, segsz: number): ShmSegment => ({
  kind: 'shm', id, ...perm, segsz, cpid: 1, lpid: 0, nattch: 0, atime: 0, dtime: 0, ctime: 1, dest: false, locked: false,
});
const base = {
  sems: [sem(0, 17), sem(1, 3)], shms: [shm(2, 409600)], msgs: [], posixSems: [], posixShms: [], limits,
  usage: { semSets: 2, semTotal: 20, shmSegments: 1, shmPages: 100, msgQueues: 0, msgMessages: 0, msgBytes: 0 },
};

test('the semaphore bar is the fuller of SEMMNI and SEMMNS; shared memory in bytes against SHMALL; the worst limit named', () => {
  const s = namespaceSummary(base);
  assert.deepEqual(s.counts, { sem: 2, shm: 1, msg: 0, posixSem: 0, posixShm: 0 });
  assert.equal(s.sem.limitName, 'SEMMNI');
  assert.equal(s.sem.used, 2);
  assert.equal(s.sem.limit, 4);
  assert.equal(s.sem.percent, 50);
  assert.equal(s.shm.used, 100 * 4096);
  assert.equal(s.shm.limit, 1000 * 4096);
  assert.equal(s.devShm, undefined);
  assert.deepEqual(s.worst, { name: 'SEMMNI', percent: 50, text: 'SEMMNI 50 %' });
  assert.equal(namespaceDescription(s), '2 sem · 1 shm · 0 msg · 0 POSIX · worst SEMMNI 50 %');
});

test("a fuller /dev/shm is the namespace's worst limit; SEMMNS wins over SEMMNI when fuller", () => {
  const s = namespaceSummary({
    ...base,
    limits: { ...limits, semmni: 100, semmns: 25 },
    devShm: { path: '/dev/shm', size: 4 << 20, used: 3 << 20, avail: 1 << 20, fsType: 'tmpfs' },
  });
  assert.equal(s.sem.limitName, 'SEMMNS');
  assert.equal(s.sem.percent, 80);
  assert.deepEqual(s.devShm, { limitName: 'DEVSHM', used: 3 << 20, limit: 4 << 20, percent: 75, unit: 'bytes' });
  assert.deepEqual(s.worst, { name: 'SEMMNS', percent: 80, text: 'SEMMNS 80 %' });
  const t = namespaceSummary({ ...base, devShm: { path: '/dev/shm', size: 4 << 20, used: 4 << 20, avail: 0, fsType: 'tmpfs' } });
  assert.deepEqual(t.worst, { name: 'DEVSHM', percent: 100, text: '/dev/shm 100 %' });
  assert.match(namespaceDescription(t), /worst \/dev\/shm 100 %$/);
  // a segment of exactly SHMMAX (a per-object maximum at 100 %) is not the namespace's worst: SEMMNI 50 % is
  const u = namespaceSummary({ ...base, shms: [shm(2, 1 << 20)] });
  assert.deepEqual(u.worst, { name: 'SEMMNI', percent: 50, text: 'SEMMNI 50 %' });
});

test('visibleText: control, line-separator and bidi characters are escaped, long text is cut', () => {
  assert.equal(visibleText('db-1\nfake row'), 'db-1\\x0afake row');
  assert.equal(visibleText('a\u202eevil'), 'a\\u{202e}evil');
  assert.equal(visibleText('x\u2028y\u0085z\u001b[31m'), 'x\\u{2028}y\\x85z\\x1b[31m');
  assert.equal(visibleText('postgres:16 · ok'), 'postgres:16 · ok');
  assert.equal(visibleText('a'.repeat(300), 10), `${'a'.repeat(9)}…`);
});

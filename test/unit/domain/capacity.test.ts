import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capacity, semgetFits, worstUsage, type CapacityInput } from '../../../extension/domain/capacity';
import { LIMIT_DESCRIPTORS } from '../../../extension/shared/limitDescriptors';
import type { IpcLimits, MsgQueue, SemSet, ShmSegment } from '../../../extension/shared/model';

const limits: IpcLimits = {
  semmsl: 250, semmns: 1000, semopm: 32, semmni: 10, semvmx: 32767, shmmax: 1 << 20, shmall: 1000, shmmni: 100,
  shmmin: 1, msgmax: 8192, msgmnb: 16384, msgmni: 16, pageSize: 4096, mqueue: { queuesMax: 256, msgMax: 10, msgsizeMax: 8192 },
};
const perm = { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, key: 0 };
const sem = (id: number, nsems: number, values?: number[]): SemSet => ({ kind: 'sem', id, ...perm, nsems, otime: 0, ctime: 1, ...(values ? { values } : {}) });
const shm = (id: number, segsz: number): ShmSegment => ({
  kind: 'shm', id, ...perm, segsz, cpid: 1, lpid: 0, nattch: 0, atime: 0, dtime: 0, ctime: 1, dest: false, locked: false,
});
const msg = (id: number, cbytes: number): MsgQueue => ({
  kind: 'msg', id, ...perm, cbytes, qnum: 1, qbytes: 16384, lspid: 0, lrpid: 0, stime: 0, rtime: 0, ctime: 1,
});

function input(over: Partial<CapacityInput> = {}): CapacityInput {
  const sems = [sem(1, 17, [0, 537, 5]), sem(2, 3, [40, 1, 2])];
  const shms = [shm(3, 4096), shm(4, 409600)];
  const msgs = [msg(5, 100), msg(6, 9000)];
  return {
    sems, shms, msgs, limits,
    // semTotal is the kernel's own count: deliberately not sets x first nsems (lsipc's mistake)
    usage: { semSets: 2, semTotal: 20, shmSegments: 2, shmPages: 1 + 100, msgQueues: 2, msgMessages: 2, msgBytes: 9100 },
    ...over,
  };
}

const by = (rows: ReturnType<typeof capacity>, name: string) => rows.find((r) => r.name === name)!;

test('every descriptor gets a row, in descriptor order; the BSD-only limits (SEMUME, SEMMNU, SHMSEG) only when reported', () => {
  const bsdOnly = ['SEMUME', 'SEMMNU', 'SHMSEG'];
  assert.deepEqual(capacity(input()).map((r) => r.name), LIMIT_DESCRIPTORS.map((d) => d.name).filter((n) => !bsdOnly.includes(n)));
  const rows = capacity(input({ limits: { ...limits, semume: 10, semmnu: 87381, shmseg: 8 }, platform: 'darwin' }));
  assert.deepEqual(rows.map((r) => r.name), LIMIT_DESCRIPTORS.map((d) => d.name));
  assert.deepEqual(bsdOnly.map((n) => [by(rows, n).limit, by(rows, n).used, by(rows, n).percent]), [[10, null, null], [87381, null, null], [8, null, null]]);
  assert.match(by(rows, 'SHMSEG').help, /EMFILE/);
});

test('system-wide counts: SEMMNI, SEMMNS (from usage.semTotal), SHMMNI, MSGMNI', () => {
  const rows = capacity(input());
  assert.deepEqual([by(rows, 'SEMMNI').used, by(rows, 'SEMMNI').limit, by(rows, 'SEMMNI').percent], [2, 10, 20]);
  assert.deepEqual([by(rows, 'SEMMNS').used, by(rows, 'SEMMNS').percent], [20, 2]);
  assert.deepEqual([by(rows, 'SHMMNI').used, by(rows, 'SHMMNI').percent], [2, 2]);
  assert.deepEqual([by(rows, 'MSGMNI').used, by(rows, 'MSGMNI').percent], [2, 12.5]);
});

test('maximum-style rows name the object: SEMMSL largest set, SEMVMX largest value, SHMMAX, MSGMNB', () => {
  const rows = capacity(input());
  assert.deepEqual([by(rows, 'SEMMSL').used, by(rows, 'SEMMSL').object], [17, { kind: 'sem', id: 1 }]);
  assert.ok(Math.abs(by(rows, 'SEMMSL').percent! - 6.8) < 1e-9);
  assert.deepEqual([by(rows, 'SEMVMX').used, by(rows, 'SEMVMX').object], [537, { kind: 'sem', id: 1 }]);
  assert.deepEqual([by(rows, 'SHMMAX').used, by(rows, 'SHMMAX').object, by(rows, 'SHMMAX').basis], [409600, { kind: 'shm', id: 4 }, 'largest segment: id 4']);
  assert.deepEqual([by(rows, 'MSGMNB').used, by(rows, 'MSGMNB').object], [9000, { kind: 'msg', id: 6 }]);
});

test('SHMALL in pages and in bytes', () => {
  const r = by(capacity(input()), 'SHMALL');
  assert.equal(r.unit, 'pages');
  assert.equal(r.used, 101);
  assert.equal(r.limit, 1000);
  assert.equal(r.usedBytes, 101 * 4096);
  assert.equal(r.limitBytes, 1000 * 4096);
  assert.ok(Math.abs(r.percent! - 10.1) < 1e-9);
});

test('limits without usage print null percent (lsipc "-"); SEMVMX has none when values were not read', () => {
  const rows = capacity(input({ sems: [sem(1, 17)] }));
  for (const n of ['SEMOPM', 'SHMMIN', 'MSGMAX', 'MQ_QUEUES_MAX', 'SEMVMX']) {
    assert.equal(by(rows, n).used, null, n);
    assert.equal(by(rows, n).percent, null, n);
  }
});

test('empty host: zero usage, 0% (not null) for counted limits; no mqueue row when unknown', () => {
  const l = { ...limits };
  delete l.mqueue;
  const rows = capacity({
    sems: [], shms: [], msgs: [], limits: l,
    usage: { semSets: 0, semTotal: 0, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 },
  });
  assert.equal(by(rows, 'SEMMNI').percent, 0);
  assert.equal(by(rows, 'SEMMSL').used, 0);
  assert.equal(by(rows, 'SEMMSL').object, undefined);
  assert.equal(rows.find((r) => r.name === 'MQ_QUEUES_MAX'), undefined);
});

test('unlimited limits are flagged; a 0 limit gives null percent instead of Infinity', () => {
  const rows = capacity(input({ limits: { ...limits, shmmax: Number.MAX_SAFE_INTEGER, unlimited: ['shmmax'], msgmni: 0 } }));
  assert.equal(by(rows, 'SHMMAX').unlimited, true);
  assert.equal(by(rows, 'SHMALL').unlimited, false);
  assert.equal(by(rows, 'MSGMNI').percent, null);
});

test('raise hints follow the platform', () => {
  assert.match(by(capacity(input()), 'SEMMNS').raise!, /kernel\.sem/);
  assert.match(by(capacity(input({ platform: 'freebsd' })), 'SEMMNS').raise!, /kern\.ipc\.semmns/);
  assert.match(by(capacity(input({ platform: 'darwin' })), 'SHMALL').raise!, /kern\.sysv\.shmall/);
});

test('worstUsage and semgetFits', () => {
  const rows = capacity(input());
  assert.equal(worstUsage(rows)!.name, 'MSGMNB'); // 9000 / 16384 = 55% beats SHMMAX 409600 / 1 MiB = 39%
  assert.equal(worstUsage([]), undefined);
  const full = input({ usage: { ...input().usage, semSets: 10 } });
  assert.deepEqual(semgetFits(full, 17), { ok: false, code: 'ENOSPC', limit: 'SEMMNI' });
  const nearly = input({ usage: { ...input().usage, semTotal: 990 } });
  assert.deepEqual(semgetFits(nearly, 17), { ok: false, code: 'ENOSPC', limit: 'SEMMNS' });
  assert.deepEqual(semgetFits(nearly, 10), { ok: true });
  assert.deepEqual(semgetFits(input(), 251), { ok: false, code: 'EINVAL', limit: 'SEMMSL' });
});

/**
 * One figure summarises a host: its fullest pool (domain/capacity.ts fullestPool), shown by the host's tree row,
 * the status bar and an IPC namespace's row. A per-object maximum (SHMMAX, SEMMSL, SEMVMX, MSGMNB) at 100 % is
 * the largest object against what one object may be, not a pool running out, and is never that figure.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fullestPool, maximaNearLimit, summaryPercent, type CapacityInput } from '../../../extension/domain/capacity';
import { buildBsdLimits, parseIpcsLimitBlocks, parseIpcsListing } from '../../../extension/domain/ipcsParser';
import { namespaceDescription, namespaceSummary } from '../../../extension/domain/namespaceSummary';
import { statusText } from '../../../extension/domain/nextActions';
import { deriveUsage } from '../../../extension/domain/procParser';
import type { IpcLimits, MsgQueue, SemSet } from '../../../extension/shared/model';

const fx = (f: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'freebsd', f), 'utf8');

/** The real FreeBSD 11.2 capture: PostgreSQL's segment is exactly SHMMAX (536870912), 266 of SEMMNS 340 in use. */
function freebsd(): CapacityInput & { posixSems: []; posixShms: [] } {
  const r = parseIpcsListing(fx('ipcs-a.txt'), { clock: { now: Date.UTC(2017, 6, 14, 14) / 1000, utcOffsetSeconds: 0 } });
  const { limits } = buildBsdLimits(parseIpcsLimitBlocks(fx('ipcs-M.txt') + fx('ipcs-S.txt')));
  return { ...r, limits, usage: deriveUsage(r.sems, r.shms, r.msgs, limits.pageSize), platform: 'freebsd', posixSems: [], posixShms: [] };
}

test('FreeBSD capture: SHMMAX is at 100 % (a per-object maximum), SEMMNS at 78 % (a pool): every summary says SEMMNS 78 %', () => {
  const snap = freebsd();
  const w = fullestPool(snap)!;
  assert.equal(w.row.name, 'SEMMNS');
  assert.equal(w.text, 'SEMMNS 78 %');
  assert.equal(w.detail, 'Fullest pool: SEMMNS (Total number of semaphores) at 78.2 %');
  // the status bar, the host row (hostNode.ts shows w.text) and a namespace's row: the same words
  assert.equal(statusText(snap, [], 90).text, 'SEMMNS 78 %');
  assert.equal(namespaceSummary(snap).worst?.name, 'SEMMNS');
  assert.equal(namespaceDescription(namespaceSummary(snap)), '16 sem · 13 shm · 0 msg · 0 POSIX · worst SEMMNS 78 %');
  // SHMMAX is still said, as what it is, in the tooltips
  assert.deepEqual(maximaNearLimit(snap), ['SHMMAX 100 % (largest segment: id 524295): a per-object maximum (the largest object against what one may be), not a pool']);
  assert.ok(statusText(snap, [], 90).details.includes(maximaNearLimit(snap)[0]!));
});

const limits: IpcLimits = {
  semmsl: 250, semmns: 32000, semopm: 32, semmni: 128, semvmx: 32767, shmmax: 1 << 30, shmall: 1 << 20, shmmni: 4096,
  shmmin: 1, msgmax: 8192, msgmnb: 16384, msgmni: 32000, pageSize: 4096,
};
const perm = { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, key: 0 };
const sem = (id: number, nsems: number, values?: number[]): SemSet => ({ kind: 'sem', id, ...perm, nsems, otime: 0, ctime: 1, ...(values ? { values } : {}) });
const msg = (id: number, cbytes: number): MsgQueue => ({
  kind: 'msg', id, ...perm, cbytes, qnum: 16, qbytes: 16384, lspid: 0, lrpid: 0, stime: 0, rtime: 0, ctime: 1,
});
const linux = (over: Partial<CapacityInput> = {}): CapacityInput => ({
  sems: [sem(0, 250, [32767, 0]), sem(1, 17)], shms: [], msgs: [msg(2, 16384)], limits, platform: 'linux',
  usage: { semSets: 96, semTotal: 267, shmSegments: 0, shmPages: 0, msgQueues: 1, msgMessages: 16, msgBytes: 16384 },
  ...over,
});

test('Linux: a full queue (MSGMNB), a set of SEMMSL semaphores and one at SEMVMX are not the fullest pool; SEMMNI 75 % is', () => {
  const snap = linux();
  assert.equal(fullestPool(snap)!.text, 'SEMMNI 75 %');
  assert.equal(statusText(snap, [], 90).text, 'SEMMNI 75 %');
  assert.equal(statusText(snap, [], 90).warn, false, 'a per-object maximum at 100 % does not turn the status bar to its warning colour');
  assert.deepEqual(maximaNearLimit(snap).map((l) => l.split(' (')[0]), ['SEMMSL 100 %', 'SEMVMX 100 %', 'MSGMNB 100 %']);
});

test('/dev/shm is a pool; an unlimited limit and a pool at 0 % are never the figure; no pool in use: none', () => {
  const dev = { path: '/dev/shm', size: 64 << 20, used: 61 << 20, avail: 3 << 20, fsType: 'tmpfs' };
  assert.equal(fullestPool({ ...linux(), devShm: dev })!.text, '/dev/shm 95 %');
  assert.equal(fullestPool({ ...linux(), devShm: dev })!.detail, 'Fullest pool: /dev/shm (/dev/shm (tmpfs)) at 95.3 %');
  // SEMMNI marked unlimited (a clamped value): SEMMNS 267 / 32000 is the fullest pool then
  assert.equal(fullestPool(linux({ limits: { ...limits, unlimited: ['semmni'] } }))!.text, 'SEMMNS 1 %');
  const idle = linux({ sems: [], msgs: [msg(2, 0)], usage: { semSets: 0, semTotal: 0, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 } });
  assert.equal(fullestPool(idle), undefined);
  assert.equal(statusText(idle, [], 90).text, 'no IPC limit in use');
});

test('summaryPercent: whole numbers, never 0 for a pool in use nor 100 before it is full', () => {
  assert.deepEqual([0, 0.3, 0.5, 78.235, 99.4, 99.7, 100, 130].map(summaryPercent), ['0', '<1', '1', '78', '99', '99', '100', '130']);
});

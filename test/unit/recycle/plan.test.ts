import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataDirFromArgv, parsePostmasterPid } from '../../../extension/backend/ownerEvidence';
import { elemChanges, headerChanges } from '../../../extension/backend/recycleExecutor';
import { buildRecyclePlan, expectationFor, formatPlanReport, formatRecycleReport, planSummary } from '../../../extension/domain/recyclePlan';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import { NOW, elems, pgSet, proc, procs, semSet, shm, snapshot } from './fixtures';

const opts = verdictOptions({ minOrphanAgeSeconds: 0, recentActivitySeconds: 0 });

function field() {
  return snapshot({
    sems: [pgSet(1, 5432001, 21599), pgSet(2, 5432002, 21599), pgSet(3, 6000001, 400), semSet(4, 7000001, elems(2, 401, [{ ncount: 1 }]))],
    shms: [shm(5, 7000002, 401, { nattch: 1, segsz: 4096 }), shm(6, 7000003, 402, { segsz: 8192 })],
    processes: procs(proc(21599, false), proc(400, true), proc(401, true), proc(402, false)),
  });
}

test('the plan: candidates with expectations, what stays and why, what it frees', () => {
  const s = field();
  const plan = buildRecyclePlan(s, assessSnapshot(s, opts, NOW), NOW);
  assert.deepEqual(plan.candidates.map((c) => c.ref), ['sem:1', 'sem:2', 'shm:6']);
  assert.deepEqual(plan.frees, { semSets: 2, semaphores: 34, shmSegments: 1, shmBytes: 8192, msgQueues: 0, dsmFiles: 0, dsmBytes: 0 });
  assert.deepEqual(plan.stays.map((x) => [x.ref, x.verdict.state]), [['sem:3', 'live'], ['sem:4', 'live'], ['shm:5', 'live']]);
  assert.match(plan.stays[1].why, /^live: 1 process\(es\) waiting/);
  const sem1 = plan.candidates[0];
  assert.deepEqual(sem1.expected, { key: 5432001, ctime: NOW - 3600, noWaiters: true, otime: NOW - 3600, semPids: Array(17).fill(21599) });
  assert.deepEqual(sem1.pids, [21599]);
  assert.deepEqual(plan.candidates[2].expected, { key: 7000003, ctime: NOW - 7200, nattchZero: true, nattch: 0, cpid: 402, lpid: 402, atime: NOW - 7200, dtime: NOW - 7200 });
  assert.equal(plan.counts.live, 3);
  assert.equal(plan.counts.orphan, 3);
});

test('the plan can be limited to kinds or objects', () => {
  const s = field();
  const v = assessSnapshot(s, opts, NOW);
  assert.deepEqual(buildRecyclePlan(s, v, NOW, { kinds: ['shm'] }).candidates.map((c) => c.ref), ['shm:6']);
  const one = buildRecyclePlan(s, v, NOW, { refs: ['sem:3'] });
  assert.equal(one.candidates.length, 0);
  assert.deepEqual(one.stays.map((x) => x.ref), ['sem:3']);
});

test('objects the remover may not IPC_RMID stay with an EPERM explanation', () => {
  const s = field();
  s.uid = 1000;
  const plan = buildRecyclePlan(s, assessSnapshot(s, opts, NOW), NOW);
  assert.equal(plan.candidates.length, 0);
  assert.ok(plan.stays.some((x) => x.ref === 'sem:1' && /IPC_RMID would fail with EPERM/.test(x.why)));
});

test('report text names what goes, what stays and the re-checks', () => {
  const s = field();
  const plan = buildRecyclePlan(s, assessSnapshot(s, opts, NOW), NOW);
  const text = formatPlanReport(plan);
  assert.match(text, /WOULD REMOVE \(3\)/);
  assert.match(text, /semaphore set id 1 key 0x0052e2c1 - PostgreSQL, semaphore set, postmaster PID 21599 \(dead\) \(orphan for 1h\)/);
  assert.match(text, /STAYS \(3\):/);
  assert.match(text, /same id, key, ctime/);
  assert.match(planSummary(plan), /^Recycle would remove 3 object\(s\) on local: 2 semaphore set\(s\) \(34 semaphores\), 1 shared memory segment\(s\) holding 8 KiB \(8,192 bytes\)\./);
  const r = formatRecycleReport({ host: 'local', outcomes: [{ ref: 'sem:1', kind: 'sem', id: 1, key: 5432001, action: 'refused', code: 'ECHANGED', reasons: ['new last-op pid'] }], removed: 0, refused: 1, failed: 0, auditPath: '/tmp/a.jsonl' });
  assert.match(r, /REFUSED sem id 1 key 0x0052e2c1 \(ECHANGED\): new last-op pid/);
  assert.match(r, /Audit log: \/tmp\/a.jsonl/);
});

test('expectationFor without detail carries no semPids', () => {
  const e = expectationFor(semSet(9, 1, undefined));
  assert.equal(e.semPids, undefined);
  assert.equal(e.noWaiters, true);
});

test('executor re-checks: header and per-semaphore changes refuse', () => {
  const a = pgSet(1, 5432001, 9);
  assert.deepEqual(headerChanges(a, { ...a }), []);
  assert.match(headerChanges(a, { ...a, key: 5 })[0], /key changed/);
  assert.match(headerChanges(a, { ...a, otime: a.otime + 1 })[0], /sem_otime changed/);
  const m = shm(1, 2, 3);
  assert.match(headerChanges(m, { ...m, nattch: 1 })[0], /now attached/);
  assert.match(headerChanges(m, { ...m, lpid: 77 })[0], /shm lpid changed 3 -> 77/);
  assert.deepEqual(headerChanges(m, { ...m, lpid: 77, atime: NOW }, { lpid: 77, atime: NOW, dtime: m.dtime }), [], 'exactly what our own peek left');
  assert.match(headerChanges(m, { ...m, lpid: 77, atime: NOW + 1 }, { lpid: 77, atime: NOW, dtime: m.dtime })[0]!, /shm lpid changed/, 'activity after our peek');
  assert.deepEqual(elemChanges(a.elems, a.elems!), []);
  const moved = a.elems!.map((e, i) => (i === 3 ? { ...e, pid: 50 } : e));
  assert.match(elemChanges(a.elems, moved)[0], /new last-op pid on semaphore\(s\) 3 \(50\)/);
  const waiting = a.elems!.map((e, i) => (i === 0 ? { ...e, ncount: 1 } : e));
  assert.match(elemChanges(a.elems, waiting)[0], /now have waiters/);
  assert.match(elemChanges(undefined, a.elems!)[0], /no planned per-semaphore detail/);
});

test('postmaster.pid and postgres argv', () => {
  const pm = '21599\n/var/lib/postgresql/15/main\n1700000000\n5432\n/var/run/postgresql\n*\n  2162189         4\nready   \n';
  assert.deepEqual(parsePostmasterPid(pm), { pid: 21599, port: 5432, shmKey: 2162189, shmId: 4 });
  assert.deepEqual(parsePostmasterPid('garbage'), {});
  assert.equal(dataDirFromArgv(['/usr/lib/postgresql/15/bin/postgres', '-D', '/d', '-c', 'x=1']), '/d');
  assert.equal(dataDirFromArgv(['postgres', '-D/e']), '/e');
  assert.equal(dataDirFromArgv(['postgres', '--pgdata=/f']), '/f');
  assert.equal(dataDirFromArgv(['postgres: checkpointer ']), undefined);
});

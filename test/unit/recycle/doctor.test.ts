import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseSemget, formatDiagnosis } from '../../../extension/domain/doctor';
import { pgDefaults, pgSemaphoreNeeds, pgSizing } from '../../../extension/domain/pgSizing';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import { LIMITS, NOW, elems, pgSet, proc, procs, semSet, snapshot } from './fixtures';

const opts = verdictOptions({ minOrphanAgeSeconds: 0, recentActivitySeconds: 0 });

function enospc(semmni: number, semmns: number) {
  const s = snapshot({
    sems: [pgSet(1, 5432001, 9), pgSet(2, 5432002, 9), pgSet(3, 5432003, 9), semSet(4, 0, elems(3, 10)), semSet(5, 0, elems(5, 11))],
    processes: procs(proc(9, false), proc(10, true), proc(11, false)),
    limits: { ...LIMITS, semmni, semmns },
  });
  return { s, v: assessSnapshot(s, opts, NOW) };
}

test('SEMMNI blocks; recycling the dead PostgreSQL sets is enough', () => {
  const { s, v } = enospc(5, 32000);
  const d = diagnoseSemget(s, v, { nsems: 17 });
  assert.equal(d.wouldSucceed, false);
  assert.deepEqual(d.blockedBy, ['SEMMNI']);
  assert.equal(d.checks[1].errno, 'ENOSPC');
  assert.deepEqual(d.usage, { sets: 5, semaphores: 59 });
  assert.deepEqual({ sets: d.recycle.sets, semaphores: d.recycle.semaphores }, { sets: 3, semaphores: 51 });
  assert.deepEqual(d.keptOrphans, { sets: 1, semaphores: 5 });
  assert.equal(d.afterRecycle.wouldSucceed, true);
  assert.equal(d.recyclingIsEnough, true);
  const text = formatDiagnosis(d);
  assert.match(text, /NO - blocked by SEMMNI/);
  assert.match(text, /After recycling: YES/);
  assert.match(text, /not disk space/);
});

test('SEMMNS blocks; four more sets need more than recycling frees, so the doctor says how to raise it', () => {
  const { s, v } = enospc(100, 70);
  const d = diagnoseSemget(s, v, { nsems: 17, sets: 4 });
  assert.deepEqual(d.blockedBy, ['SEMMNS']);
  assert.equal(d.afterRecycle.wouldSucceed, false, '8 + 68 > 70');
  assert.equal(d.recyclingIsEnough, false);
  assert.ok(d.advice.some((a) => a.includes('sysctl -w kernel.sem="250 76 32 100"') && a.includes('/etc/sysctl.d/60-ipc.conf')), d.advice.join('\n'));
});

test('nsems above SEMMSL is EINVAL, and recycling cannot help', () => {
  const { s, v } = enospc(100, 32000);
  const d = diagnoseSemget(s, v, { nsems: 300 });
  assert.deepEqual(d.blockedBy, ['SEMMSL']);
  assert.equal(d.checks[0].errno, 'EINVAL');
  assert.equal(d.afterRecycle.wouldSucceed, false);
});

test('SEMMNI above IPCMNI is capped at 32768', () => {
  const s = snapshot({ limits: { ...LIMITS, semmni: 64000, semmns: 1024000000 }, usage: { semSets: 32768, semTotal: 32768, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 } });
  const d = diagnoseSemget(s, new Map(), { nsems: 1 });
  assert.deepEqual(d.blockedBy, ['SEMMNI']);
  assert.match(d.checks[1].text, /capped by IPCMNI 32768/);
});

test('PostgreSQL sizing: 12-17 formula, 11 and older, 18 with num_os_semaphores', () => {
  const n15 = pgSemaphoreNeeds(pgDefaults(15));
  assert.equal(n15.processSlots, 128);
  assert.equal(n15.sets, 8);
  assert.equal(n15.semaphores, 136);
  assert.match(n15.formula, /max_connections 100 \+ autovacuum_max_workers 3 \+ max_wal_senders 10 \+ max_worker_processes 8 \+ 7 = 128/);
  const n11 = pgSemaphoreNeeds({ ...pgDefaults(11), maxConnections: 1000 });
  assert.equal(n11.processSlots, 1000 + 3 + 8 + 5);
  assert.equal(n11.sets, 64);
  const n18 = pgSemaphoreNeeds({ ...pgDefaults(18), numOsSemaphores: 170 });
  assert.equal(n18.sets, 11);
  assert.equal(pgSemaphoreNeeds(pgDefaults(18)).notes.length, 1);
  const z = pgSizing({ ...pgDefaults(15), maxConnections: 10000 }, { ...LIMITS, semmni: 128, semmns: 32000 }, { sets: 10, semaphores: 170 });
  assert.equal(z.needs.sets, 627, 'ceil(10028 / 16)');
  assert.deepEqual(z.checks.map((c) => [c.limit, c.ok]), [['SEMMSL', true], ['SEMMNI', false], ['SEMMNS', true]]);
  assert.equal(z.ok, false);
});

test('the doctor carries the PostgreSQL comparison now and after recycling', () => {
  const { s, v } = enospc(10, 32000);
  const d = diagnoseSemget(s, v, { nsems: 17, pg: pgDefaults(15) });
  assert.ok(d.pg);
  assert.equal(d.pg.ok, false, '8 sets needed, 5 free');
  assert.equal(d.pg.afterRecycle.ok, true, '8 free after recycling 3');
  assert.match(formatDiagnosis(d), /PostgreSQL 15 sizing: ceil\(\(max_connections 100/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseSemget, diagnosisHeadline, formatDiagnosis } from '../../../extension/domain/doctor';
import { pgDefaults, pgSemaphoreNeeds, pgSizing } from '../../../extension/domain/pgSizing';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { IpcLimits, IpcSnapshot } from '../../../extension/shared/model';
import { LIMITS, NOW, elems, pgSet, proc, procs, semSet, snapshot } from './fixtures';

const opts = verdictOptions({ minOrphanAgeSeconds: 0, recentActivitySeconds: 0 });

/** Three dead PostgreSQL sets (51 semaphores), a live and a dead unrecognised set, under these limits. */
function scene(limits: Partial<IpcLimits>, platform: IpcSnapshot['platform'] = 'linux') {
  const s = snapshot({
    platform,
    sems: [pgSet(1, 5432001, 9), pgSet(2, 5432002, 9), pgSet(3, 5432003, 9), semSet(4, 0, elems(3, 10)), semSet(5, 0, elems(5, 11))],
    processes: procs(proc(9, false), proc(10, true), proc(11, false)),
    limits: { ...LIMITS, ...limits },
  });
  return { s, v: assessSnapshot(s, opts, NOW) };
}

const enospc = (semmni: number, semmns: number) => scene({ semmni, semmns });

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

/** The same sets on a FreeBSD host whose ipcs/sysctl left some semaphore limits out. */
const unreported = (limits: Partial<IpcLimits>) => scene(limits, 'freebsd');

/** The rows of formatDiagnosis (now, then after recycling). */
const rows = (text: string) => text.split('\n').filter((l) => l.startsWith('  '));

test('a limit the host does not report is "?": never 0, never BAD, never ok, no errno; the known limits still answer', () => {
  // (--json prints these rows: an unreported limit is null there, not 0 and a negative "free")
  const unknownRow = (l: string) => ({ limit: l, limitValue: null, free: null, unknown: true, ok: false, errno: undefined, text: `${l} not reported by this host: cannot tell` });
  // SEMMSL and SEMMNI left out, SEMMNS fits: no answer, and nothing is blamed
  const fits = unreported({ semmsl: undefined, semmni: undefined, semmns: 32000 });
  const d = diagnoseSemget(fits.s, fits.v, { nsems: 17 });
  assert.deepEqual([d.wouldSucceed, d.blockedBy, d.unknownLimits, d.afterRecycle.wouldSucceed, d.recyclingIsEnough], [false, [], ['SEMMSL', 'SEMMNI'], false, false]);
  for (const cs of [d.checks, d.afterRecycle.checks]) {
    assert.deepEqual(cs.slice(0, 2).map((c) => ({ limit: c.limit, limitValue: c.limitValue, free: c.free, unknown: c.unknown, ok: c.ok, errno: c.errno, text: c.text })), [unknownRow('SEMMSL'), unknownRow('SEMMNI')]);
  }
  const text = formatDiagnosis(d);
  assert.match(text, /^Would semget\(key, 17\) x 1 succeed\? UNKNOWN - not reported by this host: SEMMSL, SEMMNI$/m);
  assert.match(text, /^After recycling: UNKNOWN$/m);
  assert.deepEqual(rows(text), [
    '  ?   SEMMSL not reported by this host: cannot tell',
    '  ?   SEMMNI not reported by this host: cannot tell',
    '  ok  SEMMNS 32000: 59 semaphores in use, 31941 free, 17 needed',
    '  ?   SEMMSL not reported by this host: cannot tell',
    '  ?   SEMMNI not reported by this host: cannot tell',
    '  ok  SEMMNS 32000: 8 semaphores in use, 31992 free, 17 needed',
  ]);
  assert.match(d.advice[0], /^cannot tell whether semget\(key, 17\) x 1 would succeed: this host did not report SEMMSL, SEMMNI .*sysctl kern\.ipc\.semmsl kern\.ipc\.semmni$/);
  // SEMMNS, which is reported, blocks: blamed alone; the raise advice asks the unreported limits for what
  // the request needs (SEMMSL 17, SEMMNI 5 - 3 recycled + 4 = 6) and says they were not reported
  const over = unreported({ semmsl: undefined, semmni: undefined, semmns: 70 });
  const b = diagnoseSemget(over.s, over.v, { nsems: 17, sets: 4 });
  assert.deepEqual([b.blockedBy, b.afterRecycle.blockedBy, b.unknownLimits], [['SEMMNS'], ['SEMMNS'], ['SEMMSL', 'SEMMNI']]);
  assert.deepEqual(rows(formatDiagnosis(b)), [
    '  ?   SEMMSL not reported by this host: cannot tell',
    '  ?   SEMMNI not reported by this host: cannot tell',
    '  BAD SEMMNS 70: 59 semaphores in use, 11 free, 68 needed',
    '  ?   SEMMSL not reported by this host: cannot tell',
    '  ?   SEMMNI not reported by this host: cannot tell',
    '  BAD SEMMNS 70: 8 semaphores in use, 62 free, 68 needed',
  ]);
  assert.ok(b.advice.includes('or raise the limits: they are boot-time tunables on FreeBSD: put kern.ipc.semmsl=17, kern.ipc.semmns=76, kern.ipc.semmni=6 in /boot/loader.conf and reboot (now not reported 70 not reported).'), b.advice.join('\n'));
  // only SEMMNI left out: SEMMSL's own value in the advice
  const one = unreported({ semmni: undefined, semmns: 70 });
  const o = diagnoseSemget(one.s, one.v, { nsems: 17, sets: 4 });
  assert.deepEqual(rows(formatDiagnosis(o)).slice(0, 3), [
    '  ok  SEMMSL 250: 17 semaphores per set fit',
    '  ?   SEMMNI not reported by this host: cannot tell',
    '  BAD SEMMNS 70: 59 semaphores in use, 11 free, 68 needed',
  ]);
  assert.ok(o.advice.includes('or raise the limits: they are boot-time tunables on FreeBSD: put kern.ipc.semmsl=250, kern.ipc.semmns=76, kern.ipc.semmni=6 in /boot/loader.conf and reboot (now 250 70 not reported).'), o.advice.join('\n'));
});

test('the errno of a blocked request names only the limits that block it, not the unreported ones', () => {
  for (const [limits, sets, first] of [
    [{ semmsl: undefined, semmni: undefined, semmns: 70 }, 4, 'semget(key, 17) x 4 would fail now: SEMMNS (ENOSPC). ENOSPC here is not disk space.'],
    [{ semmni: undefined, semmns: 70 }, 4, 'semget(key, 17) x 4 would fail now: SEMMNS (ENOSPC). ENOSPC here is not disk space.'],
    [{ semmsl: 10, semmni: undefined }, 1, 'semget(key, 17) x 1 would fail now: SEMMSL (EINVAL).'],
    // two limits with the same errno: the errno once
    [{ semmni: 5, semmns: 70 }, 4, 'semget(key, 17) x 4 would fail now: SEMMNI and SEMMNS (ENOSPC). ENOSPC here is not disk space.'],
    [{ semmsl: 10, semmni: 5 }, 4, 'semget(key, 17) x 4 would fail now: SEMMSL (EINVAL) and SEMMNI (ENOSPC). ENOSPC here is not disk space.'],
  ] as const) {
    const { s, v } = unreported(limits);
    assert.equal(diagnoseSemget(s, v, { nsems: 17, sets }).advice[0], first);
  }
});

test('the headline (the extension\'s notification) blames the blocking limits only, with their errno', () => {
  // SEMMNS blocks on a host that did not report SEMMSL and SEMMNI: their rows are not "ok" but block nothing
  const over = unreported({ semmsl: undefined, semmni: undefined, semmns: 70 });
  assert.equal(diagnosisHeadline(diagnoseSemget(over.s, over.v, { nsems: 17, sets: 4 }), 'bsd1'),
    'semget(IPC_PRIVATE, 17) x 4 would fail on bsd1 now with ENOSPC: blocked by SEMMNS (SEMMNS 70: 59 semaphores in use, 11 free, 68 needed).');
  // semget answers one errno: EINVAL when nsems exceeds SEMMSL, whatever else blocks
  const both = unreported({ semmsl: 10, semmni: 5, semmns: 70 });
  assert.match(diagnosisHeadline(diagnoseSemget(both.s, both.v, { nsems: 17, sets: 4 }), 'bsd1'),
    /^semget\(IPC_PRIVATE, 17\) x 4 would fail on bsd1 now with EINVAL: blocked by SEMMSL \(EINVAL\) and SEMMNI and SEMMNS \(ENOSPC\) \(SEMMSL 10: /);
  const fits = unreported({ semmsl: undefined, semmni: undefined, semmns: 32000 });
  assert.match(diagnosisHeadline(diagnoseSemget(fits.s, fits.v, { nsems: 17 }), 'bsd1'),
    /^Cannot tell whether semget\(IPC_PRIVATE, 17\) would succeed on bsd1: it did not report SEMMSL, SEMMNI\. cannot tell whether/);
  const { s, v } = enospc(5, 32000);
  assert.match(diagnosisHeadline(diagnoseSemget(s, v, { nsems: 17 }), 'db1'),
    /^semget\(IPC_PRIVATE, 17\) would fail on db1 now with ENOSPC: blocked by SEMMNI \(SEMMNI 5: .*\)\. Recycling the provable orphans would be enough\.$/);
  const ok = enospc(100, 32000);
  assert.match(diagnosisHeadline(diagnoseSemget(ok.s, ok.v, { nsems: 17 }), 'db1'), /^semget\(IPC_PRIVATE, 17\) would succeed on db1 now\. SEMMSL 250: /);
});

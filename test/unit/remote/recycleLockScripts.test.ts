/**
 * The remote removal scripts as text: the Perl lock program compiles, the shell ones parse, only validated
 * integers are spliced in, and the lock self-test's answer is parsed strictly (anything unexpected = unlocked).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parseLockProbe } from '../../../extension/domain/probeParser';
import { applyRemovalMode, formatPlanReport, planSummary, type RecyclePlan } from '../../../extension/domain/recyclePlan';
import { LOCK_PERL, lockProbeScript, removeScriptLocked } from '../../../extension/remote/lockScript';
import { BLOCKED_ON_QUEUE_SH, removeScriptLinux, removeScriptIpcs } from '../../../extension/remote/probeScript';

const base = { kind: 'shm' as const, id: 7, key: 5433001, ctime: 1795556584, layout: 'x86_64' as const };

test('the Perl lock program compiles with perl -c (strict, core builtins only)', () => {
  const r = spawnSync('perl', ['-c', '-'], { input: LOCK_PERL, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /syntax OK/);
  assert.doesNotMatch(LOCK_PERL, /IPC::SysV|IPC::Shared|IPC::Msg|IPC::Semaphore/, 'no IPC::SysV: perl-base has none');
});

test('the shell scripts parse (sh -n), the dollar-brace placeholder is gone', () => {
  assert.doesNotMatch(BLOCKED_ON_QUEUE_SH, /\$\[/);
  for (const s of [
    lockProbeScript(),
    removeScriptLocked({ ...base, nattch: 0, cpid: 1, lpid: 2, atime: 3, dtime: 4 }),
    removeScriptLinux({ kind: 'msg', id: 3, key: 1, ctime: 5, nattchZero: false, noWaiters: false, otime: -1, qnum: 0, cbytes: 0, lspid: 9, lrpid: 10, stime: 11, rtime: 12 }),
    removeScriptLinux({ kind: 'shm', id: 3, key: 1, ctime: 5, nattchZero: true, noWaiters: false, otime: -1, cpid: 4, lpid: 5, atime: 6, dtime: 7 }),
    removeScriptIpcs({ kind: 'shm', id: 3, key: 1, ctime: 5, nattchZero: true, noWaiters: false, otime: -1, cpid: 4, lpid: 5 }),
  ]) {
    const r = spawnSync('sh', ['-n'], { input: s, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + '\n' + s.slice(0, 400));
  }
});

test('the widened check-then-ipcrm compares every planned shm/msg column of /proc/sysvipc', () => {
  const shm = removeScriptLinux({ kind: 'shm', id: 3, key: 1, ctime: 5, nattchZero: true, noWaiters: false, otime: -1, nattch: 0, cpid: 40, lpid: 50, atime: 60, dtime: 70 });
  for (const [col, v] of [['$5', 40], ['$6', 50], ['$7', 0], ['${12}', 60], ['${13}', 70]] as const) assert.ok(shm.includes(`[ "${col}" = "${v}" ]`), `${col} = ${v}`);
  const msg = removeScriptLinux({ kind: 'msg', id: 3, key: 1, ctime: 5, nattchZero: false, noWaiters: false, otime: -1, cbytes: 8, qnum: 1, lspid: 90, lrpid: 91, stime: 92, rtime: 93 });
  for (const [col, v] of [['$4', 8], ['$5', 1], ['$6', 90], ['$7', 91], ['${12}', 92], ['${13}', 93]] as const) assert.ok(msg.includes(`[ "${col}" = "${v}" ]`), `${col} = ${v}`);
  assert.match(msg, /b=\$\(blocked 3\)/);
});

test('the locked removal splices only validated integers; a bad value throws before any text is built', () => {
  const s = removeScriptLocked({ ...base, kind: 'sem', otime: 12, noWaiters: true, semPids: [4, 5] });
  assert.match(s, /^perl - remove 1 sem 7 5433001 1795556584 otime=12 nowaiters=1 sempids=4,5 <<'IPCX_PERL'$/m);
  assert.match(removeScriptLocked({ ...base, layout: 'generic64', qnum: 0, kind: 'msg' }), /^perl - remove 2 msg 7 /m);
  const bad: unknown[] = ['5', 5.5, -2, 2 ** 31, NaN, '5; rm -rf /', null];
  for (const v of bad) {
    assert.throws(() => removeScriptLocked({ ...base, id: v as number }), RangeError);
    assert.throws(() => removeScriptLocked({ ...base, lpid: v as number }), RangeError);
    assert.throws(() => removeScriptLocked({ ...base, kind: 'sem', semPids: [1, v as number] }), RangeError);
    assert.throws(() => removeScriptLinux({ kind: 'shm', id: 1, key: 1, ctime: 1, nattchZero: true, noWaiters: false, otime: -1, cpid: v as number }), RangeError);
  }
  assert.throws(() => removeScriptLocked({ ...base, kind: 'x; reboot' as 'shm' }), RangeError);
  assert.throws(() => removeScriptLocked({ ...base, atime: -5 }), RangeError);
  // an unknown layout name becomes code 0, which the Perl program refuses
  assert.match(removeScriptLocked({ ...base, layout: 'sparc' as 'x86_64' }), /^perl - remove 0 shm /m);
});

test('the lock self-test answer: locked only for an exact known line, anything else is unlocked with the reason', () => {
  const p = (body: string) => parseLockProbe(`@@ipcx-lockprobe 1\n@@section lock\n${body}\n@@end\n`, 'h');
  assert.deepEqual(p('locked x86_64 membarrier'), { ok: true, value: { mode: 'locked', layout: 'x86_64', quiesce: 'membarrier' } });
  assert.deepEqual(p('locked generic64 sleep'), { ok: true, value: { mode: 'locked', layout: 'generic64', quiesce: 'sleep' } });
  assert.deepEqual(p('unlocked perl not found'), { ok: true, value: { mode: 'unlocked', reason: 'perl not found' } });
  const odd = p('locked sparc64 membarrier');
  assert.ok(odd.ok && odd.value.mode === 'unlocked');
  const weird = p('unlocked \u001b[31mred');
  assert.ok(weird.ok && weird.value.mode === 'unlocked' && !/\u001b/.test(weird.value.reason));
  assert.equal(parseLockProbe('@@ipcx-lockprobe 1\n@@section lock\nlocked x86_64 membarrier\n', 'h').ok, false, 'cut short');
  assert.equal(parseLockProbe('@@ipcx-lockprobe 1\n@@end\n', 'h').ok, false, 'no lock section');
});

test('the plan names the removal mode in its summary (the confirmation) and its report', () => {
  const plan = {
    host: 'db1', now: 1795556584, candidates: [{ ref: 'shm:1' }], stays: [],
    frees: { semSets: 0, semaphores: 0, shmSegments: 1, shmBytes: 4096, msgQueues: 0 },
    counts: { live: 0, orphan: 1, unreadable: 0, unknown: 0 },
  } as unknown as RecyclePlan;
  assert.doesNotMatch(planSummary(plan), /Removal on/);
  plan.removal = { mode: 'unlocked', detail: 'check-then-ipcrm, no lock: perl not found' };
  assert.match(planSummary(plan), / Removal on db1: unlocked check-then-ipcrm \(perl not found\)\.$/);
  plan.removal = { mode: 'locked', detail: 'lock -> verify -> remove with the host\'s perl' };
  assert.match(planSummary(plan), / Removal on db1: locked \(lock -> verify -> remove\)\.$/);
  assert.match(formatPlanReport({ ...plan, candidates: [] }), /^Removal mode on db1: locked \(lock -> verify -> remove with the host's perl\)\.$/m);
});

test('a host where queues cannot be proven unused: queue candidates become stays with the reason, before any removal', () => {
  const v = { ref: 'x', state: 'orphan', recyclable: true, reasons: ['dead'] };
  const plan = {
    host: 'bsd1', now: 1, stays: [],
    candidates: [
      { ref: 'msg:3', kind: 'msg', id: 3, key: 30, verdict: { ...v, ref: 'msg:3' } },
      { ref: 'shm:4', kind: 'shm', id: 4, key: 40, verdict: { ...v, ref: 'shm:4' } },
    ],
    frees: { semSets: 0, semaphores: 0, shmSegments: 1, shmBytes: 4096, msgQueues: 1 },
    counts: { live: 0, orphan: 2, unreadable: 0, unknown: 0 },
  } as unknown as RecyclePlan;
  const why = 'queues stay on freebsd: nothing there shows a process blocked in msgrcv/msgsnd';
  applyRemovalMode(plan, { mode: 'unlocked', detail: 'check-then-ipcrm, no lock: not Linux', queuesStay: why });
  assert.deepEqual(plan.candidates.map((c) => c.ref), ['shm:4']);
  assert.deepEqual(plan.stays.map((x) => [x.ref, x.why]), [['msg:3', why]]);
  assert.equal(plan.frees.msgQueues, 0);
  assert.equal(plan.removal?.mode, 'unlocked');
  // a Linux host keeps its queue candidates: the proof is made on the host at removal time
  const linux = { ...plan, candidates: [...plan.candidates, { ref: 'msg:5', kind: 'msg', id: 5, key: 50, verdict: v }], stays: [] } as unknown as RecyclePlan;
  applyRemovalMode(linux, { mode: 'locked', detail: 'lock' });
  assert.deepEqual(linux.candidates.map((c) => c.ref), ['shm:4', 'msg:5']);
});

test('a source that removes nothing (the /proc reader): every candidate stays with the reason, nothing is freed or waited for', () => {
  const v = { ref: 'x', state: 'orphan', recyclable: true, reasons: ['dead'] };
  const plan = {
    host: 'local', now: 1,
    stays: [{ ref: 'sem:9', kind: 'sem', id: 9, key: 90, verdict: { ...v, state: 'unknown' }, why: 'recent activity', becomesRecyclableIn: 50 }],
    waiting: { count: 1, byKind: { sem: 1 }, minSeconds: 50, maxSeconds: 50, recency: true },
    candidates: [
      { ref: 'msg:3', kind: 'msg', id: 3, key: 30, verdict: { ...v, ref: 'msg:3' } },
      { ref: 'shm:4', kind: 'shm', id: 4, key: 40, verdict: { ...v, ref: 'shm:4' } },
    ],
    frees: { semSets: 0, semaphores: 0, shmSegments: 1, shmBytes: 4096, msgQueues: 1, dsmFiles: 0, dsmBytes: 0 },
    counts: { live: 0, orphan: 2, unreadable: 0, unknown: 1 },
  } as unknown as RecyclePlan;
  const why = 'no removal here: the native binding is not loaded; /proc/sysvipc shows headers only';
  applyRemovalMode(plan, { mode: 'none', detail: why });
  assert.deepEqual(plan.candidates, []);
  assert.deepEqual(plan.stays.map((x) => [x.ref, x.why, x.becomesRecyclableIn]), [['sem:9', 'recent activity', undefined], ['msg:3', why, undefined], ['shm:4', why, undefined]]);
  assert.deepEqual(Object.values(plan.frees), [0, 0, 0, 0, 0, 0, 0]);
  assert.equal(plan.waiting, undefined);
  const report = formatPlanReport(plan);
  assert.match(report, /^Nothing on local is provably safe to remove\. 3 object\(s\) stay \(live 0, orphan but kept 2, unreadable 0, unknown 1\)\. Nothing is removed on local: the native binding is not loaded; \/proc\/sysvipc shows headers only\.$/m);
  assert.match(report, /^Removal mode on local: none \(no removal here: the native binding is not loaded; \/proc\/sysvipc shows headers only\)\.$/m);
  assert.doesNotMatch(report, /becomes recyclable|--min-age/);
});

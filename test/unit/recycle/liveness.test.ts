/**
 * Verdicts with the three liveness answers: every pid-based decision that needs a death gets `unknown`
 * (and keeps the object) when the reader cannot see, with a reason naming the case.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { ProcessFact, Verdict } from '../../../extension/shared/model';
import { BOOT, NOW, READER, elems, msg, proc, procs, semSet, shm, snapshot } from './fixtures';

const opts = verdictOptions({ minOrphanAgeSeconds: 60, recentActivitySeconds: 10, recycleUnrecognized: true });
const CHILD_NS = { ...READER, pidNs: 'pid:[4026532183]', initialPidNs: false };

function one(s: ReturnType<typeof snapshot>, ref: string): Verdict {
  const v = assessSnapshot(s, opts, NOW).get(ref);
  assert.ok(v, `verdict for ${ref}`);
  return v;
}

function kept(v: Verdict, reason: RegExp): void {
  assert.equal(v.state, 'unknown', v.reasons.join(' | '));
  assert.equal(v.recyclable, false);
  assert.ok(v.reasons.some((r) => reason.test(r)), `no reason matching ${reason}: ${v.reasons.join(' | ')}`);
}

test('child pid namespace: a creator outside it is reported as 0; a dead last attacher does not make the segment an orphan', () => {
  // the case: a sidecar (pid 300, dead) last touched a live application's detached segment
  const seg = shm(1, 0x1234, 0, { lpid: 300 });
  const v = one(snapshot({ shms: [seg], processes: procs(proc(300, false)), reader: CHILD_NS }), 'shm:1');
  kept(v, /^creator pid not visible from this pid namespace \(reported as 0\)/);
  assert.ok(v.reasons.some((r) => r.startsWith('last attach/detach pid 300 is dead')), 'the dead pid is still reported');
  // the same in the initial pid namespace: a 0 creator is never recorded there, still nothing is proved
  kept(one(snapshot({ shms: [seg], processes: procs(proc(300, false)) }), 'shm:1'), /creator pid reported as 0 although it was set \(this reader is in the initial pid namespace/);
  // reader's pid namespace unknown (e.g. an old probe): says both possibilities
  kept(one(snapshot({ shms: [seg], processes: procs(proc(300, false)), reader: undefined }), 'shm:1'), /pid namespace not determined/);
});

test('lpid/lspid/lrpid 0 with their time set is a process outside the namespace; 0 with no time is "never"', () => {
  const attachedOnce = shm(1, 0x1234, 400, { lpid: 0, atime: NOW - 3000, dtime: NOW - 3000 });
  kept(one(snapshot({ shms: [attachedOnce], processes: procs(proc(400, false)), reader: CHILD_NS }), 'shm:1'), /^last attach\/detach pid not visible from this pid namespace \(reported as 0\)/);
  const fresh = shm(2, 0x1235, 400, { lpid: 0, atime: 0, dtime: 0 });
  const f = one(snapshot({ shms: [fresh], processes: procs(proc(400, false)), reader: CHILD_NS }), 'shm:2');
  assert.equal(f.state, 'orphan', 'never attached: lpid 0 is legitimate');
  assert.equal(f.recyclable, true);
  const q = msg(3, 0x77, 0, 500, { stime: NOW - 3000, rtime: NOW - 3000 });
  kept(one(snapshot({ msgs: [q], processes: procs(proc(500, false)), reader: CHILD_NS }), 'msg:3'), /^last sender pid not visible from this pid namespace/);
  const neverSent = msg(4, 0x78, 0, 500, { stime: 0, rtime: NOW - 3000 });
  assert.equal(one(snapshot({ msgs: [neverSent], processes: procs(proc(500, false)), reader: CHILD_NS }), 'msg:4').state, 'orphan');
});

test('semaphores: sempid 0 beside a dead pid decides nothing outside the initial pid namespace', () => {
  const set = semSet(5, 0x99, elems(3, 600, [{}, { pid: 0 }, {}]));
  kept(one(snapshot({ sems: [set], processes: procs(proc(600, false)), reader: CHILD_NS }), 'sem:5'), /semaphore\(s\) 1 show last-op pid 0: never operated on, or last operated on by a process outside this pid namespace/);
  const v = one(snapshot({ sems: [set], processes: procs(proc(600, false)) }), 'sem:5');
  assert.equal(v.state, 'orphan', 'initial pid namespace: 0 = never operated on');
});

test('hidden and unreadable pids are unknown, with the hidepid case in the reason; a proven death still decides', () => {
  const hidden: ProcessFact = {
    pid: 4123, alive: false, liveness: 'unknown',
    livenessReason: 'exists (kill(4123, 0): EPERM) but /proc/4123 is hidden by hidepid=2 (invisible): another user\'s process whose start time cannot be read, so it may also be a later process reusing the pid',
  };
  const seg = shm(1, 0x1234, 4123);
  kept(one(snapshot({ shms: [seg], processes: procs(hidden) }), 'shm:1'), /^creator pid 4123: exists \(kill\(4123, 0\): EPERM\) but \/proc\/4123 is hidden by hidepid=2/);
  // a fact without a liveness answer that is not alive is unknown, never dead
  kept(one(snapshot({ shms: [seg], processes: procs({ pid: 4123, alive: false }) }), 'shm:1'), /^creator pid 4123: liveness unknown/);
  kept(one(snapshot({ shms: [seg], processes: {} }), 'shm:1'), /^creator pid 4123: no facts about this pid/);
  const dead = one(snapshot({ shms: [seg], processes: procs(proc(4123, false, { livenessReason: 'no such process (/proc/4123 absent, kill(4123, 0): ESRCH)' })) }), 'shm:1');
  assert.equal(dead.state, 'orphan');
  assert.ok(dead.reasons.includes('creator pid 4123 is dead (no such process (/proc/4123 absent, kill(4123, 0): ESRCH))'), dead.reasons.join(' | '));
});

test('pid reuse on the boot clock: a clock step keeps the live creator (unknown), a real reuse is still proven', () => {
  const t = NOW - 7200;
  const seg = shm(1, 0x1234, 700, { ctime: t, atime: t, dtime: t, lpid: 700 });
  // the creator started 5 s before it made the segment; then the realtime clock was stepped 1 day forward.
  // The epoch start time from the moved btime is after ctime, as the old rule compared it
  const startBoot = t - BOOT - 5;
  const creator = proc(700, true, { startBoot, startTime: BOOT + 86400 + Math.floor(startBoot) });
  const before = one(snapshot({ shms: [seg], processes: procs(creator) }), 'shm:1');
  assert.equal(before.state, 'live', 'no step: the creator is alive');
  // a step larger than the time since boot shows on the boot clock: unknown, kept
  const big = one(snapshot({ shms: [seg], processes: procs(creator), reader: { ...READER, clockOffset: BOOT + 300 * 86400 } }), 'shm:1');
  kept(big, /the realtime clock was stepped forward since, so whether it is the original process or a later one reusing the pid cannot be told/);
  // a smaller one cannot be seen from here: it is the documented residual, and it only matters for a start
  // that falls inside the step; a live creator that started well before still counts as alive
  const reused = proc(700, true, { comm: 'bash', startBoot: t - BOOT + 600, startTime: t + 600 });
  const r = one(snapshot({ shms: [seg], processes: procs(reused) }), 'shm:1');
  assert.equal(r.state, 'orphan');
  assert.ok(r.reasons.some((x) => /creator pid 700 is alive \(bash\) but started at .*, 600 s after the object's last change at .* \(on the boot clock, beyond the 2\.02 s margin\): a different process \(pid reuse\)/.test(x)), r.reasons.join(' | '));
});

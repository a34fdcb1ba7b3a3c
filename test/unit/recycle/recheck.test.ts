/**
 * The pure side of the per-candidate re-check: expectationFor carries every field the plan saw, headerChanges
 * names each one that moved, and the blocked-task parser (domain/taskWaits.ts) reads /proc/PID/task/TID/syscall
 * lines of x86_64 and aarch64 (compat calls included); a plan keeps a queue someone is blocked on, or whose
 * blocked processes cannot be listed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerChanges, provenDead } from '../../../extension/backend/recycleExecutor';
import { buildRecyclePlan, expectationFor } from '../../../extension/domain/recyclePlan';
import {
  INIT_PID_NS_INODE,
  blockedReason,
  ipcWaitOf,
  parseSyscallFile,
  pidNamespaceProblem,
  procHidingOption,
  procMountOptions,
  type TaskWaits,
} from '../../../extension/domain/taskWaits';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import { NOW, msg, proc, procs, shm, snapshot } from './fixtures';

test('expectationFor: shm and msg carry every header field the plan saw', () => {
  const m = shm(4, 0x11, 300, { nattch: 0, lpid: 301, atime: NOW - 50, dtime: NOW - 40 });
  assert.deepEqual(expectationFor(m), {
    key: 0x11, ctime: m.ctime, nattchZero: true, nattch: 0, cpid: 300, lpid: 301, atime: NOW - 50, dtime: NOW - 40,
  });
  const q = msg(5, 0x22, 400, 401, { qnum: 2, cbytes: 30, stime: NOW - 70, rtime: NOW - 60 });
  assert.deepEqual(expectationFor(q), { key: 0x22, ctime: q.ctime, qnum: 2, cbytes: 30, lspid: 400, lrpid: 401, stime: NOW - 70, rtime: NOW - 60 });
});

test('headerChanges: each shm and msg field that moved is named with both values', () => {
  const m = shm(4, 0x11, 300, { lpid: 301, atime: NOW - 50, dtime: NOW - 40 });
  for (const [f, v] of [['cpid', 9], ['lpid', 9], ['atime', NOW], ['dtime', NOW]] as const) {
    const out = headerChanges(m, { ...m, [f]: v });
    assert.equal(out.length, 1, `${f}: ${out.join('; ')}`);
    assert.match(out[0]!, new RegExp(`^shm ${f} changed ${m[f]} -> ${v}`));
  }
  // an attach and a detach between plan and removal: nattch is 0 again, lpid/atime/dtime moved
  assert.equal(headerChanges(m, { ...m, lpid: 9, atime: NOW, dtime: NOW }).length, 3);
  const q = msg(5, 0x22, 400, 401, { qnum: 2, cbytes: 30, stime: NOW - 70, rtime: NOW - 60 });
  for (const [f, v] of [['qnum', 3], ['cbytes', 31], ['lspid', 9], ['lrpid', 9], ['stime', NOW], ['rtime', NOW]] as const) {
    const out = headerChanges(q, { ...q, [f]: v });
    assert.equal(out.length, 1, `${f}: ${out.join('; ')}`);
    assert.match(out[0]!, new RegExp(`^msg ${f} changed ${q[f]} -> ${v}`));
  }
  // a receive that leaves the counts as they were (one sent, one received) still moves the times and pids
  assert.ok(headerChanges(q, { ...q, lrpid: 402, rtime: NOW }).length === 2);
});

test('provenDead: only a dead answer (or alive false without an error on older facts) is dead', () => {
  assert.equal(provenDead(proc(5, false, { liveness: 'dead' })), true);
  assert.equal(provenDead(proc(5, false, { liveness: 'unknown' })), false);
  assert.equal(provenDead(proc(5, true, { liveness: 'alive' })), false);
  assert.equal(provenDead(proc(5, false)), true);
  assert.equal(provenDead(proc(5, false, { liveness: undefined, error: { code: 'EACCES', message: 'denied' } })), false);
  assert.equal(provenDead(undefined), false);
});

test('syscall files: x86_64 msgrcv/msgsnd/semop/semtimedop, i386 and x32 compat, aarch64 and AArch32', () => {
  const line = (nr: number, a0: string, a1 = '0x0') => `${nr} ${a0} ${a1} 0x40 0x0 0x0 0x0 0x7ffd8f0 0x7f12\n`;
  const at = (arch: 'x86_64' | 'aarch64', text: string) => {
    const st = parseSyscallFile(text);
    assert.ok(st && typeof st === 'object', text);
    return ipcWaitOf(arch, st.nr, st.args);
  };
  assert.deepEqual(at('x86_64', line(70, '0x7')), { call: 'msgrcv', kind: 'msg', id: 7 });
  assert.deepEqual(at('x86_64', line(69, '0x8000')), { call: 'msgsnd', kind: 'msg', id: 32768 });
  assert.deepEqual(at('x86_64', line(65, '0x3')), { call: 'semop', kind: 'sem', id: 3 });
  assert.deepEqual(at('x86_64', line(220, '0x3')), { call: 'semtimedop', kind: 'sem', id: 3 });
  assert.deepEqual(at('x86_64', line(0x40000000 + 70, '0x7')), { call: 'msgrcv', kind: 'msg', id: 7 }, 'x32');
  assert.deepEqual(at('x86_64', line(401, '0x7')), { call: 'msgrcv', kind: 'msg', id: 7 }, 'i386 msgrcv');
  assert.deepEqual(at('x86_64', line(117, '0xc', '0x7')), { call: 'ipc', kind: 'msg', id: 7 }, 'i386 ipc(MSGRCV)');
  assert.equal(at('x86_64', line(0, '0x3')), undefined, 'read(2) is not a wait on an object');
  assert.equal(at('x86_64', line(188, '0x7')), undefined, '188 is not msgrcv on x86_64');
  assert.deepEqual(at('aarch64', line(188, '0x7')), { call: 'msgrcv', kind: 'msg', id: 7 });
  assert.deepEqual(at('aarch64', line(189, '0x7')), { call: 'msgsnd', kind: 'msg', id: 7 });
  assert.deepEqual(at('aarch64', line(193, '0x2')), { call: 'semop', kind: 'sem', id: 2 });
  assert.deepEqual(at('aarch64', line(192, '0x2')), { call: 'semtimedop', kind: 'sem', id: 2 });
  assert.deepEqual(at('aarch64', line(302, '0x7')), { call: 'msgrcv', kind: 'msg', id: 7 }, 'AArch32 msgrcv');
  assert.equal(at('aarch64', line(70, '0x7')), undefined);
  assert.equal(parseSyscallFile('running\n'), 'running');
  assert.equal(parseSyscallFile('-1 0x7ffd 0x7f12\n'), 'none');
  assert.equal(parseSyscallFile('70 zz\n'), undefined);
  // the id register holds a C int: upper bits are not part of it
  assert.deepEqual(at('x86_64', line(70, '0xffffffff00000007')), { call: 'msgrcv', kind: 'msg', id: 7 });
});

test('pid namespace, hidepid and mountinfo: what makes the scan prove nothing', () => {
  assert.equal(pidNamespaceProblem(`pid:[${INIT_PID_NS_INODE}]`), undefined);
  assert.match(pidNamespaceProblem('pid:[4026532281]')!, /pid namespace pid:\[4026532281\], not the initial one.*invisible/);
  assert.match(pidNamespaceProblem(undefined)!, /unknown/);
  assert.equal(procHidingOption('rw'), undefined);
  assert.equal(procHidingOption('rw,hidepid=0'), undefined);
  assert.equal(procHidingOption('rw,hidepid=2,gid=5'), 'hidepid=2');
  assert.equal(procHidingOption('rw,hidepid=invisible'), 'hidepid=invisible');
  assert.equal(procHidingOption('rw,subset=pid'), 'subset=pid');
  const mi = '22 27 0:21 / /proc rw,relatime - proc proc rw\n98 22 0:40 / /proc rw,relatime - proc proc rw,hidepid=2\n';
  assert.equal(procMountOptions(mi), 'rw,hidepid=2', 'the last (top) mount on /proc');
});

test('plan: a queue with a process blocked on it, or without a provable scan, stays; others go', () => {
  const snap = snapshot({
    msgs: [msg(7, 0x70, 900, 901, { stime: NOW - 3600, rtime: NOW - 3600 }), msg(8, 0x80, 900, 901, { stime: NOW - 3600, rtime: NOW - 3600 })],
    processes: procs(proc(900, false), proc(901, false)),
  });
  const v = assessSnapshot(snap, verdictOptions({ minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true }), NOW);
  const waits: TaskWaits = { ok: true, tasks: 40, waits: [{ pid: 4123, tid: 4123, comm: 'server', call: 'msgrcv', kind: 'msg', id: 7 }] };
  const plan = buildRecyclePlan(snap, v, NOW, { waits });
  assert.deepEqual(plan.candidates.map((c) => c.ref), ['msg:8']);
  assert.match(plan.stays.find((s) => s.ref === 'msg:7')!.why, /pid 4123 \(server\) is blocked in msgrcv on it/);
  const blind = buildRecyclePlan(snap, v, NOW, { waits: { ok: false, why: 'cannot read /proc/1/task/1/syscall (EPERM)' } });
  assert.equal(blind.candidates.length, 0);
  assert.match(blind.stays[0]!.why, /cannot prove that no process is blocked in msgrcv\/msgsnd on it: cannot read/);
  assert.equal(buildRecyclePlan(snap, v, NOW).candidates.length, 0, 'no scan at all: no queue goes');
  assert.equal(blockedReason(waits, 'sem', 7), undefined, 'a semop on set 7 is not a wait on queue 7');
});

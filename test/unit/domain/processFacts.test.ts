import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PID_REUSE_MARGIN_SECONDS, buildProcessFact, decideLiveness, parseBootTime, parseCmdline, parseProcStat, parseStatusUid, pidReuse, pidsOf,
} from '../../../extension/domain/processFacts';
import type { IpcObject } from '../../../extension/shared/model';

// a real line (cat, Linux 6.18) and one whose comm holds spaces and parentheses
const CAT = '23800 (cat) R 23749 23749 5601 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 102799 3133440 413 18446744073709551615 94745398681600 94745398701481 140733793193168 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n';
const ODD = '4242 (a) b (c) S 1 4242 4242 0 -1 4194560 5 0 0 0 0 0 0 0 20 0 1 0 5000 1 1 1 1 1 1 0 0 0\n';

test('parseProcStat: fields counted after the LAST parenthesis', () => {
  assert.deepEqual(parseProcStat(CAT), { pid: 23800, comm: 'cat', state: 'R', ppid: 23749, starttime: 102799 });
  assert.deepEqual(parseProcStat(ODD), { pid: 4242, comm: 'a) b (c', state: 'S', ppid: 1, starttime: 5000 });
  assert.equal(parseProcStat(''), undefined);
  assert.equal(parseProcStat('12 (x) S 1 2'), undefined);
  assert.equal(parseProcStat('x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21'), undefined);
});

test('btime, status Uid, cmdline', () => {
  assert.equal(parseBootTime('cpu  1 2 3\nintr 5\nbtime 1795555965\nprocesses 9\n'), 1795555965);
  assert.equal(parseBootTime('cpu 1\n'), undefined);
  assert.equal(parseStatusUid('Name:\tpostgres\nUid:\t122\t122\t122\t122\nGid:\t1\n'), 122);
  assert.equal(parseCmdline('postgres\0-D\0/var/db/postgres\0'), 'postgres -D /var/db/postgres');
  assert.equal(parseCmdline(''), undefined);
});

test('buildProcessFact: start time = btime + starttime / CLK_TCK, and on the boot clock', () => {
  const f = buildProcessFact(
    { pid: 23800, stat: CAT, comm: 'cat\n', cmdline: 'cat\0-\0', status: 'Uid:\t0\t0\t0\t0\n', nsIpc: 'ipc:[4026531839]' },
    1795555965,
    100,
  );
  assert.deepEqual(f, {
    pid: 23800, alive: true, liveness: 'alive', livenessReason: 'visible in /proc/23800', comm: 'cat', cmdline: 'cat -', uid: 0,
    startTime: 1795555965 + 1027, startBoot: 1027.99, ipcNs: 'ipc:[4026531839]',
  });
});

test('a zombie is dead; an unreadable-but-present stat keeps the error; a missing /proc/PID alone proves nothing', () => {
  const none = buildProcessFact({ pid: 9 }, 100, 100);
  assert.equal(none.alive, false);
  assert.equal(none.liveness, 'unknown', 'no /proc entry and no kill(0) answer: not proof of death');
  const z = buildProcessFact({ pid: 4242, stat: ODD.replace(') S ', ') Z ') }, 100, 100);
  assert.equal(z.alive, false);
  assert.equal(z.liveness, 'dead');
  assert.equal(z.comm, 'a) b (c');
  const e = buildProcessFact({ pid: 1, stat: CAT, error: { code: 'EACCES', message: 'open: Permission denied' } }, 100, 100);
  assert.equal(e.error?.code, 'EACCES');
  assert.equal(e.alive, true);
});

test('liveness has three answers: /proc absent is dead only with kill(0) = ESRCH (or hidepid off on our own /proc)', () => {
  const own = { hidepid: 'off' as const, procIsOwnPidNs: true };
  assert.deepEqual(decideLiveness({ pid: 7, statCode: 'ENOENT', kill: 'ESRCH' }, own).liveness, 'dead');
  assert.equal(decideLiveness({ pid: 7, statCode: 'ENOENT' }, own).liveness, 'dead', 'hidepid off, /proc ours: absence is proof');
  assert.equal(decideLiveness({ pid: 7, statCode: 'ENOENT' }, { hidepid: 'invisible', procIsOwnPidNs: true }).liveness, 'unknown');
  assert.equal(decideLiveness({ pid: 7, statCode: 'ENOENT' }, { hidepid: 'off' }).liveness, 'unknown', '/proc pid namespace not determined');
  // hidepid=2: another user's process is invisible; kill(0) says EPERM: it exists
  const hidden = decideLiveness({ pid: 4123, statCode: 'ENOENT', kill: 'EPERM' }, { hidepid: 'invisible', procIsOwnPidNs: true });
  assert.equal(hidden.liveness, 'unknown');
  assert.match(hidden.reason, /exists \(kill\(4123, 0\): EPERM\) but \/proc\/4123 is hidden by hidepid=2/);
  // hidepid=1: the directory is there, its files are not readable (EPERM from the kernel's proc_pid_permission)
  const noaccess = decideLiveness({ pid: 4123, statCode: 'EPERM', kill: 'EPERM' }, { hidepid: 'noaccess', procIsOwnPidNs: true });
  assert.equal(noaccess.liveness, 'unknown');
  assert.match(noaccess.reason, /not readable \(EPERM, hidepid=1 \(noaccess\)\)/);
  assert.equal(decideLiveness({ pid: 4123, statCode: 'EACCES', kill: 'ESRCH' }, {}).liveness, 'dead', 'exited after the stat attempt');
  // /proc of another pid namespace: its numbers are not ours; only kill answers
  const other = decideLiveness({ pid: 12, statCode: 'skipped', kill: 'ok' }, { procIsOwnPidNs: false });
  assert.equal(other.liveness, 'unknown');
  assert.match(other.reason, /\/proc belongs to another pid namespace/);
  assert.equal(decideLiveness({ pid: 12, statCode: 'skipped', kill: 'ESRCH' }, { procIsOwnPidNs: false }).liveness, 'dead');
  assert.equal(decideLiveness({ pid: 12, stat: CAT }, {}).liveness, 'alive');
});

test('pid reuse on the boot clock: a realtime step (btime moved) never turns the live creator into a reused pid', () => {
  const BOOT = 1_800_000_000; // realtime at boot, before any step
  const clock = { offset: BOOT, error: 0.02 };
  // the creator started 10 s after boot and made the object at boot + 11 s (its ctime, whole seconds)
  const startBoot = 10.5;
  const ctime = BOOT + 11;
  assert.deepEqual(pidReuse(startBoot, ctime, clock), { answer: 'maybe-original' });
  // NTP steps the realtime clock 1 h forward at boot + 60 s: /proc/stat btime (= realtime - uptime) moves by
  // 3600 and the epoch start time built from it (btime + starttime / CLK_TCK) lands after ctime: the old
  // rule (startTime > ctime + 2) called the live creator a reused pid, i.e. dead
  const stepped = { offset: BOOT + 3600, error: 0.02 };
  const btimeStartTime = stepped.offset + Math.floor(startBoot);
  assert.ok(btimeStartTime > ctime + 2, 'the epoch start time built from the moved btime is after the object');
  const r = pidReuse(startBoot, ctime, stepped);
  assert.equal(r.answer, 'clock-stepped', 'the object time falls before boot on the boot clock: a step, not a reuse');
  // a step backwards makes every object look newer: never a false reuse
  assert.deepEqual(pidReuse(startBoot, ctime, { offset: BOOT - 3600, error: 0.02 }), { answer: 'maybe-original' });
  // a real reuse: started 100 s after the object on the boot clock
  const later = pidReuse(111, ctime, clock);
  assert.equal(later.answer, 'later');
  if (later.answer === 'later') assert.ok(Math.abs(later.gap - 100) < 1e-9);
  // within the margin (ctime is rounded down, ticks, offset error): not proven
  assert.deepEqual(pidReuse(11 + PID_REUSE_MARGIN_SECONDS, ctime, clock), { answer: 'maybe-original' });
  assert.equal(pidReuse(11 + PID_REUSE_MARGIN_SECONDS + 0.03, ctime, clock).answer, 'later');
  // a worse offset measurement widens the margin
  assert.deepEqual(pidReuse(14, ctime, { offset: BOOT, error: 1.5 }), { answer: 'maybe-original' });
  // missing facts: not checked (a live pid then counts as the original)
  assert.deepEqual(pidReuse(undefined, ctime, clock), { answer: 'unchecked' });
  assert.deepEqual(pidReuse(111, ctime, undefined), { answer: 'unchecked' });
  assert.deepEqual(pidReuse(111, 0, clock), { answer: 'unchecked' });
});

test('pidsOf: every pid the objects name, distinct and sorted, without 0', () => {
  const p = { id: 1, key: 0, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600 };
  const objs: IpcObject[] = [
    { kind: 'sem', ...p, nsems: 2, otime: 0, ctime: 0, elems: [{ semval: 0, ncount: 0, zcount: 0, pid: 30 }, { semval: 0, ncount: 0, zcount: 0, pid: 0 }] },
    { kind: 'shm', ...p, segsz: 1, cpid: 10, lpid: 20, nattch: 1, atime: 0, dtime: 0, ctime: 0, dest: false, locked: false, attachers: [20, 40] },
    { kind: 'msg', ...p, cbytes: 0, qnum: 0, qbytes: 0, lspid: 50, lrpid: 0, stime: 0, rtime: 0, ctime: 0 },
    { kind: 'posixSem', name: '/x', path: '/dev/shm/sem.x', uid: 0, gid: 0, mode: 0o600, size: 32, mtime: 0, dev: 1, ino: 2, attachers: [60] },
  ];
  assert.deepEqual(pidsOf(objs), [10, 20, 30, 40, 50, 60]);
});

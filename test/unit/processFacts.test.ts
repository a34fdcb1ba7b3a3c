import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildProcessFact, parseBootTime, parseCmdline, parseProcStat, parseStatusUid, pidsOf, startedAfter,
} from '../../extension/domain/processFacts';
import type { IpcObject } from '../../extension/shared/model';

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

test('buildProcessFact: start time = btime + starttime / CLK_TCK', () => {
  const f = buildProcessFact(
    { pid: 23800, stat: CAT, comm: 'cat\n', cmdline: 'cat\0-\0', status: 'Uid:\t0\t0\t0\t0\n', nsIpc: 'ipc:[4026531839]' },
    1795555965,
    100,
  );
  assert.deepEqual(f, {
    pid: 23800, alive: true, comm: 'cat', cmdline: 'cat -', uid: 0, startTime: 1795555965 + 1027, ipcNs: 'ipc:[4026531839]',
  });
});

test('a missing process is dead; a zombie is not alive; EACCES is kept as the error', () => {
  assert.deepEqual(buildProcessFact({ pid: 9 }, 100, 100), { pid: 9, alive: false });
  const z = buildProcessFact({ pid: 4242, stat: ODD.replace(') S ', ') Z ') }, 100, 100);
  assert.equal(z.alive, false);
  assert.equal(z.comm, 'a) b (c');
  const e = buildProcessFact({ pid: 1, stat: CAT, error: { code: 'EACCES', message: 'open: Permission denied' } }, 100, 100);
  assert.equal(e.error?.code, 'EACCES');
  assert.equal(e.alive, true);
});

test('startedAfter: pid reuse only when proven (alive, start time known, beyond slack)', () => {
  const f = { pid: 5, alive: true, startTime: 1000 };
  assert.equal(startedAfter(f, 900), true);
  assert.equal(startedAfter(f, 999), false, 'within a second of slack: not proven');
  assert.equal(startedAfter(f, 1000), false);
  assert.equal(startedAfter(f, 2000), false);
  assert.equal(startedAfter({ pid: 5, alive: true }, 900), false, 'unknown start time');
  assert.equal(startedAfter({ pid: 5, alive: false, startTime: 1000 }, 900), false);
  assert.equal(startedAfter(undefined, 900), false);
  assert.equal(startedAfter(f, 0), false, 'no reference time');
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

// assembleColumnar leaves the System V objects in their columns for a writer that renders them itself
// (`ipcx snapshot --json`); the rest of the snapshot must be assembleSnapshot's, byte for byte once the
// decoded objects are put back, whatever the facts hold: attachers from the maps (of this namespace and of
// another), /dev/shm files, item errors, a set whose values failed, extra pids, limits with or without the
// kernel's usage counters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleColumnar, assembleSnapshot, wantedPids } from '../../../extension/domain/assembleSnapshot';
import type { HostFacts, LimitFacts } from '../../../extension/domain/hostFacts';
import { MSG_STRIDE, SEM_STRIDE, SHM_STRIDE, decodeMsgs, decodeSems, decodeShms, type RawLimits, type RawSysv } from '../../../extension/domain/sysvColumns';
import type { IpcSnapshot } from '../../../extension/shared/model';

const NS = 'ipc:[4026532200]';

function rawSysv(): RawSysv {
  const sem = [
    [0, 0x1234, 0, 0, 0, 0, 0o600, 2, 1700000000, 1700000001],
    [32769, 0, 1000, 1000, 1000, 1000, 0o644, 3, 0, 1700000002],
  ];
  const shm = [
    // id key uid gid cuid cgid mode segsz cpid lpid nattch atime dtime ctime
    [5, 0x51, 0, 0, 0, 0, 0o600, 4096, 40, 41, 2, 1700000003, 0, 1700000004],
    [6, 0, 0, 0, 0, 0, 0o600 | 0o1000, 8192, 42, 0, 0, 0, 1700000005, 1700000006], // SHM_DEST
    [7, 0x53, 0, 0, 0, 0, 0o640 | 0o2000, 1 << 20, 43, 44, 1, 0, 0, 1700000007], // SHM_LOCKED
  ];
  const msg = [[9, 0x61, 0, 0, 0, 0, 0o600, 64, 1, 16384, 50, 51, 1700000008, 0, 1700000009]];
  const flat = (rows: number[][], stride: number) => {
    for (const r of rows) assert.equal(r.length, stride);
    return Float64Array.from(rows.flat());
  };
  return {
    sem: {
      count: 2,
      headers: flat(sem, SEM_STRIDE),
      values: Uint16Array.from([1, 2, 0, 0, 0]),
      valueErrors: [{ index: 1, code: 'EACCES', errno: 13, syscall: 'semctl', op: 'GETALL', id: 32769, message: 'Permission denied' }],
    },
    shm: { count: 3, headers: flat(shm, SHM_STRIDE) },
    msg: { count: 1, headers: flat(msg, MSG_STRIDE) },
    errors: [{ kind: 'shm', index: 4, code: 'EIDRM', errno: 43, syscall: 'shmctl', op: 'SHM_STAT_ANY', message: 'Identifier removed' }],
    statAny: false,
  };
}

const rawLimits: RawLimits = {
  semmsl: 32000, semmns: 1024000000, semopm: 500, semmni: 32000, semvmx: 32767, shmmax: 2 ** 53, shmall: 2 ** 53,
  shmmni: 4096, shmmin: 1, msgmax: 8192, msgmnb: 16384, msgmni: 32000, pageSize: 4096, unlimited: [],
  semSets: 2, semTotal: 5, shmSegments: 3, shmPages: 259, shmRssPages: 0, shmSwapPages: 0, msgQueues: 1, msgMessages: 1, msgBytes: 64,
};

/** Fresh facts each call: assembleSnapshot takes their arrays over. */
function facts(limits: LimitFacts, withMaps: boolean, values = true): HostFacts {
  const f: HostFacts = {
    host: 'local', platform: 'linux', source: 'native', takenAt: 1700000100000, hostname: 'h', kernel: '6.1.0', uid: 0,
    ipcNamespace: NS,
    sysv: { kind: 'columns', raw: rawSysv(), values },
    sysvErrors: [{ kind: 'sem', name: 'index 9', error: { code: 'EACCES', syscall: 'semctl', op: 'SEM_STAT_ANY', message: 'denied' } }],
    limits,
    devShm: {
      entries: [
        { file: 'PostgreSQL.123', path: '/dev/shm/PostgreSQL.123', uid: 0, gid: 0, mode: 0o600, size: 1 << 20, mtime: 1700000010, dev: 26, ino: 77 },
        { file: 'other', path: '/dev/shm/other', uid: 0, gid: 0, mode: 0o600, size: 10, mtime: 1700000011, dev: 26, ino: 78 },
      ],
      errors: [], counted: 2, warnings: [],
    },
    processes: [{ fact: { pid: 40, alive: false, liveness: 'dead', livenessReason: 'gone' } }],
    extraPids: [3, 40],
    btime: 1699990000,
    clkTck: 100,
    warnings: ['a source note'],
  } as HostFacts;
  if (withMaps) {
    f.maps = {
      perPid: [
        { pid: 70, maps: { sysvShmids: [5, 7], files: ['26:77'] }, ipcNs: NS },
        { pid: 71, maps: { sysvShmids: [5], files: [] }, ipcNs: NS },
        // another IPC namespace's shmid 6 is another segment: not an attacher of ours
        { pid: 72, maps: { sysvShmids: [6], files: [] }, ipcNs: 'ipc:[4026531839]' },
        // a segment that is not in the listing (removed since): its attacher is not described
        { pid: 73, maps: { sysvShmids: [99], files: [] }, ipcNs: NS },
      ],
      warnings: ['a maps note'],
    };
  }
  return f;
}

/** The columnar snapshot with the objects its columns decode to put back, as the native writer renders them. */
function putBack(f: HostFacts): IpcSnapshot {
  const { snap, shmAttachers } = assembleColumnar(f);
  assert.deepEqual([snap.sems, snap.shms, snap.msgs], [[], [], []], 'the objects stay in their columns');
  const { raw, values } = f.sysv as { raw: RawSysv; values: boolean };
  const shms = decodeShms(raw.shm);
  if (shmAttachers) for (const s of shms) s.attachers = shmAttachers.get(s.id) ?? [];
  return { ...snap, sems: decodeSems(raw.sem, values), shms, msgs: decodeMsgs(raw.msg) };
}

test('assembleColumnar + the decoded objects is assembleSnapshot, byte for byte (native limits, maps read)', () => {
  const want = JSON.stringify(assembleSnapshot(facts({ kind: 'native', raw: rawLimits, files: {} }, true)));
  const got = JSON.stringify(putBack(facts({ kind: 'native', raw: rawLimits, files: {} }, true)));
  assert.equal(got, want);
  // the parts that depend on the objects are really there
  const s = JSON.parse(want) as IpcSnapshot;
  assert.deepEqual(s.shms.map((x) => x.attachers), [[70, 71], [], [70]]);
  assert.deepEqual(Object.keys(s.processes).map(Number), [3, 40, 41, 42, 43, 44, 50, 51, 70, 71]);
  // exactly the pids the assembled objects name, and the extra ones
  const named = wantedPids([...s.sems, ...s.shms, ...s.msgs, ...s.posixSems, ...s.posixShms], [3, 40]);
  assert.deepEqual(Object.keys(s.processes).map(Number), [...named].sort((a, b) => a - b));
  assert.equal(s.errors.length, 2);
  assert.match(s.warnings[1]!, /STAT_ANY/);
});

test('assembleColumnar: without the maps, no attachers key and no attacher pids', () => {
  const { shmAttachers, snap } = assembleColumnar(facts({ kind: 'native', raw: rawLimits, files: {} }, false));
  assert.equal(shmAttachers, undefined);
  assert.ok(!Object.keys(snap.processes).includes('70'));
  const want = JSON.stringify(assembleSnapshot(facts({ kind: 'native', raw: rawLimits, files: {} }, false)));
  assert.equal(JSON.stringify(putBack(facts({ kind: 'native', raw: rawLimits, files: {} }, false))), want);
  assert.ok(!want.includes('"attachers"'));
});

test('assembleColumnar: limits without usage counters still count the objects (decoded for the count only)', () => {
  const limits = (): LimitFacts => ({ kind: 'parsed', limits: { semmni: 32000, shmmni: 4096, msgmni: 32000, pageSize: 4096 } });
  const full = assembleSnapshot(facts(limits(), true));
  assert.equal(full.usage.semSets, 2);
  assert.equal(full.usage.shmSegments, 3);
  assert.equal(JSON.stringify(putBack(facts(limits(), true))), JSON.stringify(full));
});

test('assembleColumnar: a listing read without semaphore values (headers only) is the same snapshot', () => {
  const limits = (): LimitFacts => ({ kind: 'native', raw: rawLimits, files: {} });
  const want = JSON.stringify(assembleSnapshot(facts(limits(), true, false)));
  assert.equal(JSON.stringify(putBack(facts(limits(), true, false))), want);
  assert.ok(!want.includes('"values"'));
});

test('assembleColumnar refuses a listing that is not columnar', () => {
  const f = facts({ kind: 'native', raw: rawLimits, files: {} }, false);
  f.sysv = { kind: 'rows', sems: [], shms: [], msgs: [], qbytesListed: true };
  assert.throws(() => assembleColumnar(f), /not columnar/);
});

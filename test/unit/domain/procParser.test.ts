import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  deriveUsage, parseBigLimit, parseLimitFiles, parseProcMsg, parseProcSem, parseProcShm,
} from '../../../extension/domain/procParser';

const fx = (f: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'proc', f), 'utf8');

// Captured in a private IPC namespace (Linux 6.18): two sets (key 5432001 x17, IPC_PRIVATE x3), three
// segments (0: 1 MiB attached then IPC_RMID -> SHM_DEST, key 0, 3 pages touched; 1: SHM_LOCKed; 2: plain),
// one queue with two messages (5 + 11 bytes).
test('sem: real /proc/sysvipc/sem', () => {
  const r = parseProcSem(fx('sysvipc-sem.txt'));
  assert.deepEqual(r.errors, []);
  assert.equal(r.items.length, 2);
  assert.deepEqual(r.items[0], {
    kind: 'sem', id: 0, key: 0x5432001, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, nsems: 17,
    otime: 0, ctime: 1795556988,
  });
  assert.equal(r.items[0].key, 0x5432001);
  assert.equal(r.items[1].key, 0);
  assert.equal(r.items[1].mode, 0o640);
  assert.equal(r.items[1].nsems, 3);
});

test('shm: real /proc/sysvipc/shm with SHM_DEST, SHM_LOCKED, rss and swap', () => {
  const r = parseProcShm(fx('sysvipc-shm.txt'));
  assert.deepEqual(r.errors, []);
  const [dest, locked, plain] = r.items;
  assert.equal(dest.id, 0);
  assert.equal(dest.key, 0, 'key reads 0 after IPC_RMID of an attached segment');
  assert.equal(dest.dest, true);
  assert.equal(dest.locked, false);
  assert.equal(dest.mode, 0o1600);
  assert.equal(dest.segsz, 1048576);
  assert.equal(dest.nattch, 1);
  assert.equal(dest.cpid, 23333);
  assert.equal(dest.lpid, 23333);
  assert.equal(dest.atime, 1795556988);
  assert.equal(dest.rss, 12288);
  assert.equal(dest.swap, 0);
  assert.equal(locked.locked, true);
  assert.equal(locked.dest, false);
  assert.equal(locked.mode, 0o2644);
  assert.equal(locked.key, 9029);
  assert.equal(plain.segsz, 100);
  assert.equal(plain.mode, 0o666);
});

test('msg: real /proc/sysvipc/msg', () => {
  const r = parseProcMsg(fx('sysvipc-msg.txt'));
  assert.deepEqual(r.errors, []);
  assert.equal(r.items.length, 1);
  const q = r.items[0];
  assert.equal(q.key, 0x3456);
  assert.equal(q.mode, 0o620);
  assert.equal(q.cbytes, 16);
  assert.equal(q.qnum, 2);
  assert.equal(q.lspid, 23333);
  assert.equal(q.lrpid, 0);
  assert.equal(q.stime, 1795556988);
  assert.equal(q.rtime, 0);
});

test('empty input and header-only input give no objects and no errors', () => {
  for (const text of ['', '\n', '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n']) {
    const r = parseProcSem(text);
    assert.deepEqual(r, { items: [], errors: [] });
  }
  assert.deepEqual(parseProcShm(''), { items: [], errors: [] });
  assert.deepEqual(parseProcMsg(''), { items: [], errors: [] });
});

test('negative keys are signed decimal (key_t), variable whitespace and tabs are accepted', () => {
  const r = parseProcSem('key semid perms nsems uid gid cuid cgid otime ctime\n\t-1   \t 32769 666 1 1000 100 1000 100 5 6\n');
  assert.deepEqual(r.errors, []);
  assert.equal(r.items[0].key, -1);
  assert.equal(r.items[0].id, 32769);
  assert.equal(r.items[0].uid, 1000);
  assert.equal(r.items[0].mode, 0o666);
});

test('malformed lines become EPARSE item errors with line numbers; the other lines still parse', () => {
  const text = [
    '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime',
    '         1          0   600         17     0     0     0     0          0 1795556988',
    '         2          1   600',
    '         3          2   6x0         17     0     0     0     0          0 1795556988',
    '         4          3   600        abc     0     0     0     0          0 1795556988',
    '         5          4   800         17     0     0     0     0          0 1795556988',
    '         6          5   600          1     0     0     0     0          0 1795556988',
  ].join('\n') + '\n';
  const r = parseProcSem(text);
  assert.deepEqual(r.items.map((s) => s.id), [0, 5]);
  assert.equal(r.errors.length, 4);
  assert.deepEqual(r.errors.map((e) => e.error.code), ['EPARSE', 'EPARSE', 'EPARSE', 'EPARSE']);
  assert.match(r.errors[0].error.message, /\/proc\/sysvipc\/sem line 3: expected 10 columns, got 3/);
  assert.equal(r.errors[0].id, 1);
  assert.equal(r.errors[0].kind, 'sem');
  assert.match(r.errors[1].error.message, /line 4: column perms is not an octal mode/);
  assert.match(r.errors[2].error.message, /line 5: column nsems is not an integer/);
  assert.match(r.errors[3].error.message, /line 6: column perms/);
});

test('a listing cut mid-line (set vanished while the file was read) loses only that line', () => {
  const full = fx('sysvipc-sem.txt');
  const cut = full.slice(0, full.lastIndexOf('\n', full.length - 2) + 20); // last line truncated
  const r = parseProcSem(cut);
  assert.equal(r.items.length, 1);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].error.message, /line 3: expected 10 columns/);
});

test('old kernels: shm without rss/swap columns', () => {
  const r = parseProcShm(
    'key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime\n' +
      '0 7 600 4096 10 11 0 1 2 3 4 5 6 7\n',
  );
  assert.deepEqual(r.errors, []);
  assert.equal(r.items[0].id, 7);
  assert.equal(r.items[0].rss, undefined);
  assert.equal(r.items[0].ctime, 7);
});

test('a header without a required column is one error, not garbage objects', () => {
  const r = parseProcSem('key semid perms uid\n1 2 600 0\n');
  assert.equal(r.items.length, 0);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].error.message, /header lacks column\(s\) nsems/);
});

test('huge input: 32,000 sets parse, in order, with correct totals', () => {
  const lines = ['       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime'];
  for (let i = 0; i < 32000; i++) {
    lines.push(`${String(1000 + i).padStart(10)} ${String(i * 32768 + i % 7).padStart(10)}   600 ${String(17).padStart(10)}     0     0     0     0          0 1795556988`);
  }
  const r = parseProcSem(lines.join('\n') + '\n');
  assert.equal(r.items.length, 32000);
  assert.equal(r.errors.length, 0);
  assert.equal(r.items[31999].key, 1000 + 31999);
  const u = deriveUsage(r.items, [], [], 4096);
  assert.equal(u.semSets, 32000);
  assert.equal(u.semTotal, 544000);
});

test('limits: /proc/sys files, ULONG_MAX-like shmmax/shmall clamped and flagged', () => {
  const { limits, errors } = parseLimitFiles(
    {
      'kernel/sem': '32000\t1024000000\t500\t32000\n',
      'kernel/shmmax': '18446744073692774399\n',
      'kernel/shmall': '18446744073692774399\n',
      'kernel/shmmni': '4096\n',
      'kernel/msgmax': '8192\n',
      'kernel/msgmnb': '16384\n',
      'kernel/msgmni': '32000\n',
      'kernel/shm_rmid_forced': '0\n',
      'fs/mqueue/queues_max': '256\n',
      'fs/mqueue/msg_max': '10\n',
      'fs/mqueue/msgsize_max': '8192\n',
    },
    4096,
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(limits, {
    semmsl: 32000, semmns: 1024000000, semopm: 500, semmni: 32000, semvmx: 32767,
    shmmax: Number.MAX_SAFE_INTEGER, shmall: Number.MAX_SAFE_INTEGER, shmmni: 4096, shmmin: 1,
    msgmax: 8192, msgmnb: 16384, msgmni: 32000, pageSize: 4096, shmRmidForced: false,
    mqueue: { queuesMax: 256, msgMax: 10, msgsizeMax: 8192 }, unlimited: ['shmmax', 'shmall'],
  });
});

test('limits: missing and malformed files are reported, fields stay 0', () => {
  const { limits, errors } = parseLimitFiles({ 'kernel/sem': '250 32000 32', 'kernel/shmmni': 'lots' }, 4096);
  assert.equal(limits.semmsl, 0);
  assert.equal(limits.shmmni, 0);
  assert.equal(limits.mqueue, undefined);
  assert.ok(errors.some((e) => /kernel\/sem: expected "SEMMSL SEMMNS SEMOPM SEMMNI"/.test(e.message)));
  assert.ok(errors.some((e) => /kernel\/shmmni: not a number/.test(e.message)));
  assert.ok(errors.some((e) => /kernel\/msgmni: not readable/.test(e.message)));
  assert.ok(errors.every((e) => e.code === 'EPARSE'));
});

test('parseBigLimit', () => {
  assert.deepEqual(parseBigLimit('42\n'), { value: 42, clamped: false });
  assert.deepEqual(parseBigLimit('18446744073709551615'), { value: Number.MAX_SAFE_INTEGER, clamped: true });
  assert.equal(parseBigLimit('-1'), undefined);
});

test('deriveUsage: pages rounded up per segment (like shm_tot), rss/swap pages, msg totals', () => {
  const shm = parseProcShm(fx('sysvipc-shm.txt')).items;
  const msg = parseProcMsg(fx('sysvipc-msg.txt')).items;
  const sem = parseProcSem(fx('sysvipc-sem.txt')).items;
  const u = deriveUsage(sem, shm, msg, 4096);
  assert.deepEqual(u, {
    semSets: 2, semTotal: 20, shmSegments: 3, shmPages: 256 + 2 + 1, shmRssPages: 3, shmSwapPages: 0,
    msgQueues: 1, msgMessages: 2, msgBytes: 16,
  });
});

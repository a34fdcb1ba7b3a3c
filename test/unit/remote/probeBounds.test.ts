/**
 * What a hostile or broken host can put in a probe document, by class: numbers past what any kernel
 * reports (10^12 semaphores, pids of 2^40, negative counts, 400-digit sizes, modes past 07777), duplicate
 * ids and paths, far more lines than the probe's bound. Each bad row is that row's EPARSE naming the
 * column; the good rows of the same document stay.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpcsSemI, parseProbe } from '../../../extension/domain/probeParser';
import { parseProcMsg, parseProcSem, parseProcShm } from '../../../extension/domain/procParser';
import { parseIpcsListing } from '../../../extension/domain/ipcsParser';

const SEM_HEAD = '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime';
const SHM_HEAD = '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap';
const MSG_HEAD = '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime';

function doc(o: { sem?: string[]; shm?: string[]; msg?: string[]; semLimit?: string; devshm?: string[]; total?: number; semBytes?: string[]; maps?: string[] }): string {
  return [
    '@@ipcx-probe 1', '@@section uname', 'Linux 6.18.44 x86_64', '@@section uid', '0', '@@section now', '1795556584',
    '@@section pagesize', '4096',
    '@@section sysvipc-sem', SEM_HEAD, ...(o.sem ?? []),
    '@@section sysvipc-shm', SHM_HEAD, ...(o.shm ?? []),
    '@@section sysvipc-msg', MSG_HEAD, ...(o.msg ?? []),
    '@@section limits', `/proc/sys/kernel/sem ${o.semLimit ?? '32000 1024000000 500 32000'}`,
    '@@section devshm', ...(o.devshm ?? []),
    '@@section devshm-total', String(o.total ?? (o.devshm ?? []).length),
    '@@section devshm-skipped', '0',
    '@@section devshm-sem', ...(o.semBytes ?? []),
    '@@section maps', ...(o.maps ?? []),
    '@@section pids',
    '@@end', '',
  ].join('\n');
}

function parse(text: string) {
  const r = parseProbe(text, { host: 'h' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value.snapshot;
}

test('sysvipc numbers past the kernel\'s range: that row is an EPARSE naming the column, the others stay', () => {
  const snap = parse(doc({
    sem: [
      '         1          1   600 1000000000000     0     0     0     0          0 1795556584', // 10^12 semaphores
      '         2          2   600         17     0     0     0     0          0 1795556584',
      '         3          3   600         -4     0     0     0     0          0 1795556584',
      '         4          4   600         17 99999999999     0     0     0          0 1795556584',
      '         5          5 77777          1     0     0     0     0          0 1795556584',
    ],
    shm: [
      '         6          6   600      4096 1099511627776     0      0     0     0     0     0          0          0 1795556584 0 0', // cpid 2^40
      '         7          7   600 ' + '9'.repeat(400) + '     1     1      0     0     0     0     0          0          0 1795556584 0 0',
      '         8          8   600      4096     1     1      0     0     0     0     0          0          0 1795556584 0 0',
    ],
    msg: [
      '         9          9   600          10         -2     0     0     0     0     0     0          0          0 1795556584',
      '        10         10   600 99999999999          1     0     0     0     0     0     0          0          0 1795556584',
      '        11         11   600          10          1     0     0     0     0     0     0          0          0 1795556584',
    ],
  }));
  assert.deepEqual(snap.sems.map((s) => s.id), [2]);
  assert.deepEqual(snap.shms.map((s) => s.id), [8]);
  assert.deepEqual(snap.msgs.map((s) => s.id), [11]);
  const msg = (id: number) => snap.errors.find((e) => e.id === id)?.error;
  assert.match(msg(1)!.message, /column nsems is 1000000000000, outside 0\.\.32000 \(the most the kernel can report: SEMMSL\)/);
  assert.equal(msg(1)!.code, 'EPARSE');
  assert.match(msg(3)!.message, /column nsems is -4, outside/);
  assert.match(msg(4)!.message, /column uid is 99999999999, outside 0\.\.4294967295/);
  assert.match(msg(5)!.message, /column perms is 77777, more than the 12 mode bits/);
  assert.match(msg(6)!.message, /column cpid is 1099511627776, outside 0\.\.4194304/);
  assert.match(msg(7)!.message, /column size is not an integer/);
  assert.match(msg(9)!.message, /column qnum is -2, outside/);
  assert.match(msg(10)!.message, /column cbytes is 99999999999, outside/);
});

test('a host whose SEMMSL is above the default admits its bigger sets (never past the kernel\'s allocation bound)', () => {
  const snap = parse(doc({
    semLimit: '65000 1024000000 500 32000',
    sem: [
      '         1          1   600      50000     0     0     0     0          0 1795556584',
      '         2          2   600 1000000000     0     0     0     0          0 1795556584',
    ],
  }));
  assert.deepEqual(snap.sems.map((s) => [s.id, s.nsems]), [[1, 50000]]);
  assert.match(snap.errors[0].error.message, /column nsems is 1000000000, outside 0\.\.65000/);
  // the local /proc reader applies the same ceilings
  assert.deepEqual(parseProcSem(`${SEM_HEAD}\n 1 1 600 50000 0 0 0 0 0 1`).items, []);
  assert.equal(parseProcSem(`${SEM_HEAD}\n 1 1 600 50000 0 0 0 0 0 1\n`, undefined, { semmsl: 65000 }).items[0].nsems, 50000);
});

test('duplicate ids: every row of that id is left out with an EPARSE (nothing says which one is true)', () => {
  const sem = parseProcSem([SEM_HEAD, ' 1 5 600 1 0 0 0 0 0 1', ' 2 5 600 2 0 0 0 0 0 1', ' 3 6 600 1 0 0 0 0 0 1', ''].join('\n'), 'h:/proc/sysvipc/sem');
  assert.deepEqual(sem.items.map((s) => s.id), [6]);
  assert.equal(sem.errors.length, 1);
  assert.match(sem.errors[0].error.message, /^h:\/proc\/sysvipc\/sem line 3: id 5 appears on lines 2, 3; all of them are ignored$/);
  assert.deepEqual(parseProcShm([SHM_HEAD, ' 1 7 600 1 1 1 0 0 0 0 0 0 0 1 0 0', ' 1 7 600 1 1 1 0 0 0 0 0 0 0 1 0 0', ''].join('\n')).items, []);
  assert.deepEqual(parseProcMsg([MSG_HEAD, ' 1 8 600 0 0 0 0 0 0 0 0 0 0 1', ' 1 8 600 0 0 0 0 0 0 0 0 0 0 1', ''].join('\n')).items, []);
});

test('/dev/shm lines: out-of-range uid or mode, 400-digit sizes, duplicate paths are EPARSE; fractional mtimes (find %T@) are read; the probe\'s count of files not listed is a warning', () => {
  const snap = parse(doc({
    devshm: [
      '0 0 644 32 1795556584.1234567890 40 2 /dev/shm/sem.orders',
      '99999999999 0 644 3 1795556584 40 3 /dev/shm/a',
      '0 0 177777 3 1795556584 40 4 /dev/shm/b',
      `0 0 644 ${'9'.repeat(400)} 1795556584 40 5 /dev/shm/c`,
      '0 0 644 3 1795556584 40 6 /dev/shm/d',
      '0 0 644 3 1795556584 40 7 /dev/shm/d',
      '0 0 600 32 1795556584 40 8 /dev/shm/sem.noperl',
    ],
    total: 100000,
    semBytes: ['2 0300000000000000800000000000000000000000000000000000000000000000'],
    maps: ['! cut 12345'],
  }));
  assert.deepEqual(snap.posixShms.map((s) => s.name), ['/d']);
  assert.deepEqual(snap.posixSems.map((s) => [s.name, s.mtime, s.decoded?.value]), [['/noperl', 1795556584, undefined], ['/orders', 1795556584, 3]]);
  const lines = snap.errors.filter((e) => e.error.op === 'devshm').map((e) => e.error.message);
  assert.equal(lines.length, 4, lines.join('\n'));
  assert.ok(lines.some((l) => /uid\/gid out of range in \/dev\/shm line/.test(l)));
  assert.ok(lines.some((l) => /mode out of range in \/dev\/shm line/.test(l)));
  assert.ok(lines.some((l) => /unreadable \/dev\/shm line "0 0 644 9999/.test(l)));
  assert.ok(lines.some((l) => /duplicate \/dev\/shm line "0 0 644 3 1795556584 40 7 \/dev\/shm\/d"/.test(l)));
  assert.ok(snap.warnings.includes('/dev/shm: 100,000 files; 7 listed (the first by name: 2 sem.*, 5 others), 99,993 more not listed (the probe\'s bound per snapshot)'), snap.warnings.join('\n'));
  assert.ok(snap.warnings.some((w) => /12345 line\(s\) were left out/.test(w)));
  const noperl = parse(doc({ devshm: ['0 0 600 32 1795556584 40 8 /dev/shm/sem.x'], semBytes: ['! no-perl'] })).posixSems[0];
  assert.equal(noperl.decodeError?.code, 'ENOTSUP');
  assert.match(noperl.decodeError!.message, /the host has no perl/);
});

test('ipcs -s -i rows past the kernel\'s range (value > SEMVMX, pid > 2^22): EPARSE for that set', () => {
  const head = 'semnum     value      ncount     zcount     pid';
  const ok = parseIpcsSemI(`${head}\n0 1 0 0 100\n1 32767 0 0 4194304`, 3, 'h');
  assert.ok(Array.isArray(ok));
  const v = parseIpcsSemI(`${head}\n0 99999 0 0 100`, 3, 'h');
  assert.ok(!Array.isArray(v) && v.code === 'EPARSE' && /value out of the kernel's range/.test(v.message));
  const p = parseIpcsSemI(`${head}\n0 1 0 0 5000000`, 3, 'h');
  assert.ok(!Array.isArray(p) && /pid out of the kernel's range/.test(p.message));
});

test('FreeBSD/macOS ipcs rows: NSEMS, pids and sizes past the kernel\'s range are that row\'s EPARSE', () => {
  const listing = [
    'Semaphores:',
    'T           ID          KEY MODE        OWNER    GROUP    CREATOR  CGROUP         NSEMS    OTIME    CTIME',
    's        65536      5432001 --rw-------  postgres postgres postgres postgres 1000000000000 no-entry 10:00:00',
    's        65537      5432002 --rw-------  postgres postgres postgres postgres    17 no-entry 10:00:00',
  ].join('\n');
  const r = parseIpcsListing(listing, { ids: { users: { postgres: 70 }, groups: { postgres: 70 } } });
  assert.deepEqual(r.sems.map((s) => s.id), [65537]);
  assert.match(r.errors[0].error.message, /column NSEMS is 1000000000000, above 32000/);
});

test('FreeBSD/macOS ipcs rows sharing one id: all of them are left out with an EPARSE', () => {
  const listing = [
    'Shared Memory:',
    'T           ID          KEY MODE        OWNER    GROUP    CREATOR  CGROUP NATTCH        SEGSZ         CPID         LPID ATIME    DTIME    CTIME',
    'm        65536      5432001 --rw-------     root    wheel     root    wheel      0         4096          100          100 no-entry no-entry 10:00:00',
    'm        65536      5432009 --rw-------     root    wheel     root    wheel      0         8192          101          101 no-entry no-entry 10:00:01',
    'm        65537      5432002 --rw-------     root    wheel     root    wheel      0         4096          100          100 no-entry no-entry 10:00:00',
  ].join('\n');
  const r = parseIpcsListing(listing, { ids: { users: { root: 0 }, groups: { wheel: 0 } } });
  assert.deepEqual(r.shms.map((s) => s.id), [65537]);
  assert.match(r.errors[0].error.message, /line 4: id 65536 appears on lines 3, 4; all of them are ignored$/);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { capacity } from '../../../extension/domain/capacity';
import {
  buildBsdLimits, ipcsSemLimits, parseIpcsLimitBlocks, parseIpcsListing, parseModeString, parseSysctlLines, parseUtcOffset,
  timeOfDayToEpoch,
} from '../../../extension/domain/ipcsParser';
import { deriveUsage } from '../../../extension/domain/procParser';

// Real FreeBSD 11 outputs (copied from shared/fixtures/freebsd as published, see its README).
const fx = (f: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'freebsd', f), 'utf8');
// 2017-07-14 14:00:00 UTC; the host runs UTC.
const clock = { now: Date.UTC(2017, 6, 14, 14, 0, 0) / 1000, utcOffsetSeconds: 0 };

test('FreeBSD ipcs -a: every segment and set, nothing dropped', () => {
  const r = parseIpcsListing(fx('ipcs-a.txt'), { clock, source: 'ipcs -a' });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.msgs.length, 0);
  assert.equal(r.shms.length, 13);
  assert.equal(r.sems.length, 16);
  assert.equal(r.approximateTimes, true);
  const pgShm = r.shms[0];
  assert.deepEqual(
    { ...pgShm, atime: 0, dtime: 0, ctime: 0 },
    {
      kind: 'shm', id: 458752, key: 0, uid: 770, gid: 770, cuid: 770, cgid: 770, mode: 0o600, segsz: 48,
      cpid: 21599, lpid: 21599, nattch: 190, atime: 0, dtime: 0, ctime: 0, dest: false, locked: false,
    },
  );
  // " 8:14:33" on the day of `now` (before 14:00): the same day
  assert.equal(pgShm.atime, Date.UTC(2017, 6, 14, 8, 14, 33) / 1000);
  assert.equal(pgShm.dtime, Date.UTC(2017, 6, 14, 13, 47, 36) / 1000);
  // `no-entry` is never (0)
  const zabbix = r.shms.find((s) => s.id === 524296)!;
  assert.equal(zabbix.dtime, 0);
  assert.equal(zabbix.segsz, 16777216);
  assert.equal(zabbix.cpid, 22711);
  assert.equal(r.sems.filter((s) => s.uid === 770).length, 14);
  assert.ok(r.sems.filter((s) => s.uid === 770).every((s) => s.nsems === 17 && s.mode === 0o600));
  assert.deepEqual(r.sems.filter((s) => s.uid === 122).map((s) => [s.id, s.nsems]), [[589838, 14], [589839, 14]]);
  assert.equal(r.sems[0].otime, Date.UTC(2017, 6, 14, 13, 47, 25) / 1000);
});

test('FreeBSD ipcs -ma and -as (single sections) parse the same rows', () => {
  const m = parseIpcsListing(fx('ipcs-ma.txt'), { clock });
  assert.deepEqual(m.errors, []);
  assert.equal(m.shms.length, 13);
  assert.equal(m.sems.length, 0);
  assert.equal(m.shms.reduce((a, s) => a + s.segsz, 0), 48 + 16777216 * 3 + 8388608 + 456340276 + 80530636 + 36252 + 536870912 + 4194304 + 57042535 + 10066329 + 24408);
  const s = parseIpcsListing(fx('ipcs-as.txt'), { clock });
  assert.deepEqual(s.errors, []);
  assert.equal(s.sems.length, 16);
  assert.equal(s.sems.reduce((a, x) => a + x.nsems, 0), 14 * 17 + 2 * 14);
  // 17:26:50 is after `now` (14:00) on that day, so it was yesterday
  assert.equal(s.sems[0].otime, Date.UTC(2017, 6, 13, 17, 26, 50) / 1000);
});

test('without a host clock, printed times are 0 with a warning (the date is not in the output)', () => {
  const r = parseIpcsListing(fx('ipcs-as.txt'));
  assert.equal(r.approximateTimes, false);
  assert.ok(r.sems.every((s) => s.otime === 0 && s.ctime === 0));
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /time of day only/);
});

test('FreeBSD ipcs -M / -S limit blocks and sysctl kern.ipc lines give the same semaphore limits', () => {
  const blocks = parseIpcsLimitBlocks(fx('ipcs-M.txt') + fx('ipcs-S.txt'));
  const sysctl = parseSysctlLines(fx('sysctl-kern.ipc-sem.txt'));
  for (const k of ['semmni', 'semmns', 'semmsl', 'semopm', 'semvmx']) assert.equal(blocks[k], sysctl[k], k);
  assert.equal(blocks.shmmax, 536870912);
  assert.equal(blocks.shmall, 4097152);
  assert.equal(blocks.shmmni, 192);
  assert.equal(blocks.shmmin, 1);
  const { limits, missing } = buildBsdLimits(blocks, { pagesize: 4096 });
  assert.deepEqual(missing, ['msgmax', 'msgmnb', 'msgmni']);
  assert.equal(limits.semmni, 50);
  assert.equal(limits.semmns, 340);
  assert.equal(limits.semmsl, 340);
  assert.equal(limits.pageSize, 4096);
});

// Real macOS outputs (test/fixtures/macos/README.md names each source).
const mac = (f: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'macos', f), 'utf8');

test('macOS ipcs -m -a (real Ventura capture): every column of the seven segments, an owner filling its field, a SEGSZ wider than its field, space-padded times', () => {
  // 2024-02-20 11:56:41 PST, the capture's own header
  const r = parseIpcsListing(mac('ipcs-ma.txt'), { clock: { now: Date.UTC(2024, 1, 20, 19, 56, 41) / 1000, utcOffsetSeconds: -8 * 3600 }, source: 'ipcs -m -a' });
  assert.deepEqual(r.errors, []);
  // Apple's ipcs prints names, never ids: said once, not guessed
  assert.deepEqual(r.warnings, ['ipcs -m -a: owner/group names without a known id (shown as -1): eswenson, staff']);
  assert.deepEqual(r.shms.map((m) => [m.id, m.segsz, m.cpid, m.lpid, m.nattch, m.mode]), [
    [65536, 4194304, 60021, 60021, 0, 0o600], [327681, 4194304, 93476, 93479, 0, 0o600], [458754, 4194304, 93664, 93667, 0, 0o600],
    [327683, 5416, 93476, 93652, 0, 0o600], [131076, 4016, 93476, 93650, 0, 0o600], [196613, 4194304, 93676, 93679, 0, 0o600],
    [131078, 5416, 93664, 93669, 0, 0o600],
  ]);
  assert.ok(r.shms.every((m) => m.key === 0));
  // " 8:29:08" PST is earlier that day; 17:48:52 PST is later than the capture's 11:56:41, so the day before
  assert.equal(r.shms[0].ctime, Date.UTC(2024, 1, 20, 16, 29, 8) / 1000);
  assert.equal(r.shms[1].dtime, Date.UTC(2024, 1, 21, 1, 48, 52) / 1000 - 86400);
});

test('macOS ipcs -M (real capture): the five shminfo limits, header line ignored', () => {
  assert.deepEqual(parseIpcsLimitBlocks(mac('ipcs-M.txt')), { shmmax: 4194304, shmmin: 1, shmmni: 32, shmseg: 8, shmall: 1024 });
});

test('macOS sysctl kern.sysv semaphore lines (real Leopard capture): semmni, semmns, semmnu, semmsl, semume; the kern.posix and security.mac lines are not limits', () => {
  assert.deepEqual(parseSysctlLines(mac('sysctl-sem.txt')), { semume: 10, semmsl: 87381, semmnu: 87381, semmns: 87381, semmni: 87381 });
  assert.deepEqual(parseSysctlLines(mac('sysctl-shm.txt')), { shmmax: 4194304, shmmin: 1, shmmni: 32, shmseg: 8, shmall: 1024 });
});

test('macOS ipcs -S (real capture) is xnu\'s allocation counters: only semopm and semvmx are limits there; FreeBSD\'s ipcs -S is all limits', () => {
  const S = parseIpcsLimitBlocks(mac('ipcs-S.txt'));
  assert.deepEqual([S.semmni, S.semmns, S.semmnu, S.semmsl, S.semopm, S.semume, S.semvmx], [8, 64, 32, 87381, 5, 10, 32767]);
  assert.deepEqual(ipcsSemLimits(S, 'darwin'), { semopm: 5, semvmx: 32767 });
  const bsd = parseIpcsLimitBlocks(fx('ipcs-S.txt'));
  assert.equal(ipcsSemLimits(bsd, 'freebsd'), bsd);
  // the probe's merge order (ipcs -M, ipcs -S, ipcs -Q, sysctl): every macOS limit the captures print
  const { limits, missing } = buildBsdLimits(
    parseIpcsLimitBlocks(mac('ipcs-M.txt')), ipcsSemLimits(S, 'darwin'), parseSysctlLines(mac('sysctl-shm.txt') + mac('sysctl-sem.txt')),
  );
  assert.deepEqual(missing, ['msgmax', 'msgmnb', 'msgmni']);
  assert.deepEqual(
    [limits.semmni, limits.semmns, limits.semmsl, limits.semmnu, limits.semume, limits.semopm, limits.semvmx, limits.shmmax, limits.shmmin, limits.shmmni, limits.shmseg, limits.shmall],
    [87381, 87381, 87381, 87381, 10, 5, 32767, 4194304, 1, 32, 8, 1024],
  );
  // without the sysctl lines, the allocation counters do not become limits
  const bare = buildBsdLimits(parseIpcsLimitBlocks(mac('ipcs-M.txt')), ipcsSemLimits(S, 'darwin'));
  assert.deepEqual([bare.limits.semmni, bare.limits.semmns, bare.limits.semmsl, bare.limits.semume], [undefined, undefined, undefined, undefined]);
  assert.deepEqual(bare.missing, ['semmsl', 'semmns', 'semmni', 'msgmax', 'msgmnb', 'msgmni']);
});

test('the ENOSPC story in numbers: 16 sets use 266 of SEMMNS 340, a PostgreSQL set of 17 more still fits, SEMMNI at 32%', () => {
  const r = parseIpcsListing(fx('ipcs-a.txt'), { clock });
  const { limits } = buildBsdLimits(parseIpcsLimitBlocks(fx('ipcs-M.txt') + fx('ipcs-S.txt')));
  const usage = deriveUsage(r.sems, r.shms, r.msgs, limits.pageSize);
  const rows = capacity({ ...r, limits, usage, platform: 'freebsd' });
  const semmns = rows.find((x) => x.name === 'SEMMNS')!;
  assert.equal(semmns.used, 266);
  assert.equal(semmns.limit, 340);
  assert.ok(Math.abs(semmns.percent! - 78.235) < 0.01);
  assert.match(semmns.raise!, /kern\.ipc\.semmns/);
  const semmni = rows.find((x) => x.name === 'SEMMNI')!;
  assert.deepEqual([semmni.used, semmni.limit, semmni.percent], [16, 50, 32]);
  const shmmax = rows.find((x) => x.name === 'SHMMAX')!;
  assert.equal(shmmax.used, 536870912);
  assert.equal(shmmax.percent, 100);
});

test('macOS ipcs -a (header before the section title, hex keys, D flag, names)', () => {
  const text = [
    'IPC status from <running system> as of Tue Nov 24 21:00:00 UTC 2026',
    'T     ID     KEY        MODE       OWNER    GROUP  CREATOR   CGROUP CBYTES  QNUM QBYTES LSPID LRPID   STIME    RTIME    CTIME ',
    'Message Queues:',
    'q  65536 0x0000162e --rw-rw----    alice    staff    alice    staff      5     1   2048   301     0 20:59:00 no-entry 20:58:00',
    '',
    'T     ID     KEY        MODE       OWNER    GROUP  CREATOR   CGROUP NATTCH  SEGSZ  CPID  LPID   ATIME    DTIME    CTIME ',
    'Shared Memory:',
    'm  65537 0x0001e240 D-rw-------      501       20      501       20      1   4096   400   400 20:00:00 no-entry 19:00:00',
    '',
    'T     ID     KEY        MODE       OWNER    GROUP  CREATOR   CGROUP  NSEMS   OTIME    CTIME ',
    'Semaphores:',
    's  65538 0xffffffff --ra-ra-ra-      501       20      501       20      3 no-entry 18:00:00',
    's  65539 0x00000000 --rw-------      501       20      501       20      2 no-entry 18:00:00',
    's  65540 0x00000000 --rw-------      501       20      501       20      x no-entry 18:00:00',
  ].join('\n');
  const r = parseIpcsListing(text, {
    clock: { now: Date.UTC(2026, 10, 24, 21, 0, 0) / 1000, utcOffsetSeconds: 0 },
    ids: { users: { alice: 501 }, groups: { staff: 20 } },
  });
  assert.equal(r.msgs.length, 1);
  assert.equal(r.msgs[0].key, 0x162e);
  assert.equal(r.msgs[0].uid, 501);
  assert.equal(r.msgs[0].gid, 20);
  assert.equal(r.msgs[0].mode, 0o660);
  assert.equal(r.msgs[0].cbytes, 5);
  assert.equal(r.msgs[0].rtime, 0);
  assert.equal(r.shms[0].dest, true);
  assert.equal(r.shms[0].mode, 0o1600);
  assert.equal(r.shms[0].key, 0x1e240);
  // `a` (alter) reads as write permission
  assert.deepEqual(r.sems.map((s) => [s.id, s.key, s.mode, s.nsems]), [[65538, -1, 0o666, 3], [65539, 0, 0o600, 2]]);
  assert.equal(r.sems[0].ctime, Date.UTC(2026, 10, 24, 18, 0, 0) / 1000);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].error.message, /line 14: column NSEMS is not a number/);
  assert.equal(r.errors[0].id, 65540);
});

test('unknown owner names become -1 with one warning', () => {
  const r = parseIpcsListing(
    'T ID KEY MODE OWNER GROUP CREATOR CGROUP NSEMS OTIME CTIME\ns 1 5 --rw------- bob wheel bob wheel 1 no-entry no-entry\n',
  );
  assert.deepEqual(r.errors, []);
  assert.equal(r.sems[0].uid, -1);
  assert.equal(r.sems[0].gid, -1);
  assert.ok(r.warnings.some((w) => /bob, wheel/.test(w)));
});

test('malformed listing: short rows, junk lines, rows before a header are EPARSE errors with line numbers', () => {
  const r = parseIpcsListing(
    [
      's 1 0 --rw------- 0 0 0 0 1 no-entry no-entry',
      'Semaphores:',
      'T ID KEY MODE OWNER GROUP CREATOR CGROUP NSEMS OTIME CTIME',
      's 2 0 --rw------- 0 0 0 0',
      'garbage here',
      's 3 0 --rw------- 0 0 0 0 1 25:61:00 no-entry',
      's 4 0 --rw------- 0 0 0 0 1 no-entry no-entry',
    ].join('\n'),
  );
  assert.deepEqual(r.sems.map((s) => s.id), [4]);
  assert.deepEqual(
    r.errors.map((e) => /line (\d+)/.exec(e.error.message)![1]),
    ['1', '4', '5', '6'],
  );
  assert.ok(r.errors.every((e) => e.error.code === 'EPARSE'));
});

test('a KEY no ipcs prints (more than 10 digits, beyond 32 bits) is an EPARSE row, never wrapped around to another key', () => {
  const header = ['Semaphores:', 'T ID KEY MODE OWNER GROUP CREATOR CGROUP NSEMS OTIME CTIME'];
  for (const key of ['4294967296', '99999999999', '-2147483649', '0x100000000', '1' + '0'.repeat(400)]) {
    const r = parseIpcsListing([...header, `s 5 ${key} --rw------- 0 0 0 0 1 no-entry no-entry`].join('\n'));
    assert.deepEqual(r.sems, [], key.slice(0, 20));
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.error.message, /KEY is not a number/);
  }
  // what ipcs does print: hex, and decimals of a signed or unsigned key
  const ok = parseIpcsListing([...header, ...['0x82c6ac16', '5432001', '-1', '4294967295'].map((k, i) => `s ${i} ${k} --rw------- 0 0 0 0 1 no-entry no-entry`)].join('\n'));
  assert.deepEqual(ok.sems.map((s) => s.key), [-2100909034, 5432001, -1, -1]);
});

test('empty input gives nothing', () => {
  assert.deepEqual(parseIpcsListing(''), { sems: [], shms: [], msgs: [], errors: [], warnings: [], approximateTimes: false });
  assert.deepEqual(parseIpcsLimitBlocks(''), {});
  assert.deepEqual(parseSysctlLines(''), {});
});

test('macOS sysctl kern.sysv and helpers', () => {
  const v = parseSysctlLines('kern.sysv.shmmax: 4194304\nkern.sysv.shmmin: 1\nkern.sysv.shmmni: 32\nkern.sysv.shmseg: 8\nkern.sysv.shmall: 1024\nkern.sysv.semmni: 87381\nkern.sysv.semmns: 87381\nkern.sysv.semmnu: 87381\nkern.sysv.semmsl: 87381\nkern.sysv.semume: 10\nhw.pagesize: 16384\n');
  const { limits } = buildBsdLimits(v);
  assert.equal(limits.shmmax, 4194304);
  assert.equal(limits.shmall, 1024);
  assert.equal(limits.semmsl, 87381);
  assert.equal(limits.pageSize, 16384);
  assert.equal(parseUtcOffset('+0100'), 3600);
  assert.equal(parseUtcOffset('-05:30'), -19800);
  assert.equal(parseUtcOffset('bad'), undefined);
  assert.deepEqual(parseModeString('--rw-------'), { mode: 0o600, flags: '' });
  assert.deepEqual(parseModeString('RS-w--w----'), { mode: 0o220, flags: 'RS' });
  assert.equal(parseModeString('-rw-------'), undefined);
  // with a UTC+2 host at 01:00 local, 23:30 local is yesterday
  const now = Date.UTC(2026, 0, 2, 23, 0, 0) / 1000; // 01:00 on Jan 3 at +0200
  assert.equal(timeOfDayToEpoch('23:30:00', { now, utcOffsetSeconds: 7200 }), Date.UTC(2026, 0, 2, 21, 30, 0) / 1000);
  assert.equal(timeOfDayToEpoch('no-entry', undefined), 0);
  assert.equal(timeOfDayToEpoch('1:2:3', undefined), undefined);
});

test('a shm listing with pids but without NATTCH (ipcs -mp) lists no segment as unattached: each row is an error saying why; other missing columns read as 0 with a warning', () => {
  const text = [
    'Shared Memory:',
    'T           ID          KEY MODE        OWNER    GROUP  CPID  LPID',
    'm        65537      5432001 --rw-------      501       20   400   400',
    'Semaphores:',
    'T           ID          KEY MODE        OWNER    GROUP',
    's        65538      5432001 --rw-------      501       20',
  ].join('\n');
  const r = parseIpcsListing(text);
  assert.deepEqual(r.shms, []);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0].kind, 'shm');
  assert.equal(r.errors[0].id, 65537);
  assert.match(r.errors[0].error.message, /has pids but no NATTCH column: whether the segment is attached is unknown/);
  // a set without NSEMS is still listed (its size reads 0 and the warning says the column is missing)
  assert.deepEqual(r.sems.map((s) => [s.id, s.nsems]), [[65538, 0]]);
  assert.ok(r.warnings.some((w) => w.includes('sem listing has no NSEMS column')), r.warnings.join('\n'));
});

test('a plain shm listing (no pids, no NATTCH) still lists its segments: nothing there could prove one unused', () => {
  const r = parseIpcsListing(['Shared Memory:', 'T     ID     KEY        MODE       OWNER    GROUP', 'm 458752 0x00000000 --rw-------      501       20'].join('\n'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.shms.map((m) => [m.id, m.cpid, m.lpid]), [[458752, 0, 0]]);
  assert.ok(r.warnings.some((w) => w.includes('shm listing has no NATTCH column')), r.warnings.join('\n'));
});

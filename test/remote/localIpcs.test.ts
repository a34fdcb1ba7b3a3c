/**
 * The LOCAL source on FreeBSD and macOS, on this Linux machine: the platform is injected and the tools the
 * probe runs are stand-ins first on PATH (`uname`, `hostname`, `ipcs`, `sysctl`, and an `ipcrm` that only
 * records its argv), printing REAL outputs of those systems (test/fixtures/freebsd, test/fixtures/macos).
 * The probe is the SSH path's constant script run by a local `/bin/sh -s`; sh, awk, date, ps, kill are
 * this machine's. No kernel object is touched: the stand-in ipcrm removes nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalSource } from '../../extension/backend/localSource';
import { IpcError } from '../../extension/domain/errors';
import { capacity } from '../../extension/domain/capacity';
import { diagnoseSemget, formatDiagnosis } from '../../extension/domain/doctor';
import { pgDefaults } from '../../extension/domain/pgSizing';
import { prepareRecycle } from '../../extension/backend/recycleExecutor';
import { freebsdStandIn } from './sshdHarness';

let dir = '';
let bin = '';
let argvLog = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-local-bsd-'));
  freebsdStandIn(dir);
  bin = path.join(dir, 'freebsd-bin');
  argvLog = path.join(dir, 'ipcrm-argv');
  // records each call's argv, one line per call, and succeeds: nothing is removed anywhere
  fs.writeFileSync(path.join(bin, 'ipcrm'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexit 0\n`, { mode: 0o755 });
});

/**
 * macOS stand-ins: `ipcs -a` prints `listing` from test/fixtures/macos: `ipcs-a.txt` (the columns of Apple's
 * `ipcs -a`, rows derived from the source's printf formats around the objects of a real OS X capture; a file
 * `ctime-changed` in the stand-in's directory makes it print a later CTIME for segment 458752) or `ipcs.txt`
 * (the real capture, fewer columns). `ipcs -M` and `ipcs -S` print real captures (`ipcs-M.txt`, `ipcs-S.txt`:
 * the latter's semmni 8 / semmns 64 are what xnu had allocated, not limits); `ipcs -Q` fails, as an ipcs
 * without a capture of it would. `sysctl kern.sysv` prints the `kern.sysv.` lines of the real captures
 * `sysctl-shm.txt` and (unless `semSysctl` is false) `sysctl-sem.txt`. `uname` is the stand-in's own
 * (Darwin 13, the OS X of that capture's date).
 */
function macosBin(listing = 'ipcs-a.txt', semSysctl = true): string {
  const mac = path.join(dir, `macos-bin-${listing}${semSysctl ? '' : '-no-sem-sysctl'}`);
  const F = path.resolve(__dirname, '..', 'fixtures', 'macos');
  fs.mkdirSync(mac, { recursive: true });
  const w = (name: string, body: string) => fs.writeFileSync(path.join(mac, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  w('uname', 'case "$*" in -s) echo Darwin ;; *) echo "Darwin 13.0.0 x86_64" ;; esac');
  w('hostname', 'echo mikulas-mac');
  // rows: m ID KEY MODE OWNER GROUP CREATOR CGROUP NATTCH SEGSZ CPID LPID ATIME DTIME CTIME
  //       q ID KEY MODE OWNER GROUP CREATOR CGROUP CBYTES QNUM QBYTES LSPID LRPID STIME RTIME CTIME
  // a file `queue-pids` ("LSPID LRPID") makes it print those pids in the queue's row
  w('ipcs', `case "$*" in -a) awk -v changed="$(test -e '${mac}/ctime-changed' && echo 1)" -v qpids="$(cat '${mac}/queue-pids' 2>/dev/null)" 'changed && $1 == "m" && $2 == "458752" { sub(/19:58:02$/, "20:12:50") } qpids != "" && $1 == "q" { split(qpids, p, " "); $12 = p[1]; $13 = p[2] } { print }' '${F}/${listing}' ;; -M) cat '${F}/ipcs-M.txt' ;; -S) cat '${F}/ipcs-S.txt' ;; *) echo "ipcs: no captured output for $*" >&2; exit 1 ;; esac`);
  w('sysctl', `case "$*" in kern.sysv) grep -h '^kern\\.sysv\\.' '${F}/sysctl-shm.txt' ${semSysctl ? `'${F}/sysctl-sem.txt'` : ''} ;; *) exit 1 ;; esac`);
  fs.copyFileSync(path.join(bin, 'ipcrm'), path.join(mac, 'ipcrm'));
  return mac;
}

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const freebsd = () => new LocalSource({ platform: 'freebsd', probe: { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } } });
const calls = (): string[] => (fs.existsSync(argvLog) ? fs.readFileSync(argvLog, 'utf8').split('\n').filter(Boolean) : []);

test('freebsd local: the probe runs as a local sh, parsed by the SSH path\'s parser: objects, limits, process facts from ps', async () => {
  const src = freebsd();
  assert.equal(src.mode, 'ipcs');
  const s = await src.snapshot();
  assert.equal(s.host, 'local');
  assert.equal(s.source, 'ipcs');
  assert.equal(s.platform, 'freebsd');
  assert.equal(s.kernel, '11.2-RELEASE-p4');
  assert.equal(s.shms.length, 13);
  assert.equal(s.sems.length, 16);
  assert.equal(s.sems[0].id, 458752);
  assert.equal(s.sems[0].nsems, 17);
  assert.equal(s.limits.semmni, 50);
  assert.equal(s.limits.semmns, 340);
  assert.equal(s.limits.shmmax, 536870912);
  // the fixture's creator pid does not exist here: ps says so, no /proc is read for it
  assert.equal(s.processes[22110]?.alive, false);
  assert.equal(src.probeProcesses, true);
  await src.close();
});

test('freebsd local: Diagnose ENOSPC answers from the probed limits (266 of 340 semaphores in use: five more 17-sets fail on SEMMNS)', async () => {
  const src = freebsd();
  const s = await src.snapshot();
  const d = diagnoseSemget(s, new Map(), { nsems: 17, sets: 5 });
  assert.equal(d.usage.semaphores, 14 * 17 + 2 * 14);
  assert.equal(d.wouldSucceed, false);
  assert.deepEqual(d.blockedBy, ['SEMMNS']);
  assert.ok(d.advice.some((a) => /kern\.ipc\.semmns=.*\/boot\/loader\.conf/.test(a)), d.advice.join('\n'));
  assert.ok(!d.advice.some((a) => /kernel\.sem/.test(a)), d.advice.join('\n'));
  await src.close();
});

test('freebsd local: removal is unlocked check-then-ipcrm; a changed ctime is refused before ipcrm runs, the planned one runs `ipcrm -s ID`', async () => {
  const src = freebsd();
  const s = await src.snapshot();
  const mode = await src.removalMode!();
  assert.equal(mode.mode, 'unlocked');
  assert.match(mode.detail, /check-then-ipcrm, no lock/);
  const set = s.sems[0];
  fs.rmSync(argvLog, { force: true });
  await assert.rejects(src.remove('sem', set.id, { key: set.key, ctime: set.ctime + 1 }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /ctime is now 8:14:33/.test(e.message));
  await assert.rejects(src.remove('sem', set.id, { key: set.key + 1, ctime: set.ctime }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /key is now/.test(e.message));
  assert.deepEqual(calls(), []);
  await assert.rejects(src.remove('msg', 65536, { key: 1, ctime: 1 }), (e: unknown) => e instanceof IpcError && /queues stay on freebsd/.test(e.message));
  assert.deepEqual(calls(), []);
  await src.remove('sem', set.id, { key: set.key, ctime: set.ctime });
  assert.deepEqual(calls(), [`-s ${set.id}`]);
  await src.close();
});

const darwin = (listing?: string, semSysctl = true) => new LocalSource({ platform: 'darwin', probe: { env: { ...process.env, PATH: `${macosBin(listing, semSysctl)}:/usr/bin:/bin` } } });

test('darwin local: Apple\'s `ipcs -a` columns parsed (hex keys, CREATOR, NATTCH, CPID/LPID, space-padded and no-entry times), no column reported missing; every limit `ipcs -M`, `ipcs -S` and `sysctl kern.sysv` report', async () => {
  const src = darwin();
  assert.equal(src.mode, 'ipcs');
  const s = await src.snapshot();
  assert.equal(s.platform, 'darwin');
  assert.equal(s.source, 'ipcs');
  assert.deepEqual(s.msgs.map((m) => [m.id, m.key, m.qbytes, m.lspid]), [[65536, 0x41046f6a, 2048, 0]]);
  assert.deepEqual(s.shms.map((m) => [m.id, m.key, m.mode, m.nattch, m.segsz, m.cpid, m.lpid]), [[458752, 0, 0o600, 0, 65536, 512, 530], [65538, 0x4d04006c, 0o660, 1, 4096, 97, 97]]);
  assert.deepEqual(s.sems.map((m) => [m.id, m.key, m.mode, m.nsems]), [[65536, 0x0b048802, 0o666, 3]]);
  // CTIME is a time of day (placed on the most recent day it fits): 19:58:02 and the space-padded " 8:01:15"
  // are 11 h 55 min 47 s apart on the clock
  assert.equal((((s.shms[0].ctime - s.shms[1].ctime) % 86400) + 86400) % 86400, (19 * 3600 + 58 * 60 + 2) - (8 * 3600 + 60 + 15));
  assert.equal(s.shms[1].dtime, 0, 'no-entry is no time');
  assert.deepEqual(s.warnings.filter((w) => /has no .* column|expected \d+ columns/.test(w)), []);
  assert.deepEqual(s.errors ?? [], []);
  // sysctl kern.sysv (xnu's limitseminfo and shminfo), ipcs -M; from ipcs -S only what xnu enforces from there
  const L = s.limits;
  assert.deepEqual([L.semmni, L.semmns, L.semmsl, L.semmnu, L.semume], [87381, 87381, 87381, 87381, 10]);
  assert.deepEqual([L.semopm, L.semvmx], [5, 32767]);
  assert.deepEqual([L.shmmax, L.shmmin, L.shmmni, L.shmseg, L.shmall], [4194304, 1, 32, 8, 1024]);
  // only the message-queue limits are missing (no ipcs -Q capture; macOS has no sysctl for them)
  assert.deepEqual(s.warnings.filter((w) => /limits not reported/.test(w)), ['limits not reported by this host (left out of the limits): msgmax, msgmnb, msgmni']);
  // absent, not 0: no reader can take a value for the kernel's
  assert.deepEqual([L.msgmax, L.msgmnb, L.msgmni], [undefined, undefined, undefined]);
  assert.deepEqual(['msgmax', 'msgmnb', 'msgmni'].filter((k) => k in L), []);
  // the capacity rows and their help name macOS's own sysctls and when they take effect
  const rows = capacity(s);
  const row = (n: string) => rows.find((r) => r.name === n)!;
  assert.deepEqual([row('SEMMNS').limit, row('SEMUME').limit, row('SEMMNU').limit, row('SHMSEG').limit], [87381, 10, 87381, 8]);
  assert.equal(row('SEMMNS').used, 3);
  // the limits macOS did not report have no row (not a 1/0 against a 0 that is not the kernel's)
  assert.deepEqual(rows.filter((r) => r.kind === 'msg').map((r) => r.name), []);
  assert.match(row('SEMMNS').raise!, /^put kern\.sysv\.semmns=N in \/etc\/sysctl\.conf \(or a LaunchDaemon plist that runs sysctl at boot\) and reboot: .*"Invalid argument"/);
  assert.match(row('SHMMNI').raise!, /kern\.sysv\.shmmni=N in \/etc\/sysctl\.conf .*reboot.*"Operation not permitted"/);
  assert.match(row('SHMMAX').raise!, /^sudo sysctl -w kern\.sysv\.shmmax=BYTES .*takes effect at once/);
  assert.match(row('SHMSEG').raise!, /kern\.sysv\.shmseg=N/);
  assert.match(row('SEMOPM').raise!, /no sysctl/);
  // the listing's pids are asked of ps (this machine's), never guessed
  assert.equal(s.processes[512]?.alive, fs.existsSync('/proc/512'));
  const mode = await src.removalMode!();
  assert.equal(mode.mode, 'unlocked');
  assert.match(mode.queuesStay ?? '', /queues stay on darwin/);
  await src.close();
});

test('darwin local: removal re-checks the `ipcs -a` row on the host: a changed CTIME, key, NATTCH or CPID is refused before ipcrm runs; the planned segment is removed by exactly `ipcrm -m 458752`, once', async () => {
  const src = darwin();
  const s = await src.snapshot();
  const seg = s.shms.find((m) => m.id === 458752)!;
  const plan = { key: seg.key, ctime: seg.ctime, nattchZero: true, cpid: seg.cpid, lpid: seg.lpid };
  fs.rmSync(argvLog, { force: true });
  // the segment replaced between the plan and the removal: the host prints a later CTIME
  const changed = path.join(dir, 'macos-bin-ipcs-a.txt', 'ctime-changed');
  fs.writeFileSync(changed, '');
  await assert.rejects(src.remove('shm', seg.id, plan), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /ctime is now 20:12:50/.test(e.message));
  fs.rmSync(changed);
  await assert.rejects(src.remove('shm', seg.id, { ...plan, key: 0x1234 }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /key is now 0x00000000/.test(e.message));
  await assert.rejects(src.remove('shm', seg.id, { ...plan, cpid: 513 }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /cpid is now 512/.test(e.message));
  // an attached segment (65538, NATTCH 1) planned as detached
  const att = s.shms.find((m) => m.id === 65538)!;
  await assert.rejects(src.remove('shm', att.id, { key: att.key, ctime: att.ctime, nattchZero: true }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /nattch is now 1/.test(e.message));
  await assert.rejects(src.remove('msg', 65536, { key: 0x41046f6a, ctime: s.msgs[0].ctime }), (e: unknown) => e instanceof IpcError && /queues stay on darwin/.test(e.message));
  assert.deepEqual(calls(), [], 'ipcrm never ran');
  await src.remove('shm', seg.id, plan);
  assert.deepEqual(calls(), ['-m 458752']);
  await src.close();
});

test('darwin local: the probe asks ps about a queue\'s LSPID and LRPID (the `-a` row\'s 12th and 13th fields), not LRPID and STIME', async () => {
  const src = darwin();
  const pids = path.join(dir, 'macos-bin-ipcs-a.txt', 'queue-pids');
  // a sender that is this test process (alive) and a receiver that was started and reaped (gone)
  const gone = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
  fs.writeFileSync(pids, `${process.pid} ${gone}`);
  try {
    const s = await src.snapshot();
    assert.deepEqual(s.msgs.map((m) => [m.lspid, m.lrpid]), [[process.pid, gone]]);
    assert.equal(s.processes[process.pid]?.alive, true, JSON.stringify(Object.keys(s.processes)));
    assert.equal(s.processes[gone]?.alive, fs.existsSync(`/proc/${gone}`));
  } finally {
    fs.rmSync(pids);
    await src.close();
  }
});

test('darwin local: a real Ventura `ipcs -m -a` capture as the listing: seven segments, their CPID/LPID asked of ps; a segment planned from it is removed by exactly `ipcrm -m 327681`, a changed LPID refused first', async () => {
  const src = darwin('ipcs-ma.txt');
  const s = await src.snapshot();
  assert.deepEqual(s.shms.map((m) => m.id), [65536, 327681, 458754, 327683, 131076, 196613, 131078]);
  assert.deepEqual([s.sems.length, s.msgs.length], [0, 0]);
  assert.deepEqual(s.warnings.filter((w) => /has no .* column|expected \d+ columns/.test(w)), []);
  for (const pid of [60021, 93476, 93479, 93679]) assert.equal(s.processes[pid]?.alive, fs.existsSync(`/proc/${pid}`), String(pid));
  const seg = s.shms.find((m) => m.id === 327681)!;
  const plan = { key: seg.key, ctime: seg.ctime, nattchZero: true, cpid: seg.cpid, lpid: seg.lpid };
  fs.rmSync(argvLog, { force: true });
  await assert.rejects(src.remove('shm', seg.id, { ...plan, lpid: 93478 }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /lpid is now 93479/.test(e.message));
  assert.deepEqual(calls(), []);
  await src.remove('shm', seg.id, plan);
  assert.deepEqual(calls(), ['-m 327681']);
  await src.close();
});

test('darwin local: an `ipcs` that prints no CTIME column (the real OS X capture) refuses every removal: nothing to re-verify, ipcrm never runs', async () => {
  const src = darwin('ipcs.txt');
  const s = await src.snapshot();
  assert.deepEqual(s.sems.map((m) => [m.id, m.key, m.mode]), [[65536, 0x0b048802, 0o666]]);
  assert.ok(s.warnings.some((w) => /listing has no CTIME column/.test(w)), s.warnings.join('\n'));
  fs.rmSync(argvLog, { force: true });
  await assert.rejects(src.remove('sem', 65536, { key: 0x0b048802, ctime: s.sems[0].ctime }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /no known CTIME/.test(e.message));
  await assert.rejects(src.remove('shm', 458752, { key: 0, ctime: s.shms[0].ctime, nattchZero: true }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /no known CTIME/.test(e.message));
  assert.deepEqual(calls(), []);
  await src.close();
});

test('darwin local: Diagnose ENOSPC answers from the kern.sysv limits: SEMMNI 87381 is not capped at Linux\'s IPCMNI; a request past SEMMNS is blocked with macOS\'s boot-time advice', async () => {
  const src = darwin();
  const s = await src.snapshot();
  const ok = diagnoseSemget(s, new Map(), { nsems: 17, sets: 5 });
  assert.equal(ok.wouldSucceed, true);
  assert.deepEqual(ok.unknownLimits, []);
  assert.deepEqual(ok.checks.map((c) => c.text), [
    'SEMMSL 87381: 17 semaphores per set fit',
    'SEMMNI 87381: 1 sets in use, 87380 free, 5 needed',
    'SEMMNS 87381: 3 semaphores in use, 87378 free, 85 needed',
  ]);
  assert.match(formatDiagnosis(ok), /^Would semget\(key, 17\) x 5 succeed\? YES$/m);
  // 5140 sets of 17 (87380 semaphores) next to the 3 in use: one more than SEMMNS 87381
  const bad = diagnoseSemget(s, new Map(), { nsems: 17, sets: 5140 });
  assert.equal(bad.wouldSucceed, false);
  assert.deepEqual(bad.blockedBy, ['SEMMNS']);
  const raise = bad.advice.find((a) => /raise the limits/.test(a)) ?? '';
  assert.match(raise, /^or raise the limits at boot: put kern\.sysv\.semmsl=87381, kern\.sysv\.semmns=87383, kern\.sysv\.semmni=87381 in \/etc\/sysctl\.conf \(or a LaunchDaemon plist that runs sysctl at boot\) and reboot \(now 87381 87381 87381\); .*sysctl -w answers "Invalid argument"\.$/);
  assert.ok(!bad.advice.some((a) => /sudo sysctl -w|kernel\.sem|loader\.conf/.test(a)), bad.advice.join('\n'));
  await src.close();
});

test('darwin local: `ipcs -S` answering without `sysctl kern.sysv` semaphore lines: its semmni 8 / semmns 64 (what xnu had allocated) are not taken as limits; Diagnose ENOSPC says it cannot tell, names the sysctls to read, and blames no limit', async () => {
  const src = darwin(undefined, false);
  const s = await src.snapshot();
  assert.deepEqual([s.limits.semmni, s.limits.semmns, s.limits.semmsl, s.limits.semmnu, s.limits.semume], [undefined, undefined, undefined, undefined, undefined]);
  assert.equal(s.limits.semopm, 5);
  assert.ok(s.warnings.some((w) => /limits not reported by this host.*semmsl, semmns, semmni/.test(w)), s.warnings.join('\n'));
  const d = diagnoseSemget(s, new Map(), { nsems: 17, sets: 5 });
  assert.equal(d.wouldSucceed, false, 'never claimed');
  assert.deepEqual(d.blockedBy, [], 'no limit is blamed on a value that was not read');
  assert.deepEqual(d.unknownLimits, ['SEMMSL', 'SEMMNI', 'SEMMNS']);
  assert.ok(d.checks.every((c) => c.unknown && c.errno === undefined));
  assert.match(d.advice[0], /^cannot tell whether semget\(key, 17\) x 5 would succeed: this host did not report SEMMSL, SEMMNI, SEMMNS .*sysctl kern\.sysv\.semmsl kern\.sysv\.semmni kern\.sysv\.semmns$/);
  assert.ok(!d.advice.some((a) => /sysctl -w|now 0 0 0/.test(a)), d.advice.join('\n'));
  assert.match(formatDiagnosis(d), /^Would semget\(key, 17\) x 5 succeed\? UNKNOWN - not reported by this host: SEMMSL, SEMMNI, SEMMNS$/m);
  // PostgreSQL's sizing against the same unreported limits: no "BAD ... (limit 0)", no "fits now: no"
  const pg = diagnoseSemget(s, new Map(), { nsems: 17, sets: 7, pg: pgDefaults(16) });
  assert.ok(pg.pg!.checks.every((c) => c.unknown && !c.ok && c.limitValue === null), JSON.stringify(pg.pg!.checks));
  assert.equal(pg.pg!.ok, false, 'never claimed to fit');
  assert.equal(pg.pg!.unknown, true);
  const text = formatDiagnosis(pg);
  assert.match(text, /^ {2}\? {3}SEMMNI: needs \d+, limit not reported by this host: cannot tell$/m);
  assert.match(text, /^ {2}fits now: cannot tell; after recycling: cannot tell$/m);
  assert.doesNotMatch(text, /BAD|limit 0\)|\bNaN\b|undefined/);
  // FreeBSD reports them: an answer, not "unknown"
  const bsd = await freebsd().snapshot();
  assert.deepEqual(diagnoseSemget(bsd, new Map(), { nsems: 17, sets: 5 }).unknownLimits, []);
  await src.close();
});

test('freebsd local: the recycle plan (prepareRecycle, as the Recycle command builds it) says unlocked check-then-ipcrm and that queues stay', async () => {
  const src = freebsd();
  const p = await prepareRecycle(src, {});
  assert.equal(p.snapshot.platform, 'freebsd');
  assert.equal(p.plan.removal?.mode, 'unlocked');
  assert.match(p.plan.removal?.detail ?? '', /check-then-ipcrm, no lock: not Linux/);
  assert.match(p.plan.removal?.queuesStay ?? '', /queues stay on freebsd/);
  await src.close();
});


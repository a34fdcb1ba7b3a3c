/**
 * The LOCAL source on FreeBSD and macOS, on this Linux machine: the platform is injected and the tools the
 * probe runs are stand-ins first on PATH (`uname`, `hostname`, `ipcs`, `sysctl`, and an `ipcrm` that only
 * records its argv), printing REAL outputs of those systems (test/fixtures/freebsd, test/fixtures/macos).
 * The probe is the SSH path's constant script run by a local `/bin/sh -s`; sh, awk, date, ps, kill are
 * this machine's. No kernel object is touched: the stand-in ipcrm removes nothing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalSource } from '../../extension/backend/localSource';
import { IpcError } from '../../extension/domain/errors';
import { diagnoseSemget, formatDiagnosis } from '../../extension/domain/doctor';
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
 * macOS stand-ins: `ipcs -a` prints the real OS X `ipcs` capture (test/fixtures/macos/README.md: no public
 * full-column `-a` capture was found), `ipcs -M/-S/-Q` fail as an ipcs without them would, `sysctl kern.sysv`
 * prints the real default shm lines. `uname` is the stand-in's own (Darwin 13, the OS X of that capture's date).
 */
function macosBin(): string {
  const mac = path.join(dir, 'macos-bin');
  const F = path.resolve(__dirname, '..', 'fixtures', 'macos');
  fs.mkdirSync(mac, { recursive: true });
  const w = (name: string, body: string) => fs.writeFileSync(path.join(mac, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  w('uname', 'case "$*" in -s) echo Darwin ;; *) echo "Darwin 13.0.0 x86_64" ;; esac');
  w('hostname', 'echo mikulas-mac');
  w('ipcs', `case "$*" in -a) cat '${F}/ipcs.txt' ;; *) echo "ipcs: no captured output for $*" >&2; exit 1 ;; esac`);
  w('sysctl', `case "$*" in kern.sysv) cat '${F}/sysctl-shm.txt' ;; *) exit 1 ;; esac`);
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

test('darwin local: the real OS X ipcs listing and sysctl kern.sysv shm lines; sem limits not reported are said so, not invented', async () => {
  const src = new LocalSource({ platform: 'darwin', probe: { env: { ...process.env, PATH: `${macosBin()}:/usr/bin:/bin` } } });
  assert.equal(src.mode, 'ipcs');
  const s = await src.snapshot();
  assert.equal(s.platform, 'darwin');
  assert.equal(s.source, 'ipcs');
  assert.deepEqual(s.msgs.map((m) => [m.id, m.key]), [[65536, 0x41046f6a]]);
  assert.deepEqual(s.shms.map((m) => [m.id, m.key, m.mode]), [[458752, 0, 0o600], [65538, 0x4d04006c, 0o660]]);
  assert.deepEqual(s.sems.map((m) => [m.id, m.key, m.mode]), [[65536, 0x0b048802, 0o666]]);
  assert.equal(s.limits.shmmax, 4194304);
  assert.equal(s.limits.shmmni, 32);
  assert.equal(s.limits.shmall, 1024);
  assert.ok(s.warnings.some((w) => /limits not reported by this host.*semmni/.test(w)), s.warnings.join('\n'));
  // no CTIME column in this listing: nothing to re-verify on the host, so nothing is removed and ipcrm never runs
  fs.rmSync(argvLog, { force: true });
  await assert.rejects(src.remove('sem', 65536, { key: 0x0b048802, ctime: s.sems[0].ctime }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /no known CTIME/.test(e.message));
  assert.deepEqual(calls(), []);
  const mode = await src.removalMode!();
  assert.equal(mode.mode, 'unlocked');
  assert.match(mode.queuesStay ?? '', /queues stay on darwin/);
  await src.close();
});

test('darwin local: Diagnose ENOSPC on a listing without semaphore limits says it cannot tell, names the sysctls to read, and blames no limit', async () => {
  const src = new LocalSource({ platform: 'darwin', probe: { env: { ...process.env, PATH: `${macosBin()}:/usr/bin:/bin` } } });
  const s = await src.snapshot();
  const d = diagnoseSemget(s, new Map(), { nsems: 17, sets: 5 });
  assert.equal(d.wouldSucceed, false, 'never claimed');
  assert.deepEqual(d.blockedBy, [], 'no limit is blamed on a value that was not read');
  assert.deepEqual(d.unknownLimits, ['SEMMSL', 'SEMMNI', 'SEMMNS']);
  assert.ok(d.checks.every((c) => c.unknown && c.errno === undefined));
  assert.match(d.advice[0], /^cannot tell whether semget\(key, 17\) x 5 would succeed: this host did not report SEMMSL, SEMMNI, SEMMNS .*sysctl kern\.sysv\.semmsl kern\.sysv\.semmni kern\.sysv\.semmns$/);
  assert.ok(!d.advice.some((a) => /sysctl -w|now 0 0 0/.test(a)), d.advice.join('\n'));
  assert.match(formatDiagnosis(d), /^Would semget\(key, 17\) x 5 succeed\? UNKNOWN - not reported by this host: SEMMSL, SEMMNI, SEMMNS$/m);
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

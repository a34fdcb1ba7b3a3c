/**
 * The long-lived remote `sh` (extension/remote/remoteShell.ts) against a real sshd on 127.0.0.1 whose
 * sessions start through root's real login shell (bash), which reads ~/.bashrc at every session start. In
 * that host's private mount namespace an rc file of this test is bound over /root/.bashrc (the machine's
 * own file is untouched). The rc file logs each session start
 * (so the tests count sessions) and, while a flag file exists, prints noise on stdout and stderr, including
 * text shaped like the frames. The same sshd puts a directory of this test first on `PATH`, where `uname`
 * waits at a gate file while the gate is closed (the probe calls it first: a refresh is held in the middle
 * for as long as the test needs) and `sudo` is a stand-in (no sudo is installed here) that drops `-n` and
 * runs the command, logging each start.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { parseHostSpec } from '../../extension/remote/hostName';
import { parseProbe } from '../../extension/domain/probeParser';
import { probeScript } from '../../extension/remote/probeScript';
import { SshRunner } from '../../extension/remote/sshRunner';
import { SshSource } from '../../extension/remote/sshSource';
import { IpcError } from '../../extension/domain/errors';
import type { IpcSnapshot } from '../../extension/shared/model';
import { SshdHarness, descendants } from './sshdHarness';
import { needs } from '../helpers/capabilities';

const sshd = needs('sshd');

let h: SshdHarness;
let dir: string;
const closers: Array<{ close(): Promise<void> }> = [];

const sessionsLog = () => path.join(dir, 'sessions.log');
const sessionStarts = () => (fs.existsSync(sessionsLog()) ? fs.readFileSync(sessionsLog(), 'utf8').split('\n').filter(Boolean).length : 0);

function dest(spec: string) {
  const d = parseHostSpec(spec);
  assert.ok(d.ok);
  return d.value;
}

function source(opts: ConstructorParameters<typeof SshSource>[1] = {}): SshSource {
  const s = new SshSource(dest('r'), { configFile: h.configFile, connectTimeoutSec: 5, ...opts });
  closers.push(s);
  return s;
}

function runner(s: SshSource): SshRunner {
  return (s as unknown as { runner: SshRunner }).runner;
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  h = new SshdHarness();
  dir = path.join(h.dir, 'rc');
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  const rc = path.join(dir, 'rc.sh');
  fs.writeFileSync(rc, [
    `echo "$$" >> '${dir}/sessions.log'`,
    `if [ -e '${dir}/noisy' ]; then`,
    // a partial line, then lines shaped like every frame marker and like a probe document
    '  printf "Welcome to db1 (pyenv init)"',
    '  printf "\\n@@ipcx-ready 00000000000000000000000000000000 1\\n@@ipcx-begin 00000000000000000000000000000000\\n@@ipcx-probe 1\\n@@end\\n"',
    '  printf "\\n@@ipcx-end 00000000000000000000000000000000 0\\n"',
    '  printf "rc: warning on stderr\\n@@ipcx-begin 00000000000000000000000000000000\\n" >&2',
    'fi',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'bin', 'uname'), [
    '#!/bin/sh',
    `if [ ! -e '${dir}/gate' ]; then touch '${dir}/held'; while [ ! -e '${dir}/gate' ]; do sleep 0.02; done; fi`,
    'exec /bin/uname "$@"',
    '',
  ].join('\n'), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'bin', 'sudo'), [
    '#!/bin/sh',
    '# stand-in: no sudo is installed on this machine',
    `echo "$*" >> '${dir}/sudo.log'`,
    '[ "$1" = -n ] && shift',
    'exec "$@"',
    '',
  ].join('\n'), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'gate'), '');
  const host = await h.startHost('r', { sshdConfig: [`SetEnv PATH=${path.join(dir, 'bin')}:/usr/sbin:/usr/bin:/sbin:/bin`] });
  const bind = host.exec('mount', ['--bind', rc, '/root/.bashrc']);
  assert.equal(bind.status, 0, bind.stderr);
  h.addAlias('r', 'r');
  const ipcMake = buildC('ipc_make');
  for (const args of [['sem', '-n', '3', '-s', '4', '-v', 'p'], ['shm', '-n', '2', '-s', '4096'], ['msg', '-n', '1']]) {
    const r = h.hosts.get('r')!.exec(ipcMake, args);
    assert.equal(r.status, 0, r.stderr + r.stdout);
  }
});

after(async () => {
  for (const c of closers) await c.close();
  await h?.stopAll();
});

/** what two snapshots of one unchanged host must agree on (not clocks, not the probe's own processes). */
function comparable(s: IpcSnapshot) {
  return {
    source: s.source, host: s.host, platform: s.platform, uid: s.uid, kernel: s.kernel, ipcNamespace: s.ipcNamespace,
    sems: s.sems, shms: s.shms, msgs: s.msgs, posixSems: s.posixSems, posixShms: s.posixShms, limits: s.limits,
    warnings: s.warnings, errors: (s as { errors?: unknown }).errors,
  };
}

test('refreshes run in one remote sh: no new session (no login shell) after the first, results equal a fresh session\'s', sshd, async () => {
  const s = source();
  const before = sessionStarts();
  const first = await s.snapshot();
  assert.equal(sessionStarts(), before + 1, 'the first refresh starts one session');
  const pid = runner(s).shellInfo()?.remotePid;
  assert.ok(pid && descendants(h.hosts.get('r')!.pid).includes(pid), 'the remote sh runs under the sshd this test started');
  const again = await s.snapshot();
  const values = await s.semDetail(first.sems.map((x) => x.id));
  const third = await s.snapshot();
  assert.equal(sessionStarts(), before + 1, 'later refreshes and value reads start no session');
  assert.equal(runner(s).shellInfo()?.remotePid, pid);
  assert.equal(first.sems.length, 3);
  assert.equal(values.size, 3);
  for (const v of values.values()) assert.ok(Array.isArray(v) && v.length === 4, JSON.stringify(v));
  // the same probe in a session of its own, parsed the same way
  const fresh = await runner(s).runOnce(probeScript());
  assert.equal(sessionStarts(), before + 2);
  const p = parseProbe(fresh.stdout, { host: 'r' });
  assert.ok(p.ok, p.ok ? '' : p.error.message);
  for (const x of [first, again, third]) assert.deepEqual(comparable(x), comparable(p.value.snapshot));
});

test('an rc file that prints noise (frame-shaped text included) on stdout and stderr does not corrupt frames', sshd, async () => {
  const quiet = source();
  const clean = await quiet.snapshot();
  fs.writeFileSync(path.join(dir, 'noisy'), '');
  try {
    // a session of its own sees the noise in front of the document (what every refresh saw before)
    const once = await runner(quiet).runOnce(probeScript());
    assert.match(once.stdout, /^Welcome to db1/);
    assert.equal(parseProbe(once.stdout, { host: 'r' }).ok, false);
    const s = source();
    for (let i = 0; i < 2; i++) {
      const snap = await s.snapshot();
      assert.deepEqual(comparable(snap), comparable(clean));
      assert.equal(s.status().error, undefined);
    }
    const r = await runner(s).run('echo out; echo err >&2\n');
    assert.deepEqual([r.stdout, r.stderr, r.code], ['out\n', 'err\n', 0]);
  } finally {
    fs.rmSync(path.join(dir, 'noisy'));
  }
});

test('output holding an earlier request\'s frame markers, no final newline, stderr and an exit status come back exactly', sshd, async () => {
  const s = source();
  const run = runner(s);
  await run.run('true\n');
  const b = run.shellInfo()!.lastBoundary!;
  assert.match(b, /^[0-9a-f]{32}$/);
  // the script prints the previous request's markers, at line starts, on both streams
  const printed = `x\n@@ipcx-end ${b} 0\n@@ipcx-begin ${b}\n@@ipcx-eof ${b}\n\n@@ipcx-end ${b} 0\ntail without newline`;
  const r = await run.run(`printf '%s' '${printed}'\nprintf '%s' '${printed}' >&2\nexit 3\n`);
  assert.notEqual(run.shellInfo()!.lastBoundary, b, 'each request has its own boundary');
  assert.equal(r.stdout, printed);
  assert.equal(r.stderr, printed);
  assert.equal(r.code, 3);
  // 3 MB in one frame, then the session still answers a probe
  const big = await run.run("head -c 3000000 /dev/zero | tr '\\000' x\n");
  assert.equal(big.stdout.length, 3_000_000);
  assert.ok(/^x+$/.test(big.stdout));
  const snap = await s.snapshot();
  assert.equal(snap.sems.length, 3);
});

test('the remote sh killed (by its pid) in the middle of a refresh: that refresh fails clearly, the next one starts a new sh and says nothing alarming', sshd, async () => {
  const s = source();
  const first = await s.snapshot();
  const old = runner(s).shellInfo()!;
  assert.ok(old.remotePid && descendants(h.hosts.get('r')!.pid).includes(old.remotePid), 'a process this test started (under its sshd)');
  const gate = path.join(dir, 'gate');
  const held = path.join(dir, 'held');
  fs.rmSync(held, { force: true });
  fs.rmSync(gate);
  let pending: Promise<IpcSnapshot> | undefined;
  try {
    pending = s.snapshot();
    // the probe is now waiting in `uname`, inside the long-lived sh's request
    for (const until = Date.now() + 60_000; !fs.existsSync(held); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > until) throw new Error('the probe did not reach the gate within 60 s');
    }
    process.kill(old.remotePid, 'SIGKILL');
  } finally {
    fs.writeFileSync(gate, '');
  }
  const e = await pending!.then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof IpcError, String(e));
  assert.equal(e.code, 'ESSH');
  assert.match(e.message, /connection was lost/);
  const before = sessionStarts();
  const next = await s.snapshot();
  assert.equal(sessionStarts(), before + 1, 'one new session');
  assert.notEqual(runner(s).shellInfo()?.remotePid, old.remotePid);
  assert.deepEqual(comparable(next), comparable(first));
  assert.deepEqual(next.warnings, first.warnings);
  assert.equal(s.status().state, 'connected');
  assert.equal(s.status().error, undefined);
});

test('sudo hosts use one long-lived `sudo -n sh -s` (a stand-in sudo: none is installed here); closing the host ends the remote sh', sshd, async () => {
  fs.rmSync(path.join(dir, 'sudo.log'), { force: true });
  const s = new SshSource(dest('r'), { configFile: h.configFile, connectTimeoutSec: 5, sudo: true });
  const a = await s.snapshot();
  const b = await s.snapshot();
  const v = await s.semDetail([a.sems[0].id]);
  assert.deepEqual(comparable(b), comparable(a));
  assert.ok(Array.isArray(v.get(a.sems[0].id)));
  assert.deepEqual(fs.readFileSync(path.join(dir, 'sudo.log'), 'utf8'), '-n sh -s\n', 'sudo started once, with -n');
  const info = runner(s).shellInfo(true)!;
  assert.ok(info.remotePid && info.localPid);
  assert.equal(runner(s).shellInfo(false), undefined);
  await s.close();
  // both ends are gone: our ssh client (killed by its pid) and, its input closed, the sh on the host
  for (const pid of [info.localPid, info.remotePid]) await gone(pid, 30_000);
});

test('requests made at once queue on the one remote sh; an unused sh ends after persistSec and the next request starts another', sshd, async () => {
  const s = source({ persistSec: 1 });
  const first = await s.snapshot();
  const pid = runner(s).shellInfo()!.remotePid!;
  const starts = sessionStarts();
  const [a, v, b] = await Promise.all([s.snapshot(), s.semDetail(first.sems.map((x) => x.id)), s.snapshot()]);
  assert.equal(sessionStarts(), starts, 'no new session for requests made at once');
  assert.deepEqual(comparable(a), comparable(first));
  assert.deepEqual(comparable(b), comparable(first));
  assert.equal(v.size, first.sems.length);
  // unused for persistSec (1 s): the shell on the host ends (its input closed)
  await gone(pid, 30_000);
  assert.equal(runner(s).shellInfo(), undefined);
  const again = await s.snapshot();
  assert.equal(sessionStarts(), starts + 1);
  assert.notEqual(runner(s).shellInfo()?.remotePid, pid);
  assert.deepEqual(comparable(again), comparable(first));
});

/** waits until `pid` has exited (or is a zombie), at most `ms`. */
async function gone(pid: number, ms: number): Promise<void> {
  for (const until = Date.now() + ms; fs.existsSync(`/proc/${pid}`) && !/^\S+ \S+ Z/.test(statOf(pid)); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > until) throw new Error(`pid ${pid} still runs after ${ms} ms`);
  }
}

function statOf(pid: number): string {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid} x ${st.slice(st.lastIndexOf(')') + 2)}`;
  } catch {
    return '';
  }
}

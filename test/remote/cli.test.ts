/**
 * `ipcx ... --host DEST` (repeatable) against real sshds on 127.0.0.1: two loopback hosts and the FreeBSD
 * stand-in (see freebsd.test.ts) in one run, one unreachable host that never hides the others, and
 * hostile destinations refused before any ssh is started (a fake `ssh` first on PATH records any start).
 * Runs the bundled dist/ipcx.js (built if missing), which also proves the probe ships inside the bundle.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import type { IpcSnapshot } from '../../extension/shared/model';
import { SshdHarness, freePort, freebsdStandIn } from './sshdHarness';
import { needs } from '../helpers/capabilities';

const sshd = needs('sshd');

const root = path.resolve(__dirname, '..', '..');
const ipcx = path.join(root, 'dist', 'ipcx.js');
let h: SshdHarness;

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [ipcx, ...args], {
    encoding: 'utf8',
    env: { ...process.env, IPCX_SSH_CONFIG: h.configFile, IPCX_SSH_TIMEOUT_SECONDS: '20', ...env },
    maxBuffer: 64 << 20,
  });
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  if (!fs.existsSync(ipcx)) {
    const b = spawnSync(process.execPath, [path.join(root, 'tools', 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
  }
  const ipcMake = buildC('ipc_make');
  h = new SshdHarness();
  await h.startHost('a');
  await h.startHost('b');
  h.addAlias('hostA', 'a');
  h.addAlias('hostB', 'b');
  h.addForcedAlias('freebsd', 'a', freebsdStandIn(h.dir));
  h.addAlias('down', 'a', { port: await freePort() });
  assert.equal(h.hosts.get('a')!.exec(ipcMake, ['sem', '-n', '2', '-s', '3']).status, 0);
  // host B also holds a PostgreSQL-like set left by a dead process (semnum 16 = 537, last-op pid dead)
  assert.equal(h.hosts.get('b')!.exec(ipcMake, ['sem', '-n', '1', '-s', '17', '-v', [...Array(16).fill('0'), '537'].join(','), '-k', '5432001']).status, 0);
  assert.equal(h.hosts.get('b')!.exec(ipcMake, ['sem', '-n', '7', '-s', '1']).status, 0);
});

after(async () => {
  await h?.stopAll();
});

test('ipcx snapshot --json --host A --host B --host freebsd: one snapshot per host', sshd, () => {
  const r = run(['snapshot', '--json', '--host', 'hostA', '--host', 'hostB', '--host', 'freebsd']);
  assert.equal(r.status, 0, r.stderr);
  const docs = JSON.parse(r.stdout) as IpcSnapshot[];
  assert.deepEqual(docs.map((d) => [d.host, d.source, d.platform, d.sems.length]), [
    ['hostA', 'ssh-linux', 'linux', 2],
    ['hostB', 'ssh-linux', 'linux', 8],
    ['freebsd', 'ssh-ipcs', 'freebsd', 16],
  ]);
  assert.equal(docs[2].limits.semmni, 50);
});

test('one unreachable host shows its error and does not hide the others', sshd, () => {
  const r = run(['snapshot', '--json', '--host', 'hostA', '--host', 'down']);
  assert.equal(r.status, 3, r.stderr);
  const docs = JSON.parse(r.stdout) as ({ host: string; error?: { code: string } } & Partial<IpcSnapshot>)[];
  assert.equal(docs[0].sems?.length, 2);
  assert.equal(docs[1].error?.code, 'ESSH');
  assert.match(r.stderr, /ipcx: down: .*Connection refused.*sshd running/);
  const t = run(['limits', '--host', 'freebsd']);
  assert.equal(t.status === 0 || t.status === 3, true, t.stderr);
  assert.match(t.stdout, /semmni|SEMMNI/i);
});

test('hostile --host values are refused with a usage error; ssh is never started', sshd, () => {
  const fakeBin = path.join(h.dir, 'fakebin');
  fs.mkdirSync(fakeBin, { recursive: true });
  const marker = path.join(h.dir, 'ssh-was-started');
  fs.writeFileSync(path.join(fakeBin, 'ssh'), `#!/bin/sh\ntouch '${marker}'\nexit 255\n`, { mode: 0o755 });
  const pwned = path.join(h.dir, 'pwned');
  for (const bad of [`-oProxyCommand=touch ${pwned}`, `-oProxyCommand=touch_${pwned}`, 'host name', 'a\nb', '-F/dev/null', 'x@-oProxyCommand=id']) {
    const r = run(['snapshot', `--host=${bad}`], { PATH: `${fakeBin}:${process.env.PATH}` });
    assert.equal(r.status, 2, `${JSON.stringify(bad)}: ${r.stderr}`);
    assert.match(r.stderr, /refusing host name|not a valid|starts with "-"/);
  }
  // sanity: the fake ssh IS what a valid host would start
  const ok = run(['snapshot', '--host', 'hostA'], { PATH: `${fakeBin}:${process.env.PATH}` });
  assert.notEqual(ok.status, 0);
  assert.equal(fs.existsSync(marker), true, 'the fake ssh records starts');
  fs.rmSync(marker);
  for (const bad of [`-oProxyCommand=touch ${pwned}`]) run(['snapshot', '--host', bad], { PATH: `${fakeBin}:${process.env.PATH}` });
  assert.equal(fs.existsSync(marker), false, 'no ssh was started for a hostile name');
  assert.equal(fs.existsSync(pwned), false);
  assert.equal(fs.existsSync('/tmp/pwned'), false);
});

test('ipcx recycle --host: the plan removes nothing; --yes removes only the dead set, audited with the host', sshd, () => {
  const rows = () => h.hosts.get('b')!.exec('cat', ['/proc/sysvipc/sem']).stdout.trim().split('\n').length - 1;
  assert.equal(rows(), 8);
  const audit = path.join(h.dir, 'audit.jsonl');
  const plan = run(['recycle', '--json', '--host', 'hostB', '--min-age', '0', '--recent', '0', '--audit', audit]);
  assert.equal(plan.status, 0, plan.stderr);
  const p = JSON.parse(plan.stdout) as { plan: { candidates: { key: number }[]; removal?: { mode: string } } };
  assert.deepEqual(p.plan.candidates.map((c) => c.key), [5432001]);
  assert.equal(p.plan.removal?.mode, 'locked', 'the plan names the removal mode the host got (perl is there)');
  assert.equal(rows(), 8, 'a plan removes nothing');
  const done = run(['recycle', '--json', '--yes', '--host', 'hostB', '--min-age', '0', '--recent', '0', '--audit', audit]);
  assert.equal(done.status, 0, done.stderr);
  assert.equal(rows(), 7);
  const recs = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { host: string; action: string; removalMode?: string });
  // a locked removal journals its intent first (the lock journal); an unlocked one has no lock to journal
  assert.deepEqual(recs.filter((r) => r.action !== 'intent').map((r) => [r.host, r.action, r.removalMode]), [['hostB', 'removed', 'locked']]);
});

/**
 * Failure modes against a real sshd on 127.0.0.1: hosts that answer garbage, 100 MB, or nothing (stand-in
 * behaviours via an authorized_keys `command=` for a dedicated key: still a real sshd and a real session),
 * an sshd stopped in the middle of a refresh and started again, refused connections, unknown host keys,
 * keys the host refuses, and hostile host names that must never reach ssh.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { parseHostSpec } from '../../extension/remote/hostName';
import { probeScript } from '../../extension/remote/probeScript';
import { IpcError } from '../../extension/domain/errors';
import { SshdHarness, freePort } from './sshdHarness';
import { needs } from '../helpers/capabilities';

const sshd = needs('sshd');

let h: SshdHarness;

async function rejection(p: Promise<unknown>): Promise<IpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof IpcError, `expected an IpcError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  h = new SshdHarness();
  await h.startHost('s');
  h.addAlias('good', 's');
  // these answer without waiting for the end of their input: IPC Explorer keeps a session's input open for
  // the next request, so a host that reads all of it before answering runs into the time limit
  h.addForcedAlias('garbage', 's', '#!/bin/sh\nprintf "HTTP/1.1 200 OK\\r\\n\\r\\n<html>not a probe</html>\\n"\n');
  h.addForcedAlias('huge', 's', '#!/bin/sh\nexec head -c 100000000 /dev/zero\n');
  h.addForcedAlias('silent', 's', '#!/bin/sh\nexec sleep 600\n');
  // the real probe's document, cut short, in a session that then ends
  fs.writeFileSync(path.join(h.dir, 'probe.sh'), probeScript());
  h.addForcedAlias('truncated', 's', `#!/bin/sh\nsh -s < '${h.dir}/probe.sh' | head -n 12\n`);
  // a real login whose session says it started, then runs the probe only once the gate file exists: a test
  // removes the gate to hold a refresh in the middle (after the login shell's own startup) for as long as it
  // needs, whatever the scheduler does, and stops sshd there
  fs.writeFileSync(path.join(h.dir, 'slow-gate'), '');
  h.addForcedAlias('slow', 's', `#!/bin/sh\ntouch '${h.dir}/slow-started'\nwhile [ ! -e '${h.dir}/slow-gate' ]; do sleep 0.02; done\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`);
  h.addForcedAlias('badversion', 's', '#!/bin/sh\necho "@@ipcx-probe 9"; echo "@@end"\n');
  // an alias whose key is not in authorized_keys: the host refuses it
  const stranger = path.join(h.dir, 'stranger_ed25519');
  fs.writeFileSync(path.join(h.dir, 'stranger.conf'), '');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
  h.addAlias('stranger', 's', { identity: stranger });
  h.addAlias('closed', 's', { port: await freePort() });
});

after(async () => {
  await h?.stopAll();
});

test('a host answering garbage: a clear EPARSE for that host, nothing parsed', sshd, async () => {
  const e = await rejection(h.source('garbage').snapshot());
  assert.equal(e.code, 'EPARSE');
  assert.match(e.message, /^garbage: the output is not an ipcx-probe document; it starts with "HTTP\/1.1 200 OK/);
  assert.ok(e.hint);
  const v = await rejection(h.source('badversion').snapshot());
  assert.match(v.message, /version 9/);
  const t = await rejection(h.source('truncated').snapshot());
  assert.equal(t.code, 'EPARSE');
  assert.match(t.message, /cut short/);
});

test('a host answering 100 MB: the ssh we started is killed at the size limit, clear error', sshd, async () => {
  const s = h.source('huge', { maxOutputBytes: 8 * 1024 * 1024 });
  const started = Date.now();
  const e = await rejection(s.snapshot());
  assert.equal(e.code, 'EPARSE');
  assert.match(e.message, /more than 8 MiB; the ssh process was stopped/);
  assert.equal(s.status().state, 'error');
  assert.equal(s.status().error?.code, 'EPARSE');
  assert.ok(Date.now() - started < 60_000);
});

test('a host answering nothing: timeout, the ssh we started is killed, clear ETIMEDOUT', sshd, async () => {
  const s = h.source('silent', { timeoutMs: 1500 });
  const e = await rejection(s.snapshot());
  assert.equal(e.code, 'ETIMEDOUT');
  assert.match(e.message, /no complete answer within 1.5 s \(the ssh process was stopped\)/);
  assert.match(e.hint ?? '', /sshTimeoutSeconds/);
});

test('keys the host refuses, unknown host keys and closed ports map to ESSH with a hint', sshd, async () => {
  const auth = await rejection(h.source('stranger').snapshot());
  assert.equal(auth.code, 'ESSH');
  assert.equal(auth.op, 'auth');
  assert.match(auth.message, /Permission denied \(publickey\)/);
  assert.match(auth.hint ?? '', /BatchMode=yes.*ssh-copy-id stranger.*ssh-add/s);

  const closed = await rejection(h.source('closed').snapshot());
  assert.equal(closed.code, 'ESSH');
  assert.match(closed.message, /Connection refused/);
  assert.match(closed.hint ?? '', /sshd running/);

  // a known_hosts that does not know this key
  const cfg = path.join(h.dir, 'ssh_config_unknown_hostkey');
  fs.writeFileSync(cfg, fs.readFileSync(h.configFile, 'utf8').replace(/UserKnownHostsFile \S+/, `UserKnownHostsFile ${path.join(h.dir, 'empty_known_hosts')}`));
  fs.writeFileSync(path.join(h.dir, 'empty_known_hosts'), '');
  const hk = await rejection(h.source('good', { configFile: cfg }).snapshot());
  assert.equal(hk.code, 'ESSH');
  assert.equal(hk.op, 'hostkey');
  assert.match(hk.message, /Host key verification failed/);
  // the hint is a command a person can paste: a destination with a port becomes `ssh -p PORT user@host`
  // (`ssh root@127.0.0.1:2222` is not a valid ssh destination)
  const port = h.hosts.get('s')!.port;
  const byPort = await rejection(h.source(`root@127.0.0.1:${port}`, { configFile: cfg }).snapshot());
  assert.equal(byPort.code, 'ESSH');
  assert.equal(byPort.op, 'hostkey', byPort.message);
  assert.match(byPort.hint ?? '', new RegExp(`\\(\`ssh -p ${port} root@127\\.0\\.0\\.1\`\\)`), byPort.hint);
});

test('sshd stopped in the middle of a refresh: clear error; the next refresh after a restart recovers', sshd, async () => {
  const s = h.source('slow');
  const first = await s.snapshot();
  assert.equal(first.source, 'ssh-linux');
  const host = h.hosts.get('s')!;
  // start a refresh; while its session is running on the host, stop the sshd WE started and its sessions
  const marker = path.join(h.dir, 'slow-started');
  const gate = path.join(h.dir, 'slow-gate');
  // refreshes run in one long-lived remote sh: end it (the master stays), so this refresh starts a session
  (s as unknown as { runner: { closeShells(): void } }).runner.closeShells();
  fs.rmSync(marker, { force: true });
  fs.rmSync(gate); // the next session waits at the gate until the sshd is stopped under it
  const pending = s.snapshot();
  // awaited only after host.stop() below, and it may reject before that returns (the ssh client can see
  // the connection drop before we see the sshd exit): handled from now on, or that rejection fails the test
  // as unhandled
  pending.catch(() => undefined);
  for (const until = Date.now() + 60_000; !fs.existsSync(marker); await new Promise((r) => setTimeout(r, 25))) {
    if (Date.now() > until) assert.fail('the session did not reach the gate within 60 s');
  }
  assert.equal(s.status().state, 'connecting');
  await host.stop();
  fs.writeFileSync(gate, ''); // later sessions run straight through
  const e = await rejection(pending);
  assert.equal(e.code, 'ESSH', e.message);
  assert.match(e.message, /connection was lost/);
  assert.match(e.hint ?? '', /sshd stopped/);
  assert.equal(s.status().state, 'error');
  assert.equal(s.status().error?.code, 'ESSH');
  // while it is down, a refresh fails fast and clearly
  const down = await rejection(s.snapshot());
  assert.equal(down.code, 'ESSH');
  assert.match(down.message, /Connection refused/);
  assert.equal(down.op, 'connect');
  await host.restart();
  const again = await s.snapshot();
  assert.equal(again.source, 'ssh-linux');
  assert.equal(s.status().state, 'connected');
  assert.equal(s.status().error, undefined);
});

test('sudo -n on a host without sudo (none is installed here): a clear ESSH, nothing removed', sshd, async () => {
  const s = h.source('good', { sudo: true });
  // the probe runs as sudo -n too (it must see the uid and the processes the removal acts with)
  const p = await rejection(s.snapshot());
  assert.equal(p.code, 'ESSH');
  assert.equal(p.op, 'sudo');
  assert.match(p.hint ?? '', /sudo is not installed/);
  const e = await rejection(s.remove('sem', 0, { key: 1, ctime: 1 }));
  assert.equal(e.code, 'ECHANGED');
  assert.match(e.message, /nothing was removed/);
});

test('hostile host names are refused by validation, nothing is created', sshd, async () => {
  const pwned = path.join(os.tmpdir(), `ipcx-pwned-${process.pid}`);
  const hostile = [
    `-oProxyCommand=touch ${pwned}`,
    `-oProxyCommand=touch_${pwned}`,
    `-oLocalCommand=touch_${pwned}`,
    '-F/etc/passwd',
    `good\n-oProxyCommand=touch ${pwned}`,
    `root@-oProxyCommand=touch_${pwned}`,
    `$(touch ${pwned})`,
    `\`touch ${pwned}\``,
    `good;touch_${pwned}`,
  ];
  // (cli.test.ts runs the same names through `ipcx --host` with a recording fake ssh on PATH: never started)
  for (const name of hostile) {
    const r = parseHostSpec(name);
    assert.equal(r.ok, false, `accepted ${JSON.stringify(name)}`);
  }
  assert.equal(fs.existsSync(pwned), false);
});

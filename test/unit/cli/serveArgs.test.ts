/** `ipcx serve`'s decisions before it listens: the address, loopback or not, and the configured targets. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { EXIT, type CliIo } from '../../../extension/cli/cliSupport';
import { main } from '../../../extension/cli/ipcx';
import { configuredTargets, isLoopback, parseListen } from '../../../extension/cli/commands/serve';

function io(): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', env: {}, isTTY: false, out(t: string | Uint8Array) { o.stdout += String(t); }, err(t: string) { o.stderr += t; } };
  return o;
}

test('--listen: IPv4, [IPv6], localhost, port 0; names and malformed values refused', () => {
  assert.deepEqual(parseListen('127.0.0.1:9863'), { host: '127.0.0.1', port: 9863 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen('localhost:9'), { host: '127.0.0.1', port: 9 });
  for (const bad of ['9863', ':9863', 'db1:9863', '127.0.0.1:99999', '::1:9863', '[127.0.0.1]:1', '127.0.0.1:', '127.0.0.1:9863 ']) {
    assert.throws(() => parseListen(bad), /--listen/, bad);
  }
});

test('loopback: 127.0.0.0/8, ::1 and ::ffff:127.x only', () => {
  for (const h of ['127.0.0.1', '127.9.9.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', '::ffff:10.0.0.1', 'localhost', '128.0.0.1']) assert.equal(isLoopback(h), false, h);
});

test('a non-loopback address is refused (exit 2, nothing listens) unless --allow-non-loopback', async () => {
  for (const addr of ['0.0.0.0:0', '[::]:0', '10.0.0.1:9863']) {
    const o = io();
    assert.equal(await main(['serve', '--listen', addr], o), EXIT.USAGE, addr);
    assert.match(o.stderr, /refusing to listen on .* not a loopback address: add --allow-non-loopback/);
  }
});

test('targets: validated like every SSH destination; a targets file in the sshHosts form; refusals name the entry', () => {
  const t = configuredTargets(['db1', 'postgres@10.0.0.7:2222', 'db1'], undefined, false);
  assert.deepEqual(t.map((x) => [x.destination.spec, x.destination.port, x.sudo]), [['db1', undefined, false], ['postgres@10.0.0.7:2222', 2222, false]]);
  for (const bad of ['-oProxyCommand=x', 'a b', 'ssh://db1', 'db1;rm']) assert.throws(() => configuredTargets([bad], undefined, false), /--target/, bad);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-targets-'));
  try {
    const f = path.join(dir, 't.json');
    fs.writeFileSync(f, JSON.stringify(['db2', { host: 'db3', sudo: true }]));
    assert.deepEqual(configuredTargets([], f, false).map((x) => [x.destination.spec, x.sudo]), [['db2', false], ['db3', true]]);
    fs.writeFileSync(f, JSON.stringify({ sshHosts: ['db4'] }));
    assert.deepEqual(configuredTargets([], f, false).map((x) => x.destination.spec), ['db4']);
    fs.writeFileSync(f, JSON.stringify(['ok', '-oProxyCommand=x']));
    assert.throws(() => configuredTargets([], f, false), /--targets-file .*sshHosts\[1\].*starts with "-"/);
    fs.writeFileSync(f, '{not json');
    assert.throws(() => configuredTargets([], f, false), /--targets-file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

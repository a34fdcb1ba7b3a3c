/**
 * The wrapper that runs a script inside another IPC namespace of an SSH host (`nsenter -t PID -i`): only a
 * validated pid and inode reach its text, the script travels as one quoted argument, and a pid that does
 * not exist is said (`@@ipcx-ns gone`) without running anything. The real nsenter against real namespaces
 * and a real sshd is test/remote/namespaceTarget.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { inNamespaceScript } from '../../../extension/remote/probeScript';

test('pid and inode must be integers: anything else is refused before any text is built', () => {
  for (const pid of [-1, 1.5, NaN, 2 ** 31, '1; reboot' as unknown as number]) {
    assert.throws(() => inNamespaceScript('echo x', { pid, inode: 4026532181 }), RangeError);
  }
  for (const inode of [0, -4, 1.5, '4026532181 ]' as unknown as number]) {
    assert.throws(() => inNamespaceScript('echo x', { pid: 1, inode }), RangeError);
  }
});

test('the script is one single-quoted argument (quotes in it survive), checked against the inode inside', () => {
  const s = inNamespaceScript("echo 'it''s' \"$HOME\" `id`", { pid: 4242, inode: 4026532181 });
  assert.match(s, /nsenter -t 4242 -i -- sh -c "\$ipcx_inner" ipcx/);
  assert.match(s, /ipc:\[4026532181\]/);
  assert.equal(spawnSync('sh', ['-n'], { input: s }).status, 0, 'valid sh');
  // the inner text, unquoted by sh, is the prefix check followed by the script byte for byte
  const inner = spawnSync('sh', ['-c', `${s.slice(s.indexOf('ipcx_inner='), s.indexOf('\nipcx_try'))}\nprintf '%s' "$ipcx_inner"`], { encoding: 'utf8' }).stdout;
  assert.ok(inner.endsWith("echo 'it''s' \"$HOME\" `id`"), inner);
});

test('a pid that no longer exists: one line says so, nothing runs', () => {
  const r = spawnSync('sh', ['-s'], { input: inNamespaceScript('echo RAN', { pid: 2147483646, inode: 4026532181 }), encoding: 'utf8' });
  assert.equal(r.stdout, '@@ipcx-ns gone\n');
});

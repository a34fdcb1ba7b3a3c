// The webview → host guard (untrusted input) and the live-semaphore argument parser of the panel commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFutexWebviewToHost } from '../../../extension/shared/futexProtocol';
import { liveTargetOf } from '../../../extension/domain/futex';

test('isFutexWebviewToHost accepts exactly the three messages', () => {
  assert.equal(isFutexWebviewToHost({ type: 'ready', protocol: 1 }), true);
  assert.equal(isFutexWebviewToHost({ type: 'refreshLive' }), true);
  for (const bad of [
    null, undefined, 'ready', [], { type: 'ready' }, { type: 'ready', protocol: 2 }, { type: 'ready', protocol: 1, x: 1 },
    { type: 'refreshLive', name: '/etc/passwd' }, { type: 'runCommand', cmd: 'rm' }, { type: '__proto__' },
    JSON.parse('{"type":"refreshLive","__proto__":{"polluted":1}}'),
  ]) {
    assert.equal(isFutexWebviewToHost(bad), false, JSON.stringify(bad));
  }
});

test('liveTargetOf: tree node, PosixSem, plain {name, value, nwaiters}; refuses others with a reason', () => {
  const sem = {
    kind: 'posixSem', name: '/orders', path: '/dev/shm/sem.orders', uid: 0, gid: 0, mode: 0o600, size: 32, mtime: 0, dev: 1, ino: 2,
    decoded: { layout: 'glibc-new-64', value: 3, nwaiters: 2, private: 128, raw: '', atomic: true },
  };
  assert.deepEqual(liveTargetOf({ host: 'db1', obj: sem }), { host: 'db1', name: '/orders', value: 3, nwaiters: 2, layout: 'glibc-new-64' });
  assert.deepEqual(liveTargetOf(sem), { host: 'local', name: '/orders', value: 3, nwaiters: 2, layout: 'glibc-new-64' });
  assert.deepEqual(liveTargetOf({ name: '/q', value: 0, nwaiters: 1 }), { host: 'local', name: '/q', value: 0, nwaiters: 1, layout: undefined });
  assert.equal(liveTargetOf(undefined), undefined);
  const err = (x: unknown): string => {
    const r = liveTargetOf(x);
    assert.ok(r && 'error' in r, JSON.stringify(x));
    return r.error;
  };
  assert.match(err({ ...sem, decoded: undefined, decodeError: { message: 'bad size 7' } }), /could not be decoded \(bad size 7\)/);
  assert.match(err({ kind: 'sem', id: 5 }), /only POSIX named semaphores/);
  assert.match(err({ name: '/q', value: -1, nwaiters: 0 }), /non-negative/);
  assert.match(err({ name: '', value: 1, nwaiters: 0 }), /no name/);
  assert.match(err(42), /expected/);
});

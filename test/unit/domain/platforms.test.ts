/**
 * The local machine per platform, with the platform injected (this machine is Linux): Windows has no
 * System V IPC, so the local source reads nothing, never loads the binding and reports no binding error
 * (which would raise a notification); the tree's one row names the platform and offers SSH.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalSource } from '../../../extension/backend/localSource';
import { IpcError } from '../../../extension/domain/errors';
import { localReaderFor, noLocalIpcNotice } from '../../../extension/domain/platforms';
import { darwinRaise } from '../../../extension/domain/capacityRows';

test('win32: the local source reads nothing, loads no binding, raises no binding error, and refuses reads with ENOSYS and the notice', async () => {
  let loads = 0;
  const src = new LocalSource({
    platform: 'win32',
    load: () => {
      loads++;
      return { tried: [], error: { code: 'ENATIVE', message: 'must not be loaded on win32' } };
    },
  });
  assert.equal(loads, 0);
  assert.equal(src.mode, 'none');
  assert.equal(src.nativeError, undefined);
  assert.match(src.unavailable?.text ?? '', /^Windows has no System V IPC: nothing local to list\. Add SSH Host…/);
  assert.match(src.unavailable?.detail ?? '', /Remote-SSH/);
  await assert.rejects(src.snapshot(), (e: unknown) => e instanceof IpcError && e.code === 'ENOSYS' && /Windows has no System V IPC/.test(e.message));
  await assert.rejects(src.remove('sem', 1, { key: 0, ctime: 1 }), (e: unknown) => e instanceof IpcError && e.code === 'ENOSYS');
});

test('linux keeps the binding-or-/proc reader; darwin and freebsd read through ipcs; anything else has none', () => {
  let loads = 0;
  const src = new LocalSource({ platform: 'linux', load: () => (loads++, { tried: ['/x.node'], error: { code: 'ENATIVE', message: 'no binary' } }) });
  assert.equal(loads, 1);
  assert.equal(src.mode, 'proc');
  assert.equal(src.unavailable, undefined);
  assert.deepEqual(['linux', 'darwin', 'freebsd', 'win32', 'aix', 'android'].map(localReaderFor), ['native', 'ipcs', 'ipcs', 'none', 'none', 'none']);
  assert.match(noLocalIpcNotice('aix').text, /^aix has no System V IPC/);
});

test('capacity rows on a macOS snapshot give macOS sysctl names and when each takes effect; limits without a sysctl say so', () => {
  assert.match(darwinRaise('SEMMNS') ?? '', /^macOS: put kern\.sysv\.semmns=N in \/etc\/sysctl\.conf \(or a LaunchDaemon plist that runs sysctl at boot\) and reboot: macOS accepts it only before the first semaphore set exists/);
  for (const n of ['SEMMNI', 'SEMMSL', 'SEMUME', 'SEMMNU'] as const) assert.match(darwinRaise(n) ?? '', new RegExp(`kern\\.sysv\\.${n.toLowerCase()}=N in /etc/sysctl\\.conf .*reboot`), n);
  assert.match(darwinRaise('SHMMNI') ?? '', /kern\.sysv\.shmmni=N in \/etc\/sysctl\.conf .*reboot.*"Operation not permitted"/);
  for (const n of ['SHMMAX', 'SHMALL', 'SHMMIN', 'SHMSEG'] as const) assert.match(darwinRaise(n) ?? '', new RegExp(`sudo sysctl -w kern\\.sysv\\.${n.toLowerCase()}=`), n);
  for (const n of ['SEMOPM', 'SEMVMX', 'MSGMNI', 'MSGMNB', 'MSGMAX'] as const) assert.match(darwinRaise(n) ?? '', /^macOS: fixed: .*no sysctl/, n);
  assert.equal(darwinRaise('MQ_QUEUES_MAX'), undefined);
});

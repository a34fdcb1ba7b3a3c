/**
 * The local machine per platform, with the platform injected (this machine is Linux): Windows has no
 * System V IPC, so the local source reads nothing, never loads the binding and reports no binding error
 * (which would raise a notification); the tree's one row names the platform and offers SSH.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalSource } from '../../../extension/backend/localSource';
import { IpcError } from '../../../extension/domain/errors';
import { localReaderFor, noLocalIpcNotice, semLimitHelp } from '../../../extension/domain/platforms';
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

test('capacity help names each platform\'s own sysctl, and that macOS shm limits need sysctl.conf and a reboot', () => {
  assert.match(semLimitHelp('darwin'), /sudo sysctl -w kern\.sysv\.semmns=/);
  assert.match(semLimitHelp('darwin'), /\/etc\/sysctl\.conf.*reboot/s);
  assert.match(semLimitHelp('darwin'), /plist/);
  assert.match(semLimitHelp('freebsd'), /kern\.ipc\.semmns=.*\/boot\/loader\.conf/);
  assert.match(semLimitHelp('linux'), /kernel\.sem=/);
});

test('capacity rows on a macOS snapshot give macOS sysctl names (semmns at run time, shm limits need sysctl.conf and a reboot)', () => {
  assert.equal(darwinRaise('SEMMNS'), 'macOS: sudo sysctl -w kern.sysv.semmns=… (lost at reboot; keep it in /etc/sysctl.conf or a LaunchDaemon plist)');
  assert.match(darwinRaise('SHMMAX') ?? '', /kern\.sysv\.shmmax=… in \/etc\/sysctl\.conf .* then reboot/);
  assert.equal(darwinRaise('MSGMNI'), undefined);
});

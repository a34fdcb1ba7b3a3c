/**
 * The SSH host's C library, read by the probe in its one round trip, against a real OpenSSH server on
 * 127.0.0.1 (the host is this machine in a private IPC + mount namespace, so its glibc is this machine's).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { needs } from '../helpers/capabilities';
import { glibcRange, liveLibc, scenarioFromLive } from '../../extension/domain/futex';
import { SshSource } from '../../extension/remote/sshSource';
import { SshdHarness } from './sshdHarness';

const sshd = needs('sshd');
let h: SshdHarness;
let src: SshSource | undefined;

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  h = new SshdHarness();
  await h.startHost('g');
  h.addAlias('hostG', 'g');
});

after(async () => {
  await h?.stopAll();
});

test('the snapshot of an SSH host carries its glibc release, the one `getconf GNU_LIBC_VERSION` prints here', sshd, async () => {
  src = h.source('hostG');
  const snap = await src.snapshot();
  assert.equal(snap.source, 'ssh-linux');
  const local = /^glibc (\d+\.\d+)$/.exec(execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' }).trim());
  assert.ok(local, 'this machine runs glibc');
  assert.deepEqual(snap.libc, { kind: 'glibc', release: local[1] });
  // the futex panel's choice for a live semaphore on that host: its release, and the version range it picks
  const l = liveLibc(false, undefined, snap.libc);
  assert.deepEqual(l, { glibc: local[1] });
  const sc = scenarioFromLive({ name: '/orders', value: 0, nwaiters: 1, glibc: l.glibc });
  assert.equal(sc.glibc, glibcRange(local[1]));
  assert.ok(sc.glibc, `glibc ${local[1]} falls in a modelled range`);
});

/**
 * FreeBSD (and macOS) cannot run here. A stand-in host serves them: a real sshd and a real session whose
 * key is bound (authorized_keys `command=`) to a shell whose PATH puts small `uname`, `hostname`, `ipcs` and
 * `sysctl` scripts first; they print the REAL FreeBSD 11 outputs in test/fixtures/freebsd (copied from
 * shared/fixtures/freebsd). Everything else (sh, awk, date, getconf, ps) is this machine's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { SshSource } from '../../extension/remote/sshSource';
import { IpcError } from '../../extension/domain/errors';
import { SshdHarness, freebsdStandIn } from './sshdHarness';
import { needs } from '../helpers/capabilities';

const sshd = needs('sshd');

let h: SshdHarness;
let src: SshSource;

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  h = new SshdHarness();
  await h.startHost('s');
  h.addForcedAlias('freebsd', 's', freebsdStandIn(h.dir));
  src = h.source('freebsd');
});

after(async () => {
  await h?.stopAll();
});

test('FreeBSD stand-in (real FreeBSD 11 ipcs/sysctl output): objects and limits parsed', sshd, async () => {
  const s = await src.snapshot();
  assert.equal(s.source, 'ssh-ipcs');
  assert.equal(s.platform, 'freebsd');
  assert.equal(s.kernel, '11.2-RELEASE-p4');
  assert.equal(s.hostname, 'pg-jail-host');
  assert.equal(s.ipcNamespace, undefined);
  // ipcs-a.txt: 13 segments, 16 sets (14 of PostgreSQL's 17-semaphore sets, 2 of 14), no queues
  assert.equal(s.shms.length, 13);
  assert.equal(s.sems.length, 16);
  assert.equal(s.msgs.length, 0);
  assert.deepEqual(s.errors, []);
  const first = s.sems[0];
  assert.equal(first.id, 458752);
  assert.equal(first.nsems, 17);
  assert.equal(first.uid, 770);
  assert.equal(first.mode, 0o600);
  assert.equal(s.usage.semTotal, 14 * 17 + 2 * 14);
  const seg = s.shms.find((x) => x.id === 458756)!;
  assert.equal(seg.segsz, 456340276);
  assert.equal(seg.nattch, 144);
  assert.equal(seg.cpid, 22110);
  // limits: ipcs -M / -S blocks and sysctl kern.ipc
  assert.equal(s.limits.semmni, 50);
  assert.equal(s.limits.semmns, 340);
  assert.equal(s.limits.semmsl, 340);
  assert.equal(s.limits.semopm, 100);
  assert.equal(s.limits.semvmx, 32767);
  assert.equal(s.limits.shmmax, 536870912);
  assert.equal(s.limits.shmmni, 192);
  assert.equal(s.limits.shmall, 4097152);
  assert.equal(s.limits.pageSize, 4096);
  // no msginfo in the captured outputs: said so, not invented
  assert.ok(s.warnings.some((w) => /limits not reported by this host.*msgmax/.test(w)), s.warnings.join('\n'));
  assert.ok(s.warnings.some((w) => /time of day/.test(w)));
  // the creator pids of the fixture's segments do not exist here: reported dead, not guessed
  assert.equal(s.processes[22110]?.alive, false);
  // CTIME 8:14:33 became the latest 08:14:33 at or before the host clock
  const ct = first.ctime;
  assert.ok(ct > 0 && ct <= s.takenAt / 1000 && s.takenAt / 1000 - ct < 86400);
});

test('FreeBSD stand-in: per-set values are refused clearly (no ipcs -i there); removal re-verifies and refuses a changed object', sshd, async () => {
  const s = await src.snapshot();
  const d = await src.semDetail([s.sems[0].id]);
  const v = d.get(s.sems[0].id);
  assert.ok(v && !Array.isArray(v));
  assert.equal(v.code, 'ENOTSUP');
  // the stand-in's ipcs -a shows CTIME 8:14:33 for set 458752: expecting another ctime must refuse on the host
  let err: unknown;
  try {
    await src.remove('sem', 458752, { key: 0, ctime: s.sems[0].ctime + 1 });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof IpcError);
  assert.equal(err.code, 'ECHANGED');
  assert.match(err.message, /ctime is now 8:14:33/);
  // an id that is not there
  try {
    await src.remove('shm', 1, { key: 0, ctime: s.sems[0].ctime });
    assert.fail('removed a missing id');
  } catch (e) {
    assert.ok(e instanceof IpcError);
    assert.equal(e.code, 'EIDRM');
  }
});

test('FreeBSD stand-in: removal mode is unlocked (not Linux) and queues stay, in the plan and at removal', sshd, async () => {
  await src.snapshot();
  const mode = await src.removalMode();
  assert.equal(mode.mode, 'unlocked');
  assert.match(mode.detail, /check-then-ipcrm, no lock: not Linux/);
  assert.match(mode.queuesStay ?? '', /queues stay on freebsd: nothing there shows a process blocked in msgrcv\/msgsnd/);
  await assert.rejects(src.remove('msg', 65536, { key: 1, ctime: 1 }), (e: unknown) => e instanceof IpcError && e.code === 'ECHANGED' && /queues stay on freebsd/.test(e.message));
});

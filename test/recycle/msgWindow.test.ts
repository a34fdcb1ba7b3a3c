/**
 * The lock's window on a message queue, each interleaving forced (no timing): IPC_SET on a queue wakes every
 * process sleeping in msgrcv/msgsnd on it so it re-checks its permission (ipc/msg.c msgctl_down:
 * expunge_all(-EAGAIN), ss_wakeup; do_msgrcv's loop then fails ipcperms), so the lock (IPC_SET mode 0) itself
 * disturbs a waiter, and so would IPC_RMID (EIDRM). A receiver (nobody) on an orphan queue of nobody, and the
 * recycle held by a seccomp user-notification supervisor (test/helpers/c/ipc_pause.c) at a chosen call
 * (msgWindowDriver.ts, in its own pid + IPC namespace):
 * - asleep in msgrcv before the recycle: the queue is not even planned, its mode and ctime untouched, the
 *   receiver still asleep;
 * - entering msgrcv after the last scan and before the IPC_SET (held at the IPC_SET itself): the kernel's
 *   IPC_SET wakes it and, as nobody, it gets EACCES: that cannot be prevented without stopping other
 *   processes. The recycle's counter of msgrcv/msgsnd calls on the queue saw its call (or, when the receiver
 *   is still on a CPU after its EACCES, the fenced scan under the lock sees it running): the removal is refused
 *   under the lock and mode 0600 restored, so the queue stays for the receiver's retry (only its ctime moved);
 * - calling msgrcv on the locked queue: EACCES at once, it never sleeps there; the call is counted too (the
 *   recycle cannot tell it from the one before), so the queue stays;
 * - the control: held at the IPC_SET with the receiver idle, the queue is removed.
 * Before the counter, the second case removed the queue.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { root } from './nsHarness';

let tmp = '';
before(() => {
  assertPrivateIpcNamespace();
  for (const p of ['ipc_pause', 'ipc_user', 'ipc_make']) buildC(p);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-msgwin-'));
});
after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const MSGRCV = String(process.arch === 'arm64' ? 188 : 70);

interface Out {
  id: number;
  receiver: number;
  held: string;
  before: { mode: number; ctime: number };
  modeWhileHeld?: number;
  receiverWhileHeld?: string;
  newcomer?: string;
  recycle: { planned: number[]; stays: Array<{ id: number; why: string }>; report: { outcomes: Array<{ action: string; code?: string; reasons: string[] }> } };
  after: { mode?: number; ctime?: number; gone?: string };
  receiverNow: string;
  receiverSaid: string[];
}

/**
 * The refusal under the lock of a queue whose receiver was woken (between) or turned away (after). Two
 * checks under the lock can refuse it, both correctly, and which one speaks first depends on where the
 * receiver is when the check runs: the fenced scan goes first and refuses while the receiver, having just got
 * EACCES, is still on a CPU (printing, exiting: "pid N (ipc_user) could use it ... and was running"); once it
 * is asleep or gone, the msgrcv/msgsnd counter refuses ("1 msgrcv/msgsnd call(s) on it since the last
 * scan"). Either is accepted, both tied to this receiver; what may not vary is the outcome: refused with
 * ECHANGED, the mode restored, the queue still there. A removal fails every line of this.
 */
function assertRefusedForReceiver(o: Out): void {
  const oc = o.recycle.report.outcomes[0]!;
  assert.equal(oc.action, 'refused', JSON.stringify(oc));
  assert.equal(oc.code, 'ECHANGED', JSON.stringify(oc));
  const why = oc.reasons.join('; ');
  const counted = /1 msgrcv\/msgsnd call\(s\) on it since the last scan/.test(why);
  const fenced = new RegExp(`cannot prove that no process is about to wait in msgrcv/msgsnd on it: .*pid ${o.receiver}( \\(ipc_user\\))? could use it`).test(why);
  assert.ok(counted || fenced, `refused for neither the call counter nor the fenced scan seeing pid ${o.receiver}: ${why}`);
  assert.match(why, /mode restored to 0600/);
  assert.equal(o.after.gone, undefined, 'the queue is still there');
  assert.equal(o.after.mode, 0o600, 'the queue is there with its mode');
}

function run(scenario: string): Out {
  assertPrivateIpcNamespace();
  const r = spawnSync('unshare', ['--ipc', '--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', path.join(root, 'test', 'recycle', 'msgWindowDriver.ts'), scenario, path.join(tmp, `${scenario}.jsonl`)], {
    cwd: root, encoding: 'utf8', timeout: 110000,
  });
  assert.equal(r.status, 0, `msgWindowDriver ${scenario}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Out;
}

test('msg window: a receiver asleep in msgrcv before the recycle keeps its queue, untouched, and stays asleep', { timeout: 120000 }, () => {
  const o = run('before');
  assert.equal(o.held, 'NOTPAUSED', 'no IPC_SET was ever made');
  assert.deepEqual(o.recycle.planned, [], 'not planned');
  assert.match(o.recycle.stays[0]!.why, new RegExp(`pid ${o.receiver} \\(ipc_user\\) is blocked in msgrcv on it`));
  assert.equal(o.after.mode, 0o600);
  assert.equal(o.after.ctime, o.before.ctime, 'not even the ctime moved');
  assert.equal(o.receiverNow, MSGRCV, 'still asleep in msgrcv');
  assert.deepEqual(o.receiverSaid, []);
});

test('msg window: a receiver that starts waiting between the last scan and the IPC_SET is woken by the kernel (EACCES), and its queue stays with mode 0600', { timeout: 120000 }, () => {
  const o = run('between');
  assert.equal(o.held, 'PAUSED msgctl 1', 'held at the IPC_SET, before the kernel ran it');
  assert.equal(o.modeWhileHeld, 0o600, 'not locked yet');
  assert.equal(o.receiverWhileHeld, MSGRCV, 'the receiver was asleep in msgrcv when the IPC_SET ran');
  assert.deepEqual(o.recycle.planned, [o.id]);
  assertRefusedForReceiver(o);
  assert.deepEqual(o.receiverSaid, ['err EACCES'], "the lock's IPC_SET woke the receiver and, as nobody, it failed the permission re-check");
});

test('msg window: a non-root receiver calling msgrcv on the locked queue gets EACCES at once; its call is counted (or it is seen running under the lock) and the queue stays', { timeout: 120000 }, () => {
  const o = run('after');
  assert.match(o.held, /^PAUSED (membarrier|msgctl)/, 'held after the lock');
  assert.equal(o.modeWhileHeld, 0, 'locked (mode 0)');
  assert.equal(o.newcomer, 'err EACCES', 'fenced by the lock: never asleep on the queue');
  assert.deepEqual(o.recycle.planned, [o.id]);
  assertRefusedForReceiver(o);
});

test('msg window: the control, held at the IPC_SET with the receiver idle: the queue is removed', { timeout: 120000 }, () => {
  const o = run('idle');
  assert.equal(o.held, 'PAUSED msgctl 1');
  const oc = o.recycle.report.outcomes[0]!;
  assert.equal(oc.action, 'removed', JSON.stringify(oc));
  assert.equal(o.after.gone, 'EINVAL', 'gone');
  assert.deepEqual(o.receiverSaid, [], 'the idle receiver never called msgrcv');
});

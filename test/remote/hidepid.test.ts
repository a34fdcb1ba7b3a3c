/**
 * hidepid over a real sshd: the host's /proc is mounted hidepid=2 in its private mount namespace, and the SSH
 * session runs as uid 65534 (an authorized_keys `command=` drops root with setpriv before running the probe:
 * a real sshd and a real session, with an ordinary user's view). That user owns a segment whose creator has
 * exited; a live process of another user (uid 1001) attached and detached it last. The probe cannot see that
 * process in /proc, but `kill -0` says it exists (EPERM): the segment stays, locally planned and remotely
 * executed. The same host with `sudo` (here: the session as root) sees everything.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { AuditLog } from '../../extension/backend/audit';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { SshdHarness } from './sshdHarness';

let h: SshdHarness;
let user: ChildProcess | undefined;
let segId = -1;
let userPid = -1;

function shmIds(): number[] {
  const t = h.hosts.get('hp')!.exec('cat', ['/proc/sysvipc/shm']).stdout;
  return t.split('\n').slice(1).filter((l) => l.trim()).map((l) => Number(l.trim().split(/\s+/)[1]));
}

before(async () => {
  assertPrivateIpcNamespace();
  const ipcMake = buildC('ipc_make');
  const owner = buildC('ipc_owner');
  h = new SshdHarness();
  const host = await h.startHost('hp');
  const m = host.exec('mount', ['-t', 'proc', '-o', 'hidepid=2', 'proc', '/proc']);
  assert.equal(m.status, 0, m.stderr);
  assert.match(host.exec('grep', [' /proc ', '/proc/self/mountinfo']).stdout, /hidepid=(2|invisible)/);
  // the session of this alias runs as uid 65534, whatever root's shell would do
  h.addForcedAlias('hpuser', 'hp', '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups -- /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n');
  h.addAlias('hproot', 'hp');
  // uid 65534 makes the segment (mode 0666) and exits: a dead creator
  const mk = host.exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', ipcMake, 'shm', '-n', '1', '-s', '4096', '-k', '0x5300', '-m', '666']);
  assert.equal(mk.status, 0, mk.stderr);
  segId = Number(mk.stdout.trim().split(' ')[1]);
  // uid 1001 attaches and detaches it, and keeps running
  user = spawn('nsenter', ['--ipc', '--mount', '--target', String(h.namespacePid('hp')), '--', 'setpriv', '--reuid=1001', '--regid=1001', '--clear-groups', '--', owner, 'touch', String(segId)], { stdio: ['ignore', 'pipe', 'inherit'] });
  userPid = user.pid!;
  const rl = readline.createInterface({ input: user.stdout! });
  await new Promise<void>((resolve, reject) => {
    user!.once('exit', (c) => reject(new Error(`touch exited ${c}`)));
    rl.on('line', (l) => {
      if (l === 'READY') resolve();
    });
  });
  const row = host.exec('cat', ['/proc/sysvipc/shm']).stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((w) => Number(w[1]) === segId)!;
  assert.equal(Number(row[5]), userPid, 'lpid = the live uid 1001 process');
});

after(async () => {
  if (user?.pid && user.exitCode === null) process.kill(user.pid, 'SIGKILL');
  await h?.stopAll();
});

test('hidepid=2 over SSH: a non-root owner\'s segment in use by another user\'s live process stays (plan and execution)', async () => {
  const src = h.source('hpuser');
  const prepared = await prepareRecycle(src, { verdict: { recentActivitySeconds: 0, minOrphanAgeSeconds: 0 } });
  assert.equal(prepared.snapshot.uid, 65534);
  // behaviour first: not a candidate, and executing the plan removes nothing
  assert.equal(prepared.plan.candidates.find((c) => c.id === segId), undefined, JSON.stringify(prepared.plan.candidates));
  const report = await executeRecyclePlan(prepared.plan, { source: src, processFacts: prepared.processFacts, audit: new AuditLog(path.join(h.dir, 'hidepid.jsonl')) });
  assert.deepEqual(report.outcomes, []);
  assert.ok(shmIds().includes(segId), 'the segment still exists');
  assert.equal(prepared.snapshot.reader?.hidepid, 'invisible');
  const fact = prepared.snapshot.processes[userPid];
  assert.equal(fact?.liveness, 'unknown', JSON.stringify(fact));
  const st = prepared.plan.stays.find((s) => s.id === segId)!;
  assert.equal(st.verdict.state, 'unknown');
  assert.ok(
    st.verdict.reasons.some((r) => r.startsWith(`last attach/detach pid ${userPid}: exists (kill(${userPid}, 0): EPERM) but /proc/${userPid} is hidden by hidepid=2`)),
    st.verdict.reasons.join(' | '),
  );
});

test('the same host as root (what sudo gives): every process visible, the user\'s live process keeps the segment live', async () => {
  const src = h.source('hproot');
  const prepared = await prepareRecycle(src, { verdict: { recentActivitySeconds: 0, minOrphanAgeSeconds: 0 } });
  assert.equal(prepared.snapshot.uid, 0);
  assert.equal(prepared.plan.stays.find((s) => s.id === segId)?.verdict.state, 'live');
  assert.equal(prepared.snapshot.processes[userPid]?.liveness, 'alive');
});

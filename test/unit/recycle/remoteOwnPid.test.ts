/**
 * Our own pid is exempted from the liveness checks only on the local host, where a segment's lpid equal to it
 * is our own read-only header peek. On an SSH host the same number is another process: a live one there keeps
 * its segment. The host's snapshot is a real probe document as parsed (the last attacher of a segment whose
 * creator is dead has exactly this process's pid number and is alive on the host), planned through
 * prepareRecycle as the CLI and VS Code plan; a stand-in source serves it (no host needed for a plan).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IpcSource } from '../../../extension/backend/ipcSource';
import { prepareRecycle } from '../../../extension/backend/recycleExecutor';
import { parseProbe } from '../../../extension/domain/probeParser';

const NOW = Math.floor(Date.now() / 1000);
const OLD = NOW - 7200;
const ME = process.pid;

function hostSnapshot() {
  const doc = [
    '@@ipcx-probe 1',
    '@@section uname', 'Linux 6.18.44 x86_64',
    '@@section uid', '0',
    '@@section now', String(NOW),
    '@@section btime', `btime ${OLD - 100000}`,
    '@@section clktck', '100',
    '@@section pidns', 'pid:[4026531836]',
    '@@section nspid', 'NSpid:\t11300',
    '@@section procmount', '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '@@section clock', `${NOW}.250000000`, `${NOW - OLD + 100000}.00 1000.00`, `${NOW}.260000000`,
    '@@section pagesize', '4096',
    '@@section sysvipc-sem', '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime',
    '@@section sysvipc-shm',
    '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap',
    ` 134487832          2   600                   100  7001 ${String(ME).padStart(5)}      0     0     0     0     0 ${OLD} ${OLD} ${OLD} 0 0`,
    '@@section sysvipc-msg', '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime',
    '@@section limits', '/proc/sys/kernel/sem 32000 1024000000 500 32000 ',
    '@@section devshm', '@@section devshm-total', '0', '@@section devshm-status', '0 0 0', '@@section devshm-skipped', '0',
    '@@section devshm-sem', '@@section maps',
    '@@section pids',
    'q 7001 ENOENT ESRCH',
    // alive on the host, started (boot clock) long before the segment's last change: the same process
    `p ${ME} 1 0 ipc:[4026532178] ${ME} (worker) S 1 ${ME} ${ME} 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 5000 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0`,
    '@@end', '',
  ].join('\n');
  const r = parseProbe(doc, { host: 'db1' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value.snapshot;
}

test('an SSH host: a live last attacher whose pid number is ours keeps the segment (our pid is exempted only locally)', async () => {
  const snap = hostSnapshot();
  assert.equal(snap.processes[ME]?.liveness, 'alive');
  const source: IpcSource = {
    host: 'db1',
    removeChecksWaits: true,
    snapshot: async () => snap,
    semDetail: async () => new Map(),
    remove: async () => assert.fail('a plan removes nothing'),
  };
  const prep = await prepareRecycle(source, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 }, kinds: ['shm'] });
  assert.deepEqual(prep.plan.candidates.map((c) => c.id), [], JSON.stringify(prep.plan.candidates.map((c) => c.verdict.reasons)));
  const stay = prep.plan.stays.find((s) => s.id === 2);
  assert.ok(stay);
  assert.match(stay.why, new RegExp(`pid ${ME}`));
  assert.equal(prep.verdicts.get('shm:2')?.state, 'live');
});

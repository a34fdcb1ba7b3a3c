/**
 * Remote recycle over a real sshd: the same plan, verdicts and executor as locally
 * (prepareRecycle + executeRecyclePlan over the IpcSource seam); SshSource.remove is the guarded primitive
 * that re-verifies on the host immediately before ipcrm. Audit records name the host.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { SshSource } from '../../extension/remote/sshSource';
import { AuditLog } from '../../extension/backend/audit';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { SshdHarness } from './sshdHarness';
import { needs } from '../helpers/capabilities';

const sshd = needs('sshd');

let h: SshdHarness;
let src: SshSource;
let waiter: ChildProcess | undefined;
const PG = [...Array(16).fill('0'), '537'].join(',');

function sysvIds(kind: 'sem' | 'shm'): number[] {
  const t = h.hosts.get('pg')!.exec('cat', [`/proc/sysvipc/${kind}`]).stdout;
  return t.split('\n').slice(1).filter((l) => l.trim()).map((l) => Number(l.trim().split(/\s+/)[1]));
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  const ipcMake = buildC('ipc_make');
  const semWaiter = buildC('sem_waiter');
  h = new SshdHarness();
  await h.startHost('pg');
  h.addAlias('pghost', 'pg');
  const host = h.hosts.get('pg')!;
  // a PostgreSQL-like set left by a dead postmaster: 17 semaphores, semnum 16 = 537 (PGSemaMagic), last-op
  // pid = ipc_make's (SETALL sets sempid on Linux), which has exited
  const dead = host.exec(ipcMake, ['sem', '-n', '1', '-s', '17', '-v', PG, '-k', '5432001']);
  assert.equal(dead.status, 0, dead.stderr);
  // the same shape, but a live process waits on it (zcount 1): must stay
  const busy = host.exec(ipcMake, ['sem', '-n', '1', '-s', '17', '-v', PG, '-k', '5432002']);
  assert.equal(busy.status, 0, busy.stderr);
  const busyId = busy.stdout.trim().split(' ')[1];
  waiter = spawn('nsenter', ['--ipc', '--mount', '--target', String(h.namespacePid('pg')), '--', semWaiter, busyId, '16', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => waiter!.stdout!.once('data', () => resolve()));
  // something that is not PostgreSQL's: unknown owner, must stay
  assert.equal(host.exec(ipcMake, ['sem', '-n', '1', '-s', '3', '-k', '777']).status, 0);
  src = h.source('pghost');
});

after(async () => {
  if (waiter?.pid) {
    try {
      process.kill(waiter.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await h?.stopAll();
});

test('remote recycle removes only the dead PostgreSQL set, re-verified on the host; audit names the host', sshd, async () => {
  const before = sysvIds('sem');
  assert.equal(before.length, 3);
  const prepared = await prepareRecycle(src, { verdict: { recentActivitySeconds: 0, minOrphanAgeSeconds: 0 } });
  const deadRef = prepared.plan.candidates.map((c) => c.key);
  assert.deepEqual(deadRef, [5432001], `plan: ${JSON.stringify(prepared.plan.stays.map((s) => [s.key, s.why]))}`);
  const stayKeys = prepared.plan.stays.map((s) => s.key ?? -1).sort((a, b) => a - b);
  assert.deepEqual(stayKeys, [777, 5432002]);
  const audit = new AuditLog(path.join(h.dir, 'audit.jsonl'));
  const report = await executeRecyclePlan(prepared.plan, { source: src, processFacts: prepared.processFacts, audit });
  assert.equal(report.removed, 1, JSON.stringify(report.outcomes));
  assert.equal(report.refused + report.failed, 0);
  const after = sysvIds('sem');
  assert.equal(after.length, 2);
  assert.ok(!after.includes(prepared.plan.candidates[0].id));
  const recs = audit.read().filter((r) => r.action !== 'intent'); // the lock journal's intent precedes the outcome
  assert.equal(recs.length, 1);
  assert.equal(recs[0].host, 'pghost');
  assert.equal(recs[0].action, 'removed');
  assert.equal(fs.existsSync(audit.path), true);
});

test('the host-side guard refuses when the object changed between plan and removal', sshd, async () => {
  const host = h.hosts.get('pg')!;
  const ipcMake = buildC('ipc_make');
  assert.equal(host.exec(ipcMake, ['sem', '-n', '1', '-s', '17', '-v', PG, '-k', '5432003']).status, 0);
  const prepared = await prepareRecycle(src, { verdict: { recentActivitySeconds: 0, minOrphanAgeSeconds: 0 } });
  const c = prepared.plan.candidates.find((x) => x.key === 5432003);
  assert.ok(c, 'the new dead set is a candidate');
  // someone operates on the set after the plan (semop changes otime and the last-op pid)
  const semWaiter = buildC('sem_waiter');
  const r = host.exec(semWaiter, [String(c.id), '0', '1']); // semop +1 completes at once
  assert.equal(r.status, 0, r.stderr);
  const report = await executeRecyclePlan(prepared.plan, { source: src, processFacts: prepared.processFacts });
  const o = report.outcomes.find((x) => x.id === c.id)!;
  assert.notEqual(o.action, 'removed', JSON.stringify(o));
  assert.ok(sysvIds('sem').includes(c.id), 'the changed set is still there');
  // and a direct remove with stale expectations is refused by the script on the host
  await assert.rejects(src.remove('sem', c.id, { ...c.expected }), (e: { code: string; message: string }) => e.code === 'ECHANGED' && /otime is now|last-op pids/.test(e.message));
  assert.ok(sysvIds('sem').includes(c.id));
});

/**
 * The field story (DOMAIN.md section 4), end to end through the real CLI in a nested private IPC namespace
 * with tiny limits: a PostgreSQL-like process (sets made exactly as sysv_sema.c makes them) is SIGKILLed;
 * a live PostgreSQL-like process and a live application (sets, one with a waiter blocked in semop, an
 * attached shm segment, a never-used set) keep theirs; semget(17) fails with ENOSPC; `ipcx doctor` says
 * why and that recycling is enough; `ipcx recycle` prints the plan and removes nothing; `ipcx recycle
 * --yes` removes exactly the dead PostgreSQL-like sets; semget then succeeds; every live object is intact,
 * field by field; the audit log holds every decision.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import type { IpcSnapshot } from '../../extension/shared/model';
import { NestedNs, ensureCliBuilt, parseHelperLines, type Started } from './nsHarness';
import { assertPrivateIpcNamespace } from '../helpers/ns';

let ns: NestedNs;
let bin: string;
const started: Started[] = [];
const extraPids: number[] = [];
let tmp: string;

before(async () => {
  assertPrivateIpcNamespace();
  ensureCliBuilt();
  bin = buildC('pg_sema');
  ns = await NestedNs.create();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-field-'));
});

after(async () => {
  for (const p of extraPids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const s of started) await s.kill();
  ns?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function snapshot(): IpcSnapshot {
  const r = ns.ipcx(['snapshot', '--json']);
  assert.ok(r.status === 0 || r.status === 3, `ipcx snapshot failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as IpcSnapshot;
}

function trySemget(nsems: number): string {
  return ns.run(bin, ['try', String(nsems)]).stdout.trim();
}

test('field story: ENOSPC from leftovers of a killed PostgreSQL; recycle removes exactly those', async () => {
  assertPrivateIpcNamespace();
  // 4 dead PG sets + 1 dead generic set + 1 live PG set + 3 app sets = 9 sets: SEMMNI 9 leaves none free
  ns.setSemLimits(250, 32000, 32, 9);

  const dead = ns.start(bin, ['pg', '5432000', '4', '1']);
  started.push(dead);
  const deadObjs = parseHelperLines(await dead.until());
  const livePg = ns.start(bin, ['pg', '6000000', '1']);
  started.push(livePg);
  const livePgObjs = parseHelperLines(await livePg.until());
  const app = ns.start(bin, ['app', '7000000']);
  started.push(app);
  const appObjs = parseHelperLines(await app.until());
  extraPids.push(...appObjs.waiters);
  assert.equal(deadObjs.sems.length, 5);
  assert.equal(appObjs.sems.length, 3);
  assert.equal(appObjs.shms.length, 1);
  assert.equal(appObjs.waiters.length, 1);

  await dead.kill(); // the crash: SIGKILL, nothing cleaned up
  assert.equal(trySemget(17), 'err ENOSPC', 'semget must fail with ENOSPC before recycling');

  const before = snapshot();
  assert.equal(before.sems.length, 9);
  const deadPgIds = deadObjs.sems.filter((s) => s.key !== 0).map((s) => s.id).sort((a, b) => a - b);
  const genericDeadId = deadObjs.sems.find((s) => s.key === 0)!.id;

  // the doctor: blocked by SEMMNI, recycling the 4 dead PostgreSQL sets is enough
  const doc = ns.ipcx(['doctor', '--nsems', '17', '--json', '--min-age', '0', '--recent', '0', '--max-connections', '100']);
  assert.equal(doc.status, 4, `doctor exit: ${doc.stderr}`);
  const d = JSON.parse(doc.stdout);
  assert.equal(d.wouldSucceed, false);
  assert.deepEqual(d.blockedBy, ['SEMMNI']);
  assert.equal(d.recycle.sets, 4);
  assert.equal(d.recycle.semaphores, 68);
  assert.equal(d.recyclingIsEnough, true);
  assert.equal(d.keptOrphans.sets, 1, 'the dead generic set is an orphan nobody can prove: kept');
  assert.equal(d.pg.needs.sets, 8);

  // the plan alone removes nothing
  const plan = ns.ipcx(['recycle', '--min-age', '0', '--recent', '0']);
  assert.equal(plan.status, 0, plan.stderr);
  assert.match(plan.stdout, /WOULD REMOVE \(4\)/);
  assert.match(plan.stdout, /PostgreSQL, semaphore set, postmaster PID \d+ \(dead\)/);
  assert.match(plan.stdout, /waiting on semaphore/);
  assert.match(plan.stdout, /run again with --yes/);
  assert.equal(snapshot().sems.length, 9, 'recycle without --yes must not remove anything');

  const auditFile = path.join(tmp, 'audit.jsonl');
  const res = ns.ipcx(['recycle', '--yes', '--json', '--min-age', '0', '--recent', '0', '--audit', auditFile]);
  assert.equal(res.status, 0, `recycle --yes: ${res.stderr}\n${res.stdout}`);
  const out = JSON.parse(res.stdout);
  const removed = out.report.outcomes.filter((o: { action: string }) => o.action === 'removed').map((o: { id: number }) => o.id).sort((a: number, b: number) => a - b);
  assert.deepEqual(removed, deadPgIds, 'exactly the dead PostgreSQL-like sets are removed');
  assert.equal(out.report.refused, 0);
  assert.equal(out.report.failed, 0);
  console.log(`field story: removed ${removed.length} dead PostgreSQL sets (ids ${removed.join(', ')}); ${out.plan.stays.length} objects stay`);

  assert.match(trySemget(17), /^ok \d+$/, 'semget succeeds after recycling');

  // every other object intact, field by field
  const afterSnap = snapshot();
  const keep = (s: IpcSnapshot) => ({
    sems: s.sems.filter((x) => !deadPgIds.includes(x.id)).sort((a, b) => a.id - b.id),
    shms: [...s.shms].sort((a, b) => a.id - b.id),
    msgs: s.msgs,
  });
  assert.deepEqual(keep(afterSnap), keep(before));
  assert.ok(afterSnap.sems.some((s) => s.id === genericDeadId), 'the unprovable dead generic set stays');
  for (const s of [...livePgObjs.sems, ...appObjs.sems]) assert.ok(afterSnap.sems.some((x) => x.id === s.id && x.key === s.key));
  // the waiter is still blocked in semop on set B
  const state = fs.readFileSync(`/proc/${appObjs.waiters[0]}/stat`, 'utf8').split(') ')[1].split(' ')[0];
  assert.equal(state, 'S', 'the waiter still sleeps in semop');
  const again = JSON.parse(ns.ipcx(['recycle', '--json', '--min-age', '0', '--recent', '0']).stdout);
  const setB = again.plan.stays.find((s: { id: number }) => s.id === appObjs.sems[1].id);
  assert.equal(setB.verdict.state, 'live');
  assert.ok(setB.verdict.reasons.some((r: string) => /1 process\(es\) waiting on semaphore\(s\) 0/.test(r)));
  const setC = again.plan.stays.find((s: { id: number }) => s.id === appObjs.sems[2].id);
  assert.equal(setC.verdict.state, 'unknown', 'a never-operated set with no owner is unknown, not orphan');
  const pgLive = again.plan.stays.find((s: { id: number }) => s.id === livePgObjs.sems[0].id);
  assert.equal(pgLive.verdict.state, 'live');
  assert.match(pgLive.verdict.owner.label, /postmaster PID \d+ \(alive/);

  // the audit log holds every decision with the full record before removal
  const journal = fs.readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // each removal: its intent (written before the lock, with the original mode), then its outcome
  const intents = journal.filter((a: { action: string }) => a.action === 'intent');
  const audit = journal.filter((a: { action: string }) => a.action !== 'intent');
  assert.equal(audit.length, 4);
  assert.deepEqual(intents.map((i: { txn: string }) => i.txn).sort(), audit.map((a: { txn: string }) => a.txn).sort(), 'every outcome closes its intent');
  for (const i of intents) assert.equal(i.lock.mode, 0o600);
  for (const a of audit) {
    assert.equal(a.action, 'removed');
    assert.equal(a.object.kind, 'sem');
    assert.equal(a.object.nsems, 17);
    assert.equal(a.object.elems[16].semval, 537);
    assert.equal(a.object.elems[16].pid, dead.pid);
    assert.equal(a.verdict.owner.app, 'postgresql');
  }
});

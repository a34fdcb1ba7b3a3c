/**
 * Recycle guards against the real kernel, each in its own nested private IPC namespace:
 * - pid reuse: the marker semaphore's pid is alive again, but as a process started after the set's last
 *   change (clone3 set_tid gives it exactly that pid): the verdict says so and the set is recyclable;
 *   the same pid alive *before* that time keeps the set live;
 * - EACCES: a non-root user cannot read root's 0600 sets: they are `unreadable` and stay; that user's own
 *   dead PostgreSQL-like set is removed;
 * - an object removed by someone else between plan and execution is refused ("gone"), nothing fails;
 * - a live process adopting a set (semop) or a segment (shmat) after every other re-check, right before the
 *   guarded primitive: the primitive's own checks refuse (ECHANGED), nothing is removed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { nestedFixture, parseHelperLines, root } from './nsHarness';
import { assertPrivateIpcNamespace } from '../helpers/ns';

const { tmp, started, nested } = nestedFixture('ipcx-guards-');
let bin = '';

before(() => {
  bin = buildC('pg_sema');
});

interface PlanEntry {
  id: number;
  verdict: { state: string; recyclable: boolean; reasons: string[]; owner?: { label: string } };
}

test('pid reuse: a live pid that started after the set was made is not its postmaster', async () => {
  assertPrivateIpcNamespace();
  const ns = await nested();
  const dead = ns.start(bin, ['pg', '5432000', '1']);
  started.push(dead);
  const [set] = parseHelperLines(await dead.until()).sems;
  const pid = dead.pid;

  // control: the creator itself alive -> live
  let plan = JSON.parse(ns.ipcx(['recycle', '--json', '--min-age', '0', '--recent', '0']).stdout);
  assert.equal(plan.plan.stays.find((s: PlanEntry) => s.id === set.id).verdict.state, 'live');

  await dead.kill();
  // start-time resolution is a second and verdicts allow 2 s of slack: let 3.5 s pass
  await new Promise((r) => setTimeout(r, 3500));
  const reuse = ns.start(bin, ['withpid', String(pid)]);
  started.push(reuse);
  const lines = await reuse.until();
  assert.deepEqual(lines, [`child ${pid}`], 'a new process now has the dead postmaster pid');
  try {
    plan = JSON.parse(ns.ipcx(['recycle', '--json', '--min-age', '0', '--recent', '0']).stdout);
    const c = plan.plan.candidates.find((x: PlanEntry) => x.id === set.id);
    assert.ok(c, `the set is a candidate despite pid ${pid} being alive: ${JSON.stringify(plan.plan.stays)}`);
    assert.equal(c.verdict.state, 'orphan');
    assert.ok(c.verdict.reasons.some((r: string) => r.includes(`pid ${pid} is alive`) && r.includes('pid reuse')), c.verdict.reasons.join(' | '));
    assert.match(c.verdict.owner.label, /the pid now belongs to a later process/);
    const res = JSON.parse(ns.ipcx(['recycle', '--yes', '--json', '--min-age', '0', '--recent', '0', '--audit', path.join(tmp(), 'reuse.jsonl')]).stdout);
    assert.deepEqual(res.report.outcomes.map((o: { id: number; action: string }) => [o.id, o.action]), [[set.id, 'removed']]);
  } finally {
    process.kill(pid, 'SIGKILL'); // the child we made with that pid
    await reuse.kill();
  }
});

test('EACCES: a non-root user cannot prove anything about root 0600 sets; they stay, its own orphan goes', async () => {
  assertPrivateIpcNamespace();
  const ns = await nested();
  const rootPg = ns.start(bin, ['pg', '5432000', '2']);
  started.push(rootPg);
  const rootSets = parseHelperLines(await rootPg.until()).sems;
  const userPg = ns.start(bin, ['pg', '6543000', '1'], { user: 'nobody' });
  started.push(userPg);
  const userSets = parseHelperLines(await userPg.until()).sems;
  await rootPg.kill();
  await userPg.kill();

  const audit = path.join(tmp(), 'eacces.jsonl');
  const r = ns.ipcx(['recycle', '--yes', '--json', '--min-age', '0', '--recent', '0', '--audit', audit], { user: 'nobody', env: { ...process.env, HOME: tmp() } });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const s of rootSets) {
    const st = out.plan.stays.find((x: PlanEntry) => x.id === s.id);
    assert.equal(st.verdict.state, 'unreadable', JSON.stringify(st));
    assert.ok(st.verdict.reasons.some((x: string) => /EACCES/.test(x)));
  }
  assert.deepEqual(out.report.outcomes.map((o: { id: number; action: string }) => [o.id, o.action]), [[userSets[0].id, 'removed']]);
  const still = ns.read('/proc/sysvipc/sem').trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
  assert.deepEqual(still.sort((a, b) => a - b), rootSets.map((s) => s.id).sort((a, b) => a - b), "root's sets are untouched");
  // root, by contrast, can prove and recycle them
  const asRoot = JSON.parse(ns.ipcx(['recycle', '--json', '--min-age', '0', '--recent', '0']).stdout);
  assert.equal(asRoot.plan.candidates.length, 2);
});

test('an object removed by someone else between plan and execution is refused as gone', async () => {
  assertPrivateIpcNamespace();
  const ns = await nested();
  const dead = ns.start(bin, ['pg', '5432000', '3']);
  started.push(dead);
  const sets = parseHelperLines(await dead.until()).sems;
  await dead.kill();
  const audit = path.join(tmp(), 'vanish.jsonl');
  const r = ns.run(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'recycle', 'scenarioDriver.ts'), 'vanish', audit]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual([...out.planned].sort(), sets.map((s) => s.id).sort());
  assert.equal(out.report.removed, 0);
  assert.equal(out.report.failed, 0);
  assert.equal(out.report.refused, 3);
  for (const o of out.report.outcomes) assert.match(o.reasons.join(' '), /gone since the plan/);
  const lines = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.action), ['refused', 'refused', 'refused']);
  assert.equal(spawnSync('true').status, 0);
});

test('adopted right before the guarded primitive: its own IPC_STAT/GETPID checks refuse', async () => {
  assertPrivateIpcNamespace();
  const ns = await nested();
  const dead = ns.start(bin, ['pg', '5432000', '2']);
  started.push(dead);
  const sets = parseHelperLines(await dead.until()).sems;
  await dead.kill();
  // an orphan segment too: created and attached by a process that exited
  const seg = ns.run('sh', ['-c', 'ipcmk -M 4096 | sed "s/[^0-9]//g"']).stdout.trim();
  assert.match(seg, /^\d+$/);
  await new Promise((r) => setTimeout(r, 50));
  const audit = path.join(tmp(), 'adopt.jsonl');
  const r = ns.run(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'recycle', 'scenarioDriver.ts'), 'adopt', audit, bin]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual([...out.planned].sort(), [...sets.map((s) => `sem:${s.id}`), `shm:${seg}`].sort());
  assert.equal(out.report.removed, 0, 'nothing adopted is removed');
  assert.equal(out.report.refused, 3);
  for (const o of out.report.outcomes) assert.equal(o.code, 'ECHANGED', JSON.stringify(o));
  assert.ok(out.report.outcomes.some((o: { kind: string; reasons: string[] }) => o.kind === 'shm' && /nattch/.test(o.reasons.join(' '))));
  const left = ns.read('/proc/sysvipc/sem').trim().split('\n').slice(1).length;
  assert.equal(left, 2, 'both sets still there');
});

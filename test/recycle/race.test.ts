/**
 * The race test: while recycle plans and executes round after round, a partner process keeps re-creating
 * PostgreSQL-like sets and shm segments under the same keys (each first a fresh orphan: its creator exits),
 * adopting them (semop / shmat: from then on they are live) and checking that nothing it adopted was
 * removed, for at least 1,000 rounds. The number of live objects removed must be 0; the test prints how many
 * removals and refusals it saw, and checks the audit log holds every decision.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { NestedNs, assertPrivateIpcNamespace, ensureCliBuilt, root, type Started } from './nsHarness';

const ROUNDS = Number(process.env['IPCX_RACE_ROUNDS'] ?? 1000);
let ns: NestedNs;
let tmp = '';
const started: Started[] = [];

before(async () => {
  assertPrivateIpcNamespace();
  ensureCliBuilt();
  ns = await NestedNs.create();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-race-'));
});

after(async () => {
  for (const s of started) await s.kill();
  ns?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function parseCounts(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

test(`race: recycle against re-creation, attach and semop under the same keys (${ROUNDS} rounds): 0 live objects removed`, { timeout: 600000 }, async () => {
  assertPrivateIpcNamespace();
  assert.ok(ROUNDS >= 1000 || process.env['IPCX_RACE_ROUNDS'], 'at least 1,000 rounds');
  const bin = buildC('pg_sema');
  const stop = path.join(tmp, 'stop');
  const auditFile = path.join(tmp, 'audit.jsonl');
  const driver = ns.start(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'recycle', 'raceDriver.ts'), stop, auditFile]);
  started.push(driver);
  const driverOut: string[] = [];
  driver.proc.stdout!.on('data', (b: Buffer) => driverOut.push(b.toString()));
  const driverDone = new Promise<number | null>((r) => driver.proc.once('exit', (c) => r(c)));

  const racer = ns.start(bin, ['race', '8800000', '4', String(ROUNDS)]);
  started.push(racer);
  const lines = await racer.until('DONE', 540000);
  fs.writeFileSync(stop, '');
  const code = await driverDone;
  assert.equal(code, 0, 'the recycler ran to the end');
  const counts = parseCounts(lines);
  const totals = JSON.parse(driverOut.join('').trim().split('\n').pop()!);
  console.log(
    `race: ${ROUNDS} rounds; partner: ${counts['orphans']} orphans made, ${counts['adopted']} sets + ${counts['shmAdopted']} segments adopted while live, ` +
      `${counts['lost']} adoptions lost to a removal (fine), ${counts['wrong']} live objects removed; recycler: ${totals.rounds} plans, ` +
      `${totals.planned} candidates, ${totals.removed} removed, ${totals.refused} refused ${JSON.stringify(totals.refusedWhy)}, ${totals.failed} failed`,
  );
  assert.equal(counts['wrong'], 0, 'no live object was removed');
  assert.ok(totals.removed > 0, 'the recycler did remove orphans (the test exercised removal)');
  assert.ok(counts['adopted']! > 0, 'the partner did adopt sets');
  assert.equal(totals.failed, 0, `no removal failed: ${totals.failures.join(' | ')}`);
  const audit = fs.readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(audit.length, totals.removed + totals.refused + totals.failed, 'every decision is in the audit log');
  assert.equal(audit.filter((a) => a.action === 'removed').length, totals.removed);
});

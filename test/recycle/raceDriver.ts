/**
 * The recycler side of the race test (run by race.test.ts inside the nested namespace, never by itself):
 * plans and executes recycle rounds in-process (LocalSource, native guarded removal) until the stop file
 * appears, then one last round (the sweep, over what the test left orphaned after the race), and prints one
 * JSON line with what it saw.
 */
import fs from 'node:fs';
import { AuditLog } from '../../extension/backend/audit';
import { LocalSource } from '../../extension/backend/localSource';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { assertPrivateIpcNamespace } from '../helpers/ns';

async function main(): Promise<void> {
  const [stopFile, auditFile] = process.argv.slice(2);
  if (!stopFile || !auditFile) throw new Error('usage: raceDriver STOPFILE AUDITFILE');
  assertPrivateIpcNamespace();
  const source = new LocalSource();
  if (source.mode !== 'native') throw new Error('the race test needs the native binding (guarded removal)');
  const audit = new AuditLog(auditFile);
  const totals = {
    rounds: 0, planned: 0, removed: 0, refused: 0, failed: 0, refusedAfterLock: 0, refusedWhy: {} as Record<string, number>, failures: [] as string[],
    /** every removal: ref and the CLOCK_MONOTONIC ns when the guarded primitive was called and when it returned */
    removals: [] as Array<{ ref: string; t0: string; t1: string }>,
  };
  const started = new Map<string, bigint>();
  const round = async (): Promise<void> => {
    const prep = await prepareRecycle(source, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 } });
    totals.rounds++;
    totals.planned += prep.plan.candidates.length;
    const r = await executeRecyclePlan(prep.plan, {
      source, processFacts: prep.processFacts, audit, ownPids: [process.pid],
      beforeRemove: (c) => void started.set(c.ref, process.hrtime.bigint()),
      onOutcome: (o) => {
        const t1 = process.hrtime.bigint();
        const t0 = started.get(o.ref);
        started.delete(o.ref);
        if (o.action === 'removed' && t0 !== undefined) totals.removals.push({ ref: o.ref, t0: String(t0), t1: String(t1) });
      },
    });
    totals.removed += r.removed;
    totals.refused += r.refused;
    totals.failed += r.failed;
    for (const o of r.outcomes) {
      if (o.action === 'refused') totals.refusedWhy[o.code ?? '?'] = (totals.refusedWhy[o.code ?? '?'] ?? 0) + 1;
      // refused by the re-verification after the lock (IPC_SET mode 0): the original mode was restored
      if (o.action === 'refused' && o.reasons.some((r) => /while lock/.test(r))) totals.refusedAfterLock++;
      if (o.action === 'failed' && totals.failures.length < 10) totals.failures.push(`${o.ref}: ${o.code} ${o.reasons.join('; ')}`);
    }
  };
  while (!fs.existsSync(stopFile)) await round();
  const raceRemoved = totals.removed;
  await round();
  process.stdout.write(JSON.stringify({ ...totals, raceRemoved, sweepRemoved: totals.removed - raceRemoved }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`raceDriver: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

/**
 * In-process recycle scenarios for guards.test.ts, run inside the test's nested namespace (never by itself):
 *   vanish AUDIT   plan, then remove every candidate behind the planner's back (ipcrm, "someone else"),
 *                  then execute the stale plan; prints {plan candidates, report} as one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { AuditLog } from '../../extension/backend/audit';
import { LocalSource } from '../../extension/backend/localSource';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { assertPrivateIpcNamespace } from './nsHarness';

async function main(): Promise<void> {
  const [mode, auditFile] = process.argv.slice(2);
  assertPrivateIpcNamespace();
  if (mode !== 'vanish' || !auditFile) throw new Error('usage: scenarioDriver vanish AUDITFILE');
  const source = new LocalSource();
  const prep = await prepareRecycle(source, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 } });
  for (const c of prep.plan.candidates) {
    const flag = c.kind === 'sem' ? '-s' : c.kind === 'shm' ? '-m' : '-q';
    const r = spawnSync('ipcrm', [flag, String(c.id)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ipcrm ${flag} ${c.id}: ${r.stderr}`);
  }
  const report = await executeRecyclePlan(prep.plan, { source, processFacts: prep.processFacts, audit: new AuditLog(auditFile) });
  process.stdout.write(JSON.stringify({ planned: prep.plan.candidates.map((c) => c.id), report }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`scenarioDriver: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

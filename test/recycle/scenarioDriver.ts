/**
 * In-process recycle scenarios for guards.test.ts, run inside the test's nested namespace (never by itself):
 *   vanish AUDIT        plan, then remove every candidate behind the planner's back (ipcrm, "someone else"),
 *                       then execute the stale plan; prints {planned, report} as one JSON line.
 *   adopt AUDIT PG_SEMA after every other re-check passed and right before the guarded primitive, a live
 *                       process adopts each candidate (semop on a set / shmat on a segment): the primitive's
 *                       own IPC_STAT/GETPID checks must refuse; prints {planned, report, adopters}.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { AuditLog } from '../../extension/backend/audit';
import { LocalSource } from '../../extension/backend/localSource';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { assertPrivateIpcNamespace } from '../helpers/ns';

async function main(): Promise<void> {
  const [mode, auditFile, pgSema] = process.argv.slice(2);
  assertPrivateIpcNamespace();
  const source = new LocalSource();
  const prep = await prepareRecycle(source, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 } });
  if (mode === 'adopt' && auditFile && pgSema) {
    const adopters: ChildProcess[] = [];
    try {
      const report = await executeRecyclePlan(prep.plan, {
        source,
        processFacts: prep.processFacts,
        audit: new AuditLog(auditFile),
        beforeRemove: (c) =>
          new Promise<void>((resolve, reject) => {
            const args = c.kind === 'sem' ? [String(c.id), '-1'] : c.kind === 'shm' ? ['-1', String(c.id)] : ['-1', '-1'];
            const p = spawn(pgSema, ['adopt', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
            adopters.push(p);
            p.stdout!.on('data', (b: Buffer) => {
              if (b.toString().includes('READY')) resolve();
            });
            p.once('exit', (code) => reject(new Error(`adopter exited ${code}`)));
          }),
      });
      process.stdout.write(JSON.stringify({ planned: prep.plan.candidates.map((c) => c.ref), report, adopters: adopters.map((a) => a.pid) }) + '\n');
    } finally {
      for (const a of adopters) a.kill('SIGKILL'); // the adopters this driver started, by their handles
    }
    return;
  }
  if (mode !== 'vanish' || !auditFile) throw new Error('usage: scenarioDriver vanish AUDITFILE | adopt AUDITFILE PG_SEMA');
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

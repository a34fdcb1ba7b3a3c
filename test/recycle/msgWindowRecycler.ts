/**
 * One recycle of one queue, in-process (LocalSource, native guarded removal, the executor's fenced check),
 * for msgWindow.test.ts: run by msgWindowDriver.ts under test/helpers/c/ipc_pause.c, inside the driver's pid +
 * IPC namespace (so the blocked-process scan may trust this pid namespace, a test-only option).
 *   msgWindowRecycler.ts ID AUDIT   prints one JSON line: the plan's candidates and the report
 */
import { AuditLog } from '../../extension/backend/audit';
import { LocalSource } from '../../extension/backend/localSource';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';

async function main(): Promise<void> {
  const [id, auditFile] = process.argv.slice(2);
  if (!id || !auditFile) throw new Error('usage: msgWindowRecycler ID AUDIT');
  const source = new LocalSource({ taskScan: { trustPidNamespace: true } });
  if (source.mode !== 'native') throw new Error('needs the native binding');
  const prep = await prepareRecycle(source, {
    verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true },
    kinds: ['msg'],
    refs: [`msg:${id}`],
  });
  const stays = prep.plan.stays.map((s) => ({ id: s.id, why: s.why }));
  const report = await executeRecyclePlan(prep.plan, { source, processFacts: prep.processFacts, audit: new AuditLog(auditFile) });
  process.stdout.write(JSON.stringify({ planned: prep.plan.candidates.map((c) => c.id), stays, report }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`msgWindowRecycler: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});

/**
 * The recycler side of the race test (run by race.test.ts inside the nested namespace, never by itself):
 * plans and executes recycle rounds in-process (LocalSource, native guarded removal) until the stop file
 * appears, then one last round (the sweep, over what the test left orphaned after the race), and prints one
 * JSON line with what it saw.
 */
import fs from 'node:fs';
import { AuditLog } from '../../extension/backend/audit';
import { LocalSource } from '../../extension/backend/localSource';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { raceRecycler } from './raceRecycler';

async function main(): Promise<void> {
  const [stopFile, auditFile] = process.argv.slice(2);
  if (!stopFile || !auditFile) throw new Error('usage: raceDriver STOPFILE AUDITFILE');
  assertPrivateIpcNamespace();
  const source = new LocalSource();
  if (source.mode !== 'native') throw new Error('the race test needs the native binding (guarded removal)');
  const audit = new AuditLog(auditFile);
  const { totals, round } = raceRecycler(source, audit, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 } }, { afterLock: /while lock/ });
  while (!fs.existsSync(stopFile)) await round();
  const raceRemoved = totals.removed;
  await round();
  process.stdout.write(JSON.stringify({ ...totals, raceRemoved, sweepRemoved: totals.removed - raceRemoved }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`raceDriver: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

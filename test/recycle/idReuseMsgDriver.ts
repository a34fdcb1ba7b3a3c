/**
 * The queue case of idReuse.test.ts. A queue's removal needs the blocked-process proof, which only a recycler
 * that is pid 1 of a pid namespace made with its IPC namespace can give here, so this runs as
 *   unshare --ipc --pid --fork --mount-proc node --import tsx idReuseMsgDriver.ts
 * It makes an orphan queue (one message from a sender that exited), plans its recycle, and right before the
 * guarded removal (the executor's beforeRemove hook) removes it and creates a new queue under the same id
 * (kernel.msg_next_id), key, mode and owner, with one message from another sender. Prints one JSON line: the
 * outcome, the new queue as created and as it is afterwards.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { LocalSource } from '../../extension/backend/localSource';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { buildC } from '../helpers/cprog';

const KEY = 0x1d0002;

function make(): number {
  const r = spawnSync(buildC('ipc_make'), ['msg', '-n', '1', '-k', String(KEY), '-m', '640', '-M', '1', '-B', '16'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipc_make: ${r.stdout}${r.stderr}`);
  return Number(/^msg (\d+)/m.exec(r.stdout)![1]);
}

async function main(): Promise<void> {
  if (process.pid !== 1) throw new Error('idReuseMsgDriver must be pid 1 of its own pid namespace');
  const id = make();
  const source = new LocalSource({ taskScan: { trustPidNamespace: true } });
  if (source.mode !== 'native') throw new Error('needs the native binding');
  const prep = await prepareRecycle(source, {
    verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true, trust: [{ key: KEY }] }, kinds: ['msg'], refs: [`msg:${id}`],
  });
  let replaced: unknown;
  let reusedId = -1;
  const report = await executeRecyclePlan(prep.plan, {
    source, processFacts: prep.processFacts,
    beforeRemove: async () => {
      if (spawnSync('ipcrm', ['-q', String(id)]).status !== 0) throw new Error('ipcrm -q failed');
      fs.writeFileSync('/proc/sys/kernel/msg_next_id', String(id));
      reusedId = make();
      replaced = await source.stat('msg', id);
    },
  });
  let after: unknown;
  try {
    after = await source.stat('msg', id);
  } catch (e) {
    after = { gone: (e as { code?: string }).code };
  }
  process.stdout.write(JSON.stringify({ id, planned: prep.plan.candidates.map((c) => c.id), stays: prep.plan.stays.map((s) => s.why), reusedId, replaced, after, outcomes: report.outcomes }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`idReuseMsgDriver: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});

/**
 * The recycler side of the activity race (raceActivity.test.ts), run only as
 *   unshare --ipc --pid --fork --mount-proc node --import tsx raceActivityDriver.ts shm|msg ROUNDS AUDIT
 * i.e. as pid 1 of a pid namespace created together with its IPC namespace: it starts the partner
 * (race_activity, as nobody) itself, so every process that can use the objects is in this pid namespace and
 * visible in its /proc, and tells the blocked-process scan so (taskScan.trustPidNamespace, a test-only
 * option). Plans and executes recycle rounds in-process (LocalSource, native guarded removal,
 * recycleUnrecognized: queues have no recogniser) until the partner prints DONE, then prints one JSON line:
 * the recycler's totals and the partner's counts.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { AuditLog } from '../../extension/backend/audit';
import { LocalSource } from '../../extension/backend/localSource';
import { buildC } from '../helpers/cprog';
import { raceRecycler } from './raceRecycler';

async function main(): Promise<void> {
  const [kind, rounds, auditFile] = process.argv.slice(2);
  if (process.pid !== 1) throw new Error('raceActivityDriver must be pid 1 of its own pid namespace');
  if ((kind !== 'shm' && kind !== 'msg') || !rounds || !auditFile) throw new Error('usage: raceActivityDriver shm|msg ROUNDS AUDIT');
  const partner = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', buildC('race_activity'), kind, '0x7a0000', '4', rounds], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let done = false;
  const finished = new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: partner.stdout! }).on('line', (l) => {
      if (l === 'DONE') {
        done = true;
        resolve();
      } else lines.push(l);
    });
    partner.once('exit', (code) => (done ? resolve() : reject(new Error(`race_activity exited ${code} before DONE: ${lines.join(' | ')}`))));
  });
  finished.catch(() => undefined);
  const source = new LocalSource({ taskScan: { trustPidNamespace: true } });
  if (source.mode !== 'native') throw new Error('the race needs the native binding');
  const audit = new AuditLog(auditFile);
  const { totals, round } = raceRecycler(
    source, audit,
    { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true }, kinds: [kind] },
    {
      refusedAs: (o) => (o.code === 'ECHANGED' ? (/blocked in msgrcv|cannot prove/.test(o.reasons.join(' ')) ? 'ECHANGED(blocked)' : 'ECHANGED') : (o.code ?? '?')),
      afterLock: /while lock|after the lock|; mode restored/,
    },
  );
  while (!done) await round();
  await finished;
  process.stdout.write(JSON.stringify({ totals, partner: lines }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`raceActivityDriver: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});

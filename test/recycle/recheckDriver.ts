/**
 * Blocked senders and receivers, for recheck.test.ts: run it only as
 *   unshare --ipc --pid --fork --mount-proc node --import tsx recheckDriver.ts MODE AUDIT
 * i.e. as pid 1 of a pid namespace created together with its own IPC namespace, so every process that can
 * use its queues is visible in its /proc. (This machine's real pid 1 cannot be read even by root, so a
 * proof in the initial pid namespace is impossible here: see docs/recycle.md.)
 *   trusted   the executor is told to accept this pid namespace (LocalSource taskScan.trustPidNamespace, a
 *             test-only option): a server blocked in msgrcv (Q1) and a sender blocked on a full queue (Q3)
 *             keep their queues at planning; a server that blocks on Q4 after planning keeps it at
 *             execution; Q2 (nobody blocked) is removed.
 *   cli       the real `ipcx recycle --yes --include-unrecognized` (no trust): the pid namespace is not the
 *             initial one, so no queue can be proven free and every one stays.
 * Prints one JSON line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { AuditLog } from '../../extension/backend/audit';
import { LocalSource } from '../../extension/backend/localSource';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { buildC } from '../helpers/cprog';

const root = path.resolve(__dirname, '..', '..');
const children: ChildProcess[] = [];

function makeQueue(args: string[]): number {
  const r = spawnSync(buildC('ipc_make'), ['msg', '-n', '1', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipc_make msg ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return Number(/^msg (\d+)/m.exec(r.stdout)![1]);
}

/** ipc_user ARGS; resolves with the child and its pid once it is asleep in system call `nr`. */
async function blockedUser(args: string[], nr: number): Promise<{ child: ChildProcess; pid: number; lines: string[] }> {
  const child = spawn(buildC('ipc_user'), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const pid = child.pid!;
  for (let i = 0; i < 2000; i++) {
    let st = '';
    try {
      st = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8');
    } catch {
      // not yet
    }
    // asleep in the call, and its first line read (it prints "pid N" before the call)
    if (st.startsWith(`${nr} `) && lines.length >= (args[0] === 'fill' ? 2 : 1)) return { child, pid, lines };
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`ipc_user ${args.join(' ')} never blocked in syscall ${nr}: ${lines.join(' | ')}`);
}

const MSGRCV = process.arch === 'arm64' ? 188 : 70;
const MSGSND = process.arch === 'arm64' ? 189 : 69;

async function main(): Promise<void> {
  const [mode, auditFile] = process.argv.slice(2);
  if (process.pid !== 1) throw new Error('recheckDriver must be pid 1 of its own pid namespace (unshare --pid --fork --mount-proc)');
  if (!auditFile) throw new Error('usage: recheckDriver trusted|cli AUDIT');
  // orphans: made by ipc_make, which has exited (lspid dead); Q3 is full (16 x 1024 = MSGMNB 16384)
  const q1 = makeQueue(['-M', '1', '-B', '16']);
  const q2 = makeQueue(['-M', '1', '-B', '16']);
  const q3 = makeQueue(['-M', '16', '-B', '1024']);
  const q4 = makeQueue(['-M', '1', '-B', '16']);
  const server = await blockedUser(['recv', String(q1), '99'], MSGRCV); // waits for a type no one sends
  const sender = await blockedUser(['fill', String(q3)], MSGSND);
  const out: Record<string, unknown> = { q1, q2, q3, q4, server: server.pid, sender: sender.pid };
  if (mode === 'cli') {
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'ipcx.js'), 'recycle', '--yes', '--json', '--include-unrecognized', '--min-age', '0', '--recent', '0', '--kind', 'msg', '--audit', auditFile], {
      encoding: 'utf8',
    });
    out['status'] = r.status;
    out['cli'] = JSON.parse(r.stdout);
  } else if (mode === 'trusted') {
    const source = new LocalSource({ taskScan: { trustPidNamespace: true } });
    const prep = await prepareRecycle(source, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true }, kinds: ['msg'] });
    out['planned'] = prep.plan.candidates.map((c) => c.id);
    out['stays'] = prep.plan.stays.map((s) => ({ id: s.id, why: s.why }));
    // after planning, a server starts waiting on Q4
    const late = await blockedUser(['recv', String(q4), '99'], MSGRCV);
    out['late'] = late.pid;
    out['report'] = await executeRecyclePlan(prep.plan, { source, processFacts: prep.processFacts, audit: new AuditLog(auditFile) });
    out['lateLines'] = late.lines;
  } else throw new Error(`unknown mode ${mode}`);
  const snap = await new LocalSource().snapshot();
  out['left'] = snap.msgs.map((q) => q.id);
  out['serverLines'] = server.lines;
  out['senderLines'] = sender.lines;
  out['blockedStill'] = [server.pid, sender.pid].map((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/syscall`, 'utf8').split(' ')[0];
    } catch {
      return 'exited';
    }
  });
  process.stdout.write(JSON.stringify(out) + '\n');
}

main()
  .catch((e) => {
    process.stderr.write(`recheckDriver: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); // ours, by handle
  });

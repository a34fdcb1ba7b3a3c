/**
 * The lock's window on a message queue, forced (msgWindow.test.ts). Run only as
 *   unshare --ipc --pid --fork --mount-proc node --import tsx msgWindowDriver.ts SCENARIO AUDIT
 * i.e. as pid 1 of a pid namespace made together with its IPC namespace: every process that can use the queue
 * is visible in its /proc. The queue is an orphan of nobody (0600, one message from a sender that exited). A
 * receiver (test/helpers/c/ipc_user.c gorecv, as nobody) exists from the start, asleep in read(stdin), and
 * calls msgrcv on a type nobody sends when told. The recycle (msgWindowRecycler.ts) runs under
 * test/helpers/c/ipc_pause.c, held in the kernel at a chosen system call until released:
 *   before   the receiver is asleep in msgrcv before the recycle starts
 *   between  held at the IPC_SET itself (every check before the lock made, the lock not applied): the
 *            receiver enters msgrcv and is asleep there when the IPC_SET runs
 *   after    held at the first call after the IPC_SET (the queue is locked): the receiver calls msgrcv then
 *   idle     held at the IPC_SET; the receiver does nothing (the control: the removal goes through)
 * Prints one JSON line: the recycle's output, what the receiver printed, the queue before and after, where the
 * recycle was held, and the receiver's state.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Duplex } from 'node:stream';
import { LocalSource } from '../../extension/backend/localSource';
import { buildC } from '../helpers/cprog';
import { AS_NOBODY, forOtherUsers } from '../helpers/stage';

const root = path.resolve(__dirname, '..', '..');
const MSGRCV = process.arch === 'arm64' ? 188 : 70;
const children: ChildProcess[] = [];

function lines(stream: NodeJS.ReadableStream): { all: string[]; next(): Promise<string> } {
  const all: string[] = [];
  const queue: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  let closed = false;
  const rl = readline.createInterface({ input: stream });
  rl.on('line', (l) => {
    all.push(l);
    if (waiting.length) waiting.shift()!(l);
    else queue.push(l);
  });
  rl.on('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w('<closed>');
  });
  return { all, next: () => (queue.length ? Promise.resolve(queue.shift()!) : closed ? Promise.resolve('<closed>') : new Promise((r) => waiting.push(r))) };
}

function syscallOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0]!;
  } catch {
    return 'exited';
  }
}

/** Polls the receiver's state until it is asleep in msgrcv (a state to reach, not a pause to wait out). */
async function untilInMsgrcv(pid: number, said: () => string[]): Promise<void> {
  for (let i = 0; i < 4000; i++) {
    if (syscallOf(pid) === String(MSGRCV)) return;
    if (said().some((l) => l.startsWith('err') || l.startsWith('got'))) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`the receiver ${pid} never reached msgrcv (${syscallOf(pid)}): ${said().join(' | ')}`);
}

async function main(): Promise<void> {
  const [scenario, auditFile] = process.argv.slice(2);
  if (process.pid !== 1) throw new Error('msgWindowDriver must be pid 1 of its own pid namespace');
  if (!['before', 'between', 'after', 'idle'].includes(scenario ?? '') || !auditFile) throw new Error('usage: msgWindowDriver before|between|after|idle AUDIT');
  const made = spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), forOtherUsers(buildC('ipc_make')), 'msg', '-n', '1', '-M', '1', '-B', '16'], { encoding: 'utf8', cwd: '/' });
  if (made.status !== 0) throw new Error(`ipc_make as nobody: ${made.stdout}${made.stderr}`);
  const id = Number(/^msg (\d+)/m.exec(made.stdout)![1]);
  const source = new LocalSource();
  const before = await source.stat('msg', id);

  const rcv = spawn(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), forOtherUsers(buildC('ipc_user')), 'gorecv', String(id), '99'], { stdio: ['pipe', 'pipe', 'inherit'], cwd: '/' });
  children.push(rcv);
  const said = lines(rcv.stdout!);
  const first = await said.next();
  const pid = Number(/^pid (\d+)$/.exec(first)?.[1] ?? NaN);
  if (!Number.isInteger(pid)) throw new Error(`ipc_user gorecv: ${first}`);
  const go = async (): Promise<void> => {
    rcv.stdin!.write('go\n');
    await untilInMsgrcv(pid, () => said.all);
  };
  if (scenario === 'before') await go();

  const argv = [buildC('ipc_pause'), ...(scenario === 'after' ? [] : ['--at-set']), process.execPath, '--import', 'tsx', path.join(root, 'test', 'recycle', 'msgWindowRecycler.ts'), String(id), auditFile];
  const rec = spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  children.push(rec);
  let stdout = '';
  let stderr = '';
  rec.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  rec.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => rec.once('exit', (c) => r(c)));
  const ctl = rec.stdio[3] as Duplex;
  const held = await lines(ctl).next();
  const out: Record<string, unknown> = { id, receiver: pid, held, before };
  if (held.startsWith('PAUSED ')) {
    out['modeWhileHeld'] = (await source.stat('msg', id)).mode;
    if (scenario === 'between') {
      await go();
      out['receiverWhileHeld'] = syscallOf(pid);
    } else if (scenario === 'after') {
      rcv.stdin!.write('go\n');
      // a non-root newcomer on the locked queue: msgrcv fails at once (EACCES), it never sleeps there
      out['newcomer'] = await said.next();
    }
    ctl.write('go\n');
  }
  const code = await exited;
  if (code !== 0) throw new Error(`msgWindowRecycler exited ${code}: ${stderr}`);
  out['recycle'] = JSON.parse(stdout.trim().split('\n').pop()!);
  try {
    out['after'] = await source.stat('msg', id);
  } catch (e) {
    out['after'] = { gone: (e as { code?: string }).code };
  }
  // the receiver: still asleep in msgrcv, or what msgrcv returned
  for (let i = 0; i < 2000 && scenario !== 'idle' && syscallOf(pid) !== String(MSGRCV) && said.all.length < 2; i++) await new Promise((r) => setTimeout(r, 2));
  out['receiverNow'] = syscallOf(pid);
  out['receiverSaid'] = said.all.slice(1);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main()
  .catch((e) => {
    process.stderr.write(`msgWindowDriver: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); // ours, by handle
  });

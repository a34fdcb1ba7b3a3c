/**
 * Real IPC namespaces for the container tests and bench: `unshare --ipc --mount --pid --fork`, each with a
 * tmpfs /dev/shm of a chosen size, its own limits (written to /proc/sys/kernel/* inside it), objects made
 * inside by test/helpers/c/ipc_make, files in its /dev/shm, and a holder process (the namespace's pid 1,
 * `sleep`) that keeps it alive until the test ends it. Arguments pass as an argv (no shell text is built
 * from test data beyond the fixed script with positional parameters).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { buildC } from './cprog';

export interface MadeNamespace {
  /** the unshare process (our child) */
  unshare: ChildProcess;
  /** the holder: pid 1 of the new pid namespace, in our pid numbers */
  pid: number;
  ns: string;
  inode: number;
  /** waits until the unshare process has exited (after end()) */
  exited: Promise<void>;
  /** ends the holder (SIGKILL to the unshare child's pid namespace init) */
  end(): Promise<void>;
}

export interface NamespaceSpec {
  /** tmpfs size of /dev/shm, e.g. '8m' */
  shmSize?: string;
  /** /proc/sys/kernel/sem inside: "SEMMSL SEMMNS SEMOPM SEMMNI" */
  sem?: string;
  /** /proc/sys/kernel/shmmni inside */
  shmmni?: number;
  /** semaphore sets (ipc_make sem -n N -s nsems -v p) */
  sets?: number;
  nsems?: number;
  /** message queues, each holding one 16-byte message sent by ipc_make (which then exits: an orphan) */
  queues?: number;
  /** MiB written to /dev/shm/blob */
  blobMiB?: number;
  /** a UTS namespace of its own too (`unshare --uts`), with this hostname */
  hostname?: string;
}

const SCRIPT = [
  'set -e',
  'mount --make-rprivate /',
  'mount -t tmpfs -o "size=$1,mode=1777" tmpfs /dev/shm',
  'if [ -n "$2" ]; then echo "$2" > /proc/sys/kernel/sem; fi',
  'if [ "$3" != 0 ]; then echo "$3" > /proc/sys/kernel/shmmni; fi',
  'if [ "$5" != 0 ]; then "$4" sem -n "$5" -s "$6" -v p -q >/dev/null; fi',
  'if [ "$7" != 0 ]; then "$4" msg -n "$7" -M 1 -B 16 -q >/dev/null; fi',
  'if [ "$8" != 0 ]; then dd if=/dev/zero of=/dev/shm/blob bs=1M count="$8" status=none; fi',
  'if [ -n "$9" ]; then hostname "$9"; fi',
  'echo READY',
  'exec sleep 100000',
].join('\n');

function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function makeNamespace(spec: NamespaceSpec = {}): Promise<MadeNamespace> {
  const make = buildC('ipc_make');
  const args = [
    '--ipc', '--mount', '--pid', '--fork', ...(spec.hostname ? ['--uts'] : []), '--', 'sh', '-c', SCRIPT, 'ns',
    spec.shmSize ?? '8m', spec.sem ?? '', String(spec.shmmni ?? 0), make, String(spec.sets ?? 0), String(spec.nsems ?? 3),
    String(spec.queues ?? 0), String(spec.blobMiB ?? 0), spec.hostname ?? '',
  ];
  const unshare = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  unshare.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => unshare.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    unshare.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) resolve();
    });
    unshare.once('exit', (code) => reject(new Error(`unshare exited ${code} before READY: ${err}`)));
  });
  // the holder: unshare's forked child (pid 1 inside), which exec'd sleep
  let pid = 0;
  for (let i = 0; i < 200 && !pid; i++) {
    pid = childrenOf(unshare.pid!)[0] ?? 0;
    if (!pid) await new Promise((r) => setTimeout(r, 5));
  }
  if (!pid) throw new Error('no holder process under unshare');
  const ns = fs.readlinkSync(`/proc/${pid}/ns/ipc`);
  const inode = Number(/\d+/.exec(ns)![0]);
  return {
    unshare,
    pid,
    ns,
    inode,
    exited,
    async end() {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

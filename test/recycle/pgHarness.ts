/**
 * Real PostgreSQL for recycle tests: the newest installed server (Debian: /usr/lib/postgresql/MAJOR/bin, never
 * a hard-coded major: capabilities.findPostgresBin) and a private pid + IPC + mount namespace whose pid 1 is our own reaper (ns_init).
 * In it ipcx sees every process that could map a file (a /proc/PID/maps it cannot read is doubt) and killed
 * processes do not linger as zombies. /dev/shm is the stage's private tmpfs (the new mount namespace is a
 * copy of the stage's). Commands enter with nsenter, which forks: the program is nsenter's child, and its
 * pid inside the namespace is `nsPid(hostPid)`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { findPostgresBin } from '../helpers/capabilities';
import { buildC } from '../helpers/cprog';
import { ipcxJs, root } from './nsHarness';

/** The newest installed PostgreSQL (capabilities.findPostgresBin: $IPCX_PG_BIN or /usr/lib/postgresql/<version>/bin). */
const found = findPostgresBin();
export const PG = found ? { ...found, major: Number.parseInt(found.version, 10) } : undefined;
export const PSQL = fs.existsSync(PG ? path.join(PG.bin, 'psql') : '') ? path.join(PG!.bin, 'psql') : '/usr/bin/psql';

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const c of childrenOf(pid)) out.push(c, ...descendants(c));
  return out;
}

export const exists = (pid: number): boolean => fs.existsSync(`/proc/${pid}`);

/** The pid a host pid has inside its (innermost) pid namespace. */
export function nsPid(hostPid: number): number {
  const line = fs.readFileSync(`/proc/${hostPid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'))!;
  return Number(line.trim().split(/\s+/).pop());
}

export async function waitFor(what: string, cond: () => boolean, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const idOf = (user: string, flag: '-u' | '-g'): string => spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim();

/** A private pid + IPC + mount namespace; commands enter it with nsenter (which forks: the program is its child). */
export class PidNs {
  private constructor(private readonly unshare: ChildProcess, readonly init: number) {}

  static async create(): Promise<PidNs> {
    const u = spawn('unshare', ['--ipc', '--pid', '--fork', '--mount-proc', '--', buildC('ns_init')], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: u.stdout! }).on('line', (l) => l === 'READY' && resolve());
      u.once('exit', (c) => reject(new Error(`unshare exited ${c}`)));
    });
    const [init] = childrenOf(u.pid!);
    assert.ok(init && nsPid(init) === 1, 'ns_init is pid 1 of the new pid namespace');
    return new PidNs(u, init);
  }

  private argv(cmd: string, args: string[], user?: string): string[] {
    const inner = user ? ['setpriv', `--reuid=${idOf(user, '-u')}`, `--regid=${idOf(user, '-g')}`, '--clear-groups', '--', cmd, ...args] : [cmd, ...args];
    return ['-t', String(this.init), '--ipc', '--pid', '--mount', '--', ...inner];
  }

  run(cmd: string, args: string[], user?: string): SpawnSyncReturns<string> {
    return spawnSync('nsenter', this.argv(cmd, args, user), { encoding: 'utf8', cwd: root, maxBuffer: 64 << 20 });
  }

  /**
   * starts a program in the namespace; resolves with nsenter's process and the program's host pid, after the
   * program printed the line `ready` when one is given (its output is read from the start: no line is lost).
   */
  async start(cmd: string, args: string[], user?: string, ready?: string): Promise<{ proc: ChildProcess; pid: number }> {
    const proc = spawn('nsenter', this.argv(cmd, args, user), { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    proc.stderr!.resume();
    const seen = ready
      ? new Promise<void>((resolve, reject) => {
          readline.createInterface({ input: proc.stdout! }).on('line', (l) => l === ready && resolve());
          proc.once('exit', (c) => reject(new Error(`${cmd} exited (${c}) before ${ready}`)));
        })
      : (proc.stdout!.resume(), Promise.resolve());
    let pid = 0;
    await waitFor(`${cmd} started`, () => ([pid] = childrenOf(proc.pid!), pid > 0));
    await seen;
    return { proc, pid };
  }

  /** SIGKILL a program started with `start` (by its pid) and wait until nsenter has reaped it. */
  async kill(started: { proc: ChildProcess; pid: number }): Promise<void> {
    if (started.proc.exitCode !== null || started.proc.signalCode !== null) return;
    const done = new Promise<void>((resolve) => started.proc.once('exit', () => resolve()));
    if (exists(started.pid)) process.kill(started.pid, 'SIGKILL');
    await done;
  }

  ipcx(args: string[]): SpawnSyncReturns<string> {
    return this.run(process.execPath, [ipcxJs, ...args]);
  }

  close(): void {
    try {
      process.kill(this.unshare.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    try {
      process.kill(this.init, 'SIGKILL'); // pid 1 of the namespace: the kernel kills the rest of it
    } catch {
      // gone
    }
  }
}


/**
 * A new cluster for the postgres user: a temporary directory `tmp` (readable by postgres) holding the data
 * directory `dataDir`, made by initdb inside `ns` (trust auth, no fsync, UTF8, C locale), and the socket
 * directory `sockDir`. The caller removes `tmp`.
 */
export function initCluster(ns: PidNs, prefix: string): { tmp: string; dataDir: string; sockDir: string } {
  if (!PG) throw new Error('initCluster: no PostgreSQL installed');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(tmp, 0o755);
  const dataDir = path.join(tmp, 'data');
  const sockDir = path.join(tmp, 'sock');
  fs.mkdirSync(sockDir);
  spawnSync('chown', ['postgres:postgres', tmp, sockDir]);
  const r = ns.run(path.join(PG.bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], 'postgres');
  assert.equal(r.status, 0, `initdb failed: ${r.stderr}`);
  return { tmp, dataDir, sockDir };
}

/**
 * Starts the installed PostgreSQL's postmaster as user postgres inside `ns` (Unix socket in `sockDir`, small
 * memory, no fsync, plus `settings` as `-c name=value`) and waits until its postmaster.pid says "ready".
 * `started` hears the server's pid and nsenter's (the launcher that waits for it) before the wait, so a server
 * that never gets ready is still ended by the caller; the same pair is returned.
 */
export async function startPostgres(
  ns: PidNs, dataDir: string, sockDir: string, port: number, settings: string[],
  started: (s: { pid: number; launcher: number }) => void,
): Promise<{ pid: number; launcher: number }> {
  const args = ['-D', dataDir, '-p', String(port), '-c', `unix_socket_directories=${sockDir}`,
    '-c', 'shared_buffers=16MB', '-c', 'max_connections=20', '-c', 'fsync=off'];
  for (const s of settings) args.push('-c', s);
  const { pid, proc } = await ns.start(path.join(PG!.bin, 'postgres'), args, 'postgres');
  started({ pid, launcher: proc.pid! });
  await waitFor('postmaster.pid "ready"', () => {
    try {
      const l = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
      return Number(l[0]) === nsPid(pid) && l[7]?.trim() === 'ready';
    } catch {
      return false;
    }
  });
  return { pid, launcher: proc.pid! };
}

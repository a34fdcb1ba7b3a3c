/**
 * A nested private IPC namespace for one recycle test: a holder process (`unshare --ipc -- sleep`) keeps it
 * alive, and commands enter it with `nsenter --ipc=/proc/HOLDER/ns/ipc` (argv arrays, no shell strings).
 * nsenter execs the command after setns, so a spawned command's pid is the program's own pid: tests end
 * exactly the processes they started, by pid.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before } from 'node:test';
import { assertPrivateIpcNamespace, spawnInNewIpcNamespace } from '../helpers/ns';
import { forOtherUsers, stageDir, stagedIpcx } from '../helpers/stage';

export const root = path.resolve(__dirname, '..', '..');
export const ipcxJs = path.join(root, 'dist', 'ipcx.js');

/** Build dist/ipcx.js when it is missing or older than the recycle sources (tests run the real CLI). */
export function ensureCliBuilt(): void {
  const srcs = [
    'extension/cli/commands/recycle.ts', 'extension/cli/commands/doctor.ts', 'extension/domain/verdict.ts',
    'extension/domain/recyclePlan.ts', 'extension/backend/recycleExecutor.ts', 'extension/backend/ownerEvidence.ts',
    'extension/domain/recognizers/postgresql.ts', 'extension/domain/doctor.ts', 'extension/backend/procfs.ts',
    'extension/domain/processFacts.ts', 'extension/domain/readerView.ts',
  ].map((p) => path.join(root, p));
  const built = fs.existsSync(ipcxJs) ? fs.statSync(ipcxJs).mtimeMs : 0;
  if (built && srcs.every((s) => !fs.existsSync(s) || fs.statSync(s).mtimeMs <= built)) return;
  const r = spawnSync(process.execPath, [path.join(root, 'tools', 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

export interface Line {
  words: string[];
}

/** A started helper program: its pid, the lines it printed before READY, and a way to stop it. */
export class Started {
  readonly lines: string[] = [];
  private readonly rl: readline.Interface;
  constructor(readonly proc: ChildProcess) {
    this.rl = readline.createInterface({ input: proc.stdout! });
  }
  get pid(): number {
    return this.proc.pid!;
  }
  /** resolves with the lines printed before `marker` (default READY). */
  until(marker = 'READY', timeoutMs = 20000): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${marker}; got ${JSON.stringify(this.lines)}`)), timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(t);
        reject(new Error(`helper exited (${code}) before ${marker}; got ${JSON.stringify(this.lines)}`));
      };
      this.proc.once('exit', onExit);
      this.rl.on('line', (l) => {
        if (l === marker) {
          clearTimeout(t);
          this.proc.off('exit', onExit);
          resolve([...this.lines]);
        } else this.lines.push(l);
      });
    });
  }
  /** SIGKILL this process (only ours, by pid) and wait for it. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const done = new Promise<void>((r) => this.proc.once('exit', () => r()));
    process.kill(this.pid, 'SIGKILL');
    await done;
  }
}

/** uid (-u) or primary gid (-g) of a user name, as a number string (setpriv wants groups by number here). */
function idOf(user: string, flag: '-u' | '-g'): string {
  const r = spawnSync('id', [flag, user], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`id ${flag} ${user}: ${r.stderr}`);
  return r.stdout.trim();
}

export class NestedNs {
  private constructor(private readonly holder: ChildProcess) {}

  static async create(): Promise<NestedNs> {
    assertPrivateIpcNamespace();
    const holder = spawnInNewIpcNamespace('sleep', ['100000'], { stdio: 'ignore' });
    const ns = new NestedNs(holder);
    // wait until the holder is in its own namespace (unshare has exec'd sleep)
    const self = fs.readlinkSync('/proc/self/ns/ipc');
    for (let i = 0; i < 500; i++) {
      try {
        if (fs.readlinkSync(`/proc/${holder.pid}/ns/ipc`) !== self) return ns;
      } catch {
        // not there yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    ns.close();
    throw new Error('nested IPC namespace did not come up');
  }

  get nsPath(): string {
    return `/proc/${this.holder.pid}/ns/ipc`;
  }

  get nsId(): string {
    return fs.readlinkSync(this.nsPath);
  }

  /**
   * nsenter argv; with `user`, a program from the checkout is run from its staged copy (test/helpers/stage.ts),
   * because the checkout may be in a directory that user cannot enter.
   */
  private argv(cmd: string, args: string[], user?: string): [string, string[]] {
    const inner = user ? ['setpriv', `--reuid=${idOf(user, '-u')}`, `--regid=${idOf(user, '-g')}`, '--clear-groups', '--', forOtherUsers(cmd), ...args] : [cmd, ...args];
    return ['nsenter', [`--ipc=${this.nsPath}`, '--', ...inner]];
  }

  /** the working directory: the checkout for root, the stage directory for another user (it may not enter the checkout). */
  private cwd(user?: string): string {
    return user ? stageDir() : root;
  }

  run(cmd: string, args: string[], opts: { user?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
    const [c, a] = this.argv(cmd, args, opts.user);
    return spawnSync(c, a, { encoding: 'utf8', env: opts.env ?? process.env, cwd: opts.cwd ?? this.cwd(opts.user), maxBuffer: 64 << 20 });
  }

  start(cmd: string, args: string[], opts: { user?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): Started {
    const [c, a] = this.argv(cmd, args, opts.user);
    return new Started(spawn(c, a, { stdio: ['ignore', 'pipe', opts.quiet ? 'ignore' : 'inherit'], env: opts.env ?? process.env, cwd: this.cwd(opts.user) }));
  }

  /** ipcx in the namespace (as another user: the staged bundle and binding); returns the process result. */
  ipcx(args: string[], opts: { user?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
    if (!opts.user) return this.run(process.execPath, [ipcxJs, ...args], opts);
    const staged = stagedIpcx(opts.env ?? process.env);
    return this.run(process.execPath, [staged.js, ...args], { ...opts, env: staged.env });
  }

  /** /proc/sys/kernel/sem of this namespace: SEMMSL SEMMNS SEMOPM SEMMNI. */
  setSemLimits(semmsl: number, semmns: number, semopm: number, semmni: number): void {
    const r = this.run('sh', ['-c', 'printf "%s %s %s %s\\n" "$1" "$2" "$3" "$4" > /proc/sys/kernel/sem', 'sh', String(semmsl), String(semmns), String(semopm), String(semmni)]);
    if (r.status !== 0) throw new Error(`cannot set sem limits: ${r.stderr}`);
  }

  read(file: string): string {
    const r = this.run('cat', [file]);
    if (r.status !== 0) throw new Error(`cat ${file}: ${r.stderr}`);
    return r.stdout;
  }

  close(): void {
    if (this.holder.exitCode === null && this.holder.signalCode === null && this.holder.pid) {
      try {
        process.kill(this.holder.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Parse `sem ID KEY` / `shm ID KEY` / `waiter PID` lines. */
export function parseHelperLines(lines: string[]): { sems: Array<{ id: number; key: number }>; shms: Array<{ id: number; key: number }>; waiters: number[] } {
  const out = { sems: [] as Array<{ id: number; key: number }>, shms: [] as Array<{ id: number; key: number }>, waiters: [] as number[] };
  for (const l of lines) {
    const w = l.trim().split(/\s+/);
    if (w[0] === 'sem') out.sems.push({ id: Number(w[1]), key: Number(w[2]) });
    else if (w[0] === 'shm') out.shms.push({ id: Number(w[1]), key: Number(w[2]) });
    else if (w[0] === 'waiter') out.waiters.push(Number(w[1]));
  }
  return out;
}

/**
 * The per-file set-up of tests that work in nested namespaces: a world-writable temp dir (other users
 * write plans and audits there), and after the file every process started and namespace made is ended.
 * Call at module level; `tmp()` is valid from the first test on.
 */
export function nestedFixture(prefix: string): { tmp: () => string; started: Started[]; nested: () => Promise<NestedNs> } {
  let dir = '';
  const started: Started[] = [];
  const namespaces: NestedNs[] = [];
  before(() => {
    assertPrivateIpcNamespace();
    ensureCliBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(dir, 0o777);
  });
  after(async () => {
    for (const s of started) await s.kill();
    for (const n of namespaces) n.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    tmp: () => dir,
    started,
    nested: async () => {
      const n = await NestedNs.create();
      namespaces.push(n);
      return n;
    },
  };
}

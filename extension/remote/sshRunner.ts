/**
 * Runs a script on an SSH host with the system OpenSSH client, so the user's ~/.ssh/config, keys, agent,
 * ProxyJump and known_hosts work as in their terminal.
 *
 *   ssh -o BatchMode=yes -o ControlMaster=auto -o ControlPath=<private 0700 dir>/%C -o ControlPersist=60
 *       -o ConnectTimeout=N [-F config] [-p PORT] -- DEST sh -s        (the script goes to stdin)
 *
 * - argv array only: no local shell ever sees the destination, and the remote command is a constant
 *   (`sh -s`, or `sudo -n sh -s`); the script itself is constant text plus validated integers;
 * - BatchMode: never a password or passphrase prompt inside the extension host;
 * - one multiplexed connection per host: the first run starts a master that persists 60 s after the last
 *   use; `close()` ends it with `ssh -O exit`;
 * - one long-lived remote `sh` per host on that master (remoteShell.ts): run() sends each script to it,
 *   framed, so a refresh is one round trip, not a new session with the user's login shell and rc files;
 *   it is started again when it dies, and ended after `persistSec` unused or with the host;
 * - a size limit (the ssh we started is killed at N bytes) and a timeout (killed by its pid);
 * - failures become IpcErrors (code ESSH / ETIMEDOUT / EPARSE) with a hint (domain/errors.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childProcess } from '../backend/builtins';
import { IpcError } from '../domain/errors';
import { sshCommandText, type SshDestination } from './hostName';
import { RemoteShell, type ShellRequestOptions } from './remoteShell';

export interface SshRunnerOptions {
  /** the ssh binary (default 'ssh' from PATH). */
  sshPath?: string;
  /** `-F file`: an ssh config to use instead of ~/.ssh/config (tests, or a user's choice). */
  configFile?: string;
  /** ConnectTimeout in seconds (default 10). */
  connectTimeoutSec?: number;
  /** ControlPersist in seconds (default 60). */
  persistSec?: number;
  /** kill the run after this many ms (default 30 000). */
  timeoutMs?: number;
  /** kill the run when stdout exceeds this many bytes (default 64 MiB). */
  maxOutputBytes?: number;
  /** run the remote script as `sudo -n sh -s` (never prompts; fails clearly without NOPASSWD). */
  sudo?: boolean;
  /** where the private control directory is made (default os.tmpdir()). */
  controlParent?: string;
  /** false: every run() is a session of its own (runOnce). Default true: one long-lived remote sh. */
  persistentShell?: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  maxOutputBytes?: number;
  sudo?: boolean;
  /** called when the host starts running the script (tests force an interleaving with it). */
  onBegin?: () => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** exit status of ssh (the remote script's, or 255 for ssh's own failures). */
  code: number | null;
  ms: number;
}

const DEFAULTS = { connectTimeoutSec: 10, persistSec: 60, timeoutMs: 30_000, maxOutputBytes: 64 * 1024 * 1024 };

/** The ssh argv (without the binary) for one run; exported for tests that assert its exact shape. */
export function sshArgv(
  dest: SshDestination,
  controlPath: string,
  opts: Pick<SshRunnerOptions, 'configFile' | 'connectTimeoutSec' | 'persistSec' | 'sudo'>,
  remote: 'run' | 'check' | 'exit' = 'run',
): string[] {
  const a: string[] = [];
  if (opts.configFile) a.push('-F', opts.configFile);
  a.push(
    '-o', 'BatchMode=yes',
    '-o', 'ControlMaster=auto',
    '-o', `ControlPath=${controlPath}`,
    '-o', `ControlPersist=${opts.persistSec ?? DEFAULTS.persistSec}`,
    '-o', `ConnectTimeout=${opts.connectTimeoutSec ?? DEFAULTS.connectTimeoutSec}`,
    '-o', 'LogLevel=ERROR',
    '-T',
  );
  if (dest.port !== undefined) a.push('-p', String(dest.port));
  if (remote === 'check' || remote === 'exit') a.push('-O', remote);
  a.push('--', dest.destination);
  if (remote === 'run') a.push(...(opts.sudo ? ['sudo', '-n', 'sh', '-s'] : ['sh', '-s']));
  return a;
}

/** A hint for ssh's own failure text (exit 255): keys, host keys, refused, unreachable. */
export function classifySshFailure(stderr: string, dest: string): IpcError {
  const text = stderr.trim().split('\n').filter((l) => l.trim()).slice(-4).join(' / ');
  if (!text) {
    // ssh dies silently (LogLevel=ERROR) when a multiplexed session's connection goes away under it
    return new IpcError({
      code: 'ESSH', syscall: 'ssh', op: 'connect',
      message: `ssh ${dest}: the connection was lost (ssh exited with status 255 without a message)`,
      hint: 'The connection dropped while the probe ran: sshd stopped or restarted, the host rebooted, or the network ' +
        'failed. It is retried on the next refresh.',
    });
  }
  const mk = (op: string, hint: string) =>
    new IpcError({ code: 'ESSH', syscall: 'ssh', op, message: `ssh ${dest}: ${text}`, hint });
  if (/Permission denied \(/.test(stderr)) {
    return mk('auth',
      'The host refused every key (BatchMode=yes: IPC Explorer never types a password or passphrase). Set up key ' +
        `authentication: \`${sshCommandText(dest, [], 'ssh-copy-id')}\`, and load a passphrase-protected key into your agent (\`ssh-add\`) ` +
        `before refreshing. Check with \`${sshCommandText(dest, ['-o', 'BatchMode=yes'])} true\` in a terminal.`);
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .*host key is known/i.test(stderr)) {
    return mk('hostkey',
      `The host key is unknown or has changed. Connect once in a terminal (\`${sshCommandText(dest)}\`) to check and accept ` +
        'the fingerprint; if it changed unexpectedly, find out why before trusting the host.');
  }
  if (/Connection refused/i.test(stderr)) {
    return mk('connect', 'Nothing listens on the SSH port: is sshd running on the host, and is the port right?');
  }
  if (/Could not resolve hostname|Name or service not known|nodename nor servname/i.test(stderr)) {
    return mk('resolve', 'The host name does not resolve: check the spelling or the `Host` entry in your ssh config.');
  }
  if (/timed out|No route to host|Network is unreachable|Connection closed by|Connection reset/i.test(stderr)) {
    return mk('connect', 'The host cannot be reached (network, firewall, VPN, or sshd stopped). It is retried on the next refresh.');
  }
  if (/sudo: (not found|command not found)|sudo: No such file/i.test(stderr)) {
    return mk('sudo', 'sudo is not installed on the host, but this host is set to use `sudo -n`; install it or turn sudo off for this host.');
  }
  if (/sudo: a (password|terminal) is required|sudo: .*not allowed|is not in the sudoers/i.test(stderr)) {
    return mk('sudo', 'sudo -n needs a NOPASSWD rule for this user on the host (IPC Explorer never stores or types a password); or turn sudo off for this host.');
  }
  return mk('run', `ssh failed; run \`${sshCommandText(dest, ['-o', 'BatchMode=yes'])} true\` in a terminal to see why.`);
}

export class SshRunner {
  readonly controlDir: string;
  readonly controlPath: string;
  private readonly opts: SshRunnerOptions;
  private readonly live = new Set<number>();
  private closed = false;
  private readonly shells = new Map<boolean, RemoteShell>();
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(readonly dest: SshDestination, opts: SshRunnerOptions = {}) {
    this.opts = opts;
    // a private directory (0700) per host: nobody else can connect to our master's socket
    this.controlDir = fs.mkdtempSync(path.join(opts.controlParent ?? os.tmpdir(), 'ipcx-ssh-'));
    fs.chmodSync(this.controlDir, 0o700);
    this.controlPath = path.join(this.controlDir, '%C');
  }

  /**
   * Sends `script` to the host's long-lived `sh` (started on first use, or again after it died) and collects
   * its output, bounded in size and time like runOnce(). One script at a time per host: later calls wait.
   */
  run(script: string, opts: RunOptions = {}): Promise<RunResult> {
    if (this.opts.persistentShell === false) return this.runOnce(script, opts);
    if (this.closed) return Promise.reject(new IpcError({ code: 'ESSH', syscall: 'ssh', op: 'run', message: `ssh ${this.dest.spec}: connection closed` }));
    const next = this.queue.then(() => this.runInShell(script, opts));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** the long-lived remote shell (sudo or not), if one is up: its remote and local pids (tests, diagnostics). */
  shellInfo(sudo = false): { remotePid: number | undefined; localPid: number | undefined; lastBoundary: string | undefined } | undefined {
    const sh = this.shells.get(sudo);
    return sh && !sh.dead ? { remotePid: sh.remotePid, localPid: sh.localPid, lastBoundary: sh.lastBoundary } : undefined;
  }

  /** Ends the long-lived remote shells (the master stays); the next run() starts a new one. */
  closeShells(): void {
    clearTimeout(this.idleTimer);
    for (const sh of this.shells.values()) {
      sh.close();
      if (sh.localPid !== undefined) this.live.delete(sh.localPid);
    }
    this.shells.clear();
  }

  private async runInShell(script: string, opts: RunOptions): Promise<RunResult> {
    if (this.closed) throw new IpcError({ code: 'ESSH', syscall: 'ssh', op: 'run', message: `ssh ${this.dest.spec}: connection closed` });
    clearTimeout(this.idleTimer);
    const sudo = opts.sudo ?? this.opts.sudo ?? false;
    let sh = this.shells.get(sudo);
    if (!sh || sh.dead) {
      if (sh?.localPid !== undefined) this.live.delete(sh.localPid);
      sh = new RemoteShell(this.opts.sshPath ?? 'ssh', sshArgv(this.dest, this.controlPath, { ...this.opts, sudo }, 'run'), this.dest.spec);
      if (sh.localPid !== undefined) this.live.add(sh.localPid);
      this.shells.set(sudo, sh);
    }
    const req: ShellRequestOptions = {
      timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs ?? DEFAULTS.timeoutMs,
      maxOutputBytes: opts.maxOutputBytes ?? this.opts.maxOutputBytes ?? DEFAULTS.maxOutputBytes,
      ...(opts.onBegin ? { onBegin: opts.onBegin } : {}),
    };
    const started = Date.now();
    try {
      const a = await sh.request(script, req);
      if (a.ended && a.code === 255) throw classifySshFailure(a.stderr, this.dest.spec);
      return { stdout: a.stdout, stderr: a.stderr, code: a.code, ms: Date.now() - started };
    } finally {
      if (sh.dead && sh.localPid !== undefined) this.live.delete(sh.localPid);
      this.armIdle();
    }
  }

  /** an unused shell ends after persistSec, and the master persistSec after it (ControlPersist). */
  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.closeShells(), (this.opts.persistSec ?? DEFAULTS.persistSec) * 1000);
    this.idleTimer.unref();
  }

  /**
   * Runs `script` in a NEW session (`ssh ... -- DEST sh -s`, the script on stdin, stdin then closed) and
   * collects its output (bounded in size and time). Every call pays sshd's session start, which runs the
   * user's login shell and its rc files; run() avoids that.
   */
  runOnce(script: string, opts: RunOptions = {}): Promise<RunResult> {
    if (this.closed) return Promise.reject(new IpcError({ code: 'ESSH', syscall: 'ssh', op: 'run', message: `ssh ${this.dest.spec}: connection closed` }));
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? DEFAULTS.timeoutMs;
    const maxBytes = opts.maxOutputBytes ?? this.opts.maxOutputBytes ?? DEFAULTS.maxOutputBytes;
    const argv = sshArgv(this.dest, this.controlPath, { ...this.opts, sudo: opts.sudo ?? this.opts.sudo }, 'run');
    const started = Date.now();
    return new Promise<RunResult>((resolve, reject) => {
      const child = childProcess().spawn(this.opts.sshPath ?? 'ssh', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      const pid = child.pid;
      if (pid !== undefined) this.live.add(pid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let failure: IpcError | undefined;
      let exitCode: number | null | undefined;
      let stdoutDone = false;
      let settled = false;

      const kill = () => {
        try {
          child.kill('SIGKILL'); // our ssh client only, by its pid (ChildProcess.kill signals child.pid)
        } catch {
          /* already gone */
        }
      };
      const finish = () => {
        if (settled || exitCode === undefined || (!stdoutDone && !failure)) return;
        settled = true;
        clearTimeout(timer);
        if (pid !== undefined) this.live.delete(pid);
        // a ControlPersist master forked by this ssh may keep our stderr pipe open: let go of it
        child.stderr?.destroy();
        child.stdout?.destroy();
        if (failure) return reject(failure);
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        if (exitCode === 255) return reject(classifySshFailure(stderr, this.dest.spec));
        resolve({ stdout, stderr, code: exitCode, ms: Date.now() - started });
      };
      const timer = setTimeout(() => {
        failure ??= new IpcError({
          code: 'ETIMEDOUT', syscall: 'ssh', op: 'run',
          message: `ssh ${this.dest.spec}: no complete answer within ${Math.round(timeoutMs / 100) / 10} s (the ssh process was stopped)`,
          hint: 'The host or the network is slow or stuck, or the host never finished the probe. It is retried on the next ' +
            'refresh; raise ipcExplorer.sshTimeoutSeconds for slow links.',
        });
        kill();
      }, timeoutMs);

      child.stdout.on('data', (b: Buffer) => {
        if (failure) return;
        outBytes += b.length;
        if (outBytes > maxBytes) {
          failure = new IpcError({
            code: 'EPARSE', syscall: 'ssh', op: 'output',
            message: `ssh ${this.dest.spec}: the host sent more than ${Math.round(maxBytes / 1048576)} MiB; the ssh process was stopped and nothing was parsed`,
            hint: 'The host answered far more than a probe can produce: it may not be running the probe (a forced command ' +
              'or login banner on stdout?). Raise ipcExplorer.sshMaxOutputMB only if the host really has that many objects.',
          });
          kill();
          return;
        }
        out.push(b);
      });
      child.stdout.on('end', () => {
        stdoutDone = true;
        finish();
      });
      child.stderr.on('data', (b: Buffer) => {
        if (errBytes < 64 * 1024) err.push(b);
        errBytes += b.length;
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        failure ??= new IpcError({
          code: 'ESSH', syscall: 'spawn', op: 'ssh',
          message: `cannot start ssh (${this.opts.sshPath ?? 'ssh'}): ${e.message}`,
          hint: 'Install the OpenSSH client (package openssh-client) or put `ssh` on the PATH of the extension host.',
        });
        exitCode ??= null;
        stdoutDone = true;
        finish();
      });
      child.on('exit', (code) => {
        exitCode = code;
        finish();
      });
      child.stdin.on('error', () => {
        /* EPIPE when ssh dies before reading the script: the exit status says why */
      });
      child.stdin.end(script);
    });
  }

  /** Is a master connection up? (`ssh -O check`, local only.) */
  check(): Promise<boolean> {
    return this.control('check').then((r) => r === 0);
  }

  private control(what: 'check' | 'exit'): Promise<number | null> {
    const argv = sshArgv(this.dest, this.controlPath, this.opts, what);
    return new Promise((resolve) => {
      const child = childProcess().spawn(this.opts.sshPath ?? 'ssh', argv, { stdio: ['ignore', 'ignore', 'ignore'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.on('error', () => {
        clearTimeout(timer);
        resolve(null);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Ends the master (`ssh -O exit`), stops runs still going, removes the private directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeShells();
    for (const pid of this.live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.live.clear();
    await this.control('exit');
    fs.rmSync(this.controlDir, { recursive: true, force: true });
  }
}

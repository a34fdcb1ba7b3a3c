/**
 * Runs the probe and removal scripts of extension/remote (constant POSIX sh text plus validated integers)
 * on THIS machine: `/bin/sh -s` with the script on stdin, no shell command line built from any text. Used
 * for the local host on macOS and FreeBSD, which have System V IPC but neither our binding nor /proc.
 */
import { IpcError } from '../domain/errors';
import { childProcess } from './builtins';
import type { RunResult } from '../remote/sshRunner';

export interface ScriptRunner {
  run(script: string, opts?: { timeoutMs?: number; maxOutputBytes?: number; sudo?: boolean }): Promise<RunResult>;
  close(): Promise<void>;
}

export interface LocalProbeRunnerOptions {
  /** the shell (default /bin/sh) */
  shell?: string;
  /** the environment of the shell (default process.env); tests put stand-in tools first on PATH */
  env?: NodeJS.ProcessEnv;
  /** kill the run after this many ms (default 30 000) */
  timeoutMs?: number;
  /** kill the run when stdout exceeds this many bytes (default 64 MiB) */
  maxOutputBytes?: number;
}

export class LocalProbeRunner implements ScriptRunner {
  private readonly live = new Set<number>();
  private closed = false;

  constructor(private readonly opts: LocalProbeRunnerOptions = {}) {}

  run(script: string, o: { timeoutMs?: number; maxOutputBytes?: number; sudo?: boolean } = {}): Promise<RunResult> {
    const shell = this.opts.shell ?? '/bin/sh';
    if (this.closed) return Promise.reject(new IpcError({ code: 'ESRCH', syscall: 'spawn', op: 'run', message: `${shell}: the local probe runner is closed` }));
    if (o.sudo) {
      return Promise.reject(new IpcError({ code: 'EPERM', syscall: 'spawn', op: 'run', message: 'the local probe never runs under sudo', hint: 'Run VS Code or ipcx as the user that should act.' }));
    }
    const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    const maxBytes = o.maxOutputBytes ?? this.opts.maxOutputBytes ?? 64 * 1024 * 1024;
    const started = Date.now();
    return new Promise<RunResult>((resolve, reject) => {
      const child = childProcess().spawn(shell, ['-s'], { stdio: ['pipe', 'pipe', 'pipe'], env: this.opts.env ?? process.env });
      const pid = child.pid;
      if (pid !== undefined) this.live.add(pid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let failure: IpcError | undefined;
      const kill = () => {
        try {
          child.kill('SIGKILL'); // our shell only, by its pid
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => {
        failure = new IpcError({ code: 'ETIMEDOUT', syscall: 'spawn', op: 'probe', message: `${shell} -s: the local probe ran longer than ${timeoutMs} ms and was killed`, hint: 'Is ipcs or sysctl hanging? Try them in a terminal.' });
        kill();
      }, timeoutMs);
      child.stdout.on('data', (b: Buffer) => {
        outBytes += b.length;
        if (outBytes > maxBytes && !failure) {
          failure = new IpcError({ code: 'E2BIG', syscall: 'read', op: 'probe', message: `${shell} -s: the local probe printed more than ${maxBytes} bytes and was killed` });
          kill();
          return;
        }
        out.push(b);
      });
      child.stderr.on('data', (b: Buffer) => {
        if (err.reduce((n, x) => n + x.length, 0) < 65536) err.push(b);
      });
      child.stdin.on('error', () => {
        /* the shell exited before reading all of the script: its status says why */
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (pid !== undefined) this.live.delete(pid);
        reject(new IpcError({ code: e.code ?? 'EUNKNOWN', syscall: 'spawn', op: 'probe', message: `cannot run ${shell}: ${e.message}`, hint: 'The local probe needs a POSIX sh at /bin/sh.' }));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (pid !== undefined) this.live.delete(pid);
        if (failure) return reject(failure);
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, ms: Date.now() - started });
      });
      child.stdin.end(script);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pid of this.live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.live.clear();
  }
}

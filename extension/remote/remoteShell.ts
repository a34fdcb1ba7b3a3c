/**
 * One long-lived `sh` on an SSH host, started once on the master connection (`ssh ... -- DEST sh -s`, or
 * `sudo -n sh -s`), that runs every later script without a new session: sshd starts each session, even a
 * multiplexed one, through the user's login shell and its rc files, which costs more than the probe itself.
 *
 * The wire (all text the host runs is ours: the constant SERVER_SCRIPT, a random hex token, our scripts):
 *
 *   start    R=<token>\n SERVER_SCRIPT            the host answers  @@ipcx-ready <token> <pid of that sh>\n
 *   request  @@ipcx-req <B>\n <script> @@ipcx-eof <B>\n
 *   answer   stdout  @@ipcx-begin <B>\n <what the script printed> \n@@ipcx-end <B> <exit status>\n
 *            stderr  @@ipcx-begin <B>\n <what the script wrote to stderr> \n@@ipcx-end <B> <exit status>\n
 *
 * <B> is 128 random bits per request, never written to any argv or file on the host, so nothing the script
 * prints (file names, command lines, another request's markers) can end its frame early or forge one. The
 * server reads the script line by line (`read -r`, which never reads past the line), and only once the
 * whole script has arrived pipes it to a fresh `sh -s`: the script runs exactly as in a session of its own
 * (same user, environment, and stdin = the script), and a script cut short by a dropped connection never
 * runs. Whatever arrives outside a frame (an rc file's output before the server starts, a stray write
 * between frames) is discarded, but counts against the request's size limit.
 *
 * A session that ends before it is ready (a forced command, `sudo -n` refused, garbage) gives its whole
 * output and exit status as the answer, as a session of its own would have.
 */
import type { ChildProcess } from 'node:child_process';
import { childProcess, nodeCrypto } from '../backend/builtins';
import { IpcError } from '../domain/errors';

/** The remote loop. `R` (a hex token) is set on the line before it. One compound command, so a shell that
 * reads its input in blocks has parsed all of it before it prints the ready line and the first request is
 * sent. */
export const SERVER_SCRIPT = `{
printf '@@ipcx-ready %s %s\\n' "$R" "$$"
while IFS= read -r h; do
  case $h in
    '@@ipcx-req '*) ;;
    *) continue ;;
  esac
  b=\${h#@@ipcx-req }
  case $b in ''|*[!0-9a-f]*) exit 2 ;; esac
  s=
  ok=
  while IFS= read -r l; do
    if [ "$l" = "@@ipcx-eof $b" ]; then ok=1; break; fi
    s="$s$l
"
  done
  [ -n "$ok" ] || exit 0
  printf '@@ipcx-begin %s\\n' "$b" >&2
  printf '@@ipcx-begin %s\\n' "$b"
  printf '%s' "$s" | sh -s
  st=$?
  printf '\\n@@ipcx-end %s %s\\n' "$b" "$st" >&2
  printf '\\n@@ipcx-end %s %s\\n' "$b" "$st"
done
}
`;

const HEX128 = /^[0-9a-f]{32}$/;

export function newBoundary(): string {
  return nodeCrypto().randomBytes(16).toString('hex');
}

/** The bytes of one request; the script always ends with a newline (the server reads whole lines). */
export function requestText(script: string, boundary: string): string {
  if (!HEX128.test(boundary)) throw new Error(`not a boundary: ${boundary}`);
  const body = script.endsWith('\n') ? script : script + '\n';
  return `@@ipcx-req ${boundary}\n${body}@@ipcx-eof ${boundary}\n`;
}

/**
 * Splits a byte stream at the first occurrence of `needle`, chunk by chunk, without concatenating what
 * came before: at most needle.length - 1 bytes are held back in case the needle straddles two chunks.
 */
export class Splitter {
  private held: Buffer = Buffer.alloc(0);
  private readonly needle: Buffer;

  constructor(needle: string) {
    this.needle = Buffer.from(needle, 'latin1');
  }

  /** `data`: bytes known to come before the needle; `rest`: bytes after it, once found. */
  feed(chunk: Buffer): { data: Buffer; found: false } | { data: Buffer; found: true; rest: Buffer } {
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const i = buf.indexOf(this.needle);
    if (i >= 0) {
      this.held = Buffer.alloc(0);
      return { data: buf.subarray(0, i), found: true, rest: buf.subarray(i + this.needle.length) };
    }
    const keep = Math.min(this.needle.length - 1, buf.length);
    this.held = Buffer.from(buf.subarray(buf.length - keep));
    return { data: buf.subarray(0, buf.length - keep), found: false };
  }

  /** the bytes held back (the stream ended without the needle). */
  flush(): Buffer {
    const h = this.held;
    this.held = Buffer.alloc(0);
    return h;
  }
}

export interface ShellRequestOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  /** called when the host starts running the script (tests force an interleaving with it). */
  onBegin?: () => void;
}

export interface ShellAnswer {
  stdout: string;
  stderr: string;
  code: number | null;
  /** the session ended before it answered (its own output and status are the answer). */
  ended: boolean;
}

interface Pending {
  boundary: string;
  opts: ShellRequestOptions;
  script: string;
  bytes: number;
  out: Buffer[];
  outDone: boolean;
  status?: number;
  err: string;
  errDone: boolean;
  failure?: IpcError;
  timer?: NodeJS.Timeout;
  resolve(a: ShellAnswer): void;
  reject(e: IpcError): void;
}

const ERR_CAP = 64 * 1024;

type OutState =
  | { s: 'boot'; split: Splitter }
  | { s: 'readyline'; line: Buffer }
  | { s: 'idle'; split?: Splitter }
  | { s: 'body'; split: Splitter }
  | { s: 'trailer'; line: Buffer };
type ErrState = { s: 'idle'; split?: Splitter } | { s: 'body'; split: Splitter } | { s: 'trailer'; line: Buffer };

export class RemoteShell {
  private readonly child: ChildProcess;
  private readonly token = newBoundary();
  /** pid of the server `sh` on the host (from its ready line). */
  remotePid: number | undefined;
  /** pid of our ssh client process (killed by this pid only). */
  readonly localPid: number | undefined;
  private out: OutState;
  private err: ErrState = { s: 'idle' };
  private bootOut: Buffer[] = [];
  private bootBytes = 0;
  private unframedErr = '';
  private cur: Pending | undefined;
  private exitCode: number | null | undefined;
  private stdoutEnded = false;
  private stderrEnded = false;
  private stderrGrace: NodeJS.Timeout | undefined;
  private stderrWaited = false;
  private spawnError: IpcError | undefined;
  private dead_ = false;
  /** the boundary of the last request sent (tests replay it in a script's output). */
  lastBoundary: string | undefined;

  constructor(sshPath: string, argv: string[], private readonly label: string) {
    this.out = { s: 'boot', split: new Splitter(`@@ipcx-ready ${this.token} `) };
    this.child = childProcess().spawn(sshPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.localPid = this.child.pid;
    // an idle session must not keep a CLI process alive; a pending request's timer does
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    this.child.stdout!.on('data', (b: Buffer) => this.onOut(b));
    this.child.stdout!.on('end', () => {
      this.stdoutEnded = true;
      this.maybeDead();
    });
    this.child.stderr!.on('data', (b: Buffer) => this.onErr(b));
    this.child.stderr!.on('end', () => {
      this.stderrEnded = true;
      this.maybeDead();
    });
    this.child.stdin!.on('error', () => {
      /* EPIPE when the session ended first: its exit says why */
    });
    this.child.on('error', (e: NodeJS.ErrnoException) => {
      this.spawnError = new IpcError({
        code: 'ESSH', syscall: 'spawn', op: 'ssh',
        message: `cannot start ssh (${sshPath}): ${e.message}`,
        hint: 'Install the OpenSSH client (package openssh-client) or put `ssh` on the PATH of the extension host.',
      });
      this.exitCode ??= null;
      this.stdoutEnded = true;
      this.maybeDead();
    });
    this.child.on('exit', (code) => {
      this.exitCode = code;
      this.maybeDead();
    });
    this.child.stdin!.write(`R=${this.token}\n${SERVER_SCRIPT}`);
  }

  get dead(): boolean {
    return this.dead_ || this.exitCode !== undefined;
  }

  get ready(): boolean {
    return this.remotePid !== undefined && !this.dead_;
  }

  /** Runs one script; at most one at a time (the caller queues). */
  request(script: string, opts: ShellRequestOptions): Promise<ShellAnswer> {
    if (this.cur || this.dead) return Promise.reject(new Error('RemoteShell: one request at a time, on a live session'));
    let boundary = newBoundary();
    while (script.includes(boundary)) boundary = newBoundary();
    return new Promise<ShellAnswer>((resolve, reject) => {
      const p: Pending = { boundary, opts, script, bytes: 0, out: [], outDone: false, err: '', errDone: false, resolve, reject };
      this.cur = p;
      p.timer = setTimeout(() => {
        this.fail(p, new IpcError({
          code: 'ETIMEDOUT', syscall: 'ssh', op: 'run',
          message: `ssh ${this.label}: no complete answer within ${Math.round(opts.timeoutMs / 100) / 10} s (the ssh process was stopped)`,
          hint: 'The host or the network is slow or stuck, or the host never finished the probe. It is retried on the next ' +
            'refresh; raise ipcExplorer.sshTimeoutSeconds for slow links.',
        }));
      }, opts.timeoutMs);
      // bytes that arrived while no request was waiting belong to none
      if (this.out.s === 'idle') this.out = { s: 'idle', split: new Splitter(`@@ipcx-begin ${boundary}\n`) };
      if (this.err.s === 'idle') this.err = { s: 'idle', split: new Splitter(`@@ipcx-begin ${boundary}\n`) };
      if (this.remotePid !== undefined) this.send(p);
    });
  }

  private send(p: Pending): void {
    this.lastBoundary = p.boundary;
    this.child.stdin!.write(requestText(p.script, p.boundary));
  }

  /** Ends the session: EOF to the server (it exits), and our ssh client is killed by its pid. */
  close(): void {
    try {
      this.child.stdin!.end();
    } catch {
      /* gone */
    }
    this.kill();
  }

  private kill(): void {
    try {
      this.child.kill('SIGKILL'); // our ssh client only, by its pid
    } catch {
      /* already gone */
    }
  }

  private fail(p: Pending, e: IpcError): void {
    if (p.failure || this.cur !== p) return;
    p.failure = e;
    // the rest of this answer would still be on its way: the session cannot be reused
    this.kill();
    this.dead_ = true;
    this.settle(p);
  }

  private settle(p: Pending, answer?: ShellAnswer): void {
    if (this.cur !== p) return;
    this.cur = undefined;
    clearTimeout(p.timer);
    if (p.failure) p.reject(p.failure);
    else p.resolve(answer!);
  }

  private count(n: number): boolean {
    const p = this.cur;
    if (!p) return true;
    p.bytes += n;
    if (p.bytes > p.opts.maxOutputBytes) {
      this.fail(p, new IpcError({
        code: 'EPARSE', syscall: 'ssh', op: 'output',
        message: `ssh ${this.label}: the host sent more than ${Math.round(p.opts.maxOutputBytes / 1048576)} MiB; the ssh process was stopped and nothing was parsed`,
        hint: 'The host answered far more than a probe can produce: it may not be running the probe (a forced command ' +
          'or login banner on stdout?). Raise ipcExplorer.sshMaxOutputMB only if the host really has that many objects.',
      }));
      return false;
    }
    return true;
  }

  private onOut(chunk: Buffer): void {
    if (this.dead_ && !this.cur) return;
    if (!this.count(chunk.length)) return;
    let b: Buffer | undefined = chunk;
    while (b && b.length) b = this.stepOut(b);
    this.maybeDone();
  }

  /** consumes what it can of `b` in the current state; returns what the next state must see. */
  private stepOut(b: Buffer): Buffer | undefined {
    const st = this.out;
    const p = this.cur;
    switch (st.s) {
      case 'boot': {
        const r = st.split.feed(b);
        if (r.data.length) {
          this.bootOut.push(r.data);
          this.bootBytes += r.data.length;
        }
        if (!r.found) return undefined;
        this.out = { s: 'readyline', line: Buffer.alloc(0) };
        return r.rest;
      }
      case 'readyline':
      case 'trailer': {
        const line = Buffer.concat([st.line, b]);
        const nl = line.indexOf(10);
        if (nl < 0) {
          if (line.length > 64) return this.protocolError('a frame line longer than 64 bytes'), undefined;
          st.line = line;
          return undefined;
        }
        const text = line.subarray(0, nl).toString('latin1');
        if (!/^\d{1,10}$/.test(text)) return this.protocolError(`a malformed frame line (${JSON.stringify(text.slice(0, 40))})`), undefined;
        if (st.s === 'readyline') {
          this.remotePid = Number(text);
          this.bootOut = [];
          this.bootBytes = 0;
          this.unframedErr = '';
          this.out = { s: 'idle', split: p ? new Splitter(`@@ipcx-begin ${p.boundary}\n`) : undefined };
          if (p) this.send(p);
        } else {
          if (p) {
            p.status = Number(text);
            p.outDone = true;
          }
          this.out = { s: 'idle' };
        }
        return line.subarray(nl + 1);
      }
      case 'idle': {
        if (!p || !st.split) return undefined; // between requests: belongs to none
        const r = st.split.feed(b);
        if (!r.found) return undefined;
        this.out = { s: 'body', split: new Splitter(`\n@@ipcx-end ${p.boundary} `) };
        p.opts.onBegin?.();
        return r.rest;
      }
      case 'body': {
        const r = st.split.feed(b);
        if (p && r.data.length) p.out.push(r.data);
        if (!r.found) return undefined;
        this.out = { s: 'trailer', line: Buffer.alloc(0) };
        return r.rest;
      }
    }
  }

  private onErr(chunk: Buffer): void {
    let b: Buffer | undefined = chunk;
    while (b && b.length) {
      const st = this.err;
      const p = this.cur;
      if (st.s === 'idle') {
        if (!p || !st.split || this.remotePid === undefined) {
          this.keepErr(b.toString('utf8'));
          b = undefined;
          continue;
        }
        const r = st.split.feed(b);
        if (r.data.length) this.keepErr(r.data.toString('utf8'));
        if (!r.found) break;
        this.err = { s: 'body', split: new Splitter(`\n@@ipcx-end ${p.boundary} `) };
        b = r.rest;
      } else if (st.s === 'body') {
        const r = st.split.feed(b);
        if (p && r.data.length && p.err.length < ERR_CAP) p.err += r.data.toString('utf8');
        if (!r.found) break;
        this.err = { s: 'trailer', line: Buffer.alloc(0) };
        b = r.rest;
      } else {
        const line = Buffer.concat([st.line, b]);
        const nl = line.indexOf(10);
        if (nl < 0) {
          st.line = line;
          break;
        }
        if (p) p.errDone = true;
        this.err = { s: 'idle' };
        b = line.subarray(nl + 1);
      }
    }
    this.maybeDone();
  }

  private keepErr(s: string): void {
    if (this.unframedErr.length < ERR_CAP) this.unframedErr += s;
  }

  private protocolError(what: string): void {
    const p = this.cur;
    const e = new IpcError({
      code: 'EPARSE', syscall: 'ssh', op: 'frame',
      message: `ssh ${this.label}: the remote shell sent ${what}; the session was stopped`,
      hint: 'Something on the host wrote into the session between its frames. It is restarted on the next refresh.',
    });
    if (p) this.fail(p, e);
    else {
      this.kill();
      this.dead_ = true;
    }
  }

  private maybeDone(): void {
    const p = this.cur;
    if (!p || p.failure || !p.outDone || !p.errDone) return;
    this.settle(p, {
      stdout: Buffer.concat(p.out).toString('utf8'),
      stderr: p.err,
      code: p.status ?? null,
      ended: false,
    });
  }

  /** the session is over once ssh exited and its stdout ended: the request in flight gets what there is. */
  private maybeDead(): void {
    if (this.exitCode === undefined || !this.stdoutEnded) return;
    // ssh's own message may still be on its way on stderr; a ControlPersist master forked by this ssh can
    // hold that pipe open for good, so it gets a moment, not a promise
    if (!this.stderrEnded && !this.stderrWaited) {
      this.stderrGrace ??= setTimeout(() => {
        this.stderrWaited = true;
        this.maybeDead();
      }, 250);
      return;
    }
    clearTimeout(this.stderrGrace);
    if (this.dead_ && !this.cur) return;
    this.dead_ = true;
    this.child.stderr?.destroy();
    const p = this.cur;
    if (!p) return;
    if (this.spawnError) {
      p.failure ??= this.spawnError;
      return this.settle(p);
    }
    if (p.failure) return this.settle(p);
    const booting = this.remotePid === undefined;
    let stdout: Buffer;
    if (booting) {
      const held = this.out.s === 'boot' ? this.out.split.flush() : Buffer.alloc(0);
      stdout = Buffer.concat([...this.bootOut, held]);
    } else {
      const held = this.out.s === 'body' ? this.out.split.flush() : Buffer.alloc(0);
      stdout = Buffer.concat([...p.out, held]);
      if (this.err.s === 'body') p.err += this.err.split.flush().toString('utf8');
    }
    const stderr = (booting ? '' : p.err) + this.unframedErr;
    if (!booting && this.exitCode === 255) {
      // ssh's own failure, or the server sh ended (killed) with the answer incomplete
      const text = stderr.trim().split('\n').filter((l) => l.trim()).slice(-3).join(' / ');
      p.failure = new IpcError({
        code: 'ESSH', syscall: 'ssh', op: 'connect',
        message: `ssh ${this.label}: the connection was lost, or the remote shell was stopped, before the answer was complete ` +
          `(ssh exited with status 255${text ? `: ${text}` : ''})`,
        hint: 'sshd stopped or restarted, the host rebooted, the network failed, or the shell was killed on the host. A new ' +
          'session is started on the next refresh.',
      });
      return this.settle(p);
    }
    this.settle(p, { stdout: stdout.toString('utf8'), stderr, code: this.exitCode ?? null, ended: true });
  }
}

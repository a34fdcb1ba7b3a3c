/**
 * Real OpenSSH servers on 127.0.0.1 for the remote tests and the ssh bench: throwaway host and user keys,
 * a temp sshd_config and a temp ssh_config (`-F`) with one alias per "host". Each sshd is started inside
 * its OWN nested private IPC + mount namespace (test/helpers/ns.ts), so its sessions see that namespace's
 * objects and /dev/shm, and `nsenter --target <sshd pid>` puts objects there.
 *
 * Stand-in behaviours (still a real sshd, a real ssh session): an authorized_keys `command=` for a
 * dedicated key replaces the session's shell by a test script; the test's ssh_config gives each alias its
 * own key. Everything lives under one temp directory; stop() ends only the processes this harness started
 * (the sshd by its pid, then its session processes, found as its descendants).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseHostSpec } from '../../extension/remote/hostName';
import { SshSource, type SshSourceOptions } from '../../extension/remote/sshSource';
import { makeNamespace, type MadeNamespace } from '../helpers/containers';
import { assertPrivateIpcNamespace, namespaceArgv, pidsInIpcNamespace, tryIpcNamespaceOf } from '../helpers/ns';
import { sshdPath } from '../helpers/capabilities';

export interface SshdHost {
  name: string;
  port: number;
  proc: ChildProcess;
  pid: number;
  /** run a command inside this host's IPC + mount namespace. */
  exec(cmd: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  /** stop this sshd and every session process under it (only processes this harness started). */
  stop(): Promise<void>;
  /** start a new sshd on the same port in the same namespaces. */
  restart(): Promise<void>;
}

export interface ForcedKey {
  /** alias in the ssh_config. */
  alias: string;
  /** the forced command (absolute path of a script the harness writes). */
  script: string;
}

export class SshdHarness {
  readonly dir: string;
  readonly configFile: string;
  readonly hosts = new Map<string, SshdHost>();
  private readonly hostKeyPub: string;
  private readonly userKey: string;
  private aliasLines: string[] = [];
  private authorized: string[] = [];
  private readonly sources: SshSource[] = [];

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-sshd-'));
    fs.chmodSync(this.dir, 0o700);
    // sshd (privilege separation) needs this directory; the Debian package creates it at boot via tmpfiles.
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    keygen(path.join(this.dir, 'host_ed25519'));
    this.hostKeyPub = fs.readFileSync(path.join(this.dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    this.userKey = path.join(this.dir, 'user_ed25519');
    keygen(this.userKey);
    this.authorized.push(fs.readFileSync(this.userKey + '.pub', 'utf8').trim());
    fs.writeFileSync(path.join(this.dir, 'known_hosts'), `ipcx-test-host ${this.hostKeyPub}\n`);
    this.configFile = path.join(this.dir, 'ssh_config');
    this.writeFiles();
  }

  private writeFiles(): void {
    fs.writeFileSync(path.join(this.dir, 'authorized_keys'), this.authorized.join('\n') + '\n', { mode: 0o600 });
    fs.writeFileSync(this.configFile, this.aliasLines.join('\n') + '\n' +
      ['Host *', '  User root', '  HostName 127.0.0.1', '  HostKeyAlias ipcx-test-host',
        `  UserKnownHostsFile ${this.dir}/known_hosts`, '  GlobalKnownHostsFile /dev/null', '  StrictHostKeyChecking yes',
        '  IdentitiesOnly yes', '  IdentityAgent none', '  PasswordAuthentication no', '  KbdInteractiveAuthentication no',
        ''].join('\n'));
  }

  /** A host alias served by sshd `host` with the normal user key (a real login shell). */
  addAlias(alias: string, host: string, opts: { identity?: string; port?: number } = {}): void {
    const h = this.hosts.get(host);
    const port = opts.port ?? h?.port;
    this.aliasLines.push(`Host ${alias}`, `  Port ${port}`, `  IdentityFile ${opts.identity ?? this.userKey}`);
    this.writeFiles();
  }

  /**
   * An alias whose key may only run `scriptBody` (authorized_keys `command="..."`): a stand-in host
   * behaviour (FreeBSD tools, garbage, 100 MB, silence). The script gets the requested command in
   * $SSH_ORIGINAL_COMMAND and our probe on stdin.
   */
  addForcedAlias(alias: string, host: string, scriptBody: string): string {
    const key = path.join(this.dir, `key_${alias}`);
    keygen(key);
    const script = path.join(this.dir, `forced_${alias}.sh`);
    fs.writeFileSync(script, scriptBody, { mode: 0o755 });
    this.authorized.push(`command="${script}",no-pty,no-port-forwarding ${fs.readFileSync(key + '.pub', 'utf8').trim()}`);
    this.addAlias(alias, host, { identity: key });
    return script;
  }

  /**
   * Starts an sshd on a free loopback port inside a new private IPC + mount namespace (fresh /dev/shm).
   * A sleeping "keeper" process holds the namespaces, so the sshd can be stopped and started again in them.
   * `sshdConfig` lines are appended to its sshd_config (e.g. `SetEnv NAME=VALUE` for a test hook).
   */
  async startHost(name: string, opts: { sshdConfig?: string[] } = {}): Promise<SshdHost> {
    const port = await freePort();
    const cfg = path.join(this.dir, `sshd_${name}.conf`);
    fs.writeFileSync(cfg, [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${this.dir}/host_ed25519`, `PidFile ${this.dir}/sshd_${name}.pid`,
      `AuthorizedKeysFile ${this.dir}/authorized_keys`, 'StrictModes no', 'UsePAM no', 'PermitRootLogin yes',
      'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', 'X11Forwarding no',
      'PrintMotd no', 'PrintLastLog no', 'Banner none', 'MaxSessions 100', 'MaxStartups 100:30:200', 'LogLevel ERROR',
      ...(opts.sshdConfig ?? []), '',
    ].join('\n'));
    const [kc, ka] = namespaceArgv('sleep', ['100000'], { posix: true });
    const keeper = spawn(kc, ka, { stdio: 'ignore' });
    const until = Date.now() + 5000;
    // the keeper is ready once the shell has mounted /dev/shm and exec'd sleep
    while (readComm(keeper.pid!) !== 'sleep') {
      if (keeper.exitCode !== null || Date.now() > until) throw new Error('namespace keeper failed to start');
      await new Promise((r) => setTimeout(r, 20));
    }
    this.keepers.set(name, keeper);
    const startSshd = async (): Promise<ChildProcess> => {
      const log = fs.openSync(path.join(this.dir, `sshd_${name}.log`), 'a');
      const p = spawn('nsenter', ['--ipc', '--mount', '--target', String(keeper.pid), '--', sshdPath() ?? '/usr/sbin/sshd', '-D', '-e', '-f', cfg],
        { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      await waitForPort(port, p);
      return p;
    };
    const first = await startSshd();
    const host: SshdHost = {
      name, port, proc: first, pid: first.pid!,
      exec(c, a, input) {
        const r = spawnSync('nsenter', ['--ipc', '--mount', '--target', String(keeper.pid), `--wd=${process.cwd()}`, '--', c, ...a], { encoding: 'utf8', input });
        return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
      },
      async stop() {
        await stopTree(host.pid, host.proc);
      },
      async restart() {
        const p = await startSshd();
        host.proc = p;
        host.pid = p.pid!;
      },
    };
    this.hosts.set(name, host);
    return host;
  }

  private keepers = new Map<string, ChildProcess>();

  /** pid of the process holding `name`'s namespaces (for nsenter --target). */
  namespacePid(name: string): number {
    return this.keepers.get(name)!.pid!;
  }

  /**
   * An SshSource for `spec` (an alias of this harness's ssh_config, or user@alias:port) with a 5 s connect
   * timeout unless `opts` says otherwise; stopAll closes it before it stops the sshds.
   */
  source(spec: string, opts: SshSourceOptions = {}): SshSource {
    const d = parseHostSpec(spec);
    if (!d.ok) throw new Error(`${spec}: ${d.reason}`);
    const s = new SshSource(d.value, { configFile: this.configFile, connectTimeoutSec: 5, ...opts });
    this.sources.push(s);
    return s;
  }

  async stopAll(): Promise<void> {
    for (const s of this.sources.splice(0)) await s.close();
    for (const h of this.hosts.values()) await h.stop();
    // a session whose sshd process ended before it (a client that gave up on a forced command that never
    // answers) was reparented away from the sshd's tree, but it stays in the namespaces this harness made
    for (const k of this.keepers.values()) {
      const ns = tryIpcNamespaceOf(k.pid!);
      for (const pid of ns ? pidsInIpcNamespace(ns, [k.pid!, process.pid]) : []) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (const k of this.keepers.values()) await stopTree(k.pid!, k);
    this.hosts.clear();
    this.keepers.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The host the namespace tests share: one sshd (`s`) logged into as root (`rootlogin`) and as uid/gid 65534
 * without sudo (`nobody`), and two IPC namespaces made on this machine with their own kernel.sem, /dev/shm
 * size, sets, a queue and a file (test/helpers/containers.ts), pushed to `made` for the caller to end.
 */
export async function startNamespacesHost(made: MadeNamespace[]): Promise<SshdHarness> {
  assertPrivateIpcNamespace();
  const h = new SshdHarness();
  try {
    await h.startHost('s');
    h.addAlias('rootlogin', 's');
    // the same sshd, the session dropped to uid/gid 65534 before the probe runs (a user login without sudo)
    h.addForcedAlias('nobody', 's', '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n');
    made.push(await makeNamespace({ shmSize: '8m', sem: '250 32000 32 6', sets: 2, nsems: 3, blobMiB: 2, hostname: 'ipcx-ns-one' }));
    made.push(await makeNamespace({ shmSize: '4m', sem: '250 32000 32 9', sets: 1, nsems: 5, queues: 1, blobMiB: 3 }));
  } catch (e) {
    for (const m of made.splice(0)) await m.end();
    await h.stopAll();
    throw e;
  }
  return h;
}

function readComm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ipcx-test', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sshd exited with status ${proc.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every descendant pid of `pid` (from the ppid field of /proc/PID/stat), deepest last. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      /* exited */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Stops a process this harness started and everything under it (session shells, forced commands). */
async function stopTree(pid: number, proc: ChildProcess): Promise<void> {
  const kids = descendants(pid);
  const exited = proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  for (const k of kids) {
    try {
      process.kill(k, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await exited;
}

/** The real FreeBSD 11 outputs (test/fixtures/freebsd). */
export const FREEBSD_FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'freebsd');

/**
 * FreeBSD stand-in: FreeBSD cannot run here, so a forced command gives this key's sessions a PATH whose
 * `uname`, `hostname`, `ipcs` and `sysctl` print the real FreeBSD outputs; the rest is this machine's.
 */
export function freebsdStandIn(dir: string, fixtures = FREEBSD_FIXTURES): string {
  const bin = path.join(dir, 'freebsd-bin');
  fs.mkdirSync(bin, { recursive: true });
  const w = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  w('uname', [
    'case "$*" in',
    '  -s) echo FreeBSD ;;',
    '  -n) echo pg-jail-host ;;',
    '  -r) echo 11.2-RELEASE-p4 ;;',
    '  -m) echo amd64 ;;',
    '  *) echo "FreeBSD 11.2-RELEASE-p4 amd64" ;;',
    'esac',
  ].join('\n'));
  w('hostname', 'echo pg-jail-host');
  w('ipcs', [
    `F='${fixtures}'`,
    'case "$*" in',
    '  -a) cat "$F/ipcs-a.txt" ;;',
    '  -M) cat "$F/ipcs-M.txt" ;;',
    '  -S) cat "$F/ipcs-S.txt" ;;',
    '  *) echo "ipcs: the stand-in has no captured output for: $*" >&2; exit 1 ;;',
    'esac',
  ].join('\n'));
  w('sysctl', [
    `F='${fixtures}'`,
    'case "$*" in',
    '  kern.ipc) cat "$F/sysctl-kern.ipc-sem.txt" ;;',
    '  *) echo "sysctl: unknown oid \'$*\'" >&2; exit 1 ;;',
    'esac',
  ].join('\n'));
  return `#!/bin/sh\n# FreeBSD stand-in (see test/remote/freebsd.test.ts)\nPATH='${bin}':/usr/bin:/bin\nexport PATH\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`;
}


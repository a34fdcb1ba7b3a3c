/**
 * Optional capabilities of the machine the tests run on, probed (never assumed), and the one rule for tests
 * that need them: a test whose capability is missing is SKIPPED with the probe's reason, unless
 * IPCX_REQUIRE_<NAME>=1 (CI sets the ones its machine has), in which case it FAILS with that reason. So a
 * missing package or kernel feature is visible in the summary (test/run-all.mjs prints every skip reason)
 * and cannot silently hide a regression where it is required.
 *
 *   const pg = needs('postgres');
 *   before(() => { if (!pg.ready()) return; ...start the server... });
 *   test('real PostgreSQL ...', pg, async () => { ... });
 *
 * Capabilities (switch):
 *   native    IPCX_REQUIRE_NATIVE     the C++ binding loads (npm install builds it)
 *   i386      IPCX_REQUIRE_I386       gcc -m32 links AND the kernel executes the result (CONFIG_IA32_EMULATION)
 *   postgres  IPCX_REQUIRE_POSTGRES   a PostgreSQL server in /usr/lib/postgresql/<version>/bin (highest) and a
 *                                     `postgres` user
 *   chromium  IPCX_REQUIRE_CHROMIUM   Debian's Chromium (/usr/bin/chromium, or $IPCX_CHROMIUM)
 *   sshd      IPCX_REQUIRE_SSHD       /usr/sbin/sshd (or $IPCX_SSHD), ssh and ssh-keygen
 *   strace    IPCX_REQUIRE_STRACE     strace on PATH (syscall counts)
 *   arm64     IPCX_REQUIRE_ARM64      an aarch64 cross compiler and a Node.js for arm64 (both unpacked into
 *                                     test-artifacts/arm64 by tools/arm64-runtime.sh) and qemu-aarch64 that runs it
 *   prometheus IPCX_REQUIRE_PROMETHEUS a Prometheus server and promtool (Debian package prometheus)
 *
 * Every probe takes its environment as a parameter (PATH, the PostgreSQL root ...) so a unit test can
 * simulate a machine without the capability.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../../extension/backend/nativeLoader';

export type CapabilityName = 'native' | 'i386' | 'postgres' | 'chromium' | 'sshd' | 'strace' | 'arm64' | 'prometheus';
export const CAPABILITIES: readonly CapabilityName[] = ['native', 'i386', 'postgres', 'chromium', 'sshd', 'strace', 'arm64', 'prometheus'];

export interface Capability {
  ok: boolean;
  /** what was found (ok) or why the capability is missing, with the package or setting that provides it. */
  reason: string;
}

export interface ProbeEnv {
  env?: NodeJS.ProcessEnv;
  /** where PostgreSQL versions live (default /usr/lib/postgresql). */
  postgresRoot?: string;
}

export function requireSwitch(name: CapabilityName): string {
  return `IPCX_REQUIRE_${name.toUpperCase()}`;
}

export function isRequired(name: CapabilityName, env: NodeJS.ProcessEnv = process.env): boolean {
  return env[requireSwitch(name)] === '1';
}

/** An executable named `cmd` on env.PATH, or undefined. */
export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : undefined;
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Compares PostgreSQL version directory names numerically ("9.6" < "15" < "17"). */
function versionCompare(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/**
 * The bin directory of the highest PostgreSQL server version installed (Debian layout:
 * /usr/lib/postgresql/<version>/bin with `postgres` and `initdb`), or undefined. $IPCX_PG_BIN overrides.
 */
export function findPostgresBin(opts: ProbeEnv = {}): { bin: string; version: string } | undefined {
  const env = opts.env ?? process.env;
  const override = env['IPCX_PG_BIN'];
  if (override) {
    return isExecutable(path.join(override, 'postgres')) ? { bin: override, version: path.basename(path.dirname(override)) } : undefined;
  }
  const rootDir = opts.postgresRoot ?? '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = fs.readdirSync(rootDir).filter((v) => /^\d+(\.\d+)*$/.test(v));
  } catch {
    return undefined;
  }
  versions.sort(versionCompare).reverse();
  for (const v of versions) {
    const bin = path.join(rootDir, v, 'bin');
    if (isExecutable(path.join(bin, 'postgres')) && isExecutable(path.join(bin, 'initdb'))) return { bin, version: v };
  }
  return undefined;
}

function probeNative(): Capability {
  const r = loadNative();
  if (r.binding) return { ok: true, reason: `native binding loaded (${r.tried.find(Boolean) ?? 'found'})` };
  return { ok: false, reason: `the native binding does not load (${r.error?.message ?? 'unknown error'}); npm install builds it (needs python3, make, g++)` };
}

const I386_SRC = '#include <stdio.h>\nint main(void) { printf("i386 %d\\n", (int)sizeof(void *)); return 0; }\n';

/**
 * Builds a tiny program with `gcc -m32` and runs it. Linking proves gcc-multilib; running proves the kernel
 * executes i386 ELF binaries (a kernel without CONFIG_IA32_EMULATION, or booted with ia32_emulation=0,
 * answers ENOEXEC, which a shell then misreads as a script).
 */
export function probeI386(opts: ProbeEnv = {}): Capability {
  const env = opts.env ?? process.env;
  const gcc = which('gcc', env);
  if (!gcc) return { ok: false, reason: 'no gcc on PATH (Debian package gcc; gcc-multilib for -m32)' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-i386-'));
  try {
    const src = path.join(dir, 'probe.c');
    const bin = path.join(dir, 'probe32');
    fs.writeFileSync(src, I386_SRC);
    const cc = spawnSync(gcc, ['-m32', '-o', bin, src], { encoding: 'utf8', env });
    if (cc.status !== 0) {
      const why = (cc.stderr || cc.error?.message || '').trim().split('\n').slice(-1)[0];
      return { ok: false, reason: `gcc -m32 cannot build an i386 program (install gcc-multilib: tools/install-system-deps.sh): ${why}` };
    }
    // libuv's execvp retries a binary the kernel refuses with ENOEXEC as a shell script, so a kernel without
    // i386 support shows up as the shell's syntax error on the ELF bytes
    const run = spawnSync(bin, [], { encoding: 'utf8', env, timeout: 10_000 });
    if (run.status === 0 && run.stdout.trim() === 'i386 4') return { ok: true, reason: 'gcc -m32 links and the kernel runs i386 binaries' };
    const code = (run.error as NodeJS.ErrnoException | undefined)?.code;
    const out = (run.stderr || run.stdout || '').trim().split('\n')[0] ?? '';
    const what = code
      ? code
      : /Syntax error|unexpected|not found/.test(out)
        ? `execve: ENOEXEC (Exec format error); the shell fallback then said: ${out}`
        : `exit ${run.status}${run.signal ? ` signal ${run.signal}` : ''}: ${out}`;
    return {
      ok: false,
      reason: `this kernel does not execute i386 binaries (running a gcc -m32 program: ${what}); it needs CONFIG_IA32_EMULATION and not ia32_emulation=0`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function probePostgres(opts: ProbeEnv = {}): Capability {
  const env = opts.env ?? process.env;
  const pg = findPostgresBin(opts);
  if (!pg) {
    return { ok: false, reason: `no PostgreSQL server (${opts.postgresRoot ?? '/usr/lib/postgresql'}/<version>/bin/postgres; Debian package postgresql)` };
  }
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8', env });
  if (id.status !== 0) return { ok: false, reason: `PostgreSQL ${pg.version} found in ${pg.bin}, but there is no \`postgres\` user to run it` };
  return { ok: true, reason: `PostgreSQL ${pg.version} (${pg.bin})` };
}

/** Debian's Chromium, or $IPCX_CHROMIUM. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const p = env['IPCX_CHROMIUM'] || '/usr/bin/chromium';
  return isExecutable(p) ? p : undefined;
}

function probeChromium(opts: ProbeEnv = {}): Capability {
  const env = opts.env ?? process.env;
  const p = chromiumPath(env);
  if (!p) return { ok: false, reason: `no Chromium at ${env['IPCX_CHROMIUM'] || '/usr/bin/chromium'} (Debian package chromium)` };
  return { ok: true, reason: `Chromium at ${p}` };
}

/** sshd is looked up in /usr/sbin first (it is not on an ordinary user's PATH). */
export function sshdPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['IPCX_SSHD']) return which(env['IPCX_SSHD'], env);
  return isExecutable('/usr/sbin/sshd') ? '/usr/sbin/sshd' : which('sshd', env);
}

function probeSshd(opts: ProbeEnv = {}): Capability {
  const env = opts.env ?? process.env;
  const sshd = sshdPath(env);
  if (!sshd) return { ok: false, reason: 'no sshd (/usr/sbin/sshd; Debian package openssh-server)' };
  const missing = ['ssh', 'ssh-keygen'].filter((c) => !which(c, env));
  if (missing.length) return { ok: false, reason: `no ${missing.join(', ')} on PATH (Debian package openssh-client)` };
  return { ok: true, reason: `sshd at ${sshd}` };
}

function probeStrace(opts: ProbeEnv = {}): Capability {
  const p = which('strace', opts.env ?? process.env);
  return p ? { ok: true, reason: `strace at ${p}` } : { ok: false, reason: 'no strace on PATH (Debian package strace)' };
}

/** Where tools/arm64-runtime.sh unpacks Debian's aarch64 cross compiler and Node.js for arm64 (or $IPCX_ARM64_ROOT). */
export function arm64Root(env: NodeJS.ProcessEnv = process.env): string {
  return env['IPCX_ARM64_ROOT'] || path.join(__dirname, '..', '..', 'test-artifacts', 'arm64');
}

export function probeArm64(opts: ProbeEnv = {}): Capability {
  const env = opts.env ?? process.env;
  const root = arm64Root(env);
  const unpacked = path.join(root, 'usr', 'bin', 'aarch64-linux-gnu-g++-12');
  const missing = [
    ...(which('aarch64-linux-gnu-g++', env) || isExecutable(unpacked) ? [] : [`an aarch64 cross compiler (aarch64-linux-gnu-g++ on PATH or ${unpacked}; as root: sh tools/arm64-runtime.sh ${root})`]),
    ...(which('qemu-aarch64', env) ? [] : ['qemu-aarch64 (Debian package qemu-user)']),
  ];
  if (missing.length) return { ok: false, reason: `no ${missing.join(', ')}` };
  const node = path.join(root, 'usr', 'bin', 'node');
  if (!isExecutable(node)) return { ok: false, reason: `no Node.js for arm64 at ${node} (as root: sh tools/arm64-runtime.sh ${root})` };
  const r = spawnSync(which('qemu-aarch64', env)!, ['-L', root, node, '-p', 'process.arch'], { encoding: 'utf8', env, timeout: 60_000 });
  if (r.status !== 0 || r.stdout.trim() !== 'arm64') {
    return { ok: false, reason: `qemu-aarch64 cannot run ${node}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]}` };
  }
  return { ok: true, reason: `an aarch64 cross compiler, qemu-aarch64 and Node.js for arm64 in ${root}` };
}

/** The Prometheus server and promtool, on PATH (Debian installs both in /usr/bin). */
function probePrometheus(opts: ProbeEnv = {}): Capability {
  const env = opts.env ?? process.env;
  const missing = ['prometheus', 'promtool'].filter((c) => !which(c, env));
  if (missing.length) return { ok: false, reason: `no ${missing.join(', ')} on PATH (Debian package prometheus)` };
  const v = spawnSync(which('prometheus', env)!, ['--version'], { encoding: 'utf8', env, timeout: 10_000 });
  const line = `${v.stdout ?? ''}${v.stderr ?? ''}`.split('\n')[0]?.trim();
  if (v.status !== 0) return { ok: false, reason: `prometheus --version failed: ${line || v.error?.message || `exit ${v.status}`}` };
  return { ok: true, reason: line || 'prometheus and promtool on PATH' };
}

const PROBES: Record<CapabilityName, (o: ProbeEnv) => Capability> = {
  native: () => probeNative(),
  i386: probeI386,
  postgres: probePostgres,
  chromium: probeChromium,
  sshd: probeSshd,
  strace: probeStrace,
  arm64: probeArm64,
  prometheus: probePrometheus,
};

const cache = new Map<CapabilityName, Capability>();

/** Probes a capability (once per process with the real environment; every time with `opts`). */
export function capability(name: CapabilityName, opts?: ProbeEnv): Capability {
  if (opts) return PROBES[name](opts);
  let c = cache.get(name);
  if (!c) {
    c = PROBES[name]({});
    cache.set(name, c);
  }
  return c;
}

/**
 * What a test (or a file's tests) needing `names` does here: pass the result as node:test options
 * (`skip` is set with the reason when a capability is missing and not required), and call `ready()` first in
 * the `before` hook or the test body: false when skipped, true when everything is there, and it throws the
 * reason when a required capability is missing (so the test fails instead of skipping).
 */
export interface Need {
  skip?: string;
  ready(): boolean;
}

export function needs(...names: CapabilityName[]): Need {
  return needsIn(process.env, names.map((n) => [n, capability(n)]));
}

/** `needs` over given probe results and switches (unit tests simulate missing capabilities with it). */
export function needsIn(env: NodeJS.ProcessEnv, results: Array<[CapabilityName, Capability]>): Need {
  const missing = results.filter(([, c]) => !c.ok);
  const required = missing.filter(([n]) => isRequired(n, env));
  const why = (list: typeof missing): string => list.map(([n, c]) => `${n}: ${c.reason}`).join('; ');
  if (!missing.length) return { ready: () => true };
  if (required.length) {
    const msg = `${required.map(([n]) => `${requireSwitch(n)}=1`).join(', ')} but ${why(required)}`;
    return {
      ready: () => {
        throw new Error(msg);
      },
    };
  }
  const skip = `needs ${why(missing)} (set ${missing.map(([n]) => `${requireSwitch(n)}=1`).join(', ')} to fail instead of skipping)`;
  return { skip, ready: () => false };
}

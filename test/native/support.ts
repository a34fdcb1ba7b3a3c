/** Shared helpers for the native tests (real kernel objects; run only inside private IPC namespaces). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { NativeBinding } from '../../extension/backend/nativeBinding';
import { readLimitFiles } from '../../extension/backend/procfs';
import { decodeSysv, limitsFromNative, type DecodedSysv } from '../../extension/domain/sysvColumns';
import { loadNative } from '../../extension/backend/nativeLoader';
import type { IpcErrorInfo, SysvKind } from '../../extension/shared/model';
import { buildC, repoRoot } from '../helpers/cprog';
import { AS_NOBODY, forOtherUsers, stageBundle, stageDir, stagedNativeBinding } from '../helpers/stage';

export { repoRoot };
/** The one namespace guard (test/helpers/ns.ts); re-exported because the native tests and bench import it from here. */
export { assertPrivateIpcNamespace } from '../helpers/ns';

let cached: NativeBinding | undefined;
/** The binding, or a thrown Error naming the paths tried (a missing build fails the stage, never skips). */
export function native(): NativeBinding {
  if (cached) return cached;
  const r = loadNative();
  if (!r.binding) throw new Error(`native binding not loadable: ${r.error?.message}`);
  cached = r.binding;
  return cached;
}

/** The binding's listing decoded into model objects (what every local snapshot starts from). */
export function nativeObjects(opts: { values?: boolean } = {}): DecodedSysv {
  const values = opts.values !== false;
  return decodeSysv(native().sysv({ values }), values);
}

/** nativeObjects() with the kernel reads on the binding's worker thread. */
export async function nativeObjectsAsync(opts: { values?: boolean } = {}): Promise<DecodedSysv> {
  const values = opts.values !== false;
  return decodeSysv(await native().sysvAsync({ values }), values);
}

/** The binding's limits and usage, completed by the limit files, as a local snapshot shows them. */
export function nativeLimits(): ReturnType<typeof limitsFromNative> {
  return limitsFromNative(native().limits(), readLimitFiles());
}

export interface Made {
  kind: SysvKind;
  id: number;
  key: number;
}

/** Runs test/helpers/c/ipc_make with argv; returns the objects made (throws with its ERR line on failure). */
export function make(kind: SysvKind, args: string[]): Made[] {
  const r = spawnSync(buildC('ipc_make'), [kind, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipc_make ${kind} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => /^(sem|shm|msg) /.test(l))
    .map((l) => {
      const [k, id, key] = l.split(' ');
      return { kind: k as SysvKind, id: Number(id), key: Number(key) };
    });
}

/** ipcrm by id; ignores objects already gone. */
export function removeQuietly(objs: Array<{ kind: SysvKind; id: number }>): void {
  const flag = { sem: '-s', shm: '-m', msg: '-q' } as const;
  for (const o of objs) spawnSync('ipcrm', [flag[o.kind], String(o.id)], { encoding: 'utf8' });
}

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * `lsipc <flag> --json -b --time-format=iso -o COLS`: rows keyed by lower-case column names (strings).
 * Perms stay symbolic (`rw-r-----`, see permsToMode): util-linux 2.38's `-P` prints null for queues.
 */
export function lsipc(flag: '-s' | '-m' | '-q', cols: string[]): Array<Record<string, string | null>> {
  const out = JSON.parse(run('lsipc', [flag, '--json', '--notruncate', '-b', '--time-format=iso', '-o', cols.join(',')]));
  const key = { '-s': 'semaphores', '-m': 'sharedmemory', '-q': 'messages' }[flag];
  return (out[key] ?? []) as Array<Record<string, string | null>>;
}

/** `rw-r-----` -> 0o640 (throws on anything else, so a format change fails the test loudly). */
export function permsToMode(p: string | null | undefined): number {
  if (!p || !/^[r-][w-][x-][r-][w-][x-][r-][w-][x-]$/.test(p)) throw new Error(`unexpected lsipc perms ${p}`);
  let m = 0;
  for (let i = 0; i < 9; i++) if (p[i] !== '-') m |= 1 << (8 - i);
  return m;
}

/** lsipc ISO time (or null/"-") -> kernel seconds (0 = never). */
export function isoToSeconds(v: string | null | undefined): number {
  if (v === null || v === undefined || v === '' || v === '-') return 0;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`bad lsipc time ${v}`);
  return t / 1000;
}

export interface IpcsSem {
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
  nsems: number;
  elems: Array<{ semval: number; ncount: number; zcount: number; pid: number }>;
}

/** Parses `ipcs -s -i ID` (util-linux) for per-semaphore value, ncount, zcount, pid. */
export function ipcsSem(id: number): IpcsSem {
  const text = run('ipcs', ['-s', '-i', String(id)]);
  const num = (re: RegExp): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`ipcs -s -i ${id}: no match for ${re} in:\n${text}`);
    return Number(m[1]);
  };
  const elems: IpcsSem['elems'] = [];
  const lines = text.split('\n');
  const hdr = lines.findIndex((l) => /^semnum\s+value\s+ncount\s+zcount\s+pid/.test(l));
  for (const l of lines.slice(hdr + 1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 5 || !/^\d+$/.test(f[0]!)) continue;
    elems.push({ semval: Number(f[1]), ncount: Number(f[2]), zcount: Number(f[3]), pid: Number(f[4]) });
  }
  return {
    uid: num(/\buid=(\d+)/),
    gid: num(/\bgid=(\d+)/),
    cuid: num(/\bcuid=(\d+)/),
    cgid: num(/\bcgid=(\d+)/),
    mode: parseInt(/\bmode=(\d+)/.exec(text)![1]!, 8),
    nsems: num(/nsems = (\d+)/),
    elems,
  };
}

/** Spawns a C helper that prints a first line when ready; resolves with the child after that line. */
export function spawnReady(prog: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(buildC(prog), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${prog} ${args.join(' ')}: not ready after 5 s: ${buf}`)), 5000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (ready.test(buf)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!ready.test(buf)) reject(new Error(`${prog} exited ${code} before ready: ${buf}`));
    });
  });
}

/** Ends a child we started, by its pid, and waits for it. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid!, 'SIGKILL');
  });
}

/** Polls `cond` every 10 ms up to 5 s (kernel state reached by another process, e.g. a waiter in semop). */
export async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

export const probeScript = path.join(repoRoot, 'test', 'native', 'probes', 'probe.ts');

export interface ProbeResult {
  load: { ok: boolean; error?: IpcErrorInfo; tried: string[] };
  results: Array<{ ok: boolean; value?: unknown; error?: IpcErrorInfo }>;
}

/** argv running the probe with node + tsx (run it with cwd = repoRoot so `--import tsx` resolves). */
export function probeArgv(ops: unknown[]): string[] {
  return [process.execPath, '--import', 'tsx', probeScript, JSON.stringify(ops)];
}

export function parseProbe(r: { status: number | null; stdout: string; stderr: string }): ProbeResult {
  if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeResult;
}

/**
 * Runs the probe (as root, or as uid/gid 65534 with no groups), optionally behind a launcher argv prefix (its
 * program, staged for nobody, and the program's arguments).
 * As nobody it runs a one-file bundle of the probe from a world-readable stage directory (test/helpers/stage.ts)
 * with a staged copy of the binding: the checkout may be where nobody cannot go.
 */
export function probe(ops: unknown[], opts: { nobody?: boolean; prefix?: string[] } = {}): ProbeResult {
  const argv = opts.nobody
    ? [...AS_NOBODY, ...(opts.prefix ?? []).map((a, i) => (i === 0 ? forOtherUsers(a) : a)), process.execPath, stageBundle('test/native/probes/probe.ts', 'probe'), JSON.stringify(ops)]
    : [...(opts.prefix ?? []), ...probeArgv(ops)];
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    cwd: opts.nobody ? stageDir() : repoRoot,
    env: { ...process.env, HOME: '/tmp', ...(opts.nobody ? { IPCX_NATIVE_PATH: stagedNativeBinding() } : {}) },
    maxBuffer: 1 << 28,
  });
  return parseProbe(r);
}

/** Runs the probe as uid/gid 65534 (nobody) with no supplementary groups. */
export function probeAsNobody(ops: unknown[]): ProbeResult {
  return probe(ops, { nobody: true });
}

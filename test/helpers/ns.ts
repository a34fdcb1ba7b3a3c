/**
 * Private IPC namespaces for tests. test/run-all.mjs already runs every kernel-touching stage inside its
 * own IPC + mount namespace; tests that need exact counts or tiny limits make a nested one with
 * `spawnInNewIpcNamespace`. Every test that creates or removes an object calls
 * `assertPrivateIpcNamespace()` first, so a test run by hand outside the runner fails instead of touching
 * the host's objects.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';

export function ipcNamespaceOf(pid: number | 'self'): string {
  return fs.readlinkSync(`/proc/${pid}/ns/ipc`);
}

/** Every pid whose IPC namespace is `ns` (ipc:[INODE]), except `except`. */
export function pidsInIpcNamespace(ns: string, except: readonly number[] = []): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || except.includes(Number(e))) continue;
    if (tryIpcNamespaceOf(Number(e)) === ns) out.push(Number(e));
  }
  return out;
}

/** inode of the kernel's initial IPC namespace (PROC_IPC_INIT_INO, a kernel constant). */
export const INIT_IPC_NS = 'ipc:[4026531839]';

/** `pid`'s IPC namespace, or undefined when it cannot be read (exited, or denied). */
export function tryIpcNamespaceOf(pid: number | 'self'): string | undefined {
  try {
    return ipcNamespaceOf(pid);
  } catch {
    return undefined; // e.g. /proc/1/ns/ipc is EACCES in some sandboxes, even for root
  }
}

/**
 * True when this process is provably not in the host's IPC namespace: not the kernel's initial one, not
 * pid 1's (when readable), and not the one test/run-all.mjs or bench/run.mjs ran in before they unshared
 * (they export it as IPCX_HOST_IPC_NS). Without either reference it refuses: a test run by hand outside the
 * runner cannot prove where it is.
 */
export function inPrivateIpcNamespace(): boolean {
  const self = tryIpcNamespaceOf('self');
  if (!self || self === INIT_IPC_NS) return false;
  const pid1 = tryIpcNamespaceOf(1);
  const outer = process.env.IPCX_HOST_IPC_NS;
  if (pid1 === undefined && !outer) return false;
  return self !== pid1 && self !== outer;
}

export function assertPrivateIpcNamespace(): void {
  if (!inPrivateIpcNamespace()) {
    throw new Error(
      'refusing to create or remove IPC objects in the host namespace: run this test through ' +
        '`node test/run-all.mjs <stage>` (it wraps kernel tests in `unshare --ipc --mount`)',
    );
  }
}

/**
 * `unshare --ipc [--mount]` argv for a command: a new IPC namespace and, with posix, a new mount namespace
 * with a fresh tmpfs on /dev/shm. Arguments pass through as an array (no shell string is built from them).
 */
export function namespaceArgv(cmd: string, args: string[], opts: { posix?: boolean } = {}): [string, string[]] {
  if (!opts.posix) return ['unshare', ['--ipc', '--', cmd, ...args]];
  const script =
    'mount --make-rprivate / && mount -t tmpfs -o mode=1777,size=64m tmpfs /dev/shm && exec "$0" "$@"';
  return ['unshare', ['--ipc', '--mount', '--', 'sh', '-c', script, cmd, ...args]];
}

export function spawnInNewIpcNamespace(
  cmd: string,
  args: string[],
  opts: SpawnOptions & { posix?: boolean } = {},
): ChildProcess {
  const [c, a] = namespaceArgv(cmd, args, opts);
  return spawn(c, a, opts);
}

export function runInNewIpcNamespace(
  cmd: string,
  args: string[],
  opts: SpawnSyncOptions & { posix?: boolean } = {},
): ReturnType<typeof spawnSync> {
  const [c, a] = namespaceArgv(cmd, args, opts);
  return spawnSync(c, a, { encoding: 'utf8', ...opts });
}

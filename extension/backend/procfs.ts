/**
 * Linux /proc readers for the local sources (native and /proc fallback): /proc/sysvipc, the limit files,
 * the reader's view of the process table and each pid's files. Reads files and hands their text to the
 * pure parsers in extension/domain; every path is relative to a root so tests can point it at a fixture
 * tree. Nothing here throws for one object or one process: failures become item errors or process errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toIpcErrorInfo } from '../domain/errors';
import { LIMIT_FILES, type LimitFiles } from '../domain/procParser';
import { buildProcessFact, parseBootTime, type KillProbe, type ProcessFiles } from '../domain/processFacts';
import { parseReaderView } from '../domain/readerView';
import type { ItemError, ProcessFact, ReaderView } from '../shared/model';

export interface ProcPaths {
  /** where procfs is mounted (default /proc) */
  proc: string;
  /** where POSIX shm and named semaphores live (default /dev/shm) */
  devShm: string;
}

export const DEFAULT_PATHS: ProcPaths = { proc: '/proc', devShm: '/dev/shm' };

/** USER_HZ, the unit of /proc/PID/stat times: 100 on every mainstream Linux architecture. */
export const DEFAULT_CLK_TCK = 100;

/** Reads a text file; undefined when it does not exist (ENOENT/ESRCH); other errors are thrown. */
export function readTextIfExists(file: string, encoding: BufferEncoding = 'latin1'): string | undefined {
  try {
    return fs.readFileSync(file, encoding);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

export interface SysvipcTexts {
  sem?: string;
  shm?: string;
  msg?: string;
  errors: ItemError[];
}

/** The three /proc/sysvipc files (an unreadable file is an item error for its kind, not a failure). */
export function readSysvipc(paths: ProcPaths = DEFAULT_PATHS): SysvipcTexts {
  const out: SysvipcTexts = { errors: [] };
  for (const kind of ['sem', 'shm', 'msg'] as const) {
    const file = path.join(paths.proc, 'sysvipc', kind);
    try {
      const t = readTextIfExists(file);
      if (t === undefined) {
        out.errors.push({
          kind,
          error: toIpcErrorInfo({ code: 'ENOENT', syscall: 'open', message: `open ${file}: No such file or directory (ENOENT)`,
            hint: 'This kernel has no /proc/sysvipc (not Linux, or built without CONFIG_SYSVIPC).' }),
        });
      } else out[kind] = t;
    } catch (e) {
      out.errors.push({ kind, error: toIpcErrorInfo(e, { syscall: 'open' }) });
    }
  }
  return out;
}

/** Every limit file of `files` that exists (missing ones are left out; the parser reports them). */
export function readLimitFiles(paths: ProcPaths = DEFAULT_PATHS, files: readonly (keyof LimitFiles)[] = LIMIT_FILES): LimitFiles {
  const out: LimitFiles = {};
  for (const f of files) {
    try {
      const t = readTextIfExists(path.join(paths.proc, 'sys', f));
      if (t !== undefined) out[f] = t;
    } catch {
      // unreadable: parseLimitFiles reports it as missing
    }
  }
  return out;
}

let cachedPageSize: number | undefined;

/** The kernel page size, from the first KernelPageSize line of /proc/self/smaps (Node has no sysconf). */
export function pageSize(paths: ProcPaths = DEFAULT_PATHS): number {
  if (cachedPageSize !== undefined && paths === DEFAULT_PATHS) return cachedPageSize;
  let size = 4096;
  try {
    const fd = fs.openSync(path.join(paths.proc, 'self', 'smaps'), 'r');
    try {
      const buf = Buffer.alloc(4096);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const m = /^KernelPageSize:\s+(\d+) kB/m.exec(buf.toString('latin1', 0, n));
      if (m) size = Number(m[1]) * 1024;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // keep 4096
  }
  if (paths === DEFAULT_PATHS) cachedPageSize = size;
  return size;
}

export function readBootTime(paths: ProcPaths = DEFAULT_PATHS): number | undefined {
  try {
    const t = readTextIfExists(path.join(paths.proc, 'stat'));
    return t === undefined ? undefined : parseBootTime(t);
  } catch {
    return undefined;
  }
}

/** kill(pid, 0): whether a pid exists in the reader's pid namespace (nothing is sent). */
export type KillFn = (pid: number) => KillProbe;

export const killProbe: KillFn = (pid) => {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid > 0x7fffffff) return 'other';
  try {
    process.kill(pid, 0);
    return 'ok';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ESRCH' ? 'ESRCH' : code === 'EPERM' ? 'EPERM' : 'other';
  }
};

/** kill(2) answers only for the real /proc: a fixture tree's pids are not this machine's. */
function defaultKill(paths: ProcPaths): KillFn | undefined {
  return paths.proc === DEFAULT_PATHS.proc ? killProbe : undefined;
}

/**
 * What this reader can see of processes: its pid namespace (and whether it is the initial one), whether the
 * /proc it reads is its own pid namespace's, /proc's hidepid option, and realtime - boottime read together.
 */
export function readReaderView(paths: ProcPaths = DEFAULT_PATHS): ReaderView {
  const read = (rel: string) => {
    try {
      return readTextIfExists(path.join(paths.proc, rel), 'utf8');
    } catch {
      return undefined;
    }
  };
  let pidNs: string | undefined;
  let selfLink: string | undefined;
  try {
    pidNs = fs.readlinkSync(path.join(paths.proc, 'self', 'ns', 'pid'));
  } catch {
    // no /proc/self: /proc is not a pid namespace we are visible in
  }
  try {
    selfLink = fs.readlinkSync(path.join(paths.proc, 'self'));
  } catch {
    selfLink = undefined;
  }
  const t0 = Date.now();
  const uptime = read('uptime');
  const t1 = Date.now();
  const groups = typeof process.getgroups === 'function' ? process.getgroups() : [];
  return parseReaderView({
    pidNsLink: pidNs,
    selfLink,
    ownPid: process.pid,
    selfStatus: read('self/status'),
    mountinfo: read('self/mountinfo'),
    procMountPoint: paths.proc,
    uptime,
    realtime: [t0 / 1000, (t1 + 1) / 1000], // Date.now() is whole milliseconds
    euid: typeof process.geteuid === 'function' ? process.geteuid() : undefined,
    groups: typeof process.getegid === 'function' ? [process.getegid(), ...groups] : groups,
  });
}

/**
 * stat, cmdline, status and ns/ipc of one pid, and kill(pid, 0) when /proc does not show it (hidepid, or it
 * is gone). When /proc belongs to another pid namespace (`view.procIsOwnPidNs === false`) its entries are
 * other processes: only kill answers.
 */
export function readProcessFiles(pid: number, paths: ProcPaths = DEFAULT_PATHS, view?: ReaderView, kill = defaultKill(paths)): ProcessFiles {
  const dir = path.join(paths.proc, String(pid));
  const files: ProcessFiles = { pid };
  const probe = () => {
    if (kill) files.kill = kill(pid);
  };
  if (view?.procIsOwnPidNs === false) {
    files.statCode = 'skipped';
    probe();
    return files;
  }
  try {
    files.stat = readTextIfExists(path.join(dir, 'stat'), 'utf8');
    if (files.stat === undefined) files.statCode = 'ENOENT';
  } catch (e) {
    files.error = toIpcErrorInfo(e, { syscall: 'open' });
    files.statCode = files.error.code;
  }
  if (files.stat === undefined) {
    probe();
    return files;
  }
  try {
    files.cmdline = readTextIfExists(path.join(dir, 'cmdline'), 'utf8');
    files.status = readTextIfExists(path.join(dir, 'status'), 'utf8');
  } catch (e) {
    files.error = toIpcErrorInfo(e, { syscall: 'open' });
  }
  const ns = readIpcNs(dir); // EACCES for other users' processes without CAP_SYS_PTRACE: left unknown
  if (ns !== undefined) files.nsIpc = ns;
  return files;
}

export function readProcessFacts(
  pids: readonly number[],
  paths: ProcPaths = DEFAULT_PATHS,
  clkTck = DEFAULT_CLK_TCK,
  view: ReaderView = readReaderView(paths),
  kill = defaultKill(paths),
): Record<number, ProcessFact> {
  const btime = readBootTime(paths);
  const out: Record<number, ProcessFact> = {};
  for (const pid of pids) out[pid] = buildProcessFact(readProcessFiles(pid, paths, view, kill), btime, clkTck, view);
  return out;
}

/** readlink of DIR/ns/ipc (`ipc:[inode]`); undefined when unreadable (EACCES without ptrace access, gone). */
export function readIpcNs(procDir: string): string | undefined {
  try {
    return fs.readlinkSync(path.join(procDir, 'ns', 'ipc'));
  } catch {
    return undefined;
  }
}

export function ipcNamespaceOfSelf(paths: ProcPaths = DEFAULT_PATHS): string | undefined {
  return readIpcNs(path.join(paths.proc, 'self'));
}

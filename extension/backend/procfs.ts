/**
 * Linux /proc and /dev/shm readers for the local sources (native and /proc fallback). Reads files and
 * hands their text to the pure parsers in extension/domain; every path is relative to a root so tests can
 * point it at a fixture tree. Nothing here throws for one object or one process: failures become item
 * errors, process errors or warnings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toIpcErrorInfo } from '../domain/errors';
import { collectAttachers, devInoKey, parseMaps, type Attachers, type MapsEntry } from '../domain/mapsParser';
import { decodePosixSem, type PosixSemRead } from '../domain/posixSem';
import { LIMIT_FILES, type LimitFiles } from '../domain/procParser';
import { buildProcessFact, parseBootTime, pidsOf, type ProcessFiles } from '../domain/processFacts';
import type { IpcSnapshot, ItemError, Platform, PosixSem, PosixShm, ProcessFact } from '../shared/model';

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

/** Every limit file that exists (missing ones are left out; the parser reports them). */
export function readLimitFiles(paths: ProcPaths = DEFAULT_PATHS): LimitFiles {
  const out: LimitFiles = {};
  for (const f of LIMIT_FILES) {
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

/** stat, cmdline, status and ns/ipc of one pid; `stat` undefined = the process does not exist. */
export function readProcessFiles(pid: number, paths: ProcPaths = DEFAULT_PATHS): ProcessFiles {
  const dir = path.join(paths.proc, String(pid));
  const files: ProcessFiles = { pid };
  try {
    files.stat = readTextIfExists(path.join(dir, 'stat'), 'utf8');
  } catch (e) {
    files.error = toIpcErrorInfo(e, { syscall: 'open' });
    return files;
  }
  if (files.stat === undefined) return files;
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
): Record<number, ProcessFact> {
  const btime = readBootTime(paths);
  const out: Record<number, ProcessFact> = {};
  for (const pid of pids) out[pid] = buildProcessFact(readProcessFiles(pid, paths), btime, clkTck);
  return out;
}

export interface AttacherScan {
  attachers: Attachers;
  /** processes whose maps were read */
  scanned: number;
  /** true when the process count exceeded the bound and the rest were not scanned */
  truncated: boolean;
  /** processes whose maps could not be read (EACCES without privileges) */
  unreadable: number;
}

/** Default bound on the number of processes whose maps are read per snapshot. */
export const MAX_MAPS_SCAN = 20000;

/**
 * Reads /proc/PID/maps of every process (up to `maxProcesses`) and collects System V shm attachers and
 * attachers of the given /dev/shm files (dev:ino keys). Only call it when there is something to find.
 * System V attachers are only the processes in IPC namespace `ownIpcNs` (read from /proc/self when not
 * given): a shmid mapped in another namespace is another segment (mapsParser.sameIpcNamespace).
 */
export function scanAttachers(
  wantedFiles: ReadonlySet<string>,
  paths: ProcPaths = DEFAULT_PATHS,
  maxProcesses = MAX_MAPS_SCAN,
  ownIpcNs: string | undefined = ipcNamespaceOfSelf(paths),
): AttacherScan {
  let names: string[];
  try {
    names = fs.readdirSync(paths.proc);
  } catch {
    names = [];
  }
  const entries: [number, MapsEntry, string?][] = [];
  let scanned = 0, unreadable = 0, truncated = false;
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    if (scanned >= maxProcesses) {
      truncated = true;
      break;
    }
    scanned++;
    let text: string | undefined;
    try {
      text = readTextIfExists(path.join(paths.proc, name, 'maps'));
    } catch {
      unreadable++;
      continue;
    }
    if (!text) continue; // gone, or a kernel thread
    const e = parseMaps(text, wantedFiles);
    if (e.sysvShmids.length) entries.push([Number(name), e, readIpcNs(path.join(paths.proc, name))]);
    else if (e.files.length) entries.push([Number(name), e]);
  }
  return { attachers: collectAttachers(entries, ownIpcNs), scanned, truncated, unreadable };
}

/** Reads a semaphore file's bytes: natively (one atomic 8-byte load) or with fs (atomic: false). */
export type PosixSemReader = (file: string) => PosixSemRead;

/** Reads up to 64 bytes with O_NOFOLLOW (a semaphore is 16 or 32 bytes; a bigger file is not one). */
export function fsReadPosixSem(file: string): PosixSemRead {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(64);
    let n = 0;
    for (;;) {
      const r = fs.readSync(fd, buf, n, buf.length - n, n);
      if (r <= 0) break;
      n += r;
      if (n >= buf.length) break;
    }
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, n) };
  } finally {
    fs.closeSync(fd);
  }
}

export interface DevShmListing {
  posixSems: PosixSem[];
  posixShms: PosixShm[];
  errors: ItemError[];
}

/**
 * Lists /dev/shm: `sem.NAME` files are named semaphores (decoded), other regular files POSIX shm objects.
 * Directories, symlinks and devices are not objects (lstat, never followed).
 */
export function listDevShm(paths: ProcPaths = DEFAULT_PATHS, readSem: PosixSemReader = fsReadPosixSem): DevShmListing {
  const out: DevShmListing = { posixSems: [], posixShms: [], errors: [] };
  let names: string[];
  try {
    names = fs.readdirSync(paths.devShm);
  } catch (e) {
    const info = toIpcErrorInfo(e, { syscall: 'scandir' });
    if (info.code !== 'ENOENT') out.errors.push({ kind: 'posixShm', name: paths.devShm, error: info });
    return out;
  }
  names.sort();
  for (const name of names) {
    const file = path.join(paths.devShm, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch (e) {
      const info = toIpcErrorInfo(e, { syscall: 'lstat' });
      if (info.code !== 'ENOENT') out.errors.push({ kind: name.startsWith('sem.') ? 'posixSem' : 'posixShm', name: '/' + name, error: info });
      continue;
    }
    if (!st.isFile()) continue;
    const common = {
      path: file,
      uid: st.uid,
      gid: st.gid,
      mode: st.mode & 0o7777,
      size: st.size,
      mtime: Math.floor(st.mtimeMs / 1000),
      dev: st.dev,
      ino: st.ino,
    };
    if (name.startsWith('sem.') && name.length > 4) {
      const sem: PosixSem = { kind: 'posixSem', name: '/' + name.slice(4), ...common };
      if (st.size > 64) {
        sem.decodeError = {
          code: 'EPARSE',
          syscall: 'decode',
          op: 'sem_t',
          message: `${file}: unexpected size ${st.size} bytes (a glibc sem_t is 32 bytes on 64-bit, 16 on 32-bit)`,
          hint: 'The file does not look like a glibc semaphore; its value is not shown.',
        };
      } else {
        try {
          const d = decodePosixSem(readSem(file), file);
          if ('decoded' in d) sem.decoded = d.decoded;
          else sem.decodeError = d.decodeError;
        } catch (e) {
          const info = toIpcErrorInfo(e, { syscall: 'open' });
          if (info.code === 'ENOENT') continue; // removed since readdir
          sem.decodeError = info;
        }
      }
      out.posixSems.push(sem);
    } else {
      out.posixShms.push({ kind: 'posixShm', name: '/' + name, ...common });
    }
  }
  return out;
}

export function platformOf(p: NodeJS.Platform = process.platform): Platform {
  return p === 'linux' ? 'linux' : p === 'freebsd' ? 'freebsd' : p === 'darwin' ? 'darwin' : 'unknown';
}

/** readlink of DIR/ns/ipc (`ipc:[inode]`); undefined when unreadable (EACCES without ptrace access, gone). */
function readIpcNs(procDir: string): string | undefined {
  try {
    return fs.readlinkSync(path.join(procDir, 'ns', 'ipc'));
  } catch {
    return undefined;
  }
}

export function ipcNamespaceOfSelf(paths: ProcPaths = DEFAULT_PATHS): string | undefined {
  return readIpcNs(path.join(paths.proc, 'self'));
}

export interface EnrichOptions {
  paths?: ProcPaths;
  readSem?: PosixSemReader;
  clkTck?: number;
  maxMapsScan?: number;
  /** skip /proc/PID/maps (attachers stay unknown) */
  noAttachers?: boolean;
}

/**
 * Adds what both local sources share to a snapshot holding the SysV objects, limits and usage: POSIX
 * objects from /dev/shm, shm/POSIX attachers (one bounded maps scan, only when something can be attached),
 * process facts for every pid the objects mention, and the host fields.
 */
export function enrichLocal(snap: IpcSnapshot, opts: EnrichOptions = {}): IpcSnapshot {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const ns = ipcNamespaceOfSelf(paths);
  const posix = listDevShm(paths, opts.readSem ?? fsReadPosixSem);
  snap.posixSems = posix.posixSems;
  snap.posixShms = posix.posixShms;
  snap.errors.push(...posix.errors);

  const wanted = new Set<string>();
  for (const o of snap.posixSems) wanted.add(devInoKey(o.dev, o.ino));
  for (const o of snap.posixShms) wanted.add(devInoKey(o.dev, o.ino));
  const attachedShm = snap.shms.some((s) => s.nattch > 0);
  if (!opts.noAttachers && (attachedShm || wanted.size)) {
    const scan = scanAttachers(wanted, paths, opts.maxMapsScan ?? MAX_MAPS_SCAN, ns);
    for (const s of snap.shms) s.attachers = scan.attachers.shm.get(s.id) ?? [];
    for (const o of snap.posixSems) o.attachers = scan.attachers.files.get(devInoKey(o.dev, o.ino)) ?? [];
    for (const o of snap.posixShms) o.attachers = scan.attachers.files.get(devInoKey(o.dev, o.ino)) ?? [];
    if (scan.truncated) {
      snap.warnings.push(`attachers: only the first ${scan.scanned} processes' /proc/PID/maps were read; attacher lists may be incomplete`);
    }
    if (scan.unreadable) {
      const who = typeof process.geteuid === 'function' && process.geteuid() === 0
        ? 'denied even to root (ptrace access mode or another user namespace)'
        : 'not readable (run as root to see every attacher)';
      snap.warnings.push(`attachers: /proc/PID/maps of ${scan.unreadable} process(es) ${who}; their attachments are not counted`);
    }
  } else if (!opts.noAttachers) {
    for (const s of snap.shms) s.attachers = [];
  }

  const pids = pidsOf([...snap.sems, ...snap.shms, ...snap.msgs, ...snap.posixSems, ...snap.posixShms]);
  snap.processes = readProcessFacts(pids, paths, opts.clkTck ?? DEFAULT_CLK_TCK);

  snap.hostname = os.hostname();
  snap.kernel = os.release();
  if (ns !== undefined) snap.ipcNamespace = ns;
  if (typeof process.geteuid === 'function') snap.uid = process.geteuid();
  return snap;
}


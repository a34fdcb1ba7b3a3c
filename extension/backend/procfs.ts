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
import { buildProcessFact, parseBootTime, pidsOf, type KillProbe, type ProcessFiles } from '../domain/processFacts';
import { parseReaderView } from '../domain/readerView';
import type { DevShmUsage, IpcSnapshot, ItemError, Platform, PosixSem, PosixShm, ProcessFact, ReaderView } from '../shared/model';

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

export interface AttacherScan {
  attachers: Attachers;
  /** processes whose maps were read */
  scanned: number;
  /** true when the process count exceeded the bound and the rest were not scanned */
  truncated: boolean;
  /** processes whose maps could not be read (EACCES without privileges) */
  unreadable: number;
  /** processes whose maps was longer than the per-process bound and was read only in part */
  cut: number;
  /** true when the byte budget of the whole scan ran out and the remaining processes were not read */
  budgetExhausted: boolean;
  /** the first few processes whose maps could not be read (pid, comm when readable), so a warning can name them */
  unreadablePids: { pid: number; comm?: string }[];
}

/** How many of the processes whose maps were unreadable a warning names. */
const MAX_NAMED_UNREADABLE = 8;

/** `pid 812 (sshd), pid 990` and `and N more` past the named ones. */
export function namePids(named: readonly { pid: number; comm?: string }[], total: number): string {
  const list = named.map((p) => `pid ${p.pid}${p.comm ? ` (${p.comm})` : ''}`).join(', ');
  return total > named.length ? `${list} and ${total - named.length} more` : list;
}

/** Default bound on the number of processes whose maps are read per snapshot. */
export const MAX_MAPS_SCAN = 20000;
/**
 * Bounds on /proc/PID/maps text: a process may hold vm.max_map_count mappings (65530 by default, raisable)
 * with paths up to PATH_MAX, i.e. hundreds of MB of maps. Each file is read in chunks (memory stays at one
 * chunk), at most MAX_MAPS_BYTES_PER_PROCESS per process and MAX_MAPS_BYTES for the whole scan.
 */
export const MAX_MAPS_BYTES_PER_PROCESS = 64 * 1024 * 1024;
export const MAX_MAPS_BYTES = 512 * 1024 * 1024;
const MAPS_CHUNK = 1024 * 1024;

export interface MapsBounds {
  perProcess?: number;
  total?: number;
}

/**
 * Reads one maps file in chunks and parses each chunk (cut at its last newline) as it comes: bounded memory
 * for any size. undefined when the process is gone; throws when unreadable (EACCES).
 */
export function readMapsBounded(
  file: string,
  wantedFiles: ReadonlySet<string>,
  maxBytes: number,
): { entry: MapsEntry; bytes: number; cut: boolean } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return undefined;
    throw e;
  }
  const shm = new Set<number>();
  const files = new Set<string>();
  let bytes = 0;
  let cut = false;
  try {
    const buf = Buffer.alloc(Math.min(MAPS_CHUNK, Math.max(4096, maxBytes)));
    let carry = '';
    for (;;) {
      if (bytes >= maxBytes) {
        // at the bound: cut only if there is more (one byte tells)
        let more = 0;
        try {
          more = fs.readSync(fd, buf, 0, 1, null);
        } catch {
          more = 0;
        }
        cut = more > 0;
        break;
      }
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, Math.min(buf.length, maxBytes - bytes), null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ESRCH' || code === 'ENOENT') break; // exited while being read: what was read stands
        throw e;
      }
      if (n <= 0) break;
      bytes += n;
      const text = carry + buf.toString('latin1', 0, n);
      const nl = text.lastIndexOf('\n');
      carry = nl < 0 ? text : text.slice(nl + 1);
      if (carry.length > 2 * 4096 + 256) carry = ''; // longer than any maps line (PATH_MAX): not a line
      if (nl >= 0) {
        const e = parseMaps(text.slice(0, nl + 1), wantedFiles);
        for (const id of e.sysvShmids) shm.add(id);
        for (const k of e.files) files.add(k);
      }
    }
    if (!cut && carry) {
      const e = parseMaps(carry, wantedFiles);
      for (const id of e.sysvShmids) shm.add(id);
      for (const k of e.files) files.add(k);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { entry: { sysvShmids: [...shm], files: [...files] }, bytes, cut };
}

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
  bounds: MapsBounds = {},
): AttacherScan {
  const perProcess = bounds.perProcess ?? MAX_MAPS_BYTES_PER_PROCESS;
  let budget = bounds.total ?? MAX_MAPS_BYTES;
  let names: string[];
  try {
    names = fs.readdirSync(paths.proc);
  } catch {
    names = [];
  }
  const entries: [number, MapsEntry, string?][] = [];
  let scanned = 0, unreadable = 0, cut = 0, truncated = false, budgetExhausted = false;
  const unreadablePids: { pid: number; comm?: string }[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    if (scanned >= maxProcesses) {
      truncated = true;
      break;
    }
    if (budget <= 0) {
      budgetExhausted = true;
      break;
    }
    scanned++;
    let r: ReturnType<typeof readMapsBounded>;
    try {
      r = readMapsBounded(path.join(paths.proc, name, 'maps'), wantedFiles, Math.min(perProcess, budget));
    } catch {
      unreadable++;
      if (unreadablePids.length < MAX_NAMED_UNREADABLE) {
        let comm: string | undefined;
        try {
          comm = readTextIfExists(path.join(paths.proc, name, 'comm'))?.trim() || undefined;
        } catch {
          comm = undefined;
        }
        unreadablePids.push(comm ? { pid: Number(name), comm } : { pid: Number(name) });
      }
      continue;
    }
    if (!r) continue; // gone
    budget -= r.bytes;
    if (r.cut) cut++;
    const e = r.entry;
    if (e.sysvShmids.length) entries.push([Number(name), e, readIpcNs(path.join(paths.proc, name))]);
    else if (e.files.length) entries.push([Number(name), e]);
  }
  return { attachers: collectAttachers(entries, ownIpcNs), scanned, truncated, unreadable, unreadablePids, cut, budgetExhausted };
}

/** Reads a semaphore file's bytes: natively (one atomic 8-byte load) or with fs (atomic: false). */
export type PosixSemReader = (file: string | Buffer) => PosixSemRead;

/**
 * Reads up to 64 bytes with pread (a semaphore is 16 or 32 bytes; a bigger file is not one): O_NOFOLLOW (a
 * symlink is refused), O_NONBLOCK (a FIFO swapped in after the listing does not block), and fstat on the fd
 * must say regular file. Not one atomic load: value and nwaiters may come from different instants.
 */
export function fsReadPosixSem(file: string | Buffer): PosixSemRead {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  try {
    if (!fs.fstatSync(fd).isFile()) {
      throw Object.assign(new Error('fstat(S_ISREG): not a regular file (EINVAL)'), { code: 'EINVAL', errno: 22, syscall: 'fstat', op: 'S_ISREG' });
    }
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
  warnings: string[];
  /** regular files in the directory (listed or not) */
  total: number;
  /** regular files not examined because of the bound */
  notListed: number;
}

/**
 * Default bound on the /dev/shm files listed per snapshot. Every name is read (one getdents pass) and
 * counted; only the first MAX_DEVSHM_LIST regular files by name are stat'ed and listed, the rest are
 * counted in a warning. A /dev/shm with 100,000 leaked files stays a bounded snapshot.
 */
export const MAX_DEVSHM_LIST = 10000;

/** A file name's bytes for display: valid UTF-8 as it is, every other byte as \xNN. */
export function displayName(bytes: Buffer): { text: string; exact: boolean } {
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) return { text, exact: true };
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    // longest valid UTF-8 sequence at i (1..4 bytes), else one escaped byte
    let taken = false;
    for (let len = 4; len >= 1 && !taken; len--) {
      if (i + len > bytes.length) continue;
      const part = bytes.subarray(i, i + len);
      const t = part.toString('utf8');
      if (!t.includes('\ufffd') && Buffer.from(t, 'utf8').equals(part)) {
        out += t;
        i += len;
        taken = true;
      }
    }
    if (!taken) out += `\\x${bytes[i++].toString(16).padStart(2, '0')}`;
  }
  return { text: out, exact: false };
}

const ASCII = /^[\x00-\x7f]*$/;

function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Lists /dev/shm: `sem.NAME` files are named semaphores (decoded), other regular files POSIX shm objects.
 * Directories, symlinks, FIFOs, sockets and devices are not objects (file type from the directory entry,
 * then lstat: never followed). Names are handled as bytes (a name need not be UTF-8; such a name is shown
 * with \xNN escapes and read through its exact bytes). Bounded: see MAX_DEVSHM_LIST.
 */
export function listDevShm(
  paths: ProcPaths = DEFAULT_PATHS,
  readSem: PosixSemReader = fsReadPosixSem,
  maxList = MAX_DEVSHM_LIST,
): DevShmListing {
  const out: DevShmListing = { posixSems: [], posixShms: [], errors: [], warnings: [], total: 0, notListed: 0 };
  let entries: fs.Dirent[];
  try {
    // latin1: one JS char per byte, so the names keep their exact bytes and sort in byte order
    entries = fs.readdirSync(paths.devShm, { encoding: 'latin1', withFileTypes: true });
  } catch (e) {
    const info = toIpcErrorInfo(e, { syscall: 'scandir' });
    if (info.code !== 'ENOENT') out.errors.push({ kind: 'posixShm', name: paths.devShm, error: info });
    return out;
  }
  const names: string[] = [];
  for (const d of entries) {
    // d_type first: only regular files (or an unknown type, left to lstat) can be objects
    if (d.isFile() || !(d.isDirectory() || d.isSymbolicLink() || d.isFIFO() || d.isSocket() || d.isBlockDevice() || d.isCharacterDevice())) {
      names.push(d.name);
    }
  }
  entries = [];
  out.total = names.length;
  const dirBytes = Buffer.from(paths.devShm.endsWith('/') ? paths.devShm : paths.devShm + '/', 'utf8');
  /** stats (and for a semaphore reads) one name; true when it was listed */
  const examine = (name: string): boolean => {
    // plain ASCII (nearly every name) is its own UTF-8; anything else is checked byte by byte
    const shown = ASCII.test(name) ? { text: name, exact: true } : displayName(Buffer.from(name, 'latin1'));
    // the exact bytes whenever the name is not valid UTF-8: a decoded string would name another file
    const file: string | Buffer = shown.exact ? path.join(paths.devShm, shown.text) : Buffer.concat([dirBytes, Buffer.from(name, 'latin1')]);
    const displayPath = shown.exact ? (file as string) : path.join(paths.devShm, shown.text);
    const isSem = shown.text.startsWith('sem.');
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch (e) {
      const info = toIpcErrorInfo(e, { syscall: 'lstat' });
      if (info.code !== 'ENOENT') out.errors.push({ kind: isSem ? 'posixSem' : 'posixShm', name: '/' + shown.text, error: info });
      return false;
    }
    if (!st.isFile()) return false; // replaced since readdir (a symlink, a FIFO ...): not an object
    const common = {
      path: displayPath,
      uid: st.uid,
      gid: st.gid,
      mode: st.mode & 0o7777,
      size: st.size,
      mtime: Math.floor(st.mtimeMs / 1000),
      dev: st.dev,
      ino: st.ino,
    };
    if (isSem && shown.text.length > 4) {
      const sem: PosixSem = { kind: 'posixSem', name: '/' + shown.text.slice(4), ...common };
      if (st.size > 64) {
        sem.decodeError = {
          code: 'EPARSE',
          syscall: 'decode',
          op: 'sem_t',
          message: `${displayPath}: unexpected size ${st.size} bytes (a glibc sem_t is 32 bytes on 64-bit, 16 on 32-bit)`,
          hint: 'The file does not look like a glibc semaphore; its value is not shown.',
        };
      } else {
        try {
          const d = decodePosixSem(readSem(file), displayPath);
          if ('decoded' in d) sem.decoded = d.decoded;
          else sem.decodeError = d.decodeError;
        } catch (e) {
          const info = toIpcErrorInfo(e, { syscall: 'open' });
          if (info.code === 'ENOENT') return false; // removed since readdir
          sem.decodeError = info;
        }
      }
      out.posixSems.push(sem);
    } else {
      out.posixShms.push({ kind: 'posixShm', name: '/' + shown.text, ...common });
    }
    return true;
  };
  // Semaphores and other objects share the bound (half each, what one kind leaves goes to the other), so a
  // flood of files of one kind cannot push every object of the other out of the listing.
  const sems = names.filter((n) => n.startsWith('sem.')).sort();
  const others = names.filter((n) => !n.startsWith('sem.')).sort();
  let iS = 0, iO = 0, nS = 0, nO = 0;
  const semShare = Math.max(Math.ceil(maxList / 2), maxList - others.length);
  for (; iS < sems.length && nS < semShare; iS++) if (examine(sems[iS])) nS++;
  for (; iO < others.length && nS + nO < maxList; iO++) if (examine(others[iO])) nO++;
  for (; iS < sems.length && nS + nO < maxList; iS++) if (examine(sems[iS])) nS++;
  out.posixSems.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  out.notListed = sems.length - iS + (others.length - iO);
  if (out.notListed > 0) {
    out.warnings.push(
      `${paths.devShm}: ${fmtCount(out.total)} files; ${fmtCount(nS + nO)} listed (the first by name: ${fmtCount(nS)} sem.*, ` +
        `${fmtCount(nO)} others), ${fmtCount(out.notListed)} more not listed (bound: ${fmtCount(maxList)} per snapshot)`,
    );
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
  /** bound on the /dev/shm files listed (default MAX_DEVSHM_LIST) */
  maxDevShm?: number;
  /** bounds on /proc/PID/maps bytes read (defaults MAX_MAPS_BYTES_PER_PROCESS, MAX_MAPS_BYTES) */
  mapsBounds?: MapsBounds;
  /** skip /proc/PID/maps (attachers stay unknown) */
  noAttachers?: boolean;
  /** the IPC namespace listed, when not the reader's own (its SysV attachers are the processes in it) */
  ipcNamespace?: string;
}

const TMPFS_MAGIC = 0x01021994;

/** statfs of the directory holding the POSIX objects; undefined when it cannot be read (a warning says why). */
export function readDevShmUsage(dir: string, warnings: string[]): DevShmUsage | undefined {
  try {
    const st = fs.statfsSync(dir);
    const b = st.bsize;
    return {
      path: dir,
      size: st.blocks * b,
      used: (st.blocks - st.bfree) * b,
      avail: st.bavail * b,
      fsType: st.type === TMPFS_MAGIC ? 'tmpfs' : `0x${st.type.toString(16)}`,
    };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') warnings.push(`${dir}: statfs failed (${code ?? String(e)}); its size and use are not shown`);
    return undefined;
  }
}

/**
 * Adds what both local sources share to a snapshot holding the SysV objects, limits and usage: POSIX
 * objects from /dev/shm, shm/POSIX attachers (one bounded maps scan, only when something can be attached),
 * process facts for every pid the objects mention, and the host fields.
 */
export function enrichLocal(snap: IpcSnapshot, opts: EnrichOptions = {}): IpcSnapshot {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const ns = opts.ipcNamespace ?? ipcNamespaceOfSelf(paths);
  const devShm = readDevShmUsage(paths.devShm, snap.warnings);
  if (devShm) snap.devShm = devShm;
  const posix = listDevShm(paths, opts.readSem ?? fsReadPosixSem, opts.maxDevShm ?? MAX_DEVSHM_LIST);
  snap.posixSems = posix.posixSems;
  snap.posixShms = posix.posixShms;
  snap.errors.push(...posix.errors);
  snap.warnings.push(...posix.warnings);
  if (posix.notListed > 0) snap.devShmIncomplete = `${fmtCount(posix.notListed)} of its ${fmtCount(posix.total)} files are not listed (the bound per snapshot)`;
  else if (posix.errors.length) snap.devShmIncomplete = `it cannot be listed (${posix.errors[0]!.error.message})`;

  const wanted = new Set<string>();
  for (const o of snap.posixSems) wanted.add(devInoKey(o.dev, o.ino));
  for (const o of snap.posixShms) wanted.add(devInoKey(o.dev, o.ino));
  const attachedShm = snap.shms.some((s) => s.nattch > 0);
  if (!opts.noAttachers && (attachedShm || wanted.size)) {
    const scan = scanAttachers(wanted, paths, opts.maxMapsScan ?? MAX_MAPS_SCAN, ns, opts.mapsBounds);
    for (const s of snap.shms) s.attachers = scan.attachers.shm.get(s.id) ?? [];
    for (const o of snap.posixSems) o.attachers = scan.attachers.files.get(devInoKey(o.dev, o.ino)) ?? [];
    for (const o of snap.posixShms) o.attachers = scan.attachers.files.get(devInoKey(o.dev, o.ino)) ?? [];
    if (scan.truncated) {
      snap.warnings.push(`attachers: only the first ${scan.scanned} processes' /proc/PID/maps were read; attacher lists may be incomplete`);
    }
    if (scan.cut) {
      snap.warnings.push(`attachers: /proc/PID/maps of ${scan.cut} process(es) was longer than the bound and read only in part; attacher lists may be incomplete`);
    }
    if (scan.budgetExhausted) {
      snap.warnings.push(`attachers: the /proc/PID/maps byte budget ran out after ${scan.scanned} processes; the rest were not read and attacher lists may be incomplete`);
    }
    if (scan.unreadable) {
      const who = typeof process.geteuid === 'function' && process.geteuid() === 0
        ? 'denied even to root (ptrace access mode or another user namespace)'
        : 'not readable (run as root to see every attacher)';
      const n = scan.unreadable;
      snap.warnings.push(
        `attachers: /proc/PID/maps of ${n} process${n === 1 ? '' : 'es'} (${namePids(scan.unreadablePids, n)}) ${who}; ` +
          `${n === 1 ? 'its' : 'their'} attachments are not counted`,
      );
    }
  } else if (!opts.noAttachers) {
    for (const s of snap.shms) s.attachers = [];
  }

  const pids = pidsOf([...snap.sems, ...snap.shms, ...snap.msgs, ...snap.posixSems, ...snap.posixShms]);
  const view = readReaderView(paths);
  snap.reader = view;
  snap.processes = readProcessFacts(pids, paths, opts.clkTck ?? DEFAULT_CLK_TCK, view);

  snap.hostname = os.hostname();
  snap.kernel = os.release();
  if (ns !== undefined) snap.ipcNamespace = ns;
  if (typeof process.geteuid === 'function') snap.uid = process.geteuid();
  return snap;
}


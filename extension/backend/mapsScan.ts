/**
 * Who maps what: every process's /proc/PID/maps, read in bounded chunks and parsed by domain/mapsParser.ts,
 * kept per process with its IPC namespace (the assembler folds them into attacher lists).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PidMaps } from '../domain/hostFacts';
import { collectAttachers, parseMaps, type Attachers, type MapsEntry } from '../domain/mapsParser';
import { DEFAULT_PATHS, ipcNamespaceOfSelf, readIpcNs, readTextIfExists, type ProcPaths } from './procfs';

/** The bounds and failures of one maps scan (what its warnings report). */
export interface MapsScanCounts {
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

export interface MapsScan extends MapsScanCounts {
  /** every process with a wanted mapping (System V ones with the process's IPC namespace) */
  perPid: PidMaps[];
}

export interface AttacherScan extends MapsScanCounts {
  attachers: Attachers;
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
 * Reads /proc/PID/maps of every process (up to `maxProcesses`, within the byte bounds) and keeps, per
 * process, its System V segments (with its /proc/PID/ns/ipc) and its mappings of the given /dev/shm files
 * (dev:ino keys). Only call it when there is something to find.
 */
export function scanMaps(
  wantedFiles: ReadonlySet<string>,
  paths: ProcPaths = DEFAULT_PATHS,
  maxProcesses = MAX_MAPS_SCAN,
  bounds: MapsBounds = {},
): MapsScan {
  const perProcess = bounds.perProcess ?? MAX_MAPS_BYTES_PER_PROCESS;
  let budget = bounds.total ?? MAX_MAPS_BYTES;
  let names: string[];
  try {
    names = fs.readdirSync(paths.proc);
  } catch {
    names = [];
  }
  const perPid: PidMaps[] = [];
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
    if (e.sysvShmids.length) {
      const ipcNs = readIpcNs(path.join(paths.proc, name));
      perPid.push(ipcNs === undefined ? { pid: Number(name), maps: e } : { pid: Number(name), maps: e, ipcNs });
    } else if (e.files.length) perPid.push({ pid: Number(name), maps: e });
  }
  return { perPid, scanned, truncated, unreadable, unreadablePids, cut, budgetExhausted };
}

/**
 * scanMaps folded into attacher lists. System V attachers are only the processes in IPC namespace
 * `ownIpcNs` (read from /proc/self when not given): a shmid mapped in another namespace is another segment
 * (mapsParser.sameIpcNamespace).
 */
export function scanAttachers(
  wantedFiles: ReadonlySet<string>,
  paths: ProcPaths = DEFAULT_PATHS,
  maxProcesses = MAX_MAPS_SCAN,
  ownIpcNs: string | undefined = ipcNamespaceOfSelf(paths),
  bounds: MapsBounds = {},
): AttacherScan {
  const { perPid, ...counts } = scanMaps(wantedFiles, paths, maxProcesses, bounds);
  return { attachers: collectAttachers(perPid.map((p): [number, MapsEntry, string?] => [p.pid, p.maps, p.ipcNs]), ownIpcNs), ...counts };
}

/** What a scan's bounds and failures mean for the attacher lists, one warning each. */
export function mapsScanWarnings(scan: MapsScanCounts, readerIsRoot: boolean): string[] {
  const out: string[] = [];
  if (scan.truncated) {
    out.push(`attachers: only the first ${scan.scanned} processes' /proc/PID/maps were read; attacher lists may be incomplete`);
  }
  if (scan.cut) {
    out.push(`attachers: /proc/PID/maps of ${scan.cut} process(es) was longer than the bound and read only in part; attacher lists may be incomplete`);
  }
  if (scan.budgetExhausted) {
    out.push(`attachers: the /proc/PID/maps byte budget ran out after ${scan.scanned} processes; the rest were not read and attacher lists may be incomplete`);
  }
  if (scan.unreadable) {
    const who = readerIsRoot
      ? 'denied even to root (ptrace access mode or another user namespace)'
      : 'not readable (run as root to see every attacher)';
    const n = scan.unreadable;
    out.push(
      `attachers: /proc/PID/maps of ${n} process${n === 1 ? '' : 'es'} (${namePids(scan.unreadablePids, n)}) ${who}; ` +
        `${n === 1 ? 'its' : 'their'} attachments are not counted`,
    );
  }
  return out;
}


/**
 * /dev/shm as facts: each regular file's lstat and, for a named semaphore, its bytes. Read with fs (or the
 * native binding's atomic reader); what the bytes mean is decided by domain/assembleSnapshot.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSemFile, SEM_FILE_MAX_BYTES } from '../domain/assembleSnapshot';
import { toIpcErrorInfo } from '../domain/errors';
import type { DevShmEntry, DevShmFacts, StatfsFacts } from '../domain/hostFacts';
import type { PosixSemRead } from '../domain/posixSem';
import type { NativeBinding } from './nativeBinding';
import { DEFAULT_PATHS, type ProcPaths } from './procfs';

/** Reads a semaphore file's bytes: natively (one atomic 8-byte load) or with fs (atomic: false). */
export type PosixSemReader = (file: string | Buffer) => PosixSemRead;

/** The binding's reader: one aligned 8-byte atomic load (value and nwaiters from the same instant). */
export function nativeSemReader(native: Pick<NativeBinding, 'readPosixSem'>): PosixSemReader {
  return (file) => {
    const r = native.readPosixSem(file);
    const bytes = new Uint8Array(r.raw.buffer, r.raw.byteOffset, Math.min(r.raw.length, r.size));
    return { bytes, atomicWord: { lo32: r.lo32, hi32: r.hi32 } };
  };
}

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

/** statfs of the directory holding the POSIX objects; undefined when it cannot be read (a warning says why). */
export function readDevShmStatfs(dir: string, warnings: string[]): StatfsFacts | undefined {
  try {
    const st = fs.statfsSync(dir);
    return { path: dir, bsize: st.bsize, blocks: st.blocks, bfree: st.bfree, bavail: st.bavail, files: st.files, ffree: st.ffree, type: st.type };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') warnings.push(`${dir}: statfs failed (${code ?? String(e)}); its size and use are not shown`);
    return undefined;
  }
}

export interface DevShmListing extends DevShmFacts {
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
 * Lists /dev/shm: every regular file with what lstat says, and for a `sem.NAME` file of semaphore size its
 * bytes (decoding is the assembler's). Directories, symlinks, FIFOs, sockets and devices are not objects
 * (file type from the directory entry, then lstat: never followed). Names are handled as bytes (a name need
 * not be UTF-8; such a name is shown with \xNN escapes and read through its exact bytes). Bounded: see
 * MAX_DEVSHM_LIST.
 */
export function listDevShm(
  paths: ProcPaths = DEFAULT_PATHS,
  readSem: PosixSemReader = fsReadPosixSem,
  maxList = MAX_DEVSHM_LIST,
): DevShmListing {
  const out: DevShmListing = { entries: [], errors: [], warnings: [], total: 0, notListed: 0 };
  let dirents: fs.Dirent[];
  try {
    // latin1: one JS char per byte, so the names keep their exact bytes and sort in byte order
    dirents = fs.readdirSync(paths.devShm, { encoding: 'latin1', withFileTypes: true });
  } catch (e) {
    const info = toIpcErrorInfo(e, { syscall: 'scandir' });
    if (info.code !== 'ENOENT') out.errors.push({ kind: 'posixShm', name: paths.devShm, error: info });
    return out;
  }
  const names: string[] = [];
  for (const d of dirents) {
    // d_type first: only regular files (or an unknown type, left to lstat) can be objects
    if (d.isFile() || !(d.isDirectory() || d.isSymbolicLink() || d.isFIFO() || d.isSocket() || d.isBlockDevice() || d.isCharacterDevice())) {
      names.push(d.name);
    }
  }
  dirents = [];
  out.total = names.length;
  const dirBytes = Buffer.from(paths.devShm.endsWith('/') ? paths.devShm : paths.devShm + '/', 'utf8');
  /** stats (and for a semaphore reads) one name; true when it was listed */
  const examine = (name: string): boolean => {
    // plain ASCII (nearly every name) is its own UTF-8; anything else is checked byte by byte
    const shown = ASCII.test(name) ? { text: name, exact: true } : displayName(Buffer.from(name, 'latin1'));
    // the exact bytes whenever the name is not valid UTF-8: a decoded string would name another file
    const file: string | Buffer = shown.exact ? path.join(paths.devShm, shown.text) : Buffer.concat([dirBytes, Buffer.from(name, 'latin1')]);
    const displayPath = shown.exact ? (file as string) : path.join(paths.devShm, shown.text);
    const isSem = isSemFile(shown.text);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch (e) {
      const info = toIpcErrorInfo(e, { syscall: 'lstat' });
      if (info.code !== 'ENOENT') out.errors.push({ kind: shown.text.startsWith('sem.') ? 'posixSem' : 'posixShm', name: '/' + shown.text, error: info });
      return false;
    }
    if (!st.isFile()) return false; // replaced since readdir (a symlink, a FIFO ...): not an object
    const entry: DevShmEntry = {
      file: shown.text,
      path: displayPath,
      uid: st.uid,
      gid: st.gid,
      mode: st.mode & 0o7777,
      size: st.size,
      mtime: Math.floor(st.mtimeMs / 1000),
      dev: st.dev,
      ino: st.ino,
    };
    if (isSem && st.size <= SEM_FILE_MAX_BYTES) {
      try {
        entry.sem = readSem(file);
      } catch (e) {
        const info = toIpcErrorInfo(e, { syscall: 'open' });
        if (info.code === 'ENOENT') return false; // removed since readdir
        entry.sem = { error: info };
      }
    }
    out.entries.push(entry);
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
  out.notListed = sems.length - iS + (others.length - iO);
  if (out.notListed > 0) {
    out.warnings.push(
      `${paths.devShm}: ${fmtCount(out.total)} files; ${fmtCount(nS + nO)} listed (the first by name: ${fmtCount(nS)} sem.*, ` +
        `${fmtCount(nO)} others), ${fmtCount(out.notListed)} more not listed (bound: ${fmtCount(maxList)} per snapshot)`,
    );
  }
  return out;
}

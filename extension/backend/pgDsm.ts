/**
 * PostgreSQL's POSIX dynamic shared memory on this host: read a DSM control segment
 * (/dev/shm/PostgreSQL.<handle>) and the files it lists, and remove a cluster's DSM files as one unit
 * right before its interlock segment.
 *
 * Reads never follow symlinks and never map a file (pread only: a file truncated meanwhile gives a short
 * read, never SIGBUS). Removal checks each file right before unlinking it:
 *   1. no process maps any of the unit's remaining files (a full /proc/PID/maps scan; any process whose
 *      maps cannot be read, or a truncated scan, is doubt and stops the removal);
 *   2. open(O_NOFOLLOW) + fstat: still a regular file with the planned device, inode, owner and size;
 *   3. lstat of the name: the name still names that inode; then unlink(name).
 * Linux has no "unlink this open file", so a window remains between 3 and the unlink; in a sticky /dev/shm
 * only the file's owner (the cluster's user) or root can put another file under that name.
 * Order: the listed segments first, the control segment last, so that at any stop the control segment
 * still lists what remains and PostgreSQL's own cleanup (dsm_cleanup_using_control_segment, through the
 * interlock segment's header) still finds it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toIpcErrorInfo } from '../domain/errors';
import { devInoKey } from '../domain/mapsParser';
import { dsmPath, parseDsmControl, PG_DSM_CONTROL_MAX_BYTES } from '../domain/recognizers/postgresql';
import type { DataDirFact, DsmControlFact } from '../domain/recognizers/types';
import type { PgDsmUnit, UnitFile } from '../shared/model';
import { namePids, scanAttachers, type AttacherScan } from './mapsScan';
import { DEFAULT_PATHS, type ProcPaths } from './procfs';

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

function unitFile(p: string, handle: number, st: fs.Stats): UnitFile {
  return { path: p, handle, dev: st.dev, ino: st.ino, uid: st.uid, size: st.size };
}

/** Read one control segment and lstat the files it lists. Never throws. */
export function readDsmControlFact(handle: number, dataDirs: DataDirFact[] = [], paths: ProcPaths = DEFAULT_PATHS): DsmControlFact {
  const fact: DsmControlFact = { handle };
  const file = dsmPath(handle, paths.devShm);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EINVAL' });
    fact.file = unitFile(file, handle, st);
    if (st.size > PG_DSM_CONTROL_MAX_BYTES) {
      fact.parseError = `${st.size} bytes: larger than any control segment (${PG_DSM_CONTROL_MAX_BYTES} bytes read at most)`;
      return fact;
    }
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < buf.length) {
      const r = fs.readSync(fd, buf, n, buf.length - n, n);
      if (r <= 0) break;
      n += r;
    }
    const parsed = parseDsmControl(new Uint8Array(buf.buffer, buf.byteOffset, n));
    if (typeof parsed === 'string') {
      fact.parseError = parsed;
      return fact;
    }
    fact.layout = { versions: parsed.versions, itemSize: parsed.itemSize, nitems: parsed.nitems, maxitems: parsed.maxitems };
    fact.items = parsed.items.map((it) => {
      const out: NonNullable<DsmControlFact['items']>[number] = { ...it };
      if (it.mainRegion) return out;
      const p = dsmPath(it.handle, paths.devShm);
      try {
        const ist = fs.lstatSync(p);
        if (ist.isFile()) out.file = unitFile(p, it.handle, ist);
        else out.error = 'ENOTREG';
      } catch (e) {
        out.error = toIpcErrorInfo(e, { syscall: 'lstat' }).code;
      }
      return out;
    });
  } catch (e) {
    fact.error = toIpcErrorInfo(e, { syscall: 'open' });
    if (fact.error.code === 'ENOENT') {
      const inDirs = dataDirs.filter((d) => {
        try {
          return fs.lstatSync(path.join(d.path, 'pg_dynshmem', `mmap.${handle >>> 0}`)).isFile();
        } catch {
          return false;
        }
      });
      if (inDirs.length) fact.mmapIn = inDirs.map((d) => d.path);
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return fact;
}

/** Facts for every control handle named by these headers' dsm_control (0 = none). */
export function readDsmFacts(handles: Iterable<number>, dataDirs: DataDirFact[] = [], paths: ProcPaths = DEFAULT_PATHS): Record<number, DsmControlFact> {
  const out: Record<number, DsmControlFact> = {};
  for (const h of handles) if (h !== 0 && !out[h]) out[h] = readDsmControlFact(h, dataDirs, paths);
  return out;
}

export interface DsmRemoval {
  /** files unlinked, in order. */
  removed: string[];
  /** files of the unit still there (nothing removed them). */
  remaining: string[];
  /** files that were already gone when their turn came. */
  gone: string[];
  /** set when the removal stopped: why, and an errno-like code. */
  refused?: string;
  code?: string;
}

export interface DsmRemoveOptions {
  paths?: ProcPaths;
  /** the maps scan (tests may wrap it to force an interleaving). */
  scan?: (wanted: ReadonlySet<string>) => AttacherScan;
  /** called right before each unlink, after its checks (tests use it to inject races). */
  beforeUnlink?(f: UnitFile): void;
}

function sameFile(st: fs.Stats, f: UnitFile): string | undefined {
  if (!st.isFile()) return 'no longer a regular file';
  if (st.dev !== f.dev || st.ino !== f.ino) return `another file now has this name (inode ${st.ino}, planned ${f.ino})`;
  if (st.uid !== f.uid) return `owner changed (uid ${f.uid} -> ${st.uid})`;
  if (st.size !== f.size) return `size changed (${f.size} -> ${st.size} bytes)`;
  return undefined;
}

/**
 * Remove a cluster's DSM files: listed segments first, the control segment last, each only after the
 * checks above. Stops at the first doubt; says what was removed and what remains.
 */
export function removeDsmUnit(unit: PgDsmUnit, opts: DsmRemoveOptions = {}): DsmRemoval {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const scan = opts.scan ?? ((wanted) => scanAttachers(wanted, paths));
  const files = [...unit.segments, ...(unit.control ? [unit.control] : [])];
  const out: DsmRemoval = { removed: [], remaining: [], gone: [] };
  const stop = (i: number, why: string, code: string): DsmRemoval => {
    out.refused = why;
    out.code = code;
    for (const f of files.slice(i)) if (fs.existsSync(f.path)) out.remaining.push(f.path);
    return out;
  };
  // the control segment must still list exactly what the plan saw (a starting postmaster would change it)
  if (unit.control) {
    const now = readDsmControlFact(unit.controlHandle, [], paths);
    const c = unit.control;
    const why = !now.file
      ? `cannot read it again (${now.error?.code ?? 'EUNKNOWN'})`
      : now.file.dev !== c.dev || now.file.ino !== c.ino || now.file.uid !== c.uid || now.file.size !== c.size
        ? `not the planned file any more (inode ${now.file.ino}, uid ${now.file.uid}, ${now.file.size} bytes)`
        : now.parseError;
    if (why) return stop(0, `DSM control segment ${unit.control.path}: ${why}`, 'ECHANGED');
    const listed = new Set((now.items ?? []).filter((it) => it.file).map((it) => `${it.handle}:${it.file!.ino}`));
    const planned = new Set(unit.segments.map((f) => `${f.handle}:${f.ino}`));
    const added = [...listed].filter((k) => !planned.has(k));
    if (added.length) return stop(0, `DSM control segment ${unit.control.path} now lists ${added.length} segment(s) the plan did not see`, 'ECHANGED');
  }
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    // 1. nobody maps any remaining file of the unit
    const rest = files.slice(i);
    const s = scan(new Set(rest.map((x) => devInoKey(x.dev, x.ino))));
    if (s.truncated || s.unreadable || s.cut || s.budgetExhausted) {
      const parts: string[] = [];
      if (s.unreadable) parts.push(`${s.unreadable} process(es) with unreadable /proc/PID/maps${s.unreadablePids?.length ? `: ${namePids(s.unreadablePids, s.unreadable)}` : ''}`);
      if (s.cut) parts.push(`${s.cut} maps read only in part (too long)`);
      if (s.truncated || s.budgetExhausted) parts.push(`scan stopped after ${s.scanned} process(es)`);
      return stop(i, `cannot see every process's mappings (${parts.join('; ')}); run as root where every process is visible`, 'EACCES');
    }
    const mapped = rest.map((x) => [x, s.attachers.files.get(devInoKey(x.dev, x.ino)) ?? []] as const).filter(([, p]) => p.length);
    if (mapped.length) return stop(i, mapped.map(([x, p]) => `${x.path} is mapped by pid(s) ${p.join(', ')}`).join('; '), 'ECHANGED');
    // 2. still the planned file (no symlink followed)
    let fd: number;
    try {
      fd = fs.openSync(f.path, OPEN_FLAGS);
    } catch (e) {
      const info = toIpcErrorInfo(e, { syscall: 'open' });
      if (info.code === 'ENOENT') {
        out.gone.push(f.path);
        continue;
      }
      return stop(i, `${f.path}: ${info.message}`, info.code);
    }
    try {
      const why = sameFile(fs.fstatSync(fd), f);
      if (why) return stop(i, `${f.path}: ${why}`, 'ECHANGED');
      // 3. the name still names the file we hold open
      const again = sameFile(fs.lstatSync(f.path), f);
      if (again) return stop(i, `${f.path}: ${again}`, 'ECHANGED');
      opts.beforeUnlink?.(f);
      fs.unlinkSync(f.path);
      out.removed.push(f.path);
    } catch (e) {
      const info = toIpcErrorInfo(e, { syscall: 'unlink' });
      if (info.code === 'ENOENT') {
        out.gone.push(f.path);
        continue;
      }
      return stop(i, `${f.path}: ${info.message}`, info.code);
    } finally {
      fs.closeSync(fd);
    }
  }
  return out;
}

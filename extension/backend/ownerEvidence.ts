/**
 * The I/O behind verdicts and owner recognition (the pure side is domain/verdict.ts and
 * domain/recognizers/): per-semaphore detail for every set, fresh process facts for every pid the objects
 * mention, read-only peeks of shm headers (native `shmPeek`, as root or owner), and PostgreSQL data
 * directories (running postgres processes' `-D`, paths the user gives, their postmaster.pid).
 */
import fs from 'node:fs';
import path from 'node:path';
import { livenessOf, pidsOf } from '../domain/processFacts';
import { readProcessFacts } from './procfs';
import { parsePgShmemHeader, PG_SHMEM_HEADER_BYTES } from '../domain/recognizers/postgresql';
import type { DataDirFact, OwnerEvidence } from '../domain/recognizers/types';
import { toIpcErrorInfo } from '../domain/errors';
import type { IpcSnapshot, ProcessFact, SemSet, ShmSegment } from '../shared/model';
import type { IpcSource } from './ipcSource';
import type { NativeBinding } from './nativeBinding';
import { wholeDecimal } from '../shared/decimal';

function readOr(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Fresh facts for these pids from the local /proc and kill(pid, 0) (procfs.readProcessFacts): each with its
 * liveness (alive / dead / unknown) and the reason; a pid the reader cannot see is unknown, never dead.
 */
export function localProcessFacts(pids: Iterable<number>): Record<number, ProcessFact> {
  return readProcessFacts([...pids].filter((p) => p > 0));
}

export interface PrepareOptions {
  /** fresh facts for pids (local: localProcessFacts; remote: whatever the source offers). */
  processFacts?: (pids: number[]) => Promise<Record<number, ProcessFact>> | Record<number, ProcessFact>;
}

/**
 * A copy of the snapshot with per-semaphore detail for every set (GETPID/GETNCNT/GETZCNT: what verdicts
 * need) and process facts for every pid then mentioned. A set whose detail fails keeps the error as
 * `valuesError` (EACCES -> unreadable; vanished -> unknown).
 */
export async function withDetail(source: IpcSource, snapshot: IpcSnapshot, opts: PrepareOptions = {}): Promise<IpcSnapshot> {
  const need = snapshot.sems.filter((s) => !s.elems).map((s) => s.id);
  const detail = need.length ? await source.semDetail(need) : new Map();
  const sems: SemSet[] = snapshot.sems.map((s) => {
    const d = detail.get(s.id);
    if (!d) return s;
    if (Array.isArray(d)) return { ...s, elems: d, values: d.map((e) => e.semval) };
    return { ...s, valuesError: d };
  });
  const next: IpcSnapshot = { ...snapshot, sems, processes: { ...snapshot.processes } };
  if (opts.processFacts) {
    const missing = pidsOf([...next.sems, ...next.shms, ...next.msgs]).filter((p) => next.processes[p] === undefined);
    if (missing.length) Object.assign(next.processes, await opts.processFacts(missing));
  }
  return next;
}

/**
 * Segments whose header may be peeked without destroying liveness evidence: a peek is an attach, so the kernel
 * records our pid as lpid (and moves atime/dtime) for every later reader, including the next `ipcx` run, which
 * cannot restore what this process saw. Only a segment whose creator and last attacher are both proven dead
 * (the case in which the header matters for recycling) is peeked; a live or unknown lpid is left in place.
 */
export function peekable(snapshot: IpcSnapshot): (m: ShmSegment) => boolean {
  const dead = (pid: number) => livenessOf(snapshot.processes[pid]) === 'dead';
  return (m) => m.cpid > 0 && dead(m.cpid) && (m.lpid === m.cpid || (m.lpid > 0 ? dead(m.lpid) : m.atime === 0 && m.dtime === 0));
}

/** Cached header peeks, keyed by `id:ctime`, with the fields our own attach overwrote. */
interface Peek {
  bytes: Uint8Array;
  before: Pick<ShmSegment, 'atime' | 'dtime' | 'lpid'>;
  /** what our attach + detach left (IPC_STAT right after it, only when lpid is ours and nothing is attached). */
  after?: Pick<ShmSegment, 'atime' | 'dtime' | 'lpid'>;
}
const peekCache = new Map<string, Peek>();

/**
 * Read-only peek of the first bytes of each unattached segment (at most `max`), once per segment (id+ctime).
 * Attached segments are never peeked (an attach would change their atime/lpid and briefly their nattch).
 * Attaching updates atime/dtime/lpid as any attach does; `restorePeekedFields` puts the pre-peek values back
 * into later snapshots so our own peek never counts as activity. Returns the bytes or the error per shmid.
 */
export function peekShmHeaders(
  binding: NativeBinding,
  shms: ShmSegment[],
  max = 4096,
  only: (m: ShmSegment) => boolean = () => true,
): OwnerEvidence['shmHeaders'] {
  const out: NonNullable<OwnerEvidence['shmHeaders']> = {};
  const present = new Set(shms.map((m) => `${m.id}:${m.ctime}`));
  for (const k of [...peekCache.keys()]) if (!present.has(k)) peekCache.delete(k); // gone: forget it
  let n = 0;
  for (const m of shms) {
    const k = `${m.id}:${m.ctime}`;
    const cached = peekCache.get(k);
    if (cached) {
      out[m.id] = cached.bytes;
      continue;
    }
    // never disturb a segment in use: attached ones are recognised through postmaster.pid instead
    if (m.nattch > 0 || m.dest || m.segsz < PG_SHMEM_HEADER_BYTES || !only(m) || n++ >= max) continue;
    try {
      // Our attach and detach overwrite lpid/atime/dtime: peek only a segment still exactly as the snapshot
      // saw it, so no attach + detach since the snapshot is hidden under ours (left open: one between this
      // IPC_STAT and our shmat; the native peek brackets its own attach the same way).
      const pre = binding.statObject('shm', m.id);
      if (pre.kind !== 'shm' || pre.ctime !== m.ctime || pre.lpid !== m.lpid || pre.atime !== m.atime || pre.dtime !== m.dtime || pre.nattch !== 0) continue;
      const buf = binding.shmPeek(m.id, PG_SHMEM_HEADER_BYTES);
      const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      const peek: Peek = { bytes, before: { atime: m.atime, dtime: m.dtime, lpid: m.lpid } };
      try {
        const now = binding.statObject('shm', m.id);
        if (now.kind === 'shm' && now.ctime === m.ctime && now.lpid === process.pid && now.nattch === 0) {
          peek.after = { atime: now.atime, dtime: now.dtime, lpid: now.lpid };
        }
      } catch {
        // gone or unreadable: no record, so a later removal sees the peek as a change and refuses
      }
      peekCache.set(k, peek);
      out[m.id] = bytes;
    } catch (e) {
      out[m.id] = toIpcErrorInfo(e);
    }
  }
  return out;
}

/**
 * Background peeks (the VS Code tree) touch only segments of exactly PGShmemHeader's size: PostgreSQL's
 * interlock segment when shared_memory_type is mmap (the default). Planning a recycle (an explicit action)
 * peeks every unattached segment.
 */
export function looksLikePgInterlock(m: ShmSegment): boolean {
  return m.segsz === PG_SHMEM_HEADER_BYTES;
}

/** The DSM control handles (dsm_control) of the PostgreSQL headers among these peeks. */
export function dsmControlHandles(headers: NonNullable<OwnerEvidence['shmHeaders']>): number[] {
  const out = new Set<number>();
  for (const raw of Object.values(headers)) {
    const h = raw instanceof Uint8Array ? parsePgShmemHeader(raw) : undefined;
    if (h && h.dsmControl !== 0) out.add(h.dsmControl);
  }
  return [...out];
}

/** Pre-peek atime/dtime/lpid of every segment we peeked (OwnerEvidence.shmBefore). */
export function shmBeforePeek(): NonNullable<OwnerEvidence['shmBefore']> {
  const out: NonNullable<OwnerEvidence['shmBefore']> = {};
  for (const [k, p] of peekCache) {
    const [id, ctime] = k.split(':').map(Number);
    out[id] = { ctime, ...p.before };
  }
  return out;
}

/** The atime/dtime/lpid our own peek of segment `id` (created at `ctime`) left, when recorded. */
export function ownPeekAfter(id: number, ctime: number): Pick<ShmSegment, 'atime' | 'dtime' | 'lpid'> | undefined {
  return peekCache.get(`${id}:${ctime}`)?.after;
}

/** Put back atime/dtime/lpid our own peek overwrote (only when the segment still shows our pid as lpid). */
export function restorePeekedFields(snapshot: IpcSnapshot, ownPid = process.pid): IpcSnapshot {
  let changed = false;
  const shms = snapshot.shms.map((m) => {
    const p = peekCache.get(`${m.id}:${m.ctime}`);
    if (!p || m.lpid !== ownPid) return m;
    changed = true;
    return { ...m, ...p.before };
  });
  return changed ? { ...snapshot, shms } : snapshot;
}

/** `-D DIR` / `-D=DIR` / `--pgdata=DIR` of a postgres command line (NUL-separated argv). */
export function dataDirFromArgv(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a === '-D' || a === '--pgdata') && i + 1 < argv.length) return argv[i + 1];
    if (a.startsWith('-D') && a.length > 2) return a.slice(2);
    if (a.startsWith('--pgdata=')) return a.slice('--pgdata='.length);
  }
  return undefined;
}

/**
 * postmaster.pid: line 1 pid, line 2 data dir, line 4 port, line 7 `key shmid` (PostgreSQL prints them in
 * decimal, the key as `%9lu`). A line that is not a decimal a Number holds exactly (`0x1f`, `+1`, `1e3`,
 * 400 digits) is not read: it never stands for another pid, port or shmid.
 */
export function parsePostmasterPid(text: string): { pid?: number; port?: number; shmKey?: number; shmId?: number } {
  const lines = text.split('\n');
  const out: { pid?: number; port?: number; shmKey?: number; shmId?: number } = {};
  const whole = (t: string | undefined): number | undefined => wholeDecimal(t?.trim());
  const pid = whole(lines[0]);
  if (pid !== undefined && pid > 0) out.pid = pid;
  const port = whole(lines[3]);
  if (port !== undefined && port > 0) out.port = port;
  const m = /^\s*(-?\d{1,20})\s+(\d{1,10})\s*$/.exec(lines[6] ?? '');
  if (m && Number(m[2]) <= 0x7fffffff) {
    // key_t is 32 bits: the low 32 bits of the (unsigned long) printed, exactly (a Number rounds past 2^53)
    out.shmKey = Number(BigInt.asIntN(32, BigInt(m[1])));
    out.shmId = Number(m[2]);
  }
  return out;
}

function dirFact(p: string, source: DataDirFact['source']): DataDirFact | undefined {
  try {
    const st = fs.statSync(p, { bigint: true });
    if (!st.isDirectory()) return undefined;
    const f: DataDirFact = { path: path.resolve(p), dev: Number(st.dev), ino: Number(st.ino), source };
    const pm = readOr(path.join(p, 'postmaster.pid'));
    if (pm !== undefined) {
      const parsed = parsePostmasterPid(pm);
      if (parsed.pid !== undefined) f.postmasterPid = parsed.pid;
      if (parsed.port !== undefined) f.port = parsed.port;
      if (parsed.shmKey !== undefined) f.shmKey = parsed.shmKey;
      if (parsed.shmId !== undefined) f.shmId = parsed.shmId;
    }
    return f;
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL data directories: every running postgres/postmaster process's `-D` (its cwd when no -D: the
 * postmaster chdirs into its data directory), plus the paths the user gives. Unreadable ones are skipped.
 */
export function findDataDirs(userDirs: string[] = [], procRoot = '/proc'): DataDirFact[] {
  const out: DataDirFact[] = [];
  const seen = new Set<string>();
  const add = (f: DataDirFact | undefined): void => {
    if (!f || seen.has(`${f.dev}:${f.ino}`)) return;
    seen.add(`${f.dev}:${f.ino}`);
    out.push(f);
  };
  for (const d of userDirs) add(dirFact(d, 'user'));
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(procRoot).filter((e) => /^\d+$/.test(e));
  } catch {
    entries = [];
  }
  for (const pid of entries) {
    const comm = readOr(path.join(procRoot, pid, 'comm'))?.trim();
    if (comm !== 'postgres' && comm !== 'postmaster') continue;
    const argv = (readOr(path.join(procRoot, pid, 'cmdline')) ?? '').replace(/\0+$/, '').split('\0');
    let dir = dataDirFromArgv(argv);
    if (dir && !path.isAbsolute(dir)) {
      try {
        dir = path.resolve(fs.readlinkSync(path.join(procRoot, pid, 'cwd')), dir);
      } catch {
        dir = undefined;
      }
    }
    if (!dir) {
      try {
        dir = fs.readlinkSync(path.join(procRoot, pid, 'cwd'));
      } catch {
        dir = undefined;
      }
    }
    if (dir) add(dirFact(dir, 'process'));
  }
  return out;
}

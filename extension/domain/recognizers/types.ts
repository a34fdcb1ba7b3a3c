/**
 * Owner recognition: a registry of pure recognisers that look at one object (plus facts gathered by the
 * backend: shm header bytes, data directories) and say which application made it. PostgreSQL is the first;
 * add another owner by writing an `OwnerRecognizer` and registering it in `./index.ts`.
 *
 * Pure: no I/O here. The backend (extension/backend/ownerEvidence.ts) peeks shm headers, stats data
 * directories and reads postmaster.pid, and passes the results in as `OwnerEvidence`.
 */
import type { IpcErrorInfo, IpcObject, IpcSnapshot, OwnerInfo, UnitFile } from '../../shared/model';

/**
 * What the backend found for one DSM control handle (an interlock segment's dsm_control): the control
 * segment file read with O_NOFOLLOW, PostgreSQL's sanity checks on it, and an lstat of every file it lists.
 */
export interface DsmControlFact {
  handle: number;
  /** the control segment file (regular file, as fstat saw it when read). */
  file?: UnitFile;
  /** why it could not be read (ENOENT: not in this /dev/shm). */
  error?: IpcErrorInfo;
  /** when the bytes are not a sane control segment: why (PostgreSQL ignores such a segment). */
  parseError?: string;
  /** which dsm_control_item layout matched (PostgreSQL versions), nitems, maxitems. */
  layout?: { versions: string; itemSize: number; nitems: number; maxitems: number };
  /** slots in use (refcnt > 0), each with its file or the lstat error code; main-region slots have no file. */
  items?: Array<{ handle: number; refcnt: number; mainRegion: boolean; file?: UnitFile; error?: string }>;
  /** data directories holding pg_dynshmem/mmap.<handle> (dynamic_shared_memory_type = mmap). */
  mmapIn?: string[];
}

/** A PostgreSQL data directory we know about, with where we learnt of it. */
export interface DataDirFact {
  path: string;
  /** st_dev and st_ino of the directory, as numbers (exact below 2^53; compared as such). */
  dev: number;
  ino: number;
  /** how we found it: a running/recent postgres process's `-D`, a path the user gave, a postmaster.pid. */
  source: 'process' | 'user' | 'postmaster.pid';
  /** postmaster.pid line 1 (pid) and line 7 (`key shmid`), when the file was readable. */
  postmasterPid?: number;
  shmKey?: number;
  shmId?: number;
  /** postmaster.pid line 4 (port), when readable. */
  port?: number;
}

export interface OwnerEvidence {
  /** the first bytes of shm segments, read-only peek by the backend (shmid -> bytes or the error). */
  shmHeaders?: Record<number, Uint8Array | IpcErrorInfo>;
  dataDirs?: DataDirFact[];
  /**
   * shm fields as they were before our own header peek overwrote them (shmid -> values; applied by
   * verdict.ts only while the segment's ctime is the same and its lpid is one of `ownPids`).
   */
  shmBefore?: Record<number, { ctime: number; atime: number; dtime: number; lpid: number }>;
  /** PostgreSQL DSM control segments named by interlock headers (control handle -> what was found). */
  pgDsm?: Record<number, DsmControlFact>;
}

export interface RecognizerContext {
  snapshot: IpcSnapshot;
  evidence: OwnerEvidence;
  /** true when the pid is alive and not a reused pid for this object (computed by verdict.ts). */
  pidStatus(pid: number, refTime: number): PidStatus;
}

/**
 * A pid's three answers for one object: alive (and may be the process that acted on it), dead (`dead`, or
 * `reused`: alive, but proven to be a later process than the one the object recorded) and `doubt` (unknown:
 * the reader cannot tell; keeps the object).
 */
export type PidStatus =
  | { state: 'alive'; pid: number; comm?: string }
  | { state: 'dead'; pid: number; why?: string }
  | { state: 'reused'; pid: number; comm?: string; startTime: number; gapSeconds?: number; marginSeconds?: number }
  | { state: 'doubt'; pid: number; why: string };

export interface OwnerRecognizer {
  /** short app id, e.g. 'postgresql'. */
  app: string;
  /** the OwnerInfo when this recogniser claims the object, else undefined. Must not throw. */
  recognize(o: IpcObject, ctx: RecognizerContext): OwnerInfo | undefined;
}

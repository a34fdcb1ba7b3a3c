/**
 * Owner recognition: a registry of pure recognisers that look at one object (plus facts gathered by the
 * backend: shm header bytes, data directories) and say which application made it. PostgreSQL is the first;
 * add another owner by writing an `OwnerRecognizer` and registering it in `./index.ts`.
 *
 * Pure: no I/O here. The backend (extension/backend/ownerEvidence.ts) peeks shm headers, stats data
 * directories and reads postmaster.pid, and passes the results in as `OwnerEvidence`.
 */
import type { IpcErrorInfo, IpcObject, IpcSnapshot, OwnerInfo } from '../../shared/model';

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
}

export interface RecognizerContext {
  snapshot: IpcSnapshot;
  evidence: OwnerEvidence;
  /** true when the pid is alive and not a reused pid for this object (computed by verdict.ts). */
  pidStatus(pid: number, refTime: number): PidStatus;
}

export type PidStatus =
  | { state: 'alive'; pid: number; comm?: string }
  | { state: 'dead'; pid: number }
  | { state: 'reused'; pid: number; comm?: string; startTime: number }
  | { state: 'doubt'; pid: number; why: string };

export interface OwnerRecognizer {
  /** short app id, e.g. 'postgresql'. */
  app: string;
  /** the OwnerInfo when this recogniser claims the object, else undefined. Must not throw. */
  recognize(o: IpcObject, ctx: RecognizerContext): OwnerInfo | undefined;
}

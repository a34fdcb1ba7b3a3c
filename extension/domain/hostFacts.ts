/**
 * What a source collects about one host, before anything is derived: the System V objects (columns from the
 * native binding, or rows parsed from /proc/sysvipc or `ipcs`), the limits (raw), the /dev/shm entries with
 * the bytes of each semaphore file, every process's mappings with its IPC namespace, the evidence about each
 * pid, and the host's identity. `assembleSnapshot` (assembleSnapshot.ts) turns these into an IpcSnapshot,
 * the same way for every source: a new source (another namespace, another OS) only collects facts.
 */
import type {
  HostLibc, IpcErrorInfo, IpcLimits, ItemError, MsgQueue, Platform, PosixFile, ProcessFact, ReaderView, SemSet, ShmSegment, SnapshotSource,
} from '../shared/model';
import type { MapsEntry } from './mapsParser';
import type { PosixSemRead } from './posixSem';
import type { LimitFiles } from './procParser';
import type { ProcessFiles } from './processFacts';
import type { RawLimits, RawSysv } from './sysvColumns';

/** The System V objects as the source read them. */
export type SysvFacts =
  /**
   * the native binding's columns; `values`: whether semaphore values were read (one GETALL per set);
   * `previousSems`: the same source's last snapshot's sets, reused where unchanged, and `sameAsPrevious`: for each
   * set the row of that snapshot's listing it repeats byte for byte, or -1 (sysvColumns.ts decodeSems)
   */
  | { kind: 'columns'; raw: RawSysv; values: boolean; previousSems?: readonly SemSet[]; sameAsPrevious?: Int32Array }
  /**
   * rows already parsed (/proc/sysvipc text, `ipcs -a`) with their parse errors; `qbytesListed: false` when the
   * listing has no msg_qbytes column (Linux /proc/sysvipc/msg): queues then show MSGMNB, with a warning.
   */
  | { kind: 'rows'; sems: SemSet[]; shms: ShmSegment[]; msgs: MsgQueue[]; qbytesListed: boolean };

/** The limits as the source read them. */
export type LimitFacts =
  /** IPC_INFO / *_INFO (limits and usage counters) and the limit files the syscalls do not cover */
  | { kind: 'native'; raw: RawLimits; files: LimitFiles }
  /** the /proc/sys limit files (LIMIT_FILES) and the page size (0 when unknown) */
  | { kind: 'files'; files: LimitFiles; pageSize: number }
  /** limits a source parsed from its own tools (BSD `ipcs -M/-S/-Q` and sysctl) */
  | { kind: 'parsed'; limits: IpcLimits };

/** The bytes of a semaphore file, or why they could not be read. */
export type SemFileBytes = PosixSemRead | { error: IpcErrorInfo };

/** One regular file of /dev/shm: its lstat (PosixFile's fields), and for a semaphore its bytes. */
export interface DevShmEntry extends Pick<PosixFile, 'path' | 'uid' | 'gid' | 'mode' | 'size' | 'mtime' | 'dev' | 'ino'> {
  /** the file name as shown (an invalid UTF-8 byte as \xNN), e.g. `sem.orders`, `PostgreSQL.1804289383`; path: as shown */
  file: string;
  /** a `sem.*` file of at most SEM_FILE_MAX_BYTES: its bytes (or the read error); absent when not read */
  sem?: SemFileBytes;
}

/** statfs(2) of the /dev/shm directory, as read (block counts in f_bsize units, as Node and stat -f give them). */
export interface StatfsFacts {
  path: string;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  /** f_type, the file system's magic number */
  type: number;
}

export interface DevShmFacts {
  /** statfs of the directory (size and use of its file system); absent when not read */
  statfs?: StatfsFacts;
  entries: DevShmEntry[];
  /** entries that could not be examined, by name */
  errors: ItemError[];
  /** regular files the source counted in the directory, listed or not; absent when it did not count them */
  counted?: number;
  /** counted files the source did not list (its bound per snapshot) */
  notListed?: number;
  /** why the source's listing may have stopped early (a step of it killed or failed), when it may have */
  unfinished?: string;
  /** the listing's own notes (bounds, names left out) */
  warnings: string[];
}

/** One process's mappings of System V segments and /dev/shm files. */
export interface PidMaps {
  pid: number;
  maps: MapsEntry;
  /** its /proc/PID/ns/ipc, when readable: /SYSV mappings of another IPC namespace are other segments */
  ipcNs?: string;
}

export interface MapsFacts {
  perPid: PidMaps[];
  /** the scan's notes (processes not read, bounds reached) */
  warnings: string[];
}

/** What the source knows about one pid: the files to decide from, or a fact it established otherwise. */
export type ProcessEvidence = { files: ProcessFiles } | { fact: ProcessFact };

export interface HostFacts {
  host: string;
  platform: Platform;
  source: SnapshotSource;
  /** ms since the epoch, by the host's clock */
  takenAt: number;
  hostname?: string;
  kernel?: string;
  /** the effective uid of the reader */
  uid?: number;
  /** `ipc:[inode]` of the IPC namespace listed */
  ipcNamespace?: string;
  /** the container or namespace listed, when it is not the reader's own IPC namespace */
  namespaceLabel?: string;
  sysv: SysvFacts;
  /** objects of the listing that could not be read (vanished, EACCES, a malformed line) */
  sysvErrors: ItemError[];
  limits: LimitFacts;
  /** absent: the source has no /dev/shm (BSD, macOS over ipcs) */
  devShm?: DevShmFacts;
  /** absent: mappings were not read (attacher lists stay unknown) */
  maps?: MapsFacts;
  /** evidence about the pids the objects mention (and any extra ones asked for) */
  processes: ProcessEvidence[];
  /** pids asked about beyond those the objects mention (e.g. last-op pids of sets read in detail) */
  extraPids?: readonly number[];
  /** /proc/stat btime (seconds since the epoch) and USER_HZ, to turn stat start times into times */
  btime?: number;
  clkTck: number;
  reader?: ReaderView;
  /** the host's C library (absent: not read) */
  libc?: HostLibc;
  /** the source's own notes, shown first */
  warnings: string[];
}

/** `uname -s` or process.platform -> the model's platform. */
export function platformOf(name: string): Platform {
  const s = name.toLowerCase();
  return s === 'linux' ? 'linux' : s === 'freebsd' ? 'freebsd' : s === 'darwin' ? 'darwin' : 'unknown';
}

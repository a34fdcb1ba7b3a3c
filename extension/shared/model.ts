/**
 * The IPC snapshot model: plain data, no imports, shared by the extension host, the `ipcx` CLI and the
 * webviews. Field names keep the kernel's and util-linux's terms of art (see DOMAIN.md / STYLE.md).
 *
 * Conventions:
 * - times are kernel times in seconds since the epoch; 0 means "never" (the kernel's own convention);
 * - `key` is the kernel's `key_t` as a signed 32-bit integer (as /proc/sysvipc prints it); display it with
 *   `formatKey()` in `format.ts` (`0x%08x`, key 0 = IPC_PRIVATE);
 * - `mode` holds the low 9 permission bits plus the shm status bits (SHM_DEST 01000, SHM_LOCKED 02000);
 * - pids are numbers, 0 means "none".
 */

export type SysvKind = 'sem' | 'shm' | 'msg';
export type PosixKind = 'posixSem' | 'posixShm';
export type IpcKind = SysvKind | PosixKind;

export type Platform = 'linux' | 'freebsd' | 'darwin' | 'unknown';

/** Where a snapshot's data came from. */
export type SnapshotSource =
  | 'native' // the C++ binding: *_INFO + *_STAT_ANY + GETALL
  | 'proc' // pure-TS parse of /proc/sysvipc/* (fallback when the binding is missing)
  | 'ssh-linux' // remote probe reading /proc over SSH
  | 'ssh-ipcs' // remote probe running ipcs/sysctl (FreeBSD, macOS)
  | 'ipcs' // the same probe run locally (macOS, FreeBSD desktops)
  | 'fixture';

/** A structured error, the same shape as Node's system errors plus a hint. Travels as plain data. */
export interface IpcErrorInfo {
  /** errno name such as 'EACCES', or a project code such as 'ENATIVE', 'EPARSE', 'ETIMEDOUT', 'ESSH'. */
  code: string;
  errno?: number;
  /** the failing call, e.g. 'semctl', 'shmctl', 'open', 'ssh'. */
  syscall?: string;
  /** the operation, e.g. 'GETALL', 'IPC_RMID', 'SEM_STAT_ANY'. */
  op?: string;
  id?: number;
  message: string;
  /** what a person can do about it (from domain/errors.ts). */
  hint?: string;
}

/** Fields every System V object has (struct ipc_perm + id). */
export interface IpcPerm {
  id: number;
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
}

/** One semaphore of a set, as GETVAL/GETNCNT/GETZCNT/GETPID report it (detail is loaded on demand). */
export interface SemElem {
  semval: number;
  ncount: number;
  zcount: number;
  /** last pid that operated on this semaphore (sempid); 0 = none. */
  pid: number;
}

/**
 * A semaphore set. Its header and values are read-only: only the detail someone asks for (`elems`, `values`
 * replaced with them, `valuesError`) is set after decoding, which lets a refresh reuse an unchanged set's
 * object (domain/sysvColumns.ts decodeSems) knowing nothing else about it was changed.
 */
export interface SemSet extends IpcPerm {
  readonly kind: 'sem';
  readonly id: number;
  readonly key: number;
  readonly uid: number;
  readonly gid: number;
  readonly cuid: number;
  readonly cgid: number;
  readonly mode: number;
  readonly nsems: number;
  readonly otime: number;
  readonly ctime: number;
  /** semval of every semaphore (one GETALL); absent when not read (fallback source) or unreadable. */
  values?: readonly number[];
  /** per-semaphore detail (GETPID/GETNCNT/GETZCNT); only for sets someone asked about. */
  elems?: SemElem[];
  /** why values/elems are missing (e.g. EACCES on GETALL). The header itself is still valid. */
  valuesError?: IpcErrorInfo;
}

export interface ShmSegment extends IpcPerm {
  kind: 'shm';
  segsz: number;
  cpid: number;
  lpid: number;
  nattch: number;
  atime: number;
  dtime: number;
  ctime: number;
  /** resident and swapped bytes (Linux /proc and SHM_STAT), when known. */
  rss?: number;
  swap?: number;
  /** SHM_DEST: marked for removal, goes away at the last detach (key reads 0 then). */
  dest: boolean;
  /** SHM_LOCKED: locked in memory. */
  locked: boolean;
  /** distinct pids mapping this segment (from /proc/PID/maps), when scanned. */
  attachers?: number[];
}

export interface MsgQueue extends IpcPerm {
  kind: 'msg';
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
  stime: number;
  rtime: number;
  ctime: number;
}

export type SysvObject = SemSet | ShmSegment | MsgQueue;

/** Which algorithm/layout a POSIX semaphore's bytes were decoded with. */
export type SemLayout = 'glibc-new-64' | 'glibc-new-32' | 'glibc-old-64' | 'unknown';

export interface DecodedPosixSem {
  layout: SemLayout;
  value: number;
  nwaiters: number;
  /** the `private` field: 128 = FUTEX_SHARED in glibc >= 2.21. */
  private: number;
  /** the raw bytes in hex, as read. */
  raw: string;
  /** true when value and nwaiters came from one aligned 8-byte atomic load (native mmap read). */
  atomic: boolean;
}

/** A file in /dev/shm (the mount namespace's): what fs.stat says, plus who maps it. */
export interface PosixFile {
  /** name as sem_open/shm_open take it, e.g. '/orders' (file /dev/shm/sem.orders) or '/cache'. */
  name: string;
  path: string;
  uid: number;
  gid: number;
  mode: number;
  size: number;
  mtime: number;
  dev: number;
  ino: number;
  /** pids that map the file (matched by dev:inode in /proc/PID/maps), when scanned. */
  attachers?: number[];
}

export interface PosixSem extends PosixFile {
  kind: 'posixSem';
  decoded?: DecodedPosixSem;
  decodeError?: IpcErrorInfo;
}

export interface PosixShm extends PosixFile {
  kind: 'posixShm';
}

export type IpcObject = SysvObject | PosixSem | PosixShm;

/** An object that could not be read at all (vanished mid-listing, EACCES on a header...). */
export interface ItemError {
  kind: IpcKind;
  /** id (SysV) or index/name when the id is not known. */
  id?: number;
  name?: string;
  error: IpcErrorInfo;
}

/**
 * Kernel limits. Names follow util-linux's struct ipc_limits. Values are numbers; a few Linux limits exceed
 * 2^53 (shmmax/shmall default to ULONG_MAX - 2^24): they are clamped to Number.MAX_SAFE_INTEGER and
 * flagged in `unlimited`. A limit the host did not report is absent: a Linux kernel reports every one, the
 * ipcs-based sources (FreeBSD, macOS) only what `ipcs -S/-M/-Q` and `sysctl` printed (with a warning naming
 * the rest). No value stands in for an unknown limit, so no reader can take it for the kernel's.
 */
export interface IpcLimits {
  semmsl?: number; // max semaphores per set
  semmns?: number; // max semaphores system-wide
  semopm?: number; // max ops per semop call
  semmni?: number; // max semaphore sets
  semvmx?: number; // max semaphore value (32767 on Linux)
  shmmax?: number; // max segment size, bytes
  shmall?: number; // max total shared memory, pages
  shmmni?: number; // max segments
  shmmin?: number; // min segment size, bytes
  msgmax?: number; // max message size, bytes
  msgmnb?: number; // default max bytes in a queue
  msgmni?: number; // max queues
  /** BSD and macOS only (`ipcs -S`/`-M`, sysctl), when reported: max undo entries per process (semop SEM_UNDO: EINVAL beyond it). */
  semume?: number;
  /** BSD and macOS only, when reported: max undo structures system-wide (semop SEM_UNDO: ENOSPC beyond it). */
  semmnu?: number;
  /** BSD and macOS only, when reported: max segments one process may attach (shmat: EMFILE beyond it). */
  shmseg?: number;
  /** /proc/sys/kernel/shm_rmid_forced (Linux), when known. */
  shmRmidForced?: boolean;
  /** /proc/sys/fs/mqueue/* (Linux), when known. */
  mqueue?: { queuesMax: number; msgMax: number; msgsizeMax: number };
  /** page size in bytes (SHMALL and shm_tot are in pages). */
  pageSize: number;
  /** names of limits that are effectively unlimited (value clamped). */
  unlimited?: string[];
}

/** System-wide usage counts as the kernel reports them (SEM_INFO, SHM_INFO, MSG_INFO). */
export interface IpcUsage {
  semSets: number; // SEM_INFO semusz
  semTotal: number; // SEM_INFO semaem: total semaphores in all sets
  shmSegments: number; // SHM_INFO used_ids
  shmPages: number; // SHM_INFO shm_tot (pages)
  shmRssPages?: number;
  shmSwapPages?: number;
  msgQueues: number; // MSG_INFO msgpool... (number of queues)
  msgMessages: number; // MSG_INFO msgmap: total messages
  msgBytes: number; // MSG_INFO msgtql: total bytes
}

/** What we know about a pid that appears in a snapshot. */
export interface ProcessFact {
  pid: number;
  /** true only when the process is proven to exist (liveness 'alive'). */
  alive: boolean;
  /** alive, dead, or unknown (cannot see); consumers treat a missing value as 'unknown' unless alive. */
  liveness?: Liveness;
  /** how the liveness was decided, for a reason line ("exists but is hidden by hidepid=2"). */
  livenessReason?: string;
  /** /proc/PID/comm */
  comm?: string;
  /** the full command line, when readable */
  cmdline?: string;
  uid?: number;
  /** process start time, seconds since the epoch (from /proc/PID/stat starttime + btime): for display only. */
  startTime?: number;
  /**
   * process start on the boot clock: seconds since boot (/proc/PID/stat starttime / CLK_TCK, exact to a tick).
   * A realtime clock step cannot move it; pid reuse is decided with it (see IpcSnapshot.reader.clockOffset).
   */
  startBoot?: number;
  /** `ipc:[inode]` of /proc/PID/ns/ipc, when readable: a pid in another IPC namespace does not use our objects. */
  ipcNs?: string;
  /** why facts are missing (EACCES on /proc/PID/...). */
  error?: IpcErrorInfo;
}

export interface IpcSnapshot {
  /** schema version of this JSON document. */
  version: 1;
  /** 'local' or the SSH destination as the user named it. */
  host: string;
  hostname?: string;
  platform: Platform;
  kernel?: string;
  source: SnapshotSource;
  /** ms since the epoch, when taken (by the host's clock where it was taken). */
  takenAt: number;
  /** `ipc:[inode]` of the namespace listed. */
  ipcNamespace?: string;
  /** the effective uid that took the snapshot (EACCES items depend on it). */
  uid?: number;
  sems: SemSet[];
  shms: ShmSegment[];
  msgs: MsgQueue[];
  posixSems: PosixSem[];
  posixShms: PosixShm[];
  /** per-item failures: one object's error never fails a snapshot. */
  errors: ItemError[];
  limits: IpcLimits;
  usage: IpcUsage;
  /** facts for every pid the objects mention, keyed by pid. */
  processes: Record<number, ProcessFact>;
  /** snapshot-level notes a person should see (e.g. "native binding missing: /proc fallback"). */
  warnings: string[];
  /** what the reader can see of processes (pid namespace, hidepid, clocks); absent = not determined. */
  reader?: ReaderView;
  /** size and use of the file system holding the POSIX objects (statfs of /dev/shm); absent = not read. */
  devShm?: DevShmUsage;
  /** the container or namespace this snapshot is of, when it is not the reader's own IPC namespace. */
  namespaceLabel?: string;
  /**
   * Why /dev/shm's files are not all in posixSems/posixShms (the listing's bound, an unreadable /dev/shm, a
   * probe without the listing); absent when every file is listed.
   */
  devShmIncomplete?: string;
  /** the C library of the host as its source read it (the futex visualizer follows its glibc release); absent = not read. */
  libc?: HostLibc;
}

/**
 * A host's C library: glibc with its release as gnu_get_libc_version() returns it ('2.36'), another libc
 * (musl, FreeBSD's, macOS's), or unknown (the host's answer was missing or not understood).
 */
export type HostLibc =
  | { kind: 'glibc'; release: string }
  | { kind: 'other'; name: string }
  | { kind: 'unknown'; why: string };

/** statfs(2) of a /dev/shm (a tmpfs: Docker's default is 64 MiB): bytes. */
export interface DevShmUsage {
  path: string;
  size: number;
  used: number;
  /** bytes an unprivileged writer may still use (f_bavail) */
  avail: number;
  /** inodes: the file system's total (a tmpfs nr_inodes) and those still free; absent when not read */
  files?: number;
  filesFree?: number;
  /** 'tmpfs' or the f_type magic in hex */
  fsType: string;
}

/**
 * How much of the process table the reader of a snapshot can see, and the clock offset that converts object
 * times (realtime seconds) to the boot clock of process start times. Every field is optional: a missing
 * fact is never taken as the reassuring answer.
 */
export interface ReaderView {
  /** `pid:[inode]` of the reader's pid namespace. */
  pidNs?: string;
  /**
   * true: the reader is in the kernel's initial pid namespace (every process has a pid there, so a pid the
   * kernel reports as 0 was never set); false: a child pid namespace (a process outside it is reported as 0).
   */
  initialPidNs?: boolean;
  /** false when the /proc read belongs to another pid namespace than the reader's (its pid numbers differ). */
  procIsOwnPidNs?: boolean;
  /** /proc's hidepid mount option as mounted: 'off', 'noaccess' (1), 'invisible' (2), 'ptraceable' (4). */
  hidepid?: 'off' | 'noaccess' | 'invisible' | 'ptraceable';
  /** true when the reader is exempt from hidepid (root, or a member of the mount's gid=). */
  hidepidExempt?: boolean;
  /** realtime - boottime in seconds, read together at snapshot time (object time - offset = boot clock). */
  clockOffset?: number;
  /** how far clockOffset may be off (seconds): measurement and resolution of the two clocks. */
  clockOffsetError?: number;
}

/** The shm header fields that activity changes; a removal refuses if one differs from what the plan saw. */
export const SHM_ACTIVITY_FIELDS = ['nattch', 'cpid', 'lpid', 'atime', 'dtime'] as const;
/** The same for a message queue. */
export const MSG_ACTIVITY_FIELDS = ['qnum', 'cbytes', 'lspid', 'lrpid', 'stime', 'rtime'] as const;
/** Those fields as the plan saw them (absent = not checked). */
export type ActivityFields = Partial<
  Pick<ShmSegment, (typeof SHM_ACTIVITY_FIELDS)[number]> & Pick<MsgQueue, (typeof MSG_ACTIVITY_FIELDS)[number]>
>;

/**
 * What must still hold right before a guarded removal. The native primitive checks it, locks the object
 * (IPC_SET mode 0), waits out calls already past their permission check, checks everything again and only
 * then does IPC_RMID (docs/recycle.md). A failed check refuses the removal with code 'ECHANGED'
 * (or 'EIDRM'/'EINVAL' when the object is gone) and restores the mode.
 */
export interface RemovalExpectation extends ActivityFields {
  key: number;
  ctime: number;
  /** shm: refuse unless nattch is still 0. */
  nattchZero?: boolean;
  /** sem: refuse if any semaphore has waiters (GETNCNT or GETZCNT > 0). */
  noWaiters?: boolean;
  /** sem: refuse if sem_otime changed since the plan (someone operated on the set). */
  otime?: number;
  /** sem: refuse if any semaphore's last-op pid (GETPID) differs from these. */
  semPids?: number[];
}

/**
 * How a source removes objects. `locked`: lock (IPC_SET mode 0) -> verify everything again -> IPC_RMID, so no
 * process without CAP_IPC_OWNER can start an operation between the last check and the removal. `unlocked`:
 * check everything, then ipcrm (an operation that starts in between is not seen). `detail` says how (which
 * layout was verified) or why the lock is not used on that host.
 */
export interface RemovalMode {
  /** 'none': this source removes nothing (the /proc reader); every candidate stays, `detail` says why. */
  mode: 'locked' | 'unlocked' | 'none';
  detail: string;
  /** set when no message queue can be removed there (nothing shows threads blocked in msgrcv/msgsnd): why. */
  queuesStay?: string;
}

/**
 * Whether a process exists, as far as the reader can prove it. `unknown` whenever the reader cannot see
 * (hidden by hidepid, EACCES, pid 0 from another pid namespace, facts missing from a probe): an object
 * whose pids are unknown is never recyclable.
 */
export type Liveness = 'alive' | 'dead' | 'unknown';

/** A stable reference to an object within one host: `sem:32769`, `shm:5`, `posixSem:/orders`. */
export type ObjectRef = string;

/**
 * What IPC Explorer concludes about one object (computed by domain/verdict.ts from a snapshot, the process
 * facts and the settings; never by the views).
 * - live: something alive created, uses, waits on or is attached to it;
 * - orphan: no live creator, nothing attached, no waiters, nothing recent;
 * - unreadable: we could not read what we need (EACCES): nothing can be proved;
 * - unknown: the facts do not decide it (e.g. no creator pid on a SysV set and no recognised owner).
 */
export type VerdictState = 'live' | 'orphan' | 'unreadable' | 'unknown';

/** An application recognised as an object's owner (PostgreSQL first; the recogniser design allows more). */
export interface OwnerInfo {
  app: string; // 'postgresql'
  /** e.g. "PostgreSQL, data directory /var/lib/postgresql/15/main, postmaster PID 21599 (dead)" */
  label: string;
  dataDir?: string;
  pid?: number;
  pidAlive?: boolean;
  /** evidence, e.g. "semnum 16 = 537 (PGSemaMagic)". */
  evidence: string[];
  /**
   * Set only when the recogniser proves both the object's identity and its owner's death the way the
   * application itself does before it reuses the object (PostgreSQL: marker 537 + dead postmaster; header
   * magic + data directory device/inode + dead creator + nothing attached). Such an orphan needs no waiting
   * (no minimum age, no recency window). The text says what was proven.
   */
  proof?: string;
  /** PostgreSQL's dynamic shared memory that belongs with this object (see domain/recognizers/postgresql.ts). */
  dsm?: PgDsmUnit;
}

/** A /dev/shm file that is part of a unit, as planned (the removal re-checks every field). */
export interface UnitFile {
  /** e.g. '/dev/shm/PostgreSQL.1804289383' */
  path: string;
  /** the DSM handle the file is named after. */
  handle: number;
  dev: number;
  ino: number;
  uid: number;
  size: number;
}

/**
 * PostgreSQL's POSIX dynamic shared memory of one cluster: the control segment named by the interlock
 * segment's header (dsm_control) and the segments it lists. PostgreSQL cleans these up at its next start
 * only through that header, so they are removed together with the interlock segment (DSM files first,
 * control segment last, then the segment) or not at all.
 */
export interface PgDsmUnit {
  /** dsm_control from the header. */
  controlHandle: number;
  /** the control segment file, when it exists and is sane. */
  control?: UnitFile;
  /** the listed segments whose files exist (refcnt > 0, not in the main region). */
  segments: UnitFile[];
  /** listed handles whose files no longer exist (nothing to remove). */
  missing: number[];
  /** why the unit cannot be removed (the interlock segment then stays too); undefined when it can. */
  blocked?: string;
  /** notes for the reasons (layout, versions, files left out). */
  notes: string[];
}

export interface Verdict {
  ref: ObjectRef;
  state: VerdictState;
  /** an orphan whose removal the recycle rules allow (orphan + provable identity + settings allow it). */
  recyclable: boolean;
  /** human-readable reasons, most decisive first. */
  reasons: string[];
  owner?: OwnerInfo;
  /** seconds the object has been orphaned (from the newest of ctime/otime/dtime...), when times allow. */
  orphanForSeconds?: number;
  /**
   * Set when only the waiting rules (recentActivitySeconds, minOrphanAgeSeconds) keep the object: it becomes
   * recyclable in this many seconds if nothing happens to it meanwhile.
   */
  becomesRecyclableIn?: number;
}

/**
 * Structured IPC errors: one shape (`IpcErrorInfo` from the model) for every failure a person may see, with
 * the failing call, the errno name and a hint keyed by (code, op, syscall).
 *
 * Pure: no `vscode`, no DOM, no `node:*`. Node system errors and the native binding's errors are accepted as
 * plain data (duck-typed), so this file runs in the CLI, the extension host and the tests alike.
 *
 * Message shape (STYLE.md, "Native errors"): `semctl(IPC_RMID) id=32769: Operation not permitted (EPERM)`.
 * The hint table is seeded from util-linux `sys-utils/ipcrm.c` (EACCES/EPERM = permission denied for id/key,
 * EINVAL = invalid id, EIDRM = already removed id) and DOMAIN.md (ENOSPC from semget is SEMMNI/SEMMNS, not
 * disk space). Within a code, HINTS lists the most specific rows first.
 */
import type { IpcErrorInfo } from '../shared/model';

/** Linux errno numbers and strerror texts for the codes IPC Explorer meets (x86-64/aarch64 numbering). */
export const ERRNO: Readonly<Record<string, { errno: number; text: string }>> = {
  EPERM: { errno: 1, text: 'Operation not permitted' },
  ENOENT: { errno: 2, text: 'No such file or directory' },
  ESRCH: { errno: 3, text: 'No such process' },
  EINTR: { errno: 4, text: 'Interrupted system call' },
  EIO: { errno: 5, text: 'Input/output error' },
  E2BIG: { errno: 7, text: 'Argument list too long' },
  EBADF: { errno: 9, text: 'Bad file descriptor' },
  EAGAIN: { errno: 11, text: 'Resource temporarily unavailable' },
  ENOMEM: { errno: 12, text: 'Cannot allocate memory' },
  EACCES: { errno: 13, text: 'Permission denied' },
  EFAULT: { errno: 14, text: 'Bad address' },
  EBUSY: { errno: 16, text: 'Device or resource busy' },
  EEXIST: { errno: 17, text: 'File exists' },
  ENOTDIR: { errno: 20, text: 'Not a directory' },
  EISDIR: { errno: 21, text: 'Is a directory' },
  EINVAL: { errno: 22, text: 'Invalid argument' },
  ENFILE: { errno: 23, text: 'Too many open files in system' },
  EMFILE: { errno: 24, text: 'Too many open files' },
  EFBIG: { errno: 27, text: 'File too large' },
  EPIPE: { errno: 32, text: 'Broken pipe' },
  ENOSPC: { errno: 28, text: 'No space left on device' },
  EROFS: { errno: 30, text: 'Read-only file system' },
  ERANGE: { errno: 34, text: 'Numerical result out of range' },
  EDEADLK: { errno: 35, text: 'Resource deadlock avoided' },
  ENAMETOOLONG: { errno: 36, text: 'File name too long' },
  ENOSYS: { errno: 38, text: 'Function not implemented' },
  ELOOP: { errno: 40, text: 'Too many levels of symbolic links' },
  ENOMSG: { errno: 42, text: 'No message of desired type' },
  EIDRM: { errno: 43, text: 'Identifier removed' },
  EOVERFLOW: { errno: 75, text: 'Value too large for defined data type' },
  ENOTSUP: { errno: 95, text: 'Operation not supported' },
  ETIMEDOUT: { errno: 110, text: 'Connection timed out' },
  ECONNREFUSED: { errno: 111, text: 'Connection refused' },
  EHOSTUNREACH: { errno: 113, text: 'No route to host' },
};

/** Project codes that are not errnos. */
export type ProjectCode = 'ECHANGED' | 'ENATIVE' | 'EPARSE' | 'ESSH' | 'EUNKNOWN';

const SYSV_READ_OPS = [
  'GETVAL', 'GETALL', 'GETPID', 'GETNCNT', 'GETZCNT', 'IPC_STAT', 'SEM_STAT', 'SHM_STAT', 'MSG_STAT', 'shmat',
];
const SYSV_ID_OPS = [
  ...SYSV_READ_OPS, 'IPC_RMID', 'IPC_SET', 'SETVAL', 'SETALL', 'SEM_STAT_ANY', 'SHM_STAT_ANY', 'MSG_STAT_ANY',
  'semop', 'msgsnd', 'msgrcv', 'shmdt',
];

/** The reads of the table's limits and usage, which the kernel lets every process make. */
const SYSV_INFO_OPS = ['IPC_INFO', 'SEM_INFO', 'SHM_INFO', 'MSG_INFO'];

/** A System V read refused by something between the process and the kernel's IPC code. */
const SANDBOX_HINT = (why: string): string =>
  `${why}: a seccomp filter or a security module denies System V IPC calls to this process (a container ` +
  'runtime\'s profile, systemd SystemCallFilter=, a Flatpak or snap sandbox, SELinux). When even the limits ' +
  '(IPC_INFO) are refused, IPC Explorer lists the headers from /proc/sysvipc instead (no semaphore values, no ' +
  'removal); run it outside the sandbox to read everything.';

interface HintRow {
  code: string;
  /** matches when the error's op (or, failing that, its syscall) is one of these; absent = any op. */
  op?: readonly string[];
  syscall?: readonly string[];
  hint: string;
}

/**
 * The hint table. Lookup takes the first row whose code matches and whose op/syscall constraints (if any)
 * match, so keep specific rows above general ones for the same code.
 */
export const HINTS: HintRow[] = [
  // --- removal (util-linux ipcrm.c: EACCES/EPERM -> "permission denied for id") ---
  {
    // guarded removal locks first (native LockVerifyRemove): IPC_SET mode 0 needs what IPC_RMID needs
    code: 'EPERM', op: ['IPC_SET'],
    hint: 'Guarded removal first locks the object (IPC_SET mode 0, so no other non-root process can use it while ' +
      'it is checked again); only the owner (uid) or creator (cuid), or root (CAP_SYS_ADMIN), may do that, the ' +
      'same as for removing it. Nothing was removed: run as that user or as root.',
  },
  {
    code: 'EPERM', op: ['IPC_RMID', 'IPC_SET'],
    hint: 'Only the owner (uid) or creator (cuid) of the object, or a process with CAP_SYS_ADMIN (root), may ' +
      'remove or change it. Run as that user or as root; ipcrm needs the same.',
  },
  {
    code: 'EACCES', op: ['IPC_RMID', 'IPC_SET'],
    hint: 'Permission denied: only the owner (uid) or creator (cuid), or root (CAP_SYS_ADMIN), may remove it.',
  },
  // --- reading values / headers ---
  {
    // the kernel refuses a read with EACCES (ipcperms) and never checks IPC_INFO/SEM_INFO at all: EPERM
    // there is an answer a seccomp filter chose
    code: 'EPERM', op: [...SYSV_READ_OPS, ...SYSV_INFO_OPS, 'SEM_STAT_ANY', 'SHM_STAT_ANY', 'MSG_STAT_ANY'],
    hint: SANDBOX_HINT('The kernel never answers this read with EPERM (it says EACCES when a permission is missing)'),
  },
  {
    code: 'EACCES', op: SYSV_INFO_OPS,
    hint: SANDBOX_HINT('The kernel itself checks no permission for this read of the limits'),
  },
  {
    code: 'EACCES', op: SYSV_READ_OPS,
    hint: 'No read permission on this object (see its mode and owner). Its header is still listed; run as the ' +
      'owner or as root (CAP_IPC_OWNER bypasses the check) to read values, waiters and last-op pids.',
  },
  {
    code: 'EACCES', syscall: ['open', 'openat', 'mmap', 'readlink', 'stat', 'lstat', 'scandir', 'readdir'],
    hint: 'No permission to read this file; run as its owner or as root.',
  },
  // --- vanished / reused ids (ipcrm.c: EINVAL -> "invalid id", EIDRM -> "already removed id") ---
  {
    code: 'EIDRM', op: SYSV_ID_OPS,
    hint: 'The object was removed while it was being read (or its id was reused). Refresh the list.',
  },
  {
    code: 'EINVAL', op: SYSV_ID_OPS,
    hint: 'No object with this id any more: it was already removed or the id was reused. Refresh the list.',
  },
  {
    code: 'EINVAL', syscall: ['semget'],
    hint: 'nsems is 0 or above SEMMSL (max semaphores per set), or a set with this key exists with fewer ' +
      'semaphores. See /proc/sys/kernel/sem (SEMMSL SEMMNS SEMOPM SEMMNI).',
  },
  {
    code: 'EINVAL', syscall: ['shmget'],
    hint: 'The size is below SHMMIN or above SHMMAX, or a segment with this key exists and is smaller.',
  },
  // --- capacity (DOMAIN.md §1 and §4) ---
  {
    code: 'ENOSPC', syscall: ['semget'],
    hint: 'This is not disk space: creating the set would exceed SEMMNI (max semaphore sets) or SEMMNS (max ' +
      'semaphores system-wide). Look for leftover sets (e.g. from a crashed PostgreSQL) and remove only ' +
      'provable orphans, or raise the limits in /proc/sys/kernel/sem ("SEMMSL SEMMNS SEMOPM SEMMNI").',
  },
  {
    code: 'ENOSPC', syscall: ['shmget'],
    hint: 'This is not disk space: SHMMNI (max segments) or SHMALL (total shared memory, in pages) would be ' +
      'exceeded. Remove leftover segments or raise /proc/sys/kernel/shmmni or shmall.',
  },
  {
    code: 'ENOSPC', syscall: ['msgget'],
    hint: 'This is not disk space: MSGMNI (max message queues) would be exceeded. Remove leftover queues or ' +
      'raise /proc/sys/kernel/msgmni.',
  },
  {
    code: 'ENOSPC', syscall: ['sem_open', 'shm_open', 'ftruncate', 'write', 'open'],
    hint: '/dev/shm (a tmpfs) is full: remove unused POSIX objects there or enlarge the tmpfs.',
  },
  {
    code: 'ENOMEM', syscall: ['shmget', 'shmat'],
    hint: 'Not enough memory or address space for the segment (or SHMALL reached with overcommit rules).',
  },
  {
    code: 'ERANGE', op: ['SETVAL', 'SETALL', 'semop'],
    hint: 'The value would exceed SEMVMX (32767 on Linux) or drop below 0.',
  },
  {
    code: 'E2BIG', syscall: ['semop', 'semtimedop'],
    hint: 'Too many operations in one semop call (SEMOPM).',
  },
  // --- guarded removal ---
  {
    code: 'ECHANGED',
    hint: 'The object changed since it was inspected, so nothing was removed. Refresh, review it again and ' +
      'retry only if it is still an orphan.',
  },
  // --- native binding ---
  {
    code: 'ENATIVE',
    hint: 'The native binding (ipc_native.node) is missing or failed to load. IPC Explorer falls back to ' +
      'parsing /proc/sysvipc (no per-semaphore values, no guarded removal). Rebuild it with `npm rebuild` ' +
      '(needs python3, make and g++) or point IPCX_NATIVE_PATH at a built ipc_native.node.',
  },
  // --- files and processes ---
  {
    code: 'ENOENT', syscall: ['open', 'openat', 'stat', 'lstat', 'readlink', 'mmap'],
    hint: 'The file is gone: the POSIX object was unlinked, or the process exited, since the listing. Refresh.',
  },
  {
    code: 'ENOENT',
    hint: 'Not found: it was removed since the listing, or this system does not provide it (no /proc/sysvipc?).',
  },
  {
    code: 'ELOOP', syscall: ['open', 'openat'],
    hint: 'Refused to follow a symbolic link (opened with O_NOFOLLOW): a real IPC object is a regular file.',
  },
  {
    code: 'EINVAL', syscall: ['mmap', 'fstat'],
    hint: 'Not a semaphore as sem_open writes it (shorter than 8 bytes, or not a regular file), so no value is shown; ' +
      'if its owner is rewriting or truncating it, refresh to read it again.',
  },
  {
    code: 'EFAULT', syscall: ['load'],
    hint: 'Someone with write access to the file truncated it (or left it sparse on a full tmpfs) while it was read; refresh to read it again.',
  },
  {
    code: 'ESRCH',
    hint: 'The process no longer exists (it exited, or its pid belongs to another pid namespace).',
  },
  {
    code: 'ENOSYS',
    hint: 'The kernel does not provide this call (built without CONFIG_SYSVIPC, or a seccomp filter blocks it).',
  },
  {
    code: 'EPERM',
    hint: 'Operation not permitted for this user; it needs the owner or root (a capability such as CAP_SYS_ADMIN).',
  },
  {
    code: 'EACCES',
    hint: 'Permission denied for this user; run as the object\'s owner or as root.',
  },
  // --- SSH hosts (extension/remote/sshRunner.ts gives more specific hints per ssh message) ---
  {
    code: 'ESSH',
    hint: 'ssh could not run the probe on this host. IPC Explorer uses the system ssh with BatchMode=yes (keys or ' +
      'agent only, never a password): check `ssh -o BatchMode=yes HOST true` in a terminal.',
  },
  {
    code: 'ETIMEDOUT', syscall: ['ssh'],
    hint: 'The host did not answer in time (slow link, stuck host or a probe that never finished); it is retried ' +
      'on the next refresh. Raise ipcExplorer.sshTimeoutSeconds for slow links.',
  },
  {
    code: 'EPARSE',
    hint: 'The output could not be parsed; the source may be a different version or format than expected.',
  },
];

/** The hint for an error code, refined by the operation (e.g. 'IPC_RMID') and/or the syscall ('semget'). */
export function hintFor(code: string, op?: string, syscall?: string): string | undefined {
  for (const row of HINTS) {
    if (row.code !== code) continue;
    if (row.op && !(op !== undefined && row.op.includes(op)) && !(syscall !== undefined && row.op.includes(syscall))) {
      continue;
    }
    if (row.syscall && !(syscall !== undefined && row.syscall.includes(syscall))) continue;
    return row.hint;
  }
  return undefined;
}

/** `semctl(IPC_RMID) id=32769: Operation not permitted (EPERM)`; the detail replaces strerror's text. */
export function formatIpcMessage(p: {
  code: string;
  syscall?: string;
  op?: string;
  id?: number;
  detail?: string;
}): string {
  const call = p.syscall ? (p.op ? `${p.syscall}(${p.op})` : p.syscall) : p.op;
  const where = call ? (p.id !== undefined ? `${call} id=${p.id}` : call) : p.id !== undefined ? `id=${p.id}` : '';
  const text = p.detail ?? ERRNO[p.code]?.text ?? p.code;
  return `${where ? where + ': ' : ''}${text} (${p.code})`;
}

export interface IpcErrorInit {
  code: string;
  errno?: number;
  syscall?: string;
  op?: string;
  id?: number;
  /** the full message; default `formatIpcMessage`. */
  message?: string;
  /** text replacing strerror's in the default message. */
  detail?: string;
  /** default `hintFor(code, op, syscall)`. */
  hint?: string;
}

/** A thrown IPC failure with the same fields as Node's system errors plus `op`, `id` and `hint`. */
export class IpcError extends Error implements IpcErrorInfo {
  readonly code: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly op?: string;
  readonly id?: number;
  readonly hint?: string;

  constructor(init: IpcErrorInit) {
    super(init.message ?? formatIpcMessage(init));
    this.name = 'IpcError';
    this.code = init.code;
    const errno = init.errno ?? ERRNO[init.code]?.errno;
    if (errno !== undefined) this.errno = errno;
    if (init.syscall !== undefined) this.syscall = init.syscall;
    if (init.op !== undefined) this.op = init.op;
    if (init.id !== undefined) this.id = init.id;
    const hint = init.hint ?? hintFor(init.code, init.op, init.syscall);
    if (hint !== undefined) this.hint = hint;
  }

  /** Plain data for JSON, the webview protocol and the snapshot's `errors`. */
  toInfo(): IpcErrorInfo {
    const info: IpcErrorInfo = { code: this.code, message: this.message };
    if (this.errno !== undefined) info.errno = this.errno;
    if (this.syscall !== undefined) info.syscall = this.syscall;
    if (this.op !== undefined) info.op = this.op;
    if (this.id !== undefined) info.id = this.id;
    if (this.hint !== undefined) info.hint = this.hint;
    return info;
  }

  toJSON(): IpcErrorInfo {
    return this.toInfo();
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Any thrown value -> IpcErrorInfo with a hint: an IpcError, the native binding's errors
 * ({code, errno, syscall, op, id}), Node system errors (negative libuv errno is made positive), plain Errors
 * (code 'EUNKNOWN' unless they carry one) and non-Error values.
 */
export function toIpcErrorInfo(e: unknown, fallback: { syscall?: string; op?: string; id?: number } = {}): IpcErrorInfo {
  if (e instanceof IpcError) return e.toInfo();
  if (isRecord(e)) {
    const code = str(e['code']) ?? 'EUNKNOWN';
    const info: IpcErrorInfo = {
      code,
      message: str(e['message']) ?? formatIpcMessage({ code, ...fallback }),
    };
    const errno = num(e['errno']);
    if (errno !== undefined) info.errno = Math.abs(errno);
    else if (ERRNO[code]) info.errno = ERRNO[code].errno;
    const syscall = str(e['syscall']) ?? fallback.syscall;
    if (syscall !== undefined) info.syscall = syscall;
    const op = str(e['op']) ?? fallback.op;
    if (op !== undefined) info.op = op;
    const id = num(e['id']) ?? fallback.id;
    if (id !== undefined) info.id = id;
    const hint = str(e['hint']) ?? hintFor(code, op, syscall);
    if (hint !== undefined) info.hint = hint;
    return info;
  }
  const code = 'EUNKNOWN';
  return { code, message: typeof e === 'string' ? e : String(e), ...fallback };
}

/** Plain IpcErrorInfo (from JSON, a webview message, a remote probe) -> a throwable IpcError. */
export function fromErrorInfo(info: IpcErrorInfo): IpcError {
  const init: IpcErrorInit = { code: info.code, message: info.message };
  if (info.errno !== undefined) init.errno = info.errno;
  if (info.syscall !== undefined) init.syscall = info.syscall;
  if (info.op !== undefined) init.op = info.op;
  if (info.id !== undefined) init.id = info.id;
  if (info.hint !== undefined) init.hint = info.hint;
  return new IpcError(init);
}

/** True for the codes that mean "this object is gone" (vanished mid-snapshot, removed, id reused). */
export function isGone(e: { code: string } | undefined): boolean {
  return e !== undefined && (e.code === 'EIDRM' || e.code === 'EINVAL' || e.code === 'ENOENT');
}

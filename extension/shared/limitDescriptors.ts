/**
 * One descriptor per kernel IPC limit, modelled on util-linux lsipc's `coldescs[]`: the name lsipc prints,
 * a readable label, help text, the unit, and how to raise it on Linux, FreeBSD and macOS. Pure data.
 */
import type { IpcLimits, SysvKind } from './model';

export type LimitName =
  | 'SEMMNI' | 'SEMMNS' | 'SEMMSL' | 'SEMOPM' | 'SEMVMX' | 'SEMUME' | 'SEMMNU'
  | 'SHMMNI' | 'SHMALL' | 'SHMMAX' | 'SHMMIN' | 'SHMSEG'
  | 'MSGMNI' | 'MSGMNB' | 'MSGMAX'
  | 'MQ_QUEUES_MAX';

export type LimitUnit = 'count' | 'bytes' | 'pages' | 'value';

/**
 * How full a limit may get before every surface says so, in percent of the limit: from `warn` the tree marks
 * the limit and the dashboard draws it amber, from `critical` the dashboard draws it red and the status bar
 * turns to its warning colour (its `ipcExplorer.statusBar.warnPercent` default), at 100 it is full.
 */
export const CAPACITY_THRESHOLDS = { warn: 80, critical: 90 } as const;

export type CapacityLevel = 'ok' | 'warn' | 'critical' | 'full' | 'unlimited';

/** A usage percentage's level (unlimited: no usage to compare, or no limit). */
export function capacityLevel(pct: number | null, unlimited: boolean): CapacityLevel {
  if (unlimited || pct === null) return 'unlimited';
  if (pct >= 100) return 'full';
  if (pct >= CAPACITY_THRESHOLDS.critical) return 'critical';
  if (pct >= CAPACITY_THRESHOLDS.warn) return 'warn';
  return 'ok';
}

export interface LimitDescriptor {
  name: LimitName;
  /** the IpcLimits field holding the limit */
  field: keyof Pick<IpcLimits, 'semmni' | 'semmns' | 'semmsl' | 'semopm' | 'semvmx' | 'semume' | 'semmnu' | 'shmmni' | 'shmall' | 'shmmax' | 'shmmin' | 'shmseg' | 'msgmni' | 'msgmnb' | 'msgmax'> | 'mqueue.queuesMax';
  kind: 'sem' | 'shm' | 'msg' | 'mqueue';
  /** lsipc's description */
  label: string;
  /** what it limits and what hitting it looks like */
  help: string;
  unit: LimitUnit;
  /** how to raise it (runtime sysctl unless noted) */
  raise: { linux: string; freebsd?: string; darwin?: string };
}

/**
 * One limit with what is used of it: the row every surface shows (ipcx limits, the tree's Limits, the
 * dashboard's gauges), built by domain/capacity.ts. `DEVSHM` is the file system holding the POSIX objects.
 */
export interface CapacityRow {
  name: LimitName | 'DEVSHM';
  label: string;
  help: string;
  kind: LimitDescriptor['kind'];
  unit: LimitUnit;
  /** in the limit's unit (pages for SHMALL, bytes where the dashboard shows it so); null = no usage to compare */
  used: number | null;
  limit: number;
  /** used / limit * 100, null when used is null or limit is 0 (the dashboard's rows: or unlimited) */
  percent: number | null;
  /** the limit is effectively unlimited (clamped ULONG_MAX-like value) */
  unlimited: boolean;
  /** SHMALL: used and limit in bytes too */
  usedBytes?: number;
  limitBytes?: number;
  /** what `used` measures when it is not a system-wide total, e.g. "largest set: id 5" */
  basis?: string;
  /** the object behind a maximum-style usage (SEMMSL, SEMVMX, SHMMAX, MSGMNB) */
  object?: { kind: SysvKind; id: number };
  /** how to raise it on the snapshot's platform */
  raise?: string;
  /** how to raise it on Linux and on the BSDs, for a view that names both (the dashboard's hover) */
  raiseBy?: { linux?: string; bsd?: string };
  /** the part of `used` held by orphans (so recycling would free it), when it can be attributed */
  orphanUsed?: number;
}

/**
 * macOS (xnu bsd/kern/sysv_sem.c `sysctl_seminfo`): kern.sysv.semmni, semmns, semmnu, semmsl, semume are
 * accepted only while no semaphore set, pool or undo structure exists since boot; afterwards `sysctl -w`
 * fails with EINVAL. So they are set at boot.
 */
const DARWIN_SEM_AT_BOOT = (oid: string): string =>
  `put ${oid}=N in /etc/sysctl.conf (or a LaunchDaemon plist that runs sysctl at boot) and reboot: macOS accepts it only before the first semaphore set exists (afterwards sysctl -w answers "Invalid argument")`;
/** macOS's message-queue limits (xnu bsd/kern/sysv_msg.c `msginfo`) have no sysctl. */
const DARWIN_MSG_FIXED = 'fixed on macOS: a compile-time constant of the kernel (no sysctl)';

type SysvField = Exclude<LimitDescriptor['field'], 'mqueue.queuesMax'>;
type RaiseText = LimitDescriptor['raise'];
/** the value a raise command names, by the limit's unit */
const PLACEHOLDER: Record<LimitUnit, string> = { count: 'N', bytes: 'BYTES', pages: 'PAGES', value: 'N' };
/** a FreeBSD limit read only at boot */
const loaderTunable = (oid: string): string => `${oid} (loader tunable: /boot/loader.conf, reboot)`;
/** one of kernel.sem's four fields, set all together on Linux */
const kernelSem = (ordinal: string): string => `sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI" (${ordinal} field)`;
const notLinux = (name: LimitName): string => `not a Linux limit (Linux does not enforce ${name})`;

/** A semaphore limit: a loader tunable on FreeBSD and set at boot on macOS unless `raise` says otherwise. */
function semLimit(
  name: LimitName, field: Extract<SysvField, `sem${string}`>, unit: LimitUnit, label: string, help: string,
  raise: RaiseText,
): LimitDescriptor {
  return {
    name, field, kind: 'sem', unit, label, help,
    raise: {
      linux: raise.linux,
      freebsd: raise.freebsd ?? loaderTunable(`kern.ipc.${field}`),
      darwin: raise.darwin ?? DARWIN_SEM_AT_BOOT(`kern.sysv.${field}`),
    },
  };
}

/** A shared-memory limit: a runtime sysctl on Linux and FreeBSD unless `raise` says otherwise. */
function shmLimit(
  name: LimitName, field: Extract<SysvField, `shm${string}`>, unit: LimitUnit, label: string, help: string,
  raise: Partial<RaiseText> & { darwin: string },
): LimitDescriptor {
  return {
    name, field, kind: 'shm', unit, label, help,
    raise: {
      linux: raise.linux ?? `sysctl -w kernel.${field}=${PLACEHOLDER[unit]}`,
      freebsd: raise.freebsd ?? `sysctl kern.ipc.${field}=${PLACEHOLDER[unit]}`,
      darwin: raise.darwin,
    },
  };
}

/** A message-queue limit: a runtime sysctl on Linux, a loader tunable on FreeBSD, fixed on macOS. */
function msgLimit(name: LimitName, field: Extract<SysvField, `msg${string}`>, unit: LimitUnit, label: string, help: string): LimitDescriptor {
  return {
    name, field, kind: 'msg', unit, label, help,
    raise: { linux: `sysctl -w kernel.${field}=${PLACEHOLDER[unit]}`, freebsd: loaderTunable(`kern.ipc.${field}`), darwin: DARWIN_MSG_FIXED },
  };
}

/** macOS's own shared-memory sysctls that take effect at once, `note` saying what the value is in. */
const darwinShmNow = (oid: string, value: string, note: string): string =>
  `sudo sysctl -w kern.sysv.${oid}=${value} (${note}) takes effect at once; keep it in /etc/sysctl.conf (Mac OS X 10.4 and older: all five kern.sysv.shm* there, then reboot)`;

export const LIMIT_DESCRIPTORS: readonly LimitDescriptor[] = [
  semLimit('SEMMNI', 'semmni', 'count', 'Number of semaphore identifiers',
    'Maximum number of semaphore sets system-wide (per IPC namespace on Linux). semget() fails with ENOSPC when it would be exceeded.',
    { linux: kernelSem('4th') }),
  semLimit('SEMMNS', 'semmns', 'count', 'Total number of semaphores',
    'Maximum number of semaphores in all sets together. semget() fails with ENOSPC when a new set would exceed it (PostgreSQL: "could not create semaphores: No space left on device").',
    { linux: kernelSem('2nd') }),
  semLimit('SEMMSL', 'semmsl', 'count', 'Max semaphores per semaphore set',
    'Maximum number of semaphores in one set; semget() with a larger nsems fails with EINVAL. Used: the largest set.',
    { linux: kernelSem('1st') }),
  semLimit('SEMOPM', 'semopm', 'count', 'Max number of operations per semop(2)',
    'Maximum number of operations in one semop() call (E2BIG beyond it). No usage to compare.',
    { linux: kernelSem('3rd'), darwin: 'fixed on macOS: SEMOPM is a compile-time constant (5; no sysctl)' }),
  semLimit('SEMVMX', 'semvmx', 'value', 'Semaphore max value',
    'Largest value a semaphore can hold (ERANGE beyond it). A compile-time constant on Linux (32767). Used: the largest value seen.',
    {
      linux: 'cannot be raised on Linux: SEMVMX is a compile-time constant (32767)',
      freebsd: 'kern.ipc.semvmx (loader tunable)',
      darwin: 'fixed on macOS: SEMVMX is a compile-time constant (32767; no sysctl)',
    }),
  semLimit('SEMUME', 'semume', 'count', 'Max undo entries per process',
    'Maximum number of semaphores one process may hold SEM_UNDO adjustments on (FreeBSD, macOS); semop() with SEM_UNDO fails with EINVAL beyond it. Not a Linux limit.',
    { linux: notLinux('SEMUME') }),
  semLimit('SEMMNU', 'semmnu', 'count', 'Undo structures in system',
    'Maximum number of processes with SEM_UNDO adjustments at once, system-wide (FreeBSD, macOS); semop() with SEM_UNDO fails with ENOSPC beyond it. Not a Linux limit.',
    { linux: notLinux('SEMMNU') }),
  shmLimit('SHMMNI', 'shmmni', 'count', 'Shared memory segments',
    'Maximum number of shared memory segments system-wide; shmget() fails with ENOSPC beyond it.',
    {
      freebsd: 'sysctl kern.ipc.shmmni=N (loader tunable on older releases)',
      darwin: 'put kern.sysv.shmmni=N in /etc/sysctl.conf (or a LaunchDaemon plist that runs sysctl at boot) and reboot: macOS fixes it when the first segment is made (afterwards sysctl -w answers "Operation not permitted")',
    }),
  shmLimit('SHMALL', 'shmall', 'pages', 'Shared memory pages',
    'Maximum total shared memory of all segments together, counted in pages (of the page size, usually 4096 bytes); shmget() fails with ENOSPC beyond it.',
    { darwin: darwinShmNow('shmall', 'PAGES', 'pages of 4096 bytes') }),
  shmLimit('SHMMAX', 'shmmax', 'bytes', 'Max size of shared memory segment (bytes)',
    'Largest size of one segment; shmget() with a larger size fails with EINVAL. Used: the largest segment.',
    { darwin: darwinShmNow('shmmax', 'BYTES', 'a multiple of the page size') }),
  shmLimit('SHMMIN', 'shmmin', 'bytes', 'Min size of shared memory segment (bytes)',
    'Smallest size of one segment (1 on Linux). No usage to compare.',
    { linux: 'cannot be changed on Linux: SHMMIN is a compile-time constant (1)', darwin: 'sudo sysctl -w kern.sysv.shmmin=BYTES; keep it in /etc/sysctl.conf' }),
  shmLimit('SHMSEG', 'shmseg', 'count', 'Max segments attached per process',
    'Maximum number of segments one process may attach at once (FreeBSD, macOS); shmat() fails with EMFILE ("Too many open files") beyond it. macOS ships 8. Not a Linux limit.',
    {
      linux: notLinux('SHMSEG'),
      darwin: 'sudo sysctl -w kern.sysv.shmseg=N takes effect for processes that attach their first segment afterwards (a process sizes its table at its first shmat); keep it in /etc/sysctl.conf',
    }),
  msgLimit('MSGMNI', 'msgmni', 'count', 'Number of message queues',
    'Maximum number of message queues system-wide; msgget() fails with ENOSPC beyond it.'),
  msgLimit('MSGMNB', 'msgmnb', 'bytes', 'Default max size of queue (bytes)',
    'Default maximum number of bytes in one queue (its msg_qbytes at creation); msgsnd() blocks or fails with EAGAIN when full. Used: the fullest queue.'),
  msgLimit('MSGMAX', 'msgmax', 'bytes', 'Max size of message (bytes)',
    'Largest single message; msgsnd() with a larger one fails with EINVAL. No per-message sizes are visible, so no usage.'),
  {
    name: 'MQ_QUEUES_MAX', field: 'mqueue.queuesMax', kind: 'mqueue', unit: 'count',
    label: 'POSIX message queues',
    help: 'Maximum number of POSIX message queues (mq_open fails with ENOSPC beyond it; root is exempt). Usage is not counted here.',
    raise: { linux: 'sysctl -w fs.mqueue.queues_max=N' },
  },
];

export function limitDescriptor(name: LimitName): LimitDescriptor {
  const d = LIMIT_DESCRIPTORS.find((x) => x.name === name);
  if (!d) throw new Error(`unknown limit ${name}`);
  return d;
}

/** Where a raised Linux limit is kept across reboots (read by systemd-sysctl and `sysctl --system`). */
export const SYSCTL_PERSIST_FILE = '/etc/sysctl.d/60-ipc.conf';

/** kernel.sem's four fields, in the order the kernel reads them. */
const SEM_FIELDS = ['SEMMSL', 'SEMMNS', 'SEMOPM', 'SEMMNI'] as const;
const ORDINAL = ['1st', '2nd', '3rd', '4th'];
/** the sysctl behind each single-valued Linux limit. */
const LINUX_SYSCTL: Partial<Record<LimitName, string>> = {
  SHMMNI: 'kernel.shmmni', SHMALL: 'kernel.shmall', SHMMAX: 'kernel.shmmax',
  MSGMNI: 'kernel.msgmni', MSGMNB: 'kernel.msgmnb', MSGMAX: 'kernel.msgmax', MQ_QUEUES_MAX: 'fs.mqueue.queues_max',
};
/** IPCMNI: Linux refuses more identifiers than this (without ipcmni_extend). */
const LINUX_IPCMNI = 32768;
const CAPPED_AT_IPCMNI: readonly LimitName[] = ['SEMMNI', 'SHMMNI', 'MSGMNI'];

export interface RaiseHint {
  /** the command that raises it now (a suggested value: the current one doubled), when it can be raised */
  command?: string;
  /** the line that keeps it across reboots, and its file */
  persist?: { line: string; file: string };
  /** the current value(s) in words, e.g. `now "250 32000 32 128": SEMMNS is the 2nd field` */
  now?: string;
  /** the whole hint in one line, as the tooltips, the limits report and the CLI print it */
  text: string;
}

function limitOf(limits: IpcLimits, d: LimitDescriptor): number | undefined {
  return d.field === 'mqueue.queuesMax' ? limits.mqueue?.queuesMax : limits[d.field];
}

/** the current value doubled (a starting point, not advice), capped where Linux caps it. */
function doubled(name: LimitName, v: number): number {
  const n = Math.max(1, v) * 2;
  return CAPPED_AT_IPCMNI.includes(name) ? Math.min(n, LINUX_IPCMNI) : n;
}

function bytesText(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

/**
 * How to raise one limit on this machine: on Linux the real `sysctl -w` line built from the current values
 * (kernel.sem's four fields with the one that matters doubled) and the /etc/sysctl.d line that keeps it;
 * SHMALL says its unit (pages of `pageSize` bytes, and the bytes). On FreeBSD and macOS, the descriptor's
 * text. Unchangeable limits (SEMVMX, SHMMIN on Linux) say so.
 */
export function raiseHint(name: LimitName, limits: IpcLimits, platform: 'linux' | 'freebsd' | 'darwin' | string = 'linux'): RaiseHint | undefined {
  const d = limitDescriptor(name);
  if (platform === 'freebsd') return d.raise.freebsd ? { text: d.raise.freebsd } : undefined;
  if (platform === 'darwin') return d.raise.darwin ? { text: d.raise.darwin } : undefined;
  if (name === 'SEMVMX' || name === 'SHMMIN') return { text: d.raise.linux };
  const cur = limitOf(limits, d);
  const unlimited = (limits.unlimited ?? []).map((x) => x.toLowerCase()).includes(String(d.field).toLowerCase());
  const semIdx = (SEM_FIELDS as readonly string[]).indexOf(name);
  if (semIdx >= 0) {
    const now = SEM_FIELDS.map((f) => limitOf(limits, limitDescriptor(f)));
    if (now.some((v) => v === undefined || !Number.isSafeInteger(v))) return { text: d.raise.linux };
    const next = now.map((v, i) => (i === semIdx ? doubled(name, v!) : v!));
    const line = next.join(' ');
    const command = `sysctl -w kernel.sem="${line}"`;
    const nowText = `now "${now.join(' ')}": ${name} is the ${ORDINAL[semIdx]} field (SEMMSL SEMMNS SEMOPM SEMMNI)`;
    const persist = { line: `kernel.sem = ${line}`, file: SYSCTL_PERSIST_FILE };
    return { command, persist, now: nowText, text: `${command} (${nowText}); to keep it after a reboot, put "${persist.line}" in ${persist.file}` };
  }
  const key = LINUX_SYSCTL[name];
  if (!key) return { text: d.raise.linux };
  if (cur === undefined) return { text: d.raise.linux };
  if (unlimited || !Number.isSafeInteger(cur * 2)) {
    return { now: `now ${cur}`, text: `${key} is ${cur}: effectively unlimited already` };
  }
  const next = doubled(name, cur);
  const command = `sysctl -w ${key}=${next}`;
  const page = limits.pageSize > 0 ? limits.pageSize : 4096;
  const nowText =
    name === 'SHMALL'
      ? `now ${cur} pages = ${bytesText(cur * page)}; ${key} counts pages of ${page} bytes, ${next} pages = ${bytesText(next * page)}`
      : d.unit === 'bytes' ? `now ${cur} bytes = ${bytesText(cur)}` : `now ${cur}`;
  const persist = { line: `${key} = ${next}`, file: SYSCTL_PERSIST_FILE };
  return { command, persist, now: nowText, text: `${command} (${nowText}); to keep it after a reboot, put "${persist.line}" in ${persist.file}` };
}

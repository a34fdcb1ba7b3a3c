/**
 * Processes blocked in msgrcv/msgsnd (or semop/semtimedop) leave no trace in the object's header: a server
 * sleeping in msgrcv on an otherwise idle queue is a user of it all the same. The kernel shows what a
 * sleeping task is doing in /proc/PID/task/TID/syscall ("NR arg0 .. arg5 sp pc"; "running" while on a CPU;
 * "-1 sp pc" when not in a system call): the System V calls take the object's id as their first argument.
 *
 * Pure: the backend (extension/backend/taskWaits.ts) reads the files and hands their text here. Syscall
 * numbers are per architecture; an unknown architecture proves nothing.
 */
import { decimalUpTo, U32_MAX } from '../shared/decimal';

export type SyscallArch = 'x86_64' | 'aarch64';

export type WaitCall = 'msgrcv' | 'msgsnd' | 'semop' | 'semtimedop' | 'ipc';

/** One task inside a System V call that can block on an object. */
export interface TaskWait {
  pid: number;
  tid: number;
  comm?: string;
  call: WaitCall;
  kind: 'msg' | 'sem';
  /** the msqid / semid argument. */
  id: number;
}

/**
 * The result of one scan: every task in a call that can block on a queue or a set, or why the scan proves
 * nothing (then every queue stays).
 */
export type TaskWaits = { ok: true; waits: TaskWait[]; tasks: number; doubts?: string[] } | { ok: false; why: string };

/**
 * What decides who may use a queue (ipc/util.c ipcperms): the owner's and creator's uid and gid and the mode.
 * A fenced scan (the one right before and the one under the lock) needs it to tell which tasks could start
 * waiting on the queue at all.
 */
export interface QueuePerm {
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** permission bits (0o777) */
  mode: number;
}

/** The credentials of one task, from /proc/PID/task/TID/status. */
export interface TaskCreds {
  /** real, effective, saved, filesystem */
  uids: number[];
  gids: number[];
  groups: number[];
  capEff: bigint;
  capPrm: bigint;
  /** `Kthread: 1` (Linux 6.x+); undefined when the line is absent */
  kthread?: boolean;
}

/**
 * Parses the Uid/Gid/Groups/CapEff/CapPrm/Kthread lines of a status file; undefined when one is missing or
 * malformed (an id is a 32-bit decimal: a longer one, such as 400 digits read as Infinity, is malformed).
 */
export function parseTaskStatus(text: string): TaskCreds | undefined {
  const line = (k: string): string | undefined => {
    const m = new RegExp(`^${k}:[ \t]*(.*)$`, 'm').exec(text);
    return m ? m[1]!.trim() : undefined;
  };
  const ids = (k: string): number[] | undefined => {
    const v = line(k);
    if (v === undefined) return undefined;
    const w = v.split(/\s+/).filter(Boolean);
    return w.every((x) => decimalUpTo(x, U32_MAX) !== undefined) ? w.map(Number) : undefined;
  };
  const cap = (k: string): bigint | undefined => {
    const v = line(k);
    return v !== undefined && /^[0-9a-f]{1,16}$/i.test(v) ? BigInt(`0x${v}`) : undefined;
  };
  const uids = ids('Uid');
  const gids = ids('Gid');
  const groups = ids('Groups');
  const capEff = cap('CapEff');
  const capPrm = cap('CapPrm');
  if (!uids || uids.length !== 4 || !gids || gids.length !== 4 || !groups || capEff === undefined || capPrm === undefined) return undefined;
  const c: TaskCreds = { uids, gids, groups, capEff, capPrm };
  const k = line('Kthread');
  if (k !== undefined) c.kthread = k === '1';
  return c;
}

/** Capabilities that bypass the queue's permission check or let a task take on any uid/gid. */
const CAP_SETGID = 6n;
const CAP_SETUID = 7n;
const CAP_IPC_OWNER = 15n;
const POWER = (1n << CAP_SETGID) | (1n << CAP_SETUID) | (1n << CAP_IPC_OWNER);

/**
 * Why this task could be a user of the queue (call msgrcv/msgsnd on it without an error), or undefined when
 * it provably cannot with the credentials it holds or can switch to by itself: the permission class is picked
 * by the effective uid (owner if it is the queue's uid or cuid, else group if any gid or supplementary group
 * is the queue's gid or cgid, else other), and an unprivileged task may make any of its real, effective and
 * saved ids effective. CAP_IPC_OWNER bypasses the check; CAP_SETUID/CAP_SETGID reach any id. A kernel
 * thread makes no system calls. (Executing a set-user-ID program is not covered: that task must run, and
 * what it then does is counted by the call watch.)
 */
export function potentialUser(c: TaskCreds, p: QueuePerm): string | undefined {
  if (c.kthread) return undefined;
  const powers = (c.capEff | c.capPrm) & POWER;
  if (powers) return `holds ${[CAP_IPC_OWNER, CAP_SETUID, CAP_SETGID].filter((b) => powers & (1n << b)).map((b) => (b === CAP_IPC_OWNER ? 'CAP_IPC_OWNER' : b === CAP_SETUID ? 'CAP_SETUID' : 'CAP_SETGID')).join(', ')}`;
  const rw = (bits: number): boolean => (bits & 6) !== 0;
  const inGroup = [...c.gids.slice(0, 3), ...c.groups].some((g) => g === p.gid || g === p.cgid);
  for (const u of new Set(c.uids.slice(0, 3))) {
    if (u === p.uid || u === p.cuid) {
      if (rw((p.mode >> 6) & 7)) return `uid ${u} is the queue's owner or creator (mode 0${(p.mode & 0o777).toString(8)})`;
    } else if (inGroup) {
      if (rw((p.mode >> 3) & 7)) return `a group of it is the queue's (mode 0${(p.mode & 0o777).toString(8)})`;
    } else if (rw(p.mode & 7)) return `the queue is open to every user (mode 0${(p.mode & 0o777).toString(8)})`;
  }
  return undefined;
}

/** Inode of the initial pid namespace (PROC_PID_INIT_INO, fixed since Linux 3.8): `pid:[4026531836]`. */
export const INIT_PID_NS_INODE = 4026531836;

/** Node's process.arch -> the syscall table used here, or undefined when unknown. */
export function syscallArchOf(nodeArch: string): SyscallArch | undefined {
  return nodeArch === 'x64' ? 'x86_64' : nodeArch === 'arm64' ? 'aarch64' : undefined;
}

/**
 * Why a /proc in this pid namespace cannot show every process that may share the IPC namespace, or
 * undefined when it can (the initial pid namespace). `nsLink` is readlink(/proc/self/ns/pid).
 */
export function pidNamespaceProblem(nsLink: string | undefined): string | undefined {
  if (nsLink === undefined) return 'the pid namespace of this process is unknown (/proc/self/ns/pid unreadable)';
  const m = /^pid:\[(\d+)\]$/.exec(nsLink);
  if (!m) return `the pid namespace of this process is unknown (/proc/self/ns/pid is ${JSON.stringify(nsLink)})`;
  if (Number(m[1]) === INIT_PID_NS_INODE) return undefined;
  return (
    `this process runs in pid namespace ${nsLink}, not the initial one: processes of other pid namespaces that share ` +
    'this IPC namespace (a sidecar, docker --ipc=container:...) are invisible in its /proc'
  );
}

/** hidepid / subset options of a procfs mount line (/proc/self/mountinfo) that hide processes, or undefined. */
export function procHidingOption(superOptions: string): string | undefined {
  for (const o of superOptions.split(',')) {
    const [k, v] = o.split('=');
    if (k === 'hidepid' && v !== undefined && v !== '0' && v !== 'off') return o;
    if (k === 'subset' && v === 'pid') return o;
  }
  return undefined;
}

/** The super options of the procfs mounted at `mountPoint`, from /proc/self/mountinfo text. */
export function procMountOptions(mountinfo: string, mountPoint = '/proc'): string | undefined {
  let found: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left[4] === mountPoint && right[0] === 'proc') found = right[2] ?? ''; // the last mount wins (stacked)
  }
  return found;
}

export type SyscallState = { nr: number; args: bigint[] } | 'running' | 'none';

/** One /proc/PID/task/TID/syscall text, or undefined when malformed (a number a Number does not hold exactly too). */
export function parseSyscallFile(text: string): SyscallState | undefined {
  const t = text.trim();
  if (t === 'running') return 'running';
  const w = t.split(/\s+/);
  if (!/^-?\d+$/.test(w[0] ?? '')) return undefined;
  const nr = Number(w[0]);
  if (!Number.isSafeInteger(nr)) return undefined;
  if (nr < 0) return 'none';
  if (w.length < 7) return undefined;
  const args: bigint[] = [];
  for (const a of w.slice(1, 7)) {
    if (!/^0x[0-9a-f]+$/i.test(a)) return undefined;
    args.push(BigInt(a));
  }
  return { nr, args };
}

/** A 64-bit register holding a C int (an IPC id): the low 32 bits, signed. */
function intArg(v: bigint | undefined): number {
  return Number(BigInt.asIntN(32, v ?? 0n));
}

const X32_BIT = 0x40000000;
/** ipc(2) multiplexer call numbers (i386 and other compat tasks). */
const IPC_CALLS: Record<number, { call: WaitCall; kind: 'msg' | 'sem' }> = {
  1: { call: 'semop', kind: 'sem' },
  4: { call: 'semtimedop', kind: 'sem' },
  11: { call: 'msgsnd', kind: 'msg' },
  12: { call: 'msgrcv', kind: 'msg' },
};

/**
 * The object a task in syscall `nr` may be blocked on, or undefined when the call cannot block on one.
 * Compat tasks (i386 on x86_64, AArch32 on aarch64) report their own table's numbers; those that do not
 * exist in the native table (or, for i386 ipc(2) = 117, mean setresuid there) are read as the compat call:
 * a false "blocked" keeps a queue, which is the safe side.
 */
export function ipcWaitOf(arch: SyscallArch, nr: number, args: bigint[]): { call: WaitCall; kind: 'msg' | 'sem'; id: number } | undefined {
  if (arch === 'x86_64') {
    const n = nr >= X32_BIT ? nr - X32_BIT : nr;
    if (n === 69) return { call: 'msgsnd', kind: 'msg', id: intArg(args[0]) };
    if (n === 70) return { call: 'msgrcv', kind: 'msg', id: intArg(args[0]) };
    if (n === 65) return { call: 'semop', kind: 'sem', id: intArg(args[0]) };
    if (n === 220) return { call: 'semtimedop', kind: 'sem', id: intArg(args[0]) };
    // i386 compat
    if (n === 400) return { call: 'msgsnd', kind: 'msg', id: intArg(args[0]) };
    if (n === 401) return { call: 'msgrcv', kind: 'msg', id: intArg(args[0]) };
    if (n === 420) return { call: 'semtimedop', kind: 'sem', id: intArg(args[0]) };
    if (n === 117) {
      const c = IPC_CALLS[Number((args[0] ?? 0n) & 0xffffn)];
      if (c) return { call: 'ipc', kind: c.kind, id: intArg(args[1]) };
    }
    return undefined;
  }
  // aarch64 (asm-generic numbers)
  if (nr === 189) return { call: 'msgsnd', kind: 'msg', id: intArg(args[0]) };
  if (nr === 188) return { call: 'msgrcv', kind: 'msg', id: intArg(args[0]) };
  if (nr === 193) return { call: 'semop', kind: 'sem', id: intArg(args[0]) };
  if (nr === 192) return { call: 'semtimedop', kind: 'sem', id: intArg(args[0]) };
  // AArch32 compat (EABI): semop 298, msgsnd 301, msgrcv 302, semtimedop 312, semtimedop_time64 420
  if (nr === 301) return { call: 'msgsnd', kind: 'msg', id: intArg(args[0]) };
  if (nr === 302) return { call: 'msgrcv', kind: 'msg', id: intArg(args[0]) };
  if (nr === 298) return { call: 'semop', kind: 'sem', id: intArg(args[0]) };
  if (nr === 312 || nr === 420) return { call: 'semtimedop', kind: 'sem', id: intArg(args[0]) };
  return undefined;
}

/** The tasks of a scan blocked on this object. */
export function waitsOn(w: TaskWaits, kind: 'msg' | 'sem', id: number): TaskWait[] {
  return w.ok ? w.waits.filter((x) => x.kind === kind && x.id === id) : [];
}

/**
 * Why the object must stay given the scan, or undefined when the scan proves no process is blocked on it:
 * "pid 812 (server) is blocked in msgrcv on it" / "cannot prove that no process is blocked in msgrcv/msgsnd
 * on it: ...".
 */
export function blockedReason(w: TaskWaits, kind: 'msg' | 'sem', id: number): string | undefined {
  const calls = kind === 'msg' ? 'msgrcv/msgsnd' : 'semop/semtimedop';
  if (!w.ok) return `cannot prove that no process is blocked in ${calls} on it: ${w.why}`;
  const on = waitsOn(w, kind, id);
  if (!on.length) {
    if (w.doubts?.length) {
      const d = w.doubts;
      return `cannot prove that no process is about to wait in ${calls} on it: ${d.slice(0, 3).join('; ')}${d.length > 3 ? ` and ${d.length - 3} more` : ''}`;
    }
    return undefined;
  }
  const who = on
    .slice(0, 4)
    .map((x) => `pid ${x.pid}${x.tid !== x.pid ? ` (thread ${x.tid})` : ''}${x.comm ? ` (${x.comm})` : ''} is blocked in ${x.call === 'ipc' ? 'ipc(2)' : x.call}`)
    .join(', ');
  return `${who}${on.length > 4 ? ` and ${on.length - 4} more` : ''} on it: a user the header does not show`;
}

/**
 * Processes blocked in msgrcv/msgsnd (or semop/semtimedop) leave no trace in the object's header: a server
 * sleeping in msgrcv on an otherwise idle queue is a user of it all the same. The kernel shows what a
 * sleeping task is doing in /proc/PID/task/TID/syscall ("NR arg0 .. arg5 sp pc"; "running" while on a CPU;
 * "-1 sp pc" when not in a system call): the System V calls take the object's id as their first argument.
 *
 * Pure: the backend (extension/backend/taskWaits.ts) reads the files and hands their text here. Syscall
 * numbers are per architecture; an unknown architecture proves nothing.
 */

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
export type TaskWaits = { ok: true; waits: TaskWait[]; tasks: number } | { ok: false; why: string };

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

/** One /proc/PID/task/TID/syscall text, or undefined when malformed. */
export function parseSyscallFile(text: string): SyscallState | undefined {
  const t = text.trim();
  if (t === 'running') return 'running';
  const w = t.split(/\s+/);
  if (!/^-?\d+$/.test(w[0] ?? '')) return undefined;
  const nr = Number(w[0]);
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
  if (!on.length) return undefined;
  const who = on
    .slice(0, 4)
    .map((x) => `pid ${x.pid}${x.tid !== x.pid ? ` (thread ${x.tid})` : ''}${x.comm ? ` (${x.comm})` : ''} is blocked in ${x.call === 'ipc' ? 'ipc(2)' : x.call}`)
    .join(', ');
  return `${who}${on.length > 4 ? ` and ${on.length - 4} more` : ''} on it: a user the header does not show`;
}

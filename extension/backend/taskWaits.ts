/**
 * Reads /proc/PID/task/TID/syscall of every task (the parsing is domain/taskWaits.ts) to prove that no
 * process is blocked in msgrcv/msgsnd/semop on an object. The proof fails, and every queue stays, when any
 * task cannot be read (EACCES/EPERM: not root, or a protected process), when /proc hides processes
 * (hidepid, subset=pid), when this process is not in the initial pid namespace (processes of other pid
 * namespaces sharing the IPC namespace are invisible), on an architecture whose syscall numbers are not
 * known, and off Linux.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  ipcWaitOf,
  parseSyscallFile,
  pidNamespaceProblem,
  potentialUser,
  parseTaskStatus,
  procHidingOption,
  procMountOptions,
  syscallArchOf,
  type QueuePerm,
  type TaskWait,
  type TaskWaits,
} from '../domain/taskWaits';

export interface ScanOptions {
  /** procfs root (default /proc). */
  proc?: string;
  /** Node's process.arch (default the running one). */
  arch?: string;
  /**
   * Accept a non-initial pid namespace. Only for tests that run the recycler in a pid namespace created
   * together with the IPC namespace they own (nothing outside can share it); never set by the CLI or VS Code.
   */
  trustPidNamespace?: boolean;
  /**
   * The IPC namespace whose ids the scan is about (`ipc:[N]`), when it is not this process's own: a task
   * blocked on id 5 in another namespace waits on another object.
   */
  ipcNamespace?: string;
  /**
   * The fenced scan right before and under a queue's lock: every task that could use the queue (see
   * domain potentialUser) must be seen asleep somewhere (a running one is re-read a few times: it may be on
   * its way into msgrcv/msgsnd, where the call watch no longer sees it enter) and must run 64-bit code (the
   * kernel does not trace compat system calls). Each exception is a doubt in the result.
   */
  fence?: QueuePerm;
}

/**
 * How long a running task that could use the queue is re-read (its syscall file) before it counts as a doubt,
 * and how long all re-reads of one scan may take together: a task that is merely busy soon sleeps somewhere.
 */
const RUNNING_REREAD_MS = 20;
const RUNNING_REREAD_BUDGET_MS = 200;

/** ELF class of a process's executable: 1 (32-bit), 2 (64-bit), or undefined (gone, a kernel thread, unreadable: `why`). */
function elfClass(proc: string, pid: string): { cls?: number; why?: string } {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(proc, pid, 'exe'), 'r');
    const b = Buffer.alloc(5);
    const n = fs.readSync(fd, b, 0, 5, 0);
    if (n < 5 || b.readUInt32BE(0) !== 0x7f454c46) return { why: 'its executable is not an ELF file' };
    return { cls: b[4] };
  } catch (e) {
    const c = errCode(e);
    if (c === 'ENOENT' || c === 'ESRCH') return {};
    return { why: `cannot read ${proc}/${pid}/exe (${c})` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'EIO';
}

function fail(why: string): TaskWaits {
  return { ok: false, why };
}

export function scanTaskWaits(opts: ScanOptions = {}): TaskWaits {
  if (process.platform !== 'linux') return fail(`blocked processes can only be listed on Linux (this is ${process.platform})`);
  const proc = opts.proc ?? '/proc';
  const arch = syscallArchOf(opts.arch ?? process.arch);
  if (!arch) return fail(`the system call numbers of this architecture (${opts.arch ?? process.arch}) are not known to IPC Explorer`);
  let nsLink: string | undefined;
  try {
    nsLink = fs.readlinkSync(path.join(proc, 'self', 'ns', 'pid'));
  } catch {
    nsLink = undefined;
  }
  const nsWhy = pidNamespaceProblem(nsLink);
  if (nsWhy && !opts.trustPidNamespace) return fail(nsWhy);
  try {
    if (fs.readlinkSync(path.join(proc, 'self')) !== String(process.pid)) {
      return fail(`${proc} is not the procfs of this pid namespace (${proc}/self is not pid ${process.pid})`);
    }
  } catch (e) {
    return fail(`cannot read ${proc}/self (${errCode(e)})`);
  }
  try {
    const hiding = procHidingOption(procMountOptions(fs.readFileSync(path.join(proc, 'self', 'mountinfo'), 'utf8'), proc) ?? '');
    if (hiding) return fail(`${proc} is mounted with ${hiding}: processes may be hidden from this reader`);
  } catch (e) {
    return fail(`cannot read ${proc}/self/mountinfo (${errCode(e)})`);
  }
  let ownIpcNs: string | undefined = opts.ipcNamespace;
  if (ownIpcNs === undefined) {
    try {
      ownIpcNs = fs.readlinkSync(path.join(proc, 'self', 'ns', 'ipc'));
    } catch {
      ownIpcNs = undefined;
    }
  }
  let pids: string[];
  try {
    pids = fs.readdirSync(proc).filter((n) => /^\d+$/.test(n));
  } catch (e) {
    return fail(`cannot list ${proc} (${errCode(e)})`);
  }
  const inOtherIpcNs = (p: string, t: string): boolean => {
    if (!ownIpcNs) return false;
    try {
      return fs.readlinkSync(path.join(proc, p, 'task', t, 'ns', 'ipc')) !== ownIpcNs;
    } catch {
      try {
        return fs.readlinkSync(path.join(proc, p, 'ns', 'ipc')) !== ownIpcNs;
      } catch {
        return false; // unknown namespace: counted as ours
      }
    }
  };
  const waits: TaskWait[] = [];
  const doubts: string[] = [];
  const elf = new Map<string, { cls?: number; why?: string }>();
  const budgetEnd = performance.now() + RUNNING_REREAD_BUDGET_MS;
  const ownPid = String(process.pid);
  let tasks = 0;
  for (const p of pids) {
    let tids: string[];
    try {
      tids = fs.readdirSync(path.join(proc, p, 'task')).filter((n) => /^\d+$/.test(n));
    } catch (e) {
      const c = errCode(e);
      if (c === 'ENOENT' || c === 'ESRCH') continue; // exited meanwhile
      return fail(`cannot list the threads of pid ${p} (${proc}/${p}/task: ${c})`);
    }
    for (const t of tids) {
      const file = path.join(proc, p, 'task', t, 'syscall');
      let text: string;
      try {
        text = fs.readFileSync(file, 'latin1');
      } catch (e) {
        const c = errCode(e);
        if (c === 'ENOENT' || c === 'ESRCH') continue;
        let comm = '';
        try {
          comm = fs.readFileSync(path.join(proc, p, 'comm'), 'utf8').trim();
        } catch {
          // unknown
        }
        return fail(`cannot read ${file} (${c})${comm ? ` of pid ${p} (${comm})` : ''}; run as root (CAP_SYS_PTRACE) to see what every process waits on`);
      }
      tasks++;
      let st = parseSyscallFile(text);
      if (st === undefined) return fail(`cannot parse ${file}: ${JSON.stringify(text.slice(0, 80))}`);
      // this process's own threads run the recycler (node's libuv and V8 threads; the scanning thread itself)
      if (opts.fence && p !== ownPid) {
        let status: string;
        try {
          status = fs.readFileSync(path.join(proc, p, 'task', t, 'status'), 'latin1');
        } catch (e) {
          const c = errCode(e);
          if (c === 'ENOENT' || c === 'ESRCH') continue;
          return fail(`cannot read ${proc}/${p}/task/${t}/status (${c})`);
        }
        const creds = parseTaskStatus(status);
        if (!creds) return fail(`cannot parse the credentials in ${proc}/${p}/task/${t}/status`);
        const why = potentialUser(creds, opts.fence);
        if (why && !inOtherIpcNs(p, t)) {
          const name = () => {
            try {
              return ` (${fs.readFileSync(path.join(proc, p, 'task', t, 'comm'), 'utf8').trim()})`;
            } catch {
              return '';
            }
          };
          const who = () => `pid ${p}${t !== p ? ` thread ${t}` : ''}${name()}`;
          if (!elf.has(p)) elf.set(p, elfClass(proc, p));
          const e = elf.get(p)!;
          if (e.why) doubts.push(`${who()} could use it (${why}) and ${e.why}`);
          else if (e.cls === 1) doubts.push(`${who()} could use it (${why}) and runs 32-bit code, whose system calls the kernel does not trace`);
          const until = Math.min(performance.now() + RUNNING_REREAD_MS, budgetEnd);
          while (st === 'running' && performance.now() < until) {
            try {
              st = parseSyscallFile(fs.readFileSync(file, 'latin1')) ?? 'running';
            } catch {
              st = 'none'; // exited meanwhile
            }
          }
          if (st === 'running') doubts.push(`${who()} could use it (${why}) and was running: it may be on its way into msgrcv/msgsnd`);
        }
      }
      if (st === 'running' || st === 'none') continue;
      const w = ipcWaitOf(arch, st.nr, st.args);
      if (!w) continue;
      // an id in another IPC namespace names another object: only a task proven elsewhere is skipped
      if (inOtherIpcNs(p, t)) continue;
      const wait: TaskWait = { pid: Number(p), tid: Number(t), ...w };
      try {
        wait.comm = fs.readFileSync(path.join(proc, p, 'task', t, 'comm'), 'utf8').trim();
      } catch {
        // no name
      }
      waits.push(wait);
    }
  }
  return opts.fence ? { ok: true, waits, tasks, doubts } : { ok: true, waits, tasks };
}

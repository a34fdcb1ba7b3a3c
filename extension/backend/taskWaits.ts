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
  procHidingOption,
  procMountOptions,
  syscallArchOf,
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
  const waits: TaskWait[] = [];
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
      const st = parseSyscallFile(text);
      if (st === undefined) return fail(`cannot parse ${file}: ${JSON.stringify(text.slice(0, 80))}`);
      if (st === 'running' || st === 'none') continue;
      const w = ipcWaitOf(arch, st.nr, st.args);
      if (!w) continue;
      // an id in another IPC namespace names another object: only a task proven elsewhere is skipped
      if (ownIpcNs) {
        try {
          if (fs.readlinkSync(path.join(proc, p, 'task', t, 'ns', 'ipc')) !== ownIpcNs) continue;
        } catch {
          try {
            if (fs.readlinkSync(path.join(proc, p, 'ns', 'ipc')) !== ownIpcNs) continue;
          } catch {
            // unknown namespace: counted as ours
          }
        }
      }
      const wait: TaskWait = { pid: Number(p), tid: Number(t), ...w };
      try {
        wait.comm = fs.readFileSync(path.join(proc, p, 'task', t, 'comm'), 'utf8').trim();
      } catch {
        // no name
      }
      waits.push(wait);
    }
  }
  return { ok: true, waits, tasks };
}

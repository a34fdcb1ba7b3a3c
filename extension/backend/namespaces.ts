/**
 * Every IPC namespace on this machine, from /proc/PID/ns/ipc and /proc/PID/task/TID/ns/ipc: its member
 * processes, its main process (command, cgroup → container, UTS hostname) and whether this reader can enter
 * it. Reads files; the naming rules are in domain/containers.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeContainer, parseProcCgroup, podFromLogDirs } from '../domain/containers';
import type { IpcNamespaceInfo } from '../shared/namespaces';

/** inode of the kernel's initial IPC namespace (PROC_IPC_INIT_INO). */
export const INIT_IPC_INODE = 4026531839;

export interface DiscoverOptions {
  /** procfs mount (default /proc) */
  proc?: string;
  /** the kubelet's pod log directory (default /var/log/pods) */
  podLogDir?: string;
  /** reads the UTS hostname behind /proc/PID/ns/uts (the native binding); absent: hostnames not read */
  utsNodename?: (nsUtsPath: string) => string;
  /** whether this reader may setns into another IPC namespace (default: CAP_SYS_ADMIN in /proc/self/status) */
  canEnter?: boolean;
}

export interface Discovery {
  namespaces: IpcNamespaceInfo[];
  /** processes whose /proc/PID/ns/ipc could not be read (EACCES: another user, hidepid) */
  unreadable: number;
  warnings: string[];
}

function inodeOf(link: string): number {
  const m = /^ipc:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : 0;
}

function readText(file: string, max = 65536): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(max);
    const n = fs.readSync(fd, buf, 0, max, null);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function ppidOf(proc: string, pid: number): number | undefined {
  const t = readText(path.join(proc, String(pid), 'stat'), 4096);
  if (!t) return undefined;
  const rest = t.slice(t.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(rest[1]);
  return Number.isFinite(ppid) ? ppid : undefined;
}

/** CAP_SYS_ADMIN (bit 21) in this process's effective set. */
export function hasCapSysAdmin(proc = '/proc'): boolean {
  const t = readText(path.join(proc, 'self', 'status'));
  const m = t ? /^CapEff:\s*([0-9a-f]+)$/m.exec(t) : null;
  if (!m) return false;
  return (BigInt('0x' + m[1]) & (1n << 21n)) !== 0n;
}

/** The initial namespace as this reader can tell it: the kernel constant, or pid 1's when readable. */
function initialInode(proc: string): number {
  try {
    return inodeOf(fs.readlinkSync(path.join(proc, '1', 'ns', 'ipc'))) || INIT_IPC_INODE;
  } catch {
    return INIT_IPC_INODE;
  }
}

export function discoverNamespaces(opts: DiscoverOptions = {}): Discovery {
  const proc = opts.proc ?? '/proc';
  const warnings: string[] = [];
  let own = '';
  try {
    own = fs.readlinkSync(path.join(proc, 'thread-self', 'ns', 'ipc'));
  } catch {
    try {
      own = fs.readlinkSync(path.join(proc, 'self', 'ns', 'ipc'));
    } catch {
      own = '';
    }
  }
  const initial = initialInode(proc);
  const members = new Map<string, { pids: number[]; threads: string[] }>();
  const group = (ns: string) => {
    let g = members.get(ns);
    if (!g) members.set(ns, (g = { pids: [], threads: [] }));
    return g;
  };
  let unreadable = 0;
  let names: string[] = [];
  try {
    names = fs.readdirSync(proc);
  } catch (e) {
    warnings.push(`${proc}: ${(e as Error).message}`);
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    let ns: string;
    try {
      ns = fs.readlinkSync(path.join(proc, name, 'ns', 'ipc'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') unreadable++;
      continue;
    }
    group(ns).pids.push(pid);
    // a thread that called setns(CLONE_NEWIPC) is in another namespace than its process
    let tids: string[] = [];
    try {
      tids = fs.readdirSync(path.join(proc, name, 'task'));
    } catch {
      tids = [];
    }
    if (tids.length <= 1) continue;
    for (const tid of tids) {
      if (tid === name) continue;
      try {
        const tns = fs.readlinkSync(path.join(proc, name, 'task', tid, 'ns', 'ipc'));
        if (tns !== ns) group(tns).threads.push(`${pid}/${tid}`);
      } catch {
        // thread gone or unreadable: its process was counted
      }
    }
  }

  const canEnter = opts.canEnter ?? hasCapSysAdmin(proc);
  let podDirs: string[] | undefined;
  const out: IpcNamespaceInfo[] = [];
  for (const [ns, g] of members) {
    const inode = inodeOf(ns);
    g.pids.sort((a, b) => a - b);
    const set = new Set(g.pids);
    let mainPid = 0;
    for (const p of g.pids) {
      const pp = ppidOf(proc, p);
      if (pp !== undefined && !set.has(pp)) {
        mainPid = p;
        break;
      }
    }
    if (!mainPid) mainPid = g.pids[0] ?? Number(g.threads[0]?.split('/')[0] ?? 0);
    const onlyThread = g.pids.length === 0 ? g.threads[0] : undefined;
    const nsPath = onlyThread
      ? path.join(proc, onlyThread.split('/')[0]!, 'task', onlyThread.split('/')[1]!, 'ns', 'ipc')
      : path.join(proc, String(mainPid), 'ns', 'ipc');
    const info: IpcNamespaceInfo = {
      ns,
      inode,
      own: ns === own,
      initial: inode === initial,
      pids: g.pids,
      mainPid,
      nsPath,
      label: '',
      enterable: true,
    };
    if (g.threads.length) info.threads = g.threads;
    const comm = readText(path.join(proc, String(mainPid), 'comm'), 256)?.trim();
    if (comm) info.comm = comm;
    const cmdline = readText(path.join(proc, String(mainPid), 'cmdline'), 4096)?.replace(/\0+$/, '').replace(/\0/g, ' ');
    if (cmdline) info.cmdline = cmdline;
    // the main process's cgroup, else the first member whose cgroup names a container
    for (const p of [mainPid, ...g.pids.slice(0, 8)]) {
      const text = readText(path.join(proc, String(p), 'cgroup'));
      const c = text ? parseProcCgroup(text) : undefined;
      if (c) {
        info.container = c;
        break;
      }
    }
    if (info.container?.podUid) {
      if (podDirs === undefined) {
        try {
          podDirs = fs.readdirSync(opts.podLogDir ?? '/var/log/pods');
        } catch {
          podDirs = [];
        }
      }
      const pod = podFromLogDirs(podDirs, info.container.podUid);
      if (pod) info.pod = pod;
    }
    if (!info.own && !canEnter) {
      info.enterable = false;
      info.reason = 'entering another IPC namespace needs CAP_SYS_ADMIN (run as root, or with sudo)';
    }
    if (opts.utsNodename && !info.own && canEnter) {
      try {
        info.hostname = opts.utsNodename(path.join(proc, String(mainPid), 'ns', 'uts'));
      } catch {
        // hostname is a nicety: the namespace is still listed
      }
    } else if (info.own) {
      info.hostname = os.hostname();
    }
    info.label = namespaceLabel(info);
    out.push(info);
  }
  out.sort((a, b) => rank(a) - rank(b) || a.mainPid - b.mainPid);
  if (unreadable) {
    const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
    warnings.push(
      `${unreadable} process${unreadable === 1 ? '' : 'es'}' /proc/PID/ns/ipc could not be read ` +
        (root
          ? '(denied even to root: ptrace access mode, e.g. pid 1 in some sandboxes): their namespaces may be missing'
          : "(another user's, or hidepid): their namespaces may be missing (run as root to see every namespace)"),
    );
  }
  return { namespaces: out, unreadable, warnings };
}

function rank(n: IpcNamespaceInfo): number {
  return n.initial ? 0 : n.own ? 1 : 2;
}

/** `host`, `docker 2403ccfe427f · postgres`, `ipc:[4026532181] · sleep (pid 123)`. */
export function namespaceLabel(n: IpcNamespaceInfo): string {
  if (n.initial) return 'host';
  const what = n.container ? describeContainer(n.container, n.pod) : n.ns;
  const cmd = n.comm ? ` · ${n.comm}` : '';
  return `${what}${cmd}${n.container ? '' : ` (pid ${n.mainPid})`}${n.own ? ' (this namespace)' : ''}`;
}

/**
 * Which namespace a `--namespace` argument names: a pid (the namespace of that process), `ipc:[N]` or `N`
 * (an inode), or a label/container name/id prefix (unique). Undefined with a reason otherwise.
 */
export function findNamespace(list: readonly IpcNamespaceInfo[], spec: string): { ns: IpcNamespaceInfo } | { error: string } {
  const s = spec.trim();
  const byIno = /^(?:ipc:\[)?(\d{6,})\]?$/.exec(s);
  if (byIno) {
    const n = list.find((x) => x.inode === Number(byIno[1]));
    if (n) return { ns: n };
  }
  if (/^\d+$/.test(s)) {
    const pid = Number(s);
    const n = list.find((x) => x.pids.includes(pid) || x.threads?.some((t) => t.split('/')[1] === s));
    return n ? { ns: n } : { error: `no IPC namespace holds pid ${pid} (gone, or its /proc/PID/ns/ipc is unreadable)` };
  }
  if (s === 'host') {
    const n = list.find((x) => x.initial);
    return n ? { ns: n } : { error: 'the host namespace is not visible' };
  }
  const hits = list.filter(
    (x) =>
      x.label === s ||
      x.container?.name === s ||
      (x.container?.id !== undefined && s.length >= 4 && x.container.id.startsWith(s)) ||
      (x.pod !== undefined && (`${x.pod.namespace}/${x.pod.name}` === s || x.pod.name === s)) ||
      x.hostname === s,
  );
  if (hits.length === 1) return { ns: hits[0]! };
  if (hits.length > 1) return { error: `"${s}" names ${hits.length} namespaces (${hits.map((h) => h.ns).join(', ')}): give a pid or ipc:[N]` };
  return { error: `no IPC namespace is named "${s}" (see ipcx namespaces)` };
}

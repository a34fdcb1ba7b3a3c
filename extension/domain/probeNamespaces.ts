/**
 * The `ns-*` and `ns.INODE.*` sections of a Linux probe run with `want_ns=1`: per other IPC namespace of the
 * host its main pid, command, cgroup (-> container) and /dev/shm statfs, and, when it was entered, its
 * /proc/sysvipc tables and limits, collected into HostFacts by the same code as the host's own
 * (linuxProbeFacts) and assembled into one snapshot each (no POSIX objects: those are listed for the probe's
 * own namespace only). The host-wide sections (clock, page size, pid facts, whose pids are the probe's pid
 * numbers) are shared. Pure.
 */
import type { IpcSnapshot } from '../shared/model';
import type { IpcNamespaceInfo, NamespaceSnapshot } from '../shared/namespaces';
import { assembleSnapshot } from './assembleSnapshot';
import { describeContainer, parseProcCgroup } from './containers';
import { firstLine, intOf, type ProbeDocument } from './probeDocument';
import { linuxProbeFacts, type ProbeHead } from './probeLinux';

/** What a probe with `want_ns=1` found: every other IPC namespace of the host, each read or why not. */
export interface RemoteNamespaces {
  /** how the probe entered them: `root`, `sudo`, or undefined with `cannotEnter` saying why it could not */
  enteredAs?: 'root' | 'sudo';
  cannotEnter?: string;
  /** processes whose /proc/PID/ns/ipc the probe could not read (their namespaces may be missing) */
  unreadable: number;
  /** the other namespaces (not the probe's own), by inode */
  list: NamespaceSnapshot[];
}

/** The kernel's initial IPC namespace (PROC_IPC_INIT_INO). */
const INIT_IPC_INODE = 4026531839;

/** Text from a host, printable ASCII only and bounded. */
export function printable(s: string): string {
  const t = s.replace(/[^\x20-\x7e]/g, '?');
  return t.length > 300 ? t.slice(0, 300) + '...' : t;
}

const ENTER_WHY: Record<string, (uid: number | undefined) => string> = {
  'no-nsenter': () => 'nsenter is not installed on the host (util-linux): other IPC namespaces cannot be entered',
  'no-sudo': (uid) => `the probe runs as uid ${uid ?? '?'} (not root) and \`sudo -n nsenter\` was refused (no passwordless sudo for nsenter): other IPC namespaces cannot be entered`,
  none: (uid) => `the probe runs as uid ${uid ?? '?'} (not root) and the host has no sudo: other IPC namespaces cannot be entered (connect as root, or use a host with passwordless sudo)`,
};

/** The host-wide sections every namespace's facts share. */
const SHARED = ['uname', 'hostname', 'uid', 'now', 'tz', 'btime', 'clktck', 'pidns', 'nspid', 'procmount', 'groups', 'clock', 'pagesize', 'pids'];

export function parseNamespaces(doc: ProbeDocument, head: ProbeHead): RemoteNamespaces {
  const host = head.host;
  const how = firstLine(doc.sections.get('ns-enter'));
  const out: RemoteNamespaces = { unreadable: intOf(doc.sections.get('ns-unreadable')) ?? 0, list: [] };
  if (how === 'root' || how === 'sudo') out.enteredAs = how;
  else out.cannotEnter = (ENTER_WHY[how] ?? ENTER_WHY.none!)(head.uid);
  for (const line of (doc.sections.get('ns-list') ?? '').split('\n')) {
    const m = /^(\d{1,20}) (\d{1,10})$/.exec(line.trim());
    if (!m) continue;
    const inode = Number(m[1]);
    const meta = doc.sections.get(`ns.${m[1]}.meta`);
    if (meta === undefined) continue; // the probe's own namespace (or one that vanished before it was read)
    let mainPid = Number(m[2]);
    let comm: string | undefined;
    const cgroup: string[] = [];
    let devShm: IpcSnapshot['devShm'];
    for (const l of meta.split('\n')) {
      if (l.startsWith('pid ')) mainPid = intOf(l.slice(4)) ?? mainPid;
      else if (l.startsWith('comm ')) comm = printable(l.slice(5).trim()).slice(0, 64);
      else if (l.startsWith('g ')) cgroup.push(l.slice(2));
      else if (l.startsWith('devshm ')) {
        const d = /^devshm (\d{1,10}) (\d{1,20}) (\d{1,20}) (\d{1,20}) (\S{1,32})$/.exec(l);
        if (d) {
          const bs = Number(d[1]);
          devShm = { path: `/proc/${mainPid}/root/dev/shm`, size: bs * Number(d[2]), used: bs * (Number(d[2]) - Number(d[3])), avail: bs * Number(d[4]), fsType: d[5]! };
        }
      }
    }
    const ns = `ipc:[${inode}]`;
    const container = parseProcCgroup(cgroup.join('\n'));
    const info: IpcNamespaceInfo = {
      ns, inode, own: false, initial: inode === INIT_IPC_INODE, pids: [mainPid], mainPid, nsPath: `/proc/${mainPid}/ns/ipc`,
      label: '', enterable: out.enteredAs !== undefined,
    };
    if (comm) info.comm = comm;
    if (container) info.container = container;
    const what = container ? describeContainer(container) : ns;
    info.label = info.initial ? 'host' : `${what}${comm ? ` · ${comm}` : ''}${container ? '' : ` (pid ${mainPid})`}`;
    if (out.cannotEnter) {
      info.reason = out.cannotEnter;
      out.list.push({ namespace: info, error: { code: 'EPERM', syscall: 'nsenter', op: 'CLONE_NEWIPC', message: `${host}: ${info.label}: ${out.cannotEnter}` } });
      continue;
    }
    const err = doc.sections.get(`ns.${m[1]}.error`);
    if (err !== undefined || !doc.sections.has(`ns.${m[1]}.limits`)) {
      const text = printable((err ?? '').split('\n').map((x) => x.replace(/^! ?/, '')).join(' / ').trim()).slice(0, 300);
      const gone = /No such file|No such process/.test(text);
      out.list.push({
        namespace: info,
        error: {
          code: gone ? 'ENOENT' : 'EPERM', syscall: 'nsenter', op: 'CLONE_NEWIPC',
          message: `${host}: ${info.label}: ${gone ? 'its processes exited: the namespace is gone' : 'nsenter failed'}${text ? ` (${text})` : ''}`,
          ...(gone ? {} : { hint: 'nsenter -t PID -i needs CAP_SYS_ADMIN on the host (root, or sudo).' }),
        },
      });
      continue;
    }
    const sub = new Map<string, string>();
    for (const k of SHARED) {
      const v = doc.sections.get(k);
      if (v !== undefined) sub.set(k, v);
    }
    for (const k of ['sysvipc-sem', 'sysvipc-shm', 'sysvipc-msg', 'limits']) {
      const v = doc.sections.get(`ns.${m[1]}.${k}`);
      if (v !== undefined) sub.set(k, v);
    }
    sub.set('ipcns', ns);
    const f = linuxProbeFacts({ ...doc, sections: sub, preamble: '' }, { ...head, warnings: [] });
    if (!f.ok) {
      out.list.push({ namespace: info, error: f.error });
      continue;
    }
    const s = assembleSnapshot(f.value);
    s.namespaceLabel = info.label;
    if (devShm) s.devShm = devShm;
    else delete s.devShm;
    // the probe's own namespace's reader view and POSIX listing do not describe this one
    delete s.reader;
    out.list.push({ namespace: info, snapshot: s });
  }
  return out;
}

/**
 * The `ns-*` and `ns.INODE.*` sections of a Linux probe run with `want_ns=1`: per other IPC namespace of the
 * host its main pid, command, cgroup (-> container) and /dev/shm statfs, and, when it was entered, its
 * /proc/sysvipc tables and limits, collected into HostFacts by the same code as the host's own
 * (linuxProbeFacts) and assembled into one snapshot each. The probe runs itself inside each namespace
 * (`nsenter -t PID -i -u`, the host's mount namespace and /proc), so each has its own objects, limits, UTS
 * hostname, pid facts (the host's pid numbers) and POSIX objects (its /dev/shm as /proc/PID/root/dev/shm). With
 * `want_ns=list` the same listing comes without any namespace entered (section `ns-mode` says `list`). Pure.
 */
import type { IpcSnapshot } from '../shared/model';
import type { IpcNamespaceInfo, NamespaceSnapshot } from '../shared/namespaces';
import { assembleSnapshot } from './assembleSnapshot';
import { describeContainer, parseProcCgroup } from './containers';
import { firstLine, intOf, type ProbeDocument } from './probeDocument';
import { linuxProbeFacts, type ProbeHead } from './probeLinux';

/** What a probe with `want_ns=1` found: every other IPC namespace of the host, each read or why not. */
export interface RemoteNamespaces {
  /** how the probe entered them (listed only: how it could): `root`, `sudo`, or undefined with `cannotEnter` saying why it could not */
  enteredAs?: 'root' | 'sudo';
  cannotEnter?: string;
  /** listed only (`want_ns=list`): no namespace was entered, the entries carry neither snapshot nor error
   * (unless they cannot be entered: then `cannotEnter` is their error, as when read) */
  listedOnly?: boolean;
  /** processes whose /proc/PID/ns/ipc the probe could not read (their namespaces may be missing) */
  unreadable: number;
  /** the other namespaces (not the probe's own), by inode */
  list: NamespaceSnapshot[];
  /** the processes in the probe's own namespace (as far as the probe could read /proc/PID/ns/ipc) */
  ownPids: number[];
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


/** Why the probe could not enter other namespaces (`no-nsenter`, `no-sudo`, `none`), for a person. */
export function cannotEnterWhy(how: string, uid: number | undefined): string {
  // own keys only: a host's answer __proto__ or hasOwnProperty would find Object.prototype's member
  return (Object.hasOwn(ENTER_WHY, how) ? ENTER_WHY[how]! : ENTER_WHY.none!)(uid);
}

export function parseNamespaces(doc: ProbeDocument, head: ProbeHead): RemoteNamespaces {
  const host = head.host;
  const how = firstLine(doc.sections.get('ns-enter'));
  const out: RemoteNamespaces = { unreadable: intOf(doc.sections.get('ns-unreadable')) ?? 0, list: [], ownPids: [] };
  if (how === 'root' || how === 'sudo') out.enteredAs = how;
  else out.cannotEnter = cannotEnterWhy(how, head.uid);
  if (firstLine(doc.sections.get('ns-mode')) === 'list') out.listedOnly = true;
  // `INODE PID` for every process, sorted by inode then pid: the first pid of an inode is the one entered
  const members = new Map<string, number[]>();
  for (const line of (doc.sections.get('ns-list') ?? '').split('\n')) {
    const m = /^(\d{1,20}) (\d{1,10})$/.exec(line.trim());
    if (!m) continue;
    const l = members.get(m[1]!);
    if (l) l.push(Number(m[2]));
    else members.set(m[1]!, [Number(m[2])]);
  }
  const own = /^ipc:\[(\d{1,20})\]$/.exec(firstLine(doc.sections.get('ipcns')))?.[1];
  if (own !== undefined) out.ownPids = members.get(own) ?? [];
  for (const [ino, pids] of members) {
    const m = [ino, ino, String(pids[0])] as const;
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
      ns, inode, own: false, initial: inode === INIT_IPC_INODE, pids, mainPid, nsPath: `/proc/${mainPid}/ns/ipc`,
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
    if (out.listedOnly) {
      out.list.push({ namespace: info });
      continue;
    }
    const err = doc.sections.get(`ns.${m[1]}.error`);
    if (err !== undefined || !doc.sections.has(`ns.${m[1]}.limits`) || !doc.sections.has(`ns.${m[1]}.ipcns`)) {
      const text = printable((err ?? '').split('\n').map((x) => x.replace(/^! ?/, '')).join(' / ').trim()).slice(0, 300);
      const gone = /No such file|No such process/.test(text);
      out.list.push({
        namespace: info,
        error: {
          code: gone ? 'ENOENT' : 'EPERM', syscall: 'nsenter', op: 'CLONE_NEWIPC',
          message: `${host}: ${info.label}: ${gone ? 'its processes exited: the namespace is gone' : 'nsenter failed'}${text ? ` (${text})` : ''}`,
          ...(gone ? {} : { hint: 'nsenter -t PID -i -u needs CAP_SYS_ADMIN on the host (root, or sudo).' }),
        },
      });
      continue;
    }
    // the whole probe ran inside it: its sections, named ns.INODE.NAME
    const prefix = `ns.${m[1]}.`;
    const sub = new Map<string, string>();
    for (const [k, v] of doc.sections) if (k.startsWith(prefix) && k !== `${prefix}meta`) sub.set(k.slice(prefix.length), v);
    const seen = firstLine(sub.get('ipcns'));
    if (seen !== ns) {
      out.list.push({ namespace: info, error: { code: 'ECHANGED', syscall: 'nsenter', op: 'CLONE_NEWIPC', message: `${host}: ${info.label}: pid ${mainPid} is in ${printable(seen) || 'an unknown namespace'} now, not ${ns}: nothing read` } });
      continue;
    }
    // entered with nsenter -u too: the probe's hostname inside is the namespace's UTS hostname
    const hostname = printable(firstLine(sub.get('hostname'))).slice(0, 64);
    if (hostname) info.hostname = hostname;
    const f = linuxProbeFacts({ ...doc, sections: sub, preamble: '' }, { ...head, warnings: [] });
    if (!f.ok) {
      out.list.push({ namespace: info, error: f.error });
      continue;
    }
    const s = assembleSnapshot(f.value);
    s.namespaceLabel = info.label;
    if (!s.devShm && devShm) s.devShm = devShm;
    out.list.push({ namespace: info, snapshot: s });
  }
  return out;
}

/** The namespace an SSH host's probe runs in, as a namespace entry (listed first). */
export function remoteOwnInfo(snapshot: Pick<IpcSnapshot, 'ipcNamespace' | 'hostname'>, pids: number[]): IpcNamespaceInfo {
  const ns = snapshot.ipcNamespace ?? 'ipc:[?]';
  const inode = Number(/\d+/.exec(ns)?.[0] ?? 0);
  const info: IpcNamespaceInfo = {
    ns, inode, own: true, initial: inode === INIT_IPC_INODE, pids, mainPid: pids[0] ?? 0, nsPath: '/proc/self/ns/ipc',
    label: inode === INIT_IPC_INODE ? 'host' : `${ns} (the probe's own)`, enterable: true,
  };
  if (snapshot.hostname) info.hostname = snapshot.hostname;
  return info;
}

/**
 * An SSH host's namespaces as discovery lists them (the probe's own first, then the others as the probe
 * listed them), with the probe's reasons as warnings: what the tree's host -> namespace level shows.
 */
export function remoteDiscovery(host: string, snapshot: Pick<IpcSnapshot, 'ipcNamespace' | 'hostname'>, n: RemoteNamespaces): { namespaces: IpcNamespaceInfo[]; unreadable: number; warnings: string[] } {
  const warnings: string[] = [];
  if (n.cannotEnter) warnings.push(`${host}: ${n.cannotEnter}`);
  if (n.unreadable) warnings.push(`${host}: ${n.unreadable} process(es)' /proc/PID/ns/ipc could not be read: their namespaces may be missing`);
  const list = n.list.map((e) => e.namespace);
  return { namespaces: [remoteOwnInfo(snapshot, n.ownPids), ...list], unreadable: n.unreadable, warnings };
}

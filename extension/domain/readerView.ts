/**
 * What a reader can see of the process table (pure: text in, ReaderView out), for the local sources and
 * the SSH probe alike:
 * - its pid namespace, and whether that is the kernel's initial one. The kernel reports a pid it cannot map
 *   into the reader's pid namespace as 0 (pid_vnr), so only in the initial namespace is a 0 pid proof that
 *   the field was never set;
 * - whether the /proc it reads belongs to its own pid namespace (`NSpid:` in /proc/self/status lists one pid
 *   per namespace from the /proc mount's down to the reader's: one entry = the same namespace). A /proc of
 *   another namespace numbers processes differently from the pids the kernel reports to this reader;
 * - /proc's hidepid mount option (hidepid=1: other users' /proc/PID unreadable, 2: invisible);
 * - realtime - boottime, read together, to compare object times with process start times on the boot clock.
 */
import type { ReaderView } from '../shared/model';
import { decimalUpTo, U32_MAX } from '../shared/decimal';

/** `pid:[inode]` of the kernel's initial pid namespace (PROC_PID_INIT_INO = 0xEFFFFFFC, fixed since Linux 3.8). */
export const INIT_PID_NS = 'pid:[4026531836]';

export interface ReaderViewInput {
  /** readlink /proc/self/ns/pid */
  pidNsLink?: string;
  /** readlink /proc/self, and the reader's own pid: equal only when /proc is the reader's pid namespace */
  selfLink?: string;
  ownPid?: number;
  /** /proc/self/status (its NSpid line) */
  selfStatus?: string;
  /** /proc/self/mountinfo, and where the /proc being read is mounted */
  mountinfo?: string;
  procMountPoint?: string;
  /** /proc/uptime */
  uptime?: string;
  /** realtime (seconds since the epoch) right before and right after /proc/uptime was read, widened by the clock's resolution */
  realtime?: [number, number];
  euid?: number;
  /** the reader's groups (effective gid first) */
  groups?: number[];
}

const HIDEPID: Record<string, NonNullable<ReaderView['hidepid']>> = {
  '0': 'off', off: 'off', '1': 'noaccess', noaccess: 'noaccess', '2': 'invisible', invisible: 'invisible', '4': 'ptraceable', ptraceable: 'ptraceable',
};

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** hidepid and gid= of the proc mount at `mountPoint` (the last such line: the one on top). */
export function procMountOptions(mountinfo: string, mountPoint: string): { hidepid: NonNullable<ReaderView['hidepid']>; gid?: number } | undefined {
  let found: { hidepid: NonNullable<ReaderView['hidepid']>; gid?: number } | undefined;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    if (pre.length < 6 || post[0] !== 'proc' || unescapeMount(pre[4]) !== mountPoint) continue;
    const opts = (post[2] ?? '').split(',');
    let hidepid: NonNullable<ReaderView['hidepid']> = 'off';
    let gid: number | undefined;
    for (const o of opts) {
      const m = /^hidepid=(\w+)$/.exec(o);
      // an unknown value (hidepid=constructor too, not Object.prototype's member): assume the most hiding
      if (m) hidepid = Object.hasOwn(HIDEPID, m[1]) ? HIDEPID[m[1]]! : 'invisible';
      // a gid as the kernel prints one; anything else (leading zeros, 400 digits) names no group, so the
      // reader is not taken for a member of it
      const g = /^gid=(.*)$/.exec(o);
      if (g) gid = decimalUpTo(g[1], U32_MAX);
    }
    found = gid === undefined ? { hidepid } : { hidepid, gid };
  }
  return found;
}

/** Number of entries of the `NSpid:` line, undefined when the kernel has none (before 4.1). */
export function nspidDepth(status: string): number | undefined {
  const m = /^NSpid:[ \t]*(.*)$/m.exec(status);
  if (!m) return undefined;
  const n = m[1].trim().split(/\s+/).filter((x) => /^\d+$/.test(x)).length;
  return n > 0 ? n : undefined;
}

/** The first number of /proc/uptime: seconds on the boot clock (10 ms resolution); undefined unless finite. */
export function parseUptime(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s/.exec(text + ' ');
  // 400 digits read as Infinity, which would make the clock offset -Infinity
  return m && Number.isFinite(Number(m[1])) ? Number(m[1]) : undefined;
}

export function parseReaderView(i: ReaderViewInput): ReaderView {
  const v: ReaderView = {};
  if (i.pidNsLink && /^pid:\[\d+\]$/.test(i.pidNsLink)) {
    v.pidNs = i.pidNsLink;
    v.initialPidNs = i.pidNsLink === INIT_PID_NS;
  }
  const depth = i.selfStatus !== undefined ? nspidDepth(i.selfStatus) : undefined;
  if (depth !== undefined) v.procIsOwnPidNs = depth === 1;
  else if (i.selfLink !== undefined && i.ownPid !== undefined) v.procIsOwnPidNs = i.selfLink === String(i.ownPid);
  if (i.mountinfo !== undefined && i.procMountPoint !== undefined) {
    const o = procMountOptions(i.mountinfo, i.procMountPoint);
    if (o) {
      v.hidepid = o.hidepid;
      if (o.hidepid !== 'off') {
        const inGroup = o.gid !== undefined && (i.groups ?? []).includes(o.gid) && o.hidepid !== 'ptraceable';
        if (i.euid !== undefined) v.hidepidExempt = i.euid === 0 || inGroup;
      }
    }
  }
  const up = i.uptime !== undefined ? parseUptime(i.uptime) : undefined;
  if (up !== undefined && i.realtime && i.realtime[1] >= i.realtime[0]) {
    const [lo, hi] = i.realtime;
    v.clockOffset = (lo + hi) / 2 - up;
    v.clockOffsetError = (hi - lo) / 2 + 0.01;
  }
  return v;
}

/**
 * Process facts from /proc/PID/{stat,status,comm,cmdline} and /proc/stat, as plain text in, ProcessFact
 * out. The start time lets the core tell a live original process from a newer one that reuses its pid.
 */
import type { IpcErrorInfo, IpcObject, ProcessFact } from '../shared/model';

export interface ProcStat {
  pid: number;
  /** the command name between the parentheses (may itself hold spaces and parentheses) */
  comm: string;
  state: string;
  ppid: number;
  /** field 22: start time in clock ticks since boot */
  starttime: number;
}

/**
 * Parses /proc/PID/stat. The comm field is everything between the first '(' and the LAST ')' (a process
 * can name itself `a) b (c`); fields are counted from there: state is field 3, starttime field 22.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pidText = text.slice(0, open).trim();
  if (!/^\d+$/.test(pidText)) return undefined;
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state); field N is rest[N - 3]
  if (rest.length < 20) return undefined;
  const ppid = Number(rest[1]);
  const starttime = Number(rest[19]);
  if (!Number.isFinite(ppid) || !/^\d+$/.test(rest[19])) return undefined;
  return { pid: Number(pidText), comm: text.slice(open + 1, close), state: rest[0], ppid, starttime };
}

/** `btime` (boot time, seconds since the epoch) from /proc/stat. */
export function parseBootTime(procStat: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(procStat);
  return m ? Number(m[1]) : undefined;
}

/** The real uid (first number of the `Uid:` line) from /proc/PID/status. */
export function parseStatusUid(status: string): number | undefined {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/** /proc/PID/cmdline (NUL-separated) as one space-separated line; undefined for kernel threads (empty). */
export function parseCmdline(raw: string): string | undefined {
  const s = raw.replace(/\0+$/, '').split('\0').join(' ');
  return s.length ? s : undefined;
}

export interface ProcessFiles {
  pid: number;
  /** /proc/PID/stat; undefined when the process does not exist (ENOENT) */
  stat?: string;
  comm?: string;
  cmdline?: string;
  status?: string;
  /** readlink of /proc/PID/ns/ipc */
  nsIpc?: string;
  /** an error reading the files of a process that exists (EACCES ...) */
  error?: IpcErrorInfo;
}

/**
 * Assembles a ProcessFact. `btime` comes from /proc/stat, `clkTck` is sysconf(_SC_CLK_TCK) (USER_HZ: 100
 * on every mainstream Linux architecture). startTime = btime + starttime / clkTck, rounded down; btime is
 * itself whole seconds, so compare start times with a second of slack (see startedAfter).
 */
export function buildProcessFact(files: ProcessFiles, btime: number | undefined, clkTck: number): ProcessFact {
  const fact: ProcessFact = { pid: files.pid, alive: files.stat !== undefined };
  if (files.stat !== undefined) {
    const st = parseProcStat(files.stat);
    if (st) {
      fact.comm = st.comm;
      if (btime !== undefined && clkTck > 0) fact.startTime = btime + Math.floor(st.starttime / clkTck);
      if (st.state === 'Z' || st.state === 'X') fact.alive = false; // a zombie holds no IPC state
    }
  }
  if (files.comm !== undefined) fact.comm = files.comm.replace(/\n$/, '');
  if (files.cmdline !== undefined) {
    const c = parseCmdline(files.cmdline);
    if (c !== undefined) fact.cmdline = c;
  }
  if (files.status !== undefined) {
    const uid = parseStatusUid(files.status);
    if (uid !== undefined) fact.uid = uid;
  }
  if (files.nsIpc !== undefined) fact.ipcNs = files.nsIpc;
  if (files.error) fact.error = files.error;
  return fact;
}

/**
 * True only when the process is known to have started after `epochSeconds` (beyond `slackSeconds` of
 * rounding): then a pid recorded at that time belonged to another, older process (pid reuse). False when
 * it started before, or when the start time is unknown: not proven, so callers keep treating the pid as
 * the original (no removal on doubt).
 */
export function startedAfter(fact: ProcessFact | undefined, epochSeconds: number, slackSeconds = 1): boolean {
  if (!fact || !fact.alive || fact.startTime === undefined || !epochSeconds) return false;
  return fact.startTime > epochSeconds + slackSeconds;
}

/** Every pid an object list mentions (cpid/lpid/lspid/lrpid/sempid/attachers), without 0, ascending. */
export function pidsOf(objects: Iterable<IpcObject>): number[] {
  const set = new Set<number>();
  const add = (v: number | undefined) => {
    if (v !== undefined && v > 0) set.add(v);
  };
  for (const o of objects) {
    switch (o.kind) {
      case 'sem':
        if (o.elems) for (const e of o.elems) add(e.pid);
        break;
      case 'shm':
        add(o.cpid);
        add(o.lpid);
        if (o.attachers) for (const p of o.attachers) add(p);
        break;
      case 'msg':
        add(o.lspid);
        add(o.lrpid);
        break;
      case 'posixSem':
      case 'posixShm':
        if (o.attachers) for (const p of o.attachers) add(p);
        break;
    }
  }
  return [...set].sort((a, b) => a - b);
}

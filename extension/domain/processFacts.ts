/**
 * Process facts from /proc/PID/{stat,status,comm,cmdline} and /proc/stat, as plain text in, ProcessFact
 * out. The start time lets the core tell a live original process from a newer one that reuses its pid.
 *
 * Liveness has three answers (decideLiveness): `alive` (the process is visible: its /proc/PID/stat was read),
 * `dead` (proven: no such process in the reader's pid namespace) and `unknown` (the reader cannot see: /proc
 * hides it, /proc belongs to another pid namespace, or a source did not say). A pid that exists but cannot be
 * read is `unknown`, not `alive`: without its start time it may be a later process that reuses the pid, and
 * `unknown` keeps every object it touches just the same.
 */
import type { IpcErrorInfo, IpcObject, Liveness, ProcessFact, ReaderView } from '../shared/model';
import { wholeDecimal } from '../shared/decimal';

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
 * can name itself `a) b (c`); fields are counted from there: state is field 3, starttime field 22. pid, ppid
 * and starttime are whole decimals as the kernel prints them: anything else (`-0`, `0x10`, `1e3`, a number a
 * Number does not hold exactly) is no stat of a process: undefined.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pidText = text.slice(0, open).trim();
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state); field N is rest[N - 3]
  if (rest.length < 20) return undefined;
  const [pid, ppid, starttime] = [pidText, rest[1], rest[19]].map(wholeDecimal);
  if (pid === undefined || ppid === undefined || starttime === undefined) return undefined;
  return { pid, comm: text.slice(open + 1, close), state: rest[0], ppid, starttime };
}

/** `btime` (boot time, seconds since the epoch) from /proc/stat. */
export function parseBootTime(procStat: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(procStat);
  return wholeDecimal(m?.[1]);
}

/** The real uid (first number of the `Uid:` line) from /proc/PID/status. */
export function parseStatusUid(status: string): number | undefined {
  const m = /^Uid:\s+(\d+)(?=\s|$)/m.exec(status);
  return wholeDecimal(m?.[1]);
}

/** /proc/PID/cmdline (NUL-separated) as one space-separated line; undefined for kernel threads (empty). */
export function parseCmdline(raw: string): string | undefined {
  const s = raw.replace(/\0+$/, '').split('\0').join(' ');
  return s.length ? s : undefined;
}

/** What `kill(pid, 0)` answered: 'ok' (exists, we may signal it), 'ESRCH' (no such process), 'EPERM' (exists). */
export type KillProbe = 'ok' | 'ESRCH' | 'EPERM' | 'other';

export interface ProcessFiles {
  pid: number;
  /** /proc/PID/stat; undefined when it was not read (see statCode) */
  stat?: string;
  /**
   * why stat is missing: 'ENOENT' (no /proc/PID), 'EACCES'/'EPERM' (hidepid=1 and the like), another errno,
   * or 'skipped' (/proc was not consulted: it belongs to another pid namespace). Undefined with no stat =
   * the source did not say (treated like ENOENT without proof).
   */
  statCode?: string;
  /** kill(pid, 0), asked when /proc did not show the process. */
  kill?: KillProbe;
  comm?: string;
  cmdline?: string;
  status?: string;
  /** the real uid when the source read it without the status file (the probe's `Uid:` field) */
  uid?: number;
  /** readlink of /proc/PID/ns/ipc */
  nsIpc?: string;
  /** an error reading the files of a process that exists (EACCES ...) */
  error?: IpcErrorInfo;
}

/** `hidepid=2 (invisible)` for a reason line. */
export function hidepidWords(h: ReaderView['hidepid']): string | undefined {
  switch (h) {
    case 'noaccess':
      return 'hidepid=1 (noaccess)';
    case 'invisible':
      return 'hidepid=2 (invisible)';
    case 'ptraceable':
      return 'hidepid=4 (ptraceable)';
    default:
      return undefined;
  }
}

/**
 * The liveness of one pid from what the reader could see of it (pure). `view` is the reader's view of the
 * process table (pid namespace of /proc, hidepid): it only words the reasons and decides whether a missing
 * /proc/PID alone may count as proof of death (only with hidepid known to be off and /proc known to be the
 * reader's own pid namespace); kill(pid, 0) = ESRCH always is. The stat text itself is parsed by the caller.
 */
export function decideLiveness(files: ProcessFiles, view: ReaderView = {}): { liveness: Liveness; reason: string } {
  const p = files.pid;
  const hide = hidepidWords(view.hidepid);
  const esrch = (where: string) => ({ liveness: 'dead' as const, reason: `no such process (${where}kill(${p}, 0): ESRCH)` });
  if (files.stat !== undefined) return { liveness: 'alive', reason: `visible in /proc/${p}` };
  if (files.statCode === 'skipped') {
    if (files.kill === 'ESRCH') return esrch('');
    if (files.kill === 'ok' || files.kill === 'EPERM') {
      return { liveness: 'unknown', reason: `exists (kill(${p}, 0) ${files.kill === 'ok' ? 'succeeds' : 'EPERM'}), but /proc belongs to another pid namespace: its start time cannot be read, so it may be a later process reusing the pid` };
    }
    return { liveness: 'unknown', reason: '/proc belongs to another pid namespace and kill(pid, 0) gave no answer' };
  }
  if (files.statCode === 'ENOENT' || files.statCode === undefined) {
    if (files.kill === 'ESRCH') return esrch(`/proc/${p} absent, `);
    if (files.kill === 'EPERM') {
      return {
        liveness: 'unknown',
        reason: `exists (kill(${p}, 0): EPERM) but /proc/${p} is hidden${hide ? ` by ${hide}` : ''}: another user's process whose start time cannot be read, so it may also be a later process reusing the pid`,
      };
    }
    if (files.kill === 'ok') {
      return { liveness: 'unknown', reason: `kill(${p}, 0) succeeds but /proc/${p} is absent${hide ? ` (${hide})` : ''}: exists, start time unknown` };
    }
    if (files.kill === undefined && files.statCode === 'ENOENT' && view.hidepid === 'off' && view.procIsOwnPidNs === true) {
      return { liveness: 'dead', reason: `no such process (/proc/${p} absent; /proc is this pid namespace's, without hidepid)` };
    }
    return {
      liveness: 'unknown',
      reason: `/proc/${p} is absent, but that is no proof${hide ? ` under ${hide}` : ' (hidepid and the pid namespace of /proc not determined)'} and kill(${p}, 0) was not answered`,
    };
  }
  // EACCES / EPERM / other errors on /proc/PID/stat: the process is there (or was a moment ago)
  if (files.kill === 'ESRCH') return esrch(`/proc/${p}/stat ${files.statCode}, then `);
  return {
    liveness: 'unknown',
    reason: `exists but /proc/${p}/stat is not readable (${files.statCode === 'unreadable' ? 'permission denied' : files.statCode}${hide ? `, ${hide}` : ''}): its start time cannot be read, so it may be a later process reusing the pid`,
  };
}

/**
 * Assembles a ProcessFact. `btime` comes from /proc/stat, `clkTck` is sysconf(_SC_CLK_TCK) (USER_HZ: 100
 * on every mainstream Linux architecture). startBoot = starttime / clkTck (the boot clock, which a realtime
 * step cannot move: pid reuse is decided with it); startTime = btime + startBoot, rounded down, for display.
 */
export function buildProcessFact(files: ProcessFiles, btime: number | undefined, clkTck: number, view?: ReaderView): ProcessFact {
  let { liveness, reason } = decideLiveness(files, view);
  const fact: ProcessFact = { pid: files.pid, alive: false };
  if (files.stat !== undefined) {
    const st = parseProcStat(files.stat);
    if (st) {
      fact.comm = st.comm;
      if (clkTck > 0) {
        fact.startBoot = st.starttime / clkTck;
        if (btime !== undefined) fact.startTime = btime + Math.floor(st.starttime / clkTck);
      }
      if (st.state === 'Z' || st.state === 'X') {
        liveness = 'dead';
        reason = `exited (state ${st.state}: a zombie holds no IPC state)`;
      }
    } else {
      liveness = 'unknown';
      reason = `/proc/${files.pid}/stat could not be parsed`;
    }
  }
  fact.alive = liveness === 'alive';
  fact.liveness = liveness;
  fact.livenessReason = reason;
  if (files.comm !== undefined) fact.comm = files.comm.replace(/\n$/, '');
  if (files.cmdline !== undefined) {
    const c = parseCmdline(files.cmdline);
    if (c !== undefined) fact.cmdline = c;
  }
  if (files.status !== undefined) {
    const uid = parseStatusUid(files.status);
    if (uid !== undefined) fact.uid = uid;
  } else if (files.uid !== undefined) {
    fact.uid = files.uid;
  }
  if (files.nsIpc !== undefined) fact.ipcNs = files.nsIpc;
  if (files.error) fact.error = files.error;
  return fact;
}

/** A fact's liveness: its own answer, else alive when `alive` says so, else unknown (never dead by default). */
export function livenessOf(fact: ProcessFact | undefined): Liveness {
  if (!fact) return 'unknown';
  return fact.liveness ?? (fact.alive ? 'alive' : 'unknown');
}

/**
 * Seconds a live pid must have started after an object's time, on the boot clock, before it counts as a
 * later process reusing the pid: object times are whole seconds rounded down (up to 1 s), start times are
 * clock ticks (10 ms), and a leap second steps the realtime clock by 1 s. The offset's own measurement error
 * (ReaderView.clockOffsetError) is added on top.
 */
export const PID_REUSE_MARGIN_SECONDS = 2;

export type ReuseAnswer =
  /** started at or before the object's time (within the margin): may be the original process */
  | { answer: 'maybe-original' }
  /** no start time, no object time or no clock offset: not checked (a live pid then counts as the original) */
  | { answer: 'unchecked' }
  /** started beyond doubt after the object's time: a later process, the original is dead */
  | { answer: 'later'; gap: number; margin: number }
  /** the object's time converts to before boot: the realtime clock was stepped since, nothing can be compared */
  | { answer: 'clock-stepped'; beforeBoot: number };

/**
 * Whether a live process (started `startBoot` seconds after boot) can be the one that acted on an object at
 * `refTime` (realtime seconds), comparing on the boot clock: refBoot = refTime - clockOffset, where clockOffset
 * is realtime - boottime read together at snapshot time. A realtime step moves btime (and so /proc-based
 * epoch start times) but not startBoot; a forward step after the object's time still makes refBoot too
 * early by the step, which shows when refBoot falls before boot (answer 'clock-stepped': unknown). A forward
 * step smaller than the object's time since boot cannot be seen from here (docs/recycle.md).
 */
export function pidReuse(
  startBoot: number | undefined,
  refTime: number,
  clock: { offset?: number; error?: number } | undefined,
): ReuseAnswer {
  if (startBoot === undefined || !(refTime > 0) || clock?.offset === undefined) return { answer: 'unchecked' };
  const margin = PID_REUSE_MARGIN_SECONDS + (clock.error ?? 1);
  const refBoot = refTime - clock.offset;
  if (startBoot <= refBoot + margin) return { answer: 'maybe-original' };
  if (refBoot < -margin) return { answer: 'clock-stepped', beforeBoot: -refBoot };
  return { answer: 'later', gap: startBoot - refBoot, margin };
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

/** A fact a source could not establish (`host: message`): unknown, never dead. */
export function unknownFact(pid: number, message: string): ProcessFact {
  return { pid, alive: false, liveness: 'unknown', livenessReason: message.replace(/^[^:]*: /, ''), error: { code: 'EPARSE', message } };
}

/**
 * Parsers for Linux /proc/sysvipc/{sem,shm,msg} and the IPC limit files under /proc/sys/kernel and
 * /proc/sys/fs/mqueue. Pure: text in, model out. Used by the /proc fallback source, by the SSH probe for
 * Linux hosts and by the tests.
 *
 * /proc/sysvipc files start with a header line naming the columns; columns are found by that header
 * (older kernels lack shm `rss`/`swap`), falling back to the current kernel's order when the header is
 * missing. Keys are signed decimal. A malformed line becomes an ItemError (code 'EPARSE', with the line
 * number), never an exception, so one bad line never loses the rest of the listing. The kernel ends every
 * row with a newline: a text that ends inside a row was cut short where its reading stopped, and that row
 * (whose last column may be a shortened number: ctime 1795556988 as 17955) is an ItemError too.
 */
import type { IpcErrorInfo, IpcLimits, IpcUsage, ItemError, MsgQueue, SemSet, ShmSegment, SysvKind } from '../shared/model';
import type { SysvFacts } from './hostFacts';
import { decimalUpTo, INT_MAX, wholeDecimal } from '../shared/decimal';

export interface ParseResult<T> {
  items: T[];
  errors: ItemError[];
}

const DEFAULT_COLUMNS: Record<SysvKind, string[]> = {
  sem: ['key', 'semid', 'perms', 'nsems', 'uid', 'gid', 'cuid', 'cgid', 'otime', 'ctime'],
  shm: ['key', 'shmid', 'perms', 'size', 'cpid', 'lpid', 'nattch', 'uid', 'gid', 'cuid', 'cgid', 'atime', 'dtime', 'ctime', 'rss', 'swap'],
  msg: ['key', 'msqid', 'perms', 'cbytes', 'qnum', 'lspid', 'lrpid', 'uid', 'gid', 'cuid', 'cgid', 'stime', 'rtime', 'ctime'],
};

/** Columns a line must have for the object to mean anything (rss/swap are optional). */
const REQUIRED: Record<SysvKind, string[]> = {
  sem: DEFAULT_COLUMNS.sem,
  shm: DEFAULT_COLUMNS.shm.slice(0, 14),
  msg: DEFAULT_COLUMNS.msg,
};

const PATHS: Record<SysvKind, string> = { sem: '/proc/sysvipc/sem', shm: '/proc/sysvipc/shm', msg: '/proc/sysvipc/msg' };

export function parseError(kind: SysvKind, source: string, line: number, message: string, id?: number): ItemError {
  const error: IpcErrorInfo = { code: 'EPARSE', syscall: 'parse', op: source, message: `${source} line ${line}: ${message}` };
  if (id !== undefined) error.id = id;
  const e: ItemError = { kind, error };
  if (id !== undefined) e.id = id;
  return e;
}

const INT = /^-?\d+$/;

/** The id column of a row that is not read, for its error: only what an id can be (0..INT_MAX), else none. */
export const idOfField = (f: string | undefined): number | undefined => decimalUpTo(f, INT_MAX);

/** SEMMSL's default and documented maximum (include/uapi/linux/sem.h). */
export const SEMMSL_CEILING = 32000;
/** newary() refuses a set whose array would pass INT_MAX bytes (64-byte struct sem): a hard kernel bound. */
export const NSEMS_KERNEL_MAX = 2 ** 25;
/** PID_MAX_LIMIT (2^22): no pid is larger. */
const PID_LIMIT = 4194304;
const U32 = 0xffffffff;
const S32 = 0x7fffffff;
/** a 64-bit unsigned counter (sizes, rss): kept as a Number, exact below 2^53 */
const U64 = 2 ** 64;

export interface ProcParseOptions {
  /** the host's SEMMSL: sets up to it are accepted when it is above SEMMSL_CEILING (never above NSEMS_KERNEL_MAX) */
  semmsl?: number;
  /** false: every line goes through the general path (tests compare it with the fast path). Default true. */
  fastPath?: boolean;
}

/**
 * The range of each column as the kernel can print it. A row with a value outside is an EPARSE item error
 * naming the column: a remote host (or a corrupted capture) cannot put 10^12 semaphores or a pid of 2^40
 * into a snapshot, where a view would loop over them or a check would compare garbage.
 */
function ceilings(opts: ProcParseOptions): Record<string, [number, number]> {
  const nsemsMax = Math.min(NSEMS_KERNEL_MAX, Math.max(SEMMSL_CEILING, opts.semmsl ?? 0));
  // no prototype: a header column named toString or __proto__ has no range (else Object.prototype's member is found)
  return Object.assign(Object.create(null) as Record<string, [number, number]>, {
    key: [-(S32 + 1), U32], semid: [0, S32], shmid: [0, S32], msqid: [0, S32],
    nsems: [0, nsemsMax],
    uid: [0, U32], gid: [0, U32], cuid: [0, U32], cgid: [0, U32],
    otime: [0, Number.MAX_SAFE_INTEGER], ctime: [0, Number.MAX_SAFE_INTEGER], atime: [0, Number.MAX_SAFE_INTEGER],
    dtime: [0, Number.MAX_SAFE_INTEGER], stime: [0, Number.MAX_SAFE_INTEGER], rtime: [0, Number.MAX_SAFE_INTEGER],
    cpid: [0, PID_LIMIT], lpid: [0, PID_LIMIT], lspid: [0, PID_LIMIT], lrpid: [0, PID_LIMIT],
    nattch: [0, Number.MAX_SAFE_INTEGER],
    size: [0, U64], rss: [0, U64], swap: [0, U64],
    cbytes: [0, S32], qnum: [0, S32],
  });
}

/** Splits the text into lines, finds the header, and yields (lineNumber, column -> string) rows. */
function* rows(
  kind: SysvKind,
  text: string,
  source: string,
  errors: ItemError[],
  opts: ProcParseOptions = {},
): Generator<Row> {
  const range = ceilings(opts);
  let columns = DEFAULT_COLUMNS[kind];
  let index = new Map(columns.map((c, i) => [c, i]));
  const required = REQUIRED[kind];
  let lineNo = 0;
  let start = 0;
  const n = text.length;
  // Fast path for the common line (only ASCII blanks and decimal integers, every column in range): the
  // values are read straight from the text; any other line takes the general path below, which says what is
  // wrong with it.
  const useFast = opts.fastPath !== false;
  let fast = fastColumns(columns, range);
  const vals: number[] = [];
  const fastRow: Row = {
    line: 0,
    get: (name) => {
      const i = index.get(name);
      return i === undefined || i >= vals.length ? 0 : vals[i];
    },
    has: (name) => {
      const i = index.get(name);
      return i !== undefined && i < vals.length;
    },
  };
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const unterminated = end === n;
    const lineStart = start;
    start = end + 1;
    lineNo++;
    if (useFast && !unterminated && scanLine(text, lineStart, end, fast, vals)) {
      fastRow.line = lineNo;
      yield fastRow;
      continue;
    }
    const raw = text.slice(lineStart, end);
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const fields = trimmed.split(/\s+/);
    if (fields[0] === 'key') {
      columns = fields;
      index = new Map(columns.map((c, i) => [c, i]));
      fast = fastColumns(columns, range);
      const missing = required.filter((c) => !index.has(c));
      if (missing.length) {
        errors.push(parseError(kind, source, lineNo, `header lacks column(s) ${missing.join(', ')}`));
        return;
      }
      continue;
    }
    if (fields.length > columns.length) {
      // the kernel prints every row with its header's format: more fields are two rows run together (a
      // reader or writer that stopped mid-line, the next text glued on), whose columns no longer say what
      // they name (a cut uid 26 reads as 2)
      errors.push(
        parseError(kind, source, lineNo, `expected ${columns.length} columns, got ${fields.length} (two lines run together?): ${JSON.stringify(trimmed.slice(0, 120))}`,
          idOfField(fields[1])),
      );
      continue;
    }
    if (fields.length < columns.length) {
      // rss/swap may be absent on old kernels even with them in the header: accept when required ones are there
      const need = Math.max(...required.map((c) => index.get(c) ?? 0)) + 1;
      if (fields.length < need) {
        errors.push(
          parseError(kind, source, lineNo, `expected ${columns.length} columns, got ${fields.length}: ${JSON.stringify(trimmed.slice(0, 120))}`,
            idOfField(fields[1])),
        );
        continue;
      }
    }
    let bad: string | undefined;
    const get = (name: string): number => {
      const i = index.get(name);
      if (i === undefined) return 0;
      const f = fields[i];
      if (f === undefined) return 0;
      if (!INT.test(f) || f.length > 21 || (name === 'perms' && !/^[0-7]{1,6}$/.test(f))) {
        bad ??= `column ${name} is not ${name === 'perms' ? 'an octal mode' : 'an integer'}: ${JSON.stringify(f.slice(0, 40))}`;
        return 0;
      }
      const v = Number(f);
      const r = range[name];
      if (r && (v < r[0] || v > r[1])) {
        bad ??= `column ${name} is ${f}, outside ${r[0]}..${r[1]} (the most the kernel can report${name === 'nsems' ? ': SEMMSL' : ''})`;
        return 0;
      }
      if (name === 'perms' && parseInt(f, 8) > 0o7777) {
        bad ??= `column perms is ${f}, more than the 12 mode bits (07777)`;
        return 0;
      }
      return v;
    };
    const has = (name: string): boolean => index.has(name) && fields[index.get(name)!] !== undefined;
    const row = { line: lineNo, get, has };
    // validate every present column before yielding
    for (const c of columns) get(c);
    if (bad) {
      errors.push(parseError(kind, source, lineNo, bad, idOfField(fields[1])));
      continue;
    }
    if (unterminated) {
      // a well-formed row the text ends inside: its last column may be cut (ctime 1795556988 read as 17955)
      errors.push(parseError(kind, source, lineNo, `the text ends inside this row (no newline after it): cut short, not read: ${JSON.stringify(trimmed.slice(0, 120))}`,
        idOfField(fields[1])));
      continue;
    }
    yield row;
  }
}

interface FastColumns {
  count: number;
  lo: Float64Array;
  hi: Float64Array;
  perms: number;
}

function fastColumns(columns: readonly string[], range: Record<string, [number, number]>): FastColumns {
  const lo = new Float64Array(columns.length).fill(-Infinity);
  const hi = new Float64Array(columns.length).fill(Infinity);
  columns.forEach((c, i) => {
    const r = range[c];
    if (r) [lo[i], hi[i]] = r;
  });
  return { count: columns.length, lo, hi, perms: columns.indexOf('perms') };
}

/**
 * Reads a line of blank-separated decimal integers into `vals` when it has exactly one value per column,
 * each at most 21 characters (an optional `-` and digits), within its column's range, and `perms` octal and
 * at most 07777: exactly the lines the general path accepts without a remark. Anything else (a header, a
 * blank line, a short or malformed row) returns false and is left to the general path.
 */
function scanLine(text: string, from: number, to: number, c: FastColumns, vals: number[]): boolean {
  let k = 0;
  let i = from;
  while (i < to) {
    let ch = text.charCodeAt(i);
    if (ch === 32 || ch === 9 || ch === 13) {
      i++;
      continue;
    }
    const fieldStart = i;
    let neg = false;
    if (ch === 45) {
      neg = true;
      i++;
    }
    const digitsStart = i;
    let v = 0;
    let octal = true;
    while (i < to) {
      ch = text.charCodeAt(i);
      if (ch < 48 || ch > 57) break;
      if (ch > 55) octal = false;
      v = v * 10 + (ch - 48);
      i++;
    }
    const digits = i - digitsStart;
    if (digits === 0 || i - fieldStart > 21) return false;
    if (i < to && ch !== 32 && ch !== 9 && ch !== 13) return false;
    if (k < c.count) {
      // beyond 2^53 the running product rounds differently from Number(string): read those digits again
      if (digits > 15) v = Number(text.slice(digitsStart, i));
      if (neg) v = -v;
      if (v < c.lo[k] || v > c.hi[k]) return false;
      if (k === c.perms && (!octal || digits > 6 || neg || parseInt(text.slice(digitsStart, i), 8) > 0o7777)) return false;
      vals[k] = v;
    }
    k++;
  }
  // fewer (rss/swap absent) or more values (two rows run together) than columns: the general path decides
  if (k !== c.count) return false;
  vals.length = c.count;
  return true;
}

/** Linux `perms` column: octal (`%4o` in the kernel), including SHM_DEST/SHM_LOCKED for shm. */
function permsOf(raw: number): number {
  // the column was parsed as decimal digits; re-read those digits as octal
  return parseInt(String(raw), 8);
}

/** One row of a /proc/sysvipc table: numeric columns by name. */
interface Row {
  line: number;
  get: (name: string) => number;
  has: (name: string) => boolean;
}

/** Every well-formed row of the table as an item; malformed rows become `errors`. */
function parseTable<T extends { id: number }>(
  kind: SysvKind, text: string, source: string, item: (r: Row) => T, opts: ProcParseOptions = {},
): ParseResult<T> {
  const errors: ItemError[] = [];
  const items: T[] = [];
  const firstLine = new Map<number, number>();
  const dupLines = new Map<number, number[]>();
  for (const r of rows(kind, text, source, errors, opts)) {
    const it = item(r);
    items.push(it);
    const first = firstLine.get(it.id);
    if (first === undefined) firstLine.set(it.id, r.line);
    else {
      const l = dupLines.get(it.id);
      if (l) l.push(r.line);
      else dupLines.set(it.id, [first, r.line]);
    }
  }
  // The kernel lists an id once. Two rows with one id cannot both be true and nothing says which is: both
  // are left out (an object nobody can be sure of is never shown as a fact, nor planned for removal).
  const dup = [...dupLines].sort((a, b) => a[1][0] - b[1][0]);
  if (!dup.length) return { items, errors };
  const bad = new Set(dup.map(([id]) => id));
  for (const [id, l] of dup) errors.push(parseError(kind, source, l[1], `id ${id} appears on lines ${l.join(', ')}; all of them are ignored`, id));
  return { items: items.filter((x) => !bad.has(x.id)), errors };
}

/** The ipc_perm columns every kind has: key, owner, creator and mode. */
function permFields(r: Row): { key: number; uid: number; gid: number; cuid: number; cgid: number; mode: number } {
  return {
    key: r.get('key') | 0,
    uid: r.get('uid'),
    gid: r.get('gid'),
    cuid: r.get('cuid'),
    cgid: r.get('cgid'),
    mode: permsOf(r.get('perms')),
  };
}

export function parseProcSem(text: string, source = PATHS.sem, opts: ProcParseOptions = {}): ParseResult<SemSet> {
  return parseTable('sem', text, source, (r): SemSet => ({
    kind: 'sem',
    id: r.get('semid'),
    ...permFields(r),
    nsems: r.get('nsems'),
    otime: r.get('otime'),
    ctime: r.get('ctime'),
  }), opts);
}

export function parseProcShm(text: string, source = PATHS.shm, opts: ProcParseOptions = {}): ParseResult<ShmSegment> {
  return parseTable('shm', text, source, (r): ShmSegment => {
    const perm = permFields(r);
    const seg: ShmSegment = {
      kind: 'shm',
      id: r.get('shmid'),
      ...perm,
      segsz: r.get('size'),
      cpid: r.get('cpid'),
      lpid: r.get('lpid'),
      nattch: r.get('nattch'),
      atime: r.get('atime'),
      dtime: r.get('dtime'),
      ctime: r.get('ctime'),
      dest: (perm.mode & 0o1000) !== 0,
      locked: (perm.mode & 0o2000) !== 0,
    };
    if (r.has('rss')) seg.rss = r.get('rss');
    if (r.has('swap')) seg.swap = r.get('swap');
    return seg;
  }, opts);
}

export function parseProcMsg(text: string, source = PATHS.msg, opts: ProcParseOptions = {}): ParseResult<MsgQueue> {
  return parseTable('msg', text, source, (r): MsgQueue => ({
    kind: 'msg',
    id: r.get('msqid'),
    ...permFields(r),
    cbytes: r.get('cbytes'),
    qnum: r.get('qnum'),
    // /proc/sysvipc/msg does not print msg_qbytes; MSGMNB is the default every queue starts with.
    qbytes: 0,
    lspid: r.get('lspid'),
    lrpid: r.get('lrpid'),
    stime: r.get('stime'),
    rtime: r.get('rtime'),
    ctime: r.get('ctime'),
  }), opts);
}

/**
 * The limit files, by their path below /proc/sys (e.g. 'kernel/sem', 'fs/mqueue/queues_max'): every local
 * source reads LIMIT_FILES and the SSH probe script lists the same files from it.
 */
export type LimitFiles = Partial<Record<
  | 'kernel/sem'
  | 'kernel/shmmax'
  | 'kernel/shmall'
  | 'kernel/shmmni'
  | 'kernel/msgmax'
  | 'kernel/msgmnb'
  | 'kernel/msgmni'
  | 'kernel/shm_rmid_forced'
  | 'fs/mqueue/queues_max'
  | 'fs/mqueue/msg_max'
  | 'fs/mqueue/msgsize_max',
  string
>>;

export const LIMIT_FILES: (keyof LimitFiles)[] = [
  'kernel/sem',
  'kernel/shmmax',
  'kernel/shmall',
  'kernel/shmmni',
  'kernel/msgmax',
  'kernel/msgmnb',
  'kernel/msgmni',
  'kernel/shm_rmid_forced',
  'fs/mqueue/queues_max',
  'fs/mqueue/msg_max',
  'fs/mqueue/msgsize_max',
];

/** The limit files whose values no IPC_INFO gives: all a source with the binding reads (see limitsBeyondIpcInfo). */
export const FILES_BEYOND_IPC_INFO: (keyof LimitFiles)[] = [
  'kernel/shm_rmid_forced',
  'fs/mqueue/queues_max',
  'fs/mqueue/msg_max',
  'fs/mqueue/msgsize_max',
];

/** Linux SEMVMX (fixed in the kernel) and SHMMIN (always 1). */
export const LINUX_SEMVMX = 32767;
export const LINUX_SHMMIN = 1;

/**
 * A non-negative decimal that may exceed 2^53 (shmmax/shmall default to ULONG_MAX - 2^24): returns the
 * value clamped to Number.MAX_SAFE_INTEGER and whether it was clamped.
 */
export function parseBigLimit(text: string): { value: number; clamped: boolean } | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const b = BigInt(t);
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) return { value: Number.MAX_SAFE_INTEGER, clamped: true };
  return { value: Number(b), clamped: false };
}

export interface LimitsParse {
  limits: IpcLimits;
  /** one message per file that was missing or malformed (the field keeps 0). */
  errors: IpcErrorInfo[];
}

/** Builds IpcLimits from the /proc/sys files' contents. Missing files leave 0 and an error entry. */
export function parseLimitFiles(files: LimitFiles, pageSize: number): LimitsParse {
  const errors: IpcErrorInfo[] = [];
  const unlimited: string[] = [];
  const bad = (file: string, what: string) =>
    errors.push({ code: 'EPARSE', syscall: 'parse', op: `/proc/sys/${file}`, message: `/proc/sys/${file}: ${what}` });
  const num = (file: keyof LimitFiles, name: string): number => {
    const t = files[file];
    if (t === undefined) {
      bad(file, 'not readable');
      return 0;
    }
    const v = parseBigLimit(t);
    if (!v) {
      bad(file, `not a number: ${JSON.stringify(t.trim().slice(0, 60))}`);
      return 0;
    }
    if (v.clamped) unlimited.push(name);
    return v.value;
  };
  let semmsl = 0, semmns = 0, semopm = 0, semmni = 0;
  const sem = files['kernel/sem'];
  if (sem === undefined) bad('kernel/sem', 'not readable');
  else {
    const f = sem.trim().split(/\s+/);
    // four ints in the kernel: a value no Number holds exactly (400 digits: Infinity; past 2^53: rounded) is not one
    if (f.length !== 4 || !f.every((x) => wholeDecimal(x) !== undefined)) bad('kernel/sem', `expected "SEMMSL SEMMNS SEMOPM SEMMNI", got ${JSON.stringify(sem.trim())}`);
    else [semmsl, semmns, semopm, semmni] = f.map(Number);
  }
  const limits: IpcLimits = {
    semmsl,
    semmns,
    semopm,
    semmni,
    semvmx: LINUX_SEMVMX,
    shmmax: num('kernel/shmmax', 'shmmax'),
    shmall: num('kernel/shmall', 'shmall'),
    shmmni: num('kernel/shmmni', 'shmmni'),
    shmmin: LINUX_SHMMIN,
    msgmax: num('kernel/msgmax', 'msgmax'),
    msgmnb: num('kernel/msgmnb', 'msgmnb'),
    msgmni: num('kernel/msgmni', 'msgmni'),
    pageSize,
  };
  Object.assign(limits, limitsBeyondIpcInfo(files));
  if (unlimited.length) limits.unlimited = unlimited;
  return { limits, errors };
}

/**
 * shm_rmid_forced and the POSIX queue limits from FILES_BEYOND_IPC_INFO, each left out when its files are
 * missing or malformed.
 */
export function limitsBeyondIpcInfo(files: LimitFiles): Pick<IpcLimits, 'shmRmidForced' | 'mqueue'> {
  const out: Pick<IpcLimits, 'shmRmidForced' | 'mqueue'> = {};
  const rf = files['kernel/shm_rmid_forced'];
  if (rf !== undefined && /^\s*[01]\s*$/.test(rf)) out.shmRmidForced = rf.trim() === '1';
  const q = files['fs/mqueue/queues_max'], mm = files['fs/mqueue/msg_max'], ms = files['fs/mqueue/msgsize_max'];
  if (q !== undefined && mm !== undefined && ms !== undefined) {
    const [a, b, c] = [q, mm, ms].map((t) => parseBigLimit(t));
    if (a && b && c) out.mqueue = { queuesMax: a.value, msgMax: b.value, msgsizeMax: c.value };
  }
  return out;
}

/**
 * Usage counts computed from the object lists (what SEM_INFO/SHM_INFO/MSG_INFO report, for sources that
 * have no syscalls: the /proc fallback and remote probes). shm pages are counted per segment, rounded up,
 * as the kernel's shm_tot does.
 */
export function deriveUsage(sems: readonly SemSet[], shms: readonly ShmSegment[], msgs: readonly MsgQueue[], pageSize: number): IpcUsage {
  let semTotal = 0;
  for (const s of sems) semTotal += s.nsems;
  let shmPages = 0, rssPages = 0, swapPages = 0, haveRss = false;
  const ps = pageSize > 0 ? pageSize : 4096;
  for (const m of shms) {
    shmPages += Math.ceil(m.segsz / ps);
    if (m.rss !== undefined) {
      haveRss = true;
      rssPages += Math.round(m.rss / ps);
      swapPages += Math.round((m.swap ?? 0) / ps);
    }
  }
  let msgMessages = 0, msgBytes = 0;
  for (const q of msgs) {
    msgMessages += q.qnum;
    msgBytes += q.cbytes;
  }
  const usage: IpcUsage = {
    semSets: sems.length,
    semTotal,
    shmSegments: shms.length,
    shmPages,
    msgQueues: msgs.length,
    msgMessages,
    msgBytes,
  };
  if (haveRss) {
    usage.shmRssPages = rssPages;
    usage.shmSwapPages = swapPages;
  }
  return usage;
}

/**
 * The three /proc/sysvipc tables as rows (a missing text lists nothing of its kind), the sets bounded by the
 * host's SEMMSL from its limit files. `sourceOf` names each table in parse errors (default its /proc path).
 */
export function sysvRowsFromProc(
  texts: Partial<Record<SysvKind, string>>,
  files: LimitFiles,
  sourceOf: (kind: SysvKind) => string | undefined = () => undefined,
): { sysv: Extract<SysvFacts, { kind: 'rows' }>; errors: ItemError[] } {
  const semmsl = parseLimitFiles(files, 0).limits.semmsl;
  const sem = parseProcSem(texts.sem ?? '', sourceOf('sem'), { semmsl });
  const shm = parseProcShm(texts.shm ?? '', sourceOf('shm'));
  const msg = parseProcMsg(texts.msg ?? '', sourceOf('msg'));
  return {
    sysv: { kind: 'rows', sems: sem.items, shms: shm.items, msgs: msg.items, qbytesListed: false },
    errors: [...sem.errors, ...shm.errors, ...msg.errors],
  };
}

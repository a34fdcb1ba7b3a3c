/**
 * Every parser of text or bytes this process does not write, fed generated and mutated input: the real
 * fixtures (test/fixtures) and the outputs other unit tests use, truncated at any byte, with lines dropped,
 * duplicated or swapped, a field replaced by arbitrary text, by a number no parser should take at face value
 * (2^53, 1e400, -1, 0x10, '', NaN, Arabic-Indic digits, 400 digits) or by the name of an Object.prototype
 * member (__proto__, constructor), NUL, CR, invalid UTF-8 and very long lines inserted; bytes of any length.
 * Each property is checked on fast-check's inputs, and where a rare input matters (a 400-digit pid in one
 * field of fifty) on every field of every line of the real texts in turn. The properties, by class of failure:
 * - no parser throws (none of these documents a throw for bad input), and none takes more than
 *   PARSE_BUDGET_MS on any of these inputs (a blowup such as regex backtracking on a 20,000-character line);
 * - every number of every result is finite, and every field naming a pid, an id, a uid/gid or a count is a
 *   non-negative integer (ipcs owner columns may be -1: the parser's documented "unknown name");
 * - a cut or corrupted field never becomes another valid-looking value: each object parsed from a strict
 *   prefix of a real output (cut at any byte) is the object of the whole output with that kind and id, and
 *   each numeric field of an object is what its column says in strict decimal (no `123abc` read as 123);
 * - the same input gives the same output.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parsePostmasterPid } from '../../../extension/backend/ownerEvidence';
import { parseProcCgroup } from '../../../extension/domain/containers';
import { parseLibcVersionOutput } from '../../../extension/domain/futex/versions';
import { parseHostLibc } from '../../../extension/domain/hostLibc';
import {
  parseIpcsLimitBlocks, parseIpcsListing, parseModeString, parseSysctlLines, parseUtcOffset, type IpcsListing,
} from '../../../extension/domain/ipcsParser';
import { parseMaps } from '../../../extension/domain/mapsParser';
import { decodePosixSem, FUTEX_SHARED, SEM_VALUE_MAX } from '../../../extension/domain/posixSem';
import {
  parseIpcsSemI, parseLockProbe, parseProbe, parseProbeFacts, parseRemoveResult, parseSemDetail, type ParsedProbe,
} from '../../../extension/domain/probeParser';
import {
  parseBigLimit, parseLimitFiles, parseProcMsg, parseProcSem, parseProcShm, type LimitFiles, type ParseResult,
} from '../../../extension/domain/procParser';
import { parseBootTime, parseCmdline, parseProcStat, parseStatusUid } from '../../../extension/domain/processFacts';
import { parseReaderView, parseUptime } from '../../../extension/domain/readerView';
import {
  parseDsmControl, parsePgShmemHeader, PG_SHMEM_HEADER_BYTES, PG_SHMEM_MAGIC,
} from '../../../extension/domain/recognizers/postgresql';
import { parseSyscallFile, parseTaskStatus } from '../../../extension/domain/taskWaits';
import type { IpcSnapshot, SysvKind, SysvObject } from '../../../extension/shared/model';
import { parsePasswd } from '../../../extension/views/userNames';
import { controlBytes, pgHeader, withDsmControl } from '../recycle/fixtures';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
/** Fixture text as the /proc reader reads it (latin1: one character per byte). */
const fx = (...p: string[]): string => fs.readFileSync(path.join(FIXTURES, ...p), 'latin1');

/** Runs per property: the whole file stays within a few seconds. */
const RUNS = 300;
const run = <T>(arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = RUNS): void => {
  fc.assert(fc.property(arb, check), { numRuns });
};

// ---------------------------------------------------------------------------------------------------------
// What every result must satisfy

/** Fields holding a pid, an id, a uid/gid, a mode, a size or a count: non-negative integers wherever they appear. */
const WHOLE_FIELDS = new Set([
  'pid', 'ppid', 'tid', 'mainPid', 'postmasterPid', 'id', 'shmId', 'uid', 'gid', 'cuid', 'cgid', 'nsems', 'nattch',
  'cpid', 'lpid', 'lspid', 'lrpid', 'qnum', 'qbytes', 'cbytes', 'ncount', 'zcount', 'semval', 'nwaiters', 'refcnt',
  'nitems', 'maxitems', 'itemSize', 'handle', 'port', 'mode', 'segsz', 'rss', 'swap', 'size', 'dev', 'ino', 'inode',
  'starttime', 'counted', 'notListed', 'unreadable', 'semSets', 'semTotal', 'shmSegments', 'shmPages', 'shmRssPages',
  'shmSwapPages', 'msgQueues', 'msgMessages', 'msgBytes', 'pageSize', 'semmsl', 'semmns', 'semopm', 'semmni', 'semvmx',
  'shmmax', 'shmall', 'shmmni', 'shmmin', 'msgmax', 'msgmnb', 'msgmni', 'semume', 'semmnu', 'shmseg', 'queuesMax',
  'msgMax', 'msgsizeMax', 'value', 'utcOffsetSeconds',
]);
/** Arrays whose elements are pids, ids or counts. */
const WHOLE_LISTS = new Set(['attachers', 'pids', 'ownPids', 'sysvShmids', 'uids', 'gids', 'groups', 'values', 'extraPids']);
/** Fields that may be negative by their parser's contract: a host's UTC offset. */
const SIGNED = new Set(['utcOffsetSeconds']);
/** The owner and group fields of a System V object. */
const OWNER_FIELDS = new Set(['uid', 'gid', 'cuid', 'cgid']);
/** WHOLE_FIELDS other results use for what is no number (a container's hex id, a lock probe's mode, a probe result's value). */
const NOT_ONLY_NUMBERS = new Set(['id', 'mode', 'value']);
const isSysv = (o: unknown): boolean => /^(sem|shm|msg)$/.test(String((o as { kind?: unknown } | undefined)?.kind));

/**
 * Walks a result (objects, arrays, Maps, Sets): every number finite; WHOLE_FIELDS and WHOLE_LISTS numbers (not
 * a function or an object found under a name), non-negative integers; numeric Map keys (ids, uids) non-negative
 * integers. With `ipcsOwners`, the owner and group columns of a System V object may be -1 (ipcsParser: a name
 * without a known id).
 */
function checkNumbers(v: unknown, ipcsOwners = false): void {
  const seen = new Set<object>();
  const visit = (x: unknown, at: string, field: string | undefined, whole: boolean, parent: unknown): void => {
    if (typeof x === 'number') {
      assert.ok(Number.isFinite(x), `${at} is ${x}`);
      const unknownOwner = ipcsOwners && x === -1 && field !== undefined && OWNER_FIELDS.has(field) && isSysv(parent);
      if (whole && !unknownOwner) {
        const ok = Number.isInteger(x) && (x >= 0 || (field !== undefined && SIGNED.has(field)));
        assert.ok(ok, `${at} is ${x}, not a non-negative integer`);
      }
      return;
    }
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (ArrayBuffer.isView(x)) return;
    if (x instanceof Map) {
      for (const [k, val] of x) {
        if (typeof k === 'number') visit(k, `${at} key`, 'id', true, x);
        visit(val, `${at}.get(${String(k)})`, undefined, false, x);
      }
      return;
    }
    if (x instanceof Set) {
      for (const e of x) visit(e, `${at} member`, field, whole, x);
      return;
    }
    if (Array.isArray(x)) {
      const list = field !== undefined && WHOLE_LISTS.has(field);
      x.forEach((e, i) => {
        if (list) assert.equal(typeof e, 'number', `${at}[${i}] is a ${typeof e}`);
        visit(e, `${at}[${i}]`, field, list || whole, x);
      });
      return;
    }
    for (const [k, val] of Object.entries(x)) {
      if (WHOLE_FIELDS.has(k) && val !== undefined && (!NOT_ONLY_NUMBERS.has(k) || isSysv(x))) {
        // a 64-bit field may be a bigint (PGShmemHeader's device and inode)
        assert.ok(typeof val === 'number' || (typeof val === 'bigint' && val >= 0n), `${at}.${k} is a ${typeof val}`);
      }
      visit(val, `${at}.${k}`, k, WHOLE_FIELDS.has(k), x);
    }
  };
  visit(v, '$', undefined, false, undefined);
}

/** Whether `twice` parses a second time (not in the exhaustive passes, which repeat fast-check's checks on many inputs). */
let determinism = true;

/** The longest one parse of these inputs (at most tens of kilobytes) may take: far above any linear parse, even on a busy machine. */
const PARSE_BUDGET_MS = 2000;

/** Parses twice: the same output (determinism), within PARSE_BUDGET_MS, which is then checked and returned. */
function twice<T>(parse: () => T, ipcsOwners = false): T {
  const start = performance.now();
  const a = parse();
  const took = performance.now() - start;
  assert.ok(took < PARSE_BUDGET_MS, `one parse took ${Math.round(took)} ms`);
  if (determinism) assert.deepEqual(parse(), a, 'the same input parsed twice gives two different results');
  checkNumbers(a, ipcsOwners);
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// Mutations of real text

/** Field values no parser should take at face value, and some it should. */
const EVIL = [
  '9007199254740992', '9007199254740993', '1e400', '1e3', '-1', '-0', '+1', '0x10', '0X1f', '0o7', '0b1', '', ' ', 'NaN',
  'Infinity', '-Infinity', '١٢٣', '１２３', '٣', '1.5', '.5', '5.', '0777', '4294967295', '4294967296', '2147483648',
  '4194305', '18446744073709551615', '18446744073709551616', '123abc', 'abc123', '12 34', '1_000', '\u00a0', '\0', '\r',
  '\uFFFD', '\xff', '\ud800', '9'.repeat(400), '-' + '9'.repeat(30), '0'.repeat(30) + '7', '@@end', '@@section x',
  // names of Object.prototype members: text used as a key into an object literal finds them
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf',
];
const evilText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EVIL) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
  { weight: 1, arbitrary: fc.nat().map(String) },
);
/** Characters that break naive line and number handling. */
const ODD_CHARS = ['\0', '\r', '\r\n', '\xff', '\ud800', '\uFFFD', '\t', '\v', '\f', '\u2028', '\u0085', '@@', ')', '(', ':', '-'];

type Mutation =
  | { op: 'drop' | 'dup'; i: number }
  | { op: 'swap'; i: number; j: number }
  | { op: 'field'; i: number; k: number; text: string }
  | { op: 'suffix'; i: number; k: number; text: string }
  | { op: 'insert'; i: number; at: number; text: string }
  | { op: 'long'; i: number; at: number; n: number; ch: string }
  | { op: 'cutLine' | 'glue'; i: number; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('drop' as const, 'dup' as const), i: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
  { weight: 4, arbitrary: fc.record({ op: fc.constant('field' as const), i: fc.nat(), k: fc.nat(), text: evilText }) },
  fc.record({ op: fc.constant('suffix' as const), i: fc.nat(), k: fc.nat(), text: fc.constantFrom('abc', 'x', '.5', 'e3', ':', '-', '\0', '\xff', ')') }),
  fc.record({ op: fc.constant('insert' as const), i: fc.nat(), at: fc.nat(), text: fc.oneof(fc.constantFrom(...ODD_CHARS), fc.string({ unit: 'binary', maxLength: 4 })) }),
  fc.record({ op: fc.constant('long' as const), i: fc.nat(), at: fc.nat(), n: fc.integer({ min: 300, max: 20000 }), ch: fc.constantFrom('9', ' ', 'a', '\0') }),
  fc.record({ op: fc.constantFrom('cutLine' as const, 'glue' as const), i: fc.nat(), at: fc.nat() }),
);

/** Field separators of a format (a capturing pattern): blanks, or `:` for /etc/passwd and /proc/PID/cgroup. */
const BLANKS = /(\s+)/;
const COLONS = /(:)/;

/** The fields of a line with their separators: [field, sep, field, sep, ...]. */
const tokens = (line: string, sep: RegExp = BLANKS): string[] => line.split(sep);

function mutateLines(lines: string[], m: Mutation, sep: RegExp = BLANKS): string[] {
  if (!lines.length) return lines;
  const out = [...lines];
  const i = m.i % out.length;
  const line = out[i]!;
  switch (m.op) {
    case 'drop':
      out.splice(i, 1);
      break;
    case 'dup':
      out.splice(i, 0, line);
      break;
    case 'swap': {
      const j = m.j % out.length;
      [out[i], out[j]] = [out[j]!, line];
      break;
    }
    case 'field':
    case 'suffix': {
      const t = tokens(line, sep);
      const fields = t.map((_, n) => n).filter((n) => n % 2 === 0 && t[n] !== '');
      if (!fields.length) break;
      const n = fields[m.k % fields.length]!;
      t[n] = m.op === 'field' ? m.text : t[n] + m.text;
      out[i] = t.join('');
      break;
    }
    case 'insert':
    case 'long': {
      const at = m.at % (line.length + 1);
      out[i] = line.slice(0, at) + (m.op === 'insert' ? m.text : m.ch.repeat(m.n)) + line.slice(at);
      break;
    }
    case 'cutLine':
      out[i] = line.slice(0, m.at % (line.length + 1));
      break;
    case 'glue':
      // a writer that died mid-line, the next line glued to what it wrote
      out[i] = line.slice(0, m.at % (line.length + 1)) + (out[i + 1] ?? '');
      out.splice(i + 1, 1);
      break;
  }
  return out;
}

/** The text cut after `n` bytes of its UTF-8 form (a cut inside a character decodes to U+FFFD). */
function cutBytes(text: string, n: number): string {
  const b = Buffer.from(text, 'utf8');
  return b.subarray(0, n % (b.length + 1)).toString('utf8');
}

/** A real text with 1 to 4 mutations, and sometimes cut at a byte. */
function mutated(bases: readonly string[], sep: RegExp = BLANKS): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.option(fc.nat(), { freq: 4 }))
    .map(([base, ms, cut]) => {
      const text = ms.reduce((lines, m) => mutateLines(lines, m, sep), base.split('\n')).join('\n');
      return cut === null ? text : cutBytes(text, cut);
    });
}

/** Mutated real text mostly, sometimes arbitrary strings. */
function hostile(bases: readonly string[], sep: RegExp = BLANKS): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: mutated(bases, sep) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 300 }) },
  );
}

/**
 * Values that break naive number reading, and names of Object.prototype members (text used as a key into an
 * object literal), each put in place of each field of each line in turn (exhaustively).
 */
const KILLERS = ['9'.repeat(400), '1e400', '9007199254740993', '18446744073709551616', '0x10', '+1', '-1', '1.5', '١٢٣', '', '12abc', '__proto__', 'hasOwnProperty'];

/** `text` with one field of one line replaced by one of `values`, for every line, field and value; and the line changed. */
function* eachFieldReplaced(text: string, values: readonly string[], sep: RegExp = BLANKS): Generator<{ text: string; line: string }> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.startsWith('@@')) continue;
    const t = tokens(lines[i]!, sep);
    for (let n = 0; n < t.length; n += 2) {
      if (t[n] === '') continue;
      for (const v of values) {
        const copy = [...t];
        copy[n] = v;
        const line = copy.join('');
        yield { text: [...lines.slice(0, i), line, ...lines.slice(i + 1)].join('\n'), line };
      }
    }
  }
}

/**
 * `check` on mutated and arbitrary text (fast-check), then on every base with each field of each line replaced
 * by each of `killers` (a rare mutation, such as a 400-digit pid in one field of fifty, is then always tried).
 */
function property(
  bases: readonly string[], check: (text: string) => void,
  opts: { numRuns?: number; killers?: readonly string[]; sep?: RegExp; exhaustive?: readonly string[] } = {},
): void {
  run(hostile(bases, opts.sep), check, opts.numRuns);
  exhaustively(opts.exhaustive ?? bases, check, opts.killers, opts.sep);
}

/** `check` on every text of eachFieldReplaced (once each: determinism is fast-check's part). */
function exhaustively(bases: readonly string[], check: (text: string) => void, killers: readonly string[] = KILLERS, sep: RegExp = BLANKS): void {
  determinism = false;
  try {
    for (const base of bases) {
      for (const { text, line } of eachFieldReplaced(base, killers, sep)) {
        try {
          check(text);
        } catch (e) {
          assert.fail(`with the line ${JSON.stringify(line.length > 200 ? line.slice(0, 200) + '...' : line)}: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    determinism = true;
  }
}

/** Strict decimal (what every integer column of the kernel and of ipcs is): no sign, no exponent, no 0x. */
const DEC = /^\d+$/;
const SDEC = /^-?\d+$/;

// ---------------------------------------------------------------------------------------------------------
// /proc/sysvipc

const SYSVIPC = {
  sem: { parse: parseProcSem, fixture: fx('proc', 'sysvipc-sem.txt'), tree: fx('proctree', 'proc', 'sysvipc', 'sem') },
  shm: { parse: parseProcShm, fixture: fx('proc', 'sysvipc-shm.txt'), tree: fx('proctree', 'proc', 'sysvipc', 'shm') },
  msg: { parse: parseProcMsg, fixture: fx('proc', 'sysvipc-msg.txt'), tree: fx('proctree', 'proc', 'sysvipc', 'msg') },
} as const;

/** Model field of each /proc/sysvipc column. */
const COLUMN_FIELD: Record<string, string> = {
  semid: 'id', shmid: 'id', msqid: 'id', perms: 'mode', size: 'segsz', nsems: 'nsems', uid: 'uid', gid: 'gid', cuid: 'cuid',
  cgid: 'cgid', otime: 'otime', ctime: 'ctime', cpid: 'cpid', lpid: 'lpid', nattch: 'nattch', atime: 'atime', dtime: 'dtime',
  rss: 'rss', swap: 'swap', cbytes: 'cbytes', qnum: 'qnum', lspid: 'lspid', lrpid: 'lrpid', stime: 'stime', rtime: 'rtime',
};
const KERNEL_COLUMNS: Record<SysvKind, string[]> = {
  sem: ['key', 'semid', 'perms', 'nsems', 'uid', 'gid', 'cuid', 'cgid', 'otime', 'ctime'],
  shm: ['key', 'shmid', 'perms', 'size', 'cpid', 'lpid', 'nattch', 'uid', 'gid', 'cuid', 'cgid', 'atime', 'dtime', 'ctime', 'rss', 'swap'],
  msg: ['key', 'msqid', 'perms', 'cbytes', 'qnum', 'lspid', 'lrpid', 'uid', 'gid', 'cuid', 'cgid', 'stime', 'rtime', 'ctime'],
};

/** Whether `fields` (a row under `columns`) says exactly what `o` holds, each column read in strict decimal. */
function rowSays(o: SysvObject, fields: string[], columns: string[]): boolean {
  const rec = o as unknown as Record<string, unknown>;
  for (let c = 0; c < columns.length; c++) {
    const name = columns[c]!;
    const field = Object.hasOwn(COLUMN_FIELD, name) ? COLUMN_FIELD[name] : undefined;
    const f = fields[c];
    if (f === undefined) {
      if (field && rec[field] !== undefined) return false;
      continue;
    }
    if (!SDEC.test(f)) return false;
    if (name === 'key') {
      if (o.key !== Number(BigInt.asIntN(32, BigInt(f)))) return false;
    } else if (name === 'perms') {
      if (!/^[0-7]+$/.test(f) || o.mode !== parseInt(f, 8)) return false;
    } else if (field && rec[field] !== Number(f)) return false;
  }
  return true;
}

/** Each object of a /proc/sysvipc parse is what one row of the text says (under the header above it). */
function objectsAreRows(kind: SysvKind, text: string, objects: readonly SysvObject[]): void {
  const rows: { fields: string[]; columns: string[] }[] = [];
  let columns = KERNEL_COLUMNS[kind];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === 'key') columns = fields;
    else rows.push({ fields, columns });
  }
  for (const o of objects) {
    assert.ok(rows.some((r) => rowSays(o, r.fields, r.columns)), `${kind} ${o.id}: no row of the text says ${JSON.stringify(o)}`);
  }
}

/**
 * Each object parsed from a strict prefix of `full` (cut after each of `cuts` bytes) is the object with its id
 * parsed from the whole text: a cut row is left out (or an error), never read with a shortened number.
 */
function prefixesKeepObjects<T extends { id: number; kind: string }>(full: string, parse: (t: string) => T[], cuts: Iterable<number>): void {
  const whole = new Map(parse(full).map((o) => [`${o.kind}:${o.id}`, o]));
  for (const n of cuts) {
    for (const o of parse(full.slice(0, n))) {
      const w = whole.get(`${o.kind}:${o.id}`);
      assert.ok(w, `cut after ${n} bytes: ${o.kind} ${o.id} is not in the whole text`);
      assert.deepEqual(o, w, `cut after ${n} bytes (${JSON.stringify(full.slice(Math.max(0, n - 30), n))}): ${o.kind} ${o.id} differs`);
    }
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A kernel-shaped /proc/sysvipc table: distinct ids, every value in its column's range, padded or squeezed (tr -s ' '). */
function sysvTable(kind: SysvKind): fc.Arbitrary<string> {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const time = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 34 }));
  const pid = fc.integer({ min: 0, max: 4194304 });
  const perms = fc.integer({ min: 0, max: kind === 'shm' ? 0o3777 : 0o777 }).map((m) => m.toString(8));
  const row = fc.record({
    key: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), perms, a: fc.integer({ min: 1, max: 32000 }), u: fc.array(u32, { minLength: 4, maxLength: 4 }),
    t: fc.array(time, { minLength: 3, maxLength: 3 }), p: fc.array(pid, { minLength: 2, maxLength: 2 }),
    big: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 3, maxLength: 3 }), n: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });
  return fc.tuple(fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 6 }), fc.array(row, { minLength: 6, maxLength: 6 }), fc.boolean())
    .map(([ids, rs, squeeze]) => {
      const lines = [KERNEL_COLUMNS[kind].join(' ')];
      ids.forEach((id, i) => {
        const r = rs[i]!;
        const v: (string | number | bigint)[] = kind === 'sem'
          ? [r.key, id, r.perms, r.a, ...r.u, r.t[0]!, r.t[1]!]
          : kind === 'shm'
            ? [r.key, id, r.perms, r.big[0]!, r.p[0]!, r.p[1]!, r.n, ...r.u, ...r.t, r.big[1]!, r.big[2]!]
            : [r.key, id, r.perms, r.n, r.a, r.p[0]!, r.p[1]!, ...r.u, ...r.t];
        lines.push(v.map((x) => (squeeze ? String(x) : String(x).padStart(10))).join(' '));
      });
      return lines.join('\n') + '\n';
    });
}

for (const kind of ['sem', 'shm', 'msg'] as const) {
  const { parse, fixture, tree } = SYSVIPC[kind];

  test(`/proc/sysvipc/${kind}: mutated tables never throw; numbers finite, ids whole; each object is what a row says; deterministic`, () => {
    property([fixture, tree], (text) => {
      const r = twice(() => parse(text));
      objectsAreRows(kind, text, r.items);
      for (const e of r.errors) assert.equal(e.error.code, 'EPARSE');
    });
  });

  test(`/proc/sysvipc/${kind}: every strict prefix of the real table (cut at any byte) keeps only whole objects`, () => {
    for (const full of [fixture, tree]) prefixesKeepObjects(full, (t) => (parse(t) as ParseResult<SysvObject>).items, range(full.length));
  });

  test(`/proc/sysvipc/${kind}: every strict prefix of a generated table keeps only whole objects`, () => {
    run(fc.tuple(sysvTable(kind), fc.nat()), ([full, n]) => {
      prefixesKeepObjects(full, (t) => (parse(t) as ParseResult<SysvObject>).items, [n % full.length]);
    });
  });
}

test('parseBigLimit: undefined unless the trimmed text is decimal; a value is the text exactly, or clamped and flagged', () => {
  run(fc.oneof(evilText, fc.bigInt({ min: 0n, max: 2n ** 80n }).map((b) => `${b}\n`), fc.string({ unit: 'binary', maxLength: 30 })), (t) => {
    const r = twice(() => parseBigLimit(t));
    if (!DEC.test(t.trim())) return assert.equal(r, undefined, JSON.stringify(t));
    assert.ok(r);
    const b = BigInt(t.trim());
    assert.deepEqual(r, b > BigInt(Number.MAX_SAFE_INTEGER) ? { value: Number.MAX_SAFE_INTEGER, clamped: true } : { value: Number(b), clamped: false });
  });
});

const LIMIT_FIXTURE: LimitFiles = Object.fromEntries(
  (['kernel/sem', 'kernel/shmmax', 'kernel/shmall', 'kernel/shmmni', 'kernel/msgmax', 'kernel/msgmnb', 'kernel/msgmni', 'kernel/shm_rmid_forced',
    'fs/mqueue/queues_max', 'fs/mqueue/msg_max', 'fs/mqueue/msgsize_max'] as const).map((f) => [f, fx('proctree', 'proc', 'sys', ...f.split('/'))]),
);

test('parseLimitFiles: mutated limit files give finite whole limits, each the file\'s number, clamped and flagged past 2^53, or 0 with an error', () => {
  const check = (input: LimitFiles): void => {
    const { limits, errors } = twice(() => parseLimitFiles(input, 4096));
    const files = [['kernel/shmmax', 'shmmax'], ['kernel/shmall', 'shmall'], ['kernel/shmmni', 'shmmni'], ['kernel/msgmax', 'msgmax'],
      ['kernel/msgmnb', 'msgmnb'], ['kernel/msgmni', 'msgmni']] as const;
    for (const [file, name] of files) {
      const t = input[file]?.trim();
      const v = limits[name];
      const what = `${file}: ${v} from ${JSON.stringify(t?.slice(0, 60))}`;
      if (t === undefined || !DEC.test(t)) {
        assert.ok(v === 0 && errors.some((e) => e.op === `/proc/sys/${file}`), what);
      } else if (BigInt(t) > BigInt(Number.MAX_SAFE_INTEGER)) {
        assert.ok(v === Number.MAX_SAFE_INTEGER && limits.unlimited?.includes(name), what);
      } else {
        assert.equal(v, Number(t), what);
      }
    }
    const sem = [limits.semmsl, limits.semmns, limits.semopm, limits.semmni];
    if (errors.some((e) => e.op === '/proc/sys/kernel/sem')) assert.deepEqual(sem, [0, 0, 0, 0]);
    else assert.deepEqual(sem.map(String), input['kernel/sem']!.trim().split(/\s+/).map((x) => String(BigInt(x))), 'kernel/sem read exactly');
  };
  const files = fc.dictionary(fc.constantFrom(...Object.keys(LIMIT_FIXTURE)), hostile(Object.values(LIMIT_FIXTURE) as string[]), { maxKeys: 11 });
  run(fc.tuple(files, fc.boolean()), ([over, keep]) => check({ ...(keep ? LIMIT_FIXTURE : {}), ...over } as LimitFiles));
  for (const [file, text] of Object.entries(LIMIT_FIXTURE)) exhaustively([text], (t) => check({ ...LIMIT_FIXTURE, [file]: t }));
});

// ---------------------------------------------------------------------------------------------------------
// BSD / macOS ipcs and sysctl

const IPCS_LISTINGS = [
  fx('freebsd', 'ipcs-a.txt'), fx('freebsd', 'ipcs-ma.txt'), fx('freebsd', 'ipcs-as.txt'),
  fx('macos', 'ipcs-a.txt'), fx('macos', 'ipcs-ma.txt'), fx('macos', 'ipcs.txt'),
];
const IPCS_LIMITS = [fx('freebsd', 'ipcs-M.txt'), fx('freebsd', 'ipcs-S.txt'), fx('macos', 'ipcs-M.txt'), fx('macos', 'ipcs-S.txt')];
const SYSCTL = [fx('freebsd', 'sysctl-kern.ipc-sem.txt'), fx('macos', 'sysctl-sem.txt'), fx('macos', 'sysctl-shm.txt')];
const CLOCK = { now: 1795556584, utcOffsetSeconds: 3600 };
/** The numeric ipcs columns of each kind, by the field each one fills. */
const IPCS_NUMERIC: Record<SysvKind, Record<string, string>> = {
  sem: { NSEMS: 'nsems' },
  shm: { SEGSZ: 'segsz', CPID: 'cpid', LPID: 'lpid', NATTCH: 'nattch' },
  msg: { CBYTES: 'cbytes', QNUM: 'qnum', QBYTES: 'qbytes', LSPID: 'lspid', LRPID: 'lrpid' },
};
const IPCS_KIND = new Map<string, SysvKind>([['s', 'sem'], ['m', 'shm'], ['q', 'msg']]);

const ipcsObjects = (l: IpcsListing): SysvObject[] => [...l.sems, ...l.shms, ...l.msgs];

/** Owner and group columns, by field, and the table of `ids` their names map through. */
const IPCS_OWNERS = [['OWNER', 'uid', 'users'], ['GROUP', 'gid', 'groups'], ['CREATOR', 'cuid', 'users'], ['CGROUP', 'cgid', 'groups']] as const;
type IpcsIds = { users: Record<string, number>; groups: Record<string, number> };

/**
 * Each object of an ipcs parse is what one row says: its ID, and each numeric column of its kind in strict
 * decimal; a column the row's header lacks is 0, with the parser's warning that the listing has no such column.
 * Owners and groups: a 32-bit decimal as written, a name through `ids`, else -1 (the parser's "unknown name").
 */
function ipcsObjectsAreRows(text: string, l: IpcsListing, ids: IpcsIds): void {
  const rows: { fields: string[]; header: string[] }[] = [];
  let header: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.replace(/\r$/, '').trim().split(/\s+/);
    if (f[0] === 'T') header = f;
    else if (IPCS_KIND.has(f[0]!)) rows.push({ fields: f, header });
  }
  for (const o of ipcsObjects(l)) {
    const value = (field: string): number => (o as unknown as Record<string, number>)[field]!;
    const says = rows.some(({ fields, header: h }) => {
      if (IPCS_KIND.get(fields[0]!) !== o.kind || !DEC.test(fields[1] ?? '') || Number(fields[1]) !== o.id) return false;
      const numbers = Object.entries(IPCS_NUMERIC[o.kind]).every(([column, field]) => {
        const i = h.indexOf(column);
        if (i < 0) return value(field) === 0 && l.warnings.some((w) => w.includes(`${o.kind} listing has no ${column} column`));
        return DEC.test(fields[i]!) && value(field) === Number(fields[i]);
      });
      return numbers && IPCS_OWNERS.every(([column, field, table]) => {
        const t = h.indexOf(column) < 0 ? undefined : fields[h.indexOf(column)]!;
        const want = t === undefined ? -1 : DEC.test(t) ? Number(t) : Object.hasOwn(ids[table], t) ? ids[table][t] : -1;
        return value(field) === want;
      });
    });
    assert.ok(says, `${o.kind} ${o.id}: no row says ${JSON.stringify(o)}`);
  }
}

test('ipcs listings: mutated FreeBSD and macOS output never throws; numbers finite, ids whole; each object is what a row says', () => {
  // owner names map through `ids` (macOS prints names); an unknown one is -1
  const ids: IpcsIds = { users: { mikulas: 501, root: 0 }, groups: { staff: 20 } };
  const check = (text: string, clock: boolean): void => {
    const l = twice(() => parseIpcsListing(text, clock ? { clock: CLOCK, ids } : { ids }), true);
    ipcsObjectsAreRows(text, l, ids);
    for (const e of l.errors) assert.equal(e.error.code, 'EPARSE');
  };
  run(fc.tuple(hostile(IPCS_LISTINGS), fc.boolean()), ([text, clock]) => check(text, clock));
  // macOS (header before each title, hex keys, names) and the first rows of FreeBSD's (title first, decimal keys)
  exhaustively([fx('macos', 'ipcs-a.txt'), fx('freebsd', 'ipcs-ma.txt').split('\n').slice(0, 6).join('\n')], (text) => check(text, true));
});

test('ipcs listings: every strict prefix of the real output keeps only whole objects', () => {
  const parse = (t: string): SysvObject[] => ipcsObjects(parseIpcsListing(t, { clock: CLOCK }));
  // every cut of the shorter listings; cuts chosen by fast-check in the longer ones (each cut parses the prefix)
  for (const full of IPCS_LISTINGS) {
    if (full.length <= 1100) prefixesKeepObjects(full, parse, range(full.length));
    else run(fc.nat({ max: full.length - 1 }), (n) => prefixesKeepObjects(full, parse, [n]), 200);
  }
});

/**
 * The number a `name: value` or `name = value` line gives `name` is a whole blank-separated decimal of that
 * line, exactly, or Number.MAX_SAFE_INTEGER for one above it (clamped, as the Linux limit files are).
 */
function valuesAreTokens(text: string, values: Record<string, number>, name: (line: string) => string | undefined): void {
  for (const [k, v] of Object.entries(values)) {
    const from = text.split('\n').filter((l) => name(l) === k);
    const says = (t: string): boolean => DEC.test(t) && (BigInt(t) > BigInt(Number.MAX_SAFE_INTEGER) ? v === Number.MAX_SAFE_INTEGER : String(v) === String(BigInt(t)));
    assert.ok(from.some((l) => l.split(/[\s:=]+/).some(says)), `${k} = ${v} is not a whole number of its line ${JSON.stringify(from)}`);
  }
}

test('ipcs -M/-S/-Q blocks and sysctl lines: whole finite values, each a whole number of its line (not a cut or a prefix of `123abc`)', () => {
  property(IPCS_LIMITS, (text) => {
    const v = twice(() => parseIpcsLimitBlocks(text));
    valuesAreTokens(text, v, (l) => /^\s*([a-z_]+):/.exec(l)?.[1]);
  });
  property(SYSCTL, (text) => {
    const v = twice(() => parseSysctlLines(text));
    valuesAreTokens(text, v, (l) => /^\s*(?:kern\.ipc|kern\.sysv|hw)\.([a-z_]+)\s*[:=]/.exec(l)?.[1]);
  });
});

test('parseModeString: only 11-character mode strings; the mode is the permission letters, the flags the capitals', () => {
  const modeChars = fc.array(fc.constantFrom('r', 'w', 'a', 'x', '-', 'D', 'C', 'R', 'S', 's', 't', 'T', 'X', ' ', '\0', 'é'), { minLength: 9, maxLength: 13 }).map((c) => c.join(''));
  run(fc.oneof(modeChars, evilText, fc.string({ unit: 'binary', maxLength: 14 })), (t) => {
    const r = twice(() => parseModeString(t));
    if (!r) return;
    assert.equal(t.length, 11);
    let mode = 0;
    for (let i = 0; i < 9; i++) if (t[2 + i] !== '-') mode |= 0o400 >> i;
    assert.deepEqual(r, { mode, flags: t.slice(0, 2).replace(/-/g, '') });
    assert.match(r.flags, /^[A-Z]{0,2}$/);
  });
});

test('parseUtcOffset: date +%z exactly (sign, two-digit hours and minutes), else undefined', () => {
  const offsets = fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.constantFrom('', ':'))
    .map(([s, h, m, c]) => `${s}${String(h).padStart(2, '0')}${c}${String(m).padStart(2, '0')}`);
  run(fc.oneof(offsets, evilText, offsets.map((o) => o.slice(0, -1)), offsets.map((o) => o + '0')), (t) => {
    const r = twice(() => parseUtcOffset(t));
    const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t.trim());
    if (!m) return assert.equal(r, undefined, JSON.stringify(t));
    const sec = Number(m[2]) * 3600 + Number(m[3]) * 60;
    assert.equal(r, m[1] === '-' ? -sec : sec);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The SSH probe: a remote host's output, the most hostile input

const NOW = 1795556584;
/**
 * A Linux probe document as the probe prints it: the probe parser's tests' document, with the sections the
 * probe adds for /dev/shm's statfs, the C library and one other IPC namespace (as probeNamespaces' tests).
 */
const LINUX = [
  '@@ipcx-probe 1', '@@section uname', 'Linux 6.18.44 x86_64', '@@section hostname', 'db1', '@@section uid', '0', '@@section now', String(NOW),
  '@@section tz', '+0000', '@@section ipcns', 'ipc:[4026532178]', '@@section btime', 'btime 1795555965', '@@section clktck', '100',
  '@@section pidns', 'pid:[4026531836]', '@@section nspid', 'NSpid:\t11300', '@@section procmount', '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '@@section groups', '0', '@@section clock', `${NOW}.250000000`, '619.00 1000.00', `${NOW}.260000000`, '@@section pagesize', '4096',
  '@@section libc', 'glibc 2.36',
  '@@section sysvipc-sem',
  '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime',
  '-838103764          0   644          3     0     0     0     0          0 1795556584',
  '   5432001      32769   600         17    70    70    70    70 1795556000 1795555990',
  '@@section sysvipc-shm',
  '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap',
  ' 134487831          0  1644                   100 11250 11251      1     0     0     0     0 1795556584          0 1795556584                  4096                     0',
  ' 134487832          2   600                   100  7001  7002      0     0     0     0     0 1795556000 1795556000 1795556000                     0                     0',
  '@@section sysvipc-msg',
  '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime',
  ' 841339801          0   644          10          2  7001     0     0     0     0     0 1795556500          0 1795556584',
  '@@section limits',
  '/proc/sys/kernel/sem 32000 1024000000 500 32000 ', '/proc/sys/kernel/shmmax 18446744073692774399 ', '/proc/sys/kernel/shmall 18446744073692774399 ',
  '/proc/sys/kernel/shmmni 4096 ', '/proc/sys/kernel/msgmax 8192 ', '/proc/sys/kernel/msgmnb 16384 ', '/proc/sys/kernel/msgmni 32000 ',
  '/proc/sys/kernel/shm_rmid_forced 0 ', '/proc/sys/fs/mqueue/queues_max 256 ', '/proc/sys/fs/mqueue/msg_max 10 ', '/proc/sys/fs/mqueue/msgsize_max 8192 ',
  '@@section devshm',
  '0 0 644 3 1795556584 40 3 /dev/shm/data file', '0 0 644 32 1795556584.5 40 2 /dev/shm/sem.orders',
  '@@section devshm-dir', '/dev/shm', '@@section devshm-statfs', '4096 16384 16000 16000 100000 99990 1021994',
  '@@section devshm-total', '2', '@@section devshm-status', '0 0 0', '@@section devshm-skipped', '1',
  '@@section devshm-sem', '2 0200000001000000800000000000000000000000000000000000000000000000',
  '@@section maps',
  '/proc/11251/maps:7f0000000000-7f0000001000 rw-s 00000000 00:01 0                          /SYSV08041d17 (deleted)',
  '/proc/11251/maps:7f0000002000-7f0000003000 rw-s 00000000 00:28 2                          /dev/shm/sem.orders',
  '! cut 3',
  '@@section ns-enter', 'root', '@@section ns-mode', 'read', '@@section ns-unreadable', '0',
  '@@section ns-list', '4026532178 11251', '4026532181 4242',
  '@@section ns.4026532181.meta', 'pid 4242', 'comm postgres', 'g 0::/system.slice/docker-2403ccfe427f2403ccfe427f2403ccfe427f2403ccfe427f2403ccfe427f2403.scope',
  'devshm 4096 16384 1000 1000 tmpfs',
  '@@section ns.4026532181.ipcns', 'ipc:[4026532181]', '@@section ns.4026532181.hostname', 'web-0',
  '@@section ns.4026532181.sysvipc-sem', ' key semid perms nsems uid gid cuid cgid otime ctime', '0 0 600 17 999 999 999 999 0 1764000000',
  '@@section ns.4026532181.sysvipc-shm', ' key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap',
  '@@section ns.4026532181.sysvipc-msg', ' key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime',
  '@@section ns.4026532181.limits', '/proc/sys/kernel/sem 250 32000 32 8',
  '@@section ns.4026532181.pids', 'q 4242 ENOENT ESRCH',
  '@@section pids',
  'q 7001 ENOENT ESRCH', 'q 7002 unreadable EPERM', 'q 11250 ENOENT EPERM',
  'p 11251 1 0 ipc:[4026532178] 11251 (my app) S 1 11251 11251 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 5000 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0',
  'c 11251 /usr/bin/my app --flag ',
  '@@end', '',
].join('\n');

/** A FreeBSD probe document around real `ipcs -a` (default: the fixture's), `ipcs -M`, `ipcs -S` and sysctl output. */
const freebsdProbe = (ipcsA = fx('freebsd', 'ipcs-a.txt')): string => [
  '@@ipcx-probe 1', '@@section uname', 'FreeBSD 11.2-RELEASE amd64', '@@section hostname', 'jailhost', '@@section uid', '0',
  '@@section now', String(NOW), '@@section tz', '+0100', '@@section pagesize', '4096',
  '@@section ipcs-a', ipcsA.trimEnd(), '@@section ipcs-M', fx('freebsd', 'ipcs-M.txt').trimEnd(),
  '@@section ipcs-S', fx('freebsd', 'ipcs-S.txt').trimEnd(), '@@section ipcs-Q', 'ipcs: illegal option -- Q',
  '@@section sysctl', fx('freebsd', 'sysctl-kern.ipc-sem.txt').trimEnd(),
  '@@section pids', 'p 21599 1 postgres', 'p 22110 1 zabbix_server', 'q 22711 ENOENT ESRCH',
  '@@end', '',
].join('\n');
const FREEBSD = freebsdProbe();

/** macOS: the header line comes before each section title, keys in hex, names for owners. */
const DARWIN = [
  '@@ipcx-probe 1', '@@section uname', 'Darwin 23.1.0 arm64', '@@section uid', '501', '@@section now', String(NOW), '@@section tz', '-0530',
  '@@section ipcs-a', fx('macos', 'ipcs-a.txt').trimEnd(), '@@section ipcs-M', fx('macos', 'ipcs-M.txt').trimEnd(),
  '@@section ipcs-S', fx('macos', 'ipcs-S.txt').trimEnd(), '@@section sysctl', `${fx('macos', 'sysctl-sem.txt').trimEnd()}\n${fx('macos', 'sysctl-shm.txt').trimEnd()}`,
  '@@section pids', 'p 512 1 Xcode', 'q 530 ENOENT ESRCH', 'q 97 ENOENT EPERM',
  '@@end', '',
].join('\n');

const PROBES = [LINUX, FREEBSD, DARWIN];
/** The killers of the probe's exhaustive pass: the others take the same paths in its section readers (each parser's test tries them all). */
const PROBE_KILLERS = ['9'.repeat(400), '-1', '__proto__'];
/**
 * The documents whose every field the exhaustive pass replaces: the FreeBSD one with the first rows of its
 * listing only (every field of the listings is replaced in the ipcs parser's own test).
 */
const PROBES_EXHAUSTIVE = [LINUX, freebsdProbe(fx('freebsd', 'ipcs-a.txt').split('\n').slice(0, 7).join('\n')), DARWIN];
const opts = { host: 'h', extraPids: [11251, 4242] };

for (const [name, doc] of [['Linux', LINUX], ['FreeBSD', FREEBSD], ['macOS', DARWIN]] as const) {
  test(`probe (${name}): the unmutated document parses without errors`, () => {
    const r = parseProbe(doc, opts);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const s = r.value.snapshot;
    assert.ok(s.sems.length + s.shms.length + s.msgs.length > 0);
    assert.deepEqual(s.errors, []);
    // the other namespace's sections are read (parseNamespaces), as a snapshot of its own
    if (name === 'Linux') assert.equal(r.value.namespaces?.list[0]?.snapshot?.sems.length, 1);
  });
}

/** Every object of a parsed probe's snapshot and of each namespace's, by namespace, kind and id (POSIX ones by path). */
function snapshotObjects(p: ParsedProbe): Map<string, unknown> {
  const m = new Map<string, unknown>();
  const add = (ns: string, s: IpcSnapshot): void => {
    for (const o of [...s.sems, ...s.shms, ...s.msgs]) m.set(`${ns} ${o.kind}:${o.id}`, o);
    for (const o of [...s.posixSems, ...s.posixShms]) m.set(`${ns} ${o.kind}:${o.path}`, o);
  };
  add('own', p.snapshot);
  for (const n of p.namespaces?.list ?? []) if (n.snapshot) add(n.namespace.ns, n.snapshot);
  return m;
}

test('probe: mutated documents (Linux, FreeBSD, macOS) never throw; an EPARSE or a snapshot with finite numbers and whole ids', () => {
  property(PROBES, (text) => {
    const r = twice(() => parseProbe(text, opts), !text.includes('\nLinux '));
    if (!r.ok) return assert.equal(r.error.code, 'EPARSE');
    for (const o of [...r.value.snapshot.sems, ...r.value.snapshot.shms, ...r.value.snapshot.msgs]) {
      assert.ok(o.id <= 0x7fffffff, `${o.kind} ${o.id}`);
    }
    assert.ok(parseProbeFacts(text, opts).ok, 'the facts of a document that gives a snapshot');
  }, { numRuns: 400, killers: PROBE_KILLERS, exhaustive: PROBES_EXHAUSTIVE });
});

test('probe: every strict prefix (cut at any byte) is an EPARSE, never a snapshot with shortened values', () => {
  for (const doc of PROBES) {
    const whole = parseProbe(doc, opts);
    assert.ok(whole.ok);
    const objects = snapshotObjects(whole.value);
    for (let n = 0; n < doc.length - 1; n++) {
      const r = parseProbe(doc.slice(0, n), opts);
      if (!r.ok) {
        assert.equal(r.error.code, 'EPARSE');
        continue;
      }
      for (const [k, o] of snapshotObjects(r.value)) assert.deepEqual(o, objects.get(k), `cut after ${n} bytes: ${k}`);
    }
  }
});

/**
 * The header fields the /proc/sysvipc and ipcs parsers give an object, not what other sections add to it:
 * attachers (maps), values (detail), and on Linux qbytes (/proc/sysvipc/msg has no such column: the snapshot
 * takes MSGMNB from the limits section).
 */
function header(o: SysvObject, linux: boolean): Record<string, unknown> {
  const { attachers: _a, values: _v, elems: _e, ...h } = o as SysvObject & { attachers?: number[]; values?: number[]; elems?: unknown };
  const fields: Record<string, unknown> = h;
  if (linux && o.kind === 'msg') delete fields.qbytes;
  return fields;
}

/** Columns an object may lack (old kernels print no rss/swap): a cut may lose them, never change them. */
const OPTIONAL_COLUMNS = new Set(['rss', 'swap']);

/** ipcs column of each field whose column an ipcs listing may lack (ipcsParser: 0, or -1 for an owner, and a warning). */
const IPCS_COLUMN: Record<string, string> = { uid: 'OWNER', gid: 'GROUP', cuid: 'CREATOR', cgid: 'CGROUP' };

/**
 * Every field `o` has is `whole`'s, unless the parser said it could not read it (an ipcs column the listing
 * lacks: its placeholder and a warning among `warnings`); what `o` lacks is an optional column.
 */
function sameOrLess(o: Record<string, unknown>, whole: Record<string, unknown>, what: string, warnings: readonly string[]): void {
  for (const [k, v] of Object.entries(o)) {
    const column = IPCS_COLUMN[k] ?? k.toUpperCase();
    const unread = v === (IPCS_COLUMN[k] ? -1 : 0) && warnings.some((w) => w.includes(`listing has no ${column} column`));
    if (!unread) assert.deepEqual(v, whole[k], `${what}: ${k} is ${JSON.stringify(v)}, the whole document's ${JSON.stringify(whole[k])}`);
  }
  for (const k of Object.keys(whole)) assert.ok(k in o || OPTIONAL_COLUMNS.has(k), `${what}: ${k} is missing`);
}

/** Sections written by a pipeline, whose next step ends a line its writer left cut (probeScript.ts): maps, /dev/shm, ns-list. */
const PIPELINE_SECTIONS = new Set(['maps', 'devshm', 'ns-list']);

/** A POSIX object without what other sections add to it (attachers: maps). */
const posixFile = (o: { attachers?: number[] }): unknown => {
  const { attachers: _a, ...f } = o;
  return f;
};

test('probe: a step that dies mid-line (the next line glued on; in a pipeline\'s section, the line ended early) never changes an object it still lists, nor kills a pid', () => {
  const cases = PROBES.map((doc) => {
    const whole = parseProbe(doc, opts);
    assert.ok(whole.ok);
    const s = whole.value.snapshot;
    const lines = doc.split('\n');
    const sectionOf = (n: number): string => lines.slice(0, n).reverse().find((l) => l.startsWith('@@section '))?.slice('@@section '.length) ?? '';
    const body = range(lines.length - 1).filter((n) => n > 0 && !lines[n]!.startsWith('@@'));
    return {
      lines, body, sectionOf,
      linux: s.platform === 'linux',
      objects: new Map([...s.sems, ...s.shms, ...s.msgs].map((o) => [`${o.kind}:${o.id}`, header(o, s.platform === 'linux')])),
      posix: new Map([...s.posixSems, ...s.posixShms].map((o) => [o.path, posixFile(o)])),
      dead: new Set(Object.values(s.processes).filter((f) => f.liveness === 'dead').map((f) => f.pid)),
    };
  });
  const judge = (c: (typeof cases)[number], n: number, at: number, glue: boolean): void => {
    const { lines, linux, objects, posix, dead } = c;
    const what = `line ${n + 1} ${glue ? 'glued' : 'ended'} after ${at} (${JSON.stringify(lines[n]!.slice(0, at))})`;
    const v = mutateLines(lines, { op: glue ? 'glue' : 'cutLine', i: n, at });
    // the /dev/shm listing's step that died reports its status as the shell saw it (SIGKILL: 137)
    const listing = !glue && c.sectionOf(n) === 'devshm';
    if (listing) v[v.indexOf('@@section devshm-status') + 1] = '137 0 0';
    const r = parseProbe(v.join('\n'), opts);
    if (!r.ok) return;
    const s = r.value.snapshot;
    for (const o of [...s.sems, ...s.shms, ...s.msgs]) {
      const w = objects.get(`${o.kind}:${o.id}`);
      assert.ok(w, `${what}: ${o.kind} ${o.id} is not in the whole document`);
      sameOrLess(header(o, linux), w, `${what}, ${o.kind} ${o.id}`, s.warnings);
    }
    if (listing) {
      for (const o of [...s.posixSems, ...s.posixShms]) {
        const same = isDeepStrictEqual(posixFile(o), posix.get(o.path));
        assert.ok(same || s.devShmIncomplete, `${what}: ${o.path} is not the whole document's, and the listing is not marked incomplete`);
      }
    }
    for (const f of Object.values(s.processes)) if (f.liveness === 'dead') assert.ok(dead.has(f.pid), `${what}: pid ${f.pid} taken for dead`);
  };
  // glued: any line of any section, cut anywhere
  run(fc.tuple(fc.nat({ max: cases.length - 1 }), fc.nat(), fc.nat()), ([k, i, at]) => {
    const c = cases[k]!;
    const n = c.body[i % c.body.length]!;
    judge(c, n, at % (c.lines[n]!.length + 1), true);
  }, 500);
  // ended early: every line of the pipelines' sections, cut at every character
  for (const c of cases) {
    for (const n of c.body.filter((x) => PIPELINE_SECTIONS.has(c.sectionOf(x)))) {
      for (let at = 0; at < c.lines[n]!.length; at++) judge(c, n, at, false);
    }
  }
});

const SEMDETAIL = [
  '@@ipcx-semdetail 1', '@@section sem 0', '', 'Semaphore Array semid=0', 'uid=0\t gid=0\t cuid=0\t cgid=0', 'mode=0644, access_perms=0644', 'nsems = 2',
  'otime = Not set                   ', 'ctime = Tue Nov 24 21:43:04 2026  ', 'semnum     value      ncount     zcount     pid       ',
  '0          4          1          0          321       ', '1          537        0          2          0         ', '',
  '@@section sem 99', 'ipcs: id 99 not found', '@@section sem 5', 'ipcs: Permission denied', '@@end', '',
].join('\n');

test('semaphore detail: mutated ipcs -s -i answers give per-set values in the kernel\'s ranges, each row read exactly, or an error', () => {
  property([SEMDETAIL], (text) => {
    const r = twice(() => parseSemDetail(text, [0, 99, 5, 7], 'h'));
    if (!r.ok) return assert.equal(r.error.code, 'EPARSE');
    assert.deepEqual([...r.value.keys()], [0, 99, 5, 7]);
    for (const [id, v] of r.value) {
      if (!Array.isArray(v)) continue;
      const rows = text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 5 && f.every((x) => DEC.test(x)));
      v.forEach((e, i) => {
        assert.ok(e.semval <= 32767 && e.pid <= 4194304, `set ${id}: ${JSON.stringify(e)}`);
        assert.ok(rows.some((f) => Number(f[0]) === i && [e.semval, e.ncount, e.zcount, e.pid].every((x, j) => x === Number(f[j + 1]))), `set ${id} row ${i}`);
      });
    }
  });
  const body = SEMDETAIL.split('@@section sem 0\n')[1]!.split('@@section')[0]!;
  property([body], (text) => {
    const r = twice(() => parseIpcsSemI(text, 3, 'h'));
    if (!Array.isArray(r)) assert.match(r.code, /^(EPARSE|EINVAL|EACCES|ENOTSUP)$/);
  });
});

test('semaphore detail: every strict prefix of the answer is an EPARSE', () => {
  for (let n = 0; n < SEMDETAIL.length - 1; n++) {
    const r = parseSemDetail(SEMDETAIL.slice(0, n), [0], 'h');
    assert.equal(r.ok, false, `cut after ${n} bytes`);
  }
});

test('removal results and the lock self-test: mutated answers are an EPARSE or one of the documented outcomes', () => {
  const removes = ['ok', 'gone', 'changed ctime is now 5', 'failed ipcrm: permission denied for id (5)'].map((r) => `@@ipcx-remove 1\n@@result ${r}\n@@end\n`);
  property(removes, (text) => {
    const r = twice(() => parseRemoveResult(text, 'h'));
    if (!r.ok) return assert.equal(r.error.code, 'EPARSE');
    assert.match(r.value.result, /^(ok|gone|changed|failed)$/);
  });
  const locks = ['locked x86_64 membarrier', 'locked generic64 sleep', 'unlocked perl not found'].map((l) => `@@ipcx-lockprobe 1\n@@section lock\n${l}\n@@end\n`);
  property(locks, (text) => {
    const r = twice(() => parseLockProbe(text, 'h'));
    if (!r.ok) return assert.equal(r.error.code, 'EPARSE');
    const v = r.value;
    if (v.mode === 'locked') {
      // locked only for the exact line
      assert.ok(text.split('\n').some((l) => l.trim() === `locked ${v.layout} ${v.quiesce}`), JSON.stringify(text));
    } else {
      assert.match(v.reason, /^[\x20-\x7e]*$/, 'a host\'s reason is shown as printable ASCII only');
    }
  });
  for (const doc of [...removes, ...locks]) {
    for (let n = 0; n < doc.length - 1; n++) {
      const r = doc.startsWith('@@ipcx-remove') ? parseRemoveResult(doc.slice(0, n), 'h') : parseLockProbe(doc.slice(0, n), 'h');
      assert.equal(r.ok, false, `${JSON.stringify(doc)} cut after ${n} bytes`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// /proc/PID files, /etc/passwd, postmaster.pid, libc answers

const MAPS = [fx('proc', 'maps-attacher.txt'), fx('proc', 'maps-posix-sem.txt')];

test('parseMaps: mutated maps give whole shmids and dev:ino keys, each the inode column of a line that says so', () => {
  const check = (text: string, all: boolean): void => {
    const wanted = all ? undefined : new Set(['40:2', '64768:26723', '1:0']);
    const r = twice(() => parseMaps(text, wanted));
    const lines = text.split('\n').map((l) => l.trim().split(/\s+/));
    for (const id of r.sysvShmids) {
      assert.ok(id <= 0x7fffffff && lines.some((f) => f[5]?.startsWith('/SYSV') && DEC.test(f[4]!) && BigInt(f[4]!) === BigInt(id)), `shmid ${id}`);
    }
    for (const k of r.files) {
      // dev:ino keys are made as everywhere else (devInoKey of Numbers): the inode column is a u64
      const [dev, ino] = k.split(':');
      assert.ok(DEC.test(dev!) && DEC.test(ino!), `file key ${k}`);
      assert.ok(lines.some((f) => DEC.test(f[4]!) && f[4]!.length <= 20 && String(Number(f[4])) === ino), `file key ${k}: no line has inode ${ino}`);
    }
  };
  run(fc.tuple(hostile(MAPS), fc.boolean()), ([text, all]) => check(text, all));
  // every /SYSV and /dev/shm line of the fixtures and the first lines of each (the others are alike)
  const excerpt = MAPS.flatMap((m) => m.split('\n').filter((l, i) => i < 3 || / \/(SYSV|dev\/shm\/)/.test(l))).join('\n');
  exhaustively([excerpt], (text) => check(text, true));
  exhaustively([excerpt], (text) => check(text, false));
});

const STATUS = fx('proctree', 'proc', '23333', 'status') +
  'Gid:\t0\t0\t0\t0\nGroups:\t4 27 \nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nKthread:\t0\n';

test('parseTaskStatus: ids read exactly from their lines (four each), capabilities as 64-bit, or undefined', () => {
  property([STATUS], (text) => {
    const c = twice(() => parseTaskStatus(text));
    if (!c) return;
    for (const [k, ids] of [['Uid', c.uids], ['Gid', c.gids], ['Groups', c.groups]] as const) {
      const line = new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(text)![1]!.trim();
      assert.deepEqual(ids.map(String), line.split(/\s+/).filter(Boolean).map((x) => String(BigInt(x))), `${k}: ${JSON.stringify(line)}`);
    }
    assert.ok(c.capEff >= 0n && c.capEff < 2n ** 64n && c.capPrm >= 0n && c.capPrm < 2n ** 64n);
  });
});

const SYSCALL = ['70 0x7 0x0 0x40 0x0 0x0 0x0 0x7ffd8f0 0x7f12', '-1 0x7ffd 0x7f12', 'running', '117 0xc 0x7 0x40 0x0 0x0 0x0 0x7ffd8f0 0x7f12'];

test('parseSyscallFile: a whole syscall number and six 64-bit arguments read from the text, \'running\', \'none\' or undefined', () => {
  property(SYSCALL, (text) => {
    const r = twice(() => parseSyscallFile(text));
    if (r === undefined || r === 'running' || r === 'none') return;
    const w = text.trim().split(/\s+/);
    assert.ok(Number.isSafeInteger(r.nr) && String(r.nr) === String(BigInt(w[0]!)), `nr ${r.nr} from ${JSON.stringify(w[0])}`);
    assert.equal(r.args.length, 6);
    r.args.forEach((a, i) => assert.equal(a, BigInt(w[i + 1]!)));
  });
});

const STAT = fx('proctree', 'proc', '23333', 'stat');

test('parseProcStat: pid, ppid and starttime are the decimal fields of the text, whole and finite, or undefined', () => {
  const named = fc.string({ unit: 'binary', maxLength: 16 }).map((comm) => STAT.replace('(python3)', `(${comm})`));
  const check = (text: string): void => {
    const st = twice(() => parseProcStat(text));
    if (!st) return;
    const rest = text.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/);
    assert.equal(String(st.pid), text.slice(0, text.indexOf('(')).trim().replace(/^0+(?=\d)/, ''));
    assert.ok(DEC.test(rest[1]!) && st.ppid === Number(rest[1]), `ppid ${st.ppid} from ${JSON.stringify(rest[1])}`);
    assert.ok(Number.isSafeInteger(st.starttime) && String(st.starttime) === rest[19]!.replace(/^0+(?=\d)/, ''), `starttime ${st.starttime} from ${JSON.stringify(rest[19])}`);
  };
  run(named, check);
  property([STAT], check);
});

test('parseBootTime, parseStatusUid, parseUptime: the text\'s number exactly, whole (uptime: finite), or undefined', () => {
  property([fx('proctree', 'proc', 'stat')], (text) => {
    const b = twice(() => parseBootTime(text));
    if (b !== undefined) assert.ok(Number.isSafeInteger(b) && new RegExp(`^btime\\s+0*${b}\\s*$`, 'm').test(text), `btime ${b}`);
  });
  property([STATUS], (text) => {
    const u = twice(() => parseStatusUid(text));
    if (u !== undefined) assert.ok(Number.isSafeInteger(u) && new RegExp(`^Uid:\\s+0*${u}(?=\\s|$)`, 'm').test(text), `uid ${u}`);
  });
  property(['619.00 1000.00\n', '3.5 1\n', '12 7'], (text) => {
    const u = twice(() => parseUptime(text));
    if (u !== undefined) assert.ok(u >= 0 && Number.isFinite(u));
  });
});

test('parseCmdline: NUL-separated argv as one line without NULs, undefined only when empty', () => {
  run(fc.oneof(hostile(['/usr/bin/python3\0-m\0http.server\0', 'postgres\0-D\0/var/lib/pg\0\0']), fc.string({ unit: 'binary', maxLength: 40 })), (raw) => {
    const c = twice(() => parseCmdline(raw));
    if (c === undefined) return assert.match(raw, /^\0*$/);
    assert.ok(!c.includes('\0'));
    assert.equal(c, raw.replace(/\0+$/, '').replace(/\0/g, ' '));
  });
});

test('parseReaderView: the clock offset is finite whatever the host\'s /proc/uptime and clock say; hidepid is one of its four values', () => {
  // realtime comes in as numbers (the probe's clock section is read by probeLinux, tested with the probe)
  const num = fc.oneof(fc.double({ min: -1e300, max: 1e300, noNaN: true }), fc.integer());
  run(fc.record({
    uptime: hostile(['619.00 1000.00\n']), lo: num, hi: num, status: hostile(['NSpid:\t11300\n']),
    mount: fc.tuple(hostile(['22 27 0:21 / /proc rw,relatime - proc proc rw,hidepid=invisible,gid=4']), fc.option(evilText))
      .map(([m, h]) => (h === null ? m : m.replace('hidepid=invisible', `hidepid=${h}`))),
    ns: hostile(['pid:[4026531836]']),
  }), (i) => {
    const realtime: [number, number] = [i.lo, i.hi];
    const v = twice(() => parseReaderView({
      pidNsLink: i.ns, selfStatus: i.status, mountinfo: i.mount, procMountPoint: '/proc', uptime: i.uptime, realtime, euid: 1000, groups: [4],
    }));
    if (v.clockOffsetError !== undefined) assert.ok(v.clockOffsetError > 0);
    assert.ok([undefined, 'off', 'noaccess', 'invisible', 'ptraceable'].includes(v.hidepid), `hidepid ${String(v.hidepid)}`);
  });
});

test('parseHostLibc and parseLibcVersionOutput: a release of digits, a known other libc, or unknown', () => {
  const answers = ['glibc 2.36', 'musl libc (x86_64)', 'ldd (Debian GLIBC 2.36-9+deb12u7) 2.36\nCopyright (C) 2022', 'glibc 2.41.9000'];
  run(fc.tuple(hostile(answers), fc.constantFrom('linux' as const, 'freebsd' as const, 'darwin' as const, 'unknown' as const)), ([text, platform]) => {
    const l = twice(() => parseHostLibc(text, platform));
    if (l.kind === 'glibc') assert.match(l.release, /^\d{1,3}\.\d{1,3}$/);
    const v = twice(() => parseLibcVersionOutput(text));
    if (v !== null) assert.match(v, /^\d+\.\d+(\.\d+)?$/);
  });
});

const CGROUPS = fs.readdirSync(path.join(FIXTURES, 'cgroup')).map((f) => fx('cgroup', f));

test('parseProcCgroup: mutated /proc/PID/cgroup never throws; a container\'s id is hex, its path one of the text\'s', () => {
  property(CGROUPS, (text) => {
    const c = twice(() => parseProcCgroup(text));
    if (!c) return;
    if (c.id !== undefined) assert.match(c.id, /^[0-9a-f]{12,64}$/);
    assert.ok(text.includes(c.cgroupPath));
  }, { sep: COLONS });
});

const POSTMASTER = '21599\n/var/lib/postgresql/15/main\n1700000000\n5432\n/var/run/postgresql\n*\n  2162189         4\nready   \n';

test('parsePostmasterPid: pid, port and shmid are the decimal lines of the file, whole; the key its low 32 bits', () => {
  property([POSTMASTER], (text) => {
    const r = twice(() => parsePostmasterPid(text));
    const lines = text.split('\n');
    if (r.pid !== undefined) assert.ok(DEC.test(lines[0]!.trim()) && r.pid === Number(lines[0]!.trim()) && r.pid > 0, `pid ${r.pid} from ${JSON.stringify(lines[0])}`);
    if (r.port !== undefined) assert.ok(DEC.test(lines[3]!.trim()) && r.port === Number(lines[3]!.trim()), `port ${r.port} from ${JSON.stringify(lines[3])}`);
    if (r.shmId !== undefined || r.shmKey !== undefined) {
      const [k, id] = lines[6]!.trim().split(/\s+/);
      assert.equal(r.shmKey, Number(BigInt.asIntN(32, BigInt(k!))), `key from ${JSON.stringify(lines[6])}`);
      assert.equal(String(r.shmId), String(BigInt(id!)), `shmid from ${JSON.stringify(lines[6])}`);
    }
  });
});

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\npostgres:x:26:26::/var/lib/pgsql:/bin/bash\nnobody:x:65534:65534::/:/sbin/nologin\n';

test('parsePasswd: every uid is the third field of a line, whole, and names that line\'s user', () => {
  property([PASSWD], (text) => {
    const m = twice(() => parsePasswd(text));
    for (const [uid, name] of m) {
      assert.ok(text.split('\n').some((l) => {
        const f = l.split(':');
        return f[0] === name && DEC.test(f[2] ?? '') && Number(f[2]) === uid;
      }), `${uid} -> ${name}`);
    }
  }, { sep: COLONS });
});

// ---------------------------------------------------------------------------------------------------------
// Bytes: /dev/shm semaphore files (any local user can write one), PostgreSQL's shared memory

const SEM_IMAGES = [
  '0300000000000000800000000000000000000000000000000000000000000000', '0000000002000000800000000000000000000000000000000000000000000000',
  '0200000000000000030000000000000000000000000000000000000000000000', '07000000800000000000000002000000',
].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));

/** Arbitrary bytes (any length, 0 included), and real images with bytes flipped, cut or added; some as a view into a larger buffer. */
function bytesFrom(bases: readonly Uint8Array[], maxLength: number): fc.Arbitrary<Uint8Array> {
  const edited = fc.tuple(fc.constantFrom(...bases), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.option(fc.nat()), fc.uint8Array({ maxLength: 8 }))
    .map(([b, flips, cut, extra]) => {
      const out = Uint8Array.from(b);
      for (const [i, v] of flips) if (out.length) out[i % out.length] = v;
      if (cut !== null) return out.subarray(0, cut % (out.length + 1));
      return extra.length && extra[0]! < 64 ? Uint8Array.from([...out, ...extra]) : out;
    });
  const plain = fc.oneof(edited, fc.uint8Array({ maxLength }));
  // a view at an odd offset into a bigger buffer: readers must honour byteOffset
  return fc.tuple(plain, fc.nat({ max: 7 })).map(([b, off]) => {
    if (!off) return b;
    const big = new Uint8Array(b.length + off + 3).fill(0xee);
    big.set(b, off);
    return big.subarray(off, off + b.length);
  });
}

const le32 = (b: Uint8Array, o: number): number => Buffer.from(b.buffer, b.byteOffset, b.byteLength).readUInt32LE(o);

test('decodePosixSem: any bytes decode to a glibc layout whose values are the bytes\', or to a decodeError; never a guess', () => {
  const atomic = fc.option(fc.record({ lo32: fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), hi32: fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }) }), { freq: 3 });
  run(fc.tuple(bytesFrom(SEM_IMAGES, 48), atomic), ([bytes, atomicWord]) => {
    const r = twice(() => decodePosixSem(atomicWord ? { bytes, atomicWord } : { bytes }, '/dev/shm/sem.x'));
    if ('decodeError' in r) return assert.equal(r.decodeError.code, 'EPARSE');
    const d = r.decoded;
    assert.equal(d.raw, Buffer.from(bytes).toString('hex'));
    assert.ok(bytes.length === 16 || bytes.length === 32, `${bytes.length} bytes decoded`);
    assert.ok(d.private === 0 || d.private === FUTEX_SHARED);
    assert.ok(d.value <= SEM_VALUE_MAX && d.nwaiters <= 0xffffffff);
    const lo = atomicWord ? atomicWord.lo32 >>> 0 : le32(bytes, 0);
    const hi = atomicWord ? atomicWord.hi32 >>> 0 : le32(bytes, 4);
    if (d.layout === 'glibc-new-64') assert.deepEqual([d.value, d.nwaiters, d.private], [lo, hi, le32(bytes, 8)]);
    else if (d.layout === 'glibc-old-64') assert.deepEqual([d.value, d.nwaiters, d.private], [lo, le32(bytes, 8), hi]);
    else assert.deepEqual([d.layout, d.value, d.nwaiters, d.private], ['glibc-new-32', lo >>> 1, le32(bytes, 12), le32(bytes, 4)]);
  });
});

/** A header with a real capture's pid, dsm handle and data directory, and 8 bytes after it. */
function pgHeaderBytes(): Uint8Array {
  const b = new Uint8Array(PG_SHMEM_HEADER_BYTES + 8);
  b.set(withDsmControl(pgHeader(21599, 64769n, 2162189n), 1804289383));
  return b;
}

test('parsePgShmemHeader: any bytes give undefined or the header\'s fields as laid out (LP64 little-endian)', () => {
  run(bytesFrom([pgHeaderBytes()], 80), (bytes) => {
    const h = twice(() => parsePgShmemHeader(bytes));
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < PG_SHMEM_HEADER_BYTES || dv.getInt32(0, true) !== PG_SHMEM_MAGIC) return assert.equal(h, undefined);
    // creatorPID is the header's pid_t as written: consumers take it only when > 0
    assert.deepEqual(h, {
      magic: PG_SHMEM_MAGIC, creatorPid: dv.getInt32(4, true), totalSize: dv.getBigUint64(8, true), dsmControl: dv.getUint32(24, true),
      device: dv.getBigUint64(40, true), inode: dv.getBigUint64(48, true),
    });
  });
});

test('parseDsmControl: any bytes give an error text or a sane control segment whose items are its used slots', () => {
  const bases = [controlBytes([[100, 2], [0, 0], [7, 2]], 8, 40), controlBytes([[7, 3]], 4, 24), controlBytes([[9, 2], [11, 1]], 3, 8)];
  run(bytesFrom(bases, 400), (bytes) => {
    const r = twice(() => parseDsmControl(bytes));
    if (typeof r === 'string') return;
    const headerSize = r.itemSize === 8 ? 12 : 16;
    assert.equal(headerSize + r.itemSize * r.maxitems, bytes.length);
    assert.ok(r.nitems <= r.maxitems && r.items.length <= r.nitems);
    const used = range(r.nitems).map((i) => [le32(bytes, headerSize + i * r.itemSize), le32(bytes, headerSize + i * r.itemSize + 4)]).filter(([, c]) => c! > 0);
    assert.deepEqual(r.items.map((x) => [x.handle, x.refcnt]), used);
    for (const x of r.items) assert.equal(x.mainRegion, r.itemSize === 40 && (x.handle & 1) === 1);
  });
});

/**
 * The /proc/sysvipc parser reads well-formed lines on a fast path (digits straight from the text) and every
 * other line on the general path, which says what is wrong with it. Both must give the same items and the
 * same errors for ANY input: random tables mixing kernel-shaped rows with every edge a row can have
 * (column bounds and one past them, values beyond 2^53, 21- and 22-character fields, `-0`, non-octal and
 * too-wide modes, tabs and carriage returns, short and long rows, headers with and without rss/swap,
 * blank lines, repeated ids) are parsed both ways and compared.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcMsg, parseProcSem, parseProcShm, type ProcParseOptions } from '../../../extension/domain/procParser';

const HEADERS = {
  sem: ['key semid perms nsems uid gid cuid cgid otime ctime'],
  shm: ['key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap', 'key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime'],
  msg: ['key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime'],
} as const;

const EDGES = [
  '0', '1', '-1', '-0', '7', '600', '777', '1777', '7777', '17777', '0777', '8', '9', '0600', '1000000', '01',
  '2147483647', '2147483648', '-2147483648', '-2147483649', '4294967295', '4294967296', '4194304', '4194305',
  '32000', '32001', '33554432', '33554433', '9007199254740991', '9007199254740993', '18446744073709551615',
  '18446744073709551616', '123456789012345678901', '1234567890123456789012', '-12345678901234567890',
  '', '-', 'x', '1x', '0x10', '1e3', '+1', '1.5', '１',
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function table(kind: keyof typeof HEADERS, seed: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const header = pick(HEADERS[kind]);
  const cols = header.split(' ').length;
  const sep = () => pick([' ', ' ', ' ', '  ', '\t', ' \t ']);
  // 16 to 20 digits: where adding digit by digit in floating point rounds differently from Number(text)
  const big = () => {
    let d = String(1 + Math.floor(r() * 9));
    for (let n = 16 + Math.floor(r() * 5); d.length < n;) d += String(Math.floor(r() * 10));
    return d;
  };
  const lines: string[] = [(r() < 0.5 ? '       ' : '') + header.split(' ').join(sep())];
  for (let i = 0; i < 200; i++) {
    const roll = r();
    if (roll < 0.03) {
      lines.push(pick(['', '   ', '\t']));
      continue;
    }
    if (roll < 0.05) {
      lines.push(pick(HEADERS[kind]).split(' ').join(' '));
      continue;
    }
    const n = roll < 0.1 ? Math.max(0, cols - 1 - Math.floor(r() * 4)) : roll < 0.13 ? cols + 1 + Math.floor(r() * 2) : cols;
    const f: string[] = [];
    for (let c = 0; c < n; c++) {
      // mostly plausible values (ids mostly distinct, a few repeated), sometimes an edge
      f.push(r() > 1.5 / cols ? String(c === 1 ? (r() < 0.03 ? Math.floor(r() * i) : i) : c === 2 ? pick(['600', '666', '1600', '2600', '644']) : Math.floor(r() * 100000)) : r() < 0.3 ? big() : pick(EDGES));
    }
    let line = (r() < 0.5 ? '  ' : '') + f.join(sep());
    if (r() < 0.05) line += '\r';
    if (r() < 0.05) line += ' ';
    lines.push(line);
  }
  return lines.join('\n') + (r() < 0.5 ? '\n' : '');
}

const PARSERS = {
  sem: (t: string, o: ProcParseOptions) => parseProcSem(t, '/proc/sysvipc/sem', o),
  shm: (t: string, o: ProcParseOptions) => parseProcShm(t, '/proc/sysvipc/shm', o),
  msg: (t: string, o: ProcParseOptions) => parseProcMsg(t, '/proc/sysvipc/msg', o),
};

for (const kind of ['sem', 'shm', 'msg'] as const) {
  test(`${kind}: the fast path gives the general path's items and errors on 150 random tables with every edge a row can have`, () => {
    let items = 0;
    let errors = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const text = table(kind, seed * 7919 + kind.length);
      for (const semmsl of kind === 'sem' ? [undefined, 33554432] : [undefined]) {
        const o = semmsl === undefined ? {} : { semmsl };
        const fast = PARSERS[kind](text, { ...o, fastPath: true });
        const general = PARSERS[kind](text, { ...o, fastPath: false });
        assert.deepEqual(fast, general, `seed ${seed}`);
        items += fast.items.length;
        errors += fast.errors.length;
      }
    }
    // both kinds of line really occur
    assert.ok(items > 8_000, `items ${items}`);
    assert.ok(errors > 2_000, `errors ${errors}`);
  });
}

test('a kernel-shaped table takes the fast path: values beyond 2^53 read exactly, -0 kept, perms as octal', () => {
  const text = [
    '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap',
    '        -0          5  1600  18446744073709551615   970     0      0     0     0     0     0          0          0 1796289733     9007199254740993                     0',
  ].join('\n') + '\n';
  const r = parseProcShm(text);
  assert.deepEqual(r.errors, []);
  assert.equal(r.items[0].segsz, Number('18446744073709551615'));
  assert.equal(r.items[0].rss, Number('9007199254740993'));
  assert.ok(Object.is(r.items[0].key, 0));
  assert.equal(r.items[0].mode, 0o1600);
  assert.equal(r.items[0].dest, true);
  assert.deepEqual(r, parseProcShm(text, undefined, { fastPath: false }));
});

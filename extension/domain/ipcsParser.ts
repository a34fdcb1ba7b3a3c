/**
 * Parsers for BSD-family `ipcs` and `sysctl` output (FreeBSD and macOS), producing the same model as the
 * Linux /proc parsers, for remote hosts whose probe runs `ipcs -a`, `ipcs -M -S -Q` (or `-T`) and
 * `sysctl kern.ipc` / `sysctl kern.sysv`.
 *
 * Accepted listings (columns are found by the header line, so `-a`, `-ma`, `-as`, `-b -c -o -p -t` subsets
 * and both platforms' orders work):
 *   FreeBSD  `T ID KEY MODE OWNER GROUP CREATOR CGROUP NATTCH SEGSZ CPID LPID ATIME DTIME CTIME` after a
 *            section title (`Shared Memory:`); keys in signed decimal; times `H:MM:SS` or `no-entry`.
 *   macOS    `IPC status from ... as of ...`, then for each section the header line BEFORE the title; keys in
 *            hex (`0x0001e240`).
 * Rows start with their type letter (q, m, s) and use the most recent header.
 *
 * MODE is 11 characters: two flag characters, then `rwxrwxrwx` (`a`, alter, accepted for `w`). Flags: shm `D` = removed, goes away at the
 * last detach (SHM_DEST), `C` = cleared on first attach; msg `R`/`S` = a process waits to receive/send.
 *
 * What cannot be recovered: BSD `ipcs` prints only the time of day (`H:MM:SS`) of atime/dtime/ctime/
 * otime/stime/rtime, with no date. Given the host's clock (`now` and its UTC offset), a time becomes the
 * most recent instant at or before `now` with that local time of day: exact for objects touched within the
 * last 24 hours, a day (or more) too recent for older ones. Without a clock every printed time is unknown
 * and set to 0 with a warning. `no-entry` is 0 (never). A missing column reads as 0 with a warning, but for
 * a segment's NATTCH beside its pids (0 would say "not attached" next to a creator that may be dead): a
 * segment row of a listing with CPID or LPID but no NATTCH is an error. Owner and group names print numerically when the
 * users live inside jails (as in the FreeBSD fixtures); non-numeric names map through `opts.ids` or
 * become -1 with a warning. Per-semaphore values, rss/swap and msg details are not in `ipcs -a`.
 */
import { idOfField, parseBigLimit, parseError } from './procParser';
import type { IpcLimits, ItemError, MsgQueue, SemSet, ShmSegment, SysvKind } from '../shared/model';
import { decimalUpTo, U32_MAX } from '../shared/decimal';
import { keyOfText } from '../shared/format';

export interface IpcsClock {
  /** the host's current time, seconds since the epoch */
  now: number;
  /** the host's offset from UTC in seconds (`date +%z`: +0100 -> 3600) */
  utcOffsetSeconds: number;
}

export interface IpcsOptions {
  clock?: IpcsClock;
  /** user/group name -> id, for listings that print names */
  ids?: { users?: Record<string, number>; groups?: Record<string, number> };
  /** label used in error messages, e.g. 'ipcs -a' */
  source?: string;
}

export interface IpcsListing {
  sems: SemSet[];
  shms: ShmSegment[];
  msgs: MsgQueue[];
  errors: ItemError[];
  warnings: string[];
  /** true when any time was reconstructed from a time of day */
  approximateTimes: boolean;
}

const ROW_KIND: Record<string, SysvKind> = { q: 'msg', m: 'shm', s: 'sem' };

/**
 * Upper bounds of the numeric ipcs columns (FreeBSD/macOS): a row beyond them is that row's EPARSE, so a
 * host cannot hand a view 10^12 semaphores or a pid no kernel issues. NSEMS: SEMMSL's documented maximum;
 * pids: below 2^22 on every kernel (FreeBSD and macOS stop at 99999).
 */
const IPCS_CEILINGS: Record<string, number> = {
  NSEMS: 32000, CPID: 4194304, LPID: 4194304, LSPID: 4194304, LRPID: 4194304,
  CBYTES: 0x7fffffff, QNUM: 0x7fffffff, QBYTES: 0x7fffffff, SEGSZ: 2 ** 64,
};

/** `+0100` / `-0530` (date +%z) -> seconds; undefined if malformed. */
export function parseUtcOffset(text: string): number | undefined {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const s = Number(m[2]) * 3600 + Number(m[3]) * 60;
  return m[1] === '-' ? -s : s;
}

/**
 * `H:MM:SS` -> epoch seconds: the latest instant <= clock.now whose local time of day matches.
 * `no-entry` -> 0. Returns undefined for anything else.
 */
export function timeOfDayToEpoch(text: string, clock: IpcsClock | undefined): number | undefined {
  if (text === 'no-entry') return 0;
  const m = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const sod = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  if (sod >= 86400) return undefined;
  if (!clock) return 0;
  const localNow = clock.now + clock.utcOffsetSeconds;
  const dayStart = localNow - (((localNow % 86400) + 86400) % 86400);
  let local = dayStart + sod;
  if (local > localNow) local -= 86400;
  return local - clock.utcOffsetSeconds;
}

/** BSD `fmt_perm` output (`--rw-------`, `D-rw-------`) -> permission bits and flag characters. */
export function parseModeString(text: string): { mode: number; flags: string } | undefined {
  // `a` (alter) in a write position: the SysV name for a semaphore's write permission (Solaris-style ipcs)
  if (!/^[A-Z-]{2}[r-][wa-][xXsStT-][r-][wa-][xXsStT-][r-][wa-][xXsStT-]$/.test(text)) return undefined;
  let mode = 0;
  const perm = text.slice(2);
  for (let i = 0; i < 9; i++) if (perm[i] !== '-') mode |= 0o400 >> i;
  return { mode, flags: text.slice(0, 2).replace(/-/g, '') };
}

/** A KEY column as key_t: what keyOfText reads (a larger number would wrap around to another key), signed. */
function parseKeyToken(t: string): number | undefined {
  const k = keyOfText(t);
  return k === undefined ? undefined : k | 0;
}

/** Parses an `ipcs` listing (any subset of sections). Malformed rows become EPARSE item errors. */
export function parseIpcsListing(text: string, opts: IpcsOptions = {}): IpcsListing {
  const source = opts.source ?? 'ipcs';
  const out: IpcsListing = { sems: [], shms: [], msgs: [], errors: [], warnings: [], approximateTimes: false };
  let header: string[] | undefined;
  let timeWarned = false;
  const unknownNames = new Set<string>();
  const missingWarned = new Set<string>();
  const lines = text.split('\n');
  const lineOf = new Map<object, number>();
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].replace(/\r$/, '');
    const trimmed = line.trim();
    if (!trimmed) continue;
    const title = /^(Message Queues|Shared Memory|Semaphores):\s*$/i.exec(trimmed);
    if (title) continue;
    if (/^IPC status from/i.test(trimmed)) continue;
    if (/^(msginfo|shminfo|seminfo):/.test(trimmed)) break; // limits blocks (-T) follow: not rows
    const fields = trimmed.split(/\s+/);
    if (fields[0] === 'T') {
      header = fields;
      continue;
    }
    const kind = ROW_KIND[fields[0]];
    if (!kind || fields[0].length !== 1) {
      out.errors.push(parseError('sem', source, ln + 1, `unrecognised line ${JSON.stringify(trimmed.slice(0, 100))}`));
      continue;
    }
    if (!header) {
      out.errors.push(parseError(kind, source, ln + 1, 'object row before any header line'));
      continue;
    }
    if (fields.length !== header.length) {
      out.errors.push(parseError(kind, source, ln + 1, `expected ${header.length} columns (${header.join(' ')}), got ${fields.length}`, idOfField(fields[1])));
      continue;
    }
    const col = new Map(header.map((h, i) => [h, fields[i]]));
    let bad: string | undefined;
    const need = (name: string): string | undefined => {
      const v = col.get(name);
      if (v === undefined && !missingWarned.has(`${kind}:${name}`)) {
        missingWarned.add(`${kind}:${name}`);
        out.warnings.push(`${source}: ${kind} listing has no ${name} column (shown as 0); run ipcs -a`);
      }
      return v;
    };
    const int = (name: string): number => {
      const v = need(name);
      if (v === undefined) return 0;
      if (!/^\d{1,20}$/.test(v)) {
        bad ??= `column ${name} is not a number: ${JSON.stringify(v.slice(0, 40))}`;
        return 0;
      }
      const n = Number(v);
      const max = IPCS_CEILINGS[name] ?? Number.MAX_SAFE_INTEGER;
      if (n > max) {
        bad ??= `column ${name} is ${v}, above ${max} (the most the kernel can report)`;
        return 0;
      }
      return n;
    };
    const time = (name: string): number => {
      const v = need(name);
      if (v === undefined) return 0;
      const t = timeOfDayToEpoch(v, opts.clock);
      if (t === undefined) {
        bad ??= `column ${name} is not a time (H:MM:SS or no-entry): ${JSON.stringify(v)}`;
        return 0;
      }
      if (v !== 'no-entry') {
        if (opts.clock) out.approximateTimes = true;
        else if (!timeWarned) {
          timeWarned = true;
          out.warnings.push(`${source}: times print as time of day only and the host clock is unknown: times shown as 0`);
        }
      }
      return t;
    };
    const ident = (name: string, table: Record<string, number> | undefined): number => {
      const v = need(name);
      if (v === undefined) return -1;
      if (/^\d+$/.test(v)) {
        // uid_t and gid_t are 32-bit: a longer number is no id (400 digits would read as Infinity)
        const n = decimalUpTo(v, U32_MAX);
        if (n !== undefined) return n;
        bad ??= `column ${name} is ${JSON.stringify(v.slice(0, 40))}, not a 32-bit id`;
        return -1;
      }
      // own keys only: an owner named constructor or __proto__ is no user of the table
      const id = table && Object.hasOwn(table, v) ? table[v] : undefined;
      if (id !== undefined) return id;
      unknownNames.add(v);
      return -1;
    };
    const idText = fields[1];
    const key = parseKeyToken(fields[2] ?? '');
    const modeText = col.get('MODE');
    const mode = modeText === undefined ? { mode: 0, flags: '' } : parseModeString(modeText);
    if (idOfField(idText) === undefined) bad ??= `ID is not a number in 0..2147483647: ${JSON.stringify(idText)}`;
    if (key === undefined) bad ??= `KEY is not a number: ${JSON.stringify(fields[2])}`;
    if (!mode) bad ??= `MODE is not a mode string: ${JSON.stringify(modeText)}`;
    const perm = {
      id: Number(idText),
      key: key ?? 0,
      uid: ident('OWNER', opts.ids?.users),
      gid: ident('GROUP', opts.ids?.groups),
      cuid: ident('CREATOR', opts.ids?.users),
      cgid: ident('CGROUP', opts.ids?.groups),
      mode: mode?.mode ?? 0,
    };
    let obj: SemSet | ShmSegment | MsgQueue;
    if (kind === 'sem') {
      obj = { kind, ...perm, nsems: int('NSEMS'), otime: time('OTIME'), ctime: time('CTIME') };
    } else if (kind === 'shm') {
      // nattch is the kernel's own proof that a segment is in use: a listing that prints a creator or last pid
      // but no NATTCH (ipcs -mp) would pair a dead pid with a 0 that reads as "not attached"; without pids
      // (plain ipcs) nothing can prove the segment unused, and it is listed with the placeholder
      if (!col.has('NATTCH') && (col.has('CPID') || col.has('LPID'))) {
        bad ??= 'the listing has pids but no NATTCH column: whether the segment is attached is unknown (run ipcs -a)';
      }
      const dest = mode?.flags.includes('D') ?? false;
      obj = {
        kind, ...perm, mode: perm.mode | (dest ? 0o1000 : 0),
        segsz: int('SEGSZ'), cpid: int('CPID'), lpid: int('LPID'), nattch: int('NATTCH'),
        atime: time('ATIME'), dtime: time('DTIME'), ctime: time('CTIME'), dest, locked: false,
      };
    } else {
      obj = {
        kind, ...perm, cbytes: int('CBYTES'), qnum: int('QNUM'), qbytes: int('QBYTES'),
        lspid: int('LSPID'), lrpid: int('LRPID'), stime: time('STIME'), rtime: time('RTIME'), ctime: time('CTIME'),
      };
    }
    if (bad) {
      out.errors.push(parseError(kind, source, ln + 1, bad, idOfField(idText)));
      continue;
    }
    lineOf.set(obj, ln + 1);
    if (obj.kind === 'sem') out.sems.push(obj);
    else if (obj.kind === 'shm') out.shms.push(obj);
    else out.msgs.push(obj);
  }
  if (unknownNames.size) {
    out.warnings.push(`${source}: owner/group names without a known id (shown as -1): ${[...unknownNames].sort().join(', ')}`);
  }
  // ipcs lists an id once per kind: rows sharing one cannot both be true, so all of them are left out
  const dedupe = <T extends { id: number; kind: SysvKind }>(items: T[]): T[] => {
    const at = new Map<number, number[]>();
    for (const o of items) at.set(o.id, [...(at.get(o.id) ?? []), lineOf.get(o) ?? 0]);
    const dup = [...at].filter(([, l]) => l.length > 1).map(([id]) => id);
    for (const id of dup) {
      const l = at.get(id)!;
      out.errors.push(parseError(items[0].kind, source, l[1], `id ${id} appears on lines ${l.join(', ')}; all of them are ignored`, id));
    }
    return dup.length ? items.filter((o) => !dup.includes(o.id)) : items;
  };
  out.sems = dedupe(out.sems);
  out.shms = dedupe(out.shms);
  out.msgs = dedupe(out.msgs);
  return out;
}

/** A limit name (lower case, as ipcs -M/-S/-Q and sysctl print it) -> value. */
export type LimitValues = Record<string, number>;

/**
 * `ipcs -M`, `-S`, `-Q` or `-T` blocks (`shminfo:` / `seminfo:` / `msginfo:` headers, then
 * `name: value (description)` lines) -> lower-case name -> value. The value is a whole decimal (`123.5` and
 * `123abc` are not 123); one above 2^53 is clamped to Number.MAX_SAFE_INTEGER, as the Linux limit files are.
 */
export function parseIpcsLimitBlocks(text: string): LimitValues {
  const out: LimitValues = {};
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (/^(shminfo|seminfo|msginfo):$/.test(line)) {
      inBlock = true;
      continue;
    }
    if (!inBlock) continue;
    const m = /^([a-z_]+):\s+(\d+)(?=\s|$)/.exec(line);
    if (m) out[m[1]] = parseBigLimit(m[2])!.value;
  }
  return out;
}

/**
 * `sysctl kern.ipc` (FreeBSD), `sysctl kern.sysv` (macOS) and `hw.pagesize` lines -> lower-case limit
 * name -> value (`kern.ipc.semmni: 50` -> semmni: 50; `hw.pagesize` -> pagesize). Also accepts `name = value`.
 * A value above 2^53 is clamped to Number.MAX_SAFE_INTEGER, as the Linux limit files are.
 */
export function parseSysctlLines(text: string): LimitValues {
  const out: LimitValues = {};
  for (const raw of text.split('\n')) {
    const m = /^\s*(kern\.ipc|kern\.sysv|hw)\.([a-z_]+)\s*[:=]\s*(\d+)\s*$/.exec(raw);
    if (m) out[m[2]] = parseBigLimit(m[3])!.value;
  }
  return out;
}

/**
 * What of an `ipcs -S` block is a limit on this platform. FreeBSD's ipcs prints the kernel's limits. macOS's
 * prints xnu's `seminfo` (IPCS_SEM_CONF), where semmni, semmns and semmnu count what the kernel has allocated
 * so far (it grows them in steps of 32, 64 and 32, up to the limits) and semmsl and semume are compile-time
 * copies; the limits semget() and semop() enforce are xnu's `limitseminfo`, which only `sysctl kern.sysv.*`
 * reads. So on macOS only semopm and semvmx (enforced from `seminfo` itself) are taken from `ipcs -S`.
 */
export function ipcsSemLimits(values: LimitValues, platform: string): LimitValues {
  if (platform !== 'darwin') return values;
  const out: LimitValues = {};
  for (const k of ['semopm', 'semvmx']) if (values[k] !== undefined) out[k] = values[k];
  return out;
}

/** SysV names as IpcLimits fields. */
const LIMIT_FIELDS = [
  'semmsl', 'semmns', 'semopm', 'semmni', 'semvmx', 'shmmax', 'shmall', 'shmmni', 'shmmin', 'msgmax', 'msgmnb', 'msgmni',
] as const;
/** Limits only BSD and macOS report (IpcLimits' optional fields): set when an input gave them. */
const BSD_ONLY_FIELDS = ['semume', 'semmnu', 'shmseg'] as const;

export interface BsdLimits {
  limits: IpcLimits;
  /** limit names no input gave (absent from `limits`) */
  missing: string[];
}

/**
 * Merges limit values (later inputs win) into IpcLimits. `pageSize` defaults to `pagesize` from the
 * values (hw.pagesize) or 4096. FreeBSD's shmall is in pages like Linux; so is macOS's.
 */
export function buildBsdLimits(...inputs: LimitValues[]): BsdLimits {
  const v: LimitValues = Object.assign({}, ...inputs);
  const missing: string[] = [];
  const limits: IpcLimits = { pageSize: 4096 };
  for (const f of LIMIT_FIELDS) {
    if (v[f] === undefined) missing.push(f);
    else limits[f] = v[f];
  }
  for (const f of BSD_ONLY_FIELDS) if (v[f] !== undefined) limits[f] = v[f];
  limits.pageSize = v.pagesize ?? 4096;
  return { limits, missing };
}

/**
 * Parses what the SSH probe (extension/remote/probeScript.ts) prints into an IpcSnapshot, with the same
 * core parsers as the local sources: procParser (Linux /proc/sysvipc + limits), processFacts, mapsParser,
 * posixSem, and ipcsParser for FreeBSD/macOS `ipcs`. Pure: text in, data out.
 *
 * A document that is not a probe document, has the wrong version, lacks a section it needs or is cut
 * short yields `{ ok: false, error }` (code EPARSE, saying what was wrong): one host's bad answer is one
 * host's clear error, never a crash and never a half-empty snapshot posing as the truth.
 */
import type {
  IpcErrorInfo, IpcSnapshot, ItemError, Platform, PosixSem, PosixShm, ProcessFact, SemElem, SysvKind,
} from '../shared/model';
import { hintFor } from './errors';
import { devFromMaps, devInoKey } from './mapsParser';
import { decodePosixSem, fromHex } from './posixSem';
import { deriveUsage, NSEMS_KERNEL_MAX, parseLimitFiles, parseProcMsg, parseProcSem, parseProcShm, type LimitFiles } from './procParser';
import { buildProcessFact, parseBootTime, pidsOf, type KillProbe, type ProcessFiles } from './processFacts';
import { parseReaderView } from './readerView';
import { buildBsdLimits, parseIpcsLimitBlocks, parseIpcsListing, parseSysctlLines, parseUtcOffset } from './ipcsParser';
import { describeContainer, parseProcCgroup } from './containers';
import type { IpcNamespaceInfo, NamespaceSnapshot } from '../shared/namespaces';

export type ProbeResult<T> = { ok: true; value: T } | { ok: false; error: IpcErrorInfo };

export interface ProbeDocument {
  format: string;
  version: number;
  /** section name -> body (lines joined with \n, no trailing newline). */
  sections: Map<string, string>;
  /** text before the header (e.g. a login banner printed on stdout), if any. */
  preamble: string;
}

const MAX_PREAMBLE = 4096;
/** Bounds on numbers a host reports (a bad value is one item's EPARSE, never a snapshot-wide failure). */
const UID_MAX = 0xffffffff;
/** PID_MAX_LIMIT: the kernel never hands out a pid above 2^22. */
export const PID_MAX = 4194304;
/** The probe lists at most its bound of /dev/shm files; a host sending far more is not our probe. */
const MAX_DEVSHM_LINES = 1000000;

export function probeError(host: string, message: string, hint?: string): IpcErrorInfo {
  return {
    code: 'EPARSE',
    syscall: 'ssh',
    op: 'probe',
    message: `${host}: ${message}`,
    hint: hint ??
      'The host did not answer with a complete IPC Explorer probe document. Check that `sh` on the host is a ' +
        'POSIX shell and that nothing (a forced command, a profile script) replaces or decorates the output. ' +
        (hintFor('EPARSE') ?? ''),
  };
}

function snippet(s: string, n = 80): string {
  const t = s.length > n ? s.slice(0, n) + '...' : s;
  return JSON.stringify(t);
}

/** Splits a `@@<format> <version>` ... `@@end` document into its sections. */
export function splitDocument(text: string, format: string, version: number, host: string): ProbeResult<ProbeDocument> {
  if (text.length === 0) return { ok: false, error: probeError(host, 'the host sent nothing (empty output)') };
  const header = `@@${format} `;
  let start: number;
  if (text.startsWith(header)) start = 0;
  else {
    const i = text.indexOf('\n' + header);
    if (i < 0 || i > MAX_PREAMBLE) {
      return { ok: false, error: probeError(host, `the output is not an ${format} document; it starts with ${snippet(text)}`) };
    }
    start = i + 1;
  }
  const preamble = text.slice(0, start);
  const lines = text.slice(start).split('\n');
  const v = lines[0].slice(header.length).trim();
  if (!/^\d+$/.test(v)) return { ok: false, error: probeError(host, `malformed header ${snippet(lines[0])}`) };
  if (Number(v) !== version) {
    return { ok: false, error: probeError(host, `probe document version ${v}, this IPC Explorer reads version ${version}`) };
  }
  const sections = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  let ended = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('@@')) {
      if (name !== undefined) sections.set(name, body.join('\n'));
      name = undefined;
      body = [];
      if (line === '@@end') {
        ended = true;
        const rest = lines.slice(i + 1).join('\n').trim();
        if (rest.length) return { ok: false, error: probeError(host, `unexpected output after @@end: ${snippet(rest)}`) };
        break;
      }
      const m = /^@@section ([A-Za-z0-9_. -]{1,64})$/.exec(line);
      if (m) {
        name = m[1];
        if (sections.has(name)) return { ok: false, error: probeError(host, `section "${name}" appears twice`) };
        continue;
      }
      if (line.startsWith('@@error ') || line.startsWith('@@result ')) {
        // kept as the first line of the (anonymous) body so callers see it
        name = `${line}#${i}`;
        continue;
      }
      return { ok: false, error: probeError(host, `unknown directive ${snippet(line)} on line ${i + 1}`) };
    }
    if (name === undefined) {
      if (line.trim() === '') continue;
      return { ok: false, error: probeError(host, `text outside any section on line ${i + 1}: ${snippet(line)}`) };
    }
    body.push(line);
  }
  if (!ended) {
    return {
      ok: false,
      error: probeError(host, `the output was cut short (no @@end after ${lines.length} lines${name ? `, inside section "${name}"` : ''})`,
        'The connection dropped or the host stopped the probe before it finished (sshd stopped, a timeout, a full disk ' +
          'or a killed shell on the host). Refresh to try again.'),
    };
  }
  return { ok: true, value: { format, version, sections, preamble } };
}

/**
 * Section devshm-status, `FIND SORT AWK`: the exit status of each step of the /dev/shm listing. Any other
 * than 0 (or no such line) means the listing may have stopped early, even inside a line the next step then
 * ended: it is not taken as complete. undefined when every step finished.
 */
function listingUnfinished(status: string): string | undefined {
  const m = /^(\d{1,3}) (\d{1,3}) (\d{1,3})$/.exec(status);
  if (!m) return 'the probe did not report whether its listing finished';
  const steps = ['find', 'sort', 'awk'];
  for (let i = 0; i < 3; i++) {
    const code = Number(m[i + 1]);
    if (code === 0) continue;
    const how = code > 128 ? `was killed by signal ${code - 128}` : `exited with status ${code}`;
    return `the listing's ${steps[i]} ${how} on the host: the list may end early, even inside a line`;
  }
  return undefined;
}

function need(doc: ProbeDocument, host: string, name: string): ProbeResult<string> {
  const s = doc.sections.get(name);
  if (s === undefined) return { ok: false, error: probeError(host, `the probe output lacks section "${name}"`) };
  return { ok: true, value: s };
}

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

function intOf(s: string | undefined): number | undefined {
  const t = firstLine(s);
  return /^-?\d+$/.test(t) ? Number(t) : undefined;
}

/** Any line `@@error ...` the script put in a section instead of the file's contents. */
function sectionError(body: string): string | undefined {
  const l = body.split('\n').find((x) => x.startsWith('@@error '));
  return l?.slice(8);
}

export interface ParseProbeOptions {
  /** the host's display name (the SSH destination as the user named it). */
  host: string;
}

/** What the remote source keeps for guarded removal on ipcs hosts, whose CTIME column is a time of day. */
export interface IpcsClockInfo {
  utcOffsetSeconds: number;
}

export interface ParsedProbe {
  snapshot: IpcSnapshot;
  ipcsClock?: IpcsClockInfo;
  /** the host's other IPC namespaces, when the probe was asked for them (Linux) */
  namespaces?: RemoteNamespaces;
}

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

/** The CTIME column (seconds since local midnight) an epoch time was reconstructed from; undefined for 0. */
export function timeOfDayOf(epoch: number, clock: IpcsClockInfo): number | undefined {
  if (!epoch) return undefined;
  return (((epoch + clock.utcOffsetSeconds) % 86400) + 86400) % 86400;
}

function platformOf(unameS: string): Platform {
  const s = unameS.toLowerCase();
  return s === 'linux' ? 'linux' : s === 'freebsd' ? 'freebsd' : s === 'darwin' ? 'darwin' : 'unknown';
}

/** Parses a whole probe document into a snapshot. */
export function parseProbe(text: string, opts: ParseProbeOptions): ProbeResult<ParsedProbe> {
  const host = opts.host;
  const d = splitDocument(text, 'ipcx-probe', 1, host);
  if (!d.ok) return d;
  const doc = d.value;
  const uname = need(doc, host, 'uname');
  if (!uname.ok) return uname;
  const unameParts = firstLine(uname.value).split(/\s+/);
  if (!unameParts[0]) return { ok: false, error: probeError(host, 'section "uname" is empty') };
  const platform = platformOf(unameParts[0]);
  const now = intOf(doc.sections.get('now'));
  const uid = intOf(doc.sections.get('uid'));
  const warnings: string[] = [];
  if (doc.preamble.trim()) warnings.push(`the host printed text before the probe output (ignored): ${snippet(doc.preamble.trim(), 60)}`);

  const base: IpcSnapshot = {
    version: 1,
    host,
    platform,
    source: platform === 'linux' ? 'ssh-linux' : 'ssh-ipcs',
    takenAt: now !== undefined ? now * 1000 : 0,
    sems: [], shms: [], msgs: [], posixSems: [], posixShms: [],
    errors: [],
    limits: {
      semmsl: 0, semmns: 0, semopm: 0, semmni: 0, semvmx: 0, shmmax: 0, shmall: 0, shmmni: 0, shmmin: 0,
      msgmax: 0, msgmnb: 0, msgmni: 0, pageSize: 0,
    },
    usage: { semSets: 0, semTotal: 0, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 },
    processes: {},
    warnings,
  };
  if (unameParts[1]) base.kernel = unameParts[1];
  const hn = firstLine(doc.sections.get('hostname'));
  if (hn) base.hostname = hn;
  if (uid !== undefined) base.uid = uid;
  if (now === undefined) return { ok: false, error: probeError(host, 'section "now" (the host clock) is missing or not a number') };

  if (platform === 'linux') {
    const own = parseLinux(doc, base);
    if (!own.ok || !doc.sections.has('ns-enter')) return own;
    own.value.namespaces = parseNamespaces(doc, host, uid, () => {
      const b: IpcSnapshot = JSON.parse(JSON.stringify({ ...base, sems: [], shms: [], msgs: [], posixSems: [], posixShms: [], errors: [], processes: {}, warnings: [] }));
      delete b.ipcNamespace;
      delete b.reader;
      delete b.devShm;
      return b;
    });
    return own;
  }
  const r = parseIpcsProbe(doc.sections, base);
  if (!r.ok) return { ok: false, error: probeError(host, r.message) };
  return { ok: true, value: { snapshot: r.snapshot, ipcsClock: { utcOffsetSeconds: r.utcOffsetSeconds } } };
}

function parseLinux(doc: ProbeDocument, snap: IpcSnapshot): ProbeResult<ParsedProbe> {
  const host = snap.host;
  const ns = firstLine(doc.sections.get('ipcns'));
  if (/^ipc:\[\d+\]$/.test(ns)) snap.ipcNamespace = ns;
  const pageSize = intOf(doc.sections.get('pagesize')) ?? 0;
  if (pageSize <= 0) snap.warnings.push('page size unknown (getconf PAGESIZE failed): SHMALL usage is not computed');

  const lim = need(doc, host, 'limits');
  if (!lim.ok) return lim;
  const files: LimitFiles = {};
  for (const line of lim.value.split('\n')) {
    const m = /^\/proc\/sys\/(\S+) (.*)$/.exec(line);
    if (m) (files as Record<string, string>)[m[1]] = m[2].trim();
  }
  const limits = parseLimitFiles(files, pageSize);
  snap.limits = limits.limits;
  for (const e of limits.errors) snap.warnings.push(`limits: ${e.message}`);
  // the host's SEMMSL admits bigger sets than the default ceiling (never past the kernel's own bound)
  const semOpts = { semmsl: snap.limits.semmsl };
  const kinds: [SysvKind, (t: string, src: string) => { items: unknown[]; errors: ItemError[] }][] = [
    ['sem', (t, src) => parseProcSem(t, src, semOpts)], ['shm', parseProcShm], ['msg', parseProcMsg],
  ];
  for (const [kind, parse] of kinds) {
    const s = need(doc, host, `sysvipc-${kind}`);
    if (!s.ok) return s;
    const err = sectionError(s.value);
    if (err !== undefined) {
      snap.errors.push({ kind, error: { code: 'EACCES', syscall: 'open', op: `/proc/sysvipc/${kind}`, message: `${host}: ${err}`, hint: hintFor('EACCES', undefined, 'open') } });
      continue;
    }
    if (!/^\s*key\s/.test(s.value)) {
      return { ok: false, error: probeError(host, `section "sysvipc-${kind}" is not /proc/sysvipc/${kind} (no header line): ${snippet(s.value)}`) };
    }
    const r = parse(s.value, `${host}:/proc/sysvipc/${kind}`);
    snap.errors.push(...r.errors);
    if (kind === 'sem') snap.sems = r.items as IpcSnapshot['sems'];
    else if (kind === 'shm') snap.shms = r.items as IpcSnapshot['shms'];
    else snap.msgs = r.items as IpcSnapshot['msgs'];
  }

  snap.usage = deriveUsage(snap.sems, snap.shms, snap.msgs, pageSize);

  // /dev/shm: `uid gid mode(octal) size mtime[.fraction] dev ino path`, at most the probe's bound of lines
  const semHex = new Map<number, string>();
  const semSection = doc.sections.get('devshm-sem') ?? '';
  const noPerl = /^! no-perl$/m.test(semSection);
  for (const line of semSection.split('\n')) {
    const m = /^(\d{1,20})(?: ([0-9a-f]{0,128}))?$/.exec(line.trim());
    if (m) semHex.set(Number(m[1]), m[2] ?? '');
  }
  const seenPaths = new Set<string>();
  let devShmLines = 0, semLines = 0, badLines = 0;
  for (const line of (doc.sections.get('devshm') ?? '').split('\n')) {
    if (!line.trim()) continue;
    if (++devShmLines > MAX_DEVSHM_LINES) {
      snap.errors.push({ kind: 'posixShm', error: { code: 'EPARSE', syscall: 'parse', op: 'devshm', message: `${host}: more than ${MAX_DEVSHM_LINES} /dev/shm lines (the probe lists at most its bound); the rest were ignored` } });
      break;
    }
    const m = /^(\d{1,20}) (\d{1,20}) ([0-7]{1,6}) (\d{1,20}) (\d{1,20})(?:\.\d{1,10})? (\d{1,20}) (\d{1,20}) (\/dev\/shm\/[^/]+)$/.exec(line);
    const bad = !m ? 'unreadable' : Number(m[1]) > UID_MAX || Number(m[2]) > UID_MAX ? 'uid/gid out of range in'
      : parseInt(m[3], 8) > 0o7777 ? 'mode out of range in' : seenPaths.has(m[8]) ? 'duplicate' : undefined;
    if (bad || !m) {
      badLines++;
      snap.errors.push({ kind: 'posixShm', error: { code: 'EPARSE', syscall: 'parse', op: 'devshm', message: `${host}: ${bad} /dev/shm line ${snippet(line)}` } });
      continue;
    }
    seenPaths.add(m[8]);
    if (m[8].startsWith('/dev/shm/sem.')) semLines++;
    const p = m[8];
    const base = p.slice('/dev/shm/'.length);
    const common = {
      path: p, uid: Number(m[1]), gid: Number(m[2]), mode: parseInt(m[3], 8), size: Number(m[4]), mtime: Number(m[5]),
      dev: Number(m[6]), ino: Number(m[7]),
    };
    if (base.startsWith('sem.') && base.length > 4) {
      const sem: PosixSem = { kind: 'posixSem', name: '/' + base.slice(4), ...common };
      const hex = semHex.get(common.ino);
      if (common.size > 64) {
        sem.decodeError = {
          code: 'EPARSE', syscall: 'decode', op: 'sem_t',
          message: `${p}: unexpected size ${common.size} bytes (a glibc sem_t is 32 bytes on 64-bit, 16 on 32-bit)`,
          hint: 'The file does not look like a glibc semaphore; its value is not shown.',
        };
      } else {
        const bytes = hex !== undefined ? fromHex(hex) : undefined;
        if (!bytes && noPerl) {
          sem.decodeError = {
            code: 'ENOTSUP', syscall: 'perl', op: 'sem_t', message: `${p}: its bytes were not read: the host has no perl`,
            hint: 'The probe reads semaphore files with one perl (O_NOFOLLOW, O_NONBLOCK, a regular-file check) rather than a process per file; install perl (perl-base on Debian) to see values.',
          };
        } else if (!bytes) {
          sem.decodeError = { code: 'EACCES', syscall: 'open', op: 'sem_t', message: `${p}: its bytes could not be read on the host`, hint: hintFor('EACCES', undefined, 'open') };
        } else {
          const dec = decodePosixSem({ bytes }, p);
          if ('decoded' in dec) sem.decoded = dec.decoded;
          else sem.decodeError = dec.decodeError;
        }
      }
      snap.posixSems.push(sem);
    } else {
      snap.posixShms.push({ kind: 'posixShm', name: '/' + base, ...common } satisfies PosixShm);
    }
  }
  snap.posixSems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  snap.posixShms.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const skipped = intOf(doc.sections.get('devshm-skipped')) ?? 0;
  if (skipped > 0) snap.warnings.push(`/dev/shm: ${skipped} file(s) with a newline in the name were not listed`);
  const total = intOf(doc.sections.get('devshm-total'));
  const unfinished = listingUnfinished(firstLine(doc.sections.get('devshm-status')));
  if (total === undefined) snap.devShmIncomplete = 'the probe did not count its files';
  else if (unfinished) snap.devShmIncomplete = unfinished;
  else if (badLines > 0) snap.devShmIncomplete = `${badLines} of its lines could not be read`;
  else if (total > devShmLines) snap.devShmIncomplete = `${total - devShmLines} of its ${total} files are not listed (the probe's bound per snapshot)`;
  if (total !== undefined && total > devShmLines) {
    const n = (x: number) => x.toLocaleString('en-US');
    snap.warnings.push(`/dev/shm: ${n(total)} files; ${n(devShmLines)} listed (the first by name: ${n(semLines)} sem.*, ` +
      `${n(devShmLines - semLines)} others), ${n(total - devShmLines)} more not listed (the probe's bound per snapshot)`);
  }

  // attachers from `/proc/PID/maps:<maps line>`
  const shmAtt = new Map<number, Set<number>>();
  const fileAtt = new Map<string, Set<number>>();
  for (const line of (doc.sections.get('maps') ?? '').split('\n')) {
    const cut = /^! cut (\d+)$/.exec(line);
    if (cut) snap.warnings.push(`attachers: the host reported more mappings than the probe's bound; ${cut[1]} line(s) were left out, so attacher lists may be incomplete`);
    const m = /^\/proc\/(\d{1,10})\/maps:(.*)$/.exec(line);
    if (!m || Number(m[1]) > PID_MAX) continue;
    const pid = Number(m[1]);
    const f = m[2].split(/\s+/, 6);
    if (f.length < 6 || !/^\d+$/.test(f[4])) continue;
    const add = <K>(map: Map<K, Set<number>>, k: K) => {
      let s = map.get(k);
      if (!s) map.set(k, (s = new Set()));
      s.add(pid);
    };
    if (f[5].startsWith('/SYSV')) add(shmAtt, Number(f[4]));
    else {
      const dev = devFromMaps(f[3]);
      if (dev !== undefined) add(fileAtt, devInoKey(dev, Number(f[4])));
    }
  }
  // process facts: `p PID ALIVE UID NS STAT...` and `c PID CMDLINE`
  const btime = parseBootTime(doc.sections.get('btime') ?? '');
  const clkTck = intOf(doc.sections.get('clktck')) ?? 100;
  const wanted = new Set(pidsOf([...snap.sems, ...snap.shms, ...snap.msgs] as never[]));
  for (const m of [shmAtt, fileAtt] as Map<unknown, Set<number>>[]) for (const set of m.values()) for (const p of set) wanted.add(p);
  const cmdlines = new Map<number, string>();
  const pidLines = (doc.sections.get('pids') ?? '').split('\n');
  for (const line of pidLines) {
    const m = /^c (\d+) (.*)$/.exec(line);
    if (m) cmdlines.set(Number(m[1]), m[2].replace(/ +$/, ''));
  }
  const view = readerViewOf(doc.sections, snap.uid);
  snap.reader = view;
  const processes: Record<number, ProcessFact> = {};
  const seen = new Set<number>();
  const twice = new Set<number>();
  const once = (pid: number) => {
    if (seen.has(pid)) twice.add(pid);
    seen.add(pid);
  };
  for (const line of pidLines) {
    const m = /^p (\d+) 1 (\S+) (\S+) (.*)$/.exec(line);
    const q = /^q (\d+) (ENOENT|unreadable) (ok|ESRCH|EPERM|other)$/.exec(line);
    if (m) {
      const pid = Number(m[1]);
      once(pid);
      // a /proc of another pid namespace than the probe's shell shows other processes under these numbers
      const files: ProcessFiles = view.procIsOwnPidNs === false
        ? { pid, statCode: 'skipped' }
        : { pid, stat: m[4], ...(/^ipc:\[\d+\]$/.test(m[3]) ? { nsIpc: m[3] } : {}) };
      const fact = buildProcessFact(files, btime, clkTck, view);
      if (/^\d+$/.test(m[2])) fact.uid = Number(m[2]);
      const c = cmdlines.get(pid);
      if (c) fact.cmdline = c;
      processes[pid] = fact;
    } else if (q) {
      const pid = Number(q[1]);
      once(pid);
      const files: ProcessFiles = { pid, statCode: q[2], kill: q[3] as KillProbe };
      processes[pid] = buildProcessFact(files, btime, clkTck, view);
    }
  }
  for (const pid of twice) processes[pid] = unknownFact(pid, `${host}: the probe reported pid ${pid} more than once (conflicting lines)`);
  for (const pid of wanted) {
    if (!processes[pid]) processes[pid] = unknownFact(pid, `${host}: the probe reported nothing about pid ${pid}`);
  }
  snap.processes = processes;

  // A /SYSV mapping names a shmid of the mapping process's own IPC namespace: a process in another
  // namespace (a container, another sshd session's unshare) maps another segment with the same id.
  const otherNs = (pid: number) => {
    const ns = processes[pid]?.ipcNs;
    return snap.ipcNamespace !== undefined && ns !== undefined && ns !== snap.ipcNamespace;
  };
  if (snap.uid !== undefined && snap.uid !== 0 && (snap.shms.length || snap.posixSems.length || snap.posixShms.length)) {
    snap.warnings.push(`attachers: the SSH user (uid ${snap.uid}) cannot read other users' /proc/PID/maps; attacher lists may be incomplete`);
  }
  const sorted = (s: Set<number> | undefined, sysv = false) =>
    (s ? [...s].filter((p) => !(sysv && otherNs(p))).sort((a, b) => a - b) : []);
  for (const s of snap.shms) s.attachers = sorted(shmAtt.get(s.id), true);
  for (const o of snap.posixSems) o.attachers = sorted(fileAtt.get(devInoKey(o.dev, o.ino)));
  for (const o of snap.posixShms) o.attachers = sorted(fileAtt.get(devInoKey(o.dev, o.ino)));
  // facts are kept for the pids the objects mention (and any the source asked for), not for every process
  // that maps some other file under /dev/shm
  const mentioned = new Set(pidsOf([...snap.sems, ...snap.shms, ...snap.msgs, ...snap.posixSems, ...snap.posixShms] as never[]));
  for (const m of [shmAtt, fileAtt] as Map<unknown, Set<number>>[]) {
    for (const set of m.values()) for (const p of set) if (!mentioned.has(p)) delete processes[p];
  }
  return { ok: true, value: { snapshot: snap } };
}

/** Parses the batched `ipcs -s -i ID` output (util-linux) of semDetailScript(). */
export function parseSemDetail(text: string, ids: readonly number[], host: string): ProbeResult<Map<number, SemElem[] | IpcErrorInfo>> {
  const d = splitDocument(text, 'ipcx-semdetail', 1, host);
  if (!d.ok) return d;
  const out = new Map<number, SemElem[] | IpcErrorInfo>();
  for (const id of ids) {
    const body = d.value.sections.get(`sem ${id}`);
    if (body === undefined) {
      out.set(id, probeError(host, `no answer for semaphore set ${id}`));
      continue;
    }
    out.set(id, parseIpcsSemI(body, id, host));
  }
  return { ok: true, value: out };
}

/** One `ipcs -s -i ID` answer (util-linux): the table after `semnum value ncount zcount pid`. */
export function parseIpcsSemI(body: string, id: number, host: string): SemElem[] | IpcErrorInfo {
  const lines = body.split('\n');
  const h = lines.findIndex((l) => /^semnum\s+value\s+ncount\s+zcount\s+pid\s*$/.test(l.trim()));
  if (h < 0) {
    const msg = body.trim().split('\n')[0] ?? '';
    if (/not found|Invalid argument|Identifier removed/i.test(msg)) {
      return { code: 'EINVAL', errno: 22, syscall: 'semctl', op: 'GETALL', id, message: `${host}: set ${id}: ${msg}`, hint: hintFor('EINVAL', 'GETALL') };
    }
    if (/Permission denied|not permitted/i.test(msg)) {
      return { code: 'EACCES', errno: 13, syscall: 'semctl', op: 'GETALL', id, message: `${host}: set ${id}: ${msg}`, hint: hintFor('EACCES', 'GETALL') };
    }
    if (/illegal option|invalid option|usage|not found: ipcs|ipcs: not found|command not found/i.test(msg)) {
      return { code: 'ENOTSUP', syscall: 'ipcs', op: 'GETALL', id, message: `${host}: set ${id}: this host's ipcs has no -s -i (${msg})`, hint: 'Per-semaphore values over SSH need util-linux ipcs (Linux).' };
    }
    return { code: 'EPARSE', syscall: 'ipcs', op: 'GETALL', id, message: `${host}: set ${id}: unexpected ipcs -s -i output ${snippet(msg)}` };
  }
  const elems: SemElem[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const t = lines[i].trim();
    if (!t) continue;
    const f = t.split(/\s+/);
    if (f.length !== 5 || !f.every((x) => /^\d{1,10}$/.test(x)) || Number(f[0]) !== elems.length) {
      return { code: 'EPARSE', syscall: 'ipcs', op: 'GETALL', id, message: `${host}: set ${id}: unexpected row ${snippet(t)}` };
    }
    // semval <= SEMVMX (32767), waiter counts are ints, pids <= PID_MAX_LIMIT, at most NSEMS_KERNEL_MAX rows
    const out = Number(f[1]) > 32767 ? 'value' : Number(f[2]) > 0x7fffffff || Number(f[3]) > 0x7fffffff ? 'waiter count'
      : Number(f[4]) > PID_MAX ? 'pid' : elems.length >= NSEMS_KERNEL_MAX ? 'row count' : undefined;
    if (out) {
      return { code: 'EPARSE', syscall: 'ipcs', op: 'GETALL', id, message: `${host}: set ${id}: ${out} out of the kernel's range in row ${snippet(t)}` };
    }
    elems.push({ semval: Number(f[1]), ncount: Number(f[2]), zcount: Number(f[3]), pid: Number(f[4]) });
  }
  return elems;
}

export type RemoveOutcome =
  | { result: 'ok' }
  | { result: 'changed'; detail: string }
  | { result: 'gone' }
  | { result: 'failed'; detail: string };

/** The one `@@result ...` line of a removal script. */
export function parseRemoveResult(text: string, host: string): ProbeResult<RemoveOutcome> {
  const d = splitDocument(text, 'ipcx-remove', 1, host);
  if (!d.ok) return d;
  const keys = [...d.value.sections.keys()].filter((k) => k.startsWith('@@result '));
  if (keys.length !== 1) return { ok: false, error: probeError(host, `expected one result line, got ${keys.length}`) };
  const line = keys[0].replace(/#\d+$/, '').slice('@@result '.length).trim();
  const [word, ...rest] = line.split(' ');
  const detail = rest.join(' ').trim();
  switch (word) {
    case 'ok':
      return { ok: true, value: { result: 'ok' } };
    case 'gone':
      return { ok: true, value: { result: 'gone' } };
    case 'changed':
      return { ok: true, value: { result: 'changed', detail } };
    case 'failed':
      return { ok: true, value: { result: 'failed', detail } };
    default:
      return { ok: false, error: probeError(host, `unknown result ${snippet(line)}`) };
  }
}

/**
 * FreeBSD/macOS: `ipcs -a` (objects), `ipcs -M -S -Q` blocks and `sysctl kern.ipc` / `kern.sysv` (limits),
 * through ipcsParser. BSD ipcs prints times as time of day only: they are placed on the host's clock
 * (sections `now` and `tz`), exact for the last 24 hours (ipcsParser's rule).
 */
function parseIpcsProbe(
  sections: Map<string, string>,
  snap: IpcSnapshot,
): { ok: true; snapshot: IpcSnapshot; utcOffsetSeconds: number } | { ok: false; message: string } {
  const listing = sections.get('ipcs-a');
  if (listing === undefined) return { ok: false, message: 'the probe output lacks section "ipcs-a"' };
  const tz = parseUtcOffset(firstLine(sections.get('tz')));
  if (tz === undefined) return { ok: false, message: `section "tz" is not a UTC offset (date +%z): ${snippet(firstLine(sections.get('tz')))}` };
  const clock = { now: Math.floor(snap.takenAt / 1000), utcOffsetSeconds: tz };
  const hasTable = /^(Message Queues|Shared Memory|Semaphores):\s*$/m.test(listing) || /^T\s+ID\s+KEY\s/m.test(listing);
  if (!hasTable) {
    const t = listing.trim();
    if (/not configured|not available|facility/i.test(t)) {
      snap.warnings.push(`ipcs: ${t.split('\n')[0]}`);
    } else {
      return { ok: false, message: `section "ipcs-a" is not ipcs -a output: ${snippet(t)}` };
    }
  }
  const l = parseIpcsListing(listing, { clock, source: `${snap.host}: ipcs -a` });
  snap.sems = l.sems;
  snap.shms = l.shms;
  snap.msgs = l.msgs;
  snap.errors.push(...l.errors);
  snap.warnings.push(...l.warnings);
  if (l.approximateTimes) {
    snap.warnings.push('ipcs prints times as time of day only: dates are placed within the last 24 hours of the host clock');
  }
  const pageSize = intOf(sections.get('pagesize'));
  const limits = buildBsdLimits(
    parseIpcsLimitBlocks(sections.get('ipcs-M') ?? ''),
    parseIpcsLimitBlocks(sections.get('ipcs-S') ?? ''),
    parseIpcsLimitBlocks(sections.get('ipcs-Q') ?? ''),
    parseSysctlLines(sections.get('sysctl') ?? ''),
    pageSize !== undefined && pageSize > 0 ? { pagesize: pageSize } : {},
  );
  snap.limits = limits.limits;
  if (limits.missing.length) snap.warnings.push(`limits not reported by this host (shown as 0): ${limits.missing.join(', ')}`);
  snap.usage = deriveUsage(snap.sems, snap.shms, snap.msgs, snap.limits.pageSize);
  // `p PID 1 COMM` (ps lists it; COMM may hold spaces, never a newline) or `q PID ENOENT KILL` (ps does not
  // list it: kill -0 tells dead from hidden, e.g. security.bsd.see_other_uids=0)
  const processes: Record<number, ProcessFact> = {};
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const line of (sections.get('pids') ?? '').split('\n')) {
    const m = /^p (\d+) 1 ?(.*)$/.exec(line);
    const q = /^q (\d+) ENOENT (ok|ESRCH|EPERM|other)$/.exec(line);
    if (!m && !q) continue;
    const pid = Number((m ?? q)![1]);
    if (seen.has(pid)) twice.add(pid);
    seen.add(pid);
    if (m) {
      const fact: ProcessFact = { pid, alive: true, liveness: 'alive', livenessReason: `listed by ps -p ${pid}` };
      if (m[2].trim()) fact.comm = m[2].trim();
      processes[pid] = fact;
    } else {
      processes[pid] = buildProcessFact({ pid, statCode: 'ENOENT', kill: q![2] as KillProbe }, undefined, 0, {});
      const f = processes[pid];
      if (f.liveness === 'unknown') f.livenessReason = `not listed by ps, but kill -0 ${pid} ${q![2] === 'EPERM' ? 'says it exists (EPERM): another user\'s process hidden from ps' : `answered ${q![2]}`}`;
      else f.livenessReason = `not listed by ps -p ${pid}, and kill -0 ${pid}: No such process`;
    }
  }
  for (const pid of twice) processes[pid] = unknownFact(pid, `${snap.host}: the probe reported pid ${pid} more than once (conflicting lines)`);
  snap.processes = processes;
  return { ok: true, snapshot: snap, utcOffsetSeconds: tz };
}

/** What the lock self-test (extension/remote/lockScript.ts) found on a host. */
export type LockProbeOutcome =
  | { mode: 'locked'; layout: 'x86_64' | 'generic64'; quiesce: 'membarrier' | 'sleep' }
  | { mode: 'unlocked'; reason: string };

/** `@@ipcx-lockprobe 1`, `@@section lock`: `locked LAYOUT QUIESCE` or `unlocked REASON`. Anything else is unlocked. */
export function parseLockProbe(text: string, host: string): ProbeResult<LockProbeOutcome> {
  const d = splitDocument(text, 'ipcx-lockprobe', 1, host);
  if (!d.ok) return d;
  const body = d.value.sections.get('lock');
  if (body === undefined) return { ok: false, error: probeError(host, 'the lock self-test printed no "lock" section') };
  const line = body.split('\n').filter((l) => l.trim())[0]?.trim() ?? '';
  const m = /^locked (x86_64|generic64) (membarrier|sleep)$/.exec(line);
  if (m) return { ok: true, value: { mode: 'locked', layout: m[1] as 'x86_64' | 'generic64', quiesce: m[2] as 'membarrier' | 'sleep' } };
  const u = /^unlocked (.+)$/.exec(line);
  return { ok: true, value: { mode: 'unlocked', reason: printable(u ? u[1] : `unexpected answer ${JSON.stringify(line.slice(0, 80))}`) } };
}

function printable(s: string): string {
  const t = s.replace(/[^\x20-\x7e]/g, '?');
  return t.length > 300 ? t.slice(0, 300) + '...' : t;
}

/** A fact the probe could not establish: unknown, never dead. */
function unknownFact(pid: number, message: string): ProcessFact {
  return { pid, alive: false, liveness: 'unknown', livenessReason: message.replace(/^[^:]*: /, ''), error: { code: 'EPARSE', message } };
}

/** The reader's view of the host's process table from the probe (pid namespace, /proc, hidepid, clocks). */
function readerViewOf(sections: Map<string, string>, uid: number | undefined) {
  const clock = (sections.get('clock') ?? '').split('\n');
  const real = (t: string | undefined): [number, number] | undefined => {
    const m = /^(\d+)(?:\.(\d{1,9}))?/.exec((t ?? '').trim());
    if (!m) return undefined;
    return m[2] !== undefined ? [Number(`${m[1]}.${m[2]}`), 1e-9] : [Number(m[1]), 1]; // no %N: whole seconds
  };
  const d0 = real(clock[0]);
  const d1 = real(clock[2]);
  const groups = (sections.get('groups') ?? '').trim().split(/\s+/).filter((g) => /^\d+$/.test(g)).map(Number);
  return parseReaderView({
    pidNsLink: firstLine(sections.get('pidns')) || undefined,
    selfStatus: sections.get('nspid'),
    mountinfo: sections.get('procmount'),
    procMountPoint: '/proc',
    uptime: clock[1],
    realtime: d0 && d1 ? [d0[0], d1[0] + d1[1]] : undefined,
    euid: uid,
    groups,
  });
}

const ENTER_WHY: Record<string, (uid: number | undefined) => string> = {
  'no-nsenter': () => 'nsenter is not installed on the host (util-linux): other IPC namespaces cannot be entered',
  'no-sudo': (uid) => `the probe runs as uid ${uid ?? '?'} (not root) and \`sudo -n nsenter\` was refused (no passwordless sudo for nsenter): other IPC namespaces cannot be entered`,
  none: (uid) => `the probe runs as uid ${uid ?? '?'} (not root) and the host has no sudo: other IPC namespaces cannot be entered (connect as root, or use a host with passwordless sudo)`,
};

/**
 * The `ns-*` and `ns.INODE.*` sections of a probe run with `want_ns=1`: per other namespace its main pid,
 * command, cgroup (-> container) and /dev/shm statfs, and, when it was entered, its /proc/sysvipc tables and
 * limits, parsed by the same code as the host's own into one snapshot each (no POSIX objects: those are
 * listed for the probe's own namespace only). The host-wide sections (clock, page size, pid facts, whose
 * pids are the probe's pid numbers) are shared.
 */
function parseNamespaces(doc: ProbeDocument, host: string, uid: number | undefined, freshBase: () => IpcSnapshot): RemoteNamespaces {
  const how = firstLine(doc.sections.get('ns-enter'));
  const out: RemoteNamespaces = { unreadable: intOf(doc.sections.get('ns-unreadable')) ?? 0, list: [] };
  if (how === 'root' || how === 'sudo') out.enteredAs = how;
  else out.cannotEnter = (ENTER_WHY[how] ?? ENTER_WHY.none!)(uid);
  const shared = ['uname', 'hostname', 'uid', 'now', 'tz', 'btime', 'clktck', 'pidns', 'nspid', 'procmount', 'groups', 'clock', 'pagesize', 'pids'];
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
    for (const k of shared) {
      const v = doc.sections.get(k);
      if (v !== undefined) sub.set(k, v);
    }
    for (const k of ['sysvipc-sem', 'sysvipc-shm', 'sysvipc-msg', 'limits']) {
      const v = doc.sections.get(`ns.${m[1]}.${k}`);
      if (v !== undefined) sub.set(k, v);
    }
    sub.set('ipcns', ns);
    const snap = freshBase();
    const r = parseLinux({ ...doc, sections: sub, preamble: '' }, snap);
    if (!r.ok) {
      out.list.push({ namespace: info, error: r.error });
      continue;
    }
    const s = r.value.snapshot;
    s.namespaceLabel = info.label;
    if (devShm) s.devShm = devShm;
    // the probe's own namespace's reader view and POSIX listing do not describe this one
    delete s.reader;
    out.list.push({ namespace: info, snapshot: s });
  }
  return out;
}

/**
 * A Linux host's probe document as HostFacts: /proc/sysvipc and the limit files (parsed as the /proc
 * source parses them), /dev/shm lines with each semaphore file's bytes, every process's /SYSV and /dev/shm
 * mappings, and per-pid evidence (/proc/PID/stat or kill -0). Pure; assembleSnapshot does the rest.
 */
import type { ItemError, ReaderView } from '../shared/model';
import { hintFor } from './errors';
import type { DevShmEntry, DevShmFacts, HostFacts, MapsFacts, ProcessEvidence, StatfsFacts } from './hostFacts';
import { devFromMaps, devInoKey, type MapsEntry } from './mapsParser';
import { fromHex } from './posixSem';
import { firstLine, intOf, need, PID_MAX, probeError, sectionError, snippet, type ProbeDocument, type ProbeResult } from './probeDocument';
import { LIMIT_FILES, sysvRowsFromProc, type LimitFiles } from './procParser';
import { parseBootTime, unknownFact, type KillProbe, type ProcessFiles } from './processFacts';
import { parseReaderView } from './readerView';
import { decimalUpTo, U32_MAX } from '../shared/decimal';

/** Bounds on numbers a host reports (a bad value is one item's EPARSE, never a snapshot-wide failure). */
/** The probe lists at most its bound of /dev/shm files; a host sending far more is not our probe. */
const MAX_DEVSHM_LINES = 1000000;

/** The host fields every probe document starts with. */
export type ProbeHead = Pick<HostFacts, 'host' | 'platform' | 'source' | 'takenAt' | 'hostname' | 'kernel' | 'uid' | 'warnings'>;

/** Section `limits`: `/proc/sys/FILE CONTENTS` per readable file of LIMIT_FILES. */
function limitFiles(body: string): LimitFiles {
  const known = new Set<string>(LIMIT_FILES);
  const files: LimitFiles = {};
  for (const line of body.split('\n')) {
    const m = /^\/proc\/sys\/(\S+) (.*)$/.exec(line);
    if (m && known.has(m[1])) (files as Record<string, string>)[m[1]] = m[2].trim();
  }
  return files;
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

/** Section `devshm-statfs`: `bsize blocks bfree bavail files ffree type(hex)` of /dev/shm, or `! why`. */
function statfsLine(body: string | undefined, warnings: string[]): StatfsFacts | undefined {
  const line = firstLine(body);
  if (!line) return undefined;
  const m = /^(\d{1,15}) (\d{1,15}) (\d{1,15}) (\d{1,15}) (\d{1,15}) (\d{1,15}) ([0-9a-f]{1,8})$/.exec(line);
  if (!m) {
    warnings.push(`/dev/shm: statfs failed on the host (${snippet(line.replace(/^! /, ''), 80)}); its size and use are not shown`);
    return undefined;
  }
  const n = m.slice(1, 7).map(Number);
  return { path: '/dev/shm', bsize: n[0], blocks: n[1], bfree: n[2], bavail: n[3], files: n[4], ffree: n[5], type: parseInt(m[7], 16) };
}

/** Sections `devshm` (`uid gid mode(octal) size mtime[.fraction] dev ino path`) and `devshm-sem` (`ino hex`). */
function devShmFacts(doc: ProbeDocument, host: string): DevShmFacts {
  const out: DevShmFacts = { entries: [], errors: [], warnings: [] };
  const semHex = new Map<number, string>();
  const semSection = doc.sections.get('devshm-sem') ?? '';
  const noPerl = /^! no-perl$/m.test(semSection);
  for (const line of semSection.split('\n')) {
    const m = /^(\d{1,20})(?: ([0-9a-f]{0,128}))?$/.exec(line.trim());
    if (m) semHex.set(Number(m[1]), m[2] ?? '');
  }
  const parseError = (message: string): ItemError =>
    ({ kind: 'posixShm', error: { code: 'EPARSE', syscall: 'parse', op: 'devshm', message: `${host}: ${message}` } });
  const seenPaths = new Set<string>();
  let lines = 0, semLines = 0;
  for (const line of (doc.sections.get('devshm') ?? '').split('\n')) {
    if (!line.trim()) continue;
    if (++lines > MAX_DEVSHM_LINES) {
      out.errors.push(parseError(`more than ${MAX_DEVSHM_LINES} /dev/shm lines (the probe lists at most its bound); the rest were ignored`));
      break;
    }
    const m = /^(\d{1,20}) (\d{1,20}) ([0-7]{1,6}) (\d{1,20}) (\d{1,20})(?:\.\d{1,10})? (\d{1,20}) (\d{1,20}) (\/dev\/shm\/[^/]+)$/.exec(line);
    const bad = !m ? 'unreadable' : Number(m[1]) > U32_MAX || Number(m[2]) > U32_MAX ? 'uid/gid out of range in'
      : parseInt(m[3], 8) > 0o7777 ? 'mode out of range in' : seenPaths.has(m[8]) ? 'duplicate' : undefined;
    if (bad || !m) {
      out.errors.push(parseError(`${bad} /dev/shm line ${snippet(line)}`));
      continue;
    }
    const p = m[8];
    seenPaths.add(p);
    const file = p.slice('/dev/shm/'.length);
    if (file.startsWith('sem.')) semLines++;
    const entry: DevShmEntry = {
      file, path: p, uid: Number(m[1]), gid: Number(m[2]), mode: parseInt(m[3], 8), size: Number(m[4]), mtime: Number(m[5]),
      dev: Number(m[6]), ino: Number(m[7]),
    };
    if (file.startsWith('sem.')) {
      const hex = semHex.get(entry.ino);
      const bytes = hex !== undefined ? fromHex(hex) : undefined;
      if (bytes) entry.sem = { bytes };
      else if (noPerl) {
        entry.sem = { error: {
          code: 'ENOTSUP', syscall: 'perl', op: 'sem_t', message: `${p}: its bytes were not read: the host has no perl`,
          hint: 'The probe reads semaphore files with one perl (O_NOFOLLOW, O_NONBLOCK, a regular-file check) rather than a process per file; install perl (perl-base on Debian) to see values.',
        } };
      } else {
        entry.sem = { error: { code: 'EACCES', syscall: 'open', op: 'sem_t', message: `${p}: its bytes could not be read on the host`, hint: hintFor('EACCES', undefined, 'open') } };
      }
    }
    out.entries.push(entry);
  }
  const statfs = statfsLine(doc.sections.get('devshm-statfs'), out.warnings);
  // another IPC namespace's /dev/shm is read through its main process's root (the probe names the directory)
  const dir = firstLine(doc.sections.get('devshm-dir'));
  if (statfs && /^\/proc\/\d{1,10}\/root\/dev\/shm$/.test(dir)) statfs.path = dir;
  if (statfs) out.statfs = statfs;
  const skipped = intOf(doc.sections.get('devshm-skipped')) ?? 0;
  if (skipped > 0) out.warnings.push(`/dev/shm: ${skipped} file(s) with a newline in the name were not listed`);
  const total = intOf(doc.sections.get('devshm-total'));
  const unfinished = listingUnfinished(firstLine(doc.sections.get('devshm-status')));
  if (unfinished) out.unfinished = unfinished;
  if (total !== undefined) {
    out.counted = total;
    if (total > lines) out.notListed = total - lines;
  }
  if (total !== undefined && total > lines) {
    const n = (x: number) => x.toLocaleString('en-US');
    out.warnings.push(`/dev/shm: ${n(total)} files; ${n(lines)} listed (the first by name: ${n(semLines)} sem.*, ` +
      `${n(lines - semLines)} others), ${n(total - lines)} more not listed (the probe's bound per snapshot)`);
  }
  return out;
}

/** Section `maps`: `/proc/PID/maps:<maps line>` for every /SYSV and /dev/shm mapping, and `! cut N`. */
function mapsByPid(body: string): { byPid: Map<number, { shm: Set<number>; files: Set<string> }>; warnings: string[] } {
  const byPid = new Map<number, { shm: Set<number>; files: Set<string> }>();
  const warnings: string[] = [];
  for (const line of body.split('\n')) {
    const cut = /^! cut (\d+)$/.exec(line);
    if (cut) warnings.push(`attachers: the host reported more mappings than the probe's bound; ${cut[1]} line(s) were left out, so attacher lists may be incomplete`);
    const m = /^\/proc\/(\d{1,10})\/maps:(.*)$/.exec(line);
    if (!m || Number(m[1]) > PID_MAX) continue;
    const f = m[2].split(/\s+/, 6);
    if (f.length < 6 || !/^\d+$/.test(f[4])) continue;
    const pid = Number(m[1]);
    let e = byPid.get(pid);
    if (!e) byPid.set(pid, (e = { shm: new Set(), files: new Set() }));
    if (f[5].startsWith('/SYSV')) e.shm.add(Number(f[4]));
    else {
      const dev = devFromMaps(f[3]);
      if (dev !== undefined) e.files.add(devInoKey(dev, Number(f[4])));
    }
  }
  return { byPid, warnings };
}

/**
 * Section `pids`: `p PID 1 UID NS STAT...` (its /proc/PID/stat), `c PID CMDLINE`, `q PID ENOENT|unreadable
 * KILL` (not readable: kill -0 tells). A pid reported twice is unknown (conflicting lines).
 */
function processEvidence(body: string, host: string, view: ReaderView): ProcessEvidence[] {
  const lines = body.split('\n');
  const cmdlines = new Map<number, string>();
  for (const line of lines) {
    const m = /^c (\d{1,10}) (.*)$/.exec(line);
    if (m) cmdlines.set(Number(m[1]), m[2].replace(/ +$/, ''));
  }
  const byPid = new Map<number, ProcessFiles>();
  const twice = new Set<number>();
  for (const line of lines) {
    const m = /^p (\d{1,10}) 1 (\S+) (\S+) (.*)$/.exec(line);
    const q = /^q (\d{1,10}) (ENOENT|unreadable) (ok|ESRCH|EPERM|other)$/.exec(line);
    if (!m && !q) continue;
    const pid = Number((m ?? q)![1]);
    if (pid > PID_MAX) continue; // no process has it: not a line of the probe's
    if (byPid.has(pid)) twice.add(pid);
    if (m) {
      // a /proc of another pid namespace than the probe's shell shows other processes under these numbers
      const files: ProcessFiles = view.procIsOwnPidNs === false
        ? { pid, statCode: 'skipped' }
        : { pid, stat: m[4], ...(/^ipc:\[\d+\]$/.test(m[3]) ? { nsIpc: m[3] } : {}) };
      const uid = decimalUpTo(m[2], U32_MAX);
      if (uid !== undefined) files.uid = uid;
      const c = cmdlines.get(pid);
      if (c) files.cmdline = c;
      byPid.set(pid, files);
    } else {
      byPid.set(pid, { pid, statCode: q![2], kill: q![3] as KillProbe });
    }
  }
  return [...byPid.values()].map((files): ProcessEvidence => twice.has(files.pid)
    ? { fact: unknownFact(files.pid, `${host}: the probe reported pid ${files.pid} more than once (conflicting lines)`) }
    : { files });
}

/** The reader's view of the host's process table from the probe (pid namespace, /proc, hidepid, clocks). */
function readerViewOf(sections: Map<string, string>, uid: number | undefined): ReaderView {
  const clock = (sections.get('clock') ?? '').split('\n');
  const real = (t: string | undefined): [number, number] | undefined => {
    const m = /^(\d+)(?:\.(\d{1,9}))?/.exec((t ?? '').trim());
    // 400 digits read as Infinity: no time
    if (!m || !Number.isFinite(Number(m[1]))) return undefined;
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

/** A Linux probe document -> HostFacts. */
export function linuxProbeFacts(doc: ProbeDocument, head: ProbeHead, extraPids: readonly number[] = []): ProbeResult<HostFacts> {
  const host = head.host;
  const warnings = [...head.warnings];
  const ns = firstLine(doc.sections.get('ipcns'));
  const pageSize = intOf(doc.sections.get('pagesize')) ?? 0;
  if (pageSize <= 0) warnings.push('page size unknown (getconf PAGESIZE failed): SHMALL usage is not computed');

  const lim = need(doc, host, 'limits');
  if (!lim.ok) return lim;
  const files = limitFiles(lim.value);
  const texts: Partial<Record<'sem' | 'shm' | 'msg', string>> = {};
  const sectionErrors: ItemError[] = [];
  for (const kind of ['sem', 'shm', 'msg'] as const) {
    const s = need(doc, host, `sysvipc-${kind}`);
    if (!s.ok) return s;
    const err = sectionError(s.value);
    if (err !== undefined) {
      sectionErrors.push({ kind, error: { code: 'EACCES', syscall: 'open', op: `/proc/sysvipc/${kind}`, message: `${host}: ${err}`, hint: hintFor('EACCES', undefined, 'open') } });
      continue;
    }
    if (!/^\s*key\s/.test(s.value)) {
      return { ok: false, error: probeError(host, `section "sysvipc-${kind}" is not /proc/sysvipc/${kind} (no header line): ${snippet(s.value)}`) };
    }
    // every line of a section was followed by a newline (the section ends at the next @@ line): whole rows
    texts[kind] = s.value + '\n';
  }
  const rows = sysvRowsFromProc(texts, files, (kind) => `${host}:/proc/sysvipc/${kind}`);

  const devShm = devShmFacts(doc, host);
  const reader = readerViewOf(doc.sections, head.uid);
  const processes = processEvidence(doc.sections.get('pids') ?? '', host, reader);
  const nsOf = new Map<number, string>();
  for (const ev of processes) if ('files' in ev && ev.files.nsIpc !== undefined) nsOf.set(ev.files.pid, ev.files.nsIpc);
  const scan = mapsByPid(doc.sections.get('maps') ?? '');
  const maps: MapsFacts = { perPid: [], warnings: scan.warnings };
  for (const [pid, e] of scan.byPid) {
    const entry: MapsEntry = { sysvShmids: [...e.shm], files: [...e.files] };
    const ipcNs = nsOf.get(pid);
    maps.perPid.push(ipcNs === undefined ? { pid, maps: entry } : { pid, maps: entry, ipcNs });
  }
  if (head.uid !== undefined && head.uid !== 0 && (rows.sysv.shms.length || devShm.entries.length)) {
    maps.warnings.push(`attachers: the SSH user (uid ${head.uid}) cannot read other users' /proc/PID/maps; attacher lists may be incomplete`);
  }
  const facts: HostFacts = {
    ...head,
    warnings,
    sysv: rows.sysv,
    sysvErrors: [...sectionErrors, ...rows.errors],
    limits: { kind: 'files', files, pageSize },
    devShm,
    maps,
    processes,
    extraPids,
    clkTck: intOf(doc.sections.get('clktck')) ?? 100,
    reader,
  };
  if (/^ipc:\[\d+\]$/.test(ns)) facts.ipcNamespace = ns;
  const btime = parseBootTime(doc.sections.get('btime') ?? '');
  if (btime !== undefined) facts.btime = btime;
  return { ok: true, value: facts };
}

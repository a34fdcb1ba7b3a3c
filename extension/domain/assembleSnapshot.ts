/**
 * The one place a snapshot is built: HostFacts (what a source collected) in, IpcSnapshot out. Pure: no I/O.
 * Every source (native binding, /proc fallback, SSH probe) goes through here, so the derived parts (POSIX
 * objects and their decoding, attachers, process facts, usage, the notes about what a listing lacks) are
 * computed once and the same way for all of them.
 */
import type {
  DevShmUsage, IpcLimits, IpcSnapshot, IpcUsage, ItemError, MsgQueue, PosixSem, PosixShm, ProcessFact, SemSet, ShmSegment,
} from '../shared/model';
import type { DevShmFacts, HostFacts, LimitFacts, MapsFacts, StatfsFacts, SysvFacts } from './hostFacts';
import { collectAttachers, devInoKey, type Attachers } from './mapsParser';
import { decodePosixSem } from './posixSem';
import { deriveUsage, parseLimitFiles } from './procParser';
import { buildProcessFact, pidsOf, unknownFact } from './processFacts';
import { columnsSummary, decodeItemError, decodeSysv, limitsFromNative, shmIdsOfColumns, type RawColumns } from './sysvColumns';

/** A glibc sem_t is 32 bytes (16 on 32-bit); a `sem.*` file bigger than this is not read. */
export const SEM_FILE_MAX_BYTES = 64;

/** Whether a /dev/shm file name is a named semaphore (`sem.NAME`, NAME not empty). */
export function isSemFile(file: string): boolean {
  return file.length > 4 && file.startsWith('sem.');
}

const STAT_ANY_WARNING =
  'this kernel has no *_STAT_ANY (Linux < 4.17): objects were listed with *_STAT, so those this user may not read could not be listed';
const QBYTES_WARNING = 'message queues: qbytes shown as MSGMNB (/proc/sysvipc/msg does not list msg_qbytes)';

interface SysvPart {
  sems: SemSet[];
  shms: ShmSegment[];
  msgs: MsgQueue[];
  errors: ItemError[];
  limits: IpcLimits;
  usage: IpcUsage;
  warnings: string[];
}

/** `shm`: a columnar listing's segments, counted where the binding read no SHM_INFO */
function limitsOf(l: LimitFacts, shm?: RawColumns): { limits: IpcLimits; usage?: IpcUsage; warnings: string[] } {
  switch (l.kind) {
    case 'native':
      return { ...limitsFromNative(l.raw, l.files, shm), warnings: [] };
    case 'files': {
      const p = parseLimitFiles(l.files, l.pageSize);
      return { limits: p.limits, warnings: p.errors.map((e) => `limits: ${e.message}`) };
    }
    case 'parsed':
      return { limits: l.limits, warnings: [] };
  }
}

/** The parts of a columnar listing assembleSnapshot keeps besides its objects: item errors, usage, notes. */
function columnsPart(s: Extract<SysvFacts, { kind: 'columns' }>, sysvErrors: ItemError[], l: LimitFacts, decode: boolean): SysvPart {
  const lim = limitsOf(l, s.raw.shm);
  const warnings = lim.warnings;
  if (!s.raw.statAny) warnings.unshift(STAT_ANY_WARNING);
  const errors = [...s.raw.errors.map(decodeItemError), ...sysvErrors];
  // the binding's IPC_INFO counters give the usage; only without them are the objects counted
  const d = decode || !lim.usage ? decodeSysv(s.raw, s.values, s.previousSems, s.sameAsPrevious) : undefined;
  const usage = lim.usage ?? deriveUsage(d!.sems, d!.shms, d!.msgs, lim.limits.pageSize);
  const objects = decode ? { sems: d!.sems, shms: d!.shms, msgs: d!.msgs } : { sems: [], shms: [], msgs: [] };
  return { ...objects, errors, limits: lim.limits, usage, warnings };
}

function sysvPart(s: SysvFacts, sysvErrors: ItemError[], l: LimitFacts): SysvPart {
  if (s.kind === 'columns') return columnsPart(s, sysvErrors, l, true);
  const lim = limitsOf(l);
  const warnings = lim.warnings;
  const msgmnb = lim.limits.msgmnb;
  if (!s.qbytesListed && msgmnb !== undefined) {
    // every queue starts at MSGMNB; an IPC_SET change of msg_qbytes is not seen
    for (const q of s.msgs) q.qbytes = msgmnb;
    if (s.msgs.length) warnings.push(QBYTES_WARNING);
  }
  const usage = lim.usage ?? deriveUsage(s.sems, s.shms, s.msgs, lim.limits.pageSize);
  return { sems: s.sems, shms: s.shms, msgs: s.msgs, errors: [...sysvErrors], limits: lim.limits, usage, warnings };
}

const TMPFS_MAGIC = 0x01021994;

/** statfs of /dev/shm -> its size and use in bytes. */
export function devShmUsage(s: StatfsFacts): DevShmUsage {
  return {
    path: s.path,
    size: s.blocks * s.bsize,
    used: (s.blocks - s.bfree) * s.bsize,
    avail: s.bavail * s.bsize,
    files: s.files,
    filesFree: s.ffree,
    fsType: s.type === TMPFS_MAGIC ? 'tmpfs' : `0x${s.type.toString(16)}`,
  };
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** /dev/shm entries -> named semaphores (decoded) and POSIX shm objects, each sorted by path. */
export function posixObjects(d: DevShmFacts): { posixSems: PosixSem[]; posixShms: PosixShm[] } {
  const posixSems: PosixSem[] = [];
  const posixShms: PosixShm[] = [];
  for (const e of d.entries) {
    const common = { path: e.path, uid: e.uid, gid: e.gid, mode: e.mode, size: e.size, mtime: e.mtime, dev: e.dev, ino: e.ino };
    if (!isSemFile(e.file)) {
      posixShms.push({ kind: 'posixShm', name: '/' + e.file, ...common });
      continue;
    }
    const sem: PosixSem = { kind: 'posixSem', name: '/' + e.file.slice(4), ...common };
    if (e.size > SEM_FILE_MAX_BYTES) {
      sem.decodeError = {
        code: 'EPARSE',
        syscall: 'decode',
        op: 'sem_t',
        message: `${e.path}: unexpected size ${e.size} bytes (a glibc sem_t is 32 bytes on 64-bit, 16 on 32-bit)`,
        hint: 'The file does not look like a glibc semaphore; its value is not shown.',
      };
    } else if (e.sem === undefined) {
      sem.decodeError = { code: 'ENODATA', syscall: 'read', op: 'sem_t', message: `${e.path}: its bytes were not read` };
    } else if ('error' in e.sem) {
      sem.decodeError = e.sem.error;
    } else {
      const dec = decodePosixSem(e.sem, e.path);
      if ('decoded' in dec) sem.decoded = dec.decoded;
      else sem.decodeError = dec.decodeError;
    }
    posixSems.push(sem);
  }
  posixSems.sort(byPath);
  posixShms.sort(byPath);
  return { posixSems, posixShms };
}

/**
 * Why the listing of /dev/shm may miss files (a verdict that needs to see every DSM file of an owner then
 * keeps its segment), or undefined when it is complete.
 */
export function devShmIncomplete(d: DevShmFacts): string | undefined {
  const n = (x: number): string => x.toLocaleString('en-US');
  if (d.counted === undefined) return 'its files were not counted';
  if (d.unfinished) return d.unfinished;
  if (d.notListed) return `${n(d.notListed)} of its ${n(d.counted)} files are not listed (the bound per snapshot)`;
  const e = d.errors[0];
  if (e) return d.errors.length === 1 ? `an entry cannot be read (${e.error.message})` : `${n(d.errors.length)} of its entries cannot be read (${e.error.message}, ...)`;
  return undefined;
}

/** Attacher lists from every process's mappings (System V ones only from `ipcNamespace`'s processes). */
function attachersOf(m: MapsFacts, ipcNamespace: string | undefined): Attachers {
  return collectAttachers(m.perPid.map((p): [number, typeof p.maps, string?] => [p.pid, p.maps, p.ipcNs]), ipcNamespace);
}

function setAttachers(a: Attachers, shms: ShmSegment[], posix: Array<PosixSem | PosixShm>): void {
  for (const s of shms) s.attachers = a.shm.get(s.id) ?? [];
  for (const o of posix) o.attachers = a.files.get(devInoKey(o.dev, o.ino)) ?? [];
}

/**
 * Facts for every pid the objects mention and every extra pid asked about: from the source's evidence, or
 * `unknown` (never dead) when the source said nothing about one.
 */
function processFacts(f: HostFacts, wanted: Set<number>): Record<number, ProcessFact> {
  const out: Record<number, ProcessFact> = {};
  for (const ev of f.processes) {
    const pid = 'files' in ev ? ev.files.pid : ev.fact.pid;
    if (!wanted.has(pid)) continue;
    out[pid] = 'files' in ev ? buildProcessFact(ev.files, f.btime, f.clkTck, f.reader) : ev.fact;
  }
  const who = f.source === 'ssh-linux' || f.source === 'ssh-ipcs' || f.source === 'ipcs' ? 'the probe' : 'the source';
  for (const pid of wanted) if (!out[pid]) out[pid] = unknownFact(pid, `${f.host}: ${who} reported nothing about pid ${pid}`);
  return out;
}

/** The pids a snapshot describes: those its objects mention, and the extra ones the source was asked about. */
export function wantedPids(objects: Parameters<typeof pidsOf>[0], extra: readonly number[] = []): Set<number> {
  const s = new Set(pidsOf(objects));
  for (const p of extra) if (p > 0) s.add(p);
  return s;
}

/** Whether a maps scan can find anything: a segment is attached, or /dev/shm has files. */
export function worthScanningMaps(sysv: SysvFacts, devShm: DevShmFacts | undefined): boolean {
  if (devShm?.entries.length) return true;
  return sysv.kind === 'columns' ? columnsSummary(sysv.raw).someShmAttached : sysv.shms.some((s) => s.nattch > 0);
}

/**
 * The pids a source should collect evidence about (ascending), before the snapshot is assembled: those the
 * listed objects mention (creator, last-op and attacher pids) and the extra ones. Decodes no set.
 * `attachers`: the maps' attachers, when the caller has them.
 */
export function pidsToDescribe(
  f: Pick<HostFacts, 'sysv' | 'devShm' | 'maps' | 'ipcNamespace' | 'extraPids'>,
  attachers: Attachers | undefined = f.maps && attachersOf(f.maps, f.ipcNamespace),
): number[] {
  const set = new Set<number>();
  const add = (p: number): void => {
    if (p > 0) set.add(p);
  };
  const s = f.sysv;
  if (s.kind === 'columns') columnsSummary(s.raw).pids.forEach(add);
  else for (const p of pidsOf([...s.sems, ...s.shms, ...s.msgs])) add(p);
  const a = attachers;
  if (a) {
    if (a.shm.size) {
      const shmIds = s.kind === 'columns' ? shmIdsOfColumns(s.raw) : new Set(s.shms.map((x) => x.id));
      for (const [id, pids] of a.shm) if (shmIds.has(id)) pids.forEach(add);
    }
    const files = new Set((f.devShm?.entries ?? []).map((e) => devInoKey(e.dev, e.ino)));
    for (const [k, pids] of a.files) if (files.has(k)) pids.forEach(add);
  }
  for (const p of f.extraPids ?? []) add(p);
  return [...set].sort((a, b) => a - b);
}

/** HostFacts -> IpcSnapshot. The facts' arrays are taken over (not copied): collect fresh facts per snapshot. */
export function assembleSnapshot(f: HostFacts): IpcSnapshot {
  const sysv = sysvPart(f.sysv, f.sysvErrors, f.limits);
  const { posixSems, posixShms } = f.devShm ? posixObjects(f.devShm) : { posixSems: [], posixShms: [] };
  const a = f.maps && attachersOf(f.maps, f.ipcNamespace);
  if (a) setAttachers(a, sysv.shms, [...posixSems, ...posixShms]);
  // the pids the objects name: for a columnar listing, those its columns and the attachers name (a set decoded
  // from columns has no per-semaphore detail, so no pid), without walking tens of thousands of objects
  const wanted = f.sysv.kind === 'columns' ? new Set(pidsToDescribe(f, a))
    : wantedPids([...sysv.sems, ...sysv.shms, ...sysv.msgs, ...posixSems, ...posixShms], f.extraPids);
  return finishSnapshot(f, sysv, posixSems, posixShms, wanted);
}

/**
 * A snapshot of a columnar listing whose System V objects stay in their columns, for writers that render
 * those straight from the columns (the binding's writeSysvJson): decoding tens of thousands of objects only
 * to serialise them costs more than reading them. `snap` has empty `sems`, `shms` and `msgs`;
 * `shmAttachers` holds the attachers by shmid when the mappings were read (a listed segment not in it has
 * none), and is absent when they were not (the segments then have no `attachers`). Everything else is
 * assembleSnapshot's: putting back the objects the columns decode to (decodeSems, decodeShms with each
 * segment's attachers, decodeMsgs) gives the same snapshot, key for key.
 */
export interface ColumnarSnapshot {
  snap: IpcSnapshot;
  shmAttachers?: ReadonlyMap<number, number[]>;
}

export function assembleColumnar(f: HostFacts): ColumnarSnapshot {
  if (f.sysv.kind !== 'columns') throw new TypeError('assembleColumnar: the listing is not columnar');
  const sysv = columnsPart(f.sysv, f.sysvErrors, f.limits, false);
  const { posixSems, posixShms } = f.devShm ? posixObjects(f.devShm) : { posixSems: [], posixShms: [] };
  const a = f.maps && attachersOf(f.maps, f.ipcNamespace);
  if (a) setAttachers(a, [], [...posixSems, ...posixShms]);
  // the pids the decoded objects would name: the columns' pids, the listed segments' and the files' attachers
  const snap = finishSnapshot(f, sysv, posixSems, posixShms, new Set(pidsToDescribe(f, a)));
  return a ? { snap, shmAttachers: a.shm } : { snap };
}

function finishSnapshot(f: HostFacts, sysv: SysvPart, posixSems: PosixSem[], posixShms: PosixShm[], wanted: Set<number>): IpcSnapshot {
  const snap: IpcSnapshot = {
    version: 1,
    host: f.host,
    platform: f.platform,
    source: f.source,
    takenAt: f.takenAt,
    sems: sysv.sems,
    shms: sysv.shms,
    msgs: sysv.msgs,
    posixSems,
    posixShms,
    errors: [...sysv.errors, ...(f.devShm?.errors ?? [])],
    limits: sysv.limits,
    usage: sysv.usage,
    processes: processFacts(f, wanted),
    warnings: [...f.warnings, ...sysv.warnings, ...(f.devShm?.warnings ?? []), ...(f.maps?.warnings ?? [])],
  };
  if (f.reader !== undefined) snap.reader = f.reader;
  if (f.devShm?.statfs !== undefined) snap.devShm = devShmUsage(f.devShm.statfs);
  const incomplete = f.devShm && devShmIncomplete(f.devShm);
  if (incomplete !== undefined) snap.devShmIncomplete = incomplete;
  if (f.namespaceLabel !== undefined) snap.namespaceLabel = f.namespaceLabel;
  if (f.hostname !== undefined) snap.hostname = f.hostname;
  if (f.kernel !== undefined) snap.kernel = f.kernel;
  if (f.ipcNamespace !== undefined) snap.ipcNamespace = f.ipcNamespace;
  if (f.uid !== undefined) snap.uid = f.uid;
  if (f.libc !== undefined) snap.libc = f.libc;
  return snap;
}

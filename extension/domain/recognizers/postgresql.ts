/**
 * PostgreSQL's own proofs that a leftover object is its own (DOMAIN.md section 3):
 * - semaphore sets (src/backend/port/sysv_sema.c): 17 semaphores, semnum 16 holds PGSemaMagic = 537 and its
 *   sempid is the creating postmaster; mode 0600; keys from the data directory's inode + 1 (13+) or
 *   port * 1000 + 1 (12 and older);
 * - the shm interlock segment (src/backend/port/sysv_shmem.c, pg_shmem.h): header magic 679834894 @0,
 *   creatorPID @4, dsm_control @24, device @40, inode @48 (PostgreSQL 9.4+ on x86-64 / LP64 little-endian),
 *   matched to a data directory by device + inode;
 * - its dynamic shared memory (src/backend/storage/ipc/dsm.c): dsm_control names the control segment
 *   /dev/shm/PostgreSQL.<handle> (dynamic_shared_memory_type = posix), which lists the other segments.
 *
 * "Proven" (OwnerInfo.proof) mirrors the checks PostgreSQL itself makes before it reuses a leftover:
 * - IpcSemaphoreCreate (sysv_sema.c) zaps a set when semnum 16 holds 537 and its sempid (the creating
 *   postmaster) is > 0 and not alive (kill(pid, 0) fails with ESRCH); we also accept a pid proven reused;
 * - PGSharedMemoryCreate / PGSharedMemoryAttach (sysv_shmem.c) zap a segment whose header magic, device and
 *   inode match the data directory and whose shm_nattch is 0, after CreateLockFile found that
 *   postmaster.pid names no live postmaster; we also require the header's creatorPID to be dead.
 */
import type { IpcObject, OwnerInfo, PgDsmUnit, SemSet, ShmSegment, UnitFile } from '../../shared/model';
import type { DataDirFact, OwnerRecognizer, PidStatus, RecognizerContext } from './types';

export const PG_SEMA_MAGIC = 537;
export const PG_SEMS_PER_SET = 17;
export const PG_SHMEM_MAGIC = 679834894;
/** bytes of PGShmemHeader needed to read magic, creatorPID, device and inode (LP64). */
export const PG_SHMEM_HEADER_BYTES = 56;
/** how far past the base key a cluster's sets may go (max_connections 10000 needs ~630 sets). */
const MAX_KEY_OFFSET = 4096;

export interface PgShmemHeader {
  magic: number;
  creatorPid: number;
  totalSize: bigint;
  /** handle of the DSM control segment (0: none). */
  dsmControl: number;
  device: bigint;
  inode: bigint;
}

/** Parse PGShmemHeader from its first 56 bytes (LP64 little-endian), or undefined when the magic is wrong. */
export function parsePgShmemHeader(bytes: Uint8Array): PgShmemHeader | undefined {
  if (bytes.byteLength < PG_SHMEM_HEADER_BYTES) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getInt32(0, true);
  if (magic !== PG_SHMEM_MAGIC) return undefined;
  return {
    magic,
    creatorPid: dv.getInt32(4, true),
    totalSize: dv.getBigUint64(8, true),
    dsmControl: dv.getUint32(24, true),
    device: dv.getBigUint64(40, true),
    inode: dv.getBigUint64(48, true),
  };
}

/** PG_DYNSHMEM_CONTROL_MAGIC (dsm.c). */
export const PG_DSM_CONTROL_MAGIC = 0x9a503d32;
/** /dev/shm name of a POSIX DSM segment: shm_open("/PostgreSQL.%u"). */
export const PG_DSM_PREFIX = 'PostgreSQL.';
/** a control segment bigger than this is not read (maxitems = 64 + 5 * MaxBackends; 40 bytes each). */
export const PG_DSM_CONTROL_MAX_BYTES = 64 << 20;

/**
 * dsm_control_item layouts on LP64, told apart by the control segment's size, which is exactly
 * offsetof(dsm_control_header, item) + maxitems * sizeof(dsm_control_item) (dsm_control_bytes_needed):
 * - 40 bytes (PostgreSQL 14+): handle, refcnt, first_page, npages, impl_private_pm_handle, pinned; odd
 *   handles are carved out of the main shared memory (min_dynamic_shared_memory) and have no file;
 * - 24 bytes (10-13): handle, refcnt, impl_private_pm_handle, pinned;
 * - 8 bytes (9.4-9.6): handle, refcnt (header 12 bytes: the items are only 4-byte aligned).
 */
const DSM_LAYOUTS = [
  { itemSize: 40, headerSize: 16, mainRegion: true, versions: '14+' },
  { itemSize: 24, headerSize: 16, mainRegion: false, versions: '10-13' },
  { itemSize: 8, headerSize: 12, mainRegion: false, versions: '9.4-9.6' },
] as const;

export interface DsmControl {
  nitems: number;
  maxitems: number;
  itemSize: number;
  versions: string;
  /** slots in use (refcnt > 0), in slot order. */
  items: Array<{ handle: number; refcnt: number; mainRegion: boolean }>;
}

/**
 * Parse a DSM control segment (the whole file) with PostgreSQL's own sanity checks
 * (dsm_control_segment_sane: magic, maxitems fits, nitems <= maxitems); an error text when it is not one.
 */
export function parseDsmControl(bytes: Uint8Array): DsmControl | string {
  if (bytes.byteLength < 12) return `${bytes.byteLength} bytes: too short for a DSM control header`;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic !== PG_DSM_CONTROL_MAGIC) return `magic 0x${magic.toString(16)} is not PG_DYNSHMEM_CONTROL_MAGIC 0x9a503d32`;
  const nitems = dv.getUint32(4, true);
  const maxitems = dv.getUint32(8, true);
  if (nitems > maxitems) return `nitems ${nitems} > maxitems ${maxitems} (overfull: not sane)`;
  const layout = DSM_LAYOUTS.find((l) => maxitems > 0 && l.headerSize + l.itemSize * maxitems === bytes.byteLength);
  if (!layout) return `size ${bytes.byteLength} is not header + maxitems ${maxitems} x a known dsm_control_item size (40, 24 or 8 bytes)`;
  const items: DsmControl['items'] = [];
  for (let i = 0; i < nitems; i++) {
    const off = layout.headerSize + i * layout.itemSize;
    const handle = dv.getUint32(off, true);
    const refcnt = dv.getUint32(off + 4, true);
    if (refcnt === 0) continue; // unused slot
    items.push({ handle, refcnt, mainRegion: layout.mainRegion && (handle & 1) === 1 });
  }
  return { nitems, maxitems, itemSize: layout.itemSize, versions: layout.versions, items };
}

export function dsmPath(handle: number, devShm = '/dev/shm'): string {
  return `${devShm}/${PG_DSM_PREFIX}${handle >>> 0}`;
}

/** key_t arithmetic: PostgreSQL starts from (key_t) st_ino, so compare modulo 2^32. */
function keyOffset(key: number, base: number): number {
  return (((key - base) % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

function pidWord(st: PidStatus): string {
  switch (st.state) {
    case 'alive':
      return `postmaster PID ${st.pid} (alive${st.comm ? `, ${st.comm}` : ''})`;
    case 'dead':
      return `postmaster PID ${st.pid} (dead)`;
    case 'reused':
      return `postmaster PID ${st.pid} (dead; the pid now belongs to a later process${st.comm ? ` ${st.comm}` : ''})`;
    case 'doubt':
      return `postmaster PID ${st.pid} (${st.why})`;
  }
}

function label(dataDir: string | undefined, st: PidStatus | undefined, what: string): string {
  const parts = ['PostgreSQL'];
  parts.push(dataDir ? `data directory ${dataDir}` : what);
  if (st) parts.push(pidWord(st));
  return parts.join(', ');
}

function semValue(s: SemSet, semnum: number): number | undefined {
  return s.elems?.[semnum]?.semval ?? s.values?.[semnum];
}

function matchSemDataDir(s: SemSet, markerPid: number, dirs: DataDirFact[], evidence: string[]): DataDirFact | undefined {
  const byPid = dirs.find((d) => d.postmasterPid !== undefined && d.postmasterPid === markerPid && markerPid > 0);
  if (byPid) {
    evidence.push(`marker sempid ${markerPid} = postmaster.pid of ${byPid.path}`);
    return byPid;
  }
  const byInode = dirs.filter((d) => {
    const off = keyOffset(s.key, d.ino | 0);
    return off >= 1 && off <= MAX_KEY_OFFSET;
  });
  if (byInode.length === 1) {
    const d = byInode[0];
    evidence.push(`key ${s.key >>> 0} = inode of ${d.path} + ${keyOffset(s.key, d.ino | 0)} (PostgreSQL 13+ key rule)`);
    return d;
  }
  const byPort = dirs.filter((d) => d.port !== undefined && keyOffset(s.key, d.port * 1000) >= 1 && keyOffset(s.key, d.port * 1000) < 1000);
  if (byPort.length === 1) {
    const d = byPort[0];
    evidence.push(`key ${s.key >>> 0} = port ${d.port} * 1000 + ${keyOffset(s.key, (d.port ?? 0) * 1000)} (PostgreSQL 12 and older key rule)`);
    return d;
  }
  return undefined;
}

const provenDead = (st: PidStatus | undefined): boolean => st !== undefined && (st.state === 'dead' || st.state === 'reused');

function deadWord(st: PidStatus): string {
  return st.state === 'reused' ? `is dead (pid ${st.pid} now belongs to a later process)` : 'is dead';
}

export const postgresSemRecognizer: OwnerRecognizer = {
  app: 'postgresql',
  recognize(o: IpcObject, ctx: RecognizerContext): OwnerInfo | undefined {
    if (o.kind !== 'sem' || o.nsems !== PG_SEMS_PER_SET) return undefined;
    const marker = semValue(o, PG_SEMS_PER_SET - 1);
    if (marker !== PG_SEMA_MAGIC) return undefined;
    const evidence = [`${PG_SEMS_PER_SET} semaphores, semnum 16 = ${PG_SEMA_MAGIC} (PGSemaMagic)`];
    if ((o.mode & 0o777) === 0o600) evidence.push('mode 0600 (IPCProtection)');
    else evidence.push(`mode ${(o.mode & 0o777).toString(8).padStart(4, '0')} (PostgreSQL creates 0600)`);
    const markerPid = o.elems?.[PG_SEMS_PER_SET - 1]?.pid;
    let st: PidStatus | undefined;
    if (markerPid !== undefined && markerPid > 0) {
      st = ctx.pidStatus(markerPid, Math.max(o.otime, o.ctime));
      evidence.push(`semnum 16 sempid ${markerPid} = the creating postmaster`);
    } else if (markerPid === 0) {
      evidence.push('semnum 16 sempid is 0: no creating postmaster recorded');
    } else {
      evidence.push('semnum 16 sempid not read (per-semaphore detail not loaded)');
    }
    const dir = matchSemDataDir(o, markerPid ?? 0, ctx.evidence.dataDirs ?? [], evidence);
    const info: OwnerInfo = {
      app: 'postgresql',
      label: label(dir?.path, st, 'semaphore set'),
      dataDir: dir?.path,
      pid: markerPid && markerPid > 0 ? markerPid : undefined,
      pidAlive: st ? st.state === 'alive' : undefined,
      evidence,
    };
    // IpcSemaphoreCreate: GETVAL(16) == PGSemaMagic, GETPID(16) > 0 and that process does not exist
    if (st && provenDead(st)) {
      info.proof = `PostgreSQL's own test (sysv_sema.c IpcSemaphoreCreate): semnum 16 = ${PG_SEMA_MAGIC} and its creating postmaster ${markerPid} ${deadWord(st)}`;
    }
    return info;
  },
};

/** The PostgreSQL header of a segment, when it was peeked and is one. */
function headerOf(shmid: number, ctx: RecognizerContext): PgShmemHeader | undefined {
  const raw = ctx.evidence.shmHeaders?.[shmid];
  return raw instanceof Uint8Array ? parsePgShmemHeader(raw) : undefined;
}

export const postgresShmRecognizer: OwnerRecognizer = {
  app: 'postgresql',
  recognize(o: IpcObject, ctx: RecognizerContext): OwnerInfo | undefined {
    if (o.kind !== 'shm') return undefined;
    const h = headerOf(o.id, ctx);
    if (!h) return recognizeByPidFile(o, ctx);
    const evidence = [`header magic ${PG_SHMEM_MAGIC} (PGShmemMagic)`, `creatorPID ${h.creatorPid}`];
    const dirs = ctx.evidence.dataDirs ?? [];
    const byDevIno = dirs.find((d) => BigInt(d.dev) === h.device && BigInt(d.ino) === h.inode);
    let dir = byDevIno;
    if (dir) evidence.push(`device ${h.device} + inode ${h.inode} = ${dir.path} (${dir.source})`);
    else evidence.push(`data directory device ${h.device}, inode ${h.inode}: no known directory matches (name it with --data-dir or ipcExplorer.recycle.postgresDataDirectories to prove it the way PostgreSQL does)`);
    const byPidFile = dirs.find((d) => d.shmId === o.id && d.shmKey === o.key);
    if (byPidFile) {
      evidence.push(`postmaster.pid of ${byPidFile.path} names key ${o.key} and shmid ${o.id}`);
      if (!dir && BigInt(byPidFile.dev) === h.device && BigInt(byPidFile.ino) === h.inode) dir = byPidFile;
    }
    if (o.cpid > 0 && h.creatorPid !== o.cpid) evidence.push(`note: header creatorPID ${h.creatorPid} != shm_cpid ${o.cpid}`);
    const st = h.creatorPid > 0 ? ctx.pidStatus(h.creatorPid, o.ctime) : undefined;
    const info: OwnerInfo = {
      app: 'postgresql',
      label: label(dir?.path, st, 'shared memory interlock segment'),
      dataDir: dir?.path,
      pid: h.creatorPid > 0 ? h.creatorPid : undefined,
      pidAlive: st ? st.state === 'alive' : undefined,
      evidence,
    };
    info.proof = shmProof(o, h, byDevIno, st, ctx);
    if (h.dsmControl !== 0) {
      const unit = dsmUnit(o, h, ctx);
      info.dsm = unit;
      const n = unit.segments.length + (unit.control ? 1 : 0);
      if (n) info.label += `, with ${n} DSM file(s) (control segment ${PG_DSM_PREFIX}${h.dsmControl})`;
      evidence.push(`dsm_control ${h.dsmControl}: ${dsmPath(h.dsmControl)}`, ...unit.notes);
    }
    return info;
  },
};

/**
 * PGSharedMemoryCreate's test plus the lock-file test before it: header magic, device and inode of the data
 * directory (stat'ed now), nattch 0; and no live postmaster: the creatorPID is dead and postmaster.pid of
 * that directory is absent or names a dead postmaster. Undefined when any part is not proven.
 */
function shmProof(o: ShmSegment, h: PgShmemHeader, dir: DataDirFact | undefined, st: PidStatus | undefined, ctx: RecognizerContext): string | undefined {
  if (!dir || o.nattch !== 0 || (o.attachers?.length ?? 0) > 0 || !provenDead(st)) return undefined;
  let pm = `no postmaster.pid in ${dir.path}`;
  if (dir.postmasterPid !== undefined) {
    const pst = dir.postmasterPid === h.creatorPid ? st : ctx.pidStatus(dir.postmasterPid, o.ctime);
    if (!provenDead(pst)) return undefined;
    pm = `postmaster.pid names postmaster ${dir.postmasterPid}, which ${deadWord(pst!)}`;
  }
  return (
    `PostgreSQL's own test (sysv_shmem.c PGSharedMemoryAttach): header magic, device and inode of ${dir.path}, ` +
    `nattch 0; creatorPID ${h.creatorPid} ${deadWord(st!)}; ${pm}`
  );
}

function fileWord(f: UnitFile): string {
  return `${f.path} (${f.size} bytes, uid ${f.uid})`;
}

/**
 * The DSM unit of an interlock segment whose header names a control segment. `blocked` says why the unit
 * (and so the segment) must stay; files of another uid than the segment's are left out (PostgreSQL creates
 * them 0600 as the cluster's user, with O_EXCL: a file of another user is not its).
 */
function dsmUnit(o: ShmSegment, h: PgShmemHeader, ctx: RecognizerContext): PgDsmUnit {
  const unit: PgDsmUnit = { controlHandle: h.dsmControl, segments: [], missing: [], notes: [] };
  const where = dsmPath(h.dsmControl);
  const fact = ctx.evidence.pgDsm?.[h.dsmControl];
  if (!fact) {
    unit.blocked = `its DSM control segment ${where} was not examined (only possible on the local host)`;
    return unit;
  }
  if (fact.error || !fact.file) {
    const code = fact.error?.code ?? 'EUNKNOWN';
    const k = h.dsmControl | 0; // dsm_impl_sysv: key = (key_t) handle, negated when < 1
    const sysvKey = k < 1 ? -k | 0 : k;
    if (code === 'ENOENT' && ctx.snapshot.shms.some((m) => m.key === sysvKey)) {
      unit.notes.push(`DSM segments are System V segments (dynamic_shared_memory_type = sysv; control key ${sysvKey}): each is judged on its own`);
      return unit;
    }
    if (code === 'ENOENT' && fact.mmapIn?.length) {
      unit.notes.push(`DSM segments are files in ${fact.mmapIn[0]}/pg_dynshmem (dynamic_shared_memory_type = mmap): PostgreSQL removes them itself at its next start`);
      return unit;
    }
    unit.blocked =
      code === 'ENOENT'
        ? `its DSM control segment ${where} is not in this /dev/shm (PostgreSQL running in another mount namespace, e.g. a container, or the file was removed by hand); ` +
          `PostgreSQL cleans its DSM files up only through this segment's header`
        : `cannot read its DSM control segment ${where} (${code}${fact.error?.message ? `: ${fact.error.message}` : ''})`;
    return unit;
  }
  if (fact.file.uid !== o.uid && fact.file.uid !== o.cuid) {
    unit.blocked = `${where} is owned by uid ${fact.file.uid}, not by the segment's uid ${o.uid}: not this cluster's control segment`;
    return unit;
  }
  unit.control = fact.file;
  if (fact.parseError || !fact.items || !fact.layout) {
    unit.notes.push(`${where} is not a sane DSM control segment (${fact.parseError ?? 'no items'}): PostgreSQL would ignore its contents too`);
    return unit;
  }
  unit.notes.push(
    `${where}: DSM control segment (PostgreSQL ${fact.layout.versions} layout, ${fact.layout.nitems} of ${fact.layout.maxitems} slots used)`,
  );
  let mainRegion = 0;
  for (const it of fact.items) {
    if (it.mainRegion) {
      mainRegion++;
      continue;
    }
    if (it.file) {
      if (it.file.uid !== o.uid && it.file.uid !== o.cuid) {
        unit.notes.push(`left out: ${fileWord(it.file)} belongs to another user, so not to this cluster`);
        continue;
      }
      unit.segments.push(it.file);
    } else if (it.error === 'ENOENT') unit.missing.push(it.handle);
    else {
      unit.blocked = `cannot examine DSM segment ${dsmPath(it.handle)} (${it.error ?? 'EUNKNOWN'})`;
      return unit;
    }
  }
  if (mainRegion) unit.notes.push(`${mainRegion} DSM segment(s) in the main shared memory (min_dynamic_shared_memory): no file`);
  if (unit.missing.length) unit.notes.push(`${unit.missing.length} listed DSM segment(s) already gone: ${unit.missing.map((x) => dsmPath(x)).join(', ')}`);
  // a file mapped by a live process keeps the whole unit (the snapshot's attacher scan; the removal rescans)
  for (const f of [...unit.segments, unit.control]) {
    const p = ctx.snapshot.posixShms.find((x) => x.dev === f.dev && x.ino === f.ino);
    if (p?.attachers?.length) {
      unit.blocked = `its DSM file ${f.path} is mapped by pid(s) ${p.attachers.join(', ')}`;
      return unit;
    }
  }
  return unit;
}

/**
 * /dev/shm/PostgreSQL.<handle> files: a DSM control segment named by an interlock segment's header, or a
 * segment it lists. Labelled with the cluster; they are removed only together with that segment.
 */
export const postgresDsmFileRecognizer: OwnerRecognizer = {
  app: 'postgresql',
  recognize(o: IpcObject, ctx: RecognizerContext): OwnerInfo | undefined {
    if (o.kind !== 'posixShm') return undefined;
    const m = /^\/PostgreSQL\.(\d{1,10})$/.exec(o.name);
    if (!m) return undefined;
    const handle = Number(m[1]);
    for (const seg of ctx.snapshot.shms) {
      const h = headerOf(seg.id, ctx);
      if (!h || h.dsmControl === 0) continue;
      const fact = ctx.evidence.pgDsm?.[h.dsmControl];
      if (!fact) continue;
      const sameFile = (f: UnitFile | undefined): boolean => f !== undefined && f.dev === o.dev && f.ino === o.ino;
      const isControl = h.dsmControl === handle && sameFile(fact.file);
      const item = fact.items?.find((it) => it.handle === handle && sameFile(it.file));
      if (!isControl && !item) continue;
      return dsmFileOwner(seg, h, isControl, item?.refcnt, ctx);
    }
    return undefined;
  },
};

function dsmFileOwner(seg: ShmSegment, h: PgShmemHeader, isControl: boolean, refcnt: number | undefined, ctx: RecognizerContext): OwnerInfo {
  const dirs = ctx.evidence.dataDirs ?? [];
  const dir = dirs.find((d) => BigInt(d.dev) === h.device && BigInt(d.ino) === h.inode);
  const st = h.creatorPid > 0 ? ctx.pidStatus(h.creatorPid, seg.ctime) : undefined;
  const parts = [`PostgreSQL DSM${isControl ? ' control segment' : ''} of ${dir ? `data directory ${dir.path}` : `the cluster of shm ${seg.id}`}`];
  if (st) parts.push(pidWord(st));
  const evidence = [
    isControl
      ? `named by dsm_control ${h.dsmControl} in the header of shm ${seg.id} (key ${seg.key})`
      : `listed (refcnt ${refcnt}) in DSM control segment ${dsmPath(h.dsmControl)}, named by the header of shm ${seg.id}`,
    `recycled only together with shm ${seg.id}: DSM files first, then the segment`,
  ];
  return { app: 'postgresql', label: parts.join(', '), dataDir: dir?.path, pid: h.creatorPid > 0 ? h.creatorPid : undefined, pidAlive: st ? st.state === 'alive' : undefined, evidence };
}

/** Without the header (the segment is attached, so it is not peeked): a postmaster.pid naming key and shmid. */
function recognizeByPidFile(o: ShmSegment, ctx: RecognizerContext): OwnerInfo | undefined {
  const d = (ctx.evidence.dataDirs ?? []).find((x) => x.shmId === o.id && x.shmKey === o.key);
  if (!d) return undefined;
  const evidence = [`postmaster.pid of ${d.path} names key ${o.key} and shmid ${o.id}`];
  const pid = d.postmasterPid ?? (o.cpid > 0 ? o.cpid : undefined);
  if (d.postmasterPid !== undefined && o.cpid > 0 && d.postmasterPid !== o.cpid) evidence.push(`note: postmaster.pid pid ${d.postmasterPid} != shm_cpid ${o.cpid}`);
  const st = pid ? ctx.pidStatus(pid, o.ctime) : undefined;
  return {
    app: 'postgresql',
    label: label(d.path, st, 'shared memory interlock segment'),
    dataDir: d.path,
    pid,
    pidAlive: st ? st.state === 'alive' : undefined,
    evidence,
  };
}

/**
 * A set that looks like PostgreSQL's by its own rule (PG_SEMS_PER_SET semaphores, PGSemaMagic on the last):
 * such sets get their per-semaphore detail right after a snapshot (services/verdictService.ts).
 */
export function isPgSemSet(s: SemSet): boolean {
  return s.nsems === PG_SEMS_PER_SET && semValue(s, PG_SEMS_PER_SET - 1) === PG_SEMA_MAGIC;
}

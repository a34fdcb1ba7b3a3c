/**
 * PostgreSQL's own proofs that a leftover object is its own (DOMAIN.md section 3):
 * - semaphore sets (src/backend/port/sysv_sema.c): 17 semaphores, semnum 16 holds PGSemaMagic = 537 and its
 *   sempid is the creating postmaster; mode 0600; keys from the data directory's inode + 1 (13+) or
 *   port * 1000 + 1 (12 and older);
 * - the shm interlock segment (src/backend/port/sysv_shmem.c, pg_shmem.h): header magic 679834894 @0,
 *   creatorPID @4, device @40, inode @48 (x86-64 / LP64 little-endian), matched to a data directory by
 *   device + inode.
 */
import type { IpcObject, OwnerInfo, SemSet, ShmSegment } from '../../shared/model';
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
    device: dv.getBigUint64(40, true),
    inode: dv.getBigUint64(48, true),
  };
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
    return {
      app: 'postgresql',
      label: label(dir?.path, st, 'semaphore set'),
      dataDir: dir?.path,
      pid: markerPid && markerPid > 0 ? markerPid : undefined,
      pidAlive: st ? st.state === 'alive' : undefined,
      evidence,
    };
  },
};

export const postgresShmRecognizer: OwnerRecognizer = {
  app: 'postgresql',
  recognize(o: IpcObject, ctx: RecognizerContext): OwnerInfo | undefined {
    if (o.kind !== 'shm') return undefined;
    const raw = ctx.evidence.shmHeaders?.[o.id];
    const h = raw instanceof Uint8Array ? parsePgShmemHeader(raw) : undefined;
    if (!h) return recognizeByPidFile(o, ctx);
    const evidence = [`header magic ${PG_SHMEM_MAGIC} (PGShmemMagic)`, `creatorPID ${h.creatorPid}`];
    const dirs = ctx.evidence.dataDirs ?? [];
    let dir = dirs.find((d) => BigInt(d.dev) === h.device && BigInt(d.ino) === h.inode);
    if (dir) evidence.push(`device ${h.device} + inode ${h.inode} = ${dir.path} (${dir.source})`);
    else evidence.push(`data directory device ${h.device}, inode ${h.inode} (no known directory matches)`);
    const byPidFile = dirs.find((d) => d.shmId === o.id && d.shmKey === o.key);
    if (byPidFile) {
      evidence.push(`postmaster.pid of ${byPidFile.path} names key ${o.key} and shmid ${o.id}`);
      if (!dir && BigInt(byPidFile.dev) === h.device && BigInt(byPidFile.ino) === h.inode) dir = byPidFile;
    }
    if (o.cpid > 0 && h.creatorPid !== o.cpid) evidence.push(`note: header creatorPID ${h.creatorPid} != shm_cpid ${o.cpid}`);
    const st = h.creatorPid > 0 ? ctx.pidStatus(h.creatorPid, o.ctime) : undefined;
    return {
      app: 'postgresql',
      label: label(dir?.path, st, 'shared memory interlock segment'),
      dataDir: dir?.path,
      pid: h.creatorPid > 0 ? h.creatorPid : undefined,
      pidAlive: st ? st.state === 'alive' : undefined,
      evidence,
    };
  },
};

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

/** Used by tests and the doctor: true when the object is a PostgreSQL semaphore set by its own rule. */
export function isPgSemSet(s: ShmSegment | SemSet): boolean {
  return s.kind === 'sem' && s.nsems === PG_SEMS_PER_SET && semValue(s, PG_SEMS_PER_SET - 1) === PG_SEMA_MAGIC;
}

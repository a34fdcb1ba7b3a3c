/**
 * The facts both local sources (native and /proc fallback) collect around their System V listing: /dev/shm,
 * every process's mappings (one bounded scan, only when something can be attached), the files of every pid
 * the objects mention, the reader's view and the host fields. domain/assembleSnapshot.ts builds the snapshot.
 */
import os from 'node:os';
import { pidsToDescribe, worthScanningMaps } from '../domain/assembleSnapshot';
import { platformOf, type HostFacts, type LimitFacts, type MapsFacts, type SysvFacts } from '../domain/hostFacts';
import { devInoKey } from '../domain/mapsParser';
import type { ItemError, SnapshotSource } from '../shared/model';
import { fsReadPosixSem, listDevShm, MAX_DEVSHM_LIST, readDevShmStatfs, type PosixSemReader } from './devShm';
import { MAX_MAPS_SCAN, mapsScanWarnings, scanMaps, type MapsBounds } from './mapsScan';
import { DEFAULT_CLK_TCK, DEFAULT_PATHS, ipcNamespaceOfSelf, readBootTime, readProcessFiles, readReaderView, type ProcPaths } from './procfs';

export interface LocalFactsOptions {
  paths?: ProcPaths;
  readSem?: PosixSemReader;
  clkTck?: number;
  maxMapsScan?: number;
  /** bound on the /dev/shm files listed (default MAX_DEVSHM_LIST) */
  maxDevShm?: number;
  /** bounds on /proc/PID/maps bytes read (defaults MAX_MAPS_BYTES_PER_PROCESS, MAX_MAPS_BYTES) */
  mapsBounds?: MapsBounds;
  /** skip /proc/PID/maps (attachers stay unknown) */
  noAttachers?: boolean;
  /** the IPC namespace listed, when not the reader's own (its SysV attachers are the processes in it) */
  ipcNamespace?: string;
}

/** What a local source read itself: its System V listing, limits and notes. */
export interface LocalListing {
  /** the host's name in the snapshot (default 'local') */
  host?: string;
  source: SnapshotSource;
  takenAt: number;
  sysv: SysvFacts;
  sysvErrors: ItemError[];
  limits: LimitFacts;
  warnings: string[];
}

/**
 * What collectLocalFacts reads that does not depend on the System V listing: a source may read it while the
 * kernel reads of the listing run on a worker thread.
 */
export interface ListingFreeFacts {
  ipcNamespace?: string;
  devShm: NonNullable<HostFacts['devShm']>;
  reader: HostFacts['reader'];
  btime?: number;
  euid?: number;
}

export function collectListingFreeFacts(opts: LocalFactsOptions = {}): ListingFreeFacts {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const usageWarnings: string[] = [];
  const statfs = readDevShmStatfs(paths.devShm, usageWarnings);
  const d = listDevShm(paths, opts.readSem ?? fsReadPosixSem, opts.maxDevShm ?? MAX_DEVSHM_LIST);
  const out: ListingFreeFacts = {
    devShm: { ...(statfs ? { statfs } : {}), entries: d.entries, errors: d.errors, counted: d.total, notListed: d.notListed, warnings: [...usageWarnings, ...d.warnings] },
    reader: readReaderView(paths),
  };
  const ipcNamespace = opts.ipcNamespace ?? ipcNamespaceOfSelf(paths);
  if (ipcNamespace !== undefined) out.ipcNamespace = ipcNamespace;
  const btime = readBootTime(paths);
  if (btime !== undefined) out.btime = btime;
  if (typeof process.geteuid === 'function') out.euid = process.geteuid();
  return out;
}

/**
 * The listing with everything a local source collects around it; `free` is what collectListingFreeFacts
 * read (read now when not given).
 */
export function collectLocalFacts(l: LocalListing, opts: LocalFactsOptions = {}, free: ListingFreeFacts = collectListingFreeFacts(opts)): HostFacts {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const { devShm, euid } = free;
  let maps: MapsFacts | undefined;
  if (!opts.noAttachers) {
    if (worthScanningMaps(l.sysv, devShm)) {
      const wanted = new Set(devShm.entries.map((e) => devInoKey(e.dev, e.ino)));
      const scan = scanMaps(wanted, paths, opts.maxMapsScan ?? MAX_MAPS_SCAN, opts.mapsBounds);
      maps = { perPid: scan.perPid, warnings: mapsScanWarnings(scan, euid === 0) };
    } else {
      maps = { perPid: [], warnings: [] };
    }
  }
  const facts: HostFacts = {
    ...l,
    host: l.host ?? 'local',
    platform: platformOf(process.platform),
    hostname: os.hostname(),
    kernel: os.release(),
    devShm,
    processes: [],
    clkTck: opts.clkTck ?? DEFAULT_CLK_TCK,
    reader: free.reader,
  };
  if (maps) facts.maps = maps;
  if (free.ipcNamespace !== undefined) facts.ipcNamespace = free.ipcNamespace;
  if (euid !== undefined) facts.uid = euid;
  if (free.btime !== undefined) facts.btime = free.btime;
  facts.processes = pidsToDescribe(facts).map((pid) => ({ files: readProcessFiles(pid, paths, free.reader) }));
  return facts;
}

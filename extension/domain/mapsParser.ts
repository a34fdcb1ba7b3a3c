/**
 * Who maps what, from /proc/PID/maps text.
 *
 * - System V shm: attached segments appear as `... rw-s 00000000 00:01 <shmid>  /SYSV<key %08x> (deleted)`;
 *   the inode column IS the shmid (the key in the name reads 0 after IPC_RMID, the inode does not).
 * - POSIX semaphores and shm: glibc maps a named semaphore under the temporary name it created it with, so
 *   mappings are matched by device and inode (maps prints the device as hex `major:minor`, fs.stat gives
 *   the glibc-encoded dev_t).
 *
 * nattch counts attachments, not processes: the attacher lists here are distinct pids.
 */
import { decimalUpTo, INT_MAX } from '../shared/decimal';

/** glibc's makedev(): the dev_t that stat(2) reports for major:minor. */
export function makedev(major: number, minor: number): number {
  // ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) | (minor & 0xff)
  return (
    (major & 0xfffff000) * 2 ** 32 +
    (major & 0xfff) * 2 ** 8 +
    (minor & 0xffffff00) * 2 ** 12 +
    (minor & 0xff)
  );
}

/** `fd:01` (maps' device column, hex) -> dev_t as fs.stat reports it; undefined if malformed. */
export function devFromMaps(text: string): number | undefined {
  const m = /^([0-9a-f]+):([0-9a-f]+)$/i.exec(text);
  if (!m) return undefined;
  return makedev(parseInt(m[1], 16), parseInt(m[2], 16));
}

/** The key used to match a file mapping: `${dev}:${ino}` with dev as fs.stat's number. */
export function devInoKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

export interface MapsEntry {
  /** shmids of attached System V segments (from `/SYSV` lines' inode column) */
  sysvShmids: number[];
  /** dev:ino keys of shared file mappings (only the ones in `wanted`, when given) */
  files: string[];
}

/** dev_t (glibc encoding, as fs.stat gives it) -> [major, minor]. */
export function devMajorMinor(dev: number): [number, number] {
  const hi = Math.floor(dev / 2 ** 32);
  const lo = dev % 2 ** 32;
  const major = ((hi & 0xfffff000) >>> 0) | ((lo >>> 8) & 0xfff);
  const minor = ((lo & 0xff) | ((lo >>> 12) & 0xffffff00)) >>> 0;
  return [major, minor];
}

/** dev_t (glibc encoding, as fs.stat gives it) -> maps' `%02x:%02x` device column. */
export function mapsDevString(dev: number): string {
  const [major, minor] = devMajorMinor(dev);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

/** The inode column is a u64 (`%lu`, at most 20 digits); a /SYSV mapping's inode is its shmid, an int. */
const INODE = /^\d{1,20}$/;
const isShmid = (t: string): boolean => decimalUpTo(t, INT_MAX) !== undefined;

/** Splits one maps line into its columns (address perms offset dev inode path); undefined if too short. */
function columns(line: string): string[] | undefined {
  const f = line.trim().split(/\s+/, 6);
  return f.length >= 5 ? f : undefined;
}

function lineAt(text: string, i: number): { line: string; end: number } {
  const start = text.lastIndexOf('\n', i) + 1;
  let end = text.indexOf('\n', i);
  if (end < 0) end = text.length;
  return { line: text.slice(start, end), end };
}

/**
 * Parses one process's maps. `wantedFiles` limits file mappings to those dev:ino keys (the /dev/shm
 * objects): then only lines carrying one of their devices are looked at, which keeps a scan of every
 * process cheap. Without it every shared file mapping is collected. Malformed lines are skipped: maps is
 * written by the kernel, and a line cut by a concurrent change must not lose the rest.
 */
export function parseMaps(text: string, wantedFiles?: ReadonlySet<string>): MapsEntry {
  const shm = new Set<number>();
  const files = new Set<string>();
  // System V segments: only lines naming /SYSV
  for (let i = text.indexOf('/SYSV'); i >= 0; ) {
    const { line, end } = lineAt(text, i);
    const f = columns(line);
    if (f && f[5]?.startsWith('/SYSV') && isShmid(f[4])) shm.add(Number(f[4])); // shmid 0 is valid
    i = text.indexOf('/SYSV', end);
  }
  if (wantedFiles === undefined) {
    for (const line of text.split('\n')) {
      const f = columns(line);
      if (!f || f[4] === '0' || !INODE.test(f[4]) || f[5]?.startsWith('/SYSV')) continue;
      const dev = devFromMaps(f[3]);
      if (dev !== undefined) files.add(devInoKey(dev, Number(f[4])));
    }
  } else if (wantedFiles.size > 0) {
    const devs = new Map<string, number>();
    for (const k of wantedFiles) {
      const dev = Number(k.slice(0, k.indexOf(':')));
      devs.set(` ${mapsDevString(dev)} `, dev);
    }
    for (const [needle, dev] of devs) {
      for (let i = text.indexOf(needle); i >= 0; ) {
        const { line, end } = lineAt(text, i);
        const f = columns(line);
        if (f && f[3] === needle.trim() && INODE.test(f[4])) {
          const key = devInoKey(dev, Number(f[4]));
          if (wantedFiles.has(key)) files.add(key);
        }
        i = text.indexOf(needle, end);
      }
    }
  }
  return { sysvShmids: [...shm], files: [...files] };
}

export interface Attachers {
  /** shmid -> distinct pids, ascending */
  shm: Map<number, number[]>;
  /** dev:ino -> distinct pids, ascending */
  files: Map<string, number[]>;
}

/**
 * Whether a process's `/SYSV` mappings are segments of our IPC namespace. A shmid names a segment of the
 * mapping process's own namespace: a process in another one (a container, a nested `unshare --ipc`) maps
 * a different segment that may carry the same id. Unknown on either side (ns/ipc unreadable) keeps it:
 * an attacher too many only makes a segment look used, never removable. /dev/shm files need no such rule:
 * they are matched by dev:inode, which already names one file whatever the namespace.
 */
export function sameIpcNamespace(ownIpcNs: string | undefined, pidIpcNs: string | undefined): boolean {
  return ownIpcNs === undefined || pidIpcNs === undefined || ownIpcNs === pidIpcNs;
}

/**
 * Folds per-pid maps into attacher lists. An entry's third element is the process's /proc/PID/ns/ipc;
 * with `ownIpcNs` its System V mappings count only when the namespaces match (sameIpcNamespace).
 */
export function collectAttachers(perPid: Iterable<[number, MapsEntry, string?]>, ownIpcNs?: string): Attachers {
  const shm = new Map<number, number[]>();
  const files = new Map<string, number[]>();
  for (const [pid, e, ipcNs] of perPid) {
    if (sameIpcNamespace(ownIpcNs, ipcNs)) for (const id of e.sysvShmids) {
      let l = shm.get(id);
      if (!l) shm.set(id, (l = []));
      if (!l.includes(pid)) l.push(pid);
    }
    for (const k of e.files) {
      let l = files.get(k);
      if (!l) files.set(k, (l = []));
      if (!l.includes(pid)) l.push(pid);
    }
  }
  for (const l of shm.values()) l.sort((a, b) => a - b);
  for (const l of files.values()) l.sort((a, b) => a - b);
  return { shm, files };
}

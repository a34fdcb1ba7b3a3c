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

/**
 * Parses one process's maps. `wantedFiles` limits file mappings to those dev:ino keys (the /dev/shm
 * objects), which keeps a scan of every process cheap. Malformed lines are skipped: maps is written by
 * the kernel, and a line cut by a concurrent change must not lose the rest.
 */
export function parseMaps(text: string, wantedFiles?: ReadonlySet<string>): MapsEntry {
  const shm = new Set<number>();
  const files = new Set<string>();
  const wantFiles = wantedFiles === undefined || wantedFiles.size > 0;
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const line = text.slice(start, end);
    start = end + 1;
    // address perms offset dev inode [path]
    const f = line.split(/\s+/, 6);
    if (f.length < 5) continue;
    const inode = f[4];
    if (!/^\d+$/.test(inode)) continue;
    const path = f[5] ?? '';
    if (path.startsWith('/SYSV')) {
      shm.add(Number(inode)); // shmid 0 is a valid id: inode 0 counts here
      continue;
    }
    if (inode === '0') continue; // anonymous mapping
    if (!wantFiles) continue;
    const dev = devFromMaps(f[3]);
    if (dev === undefined) continue;
    const key = devInoKey(dev, Number(inode));
    if (wantedFiles === undefined || wantedFiles.has(key)) files.add(key);
  }
  return { sysvShmids: [...shm], files: [...files] };
}

export interface Attachers {
  /** shmid -> distinct pids, ascending */
  shm: Map<number, number[]>;
  /** dev:ino -> distinct pids, ascending */
  files: Map<string, number[]>;
}

/** Folds per-pid maps into attacher lists. */
export function collectAttachers(perPid: Iterable<[number, MapsEntry]>): Attachers {
  const shm = new Map<number, number[]>();
  const files = new Map<string, number[]>();
  for (const [pid, e] of perPid) {
    for (const id of e.sysvShmids) {
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

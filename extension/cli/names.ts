/**
 * uid/gid -> name for human output, from /etc/passwd and /etc/group of THIS machine (so only for the
 * local host; remote snapshots print numbers). Read once, lazily.
 */
import fs from 'node:fs';

export interface NameMaps {
  user(uid: number): string;
  group(gid: number): string;
}

function parseIdFile(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3 || !/^\d+$/.test(f[2])) continue;
    const id = Number(f[2]);
    if (!out.has(id)) out.set(id, f[0]);
  }
  return out;
}

function readMap(file: string): Map<number, string> {
  try {
    return parseIdFile(fs.readFileSync(file, 'utf8'));
  } catch {
    return new Map();
  }
}

export const numericNames: NameMaps = { user: (u) => String(u), group: (g) => String(g) };

export function localNames(): NameMaps {
  let users: Map<number, string> | undefined;
  let groups: Map<number, string> | undefined;
  return {
    user(uid) {
      users ??= readMap('/etc/passwd');
      return users.get(uid) ?? String(uid);
    },
    group(gid) {
      groups ??= readMap('/etc/group');
      return groups.get(gid) ?? String(gid);
    },
  };
}

export { parseIdFile };

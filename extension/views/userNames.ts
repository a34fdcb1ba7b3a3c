/** uid -> user name for the local host, from /etc/passwd (read once, on first use). Remote hosts show numbers. */
import fs from 'node:fs';
import { decimalUpTo, U32_MAX } from '../shared/decimal';

let table: Map<number, string> | undefined;

export function parsePasswd(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    // uid_t is 32 bits: a longer number (400 digits would be Infinity) names no user
    const uid = decimalUpTo(f[2], U32_MAX);
    if (f[0] && uid !== undefined) m.set(uid, f[0]);
  }
  return m;
}

export function localUserName(uid: number): string {
  if (!table) {
    try {
      table = parsePasswd(fs.readFileSync('/etc/passwd', 'utf8'));
    } catch {
      table = new Map();
    }
  }
  return table.get(uid) ?? String(uid);
}

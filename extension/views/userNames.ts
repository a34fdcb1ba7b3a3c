/** uid -> user name for the local host, from /etc/passwd (read once, on first use). Remote hosts show numbers. */
import fs from 'node:fs';

let table: Map<number, string> | undefined;

export function parsePasswd(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    // uid_t is 32 bits: a longer number (400 digits would be Infinity) names no user
    if (f.length >= 3 && f[0] && /^\d{1,10}$/.test(f[2]!) && Number(f[2]) <= 0xffffffff) m.set(Number(f[2]), f[0]);
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

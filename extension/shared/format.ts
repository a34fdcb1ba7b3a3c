/**
 * Display helpers shared by the CLI, the tree and the webviews. Pure: no imports, no `node:*`, no DOM.
 * Keys print as util-linux does (`0x%08x`, key 0 = IPC_PRIVATE), modes in octal and as `rwx` triplets.
 */

/** `key_t` (signed 32-bit, as /proc prints it) as `0x%08x`; key 0 is `IPC_PRIVATE`. */
export function formatKey(key: number): string {
  if (key === 0) return 'IPC_PRIVATE';
  return '0x' + (key >>> 0).toString(16).padStart(8, '0');
}

/** Like formatKey, but key 0 prints as `0x00000000` (for tables where a fixed width reads better). */
export function formatKeyHex(key: number): string {
  return '0x' + (key >>> 0).toString(16).padStart(8, '0');
}

/** Whether `v` is a key: a signed or unsigned 32-bit integer (-2^31 .. 2^32 - 1). */
export function isKeyValue(v: number): boolean {
  return Number.isInteger(v) && v >= -0x80000000 && v <= 0xffffffff;
}

/**
 * A key written as text (settings, `--trust-key`): `0x` and up to 8 hex digits, or a decimal of at most 10
 * digits that is a key; the value as written (hex unsigned). Anything else, a larger number too (which would
 * wrap around to another key), is undefined.
 */
export function keyOfText(t: string): number | undefined {
  if (/^0x[0-9a-f]{1,8}$/i.test(t)) return parseInt(t.slice(2), 16);
  return /^-?\d{1,10}$/.test(t) && isKeyValue(Number(t)) ? Number(t) : undefined;
}

/** Parses a key as a person types it: `0x1f`, `31`, `-1`, `IPC_PRIVATE`. Returns the signed 32-bit value. */
export function parseKey(text: string): number | undefined {
  const t = text.trim();
  if (/^ipc_private$/i.test(t)) return 0;
  const v = keyOfText(t);
  return v === undefined ? undefined : v | 0;
}

/** The low 9 permission bits in octal, zero-padded: `0600`. Status bits (SHM_DEST...) are not included. */
export function formatModeOctal(mode: number): string {
  return '0' + (mode & 0o777).toString(8).padStart(3, '0');
}

/** `rw-r-----` for the low 9 permission bits. */
export function formatModeRwx(mode: number): string {
  const bits = 'rwxrwxrwx';
  let s = '';
  for (let i = 0; i < 9; i++) s += mode & (0o400 >> i) ? bits[i] : '-';
  return s;
}

/** `0600 rw-------` */
export function formatMode(mode: number): string {
  return `${formatModeOctal(mode)} ${formatModeRwx(mode)}`;
}

/** shm status bits carried in `mode` (Linux): SHM_DEST 01000, SHM_LOCKED 02000. */
export const SHM_DEST = 0o1000;
export const SHM_LOCKED = 0o2000;

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Bytes in IEC units: `512 B`, `1.5 KiB`, `16 MiB`, `2.25 GiB` (at most 3 significant digits past the unit). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const neg = bytes < 0;
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < IEC.length - 1) {
    v /= 1024;
    u++;
  }
  let num: string;
  if (u === 0) num = String(Math.round(v));
  else if (v >= 100) num = v.toFixed(0);
  else if (v >= 10) num = trimZeros(v.toFixed(1));
  else num = trimZeros(v.toFixed(2));
  return `${neg ? '-' : ''}${num} ${IEC[u]}`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A duration in seconds as the two most significant units: `45s`, `5m 2s`, `3h 4m`, `12d 3h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const neg = seconds < 0;
  let s = Math.floor(Math.abs(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts: [number, string][] = [
    [d, 'd'],
    [h, 'h'],
    [m, 'm'],
    [s, 's'],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  if (first < 0) return '0s';
  const out = [`${parts[first][0]}${parts[first][1]}`];
  if (first + 1 < parts.length && parts[first + 1][0] > 0) out.push(`${parts[first + 1][0]}${parts[first + 1][1]}`);
  return (neg ? '-' : '') + out.join(' ');
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** `+02:00` / `-05:30` for an offset east of UTC in minutes. */
function formatOffset(eastMinutes: number): string {
  const sign = eastMinutes < 0 ? '-' : '+';
  const m = Math.abs(Math.round(eastMinutes));
  return `${sign}${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`;
}

/**
 * The one time format of the tree, the dashboard, the reports and the CLI: ISO 8601 in local time with the
 * offset, `2026-12-03 00:21:14+01:00` (a person reads local time; the offset keeps it unambiguous next to
 * UTC logs). `epochMs` is milliseconds since the epoch; `offsetMinutes` (east of UTC) defaults to the
 * machine's offset at that instant.
 */
export function formatTimestamp(epochMs: number, offsetMinutes?: number): string {
  const d0 = new Date(epochMs);
  if (!Number.isFinite(epochMs) || Number.isNaN(d0.getTime())) return String(epochMs);
  const off = offsetMinutes ?? -d0.getTimezoneOffset();
  const d = new Date(Math.floor(epochMs / 1000) * 1000 + off * 60_000);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${formatOffset(off)}`;
}

/**
 * A kernel time (seconds since the epoch; 0 = never) in the one time format (`formatTimestamp`):
 * `2017-07-14 04:40:00+02:00`. Returns `never` for 0.
 */
export function formatTime(epochSeconds: number, offsetMinutes?: number): string {
  if (!epochSeconds) return 'never';
  return formatTimestamp(epochSeconds * 1000, offsetMinutes);
}

/** How long ago a kernel time was, relative to `nowSeconds`: `5m 2s ago`, `never`. */
export function formatAge(epochSeconds: number, nowSeconds: number): string {
  if (!epochSeconds) return 'never';
  const delta = nowSeconds - epochSeconds;
  if (delta < 0) return `in ${formatDuration(-delta)}`;
  return `${formatDuration(delta)} ago`;
}

/** Bytes as a person reads them and the exact count: `1.06 MiB (1,114,112 bytes)`, `512 bytes`. */
export function formatBytesExact(bytes: number): string {
  if (!Number.isInteger(bytes)) return formatBytes(bytes);
  if (Math.abs(bytes) < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  return `${formatBytes(bytes)} (${formatCount(bytes)} bytes)`;
}

/** A percentage with one decimal, `-` when there is no usage to compare (null). */
export function formatPercent(pct: number | null | undefined): string {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return '-';
  if (pct > 0 && pct < 0.1) return '<0.1%';
  return `${trimZeros(pct.toFixed(1))}%`;
}

/** An integer with thin grouping (`1,024,000,000`); non-integers print as they are. */
export function formatCount(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  const neg = n < 0;
  const s = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return (neg ? '-' : '') + out;
}

/** The `ipcrm` argv that removes a SysV object by id (for "copy ipcrm command"). */
export function ipcrmArgs(kind: 'sem' | 'shm' | 'msg', id: number): string[] {
  const flag = kind === 'sem' ? '-s' : kind === 'shm' ? '-m' : '-q';
  return ['ipcrm', flag, String(id)];
}

/**
 * Untrusted text (a container name from a cgroup path, a process's command line) made safe to show as one
 * line: control characters, line and paragraph separators and bidirectional overrides become `\xNN`/`\u{N}`
 * escapes (so a name cannot break a row, fake a second line or reverse what follows), and at most `max`
 * characters are kept.
 */
export function visibleText(s: string, max = 200): string {
  const out = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

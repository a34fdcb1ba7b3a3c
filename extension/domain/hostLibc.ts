/**
 * A host's C library from the probe's `libc` section: the output of `getconf GNU_LIBC_VERSION` (glibc's
 * confstr, "glibc 2.36"), else the first line of `ldd --version` (musl's ldd says "musl libc (x86_64)").
 * The host may print anything, so the answer is read strictly: one short line, `glibc N.N` with numbers of
 * at most three digits, else unknown. FreeBSD and macOS are never glibc, whatever they print.
 */
import type { HostLibc, Platform } from '../shared/model';
import { snippet } from './probeDocument';

/** A longer section is not read at all (one line of getconf or ldd is a few dozen bytes). */
export const LIBC_SECTION_MAX_BYTES = 512;

const GLIBC_LINE = /^glibc (0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/** The probe's `libc` section (absent: not printed) of a host of this platform -> its C library. */
export function parseHostLibc(body: string | undefined, platform: Platform): HostLibc {
  if (platform === 'freebsd') return { kind: 'other', name: 'FreeBSD libc' };
  if (platform === 'darwin') return { kind: 'other', name: 'macOS libSystem' };
  if (platform !== 'linux') return { kind: 'unknown', why: 'the host is not Linux, FreeBSD or macOS' };
  if (body === undefined) return { kind: 'unknown', why: 'the probe did not report the C library' };
  if (body.length > LIBC_SECTION_MAX_BYTES) return { kind: 'unknown', why: `the host's answer is too long (${body.length} bytes)` };
  const lines = body.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length === 0) return { kind: 'unknown', why: 'neither getconf GNU_LIBC_VERSION nor ldd --version answered' };
  if (lines.length > 1) return { kind: 'unknown', why: `the host's answer is not one line: ${snippet(body, 60)}` };
  const line = lines[0];
  const m = GLIBC_LINE.exec(line);
  if (m) return { kind: 'glibc', release: `${m[1]}.${m[2]}` };
  if (/^musl libc \([0-9A-Za-z_]{1,20}\)$/.test(line)) return { kind: 'other', name: 'musl' };
  return { kind: 'unknown', why: `not a glibc release: ${snippet(line, 60)}` };
}

/**
 * Decodes the bytes of a glibc named semaphore file (/dev/shm/sem.NAME), per FUTEX-SEMAPHORES.md §1.2,
 * §2.1 and §3.2:
 *
 * - 32 bytes, glibc >= 2.21, 64-bit variant: u64 `data` @0 (value = low 32 bits, nwaiters = high 32 bits),
 *   i32 `private` @8 (128 = FUTEX_SHARED, which every sem_open semaphore has; 0 = process-private).
 * - 16 bytes, 32-bit variant (i386 ...): u32 @0 = tokens << 1 | waiters-hint bit, `private` @4,
 *   u32 nwaiters @12 (exact; the bit in word 0 is only a conservative hint).
 * - 32 bytes written by glibc < 2.21: u32 value @0, i32 private @4 (inverted meaning: 0 = shared),
 *   u64 nwaiters @8.
 *
 * The layout is chosen by size and plausibility (`private` must be 0 or 128, value <= SEM_VALUE_MAX); a
 * file that fits no layout gets a decodeError, never a guessed value. Little-endian (x86_64, aarch64).
 */
import type { DecodedPosixSem, IpcErrorInfo, SemLayout } from '../shared/model';

export const SEM_VALUE_MAX = 0x7fffffff;
export const FUTEX_SHARED = 128;

export interface PosixSemRead {
  /** the file's bytes as read (the first 32 at most) */
  bytes: Uint8Array;
  /**
   * value/nwaiters word from one aligned 8-byte atomic load of the mapping (native readPosixSem), when
   * available: lo32 = bytes 0..3, hi32 = bytes 4..7 at the instant of the load.
   */
  atomicWord?: { lo32: number; hi32: number };
}

export type PosixSemDecode = { decoded: DecodedPosixSem } | { decodeError: IpcErrorInfo };

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parses a hex string (whitespace allowed) into bytes; undefined if malformed. */
export function fromHex(hex: string): Uint8Array | undefined {
  const h = hex.replace(/\s+/g, '');
  if (h.length % 2 || !/^[0-9a-f]*$/i.test(h)) return undefined;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function u32(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

function i32(b: Uint8Array, off: number): number {
  return u32(b, off) | 0;
}

function zero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to && i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function fail(message: string, path?: string): PosixSemDecode {
  const error: IpcErrorInfo = {
    code: 'EPARSE',
    syscall: 'decode',
    op: 'sem_t',
    message: `${path ? path + ': ' : ''}${message}`,
    hint: 'The file does not look like a glibc semaphore (another libc, another ABI, or not a semaphore at all); its value is not shown.',
  };
  return { decodeError: error };
}

/** Decodes a semaphore file image; see the file comment for the layouts. */
export function decodePosixSem(read: PosixSemRead, path?: string): PosixSemDecode {
  const b = read.bytes;
  const raw = toHex(b);
  const atomic = read.atomicWord !== undefined;
  // the value/nwaiters word: from the atomic load when we have one, else from the bytes
  const lo = read.atomicWord ? read.atomicWord.lo32 >>> 0 : b.length >= 4 ? u32(b, 0) : 0;
  const hi = read.atomicWord ? read.atomicWord.hi32 >>> 0 : b.length >= 8 ? u32(b, 4) : 0;
  const mk = (layout: SemLayout, value: number, nwaiters: number, priv: number): PosixSemDecode => ({
    decoded: { layout, value, nwaiters, private: priv, raw, atomic },
  });

  if (b.length === 32) {
    const privNew = i32(b, 8);
    const newOk = (privNew === 0 || privNew === FUTEX_SHARED) && lo <= SEM_VALUE_MAX && zero(b, 16, 32);
    // old layout: value@0, private@4, nwaiters u64@8 (its high half must be 0 for any real count)
    const privOld = hi | 0;
    const oldWaiters = u32(b, 8);
    const oldOk = (privOld === 0 || privOld === FUTEX_SHARED) && lo <= SEM_VALUE_MAX && u32(b, 12) === 0 && zero(b, 16, 32);
    if (newOk && oldOk) {
      // Both fit only when @8 is 0 or 128 and word@4 is 0 or 128. Every 2.21+ sem_open writes 128 @8;
      // an old file would need exactly 0 or 128 registered waiters @8 to look the same. Prefer the
      // current layout: it is what every glibc since 2015 writes.
      return mk('glibc-new-64', lo, hi, privNew);
    }
    if (newOk) return mk('glibc-new-64', lo, hi, privNew);
    if (oldOk) return mk('glibc-old-64', lo, oldWaiters, privOld);
    return fail(
      `32-byte semaphore fits no known glibc layout (private@8=${privNew}, word@4=${hi}, value=${lo}; raw ${raw})`,
      path,
    );
  }
  if (b.length === 16) {
    const priv = i32(b, 4);
    const nwaiters = u32(b, 12);
    if (priv !== 0 && priv !== FUTEX_SHARED) {
      return fail(`16-byte semaphore has private=${priv} (expected 0 or 128; raw ${raw})`, path);
    }
    const tokens = lo >>> 1;
    // bit 0 is a hint that nwaiters may be nonzero; nwaiters is the exact count
    return mk('glibc-new-32', tokens, nwaiters, priv);
  }
  return fail(`unexpected size ${b.length} bytes (a glibc sem_t is 32 bytes on 64-bit, 16 on 32-bit)`, path);
}

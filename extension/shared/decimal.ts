/**
 * Decimal numbers in text this process does not control (/proc files, a remote host's probe, ipcs output,
 * postmaster.pid, command-line arguments): digits only, and only values a Number holds exactly. A sign,
 * `0x1f`, `1e3` or 400 digits (which Number() reads as Infinity) is no number, so a garbled field never
 * stands for another value. Pure.
 */

/** The largest IPC id, shmid or pid (an int). */
export const INT_MAX = 0x7fffffff;
/** The largest uid_t or gid_t. */
export const U32_MAX = 0xffffffff;

/** `t` as a whole number (any count of digits, at most 2^53 - 1), or undefined. */
export function wholeDecimal(t: string | undefined): number | undefined {
  if (t === undefined || !/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `t` as a 32-bit number in 0..max, printed in at most 10 digits as the kernel prints one, or undefined. */
export function decimalUpTo(t: string | undefined, max: number): number | undefined {
  if (t === undefined || !/^\d{1,10}$/.test(t)) return undefined;
  const n = Number(t);
  return n <= max ? n : undefined;
}

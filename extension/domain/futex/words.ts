/**
 * The semaphore's words as numbers: encodings, formatting and the memory right after sem_init, per model
 * (FUTEX-SEMAPHORES.md §1.2, §2.1, §5).
 */
import { FUTEX_PRIVATE, FUTEX_SHARED, TWO32, type Memory, type ModelId, type WordName } from './types';

export const INT_MAX = 2147483647;
/** What the reusing object writes over a freed block (recognisable in a hex dump). */
export const GARBAGE = { value: 0x41414141, nwaiters: 0x42424242, priv: 0x43434343 };

export const lo = (d: number): number => d % TWO32;
export const hi = (d: number): number => Math.floor(d / TWO32);
/** glibc-new-64's `data` word as a number (nwaiters * 2^32 + value; exact below 2^53). */
export const data64 = (m: Memory): number => m.nwaiters * TWO32 + m.value;

/** Tokens (the semaphore's value) encoded in the memory words. */
export function tokensOf(model: ModelId, m: Memory): number {
  return model === 'glibc-new-32' ? m.value >>> 1 : m.value;
}

/** The word the model's CASes operate on, for comparing with a thread's local copy. */
export function casWord(model: ModelId, m: Memory): number {
  return model === 'glibc-new-64' ? data64(m) : m.value;
}

export function fmtWord(model: ModelId, d: number): string {
  if (model === 'glibc-new-64') return `(${hi(d)},${lo(d)})`;
  if (model === 'glibc-new-32') return `(tokens ${d >>> 1}, bit ${d & 1})`;
  return String(d);
}

export function fmtMem(model: ModelId, m: Memory): string {
  if (model === 'glibc-new-64') return fmtWord(model, data64(m));
  if (model === 'glibc-new-32') return `(tokens ${m.value >>> 1}, bit ${m.value & 1}, nwaiters ${m.nwaiters})`;
  if (model === 'glibc-old') return `(value ${m.value}, nwaiters ${m.nwaiters})`;
  return `(value ${m.value})`;
}

/** Memory right after sem_init(pshared, v) in each model (§1.3, §2.1, §5). */
export function initMemory(model: ModelId, value: number, pshared: boolean): Memory {
  switch (model) {
    case 'glibc-new-64':
      return { status: 'live', value, nwaiters: 0, priv: pshared ? FUTEX_SHARED : FUTEX_PRIVATE };
    case 'glibc-new-32':
      return { status: 'live', value: value * 2, nwaiters: 0, priv: pshared ? FUTEX_SHARED : FUTEX_PRIVATE };
    case 'glibc-old':
      // inverted encoding: pshared ? 0 : FUTEX_PRIVATE_FLAG
      return { status: 'live', value, nwaiters: 0, priv: pshared ? 0 : FUTEX_SHARED };
    case 'pg-futex':
      return { status: 'live', value, nwaiters: 0, priv: 0 };
  }
}

/** The current value of a named word (glibc-new-64: 'nwaiters' is the high half of `data`). */
export function wordValue(model: ModelId, m: Memory, word: WordName): number {
  switch (word) {
    case 'data': return data64(m);
    case 'value': case 'counter': return m.value;
    case 'nwaiters': return m.nwaiters;
    case 'private': return m.priv;
  }
  void model;
}

/**
 * A hash set of states encoded as short vectors of numbers (machine.encodeState): the explorer's index of
 * the states it has met. Keys live in one growing Float64Array; a lookup hashes the vector and compares it
 * number by number, so no key string is built or kept.
 */
import { TWO32 } from './types';

/** Small integers for the strings of a state (program counters, pending returns, futex keys). */
const interned = new Map<string, number>([['', 0]]);

export function intern(x: string): number {
  if (x === '') return 0;
  let i = interned.get(x);
  if (i === undefined) {
    i = interned.size;
    interned.set(x, i);
  }
  return i;
}

function hashOf(key: readonly number[], n: number): number {
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < n; i++) {
    const v = key[i];
    h = Math.imul(h ^ (v >>> 0), 0x01000193);
    if (v >= TWO32 || v < 0) h = Math.imul(h ^ Math.floor(v / TWO32), 0x01000193);
  }
  // murmur3's finaliser: the low bits pick the slot
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class StateTable {
  /** open addressing: id + 1 of the state in each slot, 0 for empty. */
  private slots = new Int32Array(1 << 10);
  private hashes = new Int32Array(1 << 10);
  private starts = new Int32Array(1 << 10);
  private lengths = new Int32Array(1 << 10);
  private pool = new Float64Array(1 << 14);
  private used = 0;
  size = 0;

  /** The id of the state encoded in key[0..n): an existing one, or `size` before the call if it is new. */
  add(key: readonly number[], n: number): number {
    const h = hashOf(key, n);
    let mask = this.slots.length - 1;
    let i = h & mask;
    for (;;) {
      const e = this.slots[i];
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] === h && this.equal(id, key, n)) return id;
      i = (i + 1) & mask;
    }
    const id = this.size++;
    if (id === this.hashes.length) this.growIds();
    this.hashes[id] = h;
    this.starts[id] = this.used;
    this.lengths[id] = n;
    if (this.used + n > this.pool.length) {
      const p = new Float64Array(Math.max(this.pool.length * 2, this.used + n));
      p.set(this.pool);
      this.pool = p;
    }
    for (let k = 0; k < n; k++) this.pool[this.used + k] = key[k];
    this.used += n;
    if (this.size * 2 > this.slots.length) {
      this.rehash();
      mask = this.slots.length - 1;
      i = h & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
    }
    this.slots[i] = id + 1;
    return id;
  }

  private equal(id: number, key: readonly number[], n: number): boolean {
    if (this.lengths[id] !== n) return false;
    const s = this.starts[id];
    for (let k = 0; k < n; k++) if (this.pool[s + k] !== key[k]) return false;
    return true;
  }

  private growIds(): void {
    const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes);
    this.starts = grow(this.starts);
    this.lengths = grow(this.lengths);
  }

  /** Doubles the slot array and reinserts every state but the one being added (its slot is placed by add). */
  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.size - 1; id++) {
      let i = this.hashes[id] & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    this.slots = slots;
  }
}

/**
 * Byte layouts of the modelled memory (FUTEX-SEMAPHORES.md §1.2, §2.1, §5), little-endian as on x86_64:
 * the field list the visualizer draws as bit fields, and the exact bytes the faithfulness tests compare
 * with a real glibc semaphore.
 */
import { TWO32, type Memory, type ModelId, type WordName } from './types';

export interface Field {
  name: string;
  offset: number;
  size: number;
  /** the field's value (for the 64-bit `data` word: nwaiters * 2^32 + value). */
  value: number;
  /** sub-fields within the field, drawn as bit ranges. */
  parts: { name: string; bits: [number, number]; value: number }[];
}

export function memoryFields(model: ModelId, m: Memory): Field[] {
  switch (model) {
    case 'glibc-new-64':
      return [
        {
          name: 'data', offset: 0, size: 8, value: m.nwaiters * TWO32 + m.value,
          parts: [{ name: 'value', bits: [0, 31], value: m.value }, { name: 'nwaiters', bits: [32, 63], value: m.nwaiters }],
        },
        { name: 'private', offset: 8, size: 4, value: m.priv, parts: [] },
      ];
    case 'glibc-new-32':
      return [
        {
          name: 'value', offset: 0, size: 4, value: m.value,
          parts: [{ name: 'waiter bit', bits: [0, 0], value: m.value & 1 }, { name: 'tokens', bits: [1, 31], value: m.value >>> 1 }],
        },
        { name: 'private', offset: 4, size: 4, value: m.priv, parts: [] },
        { name: 'nwaiters', offset: 12, size: 4, value: m.nwaiters, parts: [] },
      ];
    case 'glibc-old':
      return [
        { name: 'value', offset: 0, size: 4, value: m.value, parts: [] },
        { name: 'private', offset: 4, size: 4, value: m.priv, parts: [] },
        { name: 'nwaiters', offset: 8, size: 8, value: m.nwaiters, parts: [] },
      ];
    case 'pg-futex':
      return [{ name: 'counter', offset: 0, size: 4, value: m.value, parts: [] }];
  }
}

/** sizeof the modelled object: sem_t is 32 bytes on 64-bit ABIs, 16 on 32-bit; pg's counter is 4. */
export function objectSize(model: ModelId): number {
  return model === 'glibc-new-32' ? 16 : model === 'pg-futex' ? 4 : 32;
}

export function encodeMemory(model: ModelId, m: Memory): Uint8Array {
  const b = new Uint8Array(objectSize(model));
  for (const f of memoryFields(model, m)) {
    let v = f.value;
    for (let i = 0; i < f.size; i++) {
      b[f.offset + i] = v % 256;
      v = Math.floor(v / 256);
    }
  }
  return b;
}

export function hexBytes(b: Uint8Array, group = 4): string {
  const out: string[] = [];
  for (let i = 0; i < b.length; i += group) {
    out.push([...b.slice(i, i + group)].map((x) => x.toString(16).padStart(2, '0')).join(''));
  }
  return out.join(' ');
}

/** Byte offset and size of a named word in the model's layout (glibc-new-64: nwaiters is bytes 4..7 of data). */
export function wordLocation(model: ModelId, word: WordName): { readonly offset: number; readonly size: number } {
  const key = `${model}.${word}`;
  let loc = locations.get(key);
  if (loc === undefined) {
    loc = Object.freeze(findLocation(model, word));
    locations.set(key, loc);
  }
  return loc;
}
/** wordLocation's answers (every step that touches memory asks). */
const locations = new Map<string, { readonly offset: number; readonly size: number }>();

function findLocation(model: ModelId, word: WordName): { offset: number; size: number } {
  if (model === 'glibc-new-64' && word === 'nwaiters') return { offset: 4, size: 4 };
  if (model === 'glibc-new-64' && word === 'value') return { offset: 0, size: 4 };
  const zero: Memory = { status: 'live', value: 0, nwaiters: 0, priv: 0 };
  const f = memoryFields(model, zero).find((x) => x.name === word || (word === 'counter' && x.name === 'counter'));
  return f ? { offset: f.offset, size: f.size } : { offset: 0, size: 4 };
}

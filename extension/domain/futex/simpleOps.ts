/**
 * Operations of one step that are the same shape in every model: sem_getvalue (one load of the value word,
 * FUTEX-SEMAPHORES.md §1.3) and the raw loads and stores of litmus tests.
 */
import type { Ctx } from './ctx';
import type { OpKind, WordName } from './types';
import { fmtMem, tokensOf, wordValue } from './words';

/** The word sem_getvalue loads, and how (glibc >= 2.21: atomic_load_relaxed; <= 2.20: a plain `isem->value`). */
function getvalueWord(c: Ctx): { word: WordName; order: 'relaxed' | 'plain' } {
  switch (c.model) {
    case 'glibc-new-64': return { word: 'data', order: 'relaxed' };
    case 'glibc-new-32': return { word: 'value', order: 'relaxed' };
    default: return { word: 'value', order: 'plain' };
  }
}

/** Runs op if it is one of these; false otherwise (the model's program runs it). */
export function stepSimpleOp(c: Ctx, op: OpKind): boolean {
  const m = c.s.mem;
  switch (op) {
    case 'sem_getvalue': {
      const { word, order } = getvalueWord(c);
      c.accessSpec = { kind: 'read', order };
      c.name('getvalue', `sem_getvalue: one ${order} load of ${word}, ${fmtMem(c.model, m)}`);
      if (!c.touch(word, false)) return true;
      // glibc >= 2.21 returns the token count only: never negative, so 0 while threads wait (the FIXME in
      // sem_getvalue.c about POSIX's "negative count of waiters" option); 2.20 returns the value word likewise
      const v = tokensOf(c.model, m);
      if (m.nwaiters > 0 && v === 0) c.rec.note = `${m.nwaiters} waiter(s) registered, and sem_getvalue says 0`;
      c.ret(`0 sval=${v}`);
      return true;
    }
    case 'raw_load': {
      const word = c.opSpec?.word ?? 'value';
      c.accessSpec = { kind: 'read', order: 'plain' };
      const v = wordValue(c.model, m, word);
      c.name('load', `mov: r := ${word} = ${v}`);
      if (!c.touch(word, false)) return true;
      c.ret(`r=${v}`);
      return true;
    }
    case 'raw_store': {
      const word = c.opSpec?.word ?? 'value';
      const v = c.opSpec?.value ?? 0;
      c.accessSpec = { kind: 'write', order: 'plain' };
      c.name('store', `mov: ${word} := ${v}${c.s.memoryModel === 'x86-tso' ? ' (into the store buffer)' : ''}`);
      if (c.s.memoryModel === 'x86-tso') {
        // the access record says what was written; memory sees it when the buffer is flushed
        c.touch(word, false);
        const a = c.rec.access?.[c.rec.access.length - 1];
        if (a) {
          a.kind = 'write';
          a.value = v;
          a.buffered = true;
        }
        c.plainStore(word, v);
      } else {
        if (!c.touch(word, true)) return true;
        c.plainStore(word, v);
      }
      c.ret('0');
      return true;
    }
    default:
      return false;
  }
}

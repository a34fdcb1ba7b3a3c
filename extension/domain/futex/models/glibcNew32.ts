/**
 * glibc >= 2.21 without 64-bit atomics (FUTEX-SEMAPHORES.md §1.7): `value` = tokens << 1 | waiter bit is
 * the futex word; the exact waiter count is a separate `nwaiters` field.
 *
 *   post:  start (read private) → load → cas (+2; wake if the bit was set) → futex_wake
 *   wait:  start (testcancel, fast-path load) → fast_cas → register → load_v → set_bit → futex_wait
 *          → reload → take_cas → finish32: finish_guess → clear_bit → deregister → repair → repair_wake
 *          (cancel_unwind runs finish32 as the cleanup)
 */
import { accessTable, cancelAtSyscall, casFailed, fastPathStart, isWait, postWakeStep, threadNames, waitOpts, wakeStep, type AccessSpec, type Ctx, type ModelProgram, type RunChoice } from '../ctx';
import { SEM_VALUE_MAX, type OpKind, type ThreadState } from '../types';
import { fmtWord } from '../words';

/** Program counters of this model (the step each one runs is in the doc comment above). */
export type New32Pc =
  | 'start' | 'load' | 'cas' | 'futex_wake' | 'fast_cas' | 'register' | 'load_v' | 'set_bit' | 'futex_wait'
  | 'reload' | 'take_cas' | 'cancel_unwind' | 'finish_guess' | 'clear_bit' | 'deregister' | 'repair'
  | 'repair_wake';

/** The tokens of a `value` word. */
function tok(v: number): number {
  return v >>> 1;
}

/** The bit is set in the thread's copy: sleep if it shows no token, else try to take one. */
function check(t: ThreadState<New32Pc>): void {
  t.pc = tok(t.word) === 0 ? 'futex_wait' : 'take_cas';
}

/** The top of the wait loop: set the waiter bit first if the thread's copy has it clear. */
function top(t: ThreadState<New32Pc>): void {
  if ((t.word & 1) === 0) t.pc = 'set_bit';
  else check(t);
}

/** The end of finish32: return the pending result, or leave through cancellation. */
function finish(c: Ctx<New32Pc>): void {
  if (c.t.unwinding) c.exitCancelled();
  else c.ret(c.t.pendingRet);
}

// The helpers above are module functions, not closures made at every step: the explorer runs this function
// hundreds of thousands of times.
function stepNew32(c: Ctx<New32Pc>, op: OpKind, choice: RunChoice): void {
  const t = c.t;
  const m = c.s.mem;
  const spurious = !!choice.casSpurious;
  if (op === 'sem_post') {
    switch (t.pc) {
      case 'start':
        c.name('read_private', `p := private = ${m.priv}`);
        if (!c.touch('private', false)) return;
        t.priv = m.priv;
        t.pc = 'load';
        return;
      case 'load':
        c.name('load', `v := ${fmtWord(c.model, m.value)}`);
        if (!c.touch('value', false)) return;
        t.word = m.value;
        t.pc = 'cas';
        return;
      case 'cas': {
        // glibc 2.21 tested (v << 1) == SEM_VALUE_MAX (BZ#18434): an even number never equals 2^31 - 1, so the
        // check never fires and v + 2 wraps the 32-bit word (tokens SEM_VALUE_MAX → 0)
        const full = c.traits.overflowShiftBug ? ((t.word << 1) >>> 0) === SEM_VALUE_MAX : tok(t.word) === SEM_VALUE_MAX;
        if (full) {
          c.name('return', 'value == SEM_VALUE_MAX');
          c.ret('-1 EOVERFLOW');
          return;
        }
        const next = (t.word + 2) >>> 0;
        if (m.value === t.word && !spurious) {
          c.name('cas_ok', `${fmtWord(c.model, t.word)}→${fmtWord(c.model, next)}: token published`);
          if (!c.touch('value', true)) return;
          m.value = next;
          c.s.tokens += 1;
          if (next < t.word) c.rec.note = 'the 32-bit word wrapped: SEM_VALUE_MAX tokens + 1 = 0 (glibc 2.21\'s overflow check, BZ#18434)';
          t.published = true;
          if (t.word & 1) {
            t.wakeCount = 1;
            t.pc = 'futex_wake';
          } else {
            c.rec.note = `${c.rec.note ? `${c.rec.note}; ` : ''}skip_wake: the waiter bit was clear at the CAS`;
            c.ret('0');
          }
        } else {
          casFailed(c, `expected ${fmtWord(c.model, t.word)}, found ${fmtWord(c.model, m.value)}${spurious ? ' (spurious)' : ''}; v reloaded`, spurious, 'value', m.value);
        }
        return;
      }
      case 'futex_wake':
        postWakeStep(c, choice);
        return;
    }
  }
  if (isWait(op)) {
    const tryw = op === 'sem_trywait';
    switch (t.pc) {
      case 'start':
        fastPathStart(c, op, `fast path: v := ${fmtWord(c.model, m.value)}`, 'value', m.value, tok(m.value), 'fast_cas', 'register');
        return;
      case 'fast_cas':
        if (m.value === t.word && !spurious) {
          c.name('cas_ok', `fast path ${fmtWord(c.model, t.word)}→${fmtWord(c.model, t.word - 2)}: token taken`);
          if (!c.touch('value', true)) return;
          m.value -= 2;
          c.s.tokens -= 1;
          c.ret('0');
        } else {
          if (!casFailed(c, `fast path: expected ${fmtWord(c.model, t.word)}, found ${fmtWord(c.model, m.value)}${spurious ? ' (spurious)' : ''}`, spurious, 'value', m.value)) return;
          if (!tryw) t.pc = 'register';
          else if (tok(t.word) === 0) c.ret('-1 EAGAIN');
        }
        return;
      case 'register':
        c.name('register', `fetch_add(nwaiters, +1): ${m.nwaiters}→${m.nwaiters + 1}`);
        if (!c.touch('nwaiters', true)) return;
        m.nwaiters += 1;
        t.registered = true;
        t.pc = 'load_v';
        return;
      case 'load_v':
        c.name('load', `v := ${fmtWord(c.model, m.value)}`);
        if (!c.touch('value', false)) return;
        t.word = m.value;
        top(t);
        return;
      case 'set_bit':
        if (m.value === t.word && !spurious) {
          c.name('set_bit', `CAS ${fmtWord(c.model, t.word)}→${fmtWord(c.model, (t.word | 1) >>> 0)} (local v keeps the old value)`);
          if (!c.touch('value', true)) return;
          m.value = (t.word | 1) >>> 0;
          check(t);
        } else {
          if (casFailed(c, `set_bit: expected ${fmtWord(c.model, t.word)}, found ${fmtWord(c.model, m.value)}${spurious ? ' (spurious)' : ''}`, spurious, 'value', m.value)) top(t);
        }
        return;
      case 'futex_wait': {
        if (cancelAtSyscall(c, 'cancel_unwind')) return;
        const r = c.futexWait(1, waitOpts(c, op));
        c.name('futex_wait', r === 'blocked' ? `word is 1 (0 tokens, bit set): enqueued, ${t.name} sleeps`
          : `futex_wait(exp 1): kernel reads ${m.value} ≠ 1 → ${r}`);
        t.pc = 'reload';
        return;
      }
      case 'reload':
        c.name('load', `reload v := ${fmtWord(c.model, m.value)}`);
        if (!c.touch('value', false)) return;
        t.word = m.value;
        if (tok(t.word) === 0) top(t);
        else t.pc = 'take_cas';
        return;
      case 'take_cas':
        if (m.value === t.word && !spurious) {
          c.name('cas_ok', `${fmtWord(c.model, t.word)}→${fmtWord(c.model, t.word - 2)}: token taken (bit unchanged)`);
          if (!c.touch('value', true)) return;
          m.value -= 2;
          c.s.tokens -= 1;
          t.pendingRet = '0';
          t.pc = 'finish_guess';
        } else {
          if (casFailed(c, `take: expected ${fmtWord(c.model, t.word)}, found ${fmtWord(c.model, m.value)}${spurious ? ' (spurious)' : ''}; v reloaded`, spurious, 'value', m.value)) top(t);
        }
        return;
      case 'cancel_unwind':
        c.name('cancel_unwind', t.registered ? 'unwinding: cleanup runs finish32' : 'unwind (not registered)');
        if (!t.registered) {
          c.exitCancelled();
          return;
        }
        t.unwinding = true;
        t.pc = 'finish_guess';
        return;
      case 'finish_guess':
        c.name('guess', `finish32: g := nwaiters = ${m.nwaiters}`);
        if (!c.touch('nwaiters', false)) return;
        t.guess = m.nwaiters;
        t.pc = t.guess === 1 ? 'clear_bit' : 'deregister';
        return;
      case 'clear_bit':
        c.name('clear_bit', `fetch_and(value, ~1): ${fmtWord(c.model, m.value)}→${fmtWord(c.model, (m.value & ~1) >>> 0)}`);
        if (!c.touch('value', true)) return;
        m.value = (m.value & ~1) >>> 0;
        if (c.s.queue.length > 0) {
          c.rec.note = `danger: ${threadNames(c.s, c.s.queue)} asleep with the waiter bit clear; ${t.name} must repair it`;
        }
        t.pc = 'deregister';
        return;
      case 'deregister': {
        c.name('deregister', `fetch_add(nwaiters, -1): ${m.nwaiters}→${m.nwaiters - 1}`);
        if (!c.touch('nwaiters', true)) return;
        const f = m.nwaiters;
        m.nwaiters -= 1;
        t.registered = false;
        if (f > 1 && t.guess === 1) {
          c.rec.note = `misspeculation: guessed 1 waiter, found ${f}: repair`;
          t.pc = 'repair';
        } else finish(c);
        return;
      }
      case 'repair': {
        c.name('set_bit', `repair: fetch_or(value, 1): ${fmtWord(c.model, m.value)}→${fmtWord(c.model, (m.value | 1) >>> 0)}`);
        if (!c.touch('value', true)) return;
        const old = m.value;
        m.value = (m.value | 1) >>> 0;
        if (tok(old) > 0) {
          t.wakeCount = tok(old);
          t.pc = 'repair_wake';
        } else finish(c);
        return;
      }
      case 'repair_wake':
        // futex_wake(&value, tokens, sem->private): reads private (still inside sem_wait: legal).
        if (!c.touch('private', false)) return;
        wakeStep(c, choice.wake, m.priv, finish);
        return;
    }
  }
  throw new Error(`glibc-new-32: no step for ${op} at ${t.pc}`);
}

/** How each step accesses memory (see accessTable). */
const ACCESS: Readonly<Record<string, AccessSpec>> = {
  'post.cas': { kind: 'cas', order: 'release' },
  'wait.fast_cas': { kind: 'cas', order: 'acquire' },
  'wait.register': { kind: 'rmw', rmw: 'fetch_add', order: 'acquire' },
  'wait.set_bit': { kind: 'cas', order: 'release' },
  'wait.take_cas': { kind: 'cas', order: 'acquire' },
  'wait.clear_bit': { kind: 'rmw', rmw: 'fetch_and', order: 'acquire' },
  'wait.deregister': { kind: 'rmw', rmw: 'fetch_add', order: 'release' },
  'wait.repair': { kind: 'rmw', rmw: 'fetch_or', order: 'relaxed' },
};

export const glibcNew32: ModelProgram<New32Pc> = {
  id: 'glibc-new-32',
  resumePc: 'reload',
  errorPc: 'finish_guess',
  weakCasPcs: ['cas', 'fast_cas', 'set_bit', 'take_cas'],
  access: accessTable(ACCESS),
  step: stepNew32,
};

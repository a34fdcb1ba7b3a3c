/**
 * glibc >= 2.21 with 64-bit atomics (FUTEX-SEMAPHORES.md §1.4-§1.6): one 64-bit `data` word holding
 * (nwaiters, value); the futex word is its value half.
 *
 *   post:          start (read private) → load → cas (publish; the wake decision is in the same CAS)
 *                  → futex_wake
 *   post (BROKEN): start → load_nwaiters → fetch_add → futex_wake (§6 b2, a hypothetical)
 *   wait:          start (testcancel, fast-path load) → fast_cas → register → futex_wait → reload
 *                  → slow_cas (take the token and deregister) | deregister_err | cancel_unwind
 */
import { accessTable, cancelAtSyscall, casFailed, fastPathStart, isWait, postWakeStep, waitOpts, type AccessSpec, type Ctx, type ModelProgram, type RunChoice } from '../ctx';
import { SEM_VALUE_MAX, TWO32, type OpKind, type ThreadState } from '../types';
import { data64, fmtWord, hi, lo } from '../words';

/** Program counters of this model (the step each one runs is in the doc comment above). */
export type New64Pc =
  | 'start' | 'load' | 'cas' | 'futex_wake' | 'load_nwaiters' | 'fetch_add'
  | 'fast_cas' | 'register' | 'futex_wait' | 'reload' | 'slow_cas' | 'deregister_err' | 'cancel_unwind';

/** After a failed CAS or a futex_wait return: sleep if the thread's copy shows no token, else try to take one. */
function afterFail(t: ThreadState<New64Pc>): void {
  t.pc = lo(t.word) === 0 ? 'futex_wait' : 'slow_cas';
}

/** sem_post's write to `data` that publishes its token (the CAS, or the BROKEN post's fetch_add); false: the
 *  access did not run (see Ctx.touch). */
function publishToken(c: Ctx<New64Pc>): boolean {
  if (!c.touch('data', true)) return false;
  c.s.mem.value += 1;
  c.s.tokens += 1;
  c.t.published = true;
  return true;
}

function stepNew64(c: Ctx<New64Pc>, op: OpKind, choice: RunChoice): void {
  const t = c.t;
  const m = c.s.mem;
  const spurious = !!choice.casSpurious;
  if (op === 'sem_post' || op === 'sem_post_broken') {
    switch (t.pc) {
      case 'start':
        c.name('read_private', `p := private = ${m.priv}`);
        if (!c.touch('private', false)) return;
        t.priv = m.priv;
        t.pc = op === 'sem_post' ? 'load' : 'load_nwaiters';
        return;
      case 'load':
        c.name('load', `d := ${fmtWord(c.model, data64(m))}`);
        if (!c.touch('data', false)) return;
        t.word = data64(m);
        t.pc = 'cas';
        return;
      case 'cas': {
        if (lo(t.word) === SEM_VALUE_MAX) {
          c.name('return', 'value == SEM_VALUE_MAX');
          c.ret('-1 EOVERFLOW');
          return;
        }
        const cur = data64(m);
        if (cur === t.word && !spurious) {
          c.name('cas_ok', `${fmtWord(c.model, t.word)}→${fmtWord(c.model, t.word + 1)}: token published`);
          if (!publishToken(c)) return;
          if (hi(t.word) > 0) {
            t.wakeCount = 1;
            t.pc = 'futex_wake';
            c.rec.note = `nwaiters was ${hi(t.word)} at the CAS: will wake; no user-space access to *S from here on`;
          } else {
            c.rec.note = 'skip_wake: nwaiters was 0 at the CAS';
            c.ret('0');
          }
        } else {
          casFailed(c, `expected ${fmtWord(c.model, t.word)}, found ${fmtWord(c.model, cur)}${spurious ? ' (spurious weak-CAS failure)' : ''}; d reloaded`, spurious, 'data', cur);
        }
        return;
      }
      case 'load_nwaiters':
        // BROKEN (§6 b2): nwaiters read in its own load, before the increment.
        c.name('load', `BROKEN post: n := nwaiters = ${m.nwaiters} (read before the increment)`);
        if (!c.touch('nwaiters', false)) return;
        t.word = data64(m);
        t.pc = 'fetch_add';
        return;
      case 'fetch_add':
        c.name('fetch_add', `value ${m.value}→${m.value + 1} (nwaiters not re-checked)`);
        if (!publishToken(c)) return;
        if (hi(t.word) > 0) {
          t.wakeCount = 1;
          t.pc = 'futex_wake';
        } else {
          c.rec.note = 'skip_wake: the stale nwaiters read was 0';
          c.ret('0');
        }
        return;
      case 'futex_wake':
        postWakeStep(c, choice);
        return;
    }
  }
  if (isWait(op)) {
    const tryw = op === 'sem_trywait';
    switch (t.pc) {
      case 'start':
        fastPathStart(c, op, `fast path: d := ${fmtWord(c.model, data64(m))}`, 'data', data64(m), lo(data64(m)), 'fast_cas', 'register');
        return;
      case 'fast_cas': {
        const cur = data64(m);
        if (cur === t.word && !spurious) {
          c.name('cas_ok', `fast path ${fmtWord(c.model, t.word)}→${fmtWord(c.model, t.word - 1)}: token taken`);
          if (!c.touch('data', true)) return;
          m.value -= 1;
          c.s.tokens -= 1;
          c.ret('0');
        } else {
          if (!casFailed(c, `fast path: expected ${fmtWord(c.model, t.word)}, found ${fmtWord(c.model, cur)}${spurious ? ' (spurious)' : ''}`, spurious, 'data', cur)) return;
          if (!tryw) t.pc = 'register'; // definitive = 0: one attempt, then the slow path
          else if (lo(t.word) === 0) c.ret('-1 EAGAIN');
        }
        return;
      }
      case 'register':
        c.name('register', `fetch_add(data, 1<<32): ${fmtWord(c.model, data64(m))}→${fmtWord(c.model, data64(m) + TWO32)}`);
        if (!c.touch('data', true)) return;
        t.word = data64(m);
        m.nwaiters += 1;
        t.registered = true;
        afterFail(t);
        return;
      case 'futex_wait': {
        if (cancelAtSyscall(c, 'cancel_unwind')) return;
        const r = c.futexWait(0, waitOpts(c, op));
        c.name('futex_wait', r === 'blocked' ? `value half is 0: enqueued, ${t.name} sleeps`
          : `futex_wait(exp 0): kernel reads ${m.value} ≠ 0 → ${r}`);
        t.pc = 'reload';
        return;
      }
      case 'reload':
        c.name('load', `reload d := ${fmtWord(c.model, data64(m))}`);
        if (!c.touch('data', false)) return;
        t.word = data64(m);
        afterFail(t);
        return;
      case 'slow_cas': {
        const cur = data64(m);
        const next = t.word - 1 - TWO32;
        if (cur === t.word && !spurious) {
          c.name('cas_ok', `${fmtWord(c.model, t.word)}→${fmtWord(c.model, next)}: token taken and deregistered`);
          if (!c.touch('data', true)) return;
          m.value -= 1;
          m.nwaiters -= 1;
          c.s.tokens -= 1;
          t.registered = false;
          c.ret('0');
        } else {
          if (casFailed(c, `expected ${fmtWord(c.model, t.word)}, found ${fmtWord(c.model, cur)}${spurious ? ' (spurious)' : ''}; d reloaded`, spurious, 'data', cur)) afterFail(t);
        }
        return;
      }
      case 'deregister_err':
        c.name('deregister', `fetch_add(data, -(1<<32)) after ${t.pendingRet.slice(3)}: ${fmtWord(c.model, data64(m))}→${fmtWord(c.model, data64(m) - TWO32)}`);
        if (!c.touch('data', true)) return;
        m.nwaiters -= 1;
        t.registered = false;
        c.ret(t.pendingRet);
        return;
      case 'cancel_unwind':
        c.name('cancel_unwind', t.registered ? `cleanup64: fetch_add(data, -(1<<32)) → ${fmtWord(c.model, data64(m) - TWO32)}` : 'unwind (not registered)');
        if (t.registered) {
          if (!c.touch('data', true)) return;
          m.nwaiters -= 1;
        }
        c.exitCancelled();
        return;
    }
  }
  throw new Error(`glibc-new-64: no step for ${op} at ${t.pc}`);
}

/** How each step accesses memory (see accessTable). */
const ACCESS: Readonly<Record<string, AccessSpec>> = {
  'post.cas': { kind: 'cas', order: 'release' },
  'post.fetch_add': { kind: 'rmw', rmw: 'fetch_add', order: 'release' },
  'wait.fast_cas': { kind: 'cas', order: 'acquire' },
  'wait.register': { kind: 'rmw', rmw: 'fetch_add', order: 'relaxed' },
  'wait.slow_cas': { kind: 'cas', order: 'acquire' },
  'wait.deregister_err': { kind: 'rmw', rmw: 'fetch_add', order: 'relaxed' },
  'wait.cancel_unwind': { kind: 'rmw', rmw: 'fetch_add', order: 'relaxed' },
};

export const glibcNew64: ModelProgram<New64Pc> = {
  id: 'glibc-new-64',
  resumePc: 'reload',
  errorPc: 'deregister_err',
  weakCasPcs: ['cas', 'fast_cas', 'slow_cas'],
  access: accessTable(ACCESS),
  step: stepNew64,
};

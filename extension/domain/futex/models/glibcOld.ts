/**
 * glibc <= 2.20 (FUTEX-SEMAPHORES.md §2.2, x86_64 sem_post.S/sem_wait.S): `value` is the futex word,
 * `nwaiters` a separate field that sem_post reads after publishing the token (bug 12674).
 *
 *   post:  start (load) → cas (lock cmpxchg: publish) → load_nwaiters → load_private → futex_wake
 *   wait:  start (decrement_if_positive load) → fast_cas → register → futex_wait → dip_load → slow_cas
 *          → deregister | cancel_unwind
 */
import { accessTable, cancelAtSyscall, casFailed, isWait, noToken, postWakeStep, waitOpts, type AccessSpec, type Ctx, type ModelProgram, type RunChoice } from '../ctx';
import { FUTEX_SHARED, SEM_VALUE_MAX, type OpKind } from '../types';

/** Program counters of this model (the step each one runs is in the doc comment above). */
export type OldPc =
  | 'start' | 'cas' | 'load_nwaiters' | 'load_private' | 'futex_wake' | 'fast_cas' | 'register' | 'futex_wait'
  | 'dip_load' | 'slow_cas' | 'deregister' | 'cancel_unwind';

function stepOld(c: Ctx<OldPc>, op: OpKind, choice: RunChoice): void {
  const t = c.t;
  const m = c.s.mem;
  if (op === 'sem_post') {
    switch (t.pc) {
      case 'start':
        c.name('load', `v := value = ${m.value}`);
        if (!c.touch('value', false)) return;
        t.word = m.value;
        t.pc = 'cas';
        return;
      case 'cas':
        if (t.word === SEM_VALUE_MAX) {
          c.name('return', 'value == SEM_VALUE_MAX');
          c.ret('-1 EOVERFLOW');
          return;
        }
        if (m.value === t.word) {
          c.name('cas_ok', `lock cmpxchg value ${t.word}→${t.word + 1}: token published`);
          if (!c.touch('value', true)) return;
          m.value += 1;
          c.s.tokens += 1;
          t.published = true;
          c.rec.note = 'from here on sem_post still reads *S (nwaiters, private)';
          t.pc = 'load_nwaiters';
        } else {
          casFailed(c, `lock cmpxchg: expected ${t.word}, found ${m.value}`, false, 'value', m.value);
        }
        return;
      case 'load_nwaiters':
        c.name('load_nwaiters', `full barrier; nwaiters = ${m.nwaiters}`);
        if (!c.touch('nwaiters (offset 8)', false)) return;
        t.guess = m.nwaiters;
        if (t.guess === 0) c.ret('0');
        else t.pc = 'load_private';
        return;
      case 'load_private':
        c.name('load_private', `op := FUTEX_WAKE | private (${m.priv})`);
        if (!c.touch('private (offset 4)', false)) return;
        t.priv = m.priv;
        t.wakeCount = 1;
        t.pc = 'futex_wake';
        return;
      case 'futex_wake':
        if (t.priv !== 0 && t.priv !== FUTEX_SHARED) {
          c.name('futex_wake', `futex(&value, FUTEX_WAKE | 0x${t.priv.toString(16)}, 1) → EINVAL (garbage op)`);
          c.rec.note = 'sem_post reports the failure: -1 EINVAL';
          c.ret('-1 EINVAL');
          return;
        }
        postWakeStep(c, choice);
        return;
    }
  }
  if (isWait(op)) {
    const tryw = op === 'sem_trywait';
    switch (t.pc) {
      case 'start':
        // glibc <= 2.20 has no __pthread_testcancel at entry (BZ#18243 added it in 2016): a pending cancel
        // acts at the futex_wait (async cancellation around the syscall).
        c.name('load', `decrement_if_positive: v := ${m.value}`);
        if (!c.touch('value', false)) return;
        t.word = m.value;
        if (t.word > 0) t.pc = 'fast_cas';
        else noToken(c, tryw, 'register');
        return;
      case 'fast_cas':
        if (m.value === t.word) {
          c.name('cas_ok', `lock cmpxchg value ${t.word}→${t.word - 1}: token taken`);
          if (!c.touch('value', true)) return;
          m.value -= 1;
          c.s.tokens -= 1;
          c.ret('0');
        } else {
          if (!casFailed(c, `lock cmpxchg: expected ${t.word}, found ${m.value}`, false, 'value', m.value)) return;
          if (t.word <= 0) noToken(c, tryw, 'register');
        }
        return;
      case 'register':
        c.name('register', `atomic nwaiters++: ${m.nwaiters}→${m.nwaiters + 1}`);
        if (!c.touch('nwaiters', true)) return;
        m.nwaiters += 1;
        t.registered = true;
        t.pc = 'futex_wait';
        return;
      case 'futex_wait': {
        if (cancelAtSyscall(c, 'cancel_unwind')) return;
        const r = c.futexWait(0, waitOpts(c, op));
        c.name('futex_wait', r === 'blocked' ? `value is 0: enqueued, ${t.name} sleeps`
          : `futex_wait(exp 0): kernel reads ${m.value} ≠ 0 → ${r === 'EAGAIN' ? 'EWOULDBLOCK' : r}`);
        t.pc = 'dip_load';
        return;
      }
      case 'dip_load':
        c.name('load', `decrement_if_positive: v := ${m.value}`);
        if (!c.touch('value', false)) return;
        t.word = m.value;
        t.pc = t.word > 0 ? 'slow_cas' : 'futex_wait';
        return;
      case 'slow_cas':
        if (m.value === t.word) {
          c.name('cas_ok', `lock cmpxchg value ${t.word}→${t.word - 1}: token taken`);
          if (!c.touch('value', true)) return;
          m.value -= 1;
          c.s.tokens -= 1;
          t.pendingRet = '0';
          t.pc = 'deregister';
        } else {
          if (!casFailed(c, `lock cmpxchg: expected ${t.word}, found ${m.value}`, false, 'value', m.value)) return;
          t.pc = t.word > 0 ? 'slow_cas' : 'futex_wait';
        }
        return;
      case 'deregister':
        c.name('deregister', `atomic nwaiters--: ${m.nwaiters}→${m.nwaiters - 1}`);
        if (!c.touch('nwaiters', true)) return;
        m.nwaiters -= 1;
        t.registered = false;
        c.ret(t.pendingRet);
        return;
      case 'cancel_unwind':
        c.name('cancel_unwind', t.registered ? `cleanup: nwaiters-- → ${m.nwaiters - 1}` : 'unwind (not registered)');
        if (t.registered) {
          if (!c.touch('nwaiters', true)) return;
          m.nwaiters -= 1;
        }
        c.exitCancelled();
        return;
    }
  }
  throw new Error(`glibc-old: no step for ${op} at ${t.pc}`);
}

/** How each step accesses memory (see accessTable). */
const ACCESS: Readonly<Record<string, AccessSpec>> = {
  'post.start': { kind: 'read', order: 'plain' },
  'post.cas': { kind: 'cas', order: 'seq_cst' },
  'post.load_nwaiters': { kind: 'read', order: 'plain' },
  'wait.start': { kind: 'read', order: 'plain' },
  'wait.fast_cas': { kind: 'cas', order: 'seq_cst' },
  'wait.register': { kind: 'rmw', rmw: 'fetch_add', order: 'seq_cst' },
  'wait.dip_load': { kind: 'read', order: 'plain' },
  'wait.slow_cas': { kind: 'cas', order: 'seq_cst' },
  'wait.deregister': { kind: 'rmw', rmw: 'fetch_add', order: 'seq_cst' },
  'wait.cancel_unwind': { kind: 'rmw', rmw: 'fetch_add', order: 'seq_cst' },
};

export const glibcOld: ModelProgram<OldPc> = {
  id: 'glibc-old',
  resumePc: 'dip_load',
  errorPc: 'deregister',
  weakCasPcs: [],
  access: accessTable(ACCESS),
  step: stepOld,
};

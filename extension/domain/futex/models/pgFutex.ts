/**
 * PostgreSQL's futex semaphore (FUTEX-SEMAPHORES.md §5, macdice/postgres sem_init.c): one 32-bit counter,
 * no waiter count.
 *
 *   post:  start (fetch_add) → futex_wake(INT_MAX)
 *   wait:  start (trywait load) → cas → futex_wait → start ...
 */
import { accessTable, isWait, noToken, wakeStep, type AccessSpec, type Ctx, type ModelProgram, type RunChoice } from '../ctx';
import type { OpKind } from '../types';
import { INT_MAX } from '../words';

/** Program counters of this model (the step each one runs is in the doc comment above). */
export type PgPc =
  | 'start' | 'cas' | 'futex_wait' | 'futex_wake';

function stepPg(c: Ctx<PgPc>, op: OpKind, choice: RunChoice): void {
  const t = c.t;
  const m = c.s.mem;
  if (op === 'sem_post') {
    switch (t.pc) {
      case 'start':
        c.name('fetch_add', `fetch_add(counter, 1): ${m.value}→${m.value + 1}`);
        if (!c.touch('counter', true)) return;
        m.value += 1;
        c.s.tokens += 1;
        t.published = true;
        t.wakeCount = INT_MAX;
        t.pc = 'futex_wake';
        return;
      case 'futex_wake':
        wakeStep(c, choice.wake, 0, () => c.ret(c.s.mem.status === 'unmapped' ? '-1 EFAULT' : '0'));
        return;
    }
  }
  if (isWait(op)) {
    const tryw = op === 'sem_trywait';
    switch (t.pc) {
      case 'start':
        c.name('load', `pg_sem_trywait: v := ${m.value}`);
        if (!c.touch('counter', false)) return;
        t.word = m.value;
        if (t.word > 0) t.pc = 'cas';
        else noToken(c, tryw, 'futex_wait');
        return;
      case 'cas':
        if (m.value === t.word) {
          c.name('cas_ok', `CAS ${t.word}→${t.word - 1}: token taken`);
          if (!c.touch('counter', true)) return;
          m.value -= 1;
          c.s.tokens -= 1;
          c.ret('0');
        } else {
          c.name('cas_fail', `CAS: expected ${t.word}, found ${m.value}`);
          if (!c.touch('counter', false)) return;
          t.word = m.value;
          if (t.word <= 0) noToken(c, tryw, 'futex_wait');
        }
        return;
      case 'futex_wait': {
        const r = c.futexWait(0);
        c.name('futex_wait', r === 'blocked' ? `counter is 0: enqueued, ${t.name} sleeps`
          : `futex_wait(exp 0): kernel reads ${m.value} ≠ 0 → ${r}`);
        // pg_futex_wait returns 0 when the counter differs (EAGAIN) and after a wake: pg_sem_wait loops
        // (macdice/postgres pg_futex.h and sem_init.c @ bf2ceb73; posix_sema.c @ 4614b62e retries the same way)
        t.pc = 'start';
        if (r !== 'blocked') c.rec.note = 'the counter changed under us: pg_sem_wait tries again';
        return;
      }
    }
  }
  throw new Error(`pg-futex: no step for ${op} at ${t.pc}`);
}

/** How each step accesses memory (see accessTable). */
const ACCESS: Readonly<Record<string, AccessSpec>> = {
  'post.start': { kind: 'rmw', rmw: 'fetch_add', order: 'seq_cst' },
  'wait.cas': { kind: 'cas', order: 'seq_cst' },
};

export const pgFutex: ModelProgram<PgPc> = {
  id: 'pg-futex',
  resumePc: 'start',
  errorPc: null,
  weakCasPcs: [],
  access: accessTable(ACCESS),
  step: stepPg,
};

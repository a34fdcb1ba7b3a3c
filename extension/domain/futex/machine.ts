/**
 * The reducer: `step(state, choice) -> state` and `enabled(state) -> Choice[]`, one atomic step at a time,
 * for the four models of FUTEX-SEMAPHORES.md. Every step does at most one access to the semaphore's memory
 * (a load, a store or one atomic read-modify-write) or one futex system call, plus the thread-local
 * computation that follows it up to the next shared access. The kernel's compare-and-block is one step (§4).
 *
 * Program counters (`pc`) per model, in the spec's vocabulary:
 *   glibc-new-64  post:  start(read_private) load cas futex_wake            (§1.4)
 *                 wait:  start(testcancel+load) fast_cas register futex_wait reload slow_cas deregister_err
 *                        cancel_unwind                                       (§1.5, §1.6)
 *   glibc-new-32  post:  start(read_private) load cas futex_wake
 *                 wait:  start fast_cas register load_v set_bit futex_wait reload take_cas
 *                        finish_guess clear_bit deregister repair futex_wake cancel_unwind   (§1.7)
 *   glibc-old     post:  start(load) cas load_nwaiters load_private futex_wake (§2.2)
 *                 wait:  start(load) fast_cas register futex_wait dip_load slow_cas deregister cancel_unwind
 *   pg-futex      post:  start(fetch_add) futex_wake; wait: start(load) cas futex_wait   (§5, sem_init.c)
 */
import {
  FUTEX_PRIVATE, FUTEX_SHARED, SEM_VALUE_MAX, TWO32,
  type Choice, type FutexState, type Memory, type ModelId, type OpKind, type Scenario, type StepName,
  type StepRecord, type ThreadState, type Violation,
} from './types';

const INT_MAX = 2147483647;
const GARBAGE = { value: 0x41414141, nwaiters: 0x42424242, priv: 0x43434343 };

export const lo = (d: number): number => d % TWO32;
export const hi = (d: number): number => Math.floor(d / TWO32);
/** glibc-new-64's `data` word as a number (nwaiters * 2^32 + value; exact below 2^53). */
export const data64 = (m: Memory): number => m.nwaiters * TWO32 + m.value;

/** Tokens (the semaphore's value) encoded in the memory words. */
export function tokensOf(model: ModelId, m: Memory): number {
  return model === 'glibc-new-32' ? m.value >>> 1 : m.value;
}

/** The word the model's CASes operate on, for comparing with a thread's local copy. */
function casWord(model: ModelId, m: Memory): number {
  return model === 'glibc-new-64' ? data64(m) : m.value;
}

export function fmtWord(model: ModelId, d: number): string {
  if (model === 'glibc-new-64') return `(${hi(d)},${lo(d)})`;
  if (model === 'glibc-new-32') return `(tokens ${d >>> 1}, bit ${d & 1})`;
  return String(d);
}

function fmtMem(model: ModelId, m: Memory): string {
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

/** Where a waiter resumes after futex_wait returns 0 (woken or spurious). */
function resumePc(model: ModelId): string {
  return model === 'glibc-old' ? 'dip_load' : model === 'pg-futex' ? 'start' : 'reload';
}

function freshThread(name: string): ThreadState {
  return {
    name, op: 0, pc: 'start', status: 'ready', d: 0, p: 0, g: 0, n: 0, r: '', registered: false,
    pendingCancel: false, cancelSent: false, unwinding: false, window: false, results: [],
  };
}

export interface StateOptions {
  /** run the scenario under another model than its own. */
  model?: ModelId;
}

/** The initial state of a scenario (threads at their first step; pre-registered waiters imported). */
export function initialState(sc: Scenario, opts: StateOptions = {}): FutexState {
  const model = opts.model ?? sc.model;
  const mem = initMemory(model, sc.initial.value, sc.initial.pshared);
  const threads: ThreadState[] = [];
  const queue: number[] = [];
  sc.threads.forEach((spec, tid) => {
    const t = freshThread(spec.name);
    if (spec.ops.length === 0) t.status = 'done';
    if (spec.registered && model !== 'pg-futex') {
      // A waiter that a live semaphore's nwaiters says is registered: inside the slow path.
      t.registered = true;
      mem.nwaiters += 1;
      if (model === 'glibc-new-32') mem.value |= 1;
    }
    if (spec.registered) {
      const tokens = tokensOf(model, mem);
      t.pc = resumePc(model);
      if (tokens === 0) {
        t.status = 'blocked';
        queue.push(tid);
      }
    }
    threads.push(t);
  });
  return {
    model, scenario: sc, mem, queue, threads, left: { ...sc.budget }, tokens: sc.initial.value, violations: [],
    last: null,
  };
}

/** The scenario a state was made from (kept on the state by reference, not part of its identity). */
export function scenarioOf(s: FutexState): Scenario {
  return s.scenario;
}

function opOf(s: FutexState, tid: number): OpKind | null {
  const t = s.threads[tid];
  const spec = scenarioOf(s).threads[tid];
  return spec.ops[t.op]?.op ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// One step, executed on a copy of the state.

class Ctx {
  readonly s: FutexState;
  readonly t: ThreadState;
  readonly rec: StepRecord;
  crashed = false;

  constructor(prev: FutexState, readonly tid: number, actor: string) {
    this.s = {
      ...prev,
      mem: { ...prev.mem },
      queue: [...prev.queue],
      threads: prev.threads.map((x, i) => (i === tid ? { ...x, results: [...x.results] } : x)),
      left: { ...prev.left },
      violations: [...prev.violations],
      last: null,
    };
    this.t = this.s.threads[tid];
    this.rec = { actor, name: 'load', detail: '' };
    if (actor !== 'env') this.t.window = false;
  }

  get model(): ModelId {
    return this.s.model;
  }

  violate(v: Violation): void {
    this.s.violations.push(v);
    (this.rec.violations ??= []).push(v);
  }

  /** A user-space access to the semaphore's memory. Flags use after free; returns false if it faulted. */
  touch(what: string, store: boolean): boolean {
    const st = this.s.mem.status;
    if (st === 'live') return true;
    const orig = this.rec.name;
    this.rec.name = store ? 'UAF_store' : 'UAF_load';
    this.rec.detail = `${orig}: ${this.rec.detail}`.replace(/: $/, '');
    const where =
      st === 'destroyed' ? 'after sem_destroy' : st === 'freed' ? 'after free()' : st === 'reused'
        ? 'after the block was freed and reused' : 'after munmap()';
    const fault = st === 'unmapped';
    this.violate({
      kind: 'use-after-free',
      thread: this.t.name,
      message: `${this.t.name} ${store ? 'writes' : 'reads'} ${what} ${where}` +
        (fault ? ': the page is gone, SIGSEGV kills the process' : st === 'reused'
          ? ': it sees another object\'s bytes' : st === 'destroyed'
            ? ': the owner may free or unmap the memory at any moment now (POSIX allows it once sem_wait returned)'
            : ': the bytes are stale, and free() may already have written its own data there'),
    });
    if (fault) {
      this.crashed = true;
      for (let i = 0; i < this.s.threads.length; i++) {
        const x = this.s.threads[i];
        if (x.status !== 'done' && x.status !== 'cancelled') this.s.threads[i] = { ...x, status: 'crashed' };
      }
      this.s.queue = [];
    }
    return !fault;
  }

  name(n: StepName, detail: string): void {
    this.rec.name = n;
    this.rec.detail = detail;
  }

  /** Finish the current operation with return value r. */
  ret(r: string): void {
    const t = this.t;
    t.results.push(r);
    this.rec.ret = r;
    t.op += 1;
    t.pc = 'start';
    t.d = 0; t.p = 0; t.g = 0; t.n = 0; t.r = '';
    t.unwinding = false;
    const spec = scenarioOf(this.s).threads[this.tid];
    if (t.op >= spec.ops.length) t.status = 'done';
  }

  /** The thread leaves through cancellation (its cleanup handlers have run). */
  exitCancelled(): void {
    const t = this.t;
    t.results.push('PTHREAD_CANCELED');
    this.rec.ret = 'PTHREAD_CANCELED';
    t.status = 'cancelled';
    t.unwinding = false;
    t.registered = false;
  }

  /** The kernel's futex_wait: compare the futex word with `expected` and block, as one step (§4.1). */
  futexWait(expected: number): 'EAGAIN' | 'EFAULT' | 'blocked' {
    const m = this.s.mem;
    if (m.status === 'unmapped') return 'EFAULT';
    if (m.value !== expected) return 'EAGAIN';
    this.s.queue.push(this.tid);
    this.t.status = 'blocked';
    return 'blocked';
  }

  /** The kernel's futex_wake(n): dequeues up to n sleepers (which ones: `pick`, else FIFO). Returns k. */
  futexWake(n: number, shared: boolean, pick?: number[]): number | 'EFAULT' {
    const m = this.s.mem;
    if (m.status !== 'live') {
      this.rec.note = m.status === 'unmapped' && shared
        ? 'benign: the address is unmapped, the kernel returns EFAULT and glibc ignores it'
        : `benign: no user-space access to the ${m.status} memory; the kernel wakes nobody (or an unrelated ` +
          'reuser of the address, spuriously)';
      if (m.status === 'unmapped' && shared) return 'EFAULT';
    }
    const q = this.s.queue;
    const chosen = pick && pick.length ? pick.filter((x) => q.includes(x)).slice(0, n) : q.slice(0, n);
    for (const w of chosen) {
      const i = q.indexOf(w);
      if (i >= 0) q.splice(i, 1);
      const x = this.s.threads[w];
      this.s.threads[w] = { ...x, status: 'ready', window: true };
    }
    return chosen.length;
  }

}

function threadNames(s: FutexState, tids: number[]): string {
  return tids.map((i) => s.threads[i].name).join(', ');
}

// ---------------------------------------------------------------------------------------------------------
// Model programs. Each handles the thread's pc and leaves the thread at its next pc (or finished).

function cancelAtEntry(c: Ctx): boolean {
  if (!c.t.pendingCancel) return false;
  c.t.pendingCancel = false;
  c.name('cancel_unwind', '__pthread_testcancel at entry: the pending cancel acts before any access');
  c.exitCancelled();
  return true;
}

/** A futex_wait whose thread has a pending cancel: the syscall is a cancellation point (§6 d1/d3). */
function cancelAtSyscall(c: Ctx): boolean {
  if (!c.t.pendingCancel) return false;
  c.t.pendingCancel = false;
  c.name('futex_wait', 'cancellation point: pthread_cancel pending → unwind');
  c.t.pc = 'cancel_unwind';
  return true;
}

function wakeStep(c: Ctx, pick: number[] | undefined, shared: boolean, then: () => void): void {
  const t = c.t;
  const before = [...c.s.queue];
  const k = c.futexWake(t.n, shared, pick);
  const woken = before.filter((x) => !c.s.queue.includes(x));
  c.name('futex_wake', `futex_wake(${t.n === INT_MAX ? 'INT_MAX' : t.n}) → ${k}${woken.length ? ` [${threadNames(c.s, woken)}]` : ''}`);
  then();
}

function stepNew64(c: Ctx, op: OpKind, choice: Extract<Choice, { kind: 'run' }>): void {
  const t = c.t;
  const m = c.s.mem;
  const spurious = !!choice.casSpurious;
  const afterFail = (): void => {
    t.pc = lo(t.d) === 0 ? 'futex_wait' : 'slow_cas';
  };
  if (op === 'sem_post' || op === 'sem_post_broken') {
    switch (t.pc) {
      case 'start':
        c.name('read_private', `p := private = ${m.priv}`);
        if (!c.touch('private', false)) return;
        t.p = m.priv;
        t.pc = op === 'sem_post' ? 'load' : 'load_nwaiters';
        return;
      case 'load':
        c.name('load', `d := ${fmtWord(c.model, data64(m))}`);
        if (!c.touch('data', false)) return;
        t.d = data64(m);
        t.pc = 'cas';
        return;
      case 'cas': {
        if (lo(t.d) === SEM_VALUE_MAX) {
          c.name('return', 'value == SEM_VALUE_MAX');
          c.ret('-1 EOVERFLOW');
          return;
        }
        const cur = data64(m);
        if (cur === t.d && !spurious) {
          c.name('cas_ok', `${fmtWord(c.model, t.d)}→${fmtWord(c.model, t.d + 1)}: token published`);
          if (!c.touch('data', true)) return;
          m.value += 1;
          c.s.tokens += 1;
          if (hi(t.d) > 0) {
            t.n = 1;
            t.pc = 'futex_wake';
            c.rec.note = `nwaiters was ${hi(t.d)} at the CAS: will wake; no user-space access to *S from here on`;
          } else {
            c.rec.note = 'skip_wake: nwaiters was 0 at the CAS';
            c.ret('0');
          }
        } else {
          c.name('cas_fail', `expected ${fmtWord(c.model, t.d)}, found ${fmtWord(c.model, cur)}${spurious ? ' (spurious weak-CAS failure)' : ''}; d reloaded`);
          if (spurious) c.s.left.weakCas -= 1;
          if (!c.touch('data', false)) return;
          t.d = cur;
        }
        return;
      }
      case 'load_nwaiters':
        // BROKEN (§6 b2): nwaiters read in its own load, before the increment.
        c.name('load', `BROKEN post: n := nwaiters = ${m.nwaiters} (read before the increment)`);
        if (!c.touch('nwaiters', false)) return;
        t.d = data64(m);
        t.pc = 'fetch_add';
        return;
      case 'fetch_add':
        c.name('fetch_add', `value ${m.value}→${m.value + 1} (nwaiters not re-checked)`);
        if (!c.touch('data', true)) return;
        m.value += 1;
        c.s.tokens += 1;
        if (hi(t.d) > 0) {
          t.n = 1;
          t.pc = 'futex_wake';
        } else {
          c.rec.note = 'skip_wake: the stale nwaiters read was 0';
          c.ret('0');
        }
        return;
      case 'futex_wake':
        wakeStep(c, choice.wake, t.p === FUTEX_SHARED, () => c.ret('0'));
        return;
    }
  }
  if (op === 'sem_wait' || op === 'sem_timedwait' || op === 'sem_trywait') {
    const tryw = op === 'sem_trywait';
    switch (t.pc) {
      case 'start':
        if (!tryw && cancelAtEntry(c)) return;
        c.name('load', `fast path: d := ${fmtWord(c.model, data64(m))}`);
        if (!c.touch('data', false)) return;
        t.d = data64(m);
        if (lo(t.d) === 0) {
          if (tryw) c.ret('-1 EAGAIN');
          else t.pc = 'register';
        } else t.pc = 'fast_cas';
        return;
      case 'fast_cas': {
        const cur = data64(m);
        if (cur === t.d && !spurious) {
          c.name('cas_ok', `fast path ${fmtWord(c.model, t.d)}→${fmtWord(c.model, t.d - 1)}: token taken`);
          if (!c.touch('data', true)) return;
          m.value -= 1;
          c.s.tokens -= 1;
          c.ret('0');
        } else {
          c.name('cas_fail', `fast path: expected ${fmtWord(c.model, t.d)}, found ${fmtWord(c.model, cur)}${spurious ? ' (spurious)' : ''}`);
          if (spurious) c.s.left.weakCas -= 1;
          if (!c.touch('data', false)) return;
          t.d = cur;
          if (!tryw) t.pc = 'register'; // definitive = 0: one attempt, then the slow path
          else if (lo(t.d) === 0) c.ret('-1 EAGAIN');
        }
        return;
      }
      case 'register':
        c.name('register', `fetch_add(data, 1<<32): ${fmtWord(c.model, data64(m))}→${fmtWord(c.model, data64(m) + TWO32)}`);
        if (!c.touch('data', true)) return;
        t.d = data64(m);
        m.nwaiters += 1;
        t.registered = true;
        afterFail();
        return;
      case 'futex_wait': {
        if (cancelAtSyscall(c)) return;
        const r = c.futexWait(0);
        c.name('futex_wait', r === 'blocked' ? `value half is 0: enqueued, ${t.name} sleeps`
          : `futex_wait(exp 0): kernel reads ${m.value} ≠ 0 → ${r}`);
        t.pc = 'reload';
        return;
      }
      case 'reload':
        c.name('load', `reload d := ${fmtWord(c.model, data64(m))}`);
        if (!c.touch('data', false)) return;
        t.d = data64(m);
        afterFail();
        return;
      case 'slow_cas': {
        const cur = data64(m);
        const next = t.d - 1 - TWO32;
        if (cur === t.d && !spurious) {
          c.name('cas_ok', `${fmtWord(c.model, t.d)}→${fmtWord(c.model, next)}: token taken and deregistered`);
          if (!c.touch('data', true)) return;
          m.value -= 1;
          m.nwaiters -= 1;
          c.s.tokens -= 1;
          t.registered = false;
          c.ret('0');
        } else {
          c.name('cas_fail', `expected ${fmtWord(c.model, t.d)}, found ${fmtWord(c.model, cur)}${spurious ? ' (spurious)' : ''}; d reloaded`);
          if (spurious) c.s.left.weakCas -= 1;
          if (!c.touch('data', false)) return;
          t.d = cur;
          afterFail();
        }
        return;
      }
      case 'deregister_err':
        c.name('deregister', `fetch_add(data, -(1<<32)) after ${t.r.slice(3)}: ${fmtWord(c.model, data64(m))}→${fmtWord(c.model, data64(m) - TWO32)}`);
        if (!c.touch('data', true)) return;
        m.nwaiters -= 1;
        t.registered = false;
        c.ret(t.r);
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

function stepNew32(c: Ctx, op: OpKind, choice: Extract<Choice, { kind: 'run' }>): void {
  const t = c.t;
  const m = c.s.mem;
  const spurious = !!choice.casSpurious;
  const tok = (v: number): number => v >>> 1;
  const check = (): void => {
    t.pc = tok(t.d) === 0 ? 'futex_wait' : 'take_cas';
  };
  const top = (): void => {
    if ((t.d & 1) === 0) t.pc = 'set_bit';
    else check();
  };
  const finish = (): void => {
    if (t.unwinding) c.exitCancelled();
    else c.ret(t.r);
  };
  if (op === 'sem_post') {
    switch (t.pc) {
      case 'start':
        c.name('read_private', `p := private = ${m.priv}`);
        if (!c.touch('private', false)) return;
        t.p = m.priv;
        t.pc = 'load';
        return;
      case 'load':
        c.name('load', `v := ${fmtWord(c.model, m.value)}`);
        if (!c.touch('value', false)) return;
        t.d = m.value;
        t.pc = 'cas';
        return;
      case 'cas': {
        if (tok(t.d) === SEM_VALUE_MAX) {
          c.name('return', 'value == SEM_VALUE_MAX');
          c.ret('-1 EOVERFLOW');
          return;
        }
        if (m.value === t.d && !spurious) {
          c.name('cas_ok', `${fmtWord(c.model, t.d)}→${fmtWord(c.model, t.d + 2)}: token published`);
          if (!c.touch('value', true)) return;
          m.value += 2;
          c.s.tokens += 1;
          if (t.d & 1) {
            t.n = 1;
            t.pc = 'futex_wake';
          } else {
            c.rec.note = 'skip_wake: the waiter bit was clear at the CAS';
            c.ret('0');
          }
        } else {
          c.name('cas_fail', `expected ${fmtWord(c.model, t.d)}, found ${fmtWord(c.model, m.value)}${spurious ? ' (spurious)' : ''}; v reloaded`);
          if (spurious) c.s.left.weakCas -= 1;
          if (!c.touch('value', false)) return;
          t.d = m.value;
        }
        return;
      }
      case 'futex_wake':
        wakeStep(c, choice.wake, t.p === FUTEX_SHARED, () => c.ret('0'));
        return;
    }
  }
  if (op === 'sem_wait' || op === 'sem_timedwait' || op === 'sem_trywait') {
    const tryw = op === 'sem_trywait';
    switch (t.pc) {
      case 'start':
        if (!tryw && cancelAtEntry(c)) return;
        c.name('load', `fast path: v := ${fmtWord(c.model, m.value)}`);
        if (!c.touch('value', false)) return;
        t.d = m.value;
        if (tok(t.d) === 0) {
          if (tryw) c.ret('-1 EAGAIN');
          else t.pc = 'register';
        } else t.pc = 'fast_cas';
        return;
      case 'fast_cas':
        if (m.value === t.d && !spurious) {
          c.name('cas_ok', `fast path ${fmtWord(c.model, t.d)}→${fmtWord(c.model, t.d - 2)}: token taken`);
          if (!c.touch('value', true)) return;
          m.value -= 2;
          c.s.tokens -= 1;
          c.ret('0');
        } else {
          c.name('cas_fail', `fast path: expected ${fmtWord(c.model, t.d)}, found ${fmtWord(c.model, m.value)}${spurious ? ' (spurious)' : ''}`);
          if (spurious) c.s.left.weakCas -= 1;
          if (!c.touch('value', false)) return;
          t.d = m.value;
          if (!tryw) t.pc = 'register';
          else if (tok(t.d) === 0) c.ret('-1 EAGAIN');
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
        t.d = m.value;
        top();
        return;
      case 'set_bit':
        if (m.value === t.d && !spurious) {
          c.name('set_bit', `CAS ${fmtWord(c.model, t.d)}→${fmtWord(c.model, t.d | 1)} (local v keeps the old value)`);
          if (!c.touch('value', true)) return;
          m.value = t.d | 1;
          check();
        } else {
          c.name('cas_fail', `set_bit: expected ${fmtWord(c.model, t.d)}, found ${fmtWord(c.model, m.value)}${spurious ? ' (spurious)' : ''}`);
          if (spurious) c.s.left.weakCas -= 1;
          if (!c.touch('value', false)) return;
          t.d = m.value;
          top();
        }
        return;
      case 'futex_wait': {
        if (cancelAtSyscall(c)) return;
        const r = c.futexWait(1);
        c.name('futex_wait', r === 'blocked' ? `word is 1 (0 tokens, bit set): enqueued, ${t.name} sleeps`
          : `futex_wait(exp 1): kernel reads ${m.value} ≠ 1 → ${r}`);
        t.pc = 'reload';
        return;
      }
      case 'reload':
        c.name('load', `reload v := ${fmtWord(c.model, m.value)}`);
        if (!c.touch('value', false)) return;
        t.d = m.value;
        if (tok(t.d) === 0) top();
        else t.pc = 'take_cas';
        return;
      case 'take_cas':
        if (m.value === t.d && !spurious) {
          c.name('cas_ok', `${fmtWord(c.model, t.d)}→${fmtWord(c.model, t.d - 2)}: token taken (bit unchanged)`);
          if (!c.touch('value', true)) return;
          m.value -= 2;
          c.s.tokens -= 1;
          t.r = '0';
          t.pc = 'finish_guess';
        } else {
          c.name('cas_fail', `take: expected ${fmtWord(c.model, t.d)}, found ${fmtWord(c.model, m.value)}${spurious ? ' (spurious)' : ''}; v reloaded`);
          if (spurious) c.s.left.weakCas -= 1;
          if (!c.touch('value', false)) return;
          t.d = m.value;
          top();
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
        t.g = m.nwaiters;
        t.pc = t.g === 1 ? 'clear_bit' : 'deregister';
        return;
      case 'clear_bit':
        c.name('clear_bit', `fetch_and(value, ~1): ${fmtWord(c.model, m.value)}→${fmtWord(c.model, m.value & ~1)}`);
        if (!c.touch('value', true)) return;
        m.value = m.value & ~1;
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
        if (f > 1 && t.g === 1) {
          c.rec.note = `misspeculation: guessed 1 waiter, found ${f}: repair`;
          t.pc = 'repair';
        } else finish();
        return;
      }
      case 'repair': {
        c.name('set_bit', `repair: fetch_or(value, 1): ${fmtWord(c.model, m.value)}→${fmtWord(c.model, m.value | 1)}`);
        if (!c.touch('value', true)) return;
        const old = m.value;
        m.value = m.value | 1;
        if (tok(old) > 0) {
          t.n = tok(old);
          t.pc = 'repair_wake';
        } else finish();
        return;
      }
      case 'repair_wake':
        // futex_wake(&value, tokens, sem->private): reads private (still inside sem_wait: legal).
        if (!c.touch('private', false)) return;
        wakeStep(c, choice.wake, m.priv === FUTEX_SHARED, finish);
        return;
    }
  }
  throw new Error(`glibc-new-32: no step for ${op} at ${t.pc}`);
}

function stepOld(c: Ctx, op: OpKind, choice: Extract<Choice, { kind: 'run' }>): void {
  const t = c.t;
  const m = c.s.mem;
  if (op === 'sem_post') {
    switch (t.pc) {
      case 'start':
        c.name('load', `v := value = ${m.value}`);
        if (!c.touch('value', false)) return;
        t.d = m.value;
        t.pc = 'cas';
        return;
      case 'cas':
        if (t.d === SEM_VALUE_MAX) {
          c.name('return', 'value == SEM_VALUE_MAX');
          c.ret('-1 EOVERFLOW');
          return;
        }
        if (m.value === t.d) {
          c.name('cas_ok', `lock cmpxchg value ${t.d}→${t.d + 1}: token published`);
          if (!c.touch('value', true)) return;
          m.value += 1;
          c.s.tokens += 1;
          c.rec.note = 'from here on sem_post still reads *S (nwaiters, private)';
          t.pc = 'load_nwaiters';
        } else {
          c.name('cas_fail', `lock cmpxchg: expected ${t.d}, found ${m.value}`);
          if (!c.touch('value', false)) return;
          t.d = m.value;
        }
        return;
      case 'load_nwaiters':
        c.name('load_nwaiters', `full barrier; nwaiters = ${m.nwaiters}`);
        if (!c.touch('nwaiters (offset 8)', false)) return;
        t.g = m.nwaiters;
        if (t.g === 0) c.ret('0');
        else t.pc = 'load_private';
        return;
      case 'load_private':
        c.name('load_private', `op := FUTEX_WAKE | private (${m.priv})`);
        if (!c.touch('private (offset 4)', false)) return;
        t.p = m.priv;
        t.n = 1;
        t.pc = 'futex_wake';
        return;
      case 'futex_wake':
        if (t.p !== 0 && t.p !== FUTEX_SHARED) {
          c.name('futex_wake', `futex(&value, FUTEX_WAKE | 0x${t.p.toString(16)}, 1) → EINVAL (garbage op)`);
          c.rec.note = 'sem_post reports the failure: -1 EINVAL';
          c.ret('-1 EINVAL');
          return;
        }
        wakeStep(c, choice.wake, t.p === 0, () => c.ret('0'));
        return;
    }
  }
  if (op === 'sem_wait' || op === 'sem_timedwait' || op === 'sem_trywait') {
    const tryw = op === 'sem_trywait';
    const noToken = (): void => {
      if (tryw) c.ret('-1 EAGAIN');
      else t.pc = 'register';
    };
    switch (t.pc) {
      case 'start':
        // glibc <= 2.20 has no __pthread_testcancel at entry (BZ#18243 added it in 2016): a pending cancel
        // acts at the futex_wait (async cancellation around the syscall).
        c.name('load', `decrement_if_positive: v := ${m.value}`);
        if (!c.touch('value', false)) return;
        t.d = m.value;
        if (t.d > 0) t.pc = 'fast_cas';
        else noToken();
        return;
      case 'fast_cas':
        if (m.value === t.d) {
          c.name('cas_ok', `lock cmpxchg value ${t.d}→${t.d - 1}: token taken`);
          if (!c.touch('value', true)) return;
          m.value -= 1;
          c.s.tokens -= 1;
          c.ret('0');
        } else {
          c.name('cas_fail', `lock cmpxchg: expected ${t.d}, found ${m.value}`);
          if (!c.touch('value', false)) return;
          t.d = m.value;
          if (t.d <= 0) noToken();
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
        if (cancelAtSyscall(c)) return;
        const r = c.futexWait(0);
        c.name('futex_wait', r === 'blocked' ? `value is 0: enqueued, ${t.name} sleeps`
          : `futex_wait(exp 0): kernel reads ${m.value} ≠ 0 → ${r === 'EAGAIN' ? 'EWOULDBLOCK' : r}`);
        t.pc = 'dip_load';
        return;
      }
      case 'dip_load':
        c.name('load', `decrement_if_positive: v := ${m.value}`);
        if (!c.touch('value', false)) return;
        t.d = m.value;
        t.pc = t.d > 0 ? 'slow_cas' : 'futex_wait';
        return;
      case 'slow_cas':
        if (m.value === t.d) {
          c.name('cas_ok', `lock cmpxchg value ${t.d}→${t.d - 1}: token taken`);
          if (!c.touch('value', true)) return;
          m.value -= 1;
          c.s.tokens -= 1;
          t.r = '0';
          t.pc = 'deregister';
        } else {
          c.name('cas_fail', `lock cmpxchg: expected ${t.d}, found ${m.value}`);
          if (!c.touch('value', false)) return;
          t.d = m.value;
          t.pc = t.d > 0 ? 'slow_cas' : 'futex_wait';
        }
        return;
      case 'deregister':
        c.name('deregister', `atomic nwaiters--: ${m.nwaiters}→${m.nwaiters - 1}`);
        if (!c.touch('nwaiters', true)) return;
        m.nwaiters -= 1;
        t.registered = false;
        c.ret(t.r);
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

function stepPg(c: Ctx, op: OpKind, choice: Extract<Choice, { kind: 'run' }>): void {
  const t = c.t;
  const m = c.s.mem;
  if (op === 'sem_post') {
    switch (t.pc) {
      case 'start':
        c.name('fetch_add', `fetch_add(counter, 1): ${m.value}→${m.value + 1}`);
        if (!c.touch('counter', true)) return;
        m.value += 1;
        c.s.tokens += 1;
        t.n = INT_MAX;
        t.pc = 'futex_wake';
        return;
      case 'futex_wake':
        wakeStep(c, choice.wake, true, () => c.ret(c.s.mem.status === 'unmapped' ? '-1 EFAULT' : '0'));
        return;
    }
  }
  if (op === 'sem_wait' || op === 'sem_timedwait' || op === 'sem_trywait') {
    const tryw = op === 'sem_trywait';
    const noToken = (): void => {
      if (tryw) c.ret('-1 EAGAIN');
      else t.pc = 'futex_wait';
    };
    switch (t.pc) {
      case 'start':
        c.name('load', `pg_sem_trywait: v := ${m.value}`);
        if (!c.touch('counter', false)) return;
        t.d = m.value;
        if (t.d > 0) t.pc = 'cas';
        else noToken();
        return;
      case 'cas':
        if (m.value === t.d) {
          c.name('cas_ok', `CAS ${t.d}→${t.d - 1}: token taken`);
          if (!c.touch('counter', true)) return;
          m.value -= 1;
          c.s.tokens -= 1;
          c.ret('0');
        } else {
          c.name('cas_fail', `CAS: expected ${t.d}, found ${m.value}`);
          if (!c.touch('counter', false)) return;
          t.d = m.value;
          if (t.d <= 0) noToken();
        }
        return;
      case 'futex_wait': {
        const r = c.futexWait(0);
        c.name('futex_wait', r === 'blocked' ? `counter is 0: enqueued, ${t.name} sleeps`
          : `futex_wait(exp 0): kernel reads ${m.value} ≠ 0 → ${r}`);
        if (r === 'blocked') {
          t.pc = 'start';
        } else {
          c.rec.note = 'pg_sem_wait returns -1 on any futex_wait error, EAGAIN included (sem_init.c)';
          c.violate({
            kind: 'assertion', thread: t.name,
            message: `${t.name}: pg_sem_wait failed with EAGAIN because a post changed the counter between its ` +
              'trywait and futex_wait; POSIX sem_wait has no EAGAIN, so a caller that does not retry misreads it',
          });
          c.ret(`-1 ${r}`);
        }
        return;
      }
    }
  }
  throw new Error(`pg-futex: no step for ${op} at ${t.pc}`);
}

/** sem_init / sem_destroy / free / munmap / reuse: the same in every model. */
function stepLifetime(c: Ctx, op: OpKind): boolean {
  const m = c.s.mem;
  const t = c.t;
  const spec = scenarioOf(c.s).threads[c.tid].ops[t.op];
  switch (op) {
    case 'sem_init': {
      const v = spec.value ?? 0;
      c.name('init', `sem_init(${v}): plain stores`);
      if (m.status !== 'live' && m.status !== 'destroyed') {
        if (!c.touch('the whole semaphore', true)) return true;
      }
      const fresh = initMemory(c.model, v, scenarioOf(c.s).initial.pshared);
      c.s.mem = fresh;
      c.s.tokens = v;
      c.ret('0');
      return true;
    }
    case 'sem_destroy': {
      c.name('destroy', 'sem_destroy: touches no memory; the semaphore is dead from here on');
      const busy = c.s.threads.filter((x, i) => i !== c.tid && x.registered && x.status !== 'done');
      if (busy.length) {
        c.violate({
          kind: 'assertion', thread: t.name,
          message: `${t.name} destroys the semaphore while ${busy.map((x) => x.name).join(', ')} ${busy.length > 1 ? 'are' : 'is'} ` +
            'still waiting in sem_wait (undefined behaviour per POSIX)',
        });
      }
      if (m.status !== 'live') c.touch('the semaphore (destroy twice?)', false);
      else m.status = 'destroyed';
      c.ret('0');
      return true;
    }
    case 'free':
    case 'munmap':
      c.name(op, op === 'free' ? 'free(S): the block goes back to malloc (bytes stay, mapped)' : 'munmap(S): the page is gone');
      if (m.status === 'freed' || m.status === 'unmapped' || m.status === 'reused') {
        c.violate({ kind: 'assertion', thread: t.name, message: `${t.name} releases memory that was already released` });
      }
      m.status = op === 'free' ? 'freed' : 'unmapped';
      c.ret('0');
      return true;
    case 'reuse':
      c.name('reuse', 'malloc hands the block to another object, which overwrites it');
      if (m.status !== 'freed') {
        c.violate({ kind: 'assertion', thread: t.name, message: `${t.name} reuses memory that was not freed (${m.status})` });
      }
      c.s.mem = { status: 'reused', ...GARBAGE };
      c.ret('0');
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// enabled / step

/** The pcs that are a weak CAS in glibc >= 2.21 (§1.8): a spurious failure is a schedulable choice there. */
function atWeakCas(s: FutexState, tid: number): boolean {
  if (s.model !== 'glibc-new-64' && s.model !== 'glibc-new-32') return false;
  const t = s.threads[tid];
  const op = opOf(s, tid);
  if (op !== 'sem_post' && op !== 'sem_wait' && op !== 'sem_timedwait' && op !== 'sem_trywait') return false;
  const pcs = s.model === 'glibc-new-64' ? ['cas', 'fast_cas', 'slow_cas'] : ['cas', 'fast_cas', 'set_bit', 'take_cas'];
  if (!pcs.includes(t.pc)) return false;
  if (s.mem.status !== 'live') return false;
  return casWord(s.model, s.mem) === t.d;
}

function combinations(xs: number[], k: number): number[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [h, ...rest] = xs;
  return [...combinations(rest, k - 1).map((c) => [h, ...c]), ...combinations(rest, k)];
}

/** Whether a timeout can fire for this blocked thread (sem_timedwait; PostgreSQL has no timed wait). */
function canTimeout(s: FutexState, tid: number): boolean {
  return s.model !== 'pg-futex' && opOf(s, tid) === 'sem_timedwait';
}

function canCancel(s: FutexState, tid: number): boolean {
  const t = s.threads[tid];
  return s.model !== 'pg-futex' && !!scenarioOf(s).threads[tid].cancel && !t.cancelSent &&
    (t.status === 'ready' || t.status === 'blocked');
}

/** Every choice the scheduler can make in this state: thread steps first, then environment events. */
export function enabled(s: FutexState): Choice[] {
  const out: Choice[] = [];
  if (s.threads.some((t) => t.status === 'crashed')) return out;
  s.threads.forEach((t, tid) => {
    if (t.status !== 'ready') return;
    if (t.pc === 'futex_wake' || t.pc === 'repair_wake') {
      if (s.queue.length > t.n) {
        for (const w of combinations([...s.queue], t.n)) out.push({ kind: 'run', tid, wake: w });
        return;
      }
    }
    out.push({ kind: 'run', tid });
    if (s.left.weakCas > 0 && atWeakCas(s, tid)) out.push({ kind: 'run', tid, casSpurious: true });
  });
  for (const tid of s.queue) {
    if (s.left.spurious > 0) out.push({ kind: 'event', event: 'spurious', tid });
    if (s.left.signals > 0) out.push({ kind: 'event', event: 'signal', tid });
    if (canTimeout(s, tid)) out.push({ kind: 'event', event: 'timeout', tid });
  }
  s.threads.forEach((_, tid) => {
    if (canCancel(s, tid)) out.push({ kind: 'event', event: 'cancel', tid });
  });
  return out;
}

/** A stable text id for a choice in a state ("B", "A:cas_spurious", "B:wake=A", "spurious(A)"). */
export function choiceId(s: FutexState, c: Choice): string {
  const name = s.threads[c.tid]?.name ?? `#${c.tid}`;
  if (c.kind === 'event') return `${c.event}(${name})`;
  let id = name;
  if (c.casSpurious) id += ':cas_spurious';
  if (c.wake) id += `:wake=${c.wake.map((w) => s.threads[w].name).join('+')}`;
  return id;
}

/** A human label for a button: "B: cas_ok" is not known before the step, so it says what runs next. */
export function choiceLabel(s: FutexState, c: Choice): string {
  const t = s.threads[c.tid];
  if (c.kind === 'event') {
    const what = { spurious: 'spurious wake-up of', signal: 'signal (EINTR) to', timeout: 'timeout of', cancel: 'pthread_cancel' }[c.event];
    return `${what} ${t.name}`;
  }
  const op = opOf(s, c.tid) ?? '';
  let l = `${t.name}: ${op} @ ${t.pc}`;
  if (c.casSpurious) l += ' (spurious CAS failure)';
  if (c.wake) l += ` (wake ${c.wake.map((w) => s.threads[w].name).join('+')})`;
  return l;
}

function removeFromQueue(s: FutexState, tid: number): void {
  const i = s.queue.indexOf(tid);
  if (i >= 0) s.queue.splice(i, 1);
}

function interrupted(c: Ctx, err: 'EINTR' | 'ETIMEDOUT'): void {
  const t = c.t;
  t.status = 'ready';
  t.r = `-1 ${err}`;
  switch (c.model) {
    case 'glibc-new-64': t.pc = 'deregister_err'; break;
    case 'glibc-new-32': t.pc = 'finish_guess'; break;
    case 'glibc-old': t.pc = 'deregister'; break;
    case 'pg-futex': c.ret(`-1 ${err}`); break;
  }
}

function applyEvent(prev: FutexState, c: Extract<Choice, { kind: 'event' }>): FutexState {
  const x = new Ctx(prev, c.tid, 'env');
  const t = x.t;
  const inQ = x.s.queue.includes(c.tid);
  switch (c.event) {
    case 'spurious':
      if (!inQ || x.s.left.spurious <= 0) throw new Error('spurious: thread not asleep or budget spent');
      removeFromQueue(x.s, c.tid);
      x.s.left.spurious -= 1;
      t.status = 'ready';
      t.window = true;
      x.name('spurious', `futex_wait of ${t.name} returns 0 without a matching wake (e.g. a stale wake for an earlier object at this address)`);
      break;
    case 'signal':
      if (!inQ || x.s.left.signals <= 0) throw new Error('signal: thread not asleep or budget spent');
      removeFromQueue(x.s, c.tid);
      x.s.left.signals -= 1;
      x.name('signal', `a signal handler runs in ${t.name}: futex_wait returns EINTR`);
      interrupted(x, 'EINTR');
      break;
    case 'timeout':
      if (!inQ || !canTimeout(prev, c.tid)) throw new Error('timeout: thread not asleep in sem_timedwait');
      removeFromQueue(x.s, c.tid);
      x.name('timeout', `the absolute timeout of ${t.name} passes: futex_wait returns ETIMEDOUT`);
      interrupted(x, 'ETIMEDOUT');
      break;
    case 'cancel':
      if (!canCancel(prev, c.tid)) throw new Error('cancel: not allowed here');
      t.cancelSent = true;
      if (!inQ && t.window && scenarioOf(prev).asyncCancel) {
        // glibc < 2.41: async cancellation is still enabled right after the syscall returned
        t.window = false;
        t.pc = 'cancel_unwind';
        x.name('cancel', `pthread_cancel(${t.name}) acts in the async-cancel window: futex_wait had already returned 0, ` +
          'so the wake it received is consumed (glibc < 2.41, BZ#12683)');
      } else if (inQ) {
        removeFromQueue(x.s, c.tid);
        t.status = 'ready';
        t.pc = 'cancel_unwind';
        x.name('cancel', `pthread_cancel(${t.name}): it is asleep in a cancellable futex_wait, so it unwinds now`);
      } else {
        t.pendingCancel = true;
        x.name('cancel', `pthread_cancel(${t.name}): pending until its next cancellation point`);
      }
      break;
  }
  return finishStep(x);
}

/** Apply one choice. Throws if the choice is not enabled-shaped (the UI/explorer only pass enabled ones). */
export function step(prev: FutexState, choice: Choice): FutexState {
  if (choice.kind === 'event') return applyEvent(prev, choice);
  const t0 = prev.threads[choice.tid];
  if (!t0 || t0.status !== 'ready') throw new Error(`thread ${choice.tid} cannot run`);
  const c = new Ctx(prev, choice.tid, t0.name);
  const op = opOf(prev, choice.tid);
  if (!op) throw new Error(`thread ${t0.name} has no operation left`);
  if (!(t0.pc === 'start' && stepLifetime(c, op))) {
    if (op === 'sem_post_broken' && prev.model !== 'glibc-new-64') {
      throw new Error('sem_post_broken exists only in the glibc-new-64 model');
    }
    switch (prev.model) {
      case 'glibc-new-64': stepNew64(c, op, choice); break;
      case 'glibc-new-32': stepNew32(c, op, choice); break;
      case 'glibc-old': stepOld(c, op, choice); break;
      case 'pg-futex': stepPg(c, op, choice); break;
    }
  }
  return finishStep(c);
}

/** Invariant checks and stuck-state detection after every step. */
function finishStep(c: Ctx): FutexState {
  const s = c.s;
  const m = s.mem;
  if (!c.crashed && (m.status === 'live' || m.status === 'destroyed')) {
    const tokens = tokensOf(s.model, m);
    if (tokens !== s.tokens) {
      c.violate({ kind: 'assertion', message: `token conservation: memory says ${tokens}, initial + posts − takes = ${s.tokens}` });
    }
    if (s.model !== 'pg-futex') {
      const reg = s.threads.filter((t) => t.registered).length;
      if (m.nwaiters !== reg) {
        c.violate({ kind: 'assertion', message: `nwaiters = ${m.nwaiters} but ${reg} thread(s) are registered waiters` });
      }
    }
  }
  for (const v of stuck(s)) c.violate(v);
  c.s.last = c.rec;
  return c.s;
}

/**
 * Blocked forever: no thread can run and no event that is bound to happen (a timeout of a sem_timedwait,
 * a pthread_cancel still to be sent) is left. Spurious wake-ups and signals may never come, so they do not
 * count. Tokens available → lost wake-up; none → deadlock (more waits than posts).
 */
export function stuck(s: FutexState): Violation[] {
  if (s.threads.some((t) => t.status === 'ready' || t.status === 'crashed')) return [];
  const blocked = s.queue;
  if (!blocked.length) return [];
  if (blocked.some((tid) => canTimeout(s, tid))) return [];
  if (s.threads.some((_, tid) => canCancel(s, tid))) return [];
  const tokens = tokensOf(s.model, s.mem);
  const names = threadNames(s, blocked);
  if (tokens > 0 && s.mem.status === 'live') {
    return [{
      kind: 'lost-wakeup', thread: s.threads[blocked[0]].name,
      message: `${names} ${blocked.length > 1 ? 'sleep' : 'sleeps'} in futex_wait forever although the value is ${tokens}: ` +
        'no thread is left to wake it (lost wake-up)',
    }];
  }
  return [{
    kind: 'deadlock', thread: s.threads[blocked[0]].name,
    message: `${names} ${blocked.length > 1 ? 'sleep' : 'sleeps'} forever: every other thread has finished and the value is ${tokens}`,
  }];
}

/** True when no choice is left (all threads finished, or the process crashed). */
export function isFinal(s: FutexState): boolean {
  return enabled(s).length === 0;
}

/** Identity of a state for hashing (everything that influences the future; not history or results). */
export function stateKey(s: FutexState): string {
  const m = s.mem;
  const async = !!s.scenario.asyncCancel;
  let k = `${m.status[0]}${m.value},${m.nwaiters},${m.priv}|${[...s.queue].sort().join(',')}|` +
    `${s.left.spurious},${s.left.weakCas},${s.left.signals}|${s.tokens}|${s.violations.length ? 1 : 0}`;
  for (const t of s.threads) {
    k += `|${t.op}.${t.pc}.${t.status[0]}.${t.d}.${t.p}.${t.g}.${t.n}.${t.r}.${t.registered ? 1 : 0}` +
      `${t.pendingCancel ? 1 : 0}${t.cancelSent ? 1 : 0}${t.unwinding ? 1 : 0}${async && t.window ? 1 : 0}`;
  }
  return k;
}

export { fmtMem };

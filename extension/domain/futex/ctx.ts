/**
 * One step's working copy of the state (`Ctx`) and the pieces every model's program uses: memory accesses
 * that flag use after free, the kernel's futex_wait/futex_wake, finishing an operation, cancellation.
 */
import { INT_MAX } from './words';
import type { Choice, FutexState, ModelId, OpKind, Pc, Scenario, StepName, StepRecord, ThreadState, Violation } from './types';

/** The scenario a state was made from (kept on the state by reference, not part of its identity). */
export function scenarioOf(s: FutexState): Scenario {
  return s.scenario;
}

export function opOf(s: FutexState, tid: number): OpKind | null {
  const t = s.threads[tid];
  const spec = scenarioOf(s).threads[tid];
  return spec.ops[t.op]?.op ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// One step, executed on a copy of the state.

export class Ctx<P extends Pc = Pc> {
  readonly s: FutexState;
  readonly t: ThreadState<P>;
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
    this.t = this.s.threads[tid] as ThreadState<P>;
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
    t.pc = 'start' as P;
    t.word = 0; t.priv = 0; t.guess = 0; t.wakeCount = 0; t.pendingRet = '';
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

export function threadNames(s: FutexState, tids: number[]): string {
  return tids.map((i) => s.threads[i].name).join(', ');
}


export function cancelAtEntry(c: Ctx): boolean {
  if (!c.t.pendingCancel) return false;
  c.t.pendingCancel = false;
  c.name('cancel_unwind', '__pthread_testcancel at entry: the pending cancel acts before any access');
  c.exitCancelled();
  return true;
}

/** A futex_wait whose thread has a pending cancel: the syscall is a cancellation point (§6 d1/d3). */
export function cancelAtSyscall<P extends Pc>(c: Ctx<P>, unwindPc: P): boolean {
  if (!c.t.pendingCancel) return false;
  c.t.pendingCancel = false;
  c.name('futex_wait', 'cancellation point: pthread_cancel pending → unwind');
  c.t.pc = unwindPc;
  return true;
}

export function wakeStep<P extends Pc>(c: Ctx<P>, pick: number[] | undefined, shared: boolean, then: () => void): void {
  const t = c.t;
  const before = [...c.s.queue];
  const k = c.futexWake(t.wakeCount, shared, pick);
  const woken = before.filter((x) => !c.s.queue.includes(x));
  c.name('futex_wake', `futex_wake(${t.wakeCount === INT_MAX ? 'INT_MAX' : t.wakeCount}) → ${k}${woken.length ? ` [${threadNames(c.s, woken)}]` : ''}`);
  then();
}

export type RunChoice = Extract<Choice, { kind: 'run' }>;

/** One model's program: its step function and the program counters the scheduler and events need. */
export interface ModelProgram<P extends Pc> {
  id: ModelId;
  /** where a waiter continues after futex_wait returned 0 (woken or spurious); also where a live
   *  semaphore's registered waiters start. */
  resumePc: P;
  /** where a waiter continues after futex_wait failed with EINTR or ETIMEDOUT (null: the op returns). */
  errorPc: P | null;
  /** the weak CASes (glibc >= 2.21, §1.8): a spurious failure is a schedulable choice there. */
  weakCasPcs: readonly P[];
  /** one step of thread `c.t` in operation `op`. */
  step(c: Ctx<P>, op: OpKind, choice: RunChoice): void;
}

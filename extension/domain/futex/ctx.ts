/**
 * One step's working copy of the state (`Ctx`) and the pieces every model's program uses: memory accesses
 * that flag use after free, the kernel's futex_wait/futex_wake, finishing an operation, cancellation.
 */
import { wordLocation } from './layout';
import { FUTEX_PRIVATE, TWO32, type Choice, type FutexCall, type FutexState, type MemAccess, type Memory, type ModelId, type OpKind,
  type OpSpec, type Pc, type Scenario, type StepName, type StepRecord, type StoreEntry, type ThreadState, type Violation,
  type WordName } from './types';
import { traitsOf, type VersionTraits } from './versions';
import { INT_MAX, wordValue } from './words';

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;

/** strace's spelling of a futex op argument. */
export function futexOpText(code: number): string {
  const base = code & 127;
  const name = base === FUTEX_WAIT ? 'FUTEX_WAIT' : base === FUTEX_WAKE ? 'FUTEX_WAKE' : base === FUTEX_WAIT_BITSET
    ? 'FUTEX_WAIT_BITSET' : `FUTEX_${base}`;
  let t = name + (code & FUTEX_PRIVATE_FLAG ? '_PRIVATE' : '');
  if (code & FUTEX_CLOCK_REALTIME) t += '|FUTEX_CLOCK_REALTIME';
  const rest = code & ~(127 | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (rest) t += `|0x${rest.toString(16)}`;
  return t;
}

/** Maps the `what` of a touch to the word it names ('nwaiters (offset 8)' → nwaiters). */
function wordOf(what: string): WordName | null {
  const w = what.split(' ')[0];
  return w === 'data' || w === 'value' || w === 'nwaiters' || w === 'private' || w === 'counter' ? w : null;
}

/** How the access at a program line is made (kind and C11 order, §1.8); reads default to relaxed loads. */
export type AccessSpec = Pick<MemAccess, 'kind' | 'rmw' | 'order'>;

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
  /** how the current line accesses memory (set by the scheduler from the program's table). */
  accessSpec: AccessSpec | undefined;
  /** x86-TSO: the words this step reads from its own store buffer (its loads see them first). */
  bufferedWords: Set<WordName> | undefined;

  /**
   * `record` false: the step leaves no memory-access records (the explorer's mode; its witnesses are replayed
   * with records). The thread's `results` and `buffer` arrays and the state's `violations` are shared with
   * `prev` and replaced, never mutated, when they change.
   */
  constructor(prev: FutexState, readonly tid: number, actor: string, readonly record = true) {
    const threads = prev.threads.slice();
    const x = threads[tid];
    if (x) threads[tid] = copyThread(x);
    this.s = {
      model: prev.model, glibc: prev.glibc, memoryModel: prev.memoryModel, scenario: prev.scenario,
      mem: { status: prev.mem.status, value: prev.mem.value, nwaiters: prev.mem.nwaiters, priv: prev.mem.priv },
      queue: prev.queue.slice(),
      threads,
      left: { spurious: prev.left.spurious, weakCas: prev.left.weakCas, signals: prev.left.signals },
      tokens: prev.tokens,
      violations: prev.violations,
      last: null,
    };
    this.t = this.s.threads[tid] as ThreadState<P>;
    this.rec = { actor, name: 'load', detail: '' };
    if (actor !== 'env') this.t.window = false;
  }

  get model(): ModelId {
    return this.s.model;
  }

  /** What the run's glibc version does differently (versions.ts). */
  get traits(): VersionTraits {
    return traitsOf(this.s.glibc);
  }

  /** The script entry of the current operation. */
  get opSpec(): OpSpec | undefined {
    return scenarioOf(this.s).threads[this.tid]?.ops[this.t.op];
  }

  /** x86-TSO: a locked instruction or a system call writes the thread's store buffer to memory first. */
  drain(): void {
    const b = this.t.buffer;
    if (!b.length) return;
    for (const e of b) {
      applyStore(this.s.mem, e);
      (this.rec.flush ??= []).push({ thread: this.t.name, word: e.word, value: e.value });
    }
    this.t.buffer = [];
  }

  /** A plain store (x86 mov): into the thread's store buffer under x86-TSO, else straight to memory. */
  plainStore(word: WordName, value: number): void {
    const e: StoreEntry = { word, value };
    if (this.s.memoryModel === 'x86-tso') this.t.buffer = [...this.t.buffer, e];
    else applyStore(this.s.mem, e);
  }

  /** The operation the thread is in. */
  get opName(): string {
    return scenarioOf(this.s).threads[this.tid]?.ops[this.t.op]?.op ?? 'operation';
  }

  violate(v: Violation): void {
    this.s.violations = [...this.s.violations, v];
    (this.rec.violations ??= []).push(v);
  }

  /** A user-space access to the semaphore's memory. Flags use after free; returns false if it faulted. */
  touch(what: string, store: boolean): boolean {
    const st = this.s.mem.status;
    const word = this.record ? wordOf(what) : null;
    if (word) {
      const spec: AccessSpec = word === 'private' || !this.accessSpec
        ? { kind: store ? 'write' : 'read', order: word === 'private' ? 'plain' : store ? 'plain' : 'relaxed' }
        : this.accessSpec;
      const loc = wordLocation(this.model, word);
      const value = wordValue(this.model, this.s.mem, word);
      const a: MemAccess = spec.rmw
        ? { kind: spec.kind, rmw: spec.rmw, order: spec.order, word, offset: loc.offset, size: loc.size, value }
        : { kind: spec.kind, order: spec.order, word, offset: loc.offset, size: loc.size, value };
      if (st !== 'live') a.stale = st;
      if (this.bufferedWords?.has(word)) a.buffered = true;
      (this.rec.access ??= []).push(a);
    }
    if (st === 'live') return true;
    const where =
      st === 'destroyed' ? 'after sem_destroy' : st === 'freed' ? 'after free()' : st === 'reused'
        ? 'after the block was freed and reused' : 'after munmap()';
    const fault = st === 'unmapped';
    const consequence = fault ? ': the page is gone, SIGSEGV kills the process' : st === 'reused'
      ? ': it sees another object\'s bytes' : st === 'destroyed'
        ? ': the owner may free or unmap the memory at any moment now'
        : ': the bytes are stale, and free() may already have written its own data there';
    if (this.t.published) {
      // The operation's effect (its token) was visible before the destroy: the thread that took the token was
      // entitled to destroy and free (POSIX), so touching the memory now is the implementation's fault.
      const orig = this.rec.name;
      this.rec.name = store ? 'UAF_store' : 'UAF_load';
      this.rec.detail = `${orig}: ${this.rec.detail}`.replace(/: $/, '');
      this.violate({
        kind: 'use-after-free',
        thread: this.t.name,
        message: `${this.t.name}'s ${this.opName} ${store ? 'writes' : 'reads'} ${what} ${where}, after publishing its ` +
          `token (the destroyer took that token, so POSIX let it destroy)${consequence}`,
      });
    } else {
      this.violate({
        kind: 'misuse',
        thread: this.t.name,
        message: `${this.t.name}'s ${this.opName} ${store ? 'writes' : 'reads'} ${what} ${where}: the program ` +
          `${this.t.pc === 'start' ? 'called the operation on a semaphore that was already' : 'destroyed the semaphore while this operation had not yet taken effect, so it was not'} ` +
          `${this.t.pc === 'start' ? (st === 'destroyed' ? 'destroyed' : 'destroyed and released') : 'finished'} (undefined behaviour, not a glibc bug)${consequence}`,
      });
    }
    if (fault) {
      this.crashed = true;
      for (let i = 0; i < this.s.threads.length; i++) {
        const x = this.s.threads[i];
        if (x.status !== 'done' && x.status !== 'cancelled') {
          const y = copyThread(x);
          y.status = 'crashed';
          this.s.threads[i] = y;
        }
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
    t.results = [...t.results, r];
    this.rec.ret = r;
    t.op += 1;
    t.pc = 'start' as P;
    t.word = 0; t.priv = 0; t.guess = 0; t.wakeCount = 0; t.pendingRet = '';
    t.unwinding = false;
    t.published = false;
    const spec = scenarioOf(this.s).threads[this.tid];
    if (spec.stopOnFail && r.startsWith('-1') && t.op < spec.ops.length) {
      this.rec.note = `${this.rec.note ? `${this.rec.note}; ` : ''}${t.name} stops: its script says to stop when an operation fails ` +
        `(${spec.ops.slice(t.op).map((o) => o.op).join(', ')} not run)`;
      t.op = spec.ops.length;
    }
    if (t.op >= spec.ops.length) t.status = 'done';
  }

  /** The thread leaves through cancellation (its cleanup handlers have run). */
  exitCancelled(): void {
    const t = this.t;
    t.results = [...t.results, 'PTHREAD_CANCELED'];
    this.rec.ret = 'PTHREAD_CANCELED';
    t.status = 'cancelled';
    t.unwinding = false;
    t.registered = false;
  }

  /** The address space whose futex keys a private futex op of this thread uses (its process). */
  get process(): number {
    return scenarioOf(this.s).threads[this.tid]?.process ?? 0;
  }

  /**
   * The futex op argument a call of this model makes: glibc >= 2.21 computes (op | FUTEX_PRIVATE_FLAG) ^
   * private and waits with FUTEX_WAIT_BITSET (| FUTEX_CLOCK_REALTIME unless sem_clockwait on
   * CLOCK_MONOTONIC); glibc <= 2.20's assembly ORs its inverted `private` into FUTEX_WAIT/FUTEX_WAKE;
   * PostgreSQL uses the shared FUTEX_WAIT/FUTEX_WAKE.
   */
  futexOpCode(wake: boolean, priv: number, monotonic = false): number {
    switch (this.model) {
      case 'glibc-new-64':
      case 'glibc-new-32':
        return wake ? (FUTEX_WAKE | FUTEX_PRIVATE_FLAG) ^ priv
          : ((FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG) ^ priv) | (monotonic ? 0 : FUTEX_CLOCK_REALTIME);
      case 'glibc-old':
        return (wake ? FUTEX_WAKE : FUTEX_WAIT) | priv;
      case 'pg-futex':
        return wake ? FUTEX_WAKE : FUTEX_WAIT;
    }
  }

  /** The FutexCall record of a call with op argument `code` on the futex word. */
  futexCall(code: number, val: number, timeout = false): FutexCall {
    const base = code & 127;
    const word: WordName = this.model === 'pg-futex' ? 'counter' : 'value';
    const priv = (code & FUTEX_PRIVATE_FLAG) !== 0;
    const call: FutexCall = {
      op: base === FUTEX_WAKE ? 'FUTEX_WAKE' : base === FUTEX_WAIT_BITSET ? 'FUTEX_WAIT_BITSET' : 'FUTEX_WAIT',
      private: priv, opCode: code, opText: futexOpText(code), word, offset: wordLocation(this.model, word).offset,
      val, key: priv ? `private:p${this.process}` : 'shared', result: { ret: 0 },
    };
    if (base === FUTEX_WAIT_BITSET) call.clock = code & FUTEX_CLOCK_REALTIME ? 'realtime' : 'monotonic';
    if (timeout) call.timeout = true;
    this.rec.futex = call;
    return call;
  }

  /**
   * The kernel's futex_wait: compare the futex word with `expected` and block, as one step (§4.1). glibc
   * loads `private` from the semaphore right before each call (do_futex_wait; the old assembly likewise).
   */
  futexWait(expected: number, opts: { monotonic?: boolean; timeout?: boolean } = {}): 'EAGAIN' | 'EFAULT' | 'blocked' {
    const m = this.s.mem;
    let priv = FUTEX_PRIVATE;
    if (this.model !== 'pg-futex') {
      this.touch('private', false);
      priv = m.priv;
    }
    const call = this.futexCall(this.futexOpCode(false, priv, opts.monotonic), expected, opts.timeout);
    if (m.status === 'unmapped') {
      call.result = { ret: -1, errno: 'EFAULT' };
      return 'EFAULT';
    }
    if (m.value !== expected) {
      call.result = { ret: -1, errno: 'EAGAIN' };
      // glibc <= 2.40: asynchronous cancellation is still on when the call returns (BZ#12683)
      this.t.window = true;
      return 'EAGAIN';
    }
    call.result = 'blocked';
    this.s.queue.push(this.tid);
    this.t.status = 'blocked';
    this.t.futexKey = call.key;
    return 'blocked';
  }

  /**
   * The kernel's futex_wake(n) with op argument `code`: dequeues up to n sleepers whose futex key matches
   * (which ones: `pick`, else FIFO). Returns k.
   */
  futexWake(n: number, code: number, pick?: number[]): number | 'EFAULT' {
    const m = this.s.mem;
    const call = this.futexCall(code, n);
    const shared = !call.private;
    if (m.status !== 'live') {
      this.rec.note = m.status === 'unmapped' && shared
        ? 'benign: the address is unmapped, the kernel returns EFAULT and glibc ignores it'
        : `benign: no user-space access to the ${m.status} memory; the kernel wakes nobody (or an unrelated ` +
          'reuser of the address, spuriously)';
      if (m.status === 'unmapped' && shared) {
        call.result = { ret: -1, errno: 'EFAULT' };
        return 'EFAULT';
      }
    }
    const q = this.s.queue;
    const match = q.filter((x) => this.s.threads[x].futexKey === call.key);
    const chosen = pick && pick.length ? pick.filter((x) => match.includes(x)).slice(0, n) : match.slice(0, n);
    for (const w of chosen) {
      const i = q.indexOf(w);
      if (i >= 0) q.splice(i, 1);
      const x = this.s.threads[w];
      const y = copyThread(x);
      y.status = 'ready';
      y.window = true;
      y.futexKey = '';
      this.s.threads[w] = y;
      (this.rec.resumed ??= []).push({ thread: x.name, ret: 0, why: 'wake' });
    }
    if (match.length < q.length + chosen.length && chosen.length < n) {
      const other = q.filter((x) => this.s.threads[x].futexKey !== call.key);
      if (other.length) {
        this.rec.note = `${threadNames(this.s, other)} ${other.length > 1 ? 'sleep' : 'sleeps'} under another futex key ` +
          `(${this.s.threads[other[0]].futexKey}, this wake uses ${call.key}): the kernel does not see ${other.length > 1 ? 'them' : 'it'}`;
      }
    }
    call.result = { ret: chosen.length };
    call.woken = chosen.map((w) => this.s.threads[w].name);
    return chosen.length;
  }
}

/**
 * A copy of a thread (its `results` and `buffer` arrays shared: they are replaced, never mutated). Written out
 * field by field so that every thread object has one shape, which keeps the explorer's copies cheap.
 */
export function copyThread<P extends Pc>(x: ThreadState<P>): ThreadState<P> {
  return {
    name: x.name, op: x.op, pc: x.pc, status: x.status, word: x.word, priv: x.priv, guess: x.guess, wakeCount: x.wakeCount,
    pendingRet: x.pendingRet, registered: x.registered, published: x.published, futexKey: x.futexKey, pendingCancel: x.pendingCancel,
    cancelSent: x.cancelSent, unwinding: x.unwinding, window: x.window, results: x.results, buffer: x.buffer,
  };
}

/** Writes a store buffer entry (or a plain store) to memory; an unmapped page takes nothing. */
export function applyStore(m: Memory, e: StoreEntry): void {
  if (m.status === 'unmapped') return;
  switch (e.word) {
    case 'data':
      m.value = e.value % TWO32;
      m.nwaiters = Math.floor(e.value / TWO32);
      return;
    case 'value': case 'counter':
      m.value = e.value;
      return;
    case 'nwaiters':
      m.nwaiters = e.value;
      return;
    case 'private':
      m.priv = e.value;
      return;
  }
}

/** The memory as a thread sees it under x86-TSO: its own buffered stores over memory (newest wins). */
export function ownView(m: Memory, buffer: readonly StoreEntry[]): Memory {
  const v = { ...m };
  for (const e of buffer) applyStore(v, e);
  return v;
}

/** The timed waits: a timeout event can end their sleep. */
export function isTimed(op: OpKind | null): boolean {
  return op === 'sem_timedwait' || op === 'sem_clockwait';
}

/** The operations that run a model's wait program. */
export function isWait(op: OpKind | null): boolean {
  return op === 'sem_wait' || op === 'sem_timedwait' || op === 'sem_trywait' || op === 'sem_clockwait';
}

/** futex_wait options of the current operation: a timeout for the timed waits, the clock of sem_clockwait. */
export function waitOpts(c: Ctx, op: OpKind): { timeout: boolean; monotonic: boolean } {
  return { timeout: isTimed(op), monotonic: op === 'sem_clockwait' && (c.opSpec?.clock ?? 'monotonic') === 'monotonic' };
}

export function threadNames(s: FutexState, tids: number[]): string {
  return tids.map((i) => s.threads[i].name).join(', ');
}


/**
 * sem_wait / sem_timedwait of glibc >= 2.25 call __pthread_testcancel first (BZ#18243): a pending cancel acts
 * before any access. sem_trywait is no cancellation point; sem_clockwait has no entry test; 2.20-2.24 have none.
 */
export function cancelAtEntry(c: Ctx, op: OpKind): boolean {
  if (op !== 'sem_wait' && op !== 'sem_timedwait') return false;
  if (!c.traits.entryTestcancel || !c.t.pendingCancel) return false;
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

/** futex_wake(t.wakeCount) with the private value `priv` (as the model encodes it), then `then`. */
export function wakeStep<P extends Pc>(c: Ctx<P>, pick: number[] | undefined, priv: number, then: (c: Ctx<P>) => void): void {
  const t = c.t;
  const before = [...c.s.queue];
  const k = c.futexWake(t.wakeCount, c.futexOpCode(true, priv), pick);
  const woken = before.filter((x) => !c.s.queue.includes(x));
  c.name('futex_wake', `futex_wake(${t.wakeCount === INT_MAX ? 'INT_MAX' : t.wakeCount}) → ${k}${woken.length ? ` [${threadNames(c.s, woken)}]` : ''}`);
  then(c);
}

/** sem_post's last step: futex_wake(t.wakeCount) with the private value the post read, then return 0. */
export function postWakeStep<P extends Pc>(c: Ctx<P>, choice: RunChoice): void {
  wakeStep(c, choice.wake, c.t.priv, retZero);
}

function retZero(c: Ctx): void {
  c.ret('0');
}

/** The fast path found no token: sem_trywait returns EAGAIN, the waits go on at `registerPc` (register, or
 *  futex_wait where there is no waiter count). */
export function noToken<P extends Pc>(c: Ctx<P>, tryw: boolean, registerPc: P): void {
  if (tryw) c.ret('-1 EAGAIN');
  else c.t.pc = registerPc;
}

/** The entry of glibc >= 2.21's waits: __pthread_testcancel (cancelAtEntry), then the fast path's load (`text`)
 *  of the futex word `word`, whose value `cur` shows `tokens` tokens: on to the fast path's CAS at `casPc` if
 *  there is one, else noToken. */
export function fastPathStart<P extends Pc>(c: Ctx<P>, op: OpKind, text: string, word: string, cur: number, tokens: number, casPc: P, registerPc: P): void {
  if (cancelAtEntry(c, op)) return;
  c.name('load', text);
  if (!c.touch(word, false)) return;
  c.t.word = cur;
  if (tokens === 0) noToken(c, op === 'sem_trywait', registerPc);
  else c.t.pc = casPc;
}

/** A failed CAS (`text` says what it expected and found): a spurious weak-CAS failure uses up the budget; the
 *  failing CAS loads the current word `cur` into the thread's copy. False: the access did not run (see touch). */
export function casFailed(c: Ctx, text: string, spurious: boolean, word: string, cur: number): boolean {
  c.name('cas_fail', text);
  if (spurious) c.s.left.weakCas -= 1;
  if (!c.touch(word, false)) return false;
  c.t.word = cur;
  return true;
}

/** A model's `access` from its table of each step's access kind and C11 order (§1.8; lock-prefixed x86
 *  instructions are seq_cst), keyed by 'post.<pc>' / 'wait.<pc>'; steps not in it are relaxed loads or plain
 *  stores. */
export function accessTable<P extends Pc>(table: Readonly<Record<string, AccessSpec>>): ModelProgram<P>['access'] {
  return (op, pc) => table[`${op === 'sem_post' || op === 'sem_post_broken' ? 'post' : 'wait'}.${pc}`];
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
  /** how the step at `pc` of operation `op` accesses memory (kind and C11 order, §1.8); undefined: a
   *  relaxed load or a plain store. */
  access(op: OpKind, pc: P): AccessSpec | undefined;
  /** one step of thread `c.t` in operation `op`. */
  step(c: Ctx<P>, op: OpKind, choice: RunChoice): void;
}

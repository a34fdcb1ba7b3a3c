/**
 * The code each thread runs, as pseudocode in this project's own words (after FUTEX-SEMAPHORES.md §1.4-1.7,
 * §2.2, §5; not glibc's or PostgreSQL's source), one listing per model and operation. Each line that a model
 * step executes carries the program counter the model uses for that step (machine.ts), so the pane can
 * highlight the line the step at the cursor ran and mark where every other thread will continue.
 */
import type { ModelId, OpKind } from '../../extension/domain/futex';

export interface Line {
  /** the model's program counter this line is executed at (or a special id: testcancel, overflow). */
  id?: string;
  text: string;
}

export interface Listing {
  title: string;
  lines: Line[];
}

const L = (text: string, id?: string): Line => (id ? { text, id } : { text });

const NEW64_POST: Listing = {
  title: 'sem_post, glibc ≥ 2.21, 64-bit (data = nwaiters << 32 | value)',
  lines: [
    L('sem_post(S):'),
    L('  p := S.private              # read BEFORE the token is published', 'start'),
    L('  d := load_relaxed(S.data)', 'load'),
    L('  loop:'),
    L('    if value(d) == SEM_VALUE_MAX: return -1 EOVERFLOW', 'overflow'),
    L('    if CAS_weak_release(S.data, d → d + 1): break   # publishes', 'cas'),
    L('    # failed: d now holds the current word; try again'),
    L('  # published: no user-space access to *S from here on'),
    L('  if nwaiters(d) > 0:          # seen by the same CAS'),
    L('    futex_wake(&S.value, 1, p)  # kernel only; EFAULT ignored', 'futex_wake'),
    L('  return 0'),
  ],
};

const NEW64_BROKEN: Listing = {
  title: 'sem_post_broken: NOT glibc, the counter-example of §6 b2',
  lines: [
    L('sem_post_broken(S):'),
    L('  p := S.private', 'start'),
    L('  n := nwaiters(S.data)        # read BEFORE the increment', 'load_nwaiters'),
    L('  fetch_add(S.data, 1)          # publishes; n may be stale now', 'fetch_add'),
    L('  if n > 0: futex_wake(&S.value, 1, p)', 'futex_wake'),
    L('  return 0'),
  ],
};

const NEW64_WAIT: Listing = {
  title: 'sem_wait, glibc ≥ 2.21, 64-bit (sem_timedwait: with a deadline; sem_trywait: the fast path only)',
  lines: [
    L('sem_wait(S):'),
    L('  testcancel()                 # a pending pthread_cancel acts here', 'testcancel'),
    L('  d := load_relaxed(S.data)     # fast path', 'start'),
    L('  if value(d) > 0 and CAS_weak_acquire(S.data, d → d - 1): return 0', 'fast_cas'),
    L('  d := fetch_add(S.data, 1 << 32)   # register: nwaiters + 1', 'register'),
    L('  loop:'),
    L('    if value(d) == 0:'),
    L('      err := futex_wait(&S.value, expected 0, S.private)', 'futex_wait'),
    L('      if err is ETIMEDOUT or EINTR:'),
    L('        fetch_add(S.data, -(1 << 32)); return -1 err   # deregister', 'deregister_err'),
    L('      d := load_relaxed(S.data)', 'reload'),
    L('    else if CAS_weak_acquire(S.data, d → d - 1 - (1 << 32)):', 'slow_cas'),
    L('      return 0                 # token taken and deregistered at once'),
    L('  on cancellation: fetch_add(S.data, -(1 << 32))', 'cancel_unwind'),
  ],
};

const NEW32_POST: Listing = {
  title: 'sem_post, glibc ≥ 2.21, 32-bit (value = tokens << 1 | waiter bit)',
  lines: [
    L('sem_post(S):'),
    L('  p := S.private              # read BEFORE the token is published', 'start'),
    L('  v := load_relaxed(S.value)', 'load'),
    L('  loop:'),
    L('    if tokens(v) == SEM_VALUE_MAX: return -1 EOVERFLOW', 'overflow'),
    L('    if CAS_weak_release(S.value, v → v + 2): break   # publishes', 'cas'),
    L('  # published: no user-space access to *S from here on'),
    L('  if bit(v) == 1:               # a waiter may sleep'),
    L('    futex_wake(&S.value, 1, p)', 'futex_wake'),
    L('  return 0'),
  ],
};

const NEW32_WAIT: Listing = {
  title: 'sem_wait, glibc ≥ 2.21, 32-bit (finish runs on success, error and cancellation)',
  lines: [
    L('sem_wait(S):'),
    L('  testcancel()', 'testcancel'),
    L('  v := load_relaxed(S.value)    # fast path', 'start'),
    L('  if tokens(v) > 0 and CAS_weak_acquire(S.value, v → v - 2): return 0', 'fast_cas'),
    L('  fetch_add(S.nwaiters, +1)     # register (exact count)', 'register'),
    L('  v := load_relaxed(S.value)', 'load_v'),
    L('  loop:'),
    L('    while tokens(v) == 0:'),
    L('      if bit(v) == 0: CAS_weak_release(S.value, v → v | 1)   # set the hint', 'set_bit'),
    L('      err := futex_wait(&S.value, expected 1, S.private)', 'futex_wait'),
    L('      if err is ETIMEDOUT or EINTR: r := -1 err; goto finish'),
    L('      v := load_relaxed(S.value)', 'reload'),
    L('    if CAS_weak_acquire(S.value, v → v - 2): r := 0; goto finish', 'take_cas'),
    L('  on cancellation: unwind through finish', 'cancel_unwind'),
    L('finish:'),
    L('  g := load_relaxed(S.nwaiters)     # guess: am I the last waiter?', 'finish_guess'),
    L('  if g == 1: fetch_and(S.value, ~1)  # clear the hint bit', 'clear_bit'),
    L('  f := fetch_add(S.nwaiters, -1)     # deregister', 'deregister'),
    L('  if f > 1 and g == 1:                # misspeculated: another waiter came'),
    L('    old := fetch_or(S.value, 1)       # put the bit back', 'repair'),
    L('    if tokens(old) > 0: futex_wake(&S.value, tokens(old), S.private)', 'repair_wake'),
    L('  return r'),
  ],
};

const OLD_POST: Listing = {
  title: 'sem_post, glibc ≤ 2.20 (value @0, private @4, nwaiters @8)',
  lines: [
    L('sem_post(S):'),
    L('  v := S.value', 'start'),
    L('  loop:'),
    L('    if v == SEM_VALUE_MAX: return -1 EOVERFLOW', 'overflow'),
    L('    if lock_cmpxchg(S.value, v → v + 1): break   # publishes', 'cas'),
    L('  # published, yet the post still reads *S below (bug 12674):'),
    L('  if S.nwaiters == 0: return 0', 'load_nwaiters'),
    L('  op := FUTEX_WAKE | S.private', 'load_private'),
    L('  if futex(&S.value, op, 1) fails: return -1 EINVAL', 'futex_wake'),
    L('  return 0'),
  ],
};

const OLD_WAIT: Listing = {
  title: 'sem_wait, glibc ≤ 2.20 (no testcancel at entry; async cancellation around the futex call)',
  lines: [
    L('sem_wait(S):'),
    L('  v := S.value                 # decrement_if_positive', 'start'),
    L('  if v > 0 and lock_cmpxchg(S.value, v → v - 1): return 0', 'fast_cas'),
    L('  atomic S.nwaiters += 1        # register', 'register'),
    L('  loop:'),
    L('    err := futex_wait(&S.value, expected 0)', 'futex_wait'),
    L('    if err not in {0, EWOULDBLOCK}: r := -1 err; break'),
    L('    v := S.value', 'dip_load'),
    L('    if v > 0 and lock_cmpxchg(S.value, v → v - 1): r := 0; break', 'slow_cas'),
    L('  atomic S.nwaiters -= 1        # deregister', 'deregister'),
    L('  return r'),
    L('  on cancellation: atomic S.nwaiters -= 1', 'cancel_unwind'),
  ],
};

const PG_POST: Listing = {
  title: 'PGSemaphoreUnlock, PostgreSQL futex semaphore (one counter, no waiter count)',
  lines: [
    L('pg_sem_post(S):'),
    L('  fetch_add(S.counter, 1)        # full barrier; publishes', 'start'),
    L('  futex_wake(&S.counter, INT_MAX)  # always, wakes every sleeper', 'futex_wake'),
    L('  return 0'),
  ],
};

const PG_WAIT: Listing = {
  title: 'PGSemaphoreLock, PostgreSQL futex semaphore',
  lines: [
    L('pg_sem_wait(S):'),
    L('  loop:'),
    L('    v := S.counter', 'start'),
    L('    while v > 0:'),
    L('      if CAS(S.counter, v → v - 1): return 0   # else v := the current value', 'cas'),
    L('    err := futex_wait(&S.counter, expected 0)', 'futex_wait'),
    L('    if err is EINTR: return -1 EINTR'),
    L('    # 0 or EAGAIN (the counter changed): try again'),
  ],
};

const LIFETIME: Listing = {
  title: 'Lifetime (the program around the semaphore)',
  lines: [
    L('sem_init(S, pshared, v)    # plain stores of every field', 'sem_init'),
    L('sem_destroy(S)             # returns 0; touches no memory', 'sem_destroy'),
    L('free(S)                    # the block goes back to malloc; bytes stay', 'free'),
    L('munmap(S)                  # the page is gone: a later load faults', 'munmap'),
    L('(malloc hands the block to another object, which overwrites it)', 'reuse'),
  ],
};

const WAITS = new Set<OpKind>(['sem_wait', 'sem_timedwait', 'sem_trywait']);

/** The listing of an operation under a model. */
export function listingFor(model: ModelId, op: OpKind | null): Listing {
  if (!op || !(WAITS.has(op) || op === 'sem_post' || op === 'sem_post_broken')) return LIFETIME;
  const post = !WAITS.has(op);
  switch (model) {
    case 'glibc-new-64': return op === 'sem_post_broken' ? NEW64_BROKEN : post ? NEW64_POST : NEW64_WAIT;
    case 'glibc-new-32': return post ? NEW32_POST : NEW32_WAIT;
    case 'glibc-old': return post ? OLD_POST : OLD_WAIT;
    case 'pg-futex': return post ? PG_POST : PG_WAIT;
  }
}

/**
 * The line a step executed: its program counter before the step, with the cases where one pc runs two
 * lines (testcancel at a wait's start, the overflow check before the CAS) told apart by the step's name.
 * Environment events (spurious, signal, timeout, cancel) end a futex_wait.
 */
export function lineOfStep(op: OpKind | null, pc: string, name: string, event: boolean): string {
  if (op && !(WAITS.has(op) || op === 'sem_post' || op === 'sem_post_broken')) return op;
  if (event) return 'futex_wait';
  if (pc === 'start' && name === 'cancel_unwind') return 'testcancel';
  if (pc === 'cas' && name === 'return') return 'overflow';
  return pc;
}

/** The line a thread continues at (its program counter now). */
export function lineOfPc(op: OpKind | null, pc: string): string {
  if (op && !(WAITS.has(op) || op === 'sem_post' || op === 'sem_post_broken')) return op;
  return pc;
}

// ----------------------------------------------------------------------------------------------- render

export interface SourceView {
  /** whose operation is shown and why. */
  heading: string;
  listing: Listing;
  /** the line the step at the cursor ran. */
  current: string | null;
  /** line id → names of the threads that continue there. */
  next: Map<string, string[]>;
}

interface StepLike {
  tid: number;
  thread: string;
  op: OpKind | null;
  pc: string;
  name: string;
  event: string | null;
  i: number;
}

interface ThreadLike {
  name: string;
  op: number;
  pc: string;
  status: string;
}

/**
 * The listing for the step at the cursor (its thread's operation, the line it ran), or before the first
 * step the first thread's; `ops(tid, k)` gives thread tid's k-th operation.
 */
export function sourceView(model: ModelId, step: StepLike | undefined, threads: ThreadLike[], ops: (tid: number, k: number) => OpKind | null): SourceView {
  const tid = step ? step.tid : Math.max(0, threads.findIndex((t) => t.status === 'ready' || t.status === 'blocked'));
  const op = step ? step.op : ops(tid, threads[tid]?.op ?? 0);
  const listing = listingFor(model, op);
  const current = step ? lineOfStep(step.op, step.pc, step.name, !!step.event) : null;
  const next = new Map<string, string[]>();
  threads.forEach((t, k) => {
    if (t.status !== 'ready' && t.status !== 'blocked') return;
    const o = ops(k, t.op);
    if (listingFor(model, o) !== listing) return;
    const id = lineOfPc(o, t.pc);
    next.set(id, [...(next.get(id) ?? []), t.name]);
  });
  const who = threads[tid]?.name ?? '';
  const heading = step
    ? `Step ${step.i}: ${step.event ? `${step.event} of ${who}` : who} in ${op ?? 'no operation'}`
    : `Before the first step: ${who} starts ${op ?? 'nothing'}`;
  return { heading, listing, current, next };
}

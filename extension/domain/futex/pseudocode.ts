/**
 * The programs as pseudocode, in the project's own words (paraphrasing FUTEX-SEMAPHORES.md §1.4-§1.7, §2.2,
 * §5; not glibc's source). Each line that a step runs carries the id of that step's program counter, so a
 * step record's `at.line` (`${program}.${pc}`) names the line to highlight. Lines without an id are
 * structure (loops, returns decided inside the previous step).
 */
import type { ModelId, OpKind, Pc } from './types';

export interface CodeLine {
  /** `${program}.${pc}` for a line a step runs, absent for structure. */
  id?: string;
  /** indentation level. */
  depth: number;
  text: string;
}

export interface Program {
  /** e.g. 'new64.post'. */
  id: string;
  title: string;
  lines: CodeLine[];
}

type Src = [pc: Pc | '', depth: number, text: string][];

function program(id: string, title: string, src: Src): Program {
  return { id, title, lines: src.map(([pc, depth, text]) => (pc ? { id: `${id}.${pc}`, depth, text } : { depth, text })) };
}

const NEW64_WAIT: Src = [
  ['start', 0, 'pending cancel? act on it (sem_wait, sem_timedwait; glibc >= 2.25; not sem_clockwait); d := load(data)'],
  ['', 0, 'if value(d) == 0: trywait returns EAGAIN, others go to the slow path'],
  ['fast_cas', 0, 'CAS(data, d → d - 1)   # take a token; trywait retries, sem_wait goes slow on failure'],
  ['register', 0, 'd := fetch_add(data, 1 << 32)   # nwaiters + 1'],
  ['', 0, 'loop:'],
  ['futex_wait', 1, 'if value(d) == 0: futex_wait(&value, expected 0)   # EINTR/ETIMEDOUT → deregister, -1'],
  ['reload', 1, 'd := load(data)'],
  ['slow_cas', 1, 'CAS(data, d → d - 1 - (1 << 32))   # take a token and deregister in one step; return 0'],
  ['deregister_err', 0, 'fetch_add(data, -(1 << 32)); return -1 with errno'],
  ['cancel_unwind', 0, 'cancelled: cleanup fetch_add(data, -(1 << 32)); the thread exits'],
];

const NEW32_WAIT: Src = [
  ['start', 0, 'pending cancel? act on it (sem_wait, sem_timedwait; glibc >= 2.25; not sem_clockwait); v := load(value)'],
  ['', 0, 'if tokens(v) == 0: trywait returns EAGAIN, others go to the slow path'],
  ['fast_cas', 0, 'CAS(value, v → v - 2)   # take a token'],
  ['register', 0, 'fetch_add(nwaiters, 1)'],
  ['load_v', 0, 'v := load(value)'],
  ['', 0, 'loop while tokens(v) == 0:'],
  ['set_bit', 1, 'if bit(v) == 0: CAS(value, v → v | 1)   # announce a waiter'],
  ['futex_wait', 1, 'futex_wait(&value, expected 1)   # EINTR/ETIMEDOUT → finish32, -1'],
  ['reload', 1, 'v := load(value)'],
  ['take_cas', 0, 'CAS(value, v → v - 2)   # take a token, bit unchanged'],
  ['', 0, 'finish32:'],
  ['finish_guess', 1, 'g := load(nwaiters)'],
  ['clear_bit', 1, 'if g == 1: fetch_and(value, ~1)   # probably the last waiter'],
  ['deregister', 1, 'f := fetch_add(nwaiters, -1)'],
  ['repair', 1, 'if f > 1 and g == 1: old := fetch_or(value, 1)   # misspeculation: put the bit back'],
  ['repair_wake', 1, 'if tokens(old) > 0: futex_wake(&value, tokens(old))'],
  ['cancel_unwind', 0, 'cancelled: the cleanup runs finish32, then the thread exits'],
];

/** The operations around the algorithms (lifetime.ts), the same under every model: ids `life.${op}`. */
const LIFETIME: Program = {
  id: 'life',
  title: 'the program around the semaphore (the same under every model)',
  lines: ([
    ['sem_init', 'sem_init(S, pshared, v)   # plain stores of every field'],
    ['sem_destroy', 'sem_destroy(S)   # returns 0; touches no memory'],
    ['free', 'free(S)   # the block goes back to malloc; its bytes stay mapped'],
    ['munmap', 'munmap(S)   # the page is gone: a later load faults'],
    ['reuse', '(malloc hands the block to another object, which overwrites it)'],
  ] as const).map(([op, text]) => ({ id: `life.${op}`, depth: 0, text })),
};

/** Every program, by id. */
export const PSEUDOCODE: Readonly<Record<string, Program>> = Object.fromEntries([
  program('new64.post', 'sem_post (glibc >= 2.21, 64-bit atomics)', [
    ['start', 0, 'p := load(private)   # before the token is published'],
    ['load', 0, 'd := load(data)'],
    ['cas', 0, 'if value(d) == SEM_VALUE_MAX: return EOVERFLOW; CAS(data, d → d + 1)   # publish; retry on failure'],
    ['futex_wake', 0, 'if nwaiters(d) > 0: futex_wake(&value, 1, p)   # no user-space access to *S any more'],
  ]),
  program('new64.post_broken', 'sem_post BROKEN on purpose (§6 b2: reads nwaiters, then increments)', [
    ['start', 0, 'p := load(private)'],
    ['load_nwaiters', 0, 'n := load(nwaiters)   # separate from the increment: the bug'],
    ['fetch_add', 0, 'fetch_add(value, 1)'],
    ['futex_wake', 0, 'if n > 0: futex_wake(&value, 1, p)'],
  ]),
  program('new64.wait', 'sem_wait / sem_timedwait / sem_clockwait / sem_trywait (glibc >= 2.21, 64-bit atomics)', NEW64_WAIT),
  program('new64.getvalue', 'sem_getvalue (glibc >= 2.21, 64-bit atomics)', [
    ['start', 0, 'd := load_relaxed(data); *sval := value(d); return 0   # never negative: 0 while threads wait'],
  ]),
  program('new32.post', 'sem_post (glibc >= 2.21, 32-bit)', [
    ['start', 0, 'p := load(private)'],
    ['load', 0, 'v := load(value)'],
    ['cas', 0, 'if tokens(v) == SEM_VALUE_MAX: return EOVERFLOW; CAS(value, v → v + 2)   # publish (2.21 tested v << 1: never)'],
    ['futex_wake', 0, 'if bit(v) == 1: futex_wake(&value, 1, p)'],
  ]),
  program('new32.wait', 'sem_wait / sem_timedwait / sem_clockwait / sem_trywait (glibc >= 2.21, 32-bit)', NEW32_WAIT),
  program('new32.getvalue', 'sem_getvalue (glibc >= 2.21, 32-bit)', [
    ['start', 0, 'v := load_relaxed(value); *sval := tokens(v); return 0   # never negative: 0 while threads wait'],
  ]),
  program('old.post', 'sem_post (glibc <= 2.20, x86_64 sem_post.S)', [
    ['start', 0, 'v := load(value)'],
    ['cas', 0, 'if v == SEM_VALUE_MAX: return EOVERFLOW; lock cmpxchg(value, v → v + 1)   # publish'],
    ['load_nwaiters', 0, 'if load(nwaiters) == 0: return 0   # reads *S after publishing (bug 12674)'],
    ['load_private', 0, 'op := FUTEX_WAKE | load(private)'],
    ['futex_wake', 0, 'r := futex(&value, op, 1); if r < 0: return -1 EINVAL'],
  ]),
  program('old.wait', 'sem_wait / sem_timedwait / sem_trywait (glibc <= 2.20)', [
    ['start', 0, 'v := load(value)   # decrement_if_positive'],
    ['fast_cas', 0, 'if v > 0: lock cmpxchg(value, v → v - 1); return 0   # trywait: EAGAIN when 0'],
    ['register', 0, 'atomic nwaiters + 1'],
    ['', 0, 'loop:'],
    ['futex_wait', 1, 'futex_wait(&value, expected 0)   # async cancel on; EINTR/ETIMEDOUT → leave with -1'],
    ['dip_load', 1, 'v := load(value)'],
    ['slow_cas', 1, 'if v > 0: lock cmpxchg(value, v → v - 1) → leave with 0'],
    ['deregister', 0, 'atomic nwaiters - 1; return the result'],
    ['cancel_unwind', 0, 'cancelled: cleanup nwaiters - 1; the thread exits'],
  ]),
  program('old.getvalue', 'sem_getvalue (glibc <= 2.20)', [
    ['start', 0, '*sval := value   # a plain load; return 0'],
  ]),
  program('pg.post', 'PGSemaphoreUnlock (PostgreSQL futex semaphore)', [
    ['start', 0, 'fetch_add(counter, 1)'],
    ['futex_wake', 0, 'futex_wake(&counter, INT_MAX)   # always, wakes every sleeper'],
  ]),
  program('pg.wait', 'PGSemaphoreLock / pg_sem_wait (PostgreSQL futex semaphore)', [
    ['', 0, 'loop:'],
    ['start', 1, 'v := load(counter)   # pg_sem_trywait'],
    ['cas', 1, 'while v > 0: CAS(counter, v → v - 1) → return 0'],
    ['futex_wait', 1, 'futex_wait(&counter, expected 0)   # EAGAIN or woken: loop; EINTR: -1'],
  ]),
  LIFETIME,
].map((p) => [p.id, p]));

/** The program a line id belongs to ('new64.post.cas' → 'new64.post', 'life.free' → 'life'). */
export function programOfLine(line: string): string {
  return line.slice(0, line.lastIndexOf('.'));
}

const MODEL_KEY: Record<ModelId, string> = {
  'glibc-new-64': 'new64', 'glibc-new-32': 'new32', 'glibc-old': 'old', 'pg-futex': 'pg',
};

/** The program a thread runs for an operation (undefined for init/destroy/free/munmap/reuse). */
export function programFor(model: ModelId, op: OpKind): string | undefined {
  const k = MODEL_KEY[model];
  switch (op) {
    case 'sem_post': return `${k}.post`;
    case 'sem_post_broken': return model === 'glibc-new-64' ? 'new64.post_broken' : undefined;
    case 'sem_wait': case 'sem_timedwait': case 'sem_trywait': case 'sem_clockwait': return `${k}.wait`;
    case 'sem_getvalue': return model === 'pg-futex' ? undefined : `${k}.getvalue`;
    default: return undefined;
  }
}

/** The line id of a step at `pc` in operation `op` ('life.sem_destroy' etc. for the lifetime operations). */
export function lineId(model: ModelId, op: OpKind, pc: Pc): string {
  const p = programFor(model, op);
  return p ? `${p}.${pc}` : `life.${op}`;
}

/**
 * The reducer: `step(state, choice) -> state` and `enabled(state) -> Choice[]`, one atomic step at a time,
 * for the four models of FUTEX-SEMAPHORES.md. Every step does at most one access to the semaphore's memory
 * (a load, a store or one atomic read-modify-write) or one futex system call, plus the thread-local
 * computation that follows it up to the next shared access. The kernel's compare-and-block is one step (§4).
 * Each model's program is in its own file under models/ (with its program counters); this file schedules.
 */
import { applyStore, Ctx, isTimed, isWait, opOf, ownView, scenarioOf, threadNames, type AccessSpec, type ModelProgram } from './ctx';
import { stepLifetime } from './lifetime';
import { stepSimpleOp } from './simpleOps';
import { defaultGlibc, opMissing, traitsOf, versionMismatch } from './versions';
import { lineId } from './pseudocode';
import { glibcNew32 } from './models/glibcNew32';
import { glibcNew64 } from './models/glibcNew64';
import { glibcOld } from './models/glibcOld';
import { pgFutex } from './models/pgFutex';
import type {
  Choice, FutexState, GlibcVersion, Memory, MemoryModel, MemStatus, ModelId, OpKind, Pc, Scenario, ThreadState, ThreadStatus,
  Violation, WordName,
} from './types';
import { intern } from './stateTable';
import { casWord, initMemory, tokensOf, wordValue } from './words';

export { scenarioOf } from './ctx';
export { data64, fmtMem, fmtWord, hi, initMemory, lo, tokensOf } from './words';

/** The program of each model. */
export const PROGRAMS: { readonly [M in ModelId]: ModelProgram<Pc> } = {
  'glibc-new-64': glibcNew64 as ModelProgram<Pc>,
  'glibc-new-32': glibcNew32 as ModelProgram<Pc>,
  'glibc-old': glibcOld as ModelProgram<Pc>,
  'pg-futex': pgFutex as ModelProgram<Pc>,
};

function freshThread(name: string): ThreadState {
  return {
    name, op: 0, pc: 'start', status: 'ready', word: 0, priv: 0, guess: 0, wakeCount: 0, pendingRet: '',
    registered: false, published: false, futexKey: '', pendingCancel: false, cancelSent: false, unwinding: false, window: false, results: [],
    buffer: [],
  };
}

export interface StateOptions {
  /** run the scenario under another model than its own. */
  model?: ModelId;
  /** the glibc version (default: the scenario's, see versions.defaultGlibc); null only for pg-futex. */
  glibc?: GlibcVersion | null;
  /** the memory model (default: the scenario's, else sequential consistency). */
  memoryModel?: MemoryModel;
}

/** The glibc version and memory model a scenario runs under with these options; throws on a combination
 *  that matches no real code (glibc-old is 2.20, glibc-new-* 2.21+, an operation a version lacks). */
export function runParams(sc: Scenario, opts: StateOptions = {}): { model: ModelId; glibc: GlibcVersion | null; memoryModel: MemoryModel } {
  const model = opts.model ?? sc.model;
  const glibc = opts.glibc !== undefined ? opts.glibc : defaultGlibc(model, sc);
  const bad = versionMismatch(model, glibc);
  if (bad) throw new Error(bad);
  for (const t of sc.threads) {
    for (const o of t.ops) {
      const why = opMissing(model, glibc, o.op);
      if (why) throw new Error(why);
    }
  }
  return { model, glibc, memoryModel: opts.memoryModel ?? sc.memoryModel ?? 'sc' };
}

/** The initial state of a scenario (threads at their first step; pre-registered waiters imported). */
export function initialState(sc: Scenario, opts: StateOptions = {}): FutexState {
  const { model, glibc, memoryModel } = runParams(sc, opts);
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
      if (model === 'glibc-new-32') mem.value = (mem.value | 1) >>> 0;
    }
    if (spec.registered) {
      const tokens = tokensOf(model, mem);
      t.pc = PROGRAMS[model].resumePc;
      if (tokens === 0) {
        t.status = 'blocked';
        t.futexKey = sc.initial.pshared || model === 'pg-futex' ? 'shared' : `private:p${spec.process ?? 0}`;
        queue.push(tid);
      }
    }
    threads.push(t);
  });
  return {
    model, glibc, memoryModel, scenario: sc, mem, queue, threads, left: { ...sc.budget }, tokens: sc.initial.value, violations: [],
    last: null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// enabled / step

/** The pcs that are a weak CAS in glibc >= 2.21 (§1.8): a spurious failure is a schedulable choice there. */
function atWeakCas(s: FutexState, tid: number): boolean {
  const pcs = PROGRAMS[s.model].weakCasPcs;
  if (!pcs.length) return false;
  const t = s.threads[tid];
  const op = opOf(s, tid);
  if (op !== 'sem_post' && !isWait(op)) return false;
  if (!pcs.includes(t.pc)) return false;
  if (s.mem.status !== 'live') return false;
  return casWord(s.model, s.mem) === t.word;
}

function combinations(xs: number[], k: number): number[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [h, ...rest] = xs;
  return [...combinations(rest, k - 1).map((c) => [h, ...c]), ...combinations(rest, k)];
}

/** Whether a timeout can fire for this blocked thread (sem_timedwait; PostgreSQL has no timed wait). */
function canTimeout(s: FutexState, tid: number): boolean {
  return s.model !== 'pg-futex' && isTimed(opOf(s, tid));
}

function canCancel(s: FutexState, tid: number): boolean {
  const t = s.threads[tid];
  return s.model !== 'pg-futex' && !!scenarioOf(s).threads[tid].cancel && !t.cancelSent &&
    (t.status === 'ready' || t.status === 'blocked');
}

/** Every choice the scheduler can make in this state: thread steps first, then environment events. */
export function enabled(s: FutexState): Choice[] {
  const out: Choice[] = [];
  const threads = s.threads;
  for (const t of threads) if (t.status === 'crashed') return out;
  for (let tid = 0; tid < threads.length; tid++) {
    const t = threads[tid];
    if (t.status !== 'ready') continue;
    if ((t.pc === 'futex_wake' || t.pc === 'repair_wake') && s.queue.length > t.wakeCount) {
      for (const w of combinations([...s.queue], t.wakeCount)) out.push({ kind: 'run', tid, wake: w });
      continue;
    }
    out.push({ kind: 'run', tid });
    if (s.left.weakCas > 0 && atWeakCas(s, tid)) out.push({ kind: 'run', tid, casSpurious: true });
  }
  for (const tid of s.queue) {
    if (s.left.spurious > 0) out.push({ kind: 'event', event: 'spurious', tid });
    if (s.left.signals > 0) out.push({ kind: 'event', event: 'signal', tid });
    if (canTimeout(s, tid)) out.push({ kind: 'event', event: 'timeout', tid });
  }
  for (let tid = 0; tid < threads.length; tid++) {
    if (canCancel(s, tid)) out.push({ kind: 'event', event: 'cancel', tid });
    if (threads[tid].buffer.length) out.push({ kind: 'event', event: 'flush', tid });
  }
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
    const what = {
      spurious: 'spurious wake-up of', signal: 'signal (EINTR) to', timeout: 'timeout of', cancel: 'pthread_cancel',
      flush: 'store buffer flush of',
    }[c.event];
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
  s.threads[tid].futexKey = '';
}

function interrupted(c: Ctx, err: 'EINTR' | 'ETIMEDOUT'): void {
  const t = c.t;
  t.status = 'ready';
  t.window = true;
  t.pendingRet = `-1 ${err}`;
  const next = PROGRAMS[c.model].errorPc;
  if (next === null) c.ret(`-1 ${err}`);
  else t.pc = next;
}

function applyEvent(prev: FutexState, c: Extract<Choice, { kind: 'event' }>, record: boolean): FutexState {
  const x = new Ctx(prev, c.tid, 'env', record);
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
      x.rec.resumed = [{ thread: t.name, ret: 0, why: 'spurious' }];
      break;
    case 'signal':
      if (!inQ || x.s.left.signals <= 0) throw new Error('signal: thread not asleep or budget spent');
      removeFromQueue(x.s, c.tid);
      x.s.left.signals -= 1;
      x.name('signal', `a signal handler runs in ${t.name}: futex_wait returns EINTR`);
      x.rec.resumed = [{ thread: t.name, ret: -1, errno: 'EINTR', why: 'signal' }];
      interrupted(x, 'EINTR');
      break;
    case 'timeout':
      if (!inQ || !canTimeout(prev, c.tid)) throw new Error('timeout: thread not asleep in sem_timedwait');
      removeFromQueue(x.s, c.tid);
      x.name('timeout', `the absolute timeout of ${t.name} passes: futex_wait returns ETIMEDOUT`);
      x.rec.resumed = [{ thread: t.name, ret: -1, errno: 'ETIMEDOUT', why: 'timeout' }];
      interrupted(x, 'ETIMEDOUT');
      break;
    case 'cancel':
      if (!canCancel(prev, c.tid)) throw new Error('cancel: not allowed here');
      t.cancelSent = true;
      if (!inQ && t.window && traitsOf(prev.glibc).asyncCancel) {
        // glibc <= 2.40: async cancellation is still enabled right after the syscall returned
        const had = t.pendingRet ? ` (${t.pendingRet.slice(3)})` : '';
        t.window = false;
        t.pc = 'cancel_unwind';
        t.pendingRet = '';
        x.name('cancel', `pthread_cancel(${t.name}) acts in the async-cancel window: futex_wait had already returned${had}, ` +
          'and what the call received (a post\'s wake) is consumed (glibc <= 2.40, BZ#12683)');
      } else if (inQ) {
        removeFromQueue(x.s, c.tid);
        t.status = 'ready';
        t.pc = 'cancel_unwind';
        x.name('cancel', `pthread_cancel(${t.name}): it is asleep in a cancellable futex_wait, so it unwinds now`);
        x.rec.resumed = [{ thread: t.name, ret: -1, why: 'cancel' }];
      } else {
        t.pendingCancel = true;
        x.name('cancel', `pthread_cancel(${t.name}): pending until its next cancellation point`);
      }
      break;
    case 'flush': {
      const e = t.buffer[0];
      if (!e) throw new Error('flush: the store buffer is empty');
      t.buffer = t.buffer.slice(1);
      applyStore(x.s.mem, e);
      x.name('flush', `${t.name}'s store buffer writes ${e.word} = ${e.value} to memory`);
      x.rec.flush = [{ thread: t.name, word: e.word, value: e.value }];
      break;
    }
  }
  return finishStep(x);
}

/** Apply one choice. Throws if the choice is not enabled-shaped (the UI/explorer only pass enabled ones). */
export function step(prev: FutexState, choice: Choice): FutexState {
  return stepWith(prev, choice, true);
}

/**
 * `step` with `record` false: the same successor state, with a StepRecord that has no memory accesses and
 * no program position (the explorer's mode: its witnesses are replayed with `step`).
 */
export function stepQuiet(prev: FutexState, choice: Choice): FutexState {
  return stepWith(prev, choice, false);
}

function stepWith(prev: FutexState, choice: Choice, record: boolean): FutexState {
  if (choice.kind === 'event') return applyEvent(prev, choice, record);
  const t0 = prev.threads[choice.tid];
  if (!t0 || t0.status !== 'ready') throw new Error(`thread ${choice.tid} cannot run`);
  const c = new Ctx(prev, choice.tid, t0.name, record);
  const op = opOf(prev, choice.tid);
  if (!op) throw new Error(`thread ${t0.name} has no operation left`);
  const tso = prev.memoryModel === 'x86-tso' && t0.buffer.length > 0;
  if (record) c.rec.at = { tid: choice.tid, opIndex: t0.op, op, pc: t0.pc, line: lineId(prev.model, op, t0.pc) };
  if (record || tso) c.accessSpec = PROGRAMS[prev.model].access(op, t0.pc);
  const kind = tso ? tsoKind(op, t0.pc, c.accessSpec) : 'locked';
  if (tso && kind === 'locked') c.drain();
  const real = c.s.mem;
  let seen: Memory | undefined;
  if (tso && kind === 'load') {
    // the thread's loads see its own buffered stores first; the step must not write
    c.s.mem = ownView(real, t0.buffer);
    c.bufferedWords = new Set(t0.buffer.map((e) => e.word));
    if (c.bufferedWords.has('data')) c.bufferedWords.add('value').add('nwaiters');
    seen = { ...c.s.mem };
  }
  if (!(t0.pc === 'start' && (stepLifetime(c, op) || stepSimpleOp(c, op)))) {
    const why = opMissing(prev.model, prev.glibc, op);
    if (why) throw new Error(why);
    PROGRAMS[prev.model].step(c, op, choice);
  }
  if (seen) {
    const v = c.s.mem;
    if (v.value !== seen.value || v.nwaiters !== seen.nwaiters || v.priv !== seen.priv) {
      throw new Error(`x86-TSO: ${op} at ${t0.pc} was taken for a load but wrote memory`);
    }
    c.s.mem = { ...real, status: v.status };
  }
  return finishStep(c);
}

/** The program counters at which a step makes a futex system call (the kernel's locked instructions and
 *  barriers drain the caller's store buffer). */
const FUTEX_PCS: ReadonlySet<string> = new Set(['futex_wait', 'futex_wake', 'repair_wake']);

/**
 * x86-TSO: how a step meets the thread's store buffer. 'locked': a lock-prefixed instruction (CAS, atomic
 * exchange/add/and/or) or a system call, which writes the buffer to memory first; 'store': plain stores that
 * go into the buffer (sem_init, reuse, raw_store; free and sem_destroy touch no modelled word); 'load': plain
 * loads, which read the thread's own buffer first.
 */
function tsoKind(op: OpKind, pc: Pc, spec: AccessSpec | undefined): 'locked' | 'store' | 'load' {
  switch (op) {
    case 'sem_init': case 'reuse': case 'raw_store': case 'sem_destroy': case 'free':
      return 'store';
    case 'munmap':
      return 'locked';
    case 'sem_getvalue': case 'raw_load':
      return 'load';
    default:
      if (spec && (spec.kind === 'cas' || spec.kind === 'rmw')) return 'locked';
      return FUTEX_PCS.has(pc) ? 'locked' : 'load';
  }
}

/** Scenarios with raw stores (litmus tests) and with observations (raw loads, sem_getvalue), computed once per
 *  scenario object. */
const rawOps = new WeakMap<Scenario, { store: boolean; load: boolean }>();
function raw(sc: Scenario): { store: boolean; load: boolean } {
  let r = rawOps.get(sc);
  if (r === undefined) {
    r = {
      store: sc.threads.some((t) => t.ops.some((o) => o.op === 'raw_store')),
      load: sc.threads.some((t) => t.ops.some((o) => o.op === 'raw_load' || o.op === 'sem_getvalue')),
    };
    rawOps.set(sc, r);
  }
  return r;
}
/** Whose script stores to the words itself: the model's invariants do not apply. */
const writesRaw = (sc: Scenario): boolean => raw(sc).store;

/** Invariant checks and stuck-state detection after every step. */
function finishStep(c: Ctx): FutexState {
  const s = c.s;
  const m = s.mem;
  for (const a of c.rec.access ?? []) {
    if (a.kind === 'read' || a.buffered) continue;
    const before = a.value;
    a.before = before;
    if (a.kind === 'cas') {
      a.ok = c.rec.name !== 'cas_fail' && c.rec.name !== 'UAF_load';
      if (!a.ok) continue;
    }
    if (!c.crashed) a.value = wordValue(s.model, m, a.word);
  }
  // Invariants hold of memory once every store is in it: not checked while a store is buffered (x86-TSO).
  const pending = s.threads.some((t) => t.buffer.length > 0);
  if (!c.crashed && !pending && !writesRaw(s.scenario) && (m.status === 'live' || m.status === 'destroyed')) {
    const tokens = tokensOf(s.model, m);
    if (tokens !== s.tokens) {
      c.violate({ kind: 'assertion', message: `token conservation: memory says ${tokens}, initial + posts − takes = ${s.tokens}` });
    }
    if (s.model !== 'pg-futex') {
      let reg = 0;
      for (const t of s.threads) if (t.registered) reg++;
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
  if (s.threads.some((t) => t.status === 'ready' || t.status === 'crashed' || t.buffer.length > 0)) return [];
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

/** Identity of a state for hashing (everything that influences the future; not history or results). */
export function stateKey(s: FutexState): string {
  const m = s.mem;
  const async = traitsOf(s.glibc).asyncCancel;
  let k = `${m.status[0]}${m.value},${m.nwaiters},${m.priv}|${[...s.queue].sort().join(',')}|` +
    `${s.left.spurious},${s.left.weakCas},${s.left.signals}|${s.tokens}|${s.violations.length ? 1 : 0}`;
  for (const t of s.threads) {
    k += `|${t.op}.${t.pc}.${t.status[0]}.${t.word}.${t.priv}.${t.guess}.${t.wakeCount}.${t.pendingRet}.${t.futexKey}.${t.published ? 1 : 0}${t.registered ? 1 : 0}` +
      `${t.pendingCancel ? 1 : 0}${t.cancelSent ? 1 : 0}${t.unwinding ? 1 : 0}${async && t.window ? 1 : 0}`;
    if (t.buffer.length) k += `[${t.buffer.map((e) => `${e.word}=${e.value}`).join(',')}]`;
    // what a raw load or sem_getvalue saw is the outcome the scenario asks about: states differing in it stay apart
    if (raw(s.scenario).load) k += `{${t.results.join('/')}}`;
  }
  return k;
}

const MEM_STATUS: Readonly<Record<MemStatus, number>> = { live: 0, destroyed: 1, freed: 2, unmapped: 3, reused: 4 };
const THREAD_STATUS: Readonly<Record<ThreadStatus, number>> = { ready: 0, blocked: 1, done: 2, cancelled: 3, crashed: 4 };
const WORD: Readonly<Record<WordName, number>> = { data: 0, value: 1, nwaiters: 2, private: 3, counter: 4 };

/**
 * The identity of a state as numbers, written into `out` (its length is returned): the same fields as
 * `stateKey`, with strings interned. Two states have equal encodings exactly when they have equal keys
 * (checked over every scenario's states in test/unit/futex/explore.test.ts); the explorer hashes these.
 */
export function encodeState(s: FutexState, out: number[]): number {
  const m = s.mem;
  let n = 0;
  out[n++] = MEM_STATUS[m.status];
  out[n++] = m.value;
  out[n++] = m.nwaiters;
  out[n++] = m.priv;
  const q = s.queue;
  out[n++] = q.length;
  if (q.length === 1) out[n++] = q[0];
  else if (q.length > 1) for (const x of [...q].sort((a, b) => a - b)) out[n++] = x;
  out[n++] = s.left.spurious;
  out[n++] = s.left.weakCas;
  out[n++] = s.left.signals;
  out[n++] = s.tokens;
  out[n++] = s.violations.length ? 1 : 0;
  const async = traitsOf(s.glibc).asyncCancel;
  const load = raw(s.scenario).load;
  for (const t of s.threads) {
    out[n++] = t.op;
    out[n++] = intern(t.pc);
    out[n++] = THREAD_STATUS[t.status];
    out[n++] = t.word;
    out[n++] = t.priv;
    out[n++] = t.guess;
    out[n++] = t.wakeCount;
    out[n++] = intern(t.pendingRet);
    out[n++] = intern(t.futexKey);
    out[n++] = (t.published ? 1 : 0) | (t.registered ? 2 : 0) | (t.pendingCancel ? 4 : 0) | (t.cancelSent ? 8 : 0) |
      (t.unwinding ? 16 : 0) | (async && t.window ? 32 : 0);
    out[n++] = t.buffer.length;
    for (const e of t.buffer) {
      out[n++] = WORD[e.word];
      out[n++] = e.value;
    }
    if (load) out[n++] = intern(t.results.join('/'));
  }
  return n;
}

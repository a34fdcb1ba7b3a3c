/**
 * A history of model states read as a trace for the sequence diagram, the source pane and the memory view:
 * per step, who ran (thread or environment event), which operation and program counter, the memory access
 * it made (load, store, CAS, read-modify-write: word and values), the futex system call (wait/wake, expected
 * value or count, result, whom it woke), the token's publication, lifetime events, violations.
 *
 * The model records each step's memory accesses and futex call on its step record (extension/domain/futex,
 * Ctx.touch and the futex calls); the trace formats them for the model. Pure (no DOM): unit-tested in node.
 */
import {
  fmtWord, lineId, scenarioOf, type Choice, type FutexCall as RecFutex, type FutexState, type MemAccess as RecAccess,
  type MemStatus, type ModelId, type OpKind, type Pc, type StepName, type Violation,
} from '../../extension/domain/futex';

export type AccessKind = 'load' | 'store' | 'cas-ok' | 'cas-fail' | 'rmw';

export interface MemAccess {
  kind: AccessKind;
  /** the field as the memory view names it: data, value, nwaiters, private, counter; '*' = every field. */
  word: string;
  /** the field's value before and after the step, formatted for the model. */
  before: string;
  after: string;
  /** the access happened on memory that was no longer live (a use after free). */
  uaf: boolean;
  /** x86-TSO: a store that went into the thread's store buffer, or a load its own buffer served. */
  buffered?: boolean;
}

export interface FutexCall {
  op: 'wait' | 'wake';
  /** wait: the value the kernel compares the word with. */
  expected?: number;
  /** wake: how many it may wake ('all' for INT_MAX). */
  count?: string;
  /** wait: 'sleeps' | 'EAGAIN' | 'EWOULDBLOCK' | 'EFAULT'; wake: the number woken, or the error. */
  result: string;
  /** wake: the threads it took off the queue. */
  woken: string[];
  /** the private flag of the op (from the private value the thread loaded). */
  privateFlag?: boolean;
  /** the op as strace spells it, when the model records it. */
  opText?: string;
}

export type EventKind = 'spurious' | 'signal' | 'timeout' | 'cancel' | 'flush';
export type Lifetime = 'init' | 'destroy' | 'free' | 'munmap' | 'reuse';

export interface TraceStep {
  /** index in the history (1 = the first step). */
  i: number;
  /** the thread the step belongs to (an event's target), or -1. */
  tid: number;
  thread: string;
  /** 'env' for an environment event. */
  actor: string;
  event: EventKind | null;
  name: StepName;
  detail: string;
  note?: string;
  ret?: string;
  violations: Violation[];
  /** the operation the thread was running and its program counter before the step. */
  op: OpKind | null;
  pc: string;
  /** the pseudocode line the step ran (`PSEUDOCODE` id); an event's: the line its thread was at. */
  line: string | null;
  access: MemAccess | null;
  futex: FutexCall | null;
  /** this step made a token visible to waiters (the post's publishing CAS or fetch_add). */
  published: boolean;
  lifetime: Lifetime | null;
  memAfter: MemStatus;
  /** thread names in the kernel's futex queue after the step. */
  queueAfter: string[];
  /** x86-TSO: buffered stores this step wrote to memory (a flush event, or a locked instruction's drain). */
  flushed: { thread: string; word: string; value: string }[];
}

function fmtField(model: ModelId, word: string, v: number): string {
  if (model === 'glibc-new-64' && word === 'data') return fmtWord(model, v);
  if (model === 'glibc-new-32' && word === 'value') return `t${v >>> 1}·b${v & 1}`;
  return String(v);
}

/** The access the model recorded on the step (when the model records them), in this module's terms. */
function fromRecord(model: ModelId, a: RecAccess): MemAccess {
  const kind: AccessKind = a.kind === 'read' ? 'load' : a.kind === 'write' ? 'store' : a.kind === 'rmw' ? 'rmw' : a.ok ? 'cas-ok' : 'cas-fail';
  const before = a.kind === 'read' || (a.kind === 'cas' && !a.ok) ? a.value : a.before ?? a.value;
  return {
    kind, word: a.word, before: fmtField(model, a.word, before), after: fmtField(model, a.word, a.value), uaf: !!a.stale,
    ...(a.buffered ? { buffered: true } : {}),
  };
}

function futexFromRecord(f: RecFutex): FutexCall {
  const wake = f.op === 'FUTEX_WAKE';
  const result = f.result === 'blocked' ? 'sleeps' : f.result.errno ?? String(f.result.ret);
  return {
    op: wake ? 'wake' : 'wait', expected: wake ? undefined : f.val, count: wake ? (f.val >= 2147483647 ? 'all' : String(f.val)) : undefined,
    result, woken: f.woken ?? [], privateFlag: f.private, opText: f.opText,
  };
}

/**
 * sem_init: plain stores of every field. Under sequential consistency the model replaces the memory at once
 * and records no access, so the diagram's store-all mark comes from the step's name.
 */
function initAccess(prev: FutexState): MemAccess {
  return { kind: 'store', word: '*', before: '', after: '', uaf: prev.mem.status !== 'live' && prev.mem.status !== 'destroyed' };
}

const LIFETIME: Partial<Record<StepName, Lifetime>> = { init: 'init', destroy: 'destroy', free: 'free', munmap: 'munmap', reuse: 'reuse' };

/** The trace of a history (`choices[k]` led from `history[k]` to `history[k + 1]`). */
export function traceOf(history: FutexState[], choices: Choice[]): TraceStep[] {
  const out: TraceStep[] = [];
  for (let i = 1; i < history.length; i++) {
    const prev = history[i - 1];
    const next = history[i];
    const rec = next.last;
    if (!rec) continue;
    const c = choices[i - 1];
    const tid = c ? c.tid : rec.at?.tid ?? next.threads.findIndex((t, k) => t !== prev.threads[k]);
    const t0 = prev.threads[tid];
    const op = t0 ? (scenarioOf(prev).threads[tid]?.ops[t0.op]?.op ?? null) : null;
    const pc = t0?.pc ?? '';
    const event = c?.kind === 'event' ? c.event : null;
    const model = prev.model;
    out.push({
      i,
      tid,
      thread: t0?.name ?? rec.actor,
      actor: rec.actor,
      event,
      name: rec.name,
      detail: rec.detail,
      note: rec.note,
      ret: rec.ret,
      violations: rec.violations ?? [],
      op,
      pc,
      line: rec.at?.line ?? (op ? lineId(model, op, pc as Pc) : null),
      // the accesses and futex calls the model recorded on the step
      access: event ? null : rec.access?.length ? fromRecord(model, rec.access[0]) : rec.name === 'init' ? initAccess(prev) : null,
      futex: event ? null : rec.futex ? futexFromRecord(rec.futex) : null,
      published: next.tokens > prev.tokens && rec.name !== 'init',
      lifetime: LIFETIME[rec.name] ?? null,
      memAfter: next.mem.status,
      queueAfter: next.queue.map((q) => next.threads[q].name),
      flushed: (rec.flush ?? []).map((f) => ({ thread: f.thread, word: f.word, value: fmtField(model, f.word, f.value) })),
    });
  }
  return out;
}

/** "value 1→0" when it fits a diagram column, else "data→(1,1)". */
function change(w: string, a: MemAccess): string {
  return (a.before + a.after).length <= 7 ? `${w} ${a.before}→${a.after}` : `${w}→${a.after}`;
}

/** Short text of an access for a diagram mark: kind on one line, word and value on the next. */
export function accessLabel(a: MemAccess): [string, string] {
  const w = a.word === 'private' ? 'priv' : a.word === 'nwaiters' ? 'nwait' : a.word;
  switch (a.kind) {
    case 'load': return [a.buffered ? 'load (buf)' : 'load', `${w}=${a.before}`];
    case 'store': return [a.buffered ? 'store→buf' : 'store', a.word === '*' ? 'all' : `${w}=${a.after}`];
    case 'cas-ok': return ['CAS ✓', change(w, a)];
    case 'cas-fail': return ['CAS ✗', `${w}=${a.after}`];
    case 'rmw': return ['RMW', change(w, a)];
  }
}

/** The full sentence of an access, for tooltips and screen readers. */
export function accessText(a: MemAccess): string {
  const w = a.word === '*' ? 'every field' : a.word;
  const uaf = `${a.buffered ? (a.kind === 'load' ? ' (from its own store buffer)' : ' (into its store buffer: other threads do not see it yet)') : ''}${a.uaf ? ' (use after free)' : ''}`;
  switch (a.kind) {
    case 'load': return `loads ${w} = ${a.before}${uaf}`;
    case 'store': return `stores ${w}${a.word === '*' ? '' : ` = ${a.after}`}${uaf}`;
    case 'cas-ok': return `CAS on ${w} succeeds: ${a.before} → ${a.after}${uaf}`;
    case 'cas-fail': return `CAS on ${w} fails: found ${a.after}${uaf}`;
    case 'rmw': return `atomic read-modify-write of ${w}: ${a.before} → ${a.after}${uaf}`;
  }
}

export function futexText(f: FutexCall): string {
  const op = f.opText ? `futex(${f.opText}, ` : f.op === 'wait' ? 'futex_wait(' : 'futex_wake(';
  if (f.op === 'wait') return `${op}expected ${f.expected}) → ${f.result === 'sleeps' ? 'enqueued, sleeps' : f.result}`;
  return `${op}${f.count}) → ${f.result}${f.woken.length ? ` (wakes ${f.woken.join(', ')})` : ''}`;
}

const GLIBC_OF: Record<ModelId, string> = {
  'glibc-new-64': 'glibc ≥ 2.21, 64-bit atomics', 'glibc-new-32': 'glibc ≥ 2.21, 32-bit', 'glibc-old': 'glibc ≤ 2.20',
  'pg-futex': 'PostgreSQL futex semaphore',
};

/**
 * Which code and which memory model the run uses, for the diagram's caption: the glibc version and memory
 * model the state or its scenario names, else what the models are (one code per model, sequentially
 * consistent memory).
 */
export function runFacts(s: FutexState): string {
  const code = s.model === 'pg-futex' || s.glibc === null ? GLIBC_OF[s.model]
    : `glibc ${s.glibc}${s.model === 'glibc-new-64' ? ', 64-bit atomics' : s.model === 'glibc-new-32' ? ', 32-bit' : ''}`;
  const memory = s.memoryModel === 'sc' ? 'sequentially consistent memory (every store is seen by all threads at once)'
    : s.memoryModel === 'x86-tso' ? 'x86-TSO memory (per-thread store buffers; locked instructions and system calls drain them)'
      : `${s.memoryModel} memory`;
  return `${s.model}: ${code}; ${memory}`;
}

/**
 * Futex semaphore model checker: the explicit state, the choices a scheduler can make, and the records a
 * step leaves behind. Pure data (no vscode, DOM or node:*): shared by the webview bundle and `ipcx`.
 *
 * Vocabulary and semantics follow the design's FUTEX-SEMAPHORES.md (the spec): §1 glibc >= 2.21
 * (64-bit and 32-bit variants), §2 glibc <= 2.20, §4 the kernel's futex, §5 the PostgreSQL futex
 * semaphore, §6 the state model and the interleavings.
 */

/** The four algorithms. */
export type ModelId = 'glibc-new-64' | 'glibc-new-32' | 'glibc-old' | 'pg-futex';
export const MODEL_IDS: readonly ModelId[] = ['glibc-new-64', 'glibc-new-32', 'glibc-old', 'pg-futex'];

/** Operations a scenario thread can run, in order. */
export type OpKind =
  | 'sem_init'
  | 'sem_post'
  /** §6(b2): a hypothetical post that reads nwaiters, then increments (BROKEN on purpose; glibc-new-64 only). */
  | 'sem_post_broken'
  | 'sem_wait'
  | 'sem_trywait'
  /** sem_timedwait with an absolute timeout that may pass while the thread sleeps in the kernel. */
  | 'sem_timedwait'
  | 'sem_destroy'
  /** free(3): the block stays mapped (stale bytes); any later user-space access is a use after free. */
  | 'free'
  /** munmap(2): the page is gone; a later user-space load faults (SIGSEGV kills the process). */
  | 'munmap'
  /** the freed block is handed out again and overwritten with unrelated data. */
  | 'reuse';

export const OP_KINDS: readonly OpKind[] = [
  'sem_init', 'sem_post', 'sem_post_broken', 'sem_wait', 'sem_trywait', 'sem_timedwait', 'sem_destroy', 'free',
  'munmap', 'reuse',
];

export interface OpSpec {
  op: OpKind;
  /** sem_init only: the initial value. */
  value?: number;
}

export interface ThreadSpec {
  name: string;
  ops: OpSpec[];
  /** some other thread calls pthread_cancel(this) at a moment the scheduler picks (sent exactly once). */
  cancel?: boolean;
  /** starts already registered as a waiter inside sem_wait (used to import a live semaphore's nwaiters). */
  registered?: boolean;
}

/** Bounds on the environment's nondeterminism, per schedule, so exploration terminates. */
export interface Budget {
  /** spurious futex_wait returns (0 without a matching wake): §4.3. */
  spurious: number;
  /** spurious failures of weak CAS (glibc >= 2.21 only; lock cmpxchg and PostgreSQL's CAS are strong). */
  weakCas: number;
  /** signals that interrupt a futex_wait (EINTR). */
  signals: number;
}

export interface Scenario {
  /** short id used on the command line: 'seed', 'b1', ... */
  id: string;
  title: string;
  description: string;
  /** the model the scenario is about; every model can run every scenario (except sem_post_broken). */
  model: ModelId;
  initial: {
    /** tokens. */
    value: number;
    /** sem_init's pshared (private = FUTEX_SHARED). */
    pshared: boolean;
  };
  threads: ThreadSpec[];
  budget: Budget;
  /**
   * glibc 2.21 to 2.40 (and <= 2.20): cancellation is asynchronous around the futex syscall, so a cancel can
   * act after futex_wait has already returned 0 for a post's wake, consuming it (§6 d4; BZ#12683, fixed in
   * 2.41 where cancellation acts only while the syscall blocks). Default false = 2.41 behaviour.
   */
  asyncCancel?: boolean;
}

/** The semaphore's memory, as a lifetime plus raw words. */
export type MemStatus = 'live' | 'destroyed' | 'freed' | 'unmapped' | 'reused';

export interface Memory {
  status: MemStatus;
  /**
   * The futex word. glibc-new-64: the value half of `data` (bits 0..31). glibc-new-32: `value` =
   * tokens << 1 | waiter bit. glibc-old: `value`. pg-futex: the counter.
   */
  value: number;
  /** glibc-new-64: bits 32..63 of `data`; glibc-new-32 and glibc-old: the separate nwaiters field. */
  nwaiters: number;
  /** the `private` field as stored (glibc >= 2.21: 0 private / 128 shared; glibc-old inverted). */
  priv: number;
}

export type ThreadStatus = 'ready' | 'blocked' | 'done' | 'cancelled' | 'crashed';

export interface ThreadState {
  name: string;
  /** index of the current operation in the thread's spec. */
  op: number;
  /** program counter inside the operation ('start' before its first step). */
  pc: string;
  status: ThreadStatus;
  /** locals: d/v = the thread's copy of the word (64-bit data as nwaiters*2^32+value), p = private,
   *  g = nwaiters guess (finish32), n = wake count, r = pending return value / errno. */
  d: number;
  p: number;
  g: number;
  n: number;
  /** pending result of the current op: '' while none, else e.g. '0', '-1 ETIMEDOUT'. */
  r: string;
  /** between register and deregister (nwaiters counts this thread). */
  registered: boolean;
  /** pthread_cancel has been called on this thread and has not acted yet. */
  pendingCancel: boolean;
  cancelSent: boolean;
  /** futex_wait has just returned 0 (woken or spurious) and the thread has not run since: the async-cancel
   *  window of glibc < 2.41. */
  window: boolean;
  /** set while unwinding for cancellation (cleanup handlers running). */
  unwinding: boolean;
  /** return value of each finished operation, for display and the faithfulness tests. */
  results: string[];
}

export type ViolationKind = 'use-after-free' | 'lost-wakeup' | 'deadlock' | 'assertion';
export const VIOLATION_KINDS: readonly ViolationKind[] = ['use-after-free', 'lost-wakeup', 'deadlock', 'assertion'];

export interface Violation {
  kind: ViolationKind;
  /** thread that did it (or that is stuck), if one. */
  thread?: string;
  message: string;
}

/** Step names (spec §6 "Suggested step vocabulary"). */
export type StepName =
  | 'init' | 'read_private' | 'load' | 'load_nwaiters' | 'load_private' | 'cas_ok' | 'cas_fail' | 'fetch_add'
  | 'register' | 'deregister' | 'guess' | 'set_bit' | 'clear_bit' | 'futex_wait' | 'woken' | 'spurious'
  | 'timeout' | 'signal' | 'cancel' | 'cancel_unwind' | 'futex_wake' | 'destroy' | 'free' | 'munmap' | 'reuse'
  | 'UAF_load' | 'UAF_store' | 'return';

export interface StepRecord {
  /** thread name, or 'env' for an environment event. */
  actor: string;
  name: StepName;
  /** what happened, in the spec's notation, e.g. "(1,0)→(1,1)". */
  detail: string;
  /** a remark: "benign: EFAULT ignored", "danger: W2 asleep with the waiter bit clear" ... */
  note?: string;
  /** the return of the operation when this step finished it. */
  ret?: string;
  violations?: Violation[];
}

export interface FutexState {
  model: ModelId;
  /** the scenario this state belongs to (shared by reference; not part of the state's identity). */
  scenario: Scenario;
  mem: Memory;
  /** the kernel's futex wait queue for the semaphore's futex word (thread indices, FIFO for display). */
  queue: number[];
  threads: ThreadState[];
  /** remaining environment budget for this schedule. */
  left: Budget;
  /** tokens expected by conservation: initial + published posts − taken tokens. */
  tokens: number;
  /** violations found so far in this history (the explorer stops a schedule at the first). */
  violations: Violation[];
  /** the step that produced this state (null for the initial state). Not part of the state's identity. */
  last: StepRecord | null;
}

/** What the scheduler picks next. */
export type Choice =
  | {
      kind: 'run';
      tid: number;
      /** a weak CAS that would succeed fails spuriously instead (costs one weakCas budget). */
      casSpurious?: boolean;
      /** futex_wake with fewer slots than sleepers: which sleepers it wakes (wake order is unspecified). */
      wake?: number[];
    }
  | { kind: 'event'; event: 'spurious' | 'signal' | 'timeout' | 'cancel'; tid: number };

export const SEM_VALUE_MAX = 2147483647;
export const FUTEX_SHARED = 128;
export const FUTEX_PRIVATE = 0;
export const TWO32 = 4294967296;

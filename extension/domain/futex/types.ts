/**
 * Futex semaphore model checker: the explicit state, the choices a scheduler can make, and the records a
 * step leaves behind. Pure data (no vscode, DOM or node:*): shared by the webview bundle and `ipcx`.
 *
 * Vocabulary and semantics follow the design's FUTEX-SEMAPHORES.md (the spec): §1 glibc >= 2.21
 * (64-bit and 32-bit variants), §2 glibc <= 2.20, §4 the kernel's futex, §5 the PostgreSQL futex
 * semaphore, §6 the state model and the interleavings.
 */

import type { New32Pc } from './models/glibcNew32';
import type { New64Pc } from './models/glibcNew64';
import type { OldPc } from './models/glibcOld';
import type { PgPc } from './models/pgFutex';

export { GLIBC_VERSIONS, MEMORY_MODELS, MODEL_IDS, OP_KINDS } from '../../shared/futexScenario';
export type {
  Budget, GlibcVersion, MemoryModel, ModelId, OpKind, OpSpec, Scenario, ThreadSpec, WordName,
} from '../../shared/futexScenario';
import type { Budget, GlibcVersion, MemoryModel, ModelId, OpKind, Scenario, WordName } from '../../shared/futexScenario';

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

/** Program counters, one union per model (each model's file lists what each value means). */
export type Pc = New64Pc | New32Pc | OldPc | PgPc;

export interface ThreadState<P extends Pc = Pc> {
  name: string;
  /** index of the current operation in the thread's spec. */
  op: number;
  /** program counter inside the operation ('start' before its first step). */
  pc: P;
  status: ThreadStatus;
  /** the thread's local copy of the semaphore word (glibc-new-64: `data` as nwaiters * 2^32 + value;
   *  glibc-new-32: `value`; glibc-old and pg-futex: the value/counter). */
  word: number;
  /** the `private` field as the thread loaded it (the futex op's private flag comes from it). */
  priv: number;
  /** glibc-new-32 finish32: the speculative nwaiters guess. glibc-old post: the nwaiters it loaded. */
  guess: number;
  /** the count the next futex_wake passes (1, the repair's token count, or INT_MAX). */
  wakeCount: number;
  /** pending result of the current op: '' while none, else e.g. '0', '-1 ETIMEDOUT'. */
  pendingRet: string;
  /** between register and deregister (nwaiters counts this thread). */
  registered: boolean;
  /** a sem_post whose token is visible (after its publishing CAS/fetch_add), until the post returns. */
  published: boolean;
  /** the futex key the thread sleeps under while in the kernel queue ('' otherwise): 'shared' or
   *  'private:p<process>' (a private futex is keyed by address space and address, §3.3). */
  futexKey: string;
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
  /** x86-TSO: the thread's store buffer, oldest first (always empty under sequential consistency). */
  buffer: StoreEntry[];
}

/** A plain store waiting in a store buffer (x86-TSO). */
export interface StoreEntry {
  word: WordName;
  value: number;
}

/**
 * use-after-free: the implementation touches the semaphore's memory after the operation's token was
 * published, so the thread that took it was entitled to destroy and free (the glibc <= 2.20 class, bug 12674).
 * misuse: the program called an operation on a destroyed or freed semaphore, or destroyed it while an
 * operation had not taken effect or threads still waited (undefined behaviour; the program's bug).
 */
export type ViolationKind = 'use-after-free' | 'misuse' | 'lost-wakeup' | 'deadlock' | 'assertion';
export const VIOLATION_KINDS: readonly ViolationKind[] = ['use-after-free', 'misuse', 'lost-wakeup', 'deadlock', 'assertion'];

/** One paragraph per violation kind, for the CLI and the visualizer. */
export const VIOLATION_INFO: Readonly<Record<ViolationKind, string>> = {
  'use-after-free': 'The implementation touched the semaphore after publishing its token: the thread that took the ' +
    'token may already have destroyed and freed it, which POSIX allows. This is glibc <= 2.20\'s bug 12674.',
  misuse: 'The program used the semaphore outside its lifetime: an operation was called on a destroyed or freed ' +
    'semaphore, or the semaphore was destroyed while an operation had not taken effect or threads waited on it. ' +
    'Undefined behaviour by POSIX; the program\'s bug, not the implementation\'s (stop a thread whose wait failed ' +
    'instead of destroying: ThreadSpec.stopOnFail).',
  'lost-wakeup': 'A thread sleeps in futex_wait forever although tokens are available.',
  deadlock: 'A thread sleeps forever and no token will come: more waits than posts in the script.',
  assertion: 'An invariant of the model broke (token conservation, nwaiters) or the script misused memory.',
};

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
  | 'UAF_load' | 'UAF_store' | 'return' | 'getvalue' | 'store' | 'flush';

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
  /** where the step is in the thread's script and program (absent for environment events). */
  at?: StepPosition;
  /** the accesses to the semaphore's memory this step made, in order (usually one; none for a futex call). */
  access?: MemAccess[];
  /** the futex system call this step made, with its result. */
  futex?: FutexCall;
  /** futex_wait calls that this step ended (a wake, a spurious wake-up, a signal, a timeout, a cancel). */
  resumed?: FutexResume[];
  /** x86-TSO: a store buffer entry written to memory by this step ('env' flush or a locked instruction). */
  flush?: { thread: string; word: WordName; value: number }[];
}


/** Where a thread step is: the script position and the program line. */
export interface StepPosition {
  /** thread index in the scenario. */
  tid: number;
  /** index of the operation in the thread's script, and the operation. */
  opIndex: number;
  op: OpKind;
  /** program counter the step ran at (before it moved on). */
  pc: Pc;
  /** id of the pseudocode line (`PSEUDOCODE` in pseudocode.ts), e.g. 'new64.post.cas'. */
  line: string;
}

/** One access to the semaphore's memory. */
export interface MemAccess {
  /** read: a load; write: a plain store; cas: compare-and-swap (ok says whether it swapped); rmw: an atomic
   *  fetch_add / fetch_and / fetch_or (rmw names which). */
  kind: 'read' | 'write' | 'cas' | 'rmw';
  rmw?: 'fetch_add' | 'fetch_and' | 'fetch_or';
  word: WordName;
  /** byte offset and size of the word in the semaphore (layout of the model). */
  offset: number;
  size: number;
  /** the value read (read, failed cas) or the value written (write, successful cas, rmw: the new value). */
  value: number;
  /** cas and rmw: the value before. */
  before?: number;
  /** cas only. */
  ok?: boolean;
  /** C11 order of the access in the real code ('plain' for a non-atomic access). */
  order: 'plain' | 'relaxed' | 'acquire' | 'release' | 'acq_rel' | 'seq_cst';
  /** x86-TSO: a read served from the thread's own store buffer, or a store that went into the buffer. */
  buffered?: boolean;
  /** the memory was not live (destroyed, freed, unmapped, reused) when it was touched. */
  stale?: MemStatus;
}

/** The futex operations glibc and PostgreSQL use. */
export type FutexOpName = 'FUTEX_WAIT' | 'FUTEX_WAIT_BITSET' | 'FUTEX_WAKE';

/** One futex(2) system call, as strace would show it. */
export interface FutexCall {
  op: FutexOpName;
  /** FUTEX_PRIVATE_FLAG (128) set in the op. */
  private: boolean;
  /** FUTEX_WAIT_BITSET: FUTEX_CLOCK_REALTIME set ('realtime') or not ('monotonic'); absent for the others. */
  clock?: 'realtime' | 'monotonic';
  /** the op argument as a number (e.g. 393 = FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME). */
  opCode: number;
  /** strace's spelling of the op, e.g. 'FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME'. */
  opText: string;
  /** the futex word, and its byte offset from the start of the semaphore. */
  word: WordName;
  offset: number;
  /** FUTEX_WAIT*: the expected value; FUTEX_WAKE: the wake count. */
  val: number;
  /** the kernel's futex key: 'shared' (the page) or 'private:<address space>' (§3.3). */
  key: string;
  /** a timeout was passed (sem_timedwait / sem_clockwait). */
  timeout?: boolean;
  /** the return: a number (woken count, 0), or -1 with errno; 'blocked' while the waiter sleeps (its
   *  return is recorded in `resumed` of the step that ends the sleep). */
  result: { ret: number; errno?: string } | 'blocked';
  /** FUTEX_WAKE: the threads it woke. */
  woken?: string[];
}

/** The end of a blocked futex_wait: the thread and what the call returned. */
export interface FutexResume {
  thread: string;
  ret: number;
  errno?: 'EINTR' | 'ETIMEDOUT';
  /** woken by a FUTEX_WAKE, spurious, a signal, the timeout, or unwound by cancellation (no return). */
  why: 'wake' | 'spurious' | 'signal' | 'timeout' | 'cancel';
}

export interface FutexState {
  model: ModelId;
  /** the glibc release the run follows (versions.ts; null for pg-futex). */
  glibc: GlibcVersion | null;
  /** the memory model of the run. */
  memoryModel: MemoryModel;
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
  /** flush: x86-TSO writes the oldest entry of thread tid's store buffer to memory. */
  | { kind: 'event'; event: 'spurious' | 'signal' | 'timeout' | 'cancel' | 'flush'; tid: number };

export const SEM_VALUE_MAX = 2147483647;
export const FUTEX_SHARED = 128;
export const FUTEX_PRIVATE = 0;
export const TWO32 = 4294967296;

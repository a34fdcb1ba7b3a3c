/**
 * What a futex semaphore scenario is made of: the models, the operations, threads, budgets and the scenario
 * itself. Plain data shared by the futex model checker (domain/futex), its visualizer protocol
 * (futexProtocol.ts) and the webview; no imports.
 *
 * Vocabulary and semantics follow the design's FUTEX-SEMAPHORES.md (the spec): §4 the kernel's futex,
 * §6 the state model and the interleavings.
 */
/** The four algorithms. */
export type ModelId = 'glibc-new-64' | 'glibc-new-32' | 'glibc-old' | 'pg-futex';
export const MODEL_IDS: readonly ModelId[] = ['glibc-new-64', 'glibc-new-32', 'glibc-old', 'pg-futex'];

/**
 * glibc releases whose semaphore code differs (FUTEX-SEMAPHORES.md §0 "Later fixes"):
 * - 2.20: the old algorithm (glibc-old); no entry __pthread_testcancel; cancellation asynchronous around the
 *   futex syscall.
 * - 2.21: the new algorithm; no entry testcancel; the 32-bit overflow check tests `v << 1` instead of `v >> 1`
 *   (BZ#18434, fixed 2015-05-19, before 2.22), so a post at SEM_VALUE_MAX wraps the count to 0.
 * - 2.22-2.24: as 2.21 with the overflow check fixed.
 * - 2.25-2.40: `__pthread_testcancel` at the entry of sem_wait and sem_timedwait (BZ#18243); cancellation is
 *   still asynchronous around the futex syscall, so a cancel can act after futex_wait returned (0, EAGAIN,
 *   ETIMEDOUT or EINTR); sem_clockwait from 2.30.
 * - 2.41+: cancellation acts only while the syscall blocks (BZ#12683).
 */
export type GlibcVersion = '2.20' | '2.21' | '2.22-2.24' | '2.25-2.40' | '2.41+';
export const GLIBC_VERSIONS: readonly GlibcVersion[] = ['2.20', '2.21', '2.22-2.24', '2.25-2.40', '2.41+'];

/** The memory model a run uses: sequential consistency, or x86-TSO (per-thread FIFO store buffers). */
export type MemoryModel = 'sc' | 'x86-tso';
export const MEMORY_MODELS: readonly MemoryModel[] = ['sc', 'x86-tso'];

/** A named field of the semaphore's memory (see layout.ts for offsets per model). */
export type WordName = 'data' | 'value' | 'nwaiters' | 'private' | 'counter';

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
  /** sem_clockwait (glibc >= 2.30): sem_timedwait on a chosen clock, without the entry __pthread_testcancel. */
  | 'sem_clockwait'
  /** sem_getvalue: one relaxed load of the value word (never negative: 0 while waiters exist). */
  | 'sem_getvalue'
  | 'sem_destroy'
  /** free(3): the block stays mapped (stale bytes); any later user-space access is a use after free. */
  | 'free'
  /** munmap(2): the page is gone; a later user-space load faults (SIGSEGV kills the process). */
  | 'munmap'
  /** the freed block is handed out again and overwritten with unrelated data. */
  | 'reuse'
  /** a plain store (x86 mov) of `value` to `word`: litmus tests of the memory model; the model's invariants
   *  are not checked in a scenario that writes the words itself. */
  | 'raw_store'
  /** a plain load (x86 mov) of `word`; the operation's result is `r=<value>`. */
  | 'raw_load';

export const OP_KINDS: readonly OpKind[] = [
  'sem_init', 'sem_post', 'sem_post_broken', 'sem_wait', 'sem_trywait', 'sem_timedwait', 'sem_clockwait', 'sem_getvalue',
  'sem_destroy', 'free', 'munmap', 'reuse', 'raw_store', 'raw_load',
];

export interface OpSpec {
  op: OpKind;
  /** sem_init: the initial value; raw_store: the value stored. */
  value?: number;
  /** sem_clockwait: the clock (default monotonic: FUTEX_WAIT_BITSET without FUTEX_CLOCK_REALTIME). */
  clock?: 'monotonic' | 'realtime';
  /** raw_store / raw_load: the word accessed. */
  word?: WordName;
}

export interface ThreadSpec {
  name: string;
  ops: OpSpec[];
  /** some other thread calls pthread_cancel(this) at a moment the scheduler picks (sent exactly once). */
  cancel?: boolean;
  /** the thread stops (skips the rest of its script) when an operation returns -1, as a program that checks
   *  sem_wait's result would, instead of going on to destroy and free. */
  stopOnFail?: boolean;
  /** the process (address space) the thread belongs to; default 0. Threads of different processes share the
   *  semaphore's memory (MAP_SHARED, or inherited across fork), but private futex keys differ. */
  process?: number;
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
   * The glibc release the glibc-new-* models follow (glibc-old is always 2.20; pg-futex has none). Default:
   * 2.25-2.40 when `asyncCancel` is set, else 2.41+.
   */
  glibc?: GlibcVersion;
  /** The memory model (default sequential consistency). */
  memoryModel?: MemoryModel;
  /**
   * Kept for older scenario files: true means a glibc with asynchronous cancellation around the futex syscall
   * (2.25-2.40 when `glibc` is not given). A cancel can then act after futex_wait has returned, consuming a
   * post's wake (§6 d4; BZ#12683, fixed in 2.41).
   */
  asyncCancel?: boolean;
}

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
   * glibc 2.21 to 2.40 (and <= 2.20): cancellation is asynchronous around the futex syscall, so a cancel can
   * act after futex_wait has already returned 0 for a post's wake, consuming it (§6 d4; BZ#12683, fixed in
   * 2.41 where cancellation acts only while the syscall blocks). Default false = 2.41 behaviour.
   */
  asyncCancel?: boolean;
}

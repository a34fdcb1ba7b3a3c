/**
 * Scenarios are data: threads × operations, a model, an initial value and an environment budget. The spec's
 * interleavings (FUTEX-SEMAPHORES.md §6) are here, each with the "story" schedule the spec narrates, so the
 * stepper can replay it and the unit tests can check it step by step. `validateScenario` checks a scenario
 * built by the editor or sent by the webview (untrusted input).
 */
import {
  GLIBC_VERSIONS, MEMORY_MODELS, MODEL_IDS, OP_KINDS, SEM_VALUE_MAX, type Budget, type GlibcVersion, type MemoryModel, type ModelId,
  type OpKind, type OpSpec, type Scenario, type ThreadSpec, type WordName,
} from './types';
import { defaultGlibc, opMissing, versionMismatch } from './versions';

export interface Story {
  title: string;
  /** the model the story is written for (default: the scenario's). */
  model?: ModelId;
  /** choice ids (see machine.choiceId) in order. */
  choices: string[];
}

export interface ScenarioDef extends Scenario {
  /** the spec's narrated interleavings, replayable in the stepper. */
  stories?: Story[];
}

const ops = (...k: OpKind[]): { op: OpKind }[] => k.map((op) => ({ op }));
const budget = (spurious = 0, weakCas = 0, signals = 0): Budget => ({ spurious, weakCas, signals });
const thread = (name: string, ...k: OpKind[]): ThreadSpec => ({ name, ops: ops(...k) });
/** sem_init(S, 0, 0): a process-private semaphore with no token. */
const EMPTY_PRIVATE: Scenario['initial'] = Object.freeze({ value: 0, pshared: false });

export const SCENARIOS: readonly ScenarioDef[] = [
  {
    id: 'seed',
    title: 'Destroy after wait (the glibc 2.21 example)',
    description:
      'A: sem_wait; sem_destroy; free. B: sem_post. Initial value 0. POSIX lets A destroy and free the ' +
      'semaphore as soon as its sem_wait returns. glibc <= 2.20 sem_post still reads nwaiters and private after ' +
      'publishing the token (use after free); glibc >= 2.21 does not (§6a).',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [thread('A', 'sem_wait', 'sem_destroy', 'free'), thread('B', 'sem_post')],
    budget: budget(1, 0, 0),
    stories: [
      { title: '6a: B wakes A', choices: ['A', 'A', 'A', 'B', 'B', 'B', 'B', 'A', 'A', 'A', 'A'] },
      {
        title: '6b: A wakes spuriously and frees, then B calls futex_wake on the freed address',
        choices: ['A', 'A', 'A', 'B', 'B', 'B', 'spurious(A)', 'A', 'A', 'A', 'A', 'B'],
      },
      { model: 'glibc-old', title: 'old: A takes the token on the fast path and frees before B reads nwaiters', choices: ['B', 'B', 'A', 'A', 'A', 'A', 'B'] },
    ],
  },
  {
    id: 'seed-checked',
    title: 'Destroy after a successful wait only',
    description:
      'As seed, but A checks sem_wait\'s result: when the wait fails (EINTR from a signal), A stops instead of ' +
      'destroying and freeing a semaphore B may still post to. With --signals this removes every misuse schedule ' +
      'of seed; what is left is the implementation\'s own use after free (glibc <= 2.20).',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [
      { name: 'A', ops: ops('sem_wait', 'sem_destroy', 'free'), stopOnFail: true },
      thread('B', 'sem_post'),
    ],
    budget: budget(1, 0, 1),
  },
  {
    id: 'fork-private',
    title: 'A pshared = 0 semaphore shared across fork loses its wake-up',
    description:
      'sem_init(pshared = 0) in memory that fork() shares (MAP_SHARED): the parent (P, process 0) posts, the child ' +
      '(W, process 1) waits. The bytes are shared, but the futex ops carry FUTEX_PRIVATE_FLAG, keyed by address ' +
      'space: the parent\'s FUTEX_WAKE_PRIVATE cannot reach the child\'s waiter, which sleeps with a token ' +
      'available (§3.3). With pshared = 1 the keys match.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [
      { name: 'W', ops: ops('sem_wait'), process: 1 },
      thread('P', 'sem_post'),
    ],
    budget: budget(0, 0, 0),
    stories: [{ title: 'the wake goes to the parent\'s key', choices: ['W', 'W', 'W', 'P', 'P', 'P', 'P'] }],
  },
  {
    id: 'seed-munmap',
    title: 'Destroy after wait, then munmap',
    description: 'As seed, but A unmaps the page: the old post faults (SIGSEGV) when it reads nwaiters.',
    model: 'glibc-old',
    initial: { value: 0, pshared: true },
    threads: [thread('A', 'sem_wait', 'sem_destroy', 'munmap'), thread('B', 'sem_post')],
    budget: budget(1, 0, 0),
  },
  {
    id: 'seed-reuse',
    title: 'Destroy after wait, free, and the block is reused',
    description:
      'As seed, then malloc hands the block to another object that overwrites it: the old post reads a garbage ' +
      'nwaiters and private, and its futex call fails (sem_post returns -1 EINVAL).',
    model: 'glibc-old',
    initial: EMPTY_PRIVATE,
    threads: [thread('A', 'sem_wait', 'sem_destroy', 'free', 'reuse'), thread('B', 'sem_post')],
    budget: budget(0, 0, 0),
  },
  {
    id: 'b1',
    title: 'b1: waiter registered but not yet asleep',
    description:
      'W registers, P posts and its futex_wake finds the queue empty, then W\'s futex_wait sees 1 ≠ 0 and returns ' +
      'EAGAIN: the in-kernel compare prevents the lost wake-up (§6 b1).',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [thread('W', 'sem_wait'), thread('P', 'sem_post')],
    budget: budget(0, 0, 0),
    stories: [{ title: 'b1: EAGAIN', choices: ['W', 'W', 'P', 'P', 'P', 'P', 'W', 'W', 'W'] }],
  },
  {
    id: 'b2',
    title: 'b2: BROKEN post that reads nwaiters before the increment',
    description:
      'A hypothetical post (not glibc) reads nwaiters, then increments the value in a separate step. W registers ' +
      'and sleeps in between; the post skips the wake and W sleeps forever with value 1 (§6 b2). Only for ' +
      'glibc-new-64.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [
      thread('W', 'sem_wait'),
      { name: 'P', ops: [{ op: 'sem_post_broken' }] },
    ],
    budget: budget(0, 0, 0),
    stories: [{ title: 'b2: W sleeps between the nwaiters read and the increment', choices: ['P', 'P', 'W', 'W', 'W', 'P'] }],
  },
  {
    id: 'b3',
    title: 'b3: 32-bit waiter-bit misspeculation and repair',
    description:
      'W1 sleeps, P posts and wakes it; W1 guesses it is the last waiter, but W2 registers and sleeps before W1 ' +
      'clears the bit. W1\'s deregister sees 2, so it re-sets the bit; P2\'s post then wakes W2 (§1.7, §6 b3).',
    model: 'glibc-new-32',
    initial: EMPTY_PRIVATE,
    threads: [thread('W1', 'sem_wait'), thread('W2', 'sem_wait'), thread('P', 'sem_post'), thread('P2', 'sem_post')],
    budget: budget(0, 0, 0),
    stories: [{
      title: 'b3: misspeculation repaired',
      choices: [
        'W1', 'W1', 'W1', 'W1', 'W1', // fast load, register, load, set_bit, futex_wait (sleeps)
        'P', 'P', 'P', 'P', // read_private, load, cas_ok (bit set), futex_wake → W1
        'W1', 'W1', 'W1', // reload, take token, guess g = 1
        'W2', 'W2', 'W2', 'W2', // fast load, register (nwaiters 2), load (bit set), futex_wait (sleeps)
        'W1', 'W1', 'W1', // clear_bit (danger), deregister (f = 2: misspeculation), repair fetch_or (0 tokens)
        'P2', 'P2', 'P2', 'P2', // post sees the bit again and wakes W2
        'W2', 'W2', 'W2', 'W2', 'W2', // reload, take, guess, clear_bit, deregister
      ],
    }],
  },
  {
    id: 'c1',
    title: 'c1: stolen token',
    description:
      'P wakes W, but T\'s sem_trywait takes the token first; W reloads, sees 0 and waits again (semaphores are ' +
      'not FIFO). P posts a second token later.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [thread('W', 'sem_wait'), thread('T', 'sem_trywait'), thread('P', 'sem_post', 'sem_post')],
    budget: budget(0, 0, 0),
    stories: [{ title: 'c1: T steals, W sleeps again', choices: ['W', 'W', 'W', 'P', 'P', 'P', 'P', 'T', 'T', 'W', 'W'] }],
  },
  {
    id: 'c2',
    title: 'c2: spurious wake-up',
    description: 'W sleeps; a spurious wake returns 0; W reloads, still sees 0 and sleeps again.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [thread('W', 'sem_wait'), thread('P', 'sem_post')],
    budget: budget(2, 0, 0),
    stories: [{ title: 'c2: spurious 0', choices: ['W', 'W', 'W', 'spurious(W)', 'W', 'W'] }],
  },
  {
    id: 'c3',
    title: 'c3: EAGAIN on a fast change (with weak-CAS failures)',
    description: 'W reads 0, P posts before W\'s syscall, futex_wait returns EAGAIN, W reloads and takes the token. ' +
      'Weak CASes may also fail spuriously once.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [thread('W', 'sem_wait'), thread('P', 'sem_post')],
    budget: budget(0, 1, 0),
  },
  {
    id: 'c4',
    title: 'c4: timeout and EINTR deregister',
    description: 'W sleeps in sem_timedwait; a signal (EINTR) or the timeout makes futex_wait fail, W deregisters ' +
      'and returns -1. P posts at some point.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [thread('W', 'sem_timedwait'), thread('P', 'sem_post')],
    budget: budget(0, 0, 1),
    stories: [{ title: 'c4: timeout', choices: ['W', 'W', 'W', 'timeout(W)', 'W'] }],
  },
  {
    id: 'd1',
    title: 'd1: cancellation while asleep (64-bit)',
    description: 'W sleeps registered; pthread_cancel unwinds it out of futex_wait and cleanup64 deregisters.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [
      { name: 'W', ops: ops('sem_wait'), cancel: true },
      thread('P', 'sem_post'),
    ],
    budget: budget(0, 0, 0),
    stories: [{ title: 'd1: cancel', choices: ['W', 'W', 'W', 'cancel(W)', 'W'] }],
  },
  {
    id: 'd2',
    title: 'd2: cancellation while asleep (32-bit, finish32 as cleanup)',
    description: 'W1 is cancelled while asleep; its cleanup is finish32, which may clear the bit and repair it.',
    model: 'glibc-new-32',
    initial: EMPTY_PRIVATE,
    threads: [
      { name: 'W1', ops: ops('sem_wait'), cancel: true },
      thread('W2', 'sem_wait'),
      thread('P', 'sem_post', 'sem_post'),
    ],
    budget: budget(0, 0, 0),
  },
  {
    id: 'd3',
    title: 'd3: pending cancel at entry',
    description: 'pthread_cancel arrives before W enters sem_wait: __pthread_testcancel acts even though a token ' +
      'is available.',
    model: 'glibc-new-64',
    initial: { value: 1, pshared: false },
    threads: [
      { name: 'W', ops: ops('sem_wait'), cancel: true },
      thread('P', 'sem_post'),
    ],
    budget: budget(0, 0, 0),
    stories: [{ title: 'd3: cancel before entry', choices: ['cancel(W)', 'W'] }],
  },
  {
    id: 'd4',
    title: 'd4: cancellation consumes a wake (glibc < 2.41)',
    description: 'W1 and W2 sleep; P posts once and its wake goes to W1, which is cancelled right after futex_wait ' +
      'returned 0 (asynchronous cancellation around the syscall, glibc 2.21 to 2.40). The wake is consumed, the token ' +
      'stays and W2 sleeps on (BZ#12683; 2.41 acts on a cancel only while the syscall blocks). Turn asyncCancel off to ' +
      'compare.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [
      { name: 'W1', ops: ops('sem_wait'), cancel: true },
      thread('W2', 'sem_wait'),
      thread('P', 'sem_post'),
    ],
    budget: budget(0, 0, 0),
    asyncCancel: true,
    stories: [{
      title: 'd4: the cancelled waiter eats the wake',
      choices: ['W1', 'W1', 'W1', 'W2', 'W2', 'W2', 'P', 'P', 'P', 'P:wake=W1', 'cancel(W1)', 'W1'],
    }],
  },
  {
    id: 'overflow',
    title: 'EOVERFLOW at SEM_VALUE_MAX',
    description: 'The value starts one below SEM_VALUE_MAX (2147483647) and P posts twice: the first post reaches ' +
      'SEM_VALUE_MAX, the second returns -1 EOVERFLOW and changes nothing. glibc 2.21\'s 32-bit check tested ' +
      '(v << 1) == SEM_VALUE_MAX (BZ#18434): never true, so there the second post wraps the count to 0 and returns 0 ' +
      '(glibc-new-32 with --glibc 2.21: a token-conservation assertion).',
    model: 'glibc-new-64',
    initial: { value: SEM_VALUE_MAX - 1, pshared: false },
    threads: [thread('P', 'sem_post', 'sem_post'), thread('G', 'sem_getvalue')],
    budget: budget(0, 0, 0),
  },
  {
    id: 'getvalue',
    title: 'sem_getvalue while a thread waits',
    description: 'W waits on an empty semaphore, G calls sem_getvalue, P posts. glibc\'s sem_getvalue is one relaxed ' +
      'load of the value and never negative: while W is registered (asleep or not yet) it reports 0, not -1 (POSIX ' +
      'allows either; the source has a FIXME about it).',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [thread('W', 'sem_wait'), thread('G', 'sem_getvalue'), thread('P', 'sem_post')],
    budget: budget(0, 0, 0),
  },
  {
    id: 'clockwait',
    title: 'sem_clockwait: no cancellation test at entry',
    description: 'W calls sem_clockwait(CLOCK_MONOTONIC) with a cancel pending and a token available. sem_wait and ' +
      'sem_timedwait (glibc >= 2.25) act on the cancel before touching the semaphore; sem_clockwait has no entry ' +
      '__pthread_testcancel, takes the token and returns 0 (the cancel stays pending). Its futex call is ' +
      'FUTEX_WAIT_BITSET without FUTEX_CLOCK_REALTIME. glibc >= 2.30.',
    model: 'glibc-new-64',
    initial: { value: 1, pshared: false },
    threads: [
      { name: 'W', ops: [{ op: 'sem_clockwait', clock: 'monotonic' }], cancel: true },
      { name: 'V', ops: [{ op: 'sem_clockwait', clock: 'monotonic' }] },
      thread('P', 'sem_post'),
    ],
    budget: budget(0, 0, 0),
    glibc: '2.41+',
  },
  {
    id: 'sb',
    title: 'Store buffering litmus test (memory model)',
    description: 'T1: value := 1 then r1 := nwaiters; T2: nwaiters := 1 then r2 := value; plain x86 movs on two words ' +
      'of the semaphore\'s memory, nothing else. Sequential consistency forbids r1 = r2 = 0; x86-TSO allows it (each ' +
      'store waits in its thread\'s store buffer while the other load reads memory). Run with --memory x86-tso.',
    model: 'glibc-new-32',
    initial: EMPTY_PRIVATE,
    threads: [
      { name: 'T1', ops: [{ op: 'raw_store', word: 'value', value: 1 }, { op: 'raw_load', word: 'nwaiters' }] },
      { name: 'T2', ops: [{ op: 'raw_store', word: 'nwaiters', value: 1 }, { op: 'raw_load', word: 'value' }] },
    ],
    budget: budget(0, 0, 0),
  },
  {
    id: 'three',
    title: 'Three threads: two waiters, one poster',
    description: 'A and B wait, C posts twice: the 3-thread benchmark scenario.',
    model: 'glibc-new-64',
    initial: EMPTY_PRIVATE,
    threads: [thread('A', 'sem_wait'), thread('B', 'sem_wait'), thread('C', 'sem_post', 'sem_post')],
    budget: budget(1, 0, 0),
  },
];

export function findScenario(id: string): ScenarioDef | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

export const LIMITS = { threads: 6, ops: 8, value: SEM_VALUE_MAX, budget: 3, nameRe: /^[A-Za-z][A-Za-z0-9_]{0,11}$/ };

/** The words a raw_store / raw_load may name in a model's layout. */
export function rawWords(model: ModelId): readonly WordName[] {
  if (model === 'pg-futex') return ['counter'];
  if (model === 'glibc-new-64') return ['data', 'value', 'nwaiters', 'private'];
  return ['value', 'nwaiters', 'private'];
}

/** Checks an untrusted scenario (editor, webview message, file). Returns the clean copy or an error text. */
export function validateScenario(x: unknown): { ok: true; scenario: Scenario } | { ok: false; error: string } {
  const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });
  if (!x || typeof x !== 'object') return fail('scenario must be an object');
  const o = x as Record<string, unknown>;
  const str = (v: unknown, max: number): string | null => (typeof v === 'string' && v.length <= max ? v : null);
  const int = (v: unknown, lo: number, hi: number): number | null =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : null;
  const id = str(o.id, 40);
  if (!id || !/^[A-Za-z0-9_.-]+$/.test(id)) return fail('id: 1-40 characters [A-Za-z0-9_.-]');
  const title = str(o.title ?? id, 200);
  const description = str(o.description ?? '', 2000);
  if (title === null || description === null) return fail('title/description too long');
  if (typeof o.model !== 'string' || !(MODEL_IDS as readonly string[]).includes(o.model)) {
    return fail(`model must be one of ${MODEL_IDS.join(', ')}`);
  }
  const model = o.model as ModelId;
  const ini = o.initial as Record<string, unknown> | undefined;
  if (!ini || typeof ini !== 'object') return fail('initial: {value, pshared} required');
  const value = int(ini.value, 0, LIMITS.value);
  if (value === null) return fail(`initial.value: an integer 0..${LIMITS.value}`);
  if (typeof ini.pshared !== 'boolean') return fail('initial.pshared: boolean');
  const b = (o.budget ?? {}) as Record<string, unknown>;
  const sp = int(b.spurious ?? 0, 0, LIMITS.budget);
  const wc = int(b.weakCas ?? 0, 0, LIMITS.budget);
  const sg = int(b.signals ?? 0, 0, LIMITS.budget);
  if (sp === null || wc === null || sg === null) return fail(`budget: integers 0..${LIMITS.budget}`);
  if (!Array.isArray(o.threads) || o.threads.length < 1 || o.threads.length > LIMITS.threads) {
    return fail(`threads: 1..${LIMITS.threads}`);
  }
  const threads: ThreadSpec[] = [];
  const names = new Set<string>();
  for (const [i, tx] of o.threads.entries()) {
    if (!tx || typeof tx !== 'object') return fail(`threads[${i}] must be an object`);
    const t = tx as Record<string, unknown>;
    const name = str(t.name, 12);
    if (!name || !LIMITS.nameRe.test(name)) return fail(`threads[${i}].name: a letter then up to 11 of [A-Za-z0-9_]`);
    if (names.has(name)) return fail(`threads[${i}].name: duplicate '${name}'`);
    names.add(name);
    if (!Array.isArray(t.ops) || t.ops.length > LIMITS.ops) return fail(`threads[${i}].ops: 0..${LIMITS.ops} operations`);
    const tops: ThreadSpec['ops'] = [];
    for (const [j, px] of t.ops.entries()) {
      const p = (typeof px === 'string' ? { op: px } : px) as Record<string, unknown> | null;
      if (!p || typeof p !== 'object' || typeof p.op !== 'string' || !(OP_KINDS as readonly string[]).includes(p.op)) {
        return fail(`threads[${i}].ops[${j}]: one of ${OP_KINDS.join(', ')}`);
      }
      const op = p.op as OpKind;
      if (op === 'sem_post_broken' && model !== 'glibc-new-64') {
        return fail('sem_post_broken exists only in the glibc-new-64 model');
      }
      if (op === 'sem_init') {
        const v = int(p.value ?? 0, 0, LIMITS.value);
        if (v === null) return fail(`threads[${i}].ops[${j}].value: an integer 0..${LIMITS.value}`);
        tops.push({ op, value: v });
      } else if (op === 'raw_store' || op === 'raw_load') {
        const words = rawWords(model);
        if (typeof p.word !== 'string' || !(words as readonly string[]).includes(p.word)) {
          return fail(`threads[${i}].ops[${j}].word: one of ${words.join(', ')} under ${model}`);
        }
        const spec: OpSpec = { op, word: p.word as WordName };
        if (op === 'raw_store') {
          const v = int(p.value ?? 0, 0, 0xffffffff);
          if (v === null) return fail(`threads[${i}].ops[${j}].value: an integer 0..4294967295`);
          spec.value = v;
        }
        tops.push(spec);
      } else if (op === 'sem_clockwait') {
        if (p.clock !== undefined && p.clock !== 'monotonic' && p.clock !== 'realtime') {
          return fail(`threads[${i}].ops[${j}].clock: monotonic or realtime`);
        }
        tops.push({ op, clock: p.clock === 'realtime' ? 'realtime' : 'monotonic' });
      } else tops.push({ op });
    }
    const spec: ThreadSpec = { name, ops: tops };
    if (t.cancel === true) spec.cancel = true;
    if (t.stopOnFail === true) spec.stopOnFail = true;
    if (t.process !== undefined) {
      const pr = int(t.process, 0, LIMITS.threads);
      if (pr === null) return fail(`threads[${i}].process: an integer 0..${LIMITS.threads}`);
      if (pr) spec.process = pr;
    }
    if (t.registered === true) {
      const first = tops[0]?.op;
      if (first !== 'sem_wait' && first !== 'sem_timedwait') {
        return fail(`threads[${i}]: a registered waiter must start with sem_wait or sem_timedwait`);
      }
      spec.registered = true;
    }
    threads.push(spec);
  }
  if (o.asyncCancel !== undefined && typeof o.asyncCancel !== 'boolean') return fail('asyncCancel: boolean');
  if (o.glibc !== undefined && !(GLIBC_VERSIONS as readonly unknown[]).includes(o.glibc)) {
    return fail(`glibc: one of ${GLIBC_VERSIONS.join(', ')}`);
  }
  if (o.memoryModel !== undefined && !(MEMORY_MODELS as readonly unknown[]).includes(o.memoryModel)) {
    return fail(`memoryModel: one of ${MEMORY_MODELS.join(', ')}`);
  }
  const scenario: Scenario = {
    id, title, description, model, initial: { value, pshared: ini.pshared }, threads, budget: { spurious: sp, weakCas: wc, signals: sg },
  };
  if (o.asyncCancel === true) scenario.asyncCancel = true;
  if (o.glibc !== undefined) scenario.glibc = o.glibc as GlibcVersion;
  if (o.memoryModel !== undefined) scenario.memoryModel = o.memoryModel as MemoryModel;
  const why = whyNotUnder(scenario, model);
  if (why) return fail(why);
  return { ok: true, scenario };
}

/** Why a scenario cannot run under a model and glibc version (default: the scenario's), or null. */
export function whyNotUnder(sc: Scenario, model: ModelId, glibc?: GlibcVersion | null): string | null {
  const v = glibc !== undefined ? glibc : defaultGlibc(model, sc);
  const bad = versionMismatch(model, v);
  if (bad) return bad;
  for (const t of sc.threads) {
    for (const o of t.ops) {
      const why = opMissing(model, v, o.op);
      if (why) return `${t.name}: ${why}`;
      if ((o.op === 'raw_store' || o.op === 'raw_load') && o.word && !rawWords(model).includes(o.word)) {
        return `${t.name}: ${model} has no word '${o.word}' (${rawWords(model).join(', ')})`;
      }
    }
  }
  return null;
}

/** Whether a scenario can run under a model (and glibc version): sem_post_broken is a glibc-new-64
 *  hypothetical, sem_clockwait needs glibc >= 2.30, PostgreSQL has neither sem_getvalue nor sem_clockwait. */
export function scenarioRunsUnder(sc: Scenario, model: ModelId, glibc?: GlibcVersion | null): boolean {
  return whyNotUnder(sc, model, glibc) === null;
}

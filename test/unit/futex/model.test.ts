// Step sequences of each model against the spec's narrated interleavings (FUTEX-SEMAPHORES.md §6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  choiceId, data64, enabled, encodeMemory, findScenario, hexBytes, initialState, replay, step, tokensOf,
  type FutexState, type ModelId, type Scenario,
} from '../../../extension/domain/futex';

function sc(id: string): Scenario {
  const s = findScenario(id);
  assert.ok(s, `scenario ${id}`);
  return s;
}

function story(id: string, title: string, model?: ModelId) {
  const s = findScenario(id)!;
  const st = s.stories!.find((x) => x.title.startsWith(title))!;
  const r = replay(s, st.choices, model ?? st.model);
  assert.equal(r.error, undefined, r.error);
  return r;
}

const word = (s: FutexState) => [s.mem.nwaiters, s.mem.value];

test('seed, glibc-new-64, 6a: exact states along B waking A', () => {
  const r = story('seed', '6a');
  const names = r.steps.map((x) => `${x.actor}.${x.name}`);
  assert.deepEqual(names, [
    'A.load', 'A.register', 'A.futex_wait', 'B.read_private', 'B.load', 'B.cas_ok', 'B.futex_wake',
    'A.load', 'A.cas_ok', 'A.destroy', 'A.free',
  ]);
  const s = r.states;
  assert.deepEqual(word(s[2]), [1, 0]); // after register
  assert.deepEqual(s[3].queue, [0]); // A asleep
  assert.equal(s[3].threads[0].status, 'blocked');
  assert.equal(s[4].threads[1].priv, 0); // private read before publishing (pshared 0)
  assert.equal(data64(s[5].mem), 2 ** 32, 'B loaded (1,0)');
  assert.deepEqual(word(s[6]), [1, 1]); // B's CAS published the token
  assert.equal(s[6].threads[1].pc, 'futex_wake');
  assert.deepEqual(s[7].queue, []); // wake popped A
  assert.match(r.steps[6].detail, /→ 1 \[A\]/);
  assert.deepEqual(s[7].threads[1].results, ['0']);
  assert.deepEqual(word(s[9]), [0, 0]); // A took the token and deregistered in one CAS
  assert.equal(s[11].mem.status, 'freed');
  assert.deepEqual(s[11].threads[0].results, ['0', '0', '0']);
  assert.equal(s[11].violations.length, 0);
  assert.equal(enabled(s[11]).length, 0);
});

test('seed, glibc-new-64, 6b: futex_wake on the freed address is benign (no user-space access)', () => {
  const r = story('seed', '6b');
  const last = r.steps[r.steps.length - 1];
  assert.equal(last.actor, 'B');
  assert.equal(last.name, 'futex_wake');
  assert.match(last.note ?? '', /benign/);
  const end = r.states[r.states.length - 1];
  assert.equal(end.mem.status, 'freed');
  assert.deepEqual(end.violations, []);
  assert.deepEqual(end.threads.map((t) => t.results), [['0', '0', '0'], ['0']]);
});

test('seed, glibc-old: fast-path token then free, post reads nwaiters from freed memory (UAF)', () => {
  const r = story('seed', 'old');
  const last = r.steps[r.steps.length - 1];
  assert.equal(last.actor, 'B');
  assert.equal(last.name, 'UAF_load');
  assert.equal(last.violations?.[0].kind, 'use-after-free');
  assert.match(last.violations![0].message, /nwaiters.*after free/);
  // the same schedule under the new algorithm is not even possible: B publishes by CAS only after reading
  // private and data, and its last step is futex_wake, never a load
  const s = findScenario('seed')!;
  const n = replay(s, s.stories!.find((x) => x.title.startsWith('old'))!.choices, 'glibc-new-64');
  assert.ok(n.states.every((x) => x.violations.length === 0));
});

test('seed-munmap, glibc-old: the load faults and the process dies', () => {
  const r = replay(sc('seed-munmap'), ['B', 'B', 'A', 'A', 'A', 'A', 'B'], 'glibc-old');
  assert.equal(r.error, undefined);
  const end = r.states[r.states.length - 1];
  assert.ok(end.threads.every((t) => t.status === 'crashed' || t.status === 'done'));
  assert.equal(end.threads[1].status, 'crashed');
  assert.match(end.violations[0].message, /SIGSEGV/);
  assert.equal(enabled(end).length, 0);
});

test('seed-reuse, glibc-old: garbage private makes the futex call fail and sem_post returns -1 EINVAL', () => {
  const r = replay(sc('seed-reuse'), ['B', 'B', 'A', 'A', 'A', 'A', 'A'], 'glibc-old');
  assert.equal(r.error, undefined);
  let s = r.states[r.states.length - 1];
  assert.equal(s.mem.status, 'reused');
  // continue past the first violation (the stepper allows it)
  for (const id of ['B', 'B', 'B']) {
    const c = enabled(s).find((x) => choiceId(s, x) === id)!;
    s = step(s, c);
  }
  assert.deepEqual(s.threads[1].results, ['-1 EINVAL']);
  assert.ok(s.violations.filter((v) => v.kind === 'use-after-free').length >= 2, 'nwaiters and private loads');
});

test('b1: futex_wait sees 1 ≠ 0 and returns EAGAIN; W then takes the token', () => {
  const r = story('b1', 'b1');
  const fw = r.steps.find((x) => x.name === 'futex_wait')!;
  assert.match(fw.detail, /EAGAIN/);
  assert.match(r.steps.find((x) => x.name === 'futex_wake')!.detail, /→ 0/);
  const end = r.states[r.states.length - 1];
  assert.deepEqual(word(end), [0, 0]);
  assert.deepEqual(end.threads.map((t) => t.results), [['0'], ['0']]);
  assert.equal(end.violations.length, 0);
});

test('b2: the BROKEN post (read nwaiters, then increment) loses the wake-up', () => {
  const r = story('b2', 'b2');
  const end = r.states[r.states.length - 1];
  assert.deepEqual(end.queue, [0]);
  assert.equal(tokensOf(end.model, end.mem), 1);
  assert.equal(end.violations[0].kind, 'lost-wakeup');
  assert.match(end.violations[0].message, /value is 1/);
});

test('b3: 32-bit misspeculation — the bit is cleared under a sleeper, re-set by the clearer, P2 wakes W2', () => {
  const r = story('b3', 'b3');
  const i = r.steps.findIndex((x) => x.name === 'clear_bit' && x.actor === 'W1');
  assert.ok(i > 0);
  assert.match(r.steps[i].note ?? '', /danger: W2 asleep with the waiter bit clear/);
  const after = r.states[i + 1];
  assert.equal(after.mem.value & 1, 0);
  assert.deepEqual(after.queue, [1]);
  assert.match(r.steps[i + 1].note ?? '', /misspeculation/);
  assert.equal(r.steps[i + 2].name, 'set_bit');
  assert.match(r.steps[i + 2].detail, /repair/);
  assert.equal(r.states[i + 3].mem.value, 1, 'tokens 0, bit 1 again');
  assert.deepEqual(r.states[i + 3].threads[0].results, ['0']);
  // P2's post sees the bit and wakes W2
  const wake = r.steps.filter((x) => x.name === 'futex_wake' && x.actor === 'P2');
  assert.equal(wake.length, 1);
  assert.match(wake[0].detail, /\[W2\]/);
  const end = r.states[r.states.length - 1];
  assert.deepEqual([end.mem.value, end.mem.nwaiters], [0, 0]);
  assert.deepEqual(end.threads.map((t) => t.results), [['0'], ['0'], ['0'], ['0']]);
  assert.equal(end.violations.length, 0);
});

test('b3 without the repair would lose W2: skipping the misspeculation branch leaves W2 asleep', () => {
  // Same prefix up to W1's deregister, then pretend W1 returned (no fetch_or): P2's post sees the bit
  // clear and skips the wake. This is what the repair prevents; the model's own path repairs.
  const s0 = findScenario('b3')!;
  const st = s0.stories![0].choices;
  const cut = 18; // through W1 clear_bit, deregister
  const r = replay(s0, st.slice(0, cut));
  const s = r.states[r.states.length - 1];
  assert.equal(s.threads[0].pc, 'repair');
  assert.equal(s.mem.value & 1, 0);
  assert.equal(s.mem.nwaiters, 1);
});

test('c1: T steals the token; W re-reads 0 and sleeps again', () => {
  const r = story('c1', 'c1');
  const end = r.states[r.states.length - 1];
  assert.deepEqual(end.threads[1].results, ['0']); // T's trywait took it
  assert.deepEqual(end.queue, [0]); // W asleep again
  assert.deepEqual(word(end), [1, 0]);
});

test('c2: a spurious wake-up only changes the queue', () => {
  const r = story('c2', 'c2');
  const i = r.steps.findIndex((x) => x.name === 'spurious');
  assert.deepEqual(r.states[i].mem, r.states[i + 1].mem);
  assert.deepEqual(r.states[i + 1].queue, []);
  const end = r.states[r.states.length - 1];
  assert.deepEqual(end.queue, [0]);
  assert.equal(end.left.spurious, 1);
});

test('c3: a weak CAS may fail spuriously (budgeted), then succeed', () => {
  const s = findScenario('c3')!;
  let st = initialState(s);
  // P: read_private, load; now P's CAS would succeed — a spurious-failure alternative is offered
  for (const id of ['P', 'P']) st = step(st, enabled(st).find((c) => choiceId(st, c) === id)!);
  const ids = enabled(st).map((c) => choiceId(st, c));
  assert.ok(ids.includes('P:cas_spurious'), ids.join(','));
  st = step(st, enabled(st).find((c) => choiceId(st, c) === 'P:cas_spurious')!);
  assert.equal(st.last?.name, 'cas_fail');
  assert.equal(st.left.weakCas, 0);
  assert.equal(st.mem.value, 0);
  assert.ok(!enabled(st).some((c) => choiceId(st, c) === 'P:cas_spurious'), 'budget spent');
});

test('c4: timeout deregisters and returns -1 ETIMEDOUT', () => {
  const r = story('c4', 'c4');
  const end = r.states[r.states.length - 1];
  assert.deepEqual(word(end), [0, 0]);
  assert.deepEqual(end.threads[0].results, ['-1 ETIMEDOUT']);
  assert.equal(r.steps[r.steps.length - 1].name, 'deregister');
});

test('c4: a signal gives -1 EINTR and the same cleanup', () => {
  const r = replay(sc('c4'), ['W', 'W', 'W', 'signal(W)', 'W']);
  assert.equal(r.error, undefined);
  const end = r.states[r.states.length - 1];
  assert.deepEqual(end.threads[0].results, ['-1 EINTR']);
  assert.equal(end.mem.nwaiters, 0);
});

test('d1: cancel while asleep: cleanup64 deregisters, W leaves the queue', () => {
  const r = story('d1', 'd1');
  assert.deepEqual(r.states[3].queue, [0]);
  const end = r.states[r.states.length - 1];
  assert.deepEqual(end.queue, []);
  assert.deepEqual(word(end), [0, 0]);
  assert.equal(end.threads[0].status, 'cancelled');
  assert.deepEqual(end.threads[0].results, ['PTHREAD_CANCELED']);
});

test('d2: 32-bit cancel runs finish32 as the cleanup', () => {
  const s = findScenario('d2')!;
  const r = replay(s, ['W1', 'W1', 'W1', 'W1', 'W1', 'cancel(W1)', 'W1', 'W1', 'W1', 'W1']);
  assert.equal(r.error, undefined);
  const names = r.steps.slice(6).map((x) => x.name);
  assert.deepEqual(names, ['cancel_unwind', 'guess', 'clear_bit', 'deregister']);
  const end = r.states[r.states.length - 1];
  assert.equal(end.threads[0].status, 'cancelled');
  assert.deepEqual([end.mem.value, end.mem.nwaiters], [0, 0]);
});

test('d3: a pending cancel acts at sem_wait entry even with a token available', () => {
  const r = story('d3', 'd3');
  const end = r.states[r.states.length - 1];
  assert.equal(end.threads[0].status, 'cancelled');
  assert.equal(end.mem.value, 1);
  assert.equal(r.steps[1].name, 'cancel_unwind');
});

test('sem_trywait never blocks: EAGAIN on 0, and is not a cancellation point', () => {
  const s: Scenario = {
    id: 't', title: 't', description: '', model: 'glibc-new-64', initial: { value: 0, pshared: false },
    threads: [{ name: 'T', ops: [{ op: 'sem_trywait' }], cancel: true }], budget: { spurious: 0, weakCas: 0, signals: 0 },
  };
  for (const m of ['glibc-new-64', 'glibc-new-32', 'glibc-old', 'pg-futex'] as const) {
    const r = replay(s, m === 'pg-futex' ? ['T'] : ['cancel(T)', 'T'], m);
    assert.equal(r.error, undefined, `${m}: ${r.error}`);
    assert.deepEqual(r.states[r.states.length - 1].threads[0].results, ['-1 EAGAIN'], m);
  }
});

test('pg-futex: post wakes all sleepers unconditionally', () => {
  const s: Scenario = {
    id: 'pg', title: 'pg', description: '', model: 'pg-futex', initial: { value: 0, pshared: true },
    threads: [
      { name: 'A', ops: [{ op: 'sem_wait' }] }, { name: 'B', ops: [{ op: 'sem_wait' }] },
      { name: 'P', ops: [{ op: 'sem_post' }] },
    ],
    budget: { spurious: 0, weakCas: 0, signals: 0 },
  };
  const r = replay(s, ['A', 'A', 'B', 'B', 'P', 'P']);
  assert.equal(r.error, undefined, r.error);
  assert.deepEqual(r.states[4].queue, [0, 1]);
  assert.match(r.steps[5].detail, /futex_wake\(INT_MAX\) → 2/);
  assert.deepEqual(r.states[6].queue, []);
  assert.equal(r.states[6].mem.nwaiters, 0, 'no waiter count');
});

test('wake order is a choice: futex_wake(1) with two sleepers offers each', () => {
  const r = replay(findScenario('three')!, ['A', 'A', 'A', 'B', 'B', 'B', 'C', 'C', 'C']);
  assert.equal(r.error, undefined, r.error);
  const s = r.states[r.states.length - 1];
  const ids = enabled(s).map((c) => choiceId(s, c));
  assert.ok(ids.includes('C:wake=A') && ids.includes('C:wake=B'), ids.join(','));
});

test('layout: 64-bit bytes match §3.4 (two waiters blocked, shared)', () => {
  const m = { status: 'live' as const, value: 0, nwaiters: 2, priv: 128 };
  assert.equal(hexBytes(encodeMemory('glibc-new-64', m)).slice(0, 26), '00000000 02000000 80000000');
  const m32 = { status: 'live' as const, value: 3, nwaiters: 1, priv: 0 };
  assert.equal(hexBytes(encodeMemory('glibc-new-32', m32)), '03000000 00000000 00000000 01000000');
});

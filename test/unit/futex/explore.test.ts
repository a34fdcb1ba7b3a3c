// The explorer: counts against a naive enumeration, the seed scenario's verdicts per model, witnesses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  choiceId, enabled, encodeState, explore, findScenario, initialState, MEMORY_MODELS, MODEL_IDS, replay, scenarioRunsUnder, SCENARIOS,
  stateKey, step, validateScenario, scenarioFromLive, type FutexState, type GlibcVersion, type ModelId, type Scenario,
} from '../../../extension/domain/futex';

/** Naive DFS without hashing: every maximal schedule, the set of distinct states met, and the schedules
 *  reaching each final outcome (what every operation returned on that very schedule). */
function naive(sc: Scenario, model: ModelId, glibc?: GlibcVersion) {
  const keys = new Set<string>();
  const outcomes = new Map<string, number>();
  let schedules = 0;
  let uaf = 0;
  const go = (s: FutexState): void => {
    keys.add(stateKey(s));
    if (s.violations.length) {
      schedules++;
      if (s.violations[0].kind === 'use-after-free') uaf++;
      return;
    }
    const cs = enabled(s);
    if (!cs.length) {
      schedules++;
      const o = s.threads.map((t) => `${t.name}=${t.results.join('/') || '-'}${t.status === 'done' ? '' : `(${t.status})`}`).join(' ');
      outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
      return;
    }
    for (const c of cs) go(step(s, c));
  };
  go(initialState(sc, { model, glibc }));
  return { keys: keys.size, schedules, uaf, outcomes };
}

const sortedOutcomes = (xs: Iterable<[string, number]>): [string, number][] => [...xs].sort((a, b) => a[0].localeCompare(b[0]));

test('hashing: explored states and schedule counts equal a naive enumeration (seed, b1, every model)', () => {
  for (const id of ['seed', 'b1', 'd1']) {
    for (const m of ['glibc-new-64', 'glibc-new-32', 'glibc-old', 'pg-futex'] as const) {
      const sc = findScenario(id)!;
      const r = explore(sc, { model: m });
      const n = naive(sc, m);
      assert.equal(r.states, n.keys, `${id}/${m} states`);
      assert.equal(r.schedules, n.schedules, `${id}/${m} schedules`);
      assert.equal(r.violatingSchedules['use-after-free'], n.uaf, `${id}/${m} uaf`);
      assert.ok(r.transitions > r.states - 1, 'some states are reached more than once');
    }
  }
});

test('outcomes are kept apart per return value: equal to a naive enumeration\'s, schedule by schedule', () => {
  // Two sem_trywait and one post: the state where W failed and V took the token and the converse are one state
  // once both have returned; a pg_sem_post's FUTEX_WAKE returns 0 or EFAULT depending on the munmap.
  const race: Scenario = {
    id: 'race', title: 'two sem_trywait race a sem_post', description: '', model: 'glibc-new-64', initial: { value: 0, pshared: false }, budget: { spurious: 0, weakCas: 0, signals: 0 },
    threads: [{ name: 'W', ops: [{ op: 'sem_trywait' }] }, { name: 'V', ops: [{ op: 'sem_trywait' }] }, { name: 'P', ops: [{ op: 'sem_post' }] }],
  };
  const cases: [Scenario, ModelId, GlibcVersion?][] = [
    [race, 'glibc-new-64'], [race, 'glibc-new-32'], [race, 'glibc-old'], [race, 'pg-futex'], [findScenario('seed-munmap')!, 'pg-futex'],
    [findScenario('seed')!, 'glibc-old'], [findScenario('d1')!, 'glibc-new-32'], [findScenario('b1')!, 'glibc-old'],
  ];
  for (const [sc, model, glibc] of cases) {
    if (!scenarioRunsUnder(sc, model, glibc)) continue;
    const r = explore(sc, { model, glibc });
    const n = naive(sc, model, glibc);
    assert.deepEqual(sortedOutcomes(r.outcomes.map((o) => [o.outcome, o.schedules])), sortedOutcomes(n.outcomes), `${sc.id}/${model}`);
  }
  for (const model of MODEL_IDS) {
    const w = explore(race, { model }).outcomes.map((o) => `${o.outcome}: ${o.schedules}`);
    assert.ok(w.some((o) => o.startsWith('W=-1 EAGAIN V=0 P=0:')) && w.some((o) => o.startsWith('W=0 V=-1 EAGAIN P=0:')), `${model}: ${w.join('; ')}`);
  }
  const pg = explore(findScenario('seed-munmap')!, { model: 'pg-futex' }).outcomes.map((o) => o.outcome);
  assert.ok(pg.includes('A=0/0/0 B=0') && pg.includes('A=0/0/0 B=-1 EFAULT'), pg.join('; '));
});

test('hashing: the explorer\'s numeric state encoding tells states apart exactly as stateKey does (every scenario, model, memory model)', () => {
  let states = 0;
  for (const sc of SCENARIOS) {
    if (sc.id === 'three' || sc.id === 'b3') continue; // the largest; the same code paths as b1/b2
    for (const model of MODEL_IDS) {
      if (!scenarioRunsUnder(sc, model)) continue;
      for (const memoryModel of MEMORY_MODELS) {
        // every reachable state, by stateKey; the encoding must be a function of the key and the key of the encoding
        const byKey = new Map<string, string>();
        const byCode = new Map<string, string>();
        const buf: number[] = [];
        const todo = [initialState(sc, { model, memoryModel })];
        while (todo.length) {
          const s = todo.pop()!;
          const k = stateKey(s);
          const code = buf.slice(0, encodeState(s, buf)).join(',');
          const seenCode = byKey.get(k);
          if (seenCode !== undefined) {
            assert.equal(code, seenCode, `${sc.id}/${model}/${memoryModel}: one key, two encodings`);
            continue;
          }
          assert.equal(byCode.get(code), undefined, `${sc.id}/${model}/${memoryModel}: one encoding for keys ${k} and ${byCode.get(code)}`);
          byKey.set(k, code);
          byCode.set(code, k);
          if (!s.violations.length) for (const c of enabled(s)) todo.push(step(s, c));
        }
        states += byKey.size;
      }
    }
  }
  assert.ok(states > 2000, `${states} states compared`);
});

test('hashing: two orders of independent steps reach one state', () => {
  const sc = findScenario('seed')!;
  const s0 = initialState(sc);
  const by = (s: FutexState, id: string) => step(s, enabled(s).find((c) => choiceId(s, c) === id)!);
  const ab = by(by(s0, 'A'), 'B');
  const ba = by(by(s0, 'B'), 'A');
  assert.equal(stateKey(ab), stateKey(ba));
  assert.notEqual(stateKey(ab), stateKey(by(s0, 'A')));
});

test('seed: glibc-old has use-after-free schedules; glibc-new-64 and glibc-new-32 have none', () => {
  const sc = findScenario('seed')!;
  const old = explore(sc, { model: 'glibc-old' });
  assert.ok(old.violatingSchedules['use-after-free'] > 0);
  const w = old.witnesses.find((x) => x.kind === 'use-after-free')!;
  assert.ok(w, 'a witness is kept');
  // the witness replays to the same violation
  const r = replay(sc, w.choices, 'glibc-old');
  assert.equal(r.error, undefined);
  const end = r.states[r.states.length - 1];
  assert.equal(end.violations[0].kind, 'use-after-free');
  assert.equal(end.last?.actor, 'B');
  for (const m of ['glibc-new-64', 'glibc-new-32'] as const) {
    const n = explore(sc, { model: m });
    assert.deepEqual(Object.values(n.violatingSchedules), [0, 0, 0, 0, 0], m);
    assert.equal(n.witnesses.length, 0);
    assert.ok(n.schedules > 100, `${m} explored ${n.schedules} schedules`);
    // every final outcome: both threads succeeded
    for (const o of n.outcomes) assert.equal(o.outcome, 'A=0/0/0 B=0', m);
  }
});

test('seed with a larger environment budget (spurious 2, weak CAS 2) stays safe under glibc-new-*', () => {
  const sc = findScenario('seed')!;
  for (const m of ['glibc-new-64', 'glibc-new-32'] as const) {
    const r = explore(sc, { model: m, budget: { spurious: 2, weakCas: 2 } });
    assert.equal(r.violatingSchedules['use-after-free'], 0, m);
    assert.equal(r.violatingSchedules['lost-wakeup'], 0, m);
    assert.ok(!r.truncated);
  }
});

test('b2: the explorer finds the lost wake-up of the BROKEN post and keeps a witness', () => {
  const sc = findScenario('b2')!;
  const r = explore(sc);
  assert.ok(r.violatingSchedules['lost-wakeup'] > 0);
  const w = r.witnesses.find((x) => x.kind === 'lost-wakeup')!;
  assert.match(w.violation.message, /W sleeps in futex_wait forever although the value is 1/);
  // the same threads with the real post: no lost wake-up
  const fixed = explore({ ...sc, threads: [sc.threads[0], { name: 'P', ops: [{ op: 'sem_post' }] }] });
  assert.equal(fixed.violatingSchedules['lost-wakeup'], 0);
});

test('every scenario: new glibc models are free of UAF and lost wake-ups; counts are consistent', () => {
  for (const sc of SCENARIOS) {
    for (const m of ['glibc-new-64', 'glibc-new-32', 'glibc-old', 'pg-futex'] as const) {
      if (!scenarioRunsUnder(sc, m) || sc.id === 'b3' || sc.id === 'd2' || sc.id === 'three') continue;
      const r = explore(sc, { model: m });
      assert.equal(r.cycles, 0, `${sc.id}/${m}`);
      assert.ok(!r.truncated);
      const bad = Object.values(r.violatingSchedules).reduce((a, b) => a + b, 0);
      assert.ok(bad <= r.schedules);
      if (m.startsWith('glibc-new') && sc.id !== 'b2' && sc.id !== 'fork-private' && !sc.asyncCancel) {
        assert.equal(r.violatingSchedules['use-after-free'], 0, `${sc.id}/${m}`);
        assert.equal(r.violatingSchedules['lost-wakeup'], 0, `${sc.id}/${m}`);
        assert.equal(r.violatingSchedules.assertion, 0, `${sc.id}/${m}`);
      }
    }
  }
});

test('b3 under glibc-new-32: all interleavings of 2 waiters and 2 posts, no lost wake-up', () => {
  const r = explore(findScenario('b3')!, { model: 'glibc-new-32' });
  assert.equal(r.violatingSchedules['lost-wakeup'], 0);
  assert.equal(r.violatingSchedules.deadlock, 0);
  assert.ok(r.states > 1000);
});

test('pg-futex: the seed has no violation: a changed counter makes pg_sem_wait try again, not fail', () => {
  for (const budget of [{}, { spurious: 2, weakCas: 2 }]) {
    const r = explore(findScenario('seed')!, { model: 'pg-futex', budget });
    assert.deepEqual(r.violatingSchedules, { 'use-after-free': 0, misuse: 0, 'lost-wakeup': 0, deadlock: 0, assertion: 0 });
    for (const o of r.outcomes) assert.equal(o.outcome, 'A=0/0/0 B=0');
  }
  // the EAGAIN path exists and loops: W reads 0, P posts, futex_wait sees 1 and W retakes the token
  const r = replay(findScenario('b1')!, ['W', 'P', 'W', 'W', 'W'], 'pg-futex');
  assert.equal(r.error, undefined, r.error);
  assert.deepEqual(r.steps.map((x) => `${x.actor}.${x.name}`), ['W.load', 'P.fetch_add', 'W.futex_wait', 'W.load', 'W.cas_ok']);
  assert.deepEqual(r.steps[2].futex?.result, { ret: -1, errno: 'EAGAIN' });
  assert.deepEqual(r.states[r.states.length - 1].threads[0].results, ['0']);
});

test('seed with a signal: a wait that failed with EINTR, then destroy + free, then a post: misuse, not glibc\'s fault', () => {
  const sc = findScenario('seed')!;
  for (const model of ['glibc-new-64', 'glibc-new-32'] as const) {
    const r = explore(sc, { model, budget: { signals: 1 } });
    assert.equal(r.violatingSchedules['use-after-free'], 0, model);
    assert.ok(r.violatingSchedules.misuse > 0, model);
    const w = r.witnesses.find((x) => x.kind === 'misuse')!;
    assert.ok(w.steps.some((x) => x.ret === '-1 EINTR'), `${model}: the witness's wait failed`);
    assert.match(w.violation.message, /called the operation on a semaphore that was already destroyed/);
  }
  // glibc-old keeps its own class apart: the post published its token before the destroy
  const old = explore(sc, { model: 'glibc-old', budget: { signals: 1 } });
  assert.ok(old.violatingSchedules['use-after-free'] > 0 && old.violatingSchedules.misuse > 0);
  assert.match(old.witnesses.find((x) => x.kind === 'use-after-free')!.violation.message, /after publishing its token/);
});

test('seed-checked: a script that stops after a failed wait has no misuse; glibc-old keeps its use after free', () => {
  const sc = findScenario('seed-checked')!;
  for (const model of ['glibc-new-64', 'glibc-new-32', 'pg-futex'] as const) {
    const r = explore(sc, { model, budget: { spurious: 2, weakCas: 2, signals: 1 } });
    assert.equal(Object.values(r.violatingSchedules).reduce((a, b) => a + b, 0), 0, model);
    assert.ok(r.outcomes.some((o) => o.outcome.startsWith('A=-1 EINTR ')), `${model}: A stopped after EINTR`);
  }
  const old = explore(sc, { model: 'glibc-old' });
  assert.ok(old.violatingSchedules['use-after-free'] > 0);
  assert.equal(old.violatingSchedules.misuse, 0);
});

test('maxStates truncates and says so', () => {
  const r = explore(findScenario('three')!, { maxStates: 50 });
  assert.equal(r.truncated, true);
});

test('validateScenario accepts the built-ins and rejects malformed input', () => {
  for (const sc of SCENARIOS) assert.equal(validateScenario(JSON.parse(JSON.stringify(sc))).ok, true, sc.id);
  const base = JSON.parse(JSON.stringify(findScenario('seed')));
  const bad: [unknown, RegExp][] = [
    [null, /object/],
    [{ ...base, model: 'musl' }, /model/],
    [{ ...base, initial: { value: -1, pshared: false } }, /initial.value/],
    [{ ...base, threads: [] }, /threads/],
    [{ ...base, threads: [{ name: 'A', ops: ['sem_wait'] }, { name: 'A', ops: [] }] }, /duplicate/],
    [{ ...base, threads: [{ name: '-x', ops: [] }] }, /name/],
    [{ ...base, threads: [{ name: 'A', ops: ['rm -rf'] }] }, /ops\[0\]/],
    [{ ...base, model: 'glibc-old', threads: [{ name: 'A', ops: ['sem_post_broken'] }] }, /only in the glibc-new-64/],
    [{ ...base, budget: { spurious: 99 } }, /budget/],
  ];
  for (const [x, re] of bad) {
    const v = validateScenario(x);
    assert.equal(v.ok, false);
    if (!v.ok) assert.match(v.error, re);
  }
});

test('live import: "3 tokens, 2 waiters" starts with two registered waiters, woken and about to retake', () => {
  const sc = scenarioFromLive({ name: '/orders', value: 3, nwaiters: 2, layout: 'glibc-new-64' });
  assert.equal(sc.title, '/orders: 3 tokens, 2 waiters');
  const s = initialState(sc);
  assert.deepEqual([s.mem.value, s.mem.nwaiters], [3, 2]);
  assert.deepEqual(s.queue, []);
  assert.ok(s.threads.slice(0, 2).every((t) => t.registered && t.pc === 'reload'));
  const r = explore(sc);
  assert.equal(Object.values(r.violatingSchedules).reduce((a, b) => a + b, 0), 0);
  for (const o of r.outcomes) assert.equal(o.outcome, 'W1=0 W2=0 P=0');
  // 0 tokens, 2 waiters: both asleep in the queue
  const z = initialState(scenarioFromLive({ name: '/q', value: 0, nwaiters: 2 }));
  assert.deepEqual(z.queue, [0, 1]);
  const z32 = initialState(scenarioFromLive({ name: '/q', value: 0, nwaiters: 1, layout: 'glibc-new-32' }));
  assert.deepEqual([z32.model, z32.mem.value, z32.mem.nwaiters], ['glibc-new-32', 1, 1]);
});

test('d4: with glibc < 2.41 async cancellation a cancelled waiter can consume a wake (lost wake-up); 2.41 cannot', () => {
  const sc = findScenario('d4')!;
  assert.equal(sc.asyncCancel, true);
  for (const m of ['glibc-new-64', 'glibc-new-32', 'glibc-old'] as const) {
    const before = explore(sc, { model: m });
    assert.ok(before.violatingSchedules['lost-wakeup'] > 0, `${m} < 2.41`);
    const w = before.witnesses.find((x) => x.kind === 'lost-wakeup')!;
    assert.ok(w.steps.some((x) => x.name === 'cancel' && /async-cancel window/.test(x.detail)), m);
    if (m === 'glibc-old') {
      // glibc <= 2.20 always cancels asynchronously around the syscall: asyncCancel: false changes nothing
      const same = explore({ ...sc, asyncCancel: false }, { model: m });
      assert.equal(same.violatingSchedules['lost-wakeup'], before.violatingSchedules['lost-wakeup'], m);
      continue;
    }
    const after = explore({ ...sc, asyncCancel: false }, { model: m });
    assert.equal(after.violatingSchedules['lost-wakeup'], 0, `${m} 2.41+`);
    assert.equal(after.glibc, '2.41+');
    assert.equal(before.glibc, '2.25-2.40');
  }
  // the spec's story: the wake goes to W1, the cancel acts in the window, W2 sleeps on with value 1
  const r = replay(sc, sc.stories![0].choices);
  assert.equal(r.error, undefined, r.error);
  const end = r.states[r.states.length - 1];
  assert.deepEqual([end.mem.value, end.mem.nwaiters, end.queue], [1, 1, [1]]);
  assert.equal(end.violations[0].kind, 'lost-wakeup');
  // 2.41: the same cancel arrives, but W1 is out of the syscall: it stays pending and W1 takes the token
  const r2 = replay({ ...sc, asyncCancel: false }, sc.stories![0].choices.slice(0, 11));
  const s2 = r2.states[r2.states.length - 1];
  assert.equal(s2.threads[0].pendingCancel, true);
  assert.equal(s2.threads[0].pc, 'reload');
});

test('fork-private: a pshared = 0 semaphore across fork loses the wake-up (private futex keys per process); pshared = 1 does not', () => {
  const sc = findScenario('fork-private')!;
  for (const model of ['glibc-new-64', 'glibc-new-32', 'glibc-old'] as const) {
    const r = explore(sc, { model });
    assert.ok(r.violatingSchedules['lost-wakeup'] > 0, model);
    assert.equal(r.memoryModel, 'sc');
    const shared = explore({ ...sc, initial: { value: 0, pshared: true } }, { model });
    assert.equal(shared.violatingSchedules['lost-wakeup'], 0, `${model} pshared = 1`);
  }
  const story = replay(sc, sc.stories![0].choices);
  const wake = story.steps[story.steps.length - 1];
  assert.equal(wake.futex?.key, 'private:p0');
  assert.deepEqual(wake.futex?.result, { ret: 0 });
  assert.match(wake.note ?? '', /W sleeps under another futex key \(private:p1/);
  assert.equal(story.states[story.states.length - 1].violations[0]?.kind, 'lost-wakeup');
  // one process: the same schedule wakes W
  const same = replay({ ...sc, threads: sc.threads.map((t) => ({ ...t, process: 0 })) }, findScenario('fork-private')!.stories![0].choices);
  assert.deepEqual(same.steps[same.steps.length - 1].futex?.result, { ret: 1 });
});

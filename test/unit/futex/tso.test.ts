// x86-TSO: per-thread FIFO store buffers; lock-prefixed instructions and system calls drain them; a thread's
// loads read its own buffer first. Proven on the store-buffering litmus test and two variants of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  explore, findScenario, replay, type ModelId, type Scenario,
} from '../../../extension/domain/futex';

const both00 = (o: string): boolean => /T1=0\/r=0 T2=0\/r=0/.test(o);

test('store buffering: SC forbids r1 = r2 = 0, x86-TSO allows it (glibc-new-32 and glibc-old layouts)', () => {
  const sb = findScenario('sb')!;
  for (const model of ['glibc-new-32', 'glibc-old', 'glibc-new-64'] as ModelId[]) {
    const sc = explore(sb, { model, memoryModel: 'sc' });
    assert.equal(sc.memoryModel, 'sc');
    const scOut = sc.outcomes.map((o) => o.outcome);
    assert.equal(sc.schedules, 6, `${model}: the 6 interleavings of 2 + 2 steps`);
    assert.ok(!scOut.some(both00), `${model} SC: ${scOut.join('; ')}`);
    assert.equal(scOut.length, 3, `${model} SC: (0,1), (1,0), (1,1)`);
    const tso = explore(sb, { model, memoryModel: 'x86-tso' });
    assert.equal(tso.memoryModel, 'x86-tso');
    const tsoOut = tso.outcomes.map((o) => o.outcome);
    assert.ok(tsoOut.some(both00), `${model} TSO: ${tsoOut.join('; ')}`);
    assert.equal(tsoOut.length, 4, `${model} TSO: all four outcomes`);
  }
  // the witness schedule: both stores wait in their buffers while both loads read memory
  const r = replay(sb, ['T1', 'T2', 'T1', 'T2', 'flush(T1)', 'flush(T2)'], 'glibc-new-32', { memoryModel: 'x86-tso' });
  assert.equal(r.error, undefined, r.error);
  assert.deepEqual(r.states[4].threads.map((t) => t.results), [['0', 'r=0'], ['0', 'r=0']]);
  assert.deepEqual(r.states[2].threads.map((t) => t.buffer), [[{ word: 'value', value: 1 }], [{ word: 'nwaiters', value: 1 }]]);
  assert.deepEqual(r.steps[4].flush, [{ thread: 'T1', word: 'value', value: 1 }]);
  assert.equal(r.steps[0].access?.[0].buffered, true);
  const end = r.states[6];
  assert.deepEqual([end.mem.value, end.mem.nwaiters], [1, 1]);
});

test('a locked instruction drains the buffer: SB with a sem_post (lock cmpxchg) between store and load forbids r1 = r2 = 0', () => {
  // T1: private := 128; sem_post (its CAS is locked); r1 := nwaiters.  T2: nwaiters := 1; sem_post; r2 := private
  const fenced: Scenario = {
    id: 'sb-locked', title: 't', description: '', model: 'glibc-new-32', initial: { value: 0, pshared: false },
    threads: [
      { name: 'T1', ops: [{ op: 'raw_store', word: 'private', value: 128 }, { op: 'sem_post' }, { op: 'raw_load', word: 'nwaiters' }] },
      { name: 'T2', ops: [{ op: 'raw_store', word: 'nwaiters', value: 1 }, { op: 'sem_post' }, { op: 'raw_load', word: 'private' }] },
    ],
    budget: { spurious: 0, weakCas: 0, signals: 0 },
  };
  for (const model of ['glibc-new-32', 'glibc-old'] as ModelId[]) {
    const tso = explore(fenced, { model, memoryModel: 'x86-tso' });
    const out = tso.outcomes.map((o) => o.outcome);
    assert.ok(out.length > 0);
    assert.ok(!out.some((o) => /T1=0\/0\/r=0 T2=0\/0\/r=0/.test(o)), `${model}: ${out.join('; ')}`);
    // the post's own load of private sees T1's buffered store (its own buffer first)
    const r = replay(fenced, ['T1', 'T1'], model, { memoryModel: 'x86-tso' });
    assert.equal(r.error, undefined, r.error);
    if (model === 'glibc-new-32') {
      assert.equal(r.states[2].threads[0].priv, 128, 'sem_post read private from its own store buffer');
      assert.equal(r.states[2].mem.priv, 0, 'memory still has the old private');
      assert.equal(r.steps[1].access?.[0].buffered, true);
    }
  }
});

test('loads read their own buffer first: a thread always sees its own store, others may not yet', () => {
  const own: Scenario = {
    id: 'own', title: 't', description: '', model: 'glibc-new-32', initial: { value: 0, pshared: false },
    threads: [
      { name: 'T1', ops: [{ op: 'raw_store', word: 'nwaiters', value: 5 }, { op: 'raw_load', word: 'nwaiters' }] },
      { name: 'T2', ops: [{ op: 'raw_load', word: 'nwaiters' }] },
    ],
    budget: { spurious: 0, weakCas: 0, signals: 0 },
  };
  const r = explore(own, { memoryModel: 'x86-tso' });
  assert.ok(r.outcomes.every((o) => /T1=0\/r=5 /.test(o.outcome)), r.outcomes.map((o) => o.outcome).join('; '));
  assert.ok(r.outcomes.some((o) => /T2=r=0$/.test(o.outcome)));
  assert.ok(r.outcomes.some((o) => /T2=r=5$/.test(o.outcome)));
});

test('the shipped semaphore scenarios keep their verdicts under x86-TSO (every store glibc makes to the semaphore is locked)', () => {
  // seed-reuse: the reusing object's plain stores wait in a store buffer, so TSO has more schedules (flushes)
  // and more violating ones, but the same kinds of violation
  for (const id of ['seed', 'seed-reuse', 'b1', 'c1']) {
    const sc = findScenario(id)!;
    for (const model of ['glibc-new-32', 'glibc-old'] as ModelId[]) {
      const a = explore(sc, { model, memoryModel: 'sc' });
      const b = explore(sc, { model, memoryModel: 'x86-tso' });
      const kinds = (x: typeof a) => Object.entries(x.violatingSchedules).filter(([, n]) => n > 0).map(([k]) => k);
      assert.deepEqual(kinds(b), kinds(a), `${id} ${model}`);
      assert.ok(b.states >= a.states, `${id} ${model}`);
    }
  }
});

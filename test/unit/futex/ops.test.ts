// sem_getvalue (one relaxed load, never negative), sem_clockwait (no entry testcancel, its clock in the futex
// op), initial values up to SEM_VALUE_MAX.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SEM_VALUE_MAX, explore, findScenario, initialState, replay, validateScenario, type ModelId, type Scenario,
} from '../../../extension/domain/futex';

test('sem_getvalue: one relaxed load of the value word; 0 (never negative) while a waiter sleeps', () => {
  const sc = findScenario('getvalue')!;
  const cases: [ModelId, string[], { word: string; size: number; order: string }][] = [
    ['glibc-new-64', ['W', 'W', 'W', 'G'], { word: 'data', size: 8, order: 'relaxed' }],
    ['glibc-new-32', ['W', 'W', 'W', 'W', 'W', 'G'], { word: 'value', size: 4, order: 'relaxed' }],
    ['glibc-old', ['W', 'W', 'W', 'G'], { word: 'value', size: 4, order: 'plain' }],
  ];
  for (const [model, ids, want] of cases) {
    const r = replay(sc, ids, model);
    assert.equal(r.error, undefined, `${model}: ${r.error}`);
    const before = r.states[r.states.length - 2];
    assert.deepEqual([before.queue, before.mem.nwaiters], [[0], 1], `${model}: W asleep and registered`);
    const g = r.steps[r.steps.length - 1];
    assert.equal(g.name, 'getvalue');
    assert.equal(g.ret, '0 sval=0', model);
    assert.equal(g.access?.length, 1, `${model}: exactly one access`);
    const a = g.access![0];
    assert.deepEqual({ word: a.word, size: a.size, order: a.order, kind: a.kind }, { ...want, kind: 'read' }, model);
    assert.match(g.note ?? '', /waiter\(s\) registered, and sem_getvalue says 0/);
    // every value G can see over all schedules: 0 or 1, never negative
    const x = explore(sc, { model });
    const svals = new Set(x.outcomes.map((o) => /G=0 sval=(\d+)/.exec(o.outcome)?.[1]));
    assert.deepEqual([...svals].sort(), ['0', '1'], model);
  }
  // 32-bit: tokens only, the waiter bit is not part of the value
  const s32 = replay({ ...sc, initial: { value: 3, pshared: false } }, ['G'], 'glibc-new-32');
  assert.equal(s32.steps[0].ret, '0 sval=3');
  assert.throws(() => initialState(sc, { model: 'pg-futex' }), /no sem_getvalue/);
});

const clock = (op: 'sem_clockwait' | 'sem_timedwait', c?: 'monotonic' | 'realtime'): Scenario => ({
  id: 'cw', title: 't', description: '', model: 'glibc-new-64', initial: { value: 1, pshared: false },
  threads: [{ name: 'W', ops: [{ op, ...(c ? { clock: c } : {}) }], cancel: true }, { name: 'V', ops: [{ op: 'sem_wait' }] }],
  budget: { spurious: 0, weakCas: 0, signals: 0 },
});

test('sem_clockwait: no __pthread_testcancel at entry (sem_timedwait has one), a timeout, its clock in the futex op', () => {
  for (const model of ['glibc-new-64', 'glibc-new-32'] as ModelId[]) {
    for (const glibc of ['2.25-2.40', '2.41+'] as const) {
      const cw = replay(clock('sem_clockwait'), ['cancel(W)', 'W', 'W'], model, { glibc });
      assert.equal(cw.error, undefined, cw.error);
      assert.deepEqual(cw.steps.slice(1).map((s) => s.name), ['load', 'cas_ok'], `${model} ${glibc}`);
      assert.equal(cw.states[3].threads[0].results[0], '0');
      const tw = replay(clock('sem_timedwait'), ['cancel(W)', 'W'], model, { glibc });
      assert.equal(tw.steps[1].name, 'cancel_unwind', `${model} ${glibc}: sem_timedwait acts on the cancel`);
    }
    // asleep: the futex op carries the clock; a timeout ends the sleep with ETIMEDOUT
    const sleepy = (c: 'monotonic' | 'realtime'): Scenario => ({
      ...clock('sem_clockwait', c), initial: { value: 0, pshared: false },
      threads: [{ name: 'W', ops: [{ op: 'sem_clockwait', clock: c }] }],
    });
    const ids = model === 'glibc-new-64' ? ['W', 'W', 'W'] : ['W', 'W', 'W', 'W', 'W'];
    for (const [c, text] of [['monotonic', 'FUTEX_WAIT_BITSET_PRIVATE'], ['realtime', 'FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME']] as const) {
      const r = replay(sleepy(c), [...ids, 'timeout(W)'], model);
      assert.equal(r.error, undefined, `${model} ${c}: ${r.error}`);
      const f = r.steps[ids.length - 1].futex!;
      assert.deepEqual([f.opText, f.clock, f.timeout], [text, c, true], `${model} ${c}`);
      assert.equal(r.steps[ids.length].name, 'timeout');
    }
    const x = explore(sleepy('monotonic'), { model });
    assert.ok(x.outcomes.some((o) => o.outcome === 'W=-1 ETIMEDOUT'), `${model}: ${x.outcomes.map((o) => o.outcome).join('; ')}`);
  }
  // it exists from glibc 2.30 on; PostgreSQL's semaphore and glibc <= 2.20 have none
  assert.throws(() => initialState(clock('sem_clockwait'), { glibc: '2.22-2.24' }), /2\.30/);
  assert.throws(() => initialState(clock('sem_clockwait'), { model: 'glibc-old' }), /2\.30/);
  assert.throws(() => initialState(clock('sem_clockwait'), { model: 'pg-futex' }), /no sem_clockwait/);
});

test('initial values up to SEM_VALUE_MAX are accepted (EOVERFLOW becomes reachable); above it is refused', () => {
  const base = { id: 'v', model: 'glibc-new-64', threads: [{ name: 'P', ops: ['sem_post'] }] };
  const ok = validateScenario({ ...base, initial: { value: SEM_VALUE_MAX, pshared: false } });
  assert.ok(ok.ok);
  const r = replay(ok.scenario, ['P', 'P', 'P']);
  assert.deepEqual(r.states[3].threads[0].results, ['-1 EOVERFLOW']);
  assert.equal(r.states[3].mem.value, SEM_VALUE_MAX, 'no state change');
  const bad = validateScenario({ ...base, initial: { value: SEM_VALUE_MAX + 1, pshared: false } });
  assert.equal(bad.ok, false);
  const init = validateScenario({ ...base, initial: { value: 0, pshared: false }, threads: [{ name: 'P', ops: [{ op: 'sem_init', value: SEM_VALUE_MAX }] }] });
  assert.ok(init.ok);
  // the 32-bit word at the top of its range: tokens SEM_VALUE_MAX, bit set, stays unsigned
  const s = initialState({ ...ok.scenario, threads: [{ name: 'W', ops: [{ op: 'sem_wait' }], registered: true }] }, { model: 'glibc-new-32' });
  assert.equal(s.mem.value, 0xffffffff);
  assert.ok(validateScenario({ ...base, glibc: '2.21', memoryModel: 'x86-tso', initial: { value: 0, pshared: false } }).ok);
  assert.equal(validateScenario({ ...base, glibc: '2.99', initial: { value: 0, pshared: false } }).ok, false);
  assert.equal(validateScenario({ ...base, model: 'glibc-old', glibc: '2.41+', initial: { value: 0, pshared: false } }).ok, true,
    'glibc-old ignores a scenario version (always 2.20)');
});

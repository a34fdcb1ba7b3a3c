// The trace a step leaves for the sequence diagram and the source pane: script position and pseudocode line,
// memory accesses with values, futex calls with their op, and the ends of blocked waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODEL_IDS, PSEUDOCODE, SCENARIOS, enabled, initialState, replay, scenarioRunsUnder, stateKey, step, validateScenario, type FutexState,
  type StepRecord,
} from '../../../extension/domain/futex';

const LINE_IDS = new Set(Object.values(PSEUDOCODE).flatMap((p) => p.lines.map((l) => l.id).filter(Boolean)));

/** Every transition of a scenario's state graph (each distinct state expanded once). */
function allSteps(init: FutexState): StepRecord[] {
  const out: StepRecord[] = [];
  const seen = new Set([stateKey(init)]);
  const todo = [init];
  while (todo.length) {
    const s = todo.pop()!;
    if (s.violations.length) continue;
    for (const c of enabled(s)) {
      const n = step(s, c);
      if (n.last) out.push(n.last);
      const k = stateKey(n);
      if (!seen.has(k)) {
        seen.add(k);
        todo.push(n);
      }
    }
  }
  return out;
}

test('every thread step names a pseudocode line of its program; every line of every program is reachable', () => {
  const reached = new Set<string>();
  // 'three' (3 threads, 5 ops) adds no program line the 2-thread scenarios miss and is the slowest
  // no built-in scenario re-initialises the semaphore; a script may (the editor offers sem_init)
  const init = validateScenario({
    id: 'reinit', title: 'reinit', description: 'sem_init in a script', model: 'glibc-new-64', initial: { value: 0, pshared: false },
    threads: [{ name: 'A', ops: [{ op: 'sem_init', value: 1 }, 'sem_wait', 'sem_destroy'] }], budget: { spurious: 0, weakCas: 0, signals: 0 },
  });
  assert.ok(init.ok, init.ok ? '' : init.error);
  for (const sc of [...SCENARIOS.filter((x) => x.id !== 'three' && x.id !== 'b3'), init.scenario]) {
    for (const model of MODEL_IDS) {
      if (!scenarioRunsUnder(sc, model)) continue;
      const steps = allSteps(initialState({ ...sc, budget: { spurious: Math.min(sc.budget.spurious, 1), weakCas: 1, signals: 1 } }, { model }));
      for (const r of steps) {
        if (r.actor === 'env') {
          assert.equal(r.at, undefined);
          continue;
        }
        assert.ok(r.at, `${sc.id}/${model}: ${r.actor}.${r.name} has no position`);
        assert.ok(r.at.line.startsWith('life.') || LINE_IDS.has(r.at.line), `${sc.id}/${model}: unknown line ${r.at.line}`);
        reached.add(r.at.line);
      }
    }
  }
  const missing = [...LINE_IDS].filter((id) => !reached.has(id as string));
  assert.deepEqual(missing, [], 'pseudocode lines no step runs');
});

test('6a trace: accesses with values and orders, the futex calls strace would show, the wake resumes A', () => {
  const sc = SCENARIOS.find((s) => s.id === 'seed')!;
  const r = replay(sc, ['A', 'A', 'A', 'B', 'B', 'B', 'B', 'A', 'A']);
  assert.equal(r.error, undefined);
  const [load, reg, wait, priv, bload, cas, wake, reload, take] = r.steps;
  assert.deepEqual(load.access, [{ kind: 'read', order: 'relaxed', word: 'data', offset: 0, size: 8, value: 0 }]);
  assert.deepEqual(reg.access?.[0], { kind: 'rmw', rmw: 'fetch_add', order: 'relaxed', word: 'data', offset: 0, size: 8, value: 2 ** 32, before: 0 });
  // do_futex_wait loads sem->private right before the syscall
  assert.deepEqual(wait.access?.map((a) => [a.kind, a.word]), [['read', 'private']]);
  assert.deepEqual(wait.futex, {
    op: 'FUTEX_WAIT_BITSET', private: true, clock: 'realtime', opCode: 393,
    opText: 'FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME', word: 'value', offset: 0, val: 0, key: 'private:p0',
    result: 'blocked',
  });
  assert.equal(priv.access?.[0].word, 'private');
  assert.equal(bload.access?.[0].value, 2 ** 32);
  assert.deepEqual(cas.access?.[0], { kind: 'cas', order: 'release', word: 'data', offset: 0, size: 8, value: 2 ** 32 + 1, before: 2 ** 32, ok: true });
  assert.equal(wake.futex?.opText, 'FUTEX_WAKE_PRIVATE');
  assert.equal(wake.futex?.val, 1);
  assert.deepEqual(wake.futex?.result, { ret: 1 });
  assert.deepEqual(wake.resumed, [{ thread: 'A', ret: 0, why: 'wake' }]);
  assert.equal(reload.at?.line, 'new64.wait.reload');
  assert.equal(take.access?.[0].value, 0);
});

test('a failed CAS records ok: false and the value it found; a timeout resumes the wait with ETIMEDOUT', () => {
  const c3 = SCENARIOS.find((s) => s.id === 'c3')!;
  const r = replay(c3, ['W', 'W', 'P', 'P', 'P', 'W', 'W', 'W:cas_spurious']);
  assert.equal(r.error, undefined, r.error);
  const last = r.steps[r.steps.length - 1];
  assert.equal(last.name, 'cas_fail');
  assert.equal(last.access?.[0].ok, false);
  assert.equal(last.access?.[0].value, 2 ** 32 + 1);
  const c4 = SCENARIOS.find((s) => s.id === 'c4')!;
  const t = replay(c4, ['W', 'W', 'W', 'timeout(W)']);
  assert.equal(t.steps[2].futex?.timeout, true);
  assert.deepEqual(t.steps[3].resumed, [{ thread: 'W', ret: -1, errno: 'ETIMEDOUT', why: 'timeout' }]);
});

test('glibc-old and pg-futex futex ops: old ORs its inverted private into FUTEX_WAIT; PostgreSQL is shared', () => {
  const b1 = SCENARIOS.find((s) => s.id === 'b1')!;
  const old = replay(b1, ['W', 'W', 'W'], 'glibc-old');
  assert.equal(old.steps[2].futex?.opText, 'FUTEX_WAIT_PRIVATE');
  assert.equal(old.steps[2].futex?.opCode, 128);
  const pg = replay(b1, ['W', 'W', 'P', 'P'], 'pg-futex');
  assert.equal(pg.steps[1].futex?.opText, 'FUTEX_WAIT');
  assert.equal(pg.steps[3].futex?.opText, 'FUTEX_WAKE');
  assert.equal(pg.steps[3].futex?.val, 2147483647);
});

// Explorer throughput: distinct states per second and wall time per scenario/model (median of runs).
// Targets: the seed scenario and a 3-thread scenario each explore in under a second.
// There is no ipcs/lsipc counterpart for a model checker; the reference ratio printed is against the
// naive enumeration (no state hashing) of the same scenario, measured in the same run.
import { enabled, explore, findScenario, initialState, step, type FutexState, type ModelId } from '../extension/domain/futex';
import { median, textTable, timeSyncMs } from './lib';

const RUNS = 7;

function naiveSchedules(id: string, model: ModelId): number {
  let n = 0;
  const go = (s: FutexState): void => {
    if (s.violations.length) { n++; return; }
    const cs = enabled(s);
    if (!cs.length) { n++; return; }
    for (const c of cs) go(step(s, c));
  };
  go(initialState(findScenario(id)!, { model }));
  return n;
}

const rows: string[][] = [];
let slow = 0;
for (const [id, model] of [
  ['seed', 'glibc-new-64'], ['seed', 'glibc-new-32'], ['seed', 'glibc-old'], ['seed', 'pg-futex'],
  ['three', 'glibc-new-64'], ['three', 'glibc-new-32'], ['three', 'glibc-old'], ['b3', 'glibc-new-32'],
] as [string, ModelId][]) {
  const sc = findScenario(id)!;
  explore(sc, { model }); // warm-up
  const times: number[] = [];
  let r = explore(sc, { model });
  for (let i = 0; i < RUNS; i++) times.push(timeSyncMs(() => (r = explore(sc, { model }))));
  const ms = median(times);
  const naive = id === 'seed' ? `${(timeSyncMs(() => naiveSchedules(id, model)) / ms).toFixed(1)}x` : '';
  if ((id === 'seed' || id === 'three') && ms >= 1000) slow++;
  rows.push([id, model, String(r.states), String(r.transitions), r.schedules.toExponential(2), ms.toFixed(1),
    Math.round(r.states / (ms / 1000)).toString(), naive]);
}
const head = ['scenario', 'model', 'states', 'transitions', 'schedules', 'median ms', 'states/s', 'naive/hashed'];
console.log(textTable(head, rows, 2));
console.log(`median of ${RUNS} runs after one warm-up; node ${process.version}`);
if (slow) {
  console.log(`FAIL: ${slow} seed/3-thread exploration(s) took 1 s or more`);
  process.exit(1);
}

// Explorer throughput: distinct states per second and wall time per scenario/model/memory model (median of
// runs). Goals under sequential consistency: the seed scenario in < 10 ms and the 3-thread scenario in
// < 200 ms. x86-TSO (store buffers) is measured on the same scenarios for its cost; it has no goal.
// There is no ipcs/lsipc counterpart for a model checker; the reference ratio printed is against the
// naive enumeration (no state hashing) of the same scenario, measured in the same run.
import {
  enabled, explore, findScenario, initialState, step, type FutexState, type MemoryModel, type ModelId,
} from '../extension/domain/futex';
import { benchRuns, median, recordResult, textTable, timeSyncMs } from './lib';

const RUNS = benchRuns(7);
const GOAL_MS: Record<string, number> = { seed: 10, three: 200 };

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
const scMs = new Map<string, number>();
let missed = 0;
for (const [id, model, memoryModel] of [
  ['seed', 'glibc-new-64', 'sc'], ['seed', 'glibc-new-32', 'sc'], ['seed', 'glibc-old', 'sc'], ['seed', 'pg-futex', 'sc'],
  ['three', 'glibc-new-64', 'sc'], ['three', 'glibc-new-32', 'sc'], ['three', 'glibc-old', 'sc'], ['b3', 'glibc-new-32', 'sc'],
  ['seed', 'glibc-new-32', 'x86-tso'], ['seed', 'glibc-old', 'x86-tso'], ['seed-reuse', 'glibc-old', 'sc'],
  ['seed-reuse', 'glibc-old', 'x86-tso'], ['three', 'glibc-new-32', 'x86-tso'], ['three', 'glibc-old', 'x86-tso'],
  ['sb', 'glibc-new-32', 'sc'], ['sb', 'glibc-new-32', 'x86-tso'],
] as [string, ModelId, MemoryModel][]) {
  const sc = findScenario(id)!;
  const opts = { model, memoryModel };
  explore(sc, opts); // warm-up
  const times: number[] = [];
  let r = explore(sc, opts);
  for (let i = 0; i < RUNS; i++) times.push(timeSyncMs(() => (r = explore(sc, opts))));
  const ms = median(times);
  const min = Math.min(...times);
  const naive = id === 'seed' && memoryModel === 'sc' ? `${(timeSyncMs(() => naiveSchedules(id, model)) / ms).toFixed(1)}x` : '';
  // the minimum is what the code costs when it has a core; on a shared, loaded machine it is the stabler figure
  if (memoryModel === 'sc') scMs.set(`${id}|${model}`, min);
  const base = scMs.get(`${id}|${model}`);
  const cost = memoryModel === 'x86-tso' && base ? `${(min / base).toFixed(2)}x SC` : '';
  const goal = memoryModel === 'sc' ? GOAL_MS[id] : undefined;
  if (goal !== undefined) {
    const pass = ms < goal;
    if (!pass) missed++;
    recordResult({ bench: 'futex', goal: { goal: `${id} under ${model} (SC) < ${goal} ms`, measured: `${ms.toFixed(1)} ms (${r.states} states; min ${min.toFixed(1)} ms)`, pass, note: `median of ${RUNS}` } });
  }
  rows.push([id, model, memoryModel, String(r.states), String(r.transitions), r.schedules.toExponential(2), ms.toFixed(1),
    min.toFixed(2), Math.round(r.states / (ms / 1000)).toString(), naive, cost]);
}
const head = ['scenario', 'model', 'memory', 'states', 'transitions', 'schedules', 'median ms', 'min ms', 'states/s', 'naive/hashed',
  'TSO cost (min)'];
console.log(textTable(head, rows, 3));
console.log(`median of ${RUNS} runs after one warm-up; node ${process.version}; goals (SC): seed < 10 ms, three < 200 ms`);
if (missed) {
  console.log(`FAIL: ${missed} seed/3-thread exploration(s) missed the goal`);
  process.exit(1);
}

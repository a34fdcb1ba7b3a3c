/**
 * Exhaustive exploration of a scenario's interleavings with state hashing: breadth-first over the state
 * graph (equal states are expanded once; BFS makes the kept witness schedules the shortest), then a
 * post-order pass that counts schedules (maximal paths) and violating schedules per kind without
 * enumerating them, and a forward pass that counts the schedules reaching each final outcome per sequence
 * of return values (states that differ only in what operations returned are one state). A state with a
 * violation ends its schedule (the first violation is what a person wants to replay).
 */
import { choiceId, enabled, encodeState, initialState, runParams, step, stepQuiet, type StateOptions } from './machine';
import { StateTable } from './stateTable';
import {
  VIOLATION_KINDS, type Budget, type GlibcVersion, type MemoryModel, type Choice, type FutexState, type ModelId, type Scenario, type StepRecord,
  type Violation, type ViolationKind,
} from './types';

export interface ExploreOptions {
  model?: ModelId;
  /** the glibc version (default: the scenario's, versions.defaultGlibc). */
  glibc?: GlibcVersion | null;
  /** the memory model (default: the scenario's, else sequential consistency). */
  memoryModel?: MemoryModel;
  /** override the scenario's environment budget. */
  budget?: Partial<Budget>;
  /** stop expanding after this many distinct states (the result says truncated). */
  maxStates?: number;
}

export interface Witness {
  kind: ViolationKind;
  violation: Violation;
  /** choice ids from the initial state, replayable with `replay`. */
  choices: string[];
  steps: StepRecord[];
}

export interface ExploreResult {
  scenario: string;
  model: ModelId;
  /** the glibc version the run followed (null for pg-futex). */
  glibc: GlibcVersion | null;
  /** the memory model of every run: 'sc' (one global order of steps) or 'x86-tso' (store buffers). */
  memoryModel: MemoryModel;
  budget: Budget;
  /** distinct states (after hashing). */
  states: number;
  transitions: number;
  /** maximal schedules (paths from the initial state to a final or violating state). */
  schedules: number;
  /** schedules that end in a violation, by the kind of their first violation. */
  violatingSchedules: Record<ViolationKind, number>;
  /** distinct states that carry a violation, by kind. */
  violatingStates: Record<ViolationKind, number>;
  /** one shortest schedule per violation kind found. */
  witnesses: Witness[];
  /** distinct final outcomes (what each thread's operations returned on the schedule, and how the thread
   *  ended), with the number of schedules reaching them; they sum to the schedules without a violation. */
  outcomes: { outcome: string; schedules: number }[];
  /** back edges met (a cycle in the state graph; not expected in these models, reported if met). */
  cycles: number;
  truncated: boolean;
}

interface Node {
  /** the state; dropped (null) once it is expanded, unless it ends a schedule (violating or final). */
  state: FutexState | null;
  parent: number;
  /** the choice that led here from `parent` (its id is computed for witnesses only). */
  via: Choice | null;
  succ: number[];
  /** per successor edge: what the step's operation returned (an id in `labels`; 0: nothing), or null if no
   *  edge of this node returns anything. */
  rets: number[] | null;
}

const zero = (): Record<ViolationKind, number> =>
  Object.fromEntries(VIOLATION_KINDS.map((k) => [k, 0])) as Record<ViolationKind, number>;

function severity(s: FutexState): number {
  const st = s.mem.status;
  return st === 'live' ? 0 : st === 'destroyed' ? 1 : 2;
}

function outcomeOf(s: FutexState, results: string[][]): string {
  return s.threads.map((t, i) => `${t.name}=${results[i].join('/') || '-'}${t.status === 'done' ? '' : `(${t.status})`}`).join(' ');
}

/**
 * What operations returned along a schedule. A label is what one step's thread(s) returned; a sequence of
 * labels is a node of a trie (0: the empty sequence), so equal sequences have one id.
 */
class Returns {
  private labelIds = new Map<string, number>([['', 0]]);
  private labels: { tid: number; values: string[] }[][] = [[]];
  private seqIds = new Map<number, number>();
  private seqs: { parent: number; label: number }[] = [{ parent: -1, label: 0 }];

  /** The label of the step from `s` to `next`: the results its threads appended (results arrays are replaced,
   *  never mutated, so an unchanged array is the same object). */
  of(s: FutexState, next: FutexState): number {
    let parts: { tid: number; values: string[] }[] | undefined;
    for (let i = 0; i < next.threads.length; i++) {
      const a = s.threads[i].results;
      const b = next.threads[i].results;
      if (a !== b && b.length > a.length) (parts ??= []).push({ tid: i, values: b.slice(a.length) });
    }
    if (!parts) return 0;
    const text = parts.map((p) => `${p.tid}:${p.values.join('\u0000')}`).join('\u0001');
    let id = this.labelIds.get(text);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(parts);
      this.labelIds.set(text, id);
    }
    return id;
  }

  /** The sequence `seq` followed by `label`. */
  extend(seq: number, label: number): number {
    const k = seq * 1048576 + label;
    let id = this.seqIds.get(k);
    if (id === undefined) {
      id = this.seqs.length;
      this.seqs.push({ parent: seq, label });
      this.seqIds.set(k, id);
    }
    return id;
  }

  /** Each thread's results along the sequence. */
  results(seq: number, threads: number): string[][] {
    const out: string[][] = Array.from({ length: threads }, () => []);
    const path: number[] = [];
    for (let x = seq; x > 0; x = this.seqs[x].parent) path.push(this.seqs[x].label);
    for (let i = path.length - 1; i >= 0; i--) for (const p of this.labels[path[i]]) out[p.tid].push(...p.values);
    return out;
  }
}

export function explore(sc: Scenario, opts: ExploreOptions = {}): ExploreResult {
  const budget: Budget = { ...sc.budget, ...opts.budget };
  const scenario: Scenario = { ...sc, budget };
  const { model, glibc, memoryModel } = runParams(scenario, opts);
  const run: StateOptions = { model, glibc, memoryModel };
  const maxStates = opts.maxStates ?? 500_000;
  const init = initialState(scenario, run);
  const nodes: Node[] = [{ state: init, parent: -1, via: null, succ: [], rets: null }];
  const rets = new Returns();
  const table = new StateTable();
  const key: number[] = [];
  table.add(key, encodeState(init, key));
  let transitions = 0;
  let truncated = false;
  const violatingStates = zero();
  const firstByKind = new Map<ViolationKind, number>();

  for (let head = 0; head < nodes.length; head++) {
    const node = nodes[head];
    const s = node.state as FutexState;
    if (s.violations.length) {
      for (const k of new Set(s.violations.map((v) => v.kind))) {
        violatingStates[k] += 1;
        // keep the shortest witness, preferring memory that is really gone over merely destroyed
        const prev = firstByKind.get(k);
        if (prev === undefined || severity(s) > severity(nodes[prev].state as FutexState)) firstByKind.set(k, head);
      }
      continue; // a violation ends the schedule
    }
    if (nodes.length >= maxStates) {
      truncated = true;
      break;
    }
    for (const c of enabled(s)) {
      const next = stepQuiet(s, c);
      transitions++;
      const id = table.add(key, encodeState(next, key));
      const ret = rets.of(s, next);
      if (ret !== 0) (node.rets ??= node.succ.map(() => 0)).push(ret);
      else if (node.rets) node.rets.push(0);
      if (id === nodes.length) {
        next.last = null;
        nodes.push({ state: next, parent: head, via: c, succ: [], rets: null });
      }
      node.succ.push(id);
    }
    if (node.succ.length) node.state = null;
  }

  // Count schedules: paths to sinks. Iterative post-order DFS; gray nodes mark the current path.
  const paths = new Float64Array(nodes.length);
  const bad: Record<ViolationKind, Float64Array> = Object.fromEntries(
    VIOLATION_KINDS.map((k) => [k, new Float64Array(nodes.length)]),
  ) as Record<ViolationKind, Float64Array>;
  const color = new Uint8Array(nodes.length); // 0 white, 1 gray, 2 black
  const outcomes = new Map<string, number>();
  const finals: number[] = [];
  const order: number[] = []; // post-order; reversed below into a topological order
  let cycles = 0;
  const stack: [number, number][] = [[0, 0]];
  color[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [id, i] = top;
    const n = nodes[id];
    if (i < n.succ.length) {
      top[1]++;
      const sId = n.succ[i];
      if (color[sId] === 0) {
        color[sId] = 1;
        stack.push([sId, 0]);
      } else if (color[sId] === 1) cycles++;
      continue;
    }
    stack.pop();
    color[id] = 2;
    order.push(id);
    const st = n.state;
    if (st?.violations.length) {
      paths[id] = 1;
      bad[st.violations[0].kind][id] = 1;
    } else if (n.succ.length === 0) {
      paths[id] = 1;
      if (st) finals.push(id);
    } else {
      let p = 0;
      for (const sId of n.succ) {
        if (color[sId] !== 2) continue; // back edge: not a finite schedule
        p += paths[sId];
        for (const k of VIOLATION_KINDS) bad[k][id] += bad[k][sId];
      }
      paths[id] = p;
    }
  }
  // Schedules reaching each final outcome. States that differ only in what operations returned are one state
  // (the returns do not change what can happen next), so a final state is reached with different return values
  // along different schedules: a forward pass in topological order carries, per state, the number of
  // schedule prefixes reaching it for each sequence of returns (an id in `rets`' trie).
  order.reverse();
  const pos = new Int32Array(nodes.length);
  order.forEach((id, i) => (pos[id] = i));
  const prefixes: (Map<number, number> | undefined)[] = new Array(nodes.length);
  prefixes[0] = new Map([[0, 1]]);
  for (const id of order) {
    const from = prefixes[id];
    if (!from) continue;
    const n = nodes[id];
    for (let k = 0; k < n.succ.length; k++) {
      const sId = n.succ[k];
      if (pos[sId] <= pos[id]) continue; // back edge: not a finite schedule
      const label = n.rets ? n.rets[k] : 0;
      const to = (prefixes[sId] ??= new Map());
      for (const [seq, count] of from) {
        const next = label === 0 ? seq : rets.extend(seq, label);
        to.set(next, (to.get(next) ?? 0) + count);
      }
    }
    if (n.succ.length) prefixes[id] = undefined;
  }
  for (const id of finals) {
    const st = nodes[id].state as FutexState;
    for (const [seq, count] of prefixes[id] ?? []) {
      const o = outcomeOf(st, rets.results(seq, st.threads.length));
      outcomes.set(o, (outcomes.get(o) ?? 0) + count);
    }
  }

  const witnesses: Witness[] = [];
  for (const k of VIOLATION_KINDS) {
    const id = firstByKind.get(k);
    if (id === undefined) continue;
    const choices: string[] = [];
    for (let x = id; nodes[x].parent >= 0; x = nodes[x].parent) choices.push(choiceId(init, nodes[x].via as Choice));
    choices.reverse();
    const again = replay(scenario, choices, model, run);
    const v = (nodes[id].state as FutexState).violations.find((y) => y.kind === k) as Violation;
    witnesses.push({ kind: k, violation: v, choices, steps: again.steps });
  }
  const violatingSchedules = zero();
  for (const k of VIOLATION_KINDS) violatingSchedules[k] = bad[k][0];
  return {
    scenario: sc.id, model, glibc, memoryModel, budget, states: nodes.length, transitions, schedules: paths[0], violatingSchedules,
    violatingStates, witnesses,
    outcomes: [...outcomes].map(([outcome, schedules]) => ({ outcome, schedules })).sort((a, b) => b.schedules - a.schedules),
    cycles, truncated,
  };
}

export interface ReplayResult {
  states: FutexState[];
  steps: StepRecord[];
  choices: Choice[];
  /** the index of the first choice id that was not enabled, if any. */
  failedAt?: number;
  error?: string;
}

/** Replays a schedule of choice ids from the scenario's initial state (under `opts`' version and memory model). */
export function replay(sc: Scenario, ids: readonly string[], model?: ModelId, opts: StateOptions = {}): ReplayResult {
  let s = initialState(sc, { ...opts, model: model ?? opts.model ?? sc.model });
  const states = [s];
  const steps: StepRecord[] = [];
  const choices: Choice[] = [];
  for (let i = 0; i < ids.length; i++) {
    const options = enabled(s);
    const c = options.find((o) => choiceId(s, o) === ids[i]);
    if (!c) {
      return {
        states, steps, choices, failedAt: i,
        error: `step ${i + 1}: '${ids[i]}' is not enabled; enabled: ${options.map((o) => choiceId(s, o)).join(', ') || 'none'}`,
      };
    }
    s = step(s, c);
    states.push(s);
    choices.push(c);
    if (s.last) steps.push(s.last);
  }
  return { states, steps, choices };
}

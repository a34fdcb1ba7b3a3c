// The visualizer's pure parts: the trace the sequence diagram draws (memory access, futex call, publication,
// lifetime per step, read off the model's states), the pseudocode line of each step, story verdicts per
// model, and the autoplay player driven by a fake timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findScenario, MODEL_IDS, PSEUDOCODE, replay, scenarioOf, SCENARIOS, scenarioRunsUnder, type Scenario } from '../../../extension/domain/futex';
import { isFutexWebviewToHost, isSafeSvgExport } from '../../../extension/shared/futexProtocol';
import { Player, type Timer } from '../../../webview/futex/player';
import { programOf, sourceView } from '../../../webview/futex/source';
import { storyVerdict } from '../../../webview/futex/stories';
import { traceOf } from '../../../webview/futex/trace';

const seed = findScenario('seed') as Scenario & { stories: { title: string; model?: Scenario['model']; choices: string[] }[] };

test('trace of the glibc <= 2.20 use after free: accesses, publication, free, the UAF load of nwaiters', () => {
  const st = seed.stories.find((s) => s.title.startsWith('old'))!;
  const r = replay(seed, st.choices, 'glibc-old');
  const t = traceOf(r.states, r.choices);
  assert.deepEqual(t.map((x) => [x.thread, x.access?.kind ?? null, x.access?.word ?? null]), [
    ['B', 'load', 'value'], ['B', 'cas-ok', 'value'], ['A', 'load', 'value'], ['A', 'cas-ok', 'value'],
    ['A', null, null], ['A', null, null], ['B', 'load', 'nwaiters'],
  ]);
  assert.deepEqual(t.map((x) => x.published), [false, true, false, false, false, false, false]);
  assert.deepEqual(t.map((x) => x.lifetime), [null, null, null, null, 'destroy', 'free', null]);
  assert.equal(t[1].access?.before, '0');
  assert.equal(t[1].access?.after, '1');
  assert.equal(t[6].access?.uaf, true);
  assert.equal(t[6].violations[0]?.kind, 'use-after-free');
  // every step's line is in its listing
  for (const x of t) {
    assert.ok(programOf('glibc-old', x.op).lines.some((l) => l.id === x.line), `step ${x.i}: line ${x.line}`);
  }
  assert.equal(t[6].line, 'old.post.load_nwaiters');
});

test('trace of 6a (glibc-new-64): futex_wait enqueues A, futex_wake(1) wakes it; the wake touches no memory', () => {
  const st = seed.stories[0];
  const r = replay(seed, st.choices, 'glibc-new-64');
  const t = traceOf(r.states, r.choices);
  const futex = t.filter((x) => x.futex).map((x) => [x.i, x.thread, x.futex!.op, x.futex!.result, x.futex!.woken.join(',')]);
  assert.deepEqual(futex, [[3, 'A', 'wait', 'sleeps', ''], [7, 'B', 'wake', '1', 'A']]);
  assert.equal(t[6].access, null);
  assert.deepEqual([t[4].access?.word, t[4].access?.before], ['data', '(1,0)'], 'B loads data after private');
  assert.deepEqual([t[3].access?.word, t[3].access?.kind], ['private', 'load'], 'B reads private first');
});

test('every story step of every scenario maps to a line of its listing, under every model it replays under', () => {
  let checked = 0;
  for (const sc of SCENARIOS) {
    for (const st of sc.stories ?? []) {
      for (const m of MODEL_IDS) {
        if (!scenarioRunsUnder(sc, m)) continue;
        const r = replay(sc, st.choices, m);
        for (const x of traceOf(r.states, r.choices)) {
          assert.ok(programOf(m, x.op).lines.some((l) => l.id === x.line), `${sc.id} ${st.title} ${m} step ${x.i} (${x.name} @ ${x.pc}): no line ${x.line}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 200, `${checked} steps`);
});

test('story verdicts are computed for the selected model', () => {
  const [a, b] = seed.stories;
  assert.deepEqual([storyVerdict(seed, a, 'glibc-new-64').kind, storyVerdict(seed, a, 'glibc-old').kind], ['none', 'no-replay']);
  const v = storyVerdict(seed, b, 'glibc-old');
  assert.equal(v.kind, 'use-after-free');
  assert.equal(v.writtenFor, 'glibc-new-64');
  assert.match(v.text, /^use-after-free at step \d+$/);
});

class FakeTimer implements Timer {
  now = 0;
  private q: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.q.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.q = this.q.filter((x) => x.id !== h);
  }
  runFor(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.q.sort((x, y) => x.at - y.at);
      const t = this.q[0];
      if (!t || t.at > end) break;
      this.q.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
  get pending(): number {
    return this.q.length;
  }
}

test('player: one step per tick, speed change applies at once, stops at the end and on pause', () => {
  const timer = new FakeTimer();
  let cursor = 0;
  const last = 5;
  const changes: boolean[] = [];
  const p = new Player(timer, { advance: () => (cursor < last ? ++cursor < last : false), changed: (x) => changes.push(x) }, '1');
  p.play();
  timer.runFor(999);
  assert.equal(cursor, 0);
  timer.runFor(1);
  assert.equal(cursor, 1);
  p.setSpeed('4');
  timer.runFor(250);
  assert.equal(cursor, 2, 'the new speed replaces the tick already scheduled');
  p.pause();
  timer.runFor(10_000);
  assert.equal(cursor, 2);
  assert.equal(timer.pending, 0);
  p.play();
  timer.runFor(250 * 3);
  assert.equal(cursor, 5);
  assert.equal(p.playing, false, 'stopped at the end');
  assert.equal(timer.pending, 0);
  assert.deepEqual(changes, [true, false, true, false]);
});

test('saveSvg: the guard takes a plain file name and a script-free SVG only', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect fill="rgb(0, 0, 0)"/></svg>';
  assert.equal(isFutexWebviewToHost({ type: 'saveSvg', name: 'futex-seed.svg', svg }), true);
  for (const [name, body] of [
    ['../x.svg', svg], ['/etc/x.svg', svg], ['x.html', svg], ['-x.svg', svg], ['x.svg', '<html></html>'], ['x.svg', 42],
    ['x.svg', '<svg><script>alert(1)</script></svg>'], ['x.svg', '<svg><g onclick="alert(1)"/></svg>'],
    ['x.svg', '<svg><a href="javascript:alert(1)"/></svg>'], ['x.svg', '<svg><foreignObject/></svg>'],
    ['x.svg', `<svg>${'x'.repeat(9 * 1024 * 1024)}</svg>`],
  ] as [string, unknown][]) {
    assert.equal(isSafeSvgExport(name, body), false, `${name} ${String(body).slice(0, 40)}`);
  }
  assert.equal(isFutexWebviewToHost({ type: 'saveSvg', name: 'x.svg', svg, extra: 1 }), false);
});

test('the source pane shows the domain\'s programs (PSEUDOCODE), the line the step recorded, where the others continue', () => {
  const st = seed.stories.find((s) => s.title.startsWith('old'))!;
  const r = replay(seed, st.choices, 'glibc-old');
  const t = traceOf(r.states, r.choices);
  const ops = (tid: number, k: number) => scenarioOf(r.states[0]).threads[tid]?.ops[k]?.op ?? null;
  // before the first step: the first thread that can run (A) and its sem_wait; no line ran yet
  const v0 = sourceView('glibc-old', undefined, r.states[0].threads, ops);
  assert.equal(v0.program, PSEUDOCODE['old.wait'], 'the domain\'s object, not a copy');
  assert.equal(v0.current, null);
  assert.deepEqual([...v0.next], [['old.wait.start', ['A']]]);
  // step 2: B's publishing cmpxchg; A, about to start its sem_wait, runs another program and is not marked here
  const v2 = sourceView('glibc-old', t[1], r.states[2].threads, ops);
  assert.equal(v2.program, PSEUDOCODE['old.post']);
  assert.equal(v2.current, 'old.post.cas');
  assert.deepEqual([...v2.next], [['old.post.load_nwaiters', ['B']]]);
  // step 5: A's sem_destroy runs the lifetime program
  const v5 = sourceView('glibc-old', t[4], r.states[5].threads, ops);
  assert.equal(v5.program, PSEUDOCODE.life);
  assert.equal(v5.current, 'life.sem_destroy');
  assert.deepEqual([...v5.next], [['life.free', ['A']]]);
  // step 7, the use after free
  const v7 = sourceView('glibc-old', t[6], r.states[7].threads, ops);
  assert.equal(v7.current, 'old.post.load_nwaiters');
  assert.ok(v7.program.lines.some((l) => l.id === v7.current));
});

test('the source pane under x86-TSO: a litmus test\'s plain mov and a store buffer\'s flush run no semaphore code', () => {
  const sb = findScenario('sb') as Scenario;
  const r = replay(sb, ['T1', 'flush(T1)'], 'glibc-new-32', { memoryModel: 'x86-tso' });
  assert.equal(r.error, undefined);
  const t = traceOf(r.states, r.choices);
  const ops = (tid: number, k: number) => sb.threads[tid]?.ops[k]?.op ?? null;
  assert.equal(sourceView('glibc-new-32', t[0], r.states[1].threads, ops).heading, 'Step 1: T1 in raw_store: a plain x86 mov of a litmus test, no semaphore code');
  assert.equal(t[0].access?.buffered, true, 'the store went into T1\'s buffer');
  assert.deepEqual([t[1].event, t[1].flushed], ['flush', [{ thread: 'T1', word: 'value', value: 't0·b1' }]]);
  assert.equal(sourceView('glibc-new-32', t[1], r.states[2].threads, ops).heading, 'Step 2: T1\'s store buffer writes to memory (no code runs; x86-TSO)');
});

// glibc versions as a model parameter: entry testcancel (2.25+), the async-cancel window after any futex
// return (<= 2.40), 2.21's 32-bit overflow check (BZ#18434), which model runs under which version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SEM_VALUE_MAX, explore, findScenario, glibcRange, initialState, parseLibcVersionOutput, replay, scenarioFromLive,
  type Scenario,
} from '../../../extension/domain/futex';

test('glibcRange: releases and range names map to the range whose semaphore code they run', () => {
  const cases: [string, string | null][] = [
    ['2.36', '2.25-2.40'], ['2.24', '2.22-2.24'], ['2.21', '2.21'], ['2.22', '2.22-2.24'], ['2.25', '2.25-2.40'],
    ['2.40', '2.25-2.40'], ['2.41', '2.41+'], ['2.42.9000', '2.41+'], ['glibc 2.31', '2.25-2.40'], ['2.19', '2.20'],
    ['2.20', '2.20'], ['2.25-2.40', '2.25-2.40'], ['2.41+', '2.41+'], ['1.09', null], ['musl', null], ['', null],
    ['2.36; rm -rf /', null],
  ];
  for (const [text, want] of cases) assert.equal(glibcRange(text), want, text);
  assert.equal(parseLibcVersionOutput('ldd (Debian GLIBC 2.36-9+deb12u7) 2.36\nCopyright (C) 2022\n'), '2.36');
  assert.equal(parseLibcVersionOutput('glibc 2.31\n'), '2.31');
  assert.equal(parseLibcVersionOutput('musl libc (x86_64)\nVersion 1.2.4\n'), null);
});

test('versions fit their algorithm: glibc-old is 2.20 only, glibc-new-* 2.21 and later, pg-futex none', () => {
  const seed = findScenario('seed')!;
  assert.throws(() => initialState(seed, { model: 'glibc-old', glibc: '2.41+' }), /glibc <= 2\.20/);
  assert.throws(() => initialState(seed, { model: 'glibc-new-64', glibc: '2.20' }), /glibc >= 2\.21/);
  assert.throws(() => initialState(seed, { model: 'pg-futex', glibc: '2.36' as never }), /no glibc version/);
  assert.equal(initialState(seed, { model: 'glibc-old' }).glibc, '2.20');
  assert.equal(initialState(seed, { model: 'glibc-new-32' }).glibc, '2.41+');
  assert.equal(initialState(seed, { model: 'pg-futex' }).glibc, null);
  // glibc-old with asynchronous cancellation off matches no real glibc: asyncCancel no longer changes it
  assert.equal(initialState({ ...seed, asyncCancel: false }, { model: 'glibc-old' }).glibc, '2.20');
  const r = explore(seed, { model: 'glibc-new-64', glibc: '2.22-2.24' });
  assert.deepEqual([r.glibc, r.memoryModel], ['2.22-2.24', 'sc']);
});

test('d3: a cancel pending at entry acts before any access from glibc 2.25 on; 2.21-2.24 take the token and return 0', () => {
  const d3 = findScenario('d3')!;
  const outcomes = (glibc: '2.22-2.24' | '2.21' | '2.25-2.40' | '2.41+') =>
    explore(d3, { model: 'glibc-new-64', glibc }).outcomes.map((o) => o.outcome).sort();
  for (const g of ['2.25-2.40', '2.41+'] as const) {
    assert.ok(outcomes(g).some((o) => /W=PTHREAD_CANCELED/.test(o)), g);
    const r = replay(d3, ['cancel(W)', 'W'], 'glibc-new-64', { glibc: g });
    assert.equal(r.steps[1].name, 'cancel_unwind', g);
    assert.equal(r.steps[1].access, undefined, `${g}: no access before the cancel acts`);
  }
  for (const g of ['2.21', '2.22-2.24'] as const) {
    // no __pthread_testcancel at entry (BZ#18243) and W never reaches the futex call: the cancel never acts
    assert.deepEqual(outcomes(g).filter((o) => /CANCELED/.test(o)), [], g);
    const r = replay(d3, ['cancel(W)', 'W', 'W'], 'glibc-new-64', { glibc: g });
    assert.deepEqual(r.steps.slice(1).map((x) => x.name), ['load', 'cas_ok'], g);
    assert.equal(r.states[3].threads[0].results[0], '0');
    assert.equal(r.states[3].threads[0].pendingCancel, true, `${g}: the cancel stays pending`);
  }
  // glibc-old (2.20) has no entry test either
  const old = replay(d3, ['cancel(W)', 'W'], 'glibc-old');
  assert.equal(old.steps[1].name, 'load');
});

/** W waits (cancellable), P posts once; value 0. */
const eagain: Scenario = {
  id: 'eagain-cancel', title: 't', description: '', model: 'glibc-new-64', initial: { value: 0, pshared: false },
  threads: [{ name: 'W', ops: [{ op: 'sem_wait' }], cancel: true }, { name: 'P', ops: [{ op: 'sem_post' }] }],
  budget: { spurious: 0, weakCas: 0, signals: 0 },
};

test('glibc <= 2.40: a cancel can act right after futex_wait returned EAGAIN; 2.41+ keeps it pending', () => {
  // W registers (32-bit: and sets the waiter bit); P publishes its token and its wake finds nobody asleep;
  // W's futex_wait finds the word changed: EAGAIN; then the cancel
  const schedules = {
    'glibc-new-64': ['W', 'W', 'P', 'P', 'P', 'P', 'W', 'cancel(W)'],
    'glibc-new-32': ['W', 'W', 'W', 'W', 'P', 'P', 'P', 'P', 'W', 'cancel(W)'],
  };
  for (const model of ['glibc-new-64', 'glibc-new-32'] as const) {
    const ids = schedules[model];
    const n = ids.length;
    const before = replay(eagain, ids, model, { glibc: '2.25-2.40' });
    assert.equal(before.error, undefined, before.error);
    const fw = before.steps[n - 2];
    assert.equal(fw.name, 'futex_wait', model);
    assert.deepEqual(fw.futex?.result, { ret: -1, errno: 'EAGAIN' }, model);
    assert.match(before.steps[n - 1].detail, /async-cancel window/, model);
    assert.equal(before.states[n].threads[0].pc, 'cancel_unwind', model);
    const after = replay(eagain, ids, model, { glibc: '2.41+' });
    assert.equal(after.error, undefined, after.error);
    assert.match(after.steps[n - 1].detail, /pending until its next cancellation point/, model);
    assert.notEqual(after.states[n].threads[0].pc, 'cancel_unwind', model);
  }
  // and after EINTR: the cancel unwinds instead of sem_wait returning -1 EINTR
  const sig: Scenario = { ...eagain, budget: { spurious: 0, weakCas: 0, signals: 1 } };
  const r = replay(sig, ['W', 'W', 'W', 'signal(W)', 'cancel(W)', 'W'], 'glibc-new-64', { glibc: '2.25-2.40' });
  assert.equal(r.error, undefined, r.error);
  assert.match(r.steps[4].detail, /already returned \(EINTR\)/);
  assert.equal(r.steps[5].name, 'cancel_unwind');
  assert.equal(r.states[6].threads[0].results[0], 'PTHREAD_CANCELED');
  const r41 = replay(sig, ['W', 'W', 'W', 'signal(W)', 'cancel(W)', 'W'], 'glibc-new-64', { glibc: '2.41+' });
  assert.equal(r41.states[6].threads[0].results[0], '-1 EINTR');
});

test('EOVERFLOW at SEM_VALUE_MAX: every version returns it, except 2.21\'s 32-bit post, which wraps the count to 0', () => {
  const sc = findScenario('overflow')!;
  assert.equal(sc.initial.value, SEM_VALUE_MAX - 1);
  const posts = ['P', 'P', 'P', 'P', 'P', 'P'];
  for (const [model, glibc] of [['glibc-new-64', '2.21'], ['glibc-new-64', '2.41+'], ['glibc-new-32', '2.22-2.24'],
    ['glibc-new-32', '2.41+'], ['glibc-old', '2.20']] as const) {
    const r = replay(sc, model === 'glibc-old' ? posts.slice(0, 5) : posts, model, { glibc });
    assert.equal(r.error, undefined, `${model} ${glibc}: ${r.error}`);
    const end = r.states[r.states.length - 1];
    assert.deepEqual(end.threads[0].results, ['0', '-1 EOVERFLOW'], `${model} ${glibc}`);
    assert.deepEqual(end.violations, [], `${model} ${glibc}`);
    const x = explore(sc, { model, glibc });
    assert.equal(Object.values(x.violatingSchedules).reduce((a, b) => a + b, 0), 0, `${model} ${glibc}`);
    assert.ok(x.outcomes.every((o) => /sval=214748364[67]/.test(o.outcome)), `${model} ${glibc}: ${x.outcomes[0].outcome}`);
  }
  const bug = replay(sc, posts, 'glibc-new-32', { glibc: '2.21' });
  const end = bug.states[bug.states.length - 1];
  assert.deepEqual(end.threads[0].results, ['0', '0'], 'the second post returns 0, not EOVERFLOW');
  assert.equal(end.mem.value >>> 1, 0, 'tokens wrapped to 0');
  assert.equal(end.violations[0]?.kind, 'assertion');
  assert.match(bug.steps[bug.steps.length - 1].note ?? '', /wrapped.*BZ#18434/);
  assert.ok(explore(sc, { model: 'glibc-new-32', glibc: '2.21' }).violatingSchedules.assertion > 0);
});

test('live semaphore: the machine\'s glibc release picks the version; the layout still decides the algorithm', () => {
  assert.equal(scenarioFromLive({ name: '/q', value: 1, nwaiters: 0, layout: 'glibc-new-64', glibc: '2.36' }).glibc, '2.25-2.40');
  assert.equal(scenarioFromLive({ name: '/q', value: 1, nwaiters: 0, layout: 'glibc-new-64', glibc: '2.41' }).glibc, '2.41+');
  assert.equal(scenarioFromLive({ name: '/q', value: 1, nwaiters: 0, layout: 'glibc-new-64' }).glibc, undefined);
  // an old-layout file is glibc-old (2.20) whatever the machine says; a release that makes no sense is ignored
  const old = scenarioFromLive({ name: '/q', value: 1, nwaiters: 0, layout: 'glibc-old-64', glibc: '2.36' });
  assert.deepEqual([old.model, old.glibc], ['glibc-old', undefined]);
  assert.equal(scenarioFromLive({ name: '/q', value: 1, nwaiters: 0, glibc: 'junk' }).glibc, undefined);
  // a value up to SEM_VALUE_MAX is kept (not capped at 1000)
  assert.equal(scenarioFromLive({ name: '/q', value: SEM_VALUE_MAX, nwaiters: 0 }).initial.value, SEM_VALUE_MAX);
  const s = initialState(scenarioFromLive({ name: '/q', value: 0, nwaiters: 1, layout: 'glibc-new-32', glibc: '2.21' }));
  assert.deepEqual([s.model, s.glibc], ['glibc-new-32', '2.21']);
});

test('the machine\'s glibc: Node\'s report (gnu_get_libc_version) agrees with getconf GNU_LIBC_VERSION and ldd', async () => {
  const { execFileSync } = await import('node:child_process');
  const { localGlibcVersion, REMOTE_GLIBC_PROBE } = await import('../../../extension/backend/libcVersion');
  const v = localGlibcVersion();
  assert.ok(v, 'this machine runs glibc');
  assert.equal(parseLibcVersionOutput(execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' })), v);
  assert.equal(parseLibcVersionOutput(execFileSync('ldd', ['--version'], { encoding: 'utf8' })), v);
  assert.equal(parseLibcVersionOutput(execFileSync('sh', ['-c', REMOTE_GLIBC_PROBE], { encoding: 'utf8' })), v);
  assert.ok(glibcRange(v!), `${v} has a range`);
});

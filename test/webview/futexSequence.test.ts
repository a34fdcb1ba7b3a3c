/**
 * The futex visualizer's sequence diagram, source pane, autoplay and readability fixes, in real headless
 * Chromium (the page from the extension's HTML builder, the harness standing in for VS Code's host: see
 * harness.ts). Time is Playwright's fake clock installed in the page before it loads and paused: autoplay
 * advances only when the test runs the clock forward (`clock.runFor`), never by sleeping. Screenshots of each theme
 * in test-artifacts/webview/futex-sequence-*.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { explore, findScenario, PSEUDOCODE, type Scenario } from '../../extension/domain/futex';
import { isFutexWebviewToHost } from '../../extension/shared/futexProtocol';
import { chromiumPath, needs } from '../helpers/capabilities';
import { artifactPath, CHROMIUM_ARGS, ensureBundle, initScript, pollPage, ROOT, serveApp, vscodeTheme, type Served, type Theme } from './harness';

const browserCap = needs('chromium');

let browser: Browser;
let served: Served;

before(async () => {
  if (!browserCap.ready()) return;
  ensureBundle();
  served = await serveApp('futex', 'Futex Semaphores', ['futex.css']);
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await served?.close();
});

interface Opened {
  p: Page;
  errors: string[];
  close(): Promise<void>;
}

/** A fresh context (its own fake clock and session state) with the page in a theme. */
async function open(theme: Theme, viewport = { width: 1400, height: 1000 }): Promise<Opened> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  const p = await context.newPage();
  const errors: string[] = [];
  p.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  const t0 = Date.UTC(2026, 10, 24, 12, 0, 0);
  await p.clock.install({ time: t0 });
  await p.addInitScript({ content: initScript(vscodeTheme(theme)) });
  await p.goto(served.url);
  await pollPage(p, '(window.__posted || []).some((m) => m.type === "ready")');
  // an installed clock still ticks with real time: stop it, so only runFor moves it from here on
  await p.clock.pauseAt(t0 + 60_000);
  return { p, errors, close: () => context.close() };
}

const num = async (p: Page, expr: string): Promise<number> => Number(await p.evaluate(expr));
const cursor = (p: Page): Promise<number> => num(p, 'document.body.dataset.cursor');

/** Runs the explorer for every model (its work is scheduled with a timer: the fake clock runs it). */
async function exploreAll(p: Page): Promise<void> {
  await p.click('#explore-all');
  await p.clock.runFor(20);
  await pollPage(p, 'document.querySelectorAll("#ex-out table.results tbody tr").length > 0');
}

async function noErrors(o: Opened): Promise<void> {
  assert.deepEqual(o.errors, [], 'no console errors');
  assert.deepEqual(await o.p.evaluate('window.__csp'), [], 'no CSP violations');
}

describe('futex visualizer: sequence diagram, source, autoplay', () => {
  test('every explorer witness is drawn with one lane per thread, a kernel lane and one mark per step; a click on a mark moves the stepper', browserCap, async () => {
    const o = await open('dark');
    const { p } = o;
    // every built-in scenario with a violating schedule, and the seed with a signal (the program's misuse)
    const seedDef = findScenario('seed') as Scenario;
    const withSignal: Scenario = {
      id: 'seed-signal', title: seedDef.title, description: seedDef.description, model: seedDef.model, initial: seedDef.initial,
      threads: seedDef.threads, budget: { spurious: 1, weakCas: 0, signals: 1 },
    };
    const misuseSeen = new Set<string>();
    for (const id of ['seed', 'seed-checked', 'seed-munmap', 'seed-reuse', 'fork-private', 'b2', 'd4', 'seed-signal']) {
      const sc = id === 'seed-signal' ? withSignal : findScenario(id) as Scenario;
      if (id === 'seed-signal') {
        await p.evaluate(`window.postMessage(${JSON.stringify({ type: 'open', scenario: withSignal })}, '*')`);
        await pollPage(p, 'document.querySelector("#description").textContent.startsWith("Destroy after wait")');
        assert.equal(await p.inputValue('#scenario'), '__custom');
      } else await p.selectOption('#scenario', id);
      await exploreAll(p);
      // the results table counts every kind apart, the program's misuse included
      assert.deepEqual(await p.$$eval('#ex-out table.results th', (l) => l.map((x) => x.textContent)),
        ['model', 'glibc, memory', 'states', 'schedules', 'use-after-free', 'misuse', 'lost-wakeup', 'deadlock', 'assertion']);
      const keys = (await p.$$eval('#ex-out button.replay', (bs) => bs.map((b) => b.getAttribute('data-witness')))) as string[];
      assert.ok(keys.length > 0, `${id}: the explorer finds witnesses`);
      for (const k of keys) if (k.endsWith('|misuse')) misuseSeen.add(k);
      for (const key of keys) {
        const [model, kind] = key.split('|');
        const w = explore(sc, { model: model as Scenario['model'], maxStates: 300_000 }).witnesses.find((x) => x.kind === kind)!;
        await p.click(`#ex-out button.replay[data-witness="${key}"]`);
        assert.equal(await cursor(p), 0, `${key}: a replayed witness starts at step 0`);
        await p.click('#play'); // pause the replay's autoplay
        assert.equal(await p.getAttribute('#play', 'aria-pressed'), 'false');
        assert.equal(await p.$$eval('svg.seq g.seq-lane.thread', (l) => l.length), sc.threads.length, `${key}: lanes`);
        assert.deepEqual(await p.$$eval('svg.seq g.seq-lane.thread', (l) => l.map((x) => x.getAttribute('data-thread'))), sc.threads.map((t) => t.name));
        assert.equal(await p.$$eval('svg.seq g.seq-lane.kernel', (l) => l.length), 1, `${key}: the kernel's queue lane`);
        assert.equal(await p.$$eval('svg.seq g.mark', (l) => l.length), w.choices.length, `${key}: one mark per step`);
        // the violation is marked at the step where it happens, on the lane of the thread that ran that step
        // (an event's target); a thread left asleep for good is named on its own lane too
        const last = w.steps.at(-1)!;
        const actor = last.actor === 'env' ? /\((\w+)\)$/.exec(w.choices.at(-1)!)![1] : last.actor;
        const v = await p.$$eval('svg.seq g.mark.violation', (l) => l.map((x) => [x.getAttribute('data-step'), x.getAttribute('data-thread')]));
        assert.deepEqual(v, [[String(w.choices.length), actor]], `${key}: the violation's mark`);
        if ((kind === 'lost-wakeup' || kind === 'deadlock') && w.violation.thread !== actor) {
          assert.deepEqual(await p.$$eval('svg.seq text.stuck', (l) => l.map((x) => x.getAttribute('data-thread'))), [w.violation.thread], `${key}: the sleeper's lane`);
        }
      }
    }
    assert.ok(misuseSeen.size > 0, 'a misuse witness was drawn');
    // the glibc <= 2.20 use-after-free in detail
    await p.selectOption('#scenario', 'seed');
    await exploreAll(p);
    await p.click('#ex-out button.replay[data-witness="glibc-old|use-after-free"]');
    await p.click('#play');
    assert.match((await p.textContent('#seq-facts')) ?? '', /^Run: glibc-old: glibc (≤ )?2\.20; sequentially consistent memory/, 'which code and memory model');
    assert.equal(await p.textContent('svg.seq g.mark.published text.pub'), 'token +1');
    assert.equal(await p.getAttribute('svg.seq g.mark.published', 'data-thread'), 'B', 'B publishes the token');
    assert.equal(await p.$$eval('svg.seq line.life-free', (l) => l.length), 1, 'the free line');
    assert.equal(await p.$$eval('svg.seq line.life-destroy', (l) => l.length), 1, 'the destroy line');
    // click on A's fast-path CAS: the stepper, history and source follow
    await p.click('svg.seq g.mark[data-step="4"]');
    assert.equal(await cursor(p), 4);
    assert.match((await p.textContent('#steps li.current')) ?? '', /^4\. A cas_ok/);
    assert.equal(await p.getAttribute('svg.seq g.mark.current', 'data-step'), '4');
    assert.equal(await p.$$eval('svg.seq g.mark.future', (l) => l.length), 3, 'steps 5..7 are after the cursor');
    assert.deepEqual(await p.$$eval('#mem-bits g.field.touched text.fname', (l) => l.map((x) => x.textContent)), ['value @0']);
    assert.equal(await p.getAttribute('#source ol.src li.current', 'data-line'), 'old.wait.fast_cas');
    assert.match((await p.textContent('#source .src-title')) ?? '', /^sem_wait \/ sem_timedwait \/ sem_trywait \(glibc <= 2\.20\)$/);
    // the use after free: B's load of nwaiters, highlighted in the source and in the bit fields
    await p.click('svg.seq text.stepno[data-step="7"]');
    assert.equal(await cursor(p), 7);
    assert.equal(await p.getAttribute('#source ol.src li.current', 'data-line'), 'old.post.load_nwaiters');
    assert.match((await p.textContent('#source .src-title')) ?? '', /^sem_post \(glibc <= 2\.20, x86_64 sem_post\.S\)$/);
    // the pane shows the domain's program itself (the one listing the step records name), line for line
    assert.deepEqual(await p.$$eval('#source ol.src li', (l) => l.map((x) => [x.getAttribute('data-line'), x.querySelector('code')?.textContent?.trim()])),
      PSEUDOCODE['old.post'].lines.map((l) => [l.id ?? null, l.text]));
    assert.deepEqual(await p.$$eval('#mem-bits g.field.touched text.fname', (l) => l.map((x) => x.textContent)), ['nwaiters @8']);
    assert.match((await p.textContent('#mem-touched')) ?? '', /Step 7: B loads nwaiters = 0 \(use after free\)/);
    // the marks are one tab stop; arrows move the cursor
    await p.focus('svg.seq g.mark[data-step="7"]');
    await p.keyboard.press('ArrowLeft');
    assert.equal(await cursor(p), 6);
    assert.equal(await p.evaluate('document.activeElement.getAttribute("data-step")'), '6');
    await noErrors(o);
    await o.close();
  });

  test('Play advances one step per tick of the clock until the end; Pause stops it; the speed changes the tick; Step is one step', browserCap, async () => {
    const o = await open('light');
    const { p } = o;
    await p.selectOption('#scenario', 'seed');
    await p.selectOption('#model', 'glibc-new-64');
    await p.selectOption('#story', { index: 0 });
    await p.click('#play-story');
    assert.equal(await cursor(p), 0, 'the story starts at step 0');
    assert.equal(await p.getAttribute('#play', 'aria-pressed'), 'true', 'and plays');
    assert.equal(await p.textContent('#pos'), 'step 0 of 11');
    await p.clock.runFor(999);
    assert.equal(await cursor(p), 0, 'not before the tick (1 step/s)');
    await p.clock.runFor(1);
    assert.equal(await cursor(p), 1);
    await p.clock.runFor(1000);
    assert.equal(await cursor(p), 2);
    await p.selectOption('#speed', '4');
    await p.clock.runFor(250);
    assert.equal(await cursor(p), 3, '4 steps/s: one step per 250 ms');
    await p.click('#play');
    assert.equal(await p.getAttribute('#play', 'aria-pressed'), 'false');
    await p.clock.runFor(5000);
    assert.equal(await cursor(p), 3, 'paused: the clock moves, the cursor does not');
    await p.click('#forward');
    assert.equal(await cursor(p), 4, 'Step: one step');
    await p.click('#play');
    await p.clock.runFor(250 * 6);
    assert.equal(await cursor(p), 10);
    await p.clock.runFor(250);
    assert.equal(await cursor(p), 11, 'the last step');
    assert.equal(await p.getAttribute('#play', 'aria-pressed'), 'false', 'stops at the end');
    await p.clock.runFor(2000);
    assert.equal(await cursor(p), 11);
    // Play at the end plays again from step 0
    await p.click('#play');
    assert.equal(await cursor(p), 0);
    await p.clock.runFor(250);
    assert.equal(await cursor(p), 1);
    // a person's jump pauses
    await p.click('svg.seq g.mark[data-step="5"]');
    assert.equal(await p.getAttribute('#play', 'aria-pressed'), 'false');
    await p.clock.runFor(1000);
    assert.equal(await cursor(p), 5);
    // 6a's futex calls: A's futex_wait enqueues it (a sleep bar in the kernel lane), B's futex_wake wakes A
    assert.deepEqual(await p.$$eval('svg.seq g.mark.k-futex', (l) => l.map((x) => [x.getAttribute('data-step'), x.getAttribute('data-thread')])), [['3', 'A'], ['7', 'B']]);
    assert.equal(await p.textContent('svg.seq g.mark[data-step="7"] text.l1'), 'wake(1)');
    assert.equal(await p.$$eval('svg.seq .arrow.wake.woken', (l) => l.length), 1, 'an arrow from the kernel to A');
    assert.equal(await p.textContent('svg.seq text.sleep-label'), 'A');
    await p.click('svg.seq g.mark[data-step="7"]');
    assert.equal(await p.getAttribute('#source ol.src li.current', 'data-line'), 'new64.post.futex_wake');
    assert.equal(await p.$$eval('#mem-bits g.field.touched', (l) => l.length), 0, 'futex_wake touches no user-space memory');
    assert.match((await p.textContent('#mem-touched')) ?? '', /no user-space access/);
    await p.locator('section.sequence').screenshot({ path: artifactPath('futex-sequence-6a-light.png') });
    await noErrors(o);
    await o.close();
  });

  test('story names carry the verdict computed for the selected model; a story keeps the model or says why it switches', browserCap, async () => {
    const o = await open('light');
    const { p } = o;
    await p.selectOption('#scenario', 'seed');
    const options = (): Promise<string[]> => p.$$eval('#story option', (l) => l.map((x) => x.textContent ?? ''));
    await p.selectOption('#model', 'glibc-old');
    const oldOpts = await options();
    let opts = oldOpts;
    assert.equal(opts.length, 3);
    for (const t of opts) assert.doesNotMatch(t, /\bsafe\b|benign/, `no claim the model does not back: ${t}`);
    assert.match(opts[0], /^6a: B wakes A — glibc-old: does not replay under glibc-old \(written for glibc-new-64\)$/);
    assert.match(opts[1], /^6b: .* — glibc-old: use-after-free at step \d+ \(written for glibc-new-64\)$/);
    assert.match(opts[2], /^old: .* — glibc-old: use-after-free at step 7$/);
    await p.selectOption('#model', 'glibc-new-64');
    opts = await options();
    assert.match(opts[0], /— glibc-new-64: no violation$/);
    assert.match(opts[1], /— glibc-new-64: no violation$/);
    // 6b replays under glibc-old: the model is kept, the steps end in the use after free
    await p.selectOption('#model', 'glibc-old');
    await p.selectOption('#story', { index: 1 });
    await p.click('#play-story');
    assert.equal(await p.inputValue('#model'), 'glibc-old', 'the selected model is kept');
    assert.equal(await p.textContent('#notice'), '');
    // played to its end: A slept (kernel lane), woke spuriously, took B's token and freed the semaphore while
    // B's post, which published that token, still reads private from it
    const steps = Number(/use-after-free at step (\d+)/.exec(oldOpts[1])![1]);
    await p.clock.runFor(1000 * steps);
    assert.equal(await cursor(p), steps);
    assert.equal(await p.getAttribute('#play', 'aria-pressed'), 'false');
    assert.deepEqual(await p.$$eval('svg.seq g.mark.violation', (l) => l.map((x) => [x.getAttribute('data-step'), x.getAttribute('data-thread')])), [[String(steps), 'B']]);
    assert.equal(await p.textContent('svg.seq text.sleep-label'), 'A');
    assert.equal(await p.$$eval('svg.seq g.mark.k-event', (l) => l.map((x) => x.getAttribute('data-thread')).join()), 'A', 'the spurious wake-up');
    assert.equal(await p.getAttribute('svg.seq g.mark.published', 'data-thread'), 'B');
    assert.equal(await p.getAttribute('#source ol.src li.current', 'data-line'), 'old.post.load_private');
    await p.locator('section.sequence').screenshot({ path: artifactPath('futex-sequence-6b-glibc-old-light.png') });
    // the documentation's picture of the diagram (docs/futex.md) is this one: IPCX_DOC_IMAGES=1 writes it there
    if (process.env.IPCX_DOC_IMAGES === '1') fs.copyFileSync(artifactPath('futex-sequence-6b-glibc-old-light.png'), path.join(ROOT, 'docs', 'images', 'futex-sequence.png'));
    // 6a does not replay under glibc-old: it runs under its own model and the page says so
    await p.selectOption('#story', { index: 0 });
    await p.click('#play-story');
    assert.equal(await p.inputValue('#model'), 'glibc-new-64');
    assert.equal(await p.textContent('#notice'),
      'Model switched from glibc-old to glibc-new-64: the story "6a: B wakes A" is written for glibc-new-64 and its steps do not replay under glibc-old.');
    assert.ok(await p.isVisible('#notice'));
    // choosing a model by hand clears it
    await p.selectOption('#model', 'glibc-new-32');
    assert.equal(await p.textContent('#notice'), '');
    // a scenario opens under the model it is written for, and says so when that changes the model
    await p.selectOption('#scenario', 'b3');
    assert.equal(await p.inputValue('#model'), 'glibc-new-32');
    assert.equal(await p.textContent('#notice'), '', 'b3 is written for the model already selected');
    await p.selectOption('#scenario', 'seed-munmap');
    assert.equal(await p.inputValue('#model'), 'glibc-old');
    assert.equal(await p.textContent('#notice'),
      'Model set to glibc-old: scenario seed-munmap is written for it (choose another model above to run it under that one).');
    await noErrors(o);
    await o.close();
  });

  test('encodings that differ between models are explained where they are shown (private: 128 vs 0)', browserCap, async () => {
    const o = await open('dark');
    const { p } = o;
    await p.selectOption('#scenario', 'seed');
    await p.selectOption('#model', 'glibc-old');
    assert.match((await p.textContent('#mem-bits')) ?? '', /private = 128/);
    assert.match((await p.textContent('#mem-notes')) ?? '', /private = 128: glibc ≤ 2\.20 stores pshared \? 0 : 128 .* 128 means process-private here\. glibc 2\.21 flipped the encoding/);
    await p.selectOption('#model', 'glibc-new-64');
    assert.match((await p.textContent('#mem-bits')) ?? '', /private = 0/);
    assert.match((await p.textContent('#mem-notes')) ?? '', /private = 0: glibc ≥ 2\.21 stores 0 for a process-private semaphore/);
    await noErrors(o);
    await o.close();
  });

  test('Export SVG posts a standalone SVG of the diagram (resolved colours, no script) that the host guard accepts', browserCap, async () => {
    const o = await open('light');
    const { p } = o;
    await p.selectOption('#scenario', 'seed');
    await p.selectOption('#model', 'glibc-old');
    await p.selectOption('#story', { index: 2 });
    await p.click('#play-story');
    await p.click('#play');
    await p.click('#export-svg');
    const posted = (await p.evaluate('window.__posted')) as { type: string; name?: string; svg?: string }[];
    const m = posted.find((x) => x.type === 'saveSvg')!;
    assert.ok(m, 'a saveSvg message');
    assert.equal(m.name, 'futex-seed-glibc-old-7-steps.svg');
    assert.ok(isFutexWebviewToHost(m), 'the host guard accepts it');
    const svg = m.svg!;
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.doesNotMatch(svg, /var\(--/, 'colours resolved');
    assert.doesNotMatch(svg, /class=|tabindex=/, 'no page-only attributes');
    const parsed = (await p.evaluate(`(() => {
      const d = new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml');
      if (d.querySelector('parsererror')) return 'parse error';
      return [d.querySelectorAll('g[data-step]').length, d.querySelectorAll('g[data-thread]').length,
        d.querySelector('rect')?.getAttribute('fill')];
    })()`)) as unknown[];
    assert.equal(parsed[0], 7, 'seven marks');
    assert.equal(parsed[2], 'rgb(255, 255, 255)', 'the light theme\'s editor background');
    await noErrors(o);
    await o.close();
  });

  test('glibc release and memory model pickers: the run, the explorer\'s rows and a replayed witness say which they used', browserCap, async () => {
    const o = await open('light');
    const { p } = o;
    const facts = async (): Promise<string> => (await p.textContent('#seq-facts')) ?? '';
    const enabledOpts = (sel: string): Promise<string[]> => p.$$eval(`${sel} option:not([disabled])`, (l) => l.map((x) => x.getAttribute("value") ?? ""));
    // EOVERFLOW at SEM_VALUE_MAX under the 32-bit code: 2.41+ by default, 2.21's wrong shift wraps the count
    await p.selectOption('#scenario', 'overflow');
    await p.selectOption('#model', 'glibc-new-32');
    assert.equal(await p.inputValue('#glibc'), '2.41+', 'the scenario\'s own release');
    assert.deepEqual(await enabledOpts('#glibc'), ['2.21', '2.22-2.24', '2.25-2.40', '2.41+'], 'the releases the 2.21 algorithm covers');
    assert.equal(await p.inputValue('#memory'), 'sc');
    assert.equal(await facts(), 'Run: glibc-new-32: glibc 2.41+, 32-bit; sequentially consistent memory (every store is seen by all threads at once).');
    const row = async (): Promise<string[]> => {
      await p.click('#explore');
      await p.clock.runFor(20);
      await pollPage(p, 'document.querySelectorAll("#ex-out table.results tbody tr").length === 1');
      return p.$$eval('#ex-out table.results tbody td', (l) => l.map((x) => x.textContent ?? ''));
    };
    let r = await row();
    assert.deepEqual([r[0], r[1], r.slice(4)], ['glibc-new-32', '2.41+, SC', ['0', '0', '0', '0', '0']]);
    await p.selectOption('#glibc', '2.21');
    assert.equal(await p.inputValue('#model'), 'glibc-new-32', 'the model stays');
    assert.match(await facts(), /^Run: glibc-new-32: glibc 2\.21, 32-bit;/);
    r = await row();
    assert.deepEqual([r[0], r[1]], ['glibc-new-32', '2.21, SC']);
    assert.notEqual(r[8], '0', '2.21: the second post wraps the count (token conservation fails)');
    // the witness replays under the release it was found under: the second post wraps the count to 0
    await p.click('#ex-out button.replay[data-witness="glibc-new-32|assertion"]');
    assert.equal(await p.inputValue('#glibc'), '2.21');
    assert.match(await facts(), /glibc 2\.21, 32-bit/);
    await p.click('#play');
    await p.click('#steps li:last-child button.jump');
    assert.match((await p.textContent('#violations')) ?? '', /assertion/);
    // glibc-old is 2.20 and nothing else; back on the new code, the release picked before
    await p.selectOption('#model', 'glibc-old');
    assert.equal(await p.inputValue('#glibc'), '2.20');
    assert.ok(await p.isDisabled('#glibc'), 'one release: nothing to pick');
    assert.match(await facts(), /^Run: glibc-old: glibc 2\.20; /);
    await p.selectOption('#model', 'glibc-new-64');
    assert.equal(await p.inputValue('#glibc'), '2.21');
    // sem_clockwait exists from glibc 2.30: the releases before it cannot be picked, and say why
    await p.selectOption('#scenario', 'clockwait');
    assert.deepEqual(await enabledOpts('#glibc'), ['2.25-2.40', '2.41+']);
    assert.match((await p.getAttribute('#glibc option[value="2.21"]', 'title')) ?? '', /sem_clockwait appeared in glibc 2\.30/);
    assert.equal(await p.inputValue('#glibc'), '2.41+');
    assert.match((await p.textContent('#notice')) ?? '', /Not under glibc 2\.21: W: sem_clockwait appeared in glibc 2\.30/, 'the picked release is not used, and the page says so');
    await noErrors(o);
    await o.close();
  });

  test('x86-TSO: the store-buffering litmus test ends with r1 = r2 = 0 (impossible under SC); buffered stores and flushes are drawn', browserCap, async () => {
    const o = await open('dark');
    const { p } = o;
    await p.selectOption('#scenario', 'sb');
    const run = async (): Promise<string[]> => {
      for (const c of ['T1', 'T2', 'T1', 'T2']) await p.click(`#choices button[data-choice="${c}"]`);
      return p.$$eval('#lanes section.lane ol.ops li', (l) => l.map((x) => x.textContent ?? ''));
    };
    assert.equal(await p.inputValue('#memory'), 'sc');
    assert.deepEqual(await run(), ['raw_store(1) → 0', 'raw_load → r=1', 'raw_store(1) → 0', 'raw_load → r=1'], 'SC: the second load sees the first store');
    await p.selectOption('#memory', 'x86-tso');
    assert.match((await p.textContent('#seq-facts')) ?? '', /; x86-TSO memory \(per-thread store buffers/);
    assert.deepEqual(await run(), ['raw_store(1) → 0', 'raw_load → r=0', 'raw_store(1) → 0', 'raw_load → r=0'], 'TSO: both loads read memory while both stores wait');
    assert.deepEqual(await p.$$eval('svg.seq g.mark text.l1', (l) => l.map((x) => x.textContent)), ['store→buf', 'store→buf', 'load', 'load']);
    assert.match((await p.textContent('#lanes')) ?? '', /store buffer: value=1/);
    // the buffered stores reach memory as flush events, marked on their thread's lane
    await p.click('#choices button[data-choice="flush(T1)"]');
    assert.deepEqual(await p.$$eval('svg.seq g.mark.k-event', (l) => l.map((x) => [x.getAttribute('data-thread'), x.querySelector('text.l1')?.textContent, x.querySelector('text.l2')?.textContent])),
      [['T1', 'flush', 'value=t0·b1']]);
    assert.match((await p.textContent('#mem-bits')) ?? '', /^value @0= 1 \(0x1\)/, 'the flushed store is in memory');
    await p.locator('section.sequence').screenshot({ path: artifactPath('futex-sequence-sb-x86-tso-dark.png') });
    await noErrors(o);
    await o.close();
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as Theme[]) {
    test(`history and source: the current row's text contrasts with its background (≥ 4.5:1), ${theme}; screenshot`, browserCap, async () => {
      const o = await open(theme);
      const { p } = o;
      await p.selectOption('#scenario', 'seed');
      await p.selectOption('#model', 'glibc-old');
      await p.selectOption('#story', { index: 2 });
      await p.click('#play-story');
      await p.clock.runFor(7000);
      assert.equal(await cursor(p), 7, 'played to the use after free');
      assert.equal(await p.$$eval('#steps li.current.violation', (l) => l.length), 1);
      // a row under the mouse (not the current one) keeps readable text too
      await p.hover('#steps li:first-child button.jump');
      const ratios = (await p.evaluate(CONTRAST)) as [string, number, string, string][];
      assert.ok(ratios.length >= 6, JSON.stringify(ratios));
      for (const [what, ratio, fg, bg] of ratios) {
        assert.ok(ratio >= 4.5, `${theme}: ${what} ${fg} on ${bg}: ${ratio.toFixed(2)}:1`);
      }
      await p.mouse.move(0, 0);
      await p.evaluate('window.scrollTo(0, 0)');
      await p.screenshot({ path: artifactPath(`futex-sequence-${theme}.png`), fullPage: true });
      await p.locator('section.sequence').screenshot({ path: artifactPath(`futex-sequence-diagram-${theme}.png`) });
      await noErrors(o);
      await o.close();
    });
  }
});

/**
 * In the page: WCAG contrast of every text in the current history row (the row's button, its "⚠" marker,
 * the violation's text) and the current source line, against the background actually behind it (the first
 * ancestor with an opaque background, translucent layers composited on the way).
 */
const CONTRAST = `(() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null; const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const out = [];
  const check = (what, el, pseudo) => {
    if (!el) { out.push([what + ' (missing)', 0, '', '']); return; }
    const bg = background(el);
    const fg = over(parse(getComputedStyle(el, pseudo).color), bg);
    out.push([what, ratio(fg, bg), getComputedStyle(el, pseudo).color, 'rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')']);
  };
  const row = document.querySelector('#steps li.current');
  check('history row text', row && row.querySelector('button.jump'));
  check('history row ⚠ marker', row && row.querySelector('button.jump'), '::before');
  check('history row violation text', row && row.querySelector('.why'));
  check('source line', document.querySelector('#source ol.src li.current code'));
  check('source gutter', document.querySelector('#source ol.src li.current .gutter'));
  const hovered = document.querySelector('#steps li:not(.current) button.jump:hover');
  check('history row under the mouse', hovered);
  return out;
})()`;

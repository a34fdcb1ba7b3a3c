/**
 * Futex semaphore visualizer (webview app): a stepper over the pure model (extension/domain/futex), an
 * explorer panel and a scenario editor. The host only provides the starting scenario (built-in or a live
 * named semaphore) and re-reads the live semaphore on request; everything else runs here.
 *
 * Keyboard: every control is a native button/select/input in tab order; Alt+← / Alt+→ step back/forward
 * through history, Alt+R takes a random step.
 */
import { select } from 'd3-selection';
import {
  GLIBC_VERSIONS, MEMORY_MODELS, MODEL_IDS, SCENARIOS, VIOLATION_INFO, choiceId, enabled, explore, findScenario, initialState,
  scenarioRunsUnder, step, validateScenario, versionsFor, whyNotUnder, type Choice, type ExploreResult, type FutexState,
  type GlibcVersion, type MemoryModel, type ModelId, type Scenario, type Violation, type Story, type Witness,
} from '../../extension/domain/futex';
import {
  FUTEX_PROTOCOL_VERSION, isFutexHostToWebview, type FutexHostToWebview, type FutexWebviewToHost, type LiveSource,
} from '../../extension/shared/futexProtocol';
import { formatTimestamp } from '../../extension/shared/format';
import { vscodeApi, WebviewMessenger } from '../common/messenger';
import { renderChoices, renderExplorer, renderLanes, renderMemory, renderQueue, renderTimeline, renderViolations } from './render';
import { renderEditor, type Draft } from './editor';
import { encodingNotes, highlightTouched } from './memory';
import { createSequencePanel } from './sequencePanel';
import { storyLabel, storyVerdict } from './stories';

// ----------------------------------------------------------------------------------------------- host link
const vscode = vscodeApi();
const messenger = new WebviewMessenger<FutexHostToWebview, FutexWebviewToHost>(isFutexHostToWebview);
function post(m: FutexWebviewToHost): void {
  messenger.post(m);
}

interface Persisted {
  v: 1;
  scenario: Scenario;
  model: ModelId;
  /** the glibc release chosen for the glibc-new-* models (null: the scenario's own). */
  glibc?: GlibcVersion | null;
  memoryModel?: MemoryModel;
  choices: string[];
  cursor: number;
}

// ----------------------------------------------------------------------------------------------- state
let scenario: Scenario = findScenario('seed') as Scenario;
let model: ModelId = 'glibc-old';
/** the glibc release picked for the glibc-new-* models (null: the scenario's own); glibc-old is 2.20 and
 *  pg-futex has none whatever is picked. */
let wantGlibc: GlibcVersion | null = null;
let memoryModel: MemoryModel = 'sc';
let history: FutexState[] = [];
/** title of the story chosen or last played, so a re-render keeps it selected. */
let selectedStory: string | undefined;
let choices: Choice[] = [];
let cursor = 0;
let explored: ExploreResult[] = [];
let live: LiveSource | null = null;
let renders = 0;

/** The glibc release a model runs a scenario under: the one picked when the model and the scenario allow
 *  it, else the scenario's own (undefined); `notes` says why a picked one is not used. */
function glibcFor(sc: Scenario, m: ModelId, notes: string[]): GlibcVersion | null | undefined {
  if (wantGlibc === null || !versionsFor(m).includes(wantGlibc)) return undefined;
  const why = whyNotUnder(sc, m, wantGlibc);
  if (!why) return wantGlibc;
  notes.push(`Not under glibc ${wantGlibc}: ${why}.`);
  return undefined;
}

function load(sc: Scenario, m: ModelId, ids: string[] = [], at = ids.length): string | null {
  seq.player.pause();
  scenario = sc;
  model = scenarioRunsUnder(sc, m) ? m : sc.model;
  const notes = model !== m ? [`Model switched from ${m} to ${model}: ${sc.id} does not run under ${m} (${whyNotUnder(sc, m)}).`] : [];
  const glibc = glibcFor(sc, model, notes);
  try {
    history = [initialState(scenario, { model, glibc, memoryModel })];
  } catch (e) {
    // a combination no real code has (the scenario's own version for another model): the scenario's own run
    notes.push(`${(e as Error).message}: running ${sc.id} under ${sc.model}.`);
    model = sc.model;
    history = [initialState(scenario, { model, memoryModel })];
  }
  if (notes.length) notes.push(`Running under glibc ${history[0].glibc ?? '(none)'}.`);
  notice.textContent = notes.join(' ');
  choices = [];
  explored = [];
  let err: string | null = null;
  for (const id of ids) {
    const s = history[history.length - 1];
    const c = enabled(s).find((x) => choiceId(s, x) === id);
    if (!c) {
      err = `cannot replay '${id}' at step ${history.length}`;
      break;
    }
    history.push(step(s, c));
    choices.push(c);
  }
  cursor = Math.max(0, Math.min(at, history.length - 1));
  exStatus.textContent = err ?? '';
  return err;
}

function idsOf(): string[] {
  return choices.map((c, i) => choiceId(history[i], c));
}

function save(): void {
  const p: Persisted = { v: 1, scenario, model, glibc: wantGlibc, memoryModel, choices: idsOf(), cursor };
  vscode.setState(p);
}

function restore(): boolean {
  const raw = vscode.getState() as Partial<Persisted> | undefined;
  if (!raw || raw.v !== 1 || !Array.isArray(raw.choices) || raw.choices.length > 2000) return false;
  const v = validateScenario(raw.scenario);
  if (!v.ok || typeof raw.model !== 'string' || !(MODEL_IDS as readonly string[]).includes(raw.model)) return false;
  const ids = raw.choices.filter((x): x is string => typeof x === 'string');
  wantGlibc = (GLIBC_VERSIONS as readonly unknown[]).includes(raw.glibc) ? raw.glibc as GlibcVersion : null;
  memoryModel = (MEMORY_MODELS as readonly unknown[]).includes(raw.memoryModel) ? raw.memoryModel as MemoryModel : 'sc';
  load(v.scenario, raw.model as ModelId, ids, typeof raw.cursor === 'number' ? raw.cursor : ids.length);
  return true;
}

function pick(c: Choice): void {
  seq.player.pause();
  const s = history[cursor];
  history = history.slice(0, cursor + 1);
  choices = choices.slice(0, cursor);
  history.push(step(s, c));
  choices.push(c);
  cursor = history.length - 1;
  render();
}

function jump(i: number): void {
  cursor = Math.max(0, Math.min(i, history.length - 1));
  render();
}

/** A person moves the cursor: autoplay stops first. */
function userJump(i: number): void {
  seq.player.pause();
  jump(i);
}

function randomStep(): boolean {
  const s = history[cursor];
  const cs = enabled(s);
  if (!cs.length) return false;
  pick(cs[Math.floor(Math.random() * cs.length)]);
  return true;
}

// ----------------------------------------------------------------------------------------------- DOM
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const app = document.getElementById('app') as HTMLElement;
app.replaceChildren();
const header = el('header', { class: 'toolbar', role: 'toolbar', 'aria-label': 'scenario and model' });
const h1 = el('h1', {}, 'Futex semaphore visualizer');
const scenarioSel = el('select', { id: 'scenario', 'aria-label': 'scenario' });
const modelSel = el('select', { id: 'model', 'aria-label': 'algorithm (model)' });
const glibcSel = el('select', { id: 'glibc', 'aria-label': 'glibc release whose code the model follows' });
const memorySel = el('select', { id: 'memory', 'aria-label': 'memory model' });
const storySel = el('select', { id: 'story', 'aria-label': 'narrated interleaving from the specification' });
const playBtn = el('button', { type: 'button', id: 'play-story' }, 'Play story');
const resetBtn = el('button', { type: 'button', id: 'reset' }, 'Reset');
const randBtn = el('button', { type: 'button', id: 'random-step', 'aria-keyshortcuts': 'Alt+R' }, 'Random step');
const runBtn = el('button', { type: 'button', id: 'random-run' }, 'Run randomly to the end');
const liveBox = el('span', { id: 'live', class: 'live' });
const refreshBtn = el('button', { type: 'button', id: 'refresh-live' }, 'Refresh');
const lbl = (text: string, control: HTMLElement): HTMLLabelElement => {
  const l = el('label', {}, text + ' ');
  l.append(control);
  return l;
};
header.append(h1, lbl('Scenario', scenarioSel), lbl('Model', modelSel), lbl('glibc', glibcSel), lbl('Memory', memorySel), lbl('Story', storySel), playBtn, resetBtn, randBtn, runBtn, liveBox);
const desc = el('p', { id: 'description', class: 'description' });
const notice = el('p', { id: 'notice', class: 'notice', role: 'status' });

const memSec = el('section', { class: 'memory', 'aria-labelledby': 'mem-h' });
memSec.append(el('h2', { id: 'mem-h' }, 'Semaphore memory'));
const memStatus = el('span', { id: 'mem-status' });
memSec.append(memStatus);
const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
svg.setAttribute('role', 'img');
svg.setAttribute('id', 'mem-bits');
memSec.append(svg);
const hexPre = el('pre', { id: 'mem-hex', 'aria-label': 'memory bytes in hex, little-endian' });
memSec.append(hexPre);
const touched = el('p', { id: 'mem-touched', class: 'mem-touched', 'aria-live': 'polite' });
const memNotes = el('ul', { id: 'mem-notes', class: 'mem-notes', 'aria-label': 'how the fields are encoded under this model' });
memSec.append(touched, memNotes);
const qWrap = el('div', { class: 'queue' });
qWrap.append(el('h3', { id: 'q-h' }, 'Futex wait queue'));
const queueUl = el('ul', { id: 'queue' });
qWrap.append(queueUl);
memSec.append(qWrap);

const lanesSec = el('section', { class: 'lanes-wrap', 'aria-labelledby': 'lanes-h' });
lanesSec.append(el('h2', { id: 'lanes-h' }, 'Threads'));
const lanesDiv = el('div', { id: 'lanes', class: 'lanes' });
lanesSec.append(lanesDiv);

const schedSec = el('section', { class: 'scheduler', 'aria-labelledby': 'sched-h' });
schedSec.append(el('h2', { id: 'sched-h' }, 'Run next'));
const choicesDiv = el('div', { id: 'choices', class: 'choices', role: 'group', 'aria-label': 'enabled steps and events' });
schedSec.append(choicesDiv);

const violSec = el('section', { id: 'violations', class: 'violations', role: 'alert', 'aria-live': 'assertive' });

const tlSec = el('section', { class: 'timeline', 'aria-labelledby': 'tl-h' });
tlSec.append(el('h2', { id: 'tl-h' }, 'History'));
const tlBar = el('div', { class: 'tlbar' });
const backBtn = el('button', { type: 'button', id: 'back', 'aria-keyshortcuts': 'Alt+ArrowLeft', 'aria-label': 'step back' }, '◀ Back');
const fwdBtn = el('button', { type: 'button', id: 'forward', 'aria-keyshortcuts': 'Alt+ArrowRight', 'aria-label': 'step forward' }, 'Step ▶');
const slider = el('input', { type: 'range', id: 'slider', min: '0', max: '0', value: '0', 'aria-label': 'jump to step' });
const pos = el('span', { id: 'pos', 'aria-live': 'polite' });
const seq = createSequencePanel({
  jump: (i) => userJump(i),
  advance: () => {
    if (cursor >= history.length - 1) return false;
    jump(cursor + 1);
    return cursor < history.length - 1;
  },
  rewind: () => {
    if (cursor >= history.length - 1) jump(0);
  },
  canPlay: () => history.length > 1,
  save: (name, svgText) => post({ type: 'saveSvg', name, svg: svgText }),
  fileName: () => `futex-${scenario.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}-${model}-${history.length - 1}-steps.svg`,
});
tlBar.append(backBtn, ...seq.controls, fwdBtn, slider, pos);
const stepsOl = el('ol', { id: 'steps', class: 'steps' });
tlSec.append(tlBar, stepsOl);

const exSec = el('section', { class: 'explorer', 'aria-labelledby': 'ex-h' });
exSec.append(el('h2', { id: 'ex-h' }, 'Explorer'));
const exBar = el('div', { class: 'exbar' });
const exBtn = el('button', { type: 'button', id: 'explore' }, 'Explore all interleavings');
const exAllBtn = el('button', { type: 'button', id: 'explore-all' }, 'Compare all models');
const exStatus = el('span', { id: 'ex-status', 'aria-live': 'polite' });
exBar.append(exBtn, exAllBtn, exStatus);
const exOut = el('div', { id: 'ex-out' });
exSec.append(exBar, exOut);

const edSec = el('details', { class: 'editor', id: 'editor' });
edSec.append(el('summary', {}, 'Scenario editor'));
const edBody = el('div', { id: 'editor-body' });
edSec.append(edBody);

const main = el('main');
const top = el('div', { class: 'top' });
top.append(memSec, schedSec);
main.append(top, violSec, seq.section, lanesSec, tlSec, exSec, edSec);
app.append(header, desc, notice, main);

for (const s of SCENARIOS) scenarioSel.append(el('option', { value: s.id }, s.title.startsWith(`${s.id}:`) ? s.title : `${s.id}: ${s.title}`));
scenarioSel.append(el('option', { value: '__custom' }, 'custom (editor)'));
scenarioSel.append(el('option', { value: '__live' }, 'live semaphore'));
for (const m of MODEL_IDS) modelSel.append(el('option', { value: m }, m));
for (const v of GLIBC_VERSIONS) glibcSel.append(el('option', { value: v }, v));
glibcSel.append(el('option', { value: '' }, 'none'));
const MEMORY_LABEL: Record<MemoryModel, string> = { sc: 'sequentially consistent', 'x86-tso': 'x86-TSO (store buffers)' };
for (const mm of MEMORY_MODELS) memorySel.append(el('option', { value: mm }, MEMORY_LABEL[mm]));

// ----------------------------------------------------------------------------------------------- explanations
function explain(v: Violation): string {
  switch (v.kind) {
    case 'use-after-free':
      return model === 'glibc-old'
        ? 'glibc ≤ 2.20: sem_post publishes the token with cmpxchg and only then reads nwaiters and private from the ' +
            'semaphore. A waiter can take that token without this post\'s wake (fast path, EWOULDBLOCK, spurious wake), ' +
            'return, destroy and free the memory in between (bug 12674). glibc 2.21 reads private before its CAS and ' +
            'sees nwaiters in the same CAS, so after publishing it only calls futex_wake, which touches no user memory.'
        : VIOLATION_INFO['use-after-free'];
    case 'misuse':
      return VIOLATION_INFO.misuse;
    case 'lost-wakeup':
      return 'A waiter sleeps in the kernel while a token is available and nobody is left to wake it. glibc ≥ 2.21 ' +
        'prevents this twice: the post\'s CAS reads nwaiters atomically with the increment, and the kernel\'s ' +
        'futex_wait compares the word with the expected value under its lock (EAGAIN if a post got in first).';
    case 'deadlock':
      return 'Every remaining thread sleeps and the value is 0: the scenario has more waits than posts. This is the ' +
        'program\'s doing, not the algorithm\'s.';
    case 'assertion':
      return 'A model invariant or a POSIX rule failed: token conservation (initial + posts − takes = value), the ' +
        'waiter count, a destroy while threads wait, or a sem_wait error POSIX does not allow.';
  }
}

// ----------------------------------------------------------------------------------------------- render
const sel = (e: HTMLElement) => select<HTMLElement, unknown>(e);
function render(): void {
  const s = history[cursor];
  const isBuiltin = SCENARIOS.some((x) => x === scenario);
  scenarioSel.value = isBuiltin ? scenario.id : scenario.id === 'live' ? '__live' : '__custom';
  modelSel.value = model;
  for (const o of Array.from(modelSel.options)) o.disabled = !scenarioRunsUnder(scenario, o.value as ModelId);
  // the releases this model follows, those the scenario's operations exist in; the run's own selected
  const run = history[0];
  for (const o of Array.from(glibcSel.options)) {
    const v = o.value === '' ? null : o.value as GlibcVersion;
    const why = versionsFor(model).includes(v) ? whyNotUnder(scenario, model, v) : `${model} does not follow this release`;
    o.disabled = why !== null;
    o.title = why ?? (v === null ? 'PostgreSQL\'s semaphore: no glibc code' : `the code of glibc ${v}`);
  }
  glibcSel.value = run.glibc ?? '';
  glibcSel.disabled = Array.from(glibcSel.options).filter((o) => !o.disabled).length <= 1;
  memorySel.value = run.memoryModel;
  desc.textContent = `${scenario.title}. ${scenario.description}`;
  const stories = SCENARIOS.find((x) => x === scenario)?.stories ?? [];
  select(storySel).selectAll<HTMLOptionElement, Story>('option')
    .data(stories, (d) => d.title).join('option').attr('value', (d) => d.title).text((d) => storyLabel(d, storyVerdict(scenario, d, model, runOptions())));
  // the join rebuilds the options: keep the chosen story selected (not whichever option is first)
  if (selectedStory && stories.some((d) => d.title === selectedStory)) storySel.value = selectedStory;
  storySel.disabled = playBtn.disabled = stories.length === 0;
  liveBox.replaceChildren();
  if (live) {
    const libc = live.glibc ? `glibc ${live.glibc}` : live.libcNote ?? 'glibc release not known';
    liveBox.append(`live ${live.name} on ${live.host} (${libc}): ${live.value} tokens, ${live.nwaiters} waiters (read ${formatTimestamp(live.readAt)}) `, refreshBtn);
  }
  renderMemory(select(svg as SVGSVGElement), sel(hexPre), sel(memStatus), s);
  const trace = seq.update(history, choices, cursor);
  touched.textContent = highlightTouched(select(svg as SVGSVGElement), cursor > 0 ? trace[cursor - 1] : undefined);
  select(memNotes).selectAll('li').data(encodingNotes(s)).join('li').text((d) => d);
  svg.setAttribute('aria-label', `memory words as bit fields; memory is ${s.mem.status}`);
  renderQueue(sel(queueUl), s);
  renderLanes(sel(lanesDiv), s);
  renderChoices(sel(choicesDiv), s, enabled(s), pick); // picking from a past step branches off
  renderViolations(sel(violSec), s.violations, explain);
  renderTimeline(sel(stepsOl), history, cursor, userJump);
  slider.max = String(history.length - 1);
  slider.value = String(cursor);
  pos.textContent = `step ${cursor} of ${history.length - 1}`;
  backBtn.disabled = cursor === 0;
  fwdBtn.disabled = cursor >= history.length - 1;
  renderExplorer(sel(exOut), explored, replayWitness);
  document.body.dataset.cursor = String(cursor);
  document.body.dataset.violations = String(s.violations.length);
  document.body.dataset.renders = String(++renders);
  save();
}

/** The glibc release and memory model of the run shown (a story's verdict is computed under the same). */
function runOptions(): { glibc: GlibcVersion | null; memoryModel: MemoryModel } {
  return { glibc: history[0].glibc, memoryModel: history[0].memoryModel };
}

function replayWitness(r: ExploreResult, w: Witness): void {
  const keep = explored;
  // the witness's own run: the pickers show its release and memory model
  memoryModel = r.memoryModel;
  if (r.glibc !== null && r.model !== 'glibc-old') wantGlibc = r.glibc;
  const err = load(scenario, r.model, w.choices, 0);
  explored = keep;
  if (err) exStatus.textContent = err;
  render();
  // the replay starts at step 0 and plays; the focus goes to Pause
  seq.player.play();
  document.getElementById('play')?.focus();
}

// ----------------------------------------------------------------------------------------------- editor
function applyDraft(d: Draft): string | null {
  const v = validateScenario(d);
  if (!v.ok) return v.error;
  live = null;
  load(v.scenario, v.scenario.model);
  render();
  return null;
}

function refreshEditor(): void {
  renderEditor(edBody, scenario, applyDraft);
}

// ----------------------------------------------------------------------------------------------- events
scenarioSel.addEventListener('change', () => {
  const sc = findScenario(scenarioSel.value);
  if (sc) {
    live = null;
    const from = model;
    load(sc, sc.model);
    // a scenario opens under the model it is written for: say so when that changes the model
    if (model !== from && !notice.textContent) {
      notice.textContent = `Model set to ${model}: scenario ${sc.id} is written for it (choose another model above to run it under that one).`;
    }
    refreshEditor();
    render();
  } else render();
});
modelSel.addEventListener('change', () => {
  load(scenario, modelSel.value as ModelId);
  render();
});
glibcSel.addEventListener('change', () => {
  wantGlibc = glibcSel.value === '' ? null : glibcSel.value as GlibcVersion;
  load(scenario, model);
  render();
});
memorySel.addEventListener('change', () => {
  memoryModel = memorySel.value as MemoryModel;
  load(scenario, model);
  render();
});
storySel.addEventListener('change', () => {
  selectedStory = storySel.value;
});
playBtn.addEventListener('click', () => {
  const st = SCENARIOS.find((x) => x === scenario)?.stories?.find((x) => x.title === storySel.value);
  if (!st) return;
  selectedStory = st.title;
  // keep the selected model when the story's steps replay under it; otherwise switch, and say so
  const v = storyVerdict(scenario, st, model, runOptions());
  const from = model;
  const err = load(scenario, v.replays ? model : v.writtenFor, st.choices, 0);
  if (!v.replays && from !== model) {
    notice.textContent = `Model switched from ${from} to ${model}: the story "${st.title}" is written for ${model} and its steps do not replay under ${from}.`;
  }
  if (err) exStatus.textContent = err;
  render();
  if (!err) seq.player.play();
});
resetBtn.addEventListener('click', () => {
  load(scenario, model);
  render();
});
randBtn.addEventListener('click', () => void randomStep());
runBtn.addEventListener('click', () => {
  for (let i = 0; i < 300 && randomStep(); i++);
});
backBtn.addEventListener('click', () => userJump(cursor - 1));
fwdBtn.addEventListener('click', () => userJump(cursor + 1));
slider.addEventListener('input', () => userJump(Number(slider.value)));
refreshBtn.addEventListener('click', () => post({ type: 'refreshLive' }));
function runExplorer(models: ModelId[]): void {
  exStatus.textContent = 'exploring…';
  exBtn.disabled = exAllBtn.disabled = true;
  setTimeout(() => {
    const t0 = performance.now();
    // each model under the release picked when it follows it (glibc-old: 2.20; pg-futex: none)
    explored = models.map((m) => explore(scenario, { model: m, glibc: glibcFor(scenario, m, []), memoryModel, maxStates: 300_000 }));
    const n = explored.reduce((a, r) => a + r.states, 0);
    exStatus.textContent = `${n} states in ${Math.round(performance.now() - t0)} ms`;
    exBtn.disabled = exAllBtn.disabled = false;
    render();
  }, 10);
}
exBtn.addEventListener('click', () => runExplorer([model]));
exAllBtn.addEventListener('click', () => runExplorer(MODEL_IDS.filter((m) => scenarioRunsUnder(scenario, m, glibcFor(scenario, m, [])))));
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
  if (e.altKey && e.key === 'ArrowLeft') { userJump(cursor - 1); e.preventDefault(); }
  else if (e.altKey && e.key === 'ArrowRight') { userJump(cursor + 1); e.preventDefault(); }
  else if (e.altKey && (e.key === 'r' || e.key === 'R')) { randomStep(); e.preventDefault(); }
});

messenger.onMessage((m: FutexHostToWebview) => {
  if (m.type === 'error') {
    exStatus.textContent = m.message;
    return;
  }
  if (m.scenario) {
    const v = validateScenario(m.scenario);
    if (!v.ok) {
      exStatus.textContent = `bad scenario from host: ${v.error}`;
      return;
    }
    live = m.live ?? null;
    // a live semaphore runs under its machine's glibc release (the scenario carries it), not a picked one
    if (live) wantGlibc = null;
    load(v.scenario, m.model ?? v.scenario.model);
  } else if (m.scenarioId) {
    const sc = findScenario(m.scenarioId);
    if (sc) load(sc, m.model ?? sc.model);
  }
  refreshEditor();
  render();
});

// ----------------------------------------------------------------------------------------------- start
if (!restore()) load(scenario, model);
refreshEditor();
render();
post({ type: 'ready', protocol: FUTEX_PROTOCOL_VERSION });

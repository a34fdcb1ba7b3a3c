/**
 * The "Sequence" section of the visualizer: the diagram (sequence.ts) beside the source of the running
 * operation (source.ts), the autoplay controls (player.ts: Play/Pause and a speed) and the SVG export.
 * main.ts owns the stepper's state; this module gets it on every render and calls back to move the cursor.
 */
import { select } from 'd3-selection';
import { scenarioOf, type Choice, type FutexState } from '../../extension/domain/futex';
import { exportSvg, renderSequence } from './sequence';
import { sourceView } from './source';
import { renderSource } from './sourcePane';
import { Player, SPEEDS, type Timer } from './player';
import { runFacts, traceOf, type TraceStep } from './trace';

export interface SequenceHooks {
  /** move the cursor (a person's click: pauses autoplay first). */
  jump(i: number): void;
  /** one step forward for autoplay; true while a further step is left. */
  advance(): boolean;
  /** rewind before playing from the end. */
  rewind(): void;
  /** the history has a step after the cursor, or any step at all. */
  canPlay(): boolean;
  /** hand the exported SVG to the host (it asks where to save it). */
  save(name: string, svg: string): void;
  fileName(): string;
}

export interface SequencePanel {
  section: HTMLElement;
  /** Play/Pause and speed, for the history bar. */
  controls: HTMLElement[];
  player: Player;
  update(history: FutexState[], choices: Choice[], cursor: number): TraceStep[];
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export function createSequencePanel(hooks: SequenceHooks, timer: Timer = window): SequencePanel {
  const section = el('section', { class: 'sequence', 'aria-labelledby': 'seq-h' });
  const head = el('div', { class: 'seq-head' });
  head.append(el('h2', { id: 'seq-h' }, 'Sequence'));
  const legend = el('span', { class: 'seq-legend' },
    '○ load  ■ read-modify-write  ◆ CAS ✓  ◇ CAS ✗  ▲ futex call  ✱ event  │ red ring: violation  │ shaded: after the token was published');
  const exportBtn = el('button', { type: 'button', id: 'export-svg', title: 'Save the diagram as an SVG file (in the current theme\'s colours)' }, 'Export SVG…');
  const facts = el('p', { class: 'seq-facts', id: 'seq-facts' });
  head.append(legend, exportBtn);
  const row = el('div', { class: 'seq-row' });
  const scroll = el('div', { class: 'seq-scroll', id: 'seq-scroll' });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('id', 'seq');
  svg.setAttribute('class', 'seq');
  scroll.append(svg);
  const src = el('div', { class: 'source', id: 'source', 'aria-labelledby': 'src-h' });
  const srcHead = el('h3', { class: 'src-heading', id: 'src-h' });
  const srcTitle = el('p', { class: 'src-title' });
  const srcList = el('ol', { class: 'src', 'aria-label': 'pseudocode of the operation; the highlighted line ran at this step' });
  src.append(srcHead, srcTitle, srcList);
  row.append(scroll, src);
  section.append(head, facts, row);

  const playBtn = el('button', { type: 'button', id: 'play', 'aria-pressed': 'false' }, '▶ Play');
  const speed = el('select', { id: 'speed', 'aria-label': 'autoplay speed' });
  for (const s of SPEEDS) speed.append(el('option', { value: s.id }, s.label));
  speed.value = '1';

  const player = new Player(timer, {
    advance: () => hooks.advance(),
    changed: (playing) => {
      playBtn.textContent = playing ? '⏸ Pause' : '▶ Play';
      playBtn.setAttribute('aria-pressed', String(playing));
      document.body.dataset.playing = String(playing);
    },
  }, speed.value);
  playBtn.addEventListener('click', () => {
    if (player.playing) return player.pause();
    if (!hooks.canPlay()) return;
    hooks.rewind();
    player.play();
  });
  speed.addEventListener('change', () => player.setSpeed(speed.value));
  exportBtn.addEventListener('click', () => hooks.save(hooks.fileName(), exportSvg(svg)));

  let lastHistory: FutexState[] | null = null;
  let lastChoices: Choice[] | null = null;
  let trace: TraceStep[] = [];
  return {
    section,
    controls: [playBtn, speed],
    player,
    update(history, choices, cursor) {
      if (history !== lastHistory || choices !== lastChoices || trace.length !== history.length - 1) {
        trace = traceOf(history, choices);
        lastHistory = history;
        lastChoices = choices;
      }
      renderSequence(select(svg), { history, trace, cursor, onJump: hooks.jump });
      // keep the cursor's column in view
      const x = 64 + cursor * 78;
      if (x < scroll.scrollLeft + 40 || x > scroll.scrollLeft + scroll.clientWidth - 120) scroll.scrollLeft = Math.max(0, x - scroll.clientWidth / 2);
      const s = history[cursor];
      const sc = scenarioOf(s);
      facts.textContent = `Run: ${runFacts(s)}.`;
      const step = cursor > 0 ? trace[cursor - 1] : undefined;
      // the line the step ran, and where every thread continues from the state at the cursor
      renderSource(select<HTMLElement, unknown>(src), sourceView(s.model, step, s.threads, (tid, k) => sc.threads[tid]?.ops[k]?.op ?? null));
      exportBtn.disabled = history.length <= 1;
      return trace;
    },
  };
}

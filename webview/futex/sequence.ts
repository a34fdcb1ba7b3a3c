/**
 * The sequence diagram (D3, SVG): one lane per thread and one for the kernel's futex queue, time left to
 * right (one column per step), each step a mark on its thread's lane. Marks show the memory access (shape:
 * ○ load, ■ read-modify-write/store, ◆ CAS that succeeded, ◇ CAS that failed; ▲ futex call, ✱ environment
 * event, • no shared access) with word and value; futex_wait/futex_wake are arrows to and from the kernel
 * lane, sleeps are bars there; the token's publication is flagged and the post's remaining run shaded;
 * sem_destroy and free/munmap are vertical lines across every lane; violations are ringed where they happen.
 * A strip on top shows the memory's lifetime. Colours come from VS Code's theme variables (media/futex.css).
 *
 * Synchronised with the stepper: the cursor's column is highlighted, steps after it are dimmed, a click on a
 * mark or a step number jumps there; the marks are one tab stop (arrow keys, Home/End move the cursor).
 */
import type { Selection } from 'd3-selection';
import type { FutexState } from '../../extension/domain/futex';
import { accessLabel, accessText, futexText, type TraceStep } from './trace';

type Sel<E extends Element> = Selection<E, unknown, null, undefined>;

export const COL = 78;
const GUTTER = 64;
const STRIP = 14;
const AXIS = 34;
const LANE = 74;
const SLEEP_ROW = 14;

export interface DiagramInput {
  /** the full history (states 0..n) and its trace (steps 1..n). */
  history: FutexState[];
  trace: TraceStep[];
  cursor: number;
  onJump: (i: number) => void;
}

interface Mark {
  s: TraceStep;
  x: number;
  y: number;
  shape: 'load' | 'rmw' | 'cas-ok' | 'cas-fail' | 'futex' | 'event' | 'plain';
  l1: string;
  l2: string;
  text: string;
}

const xOf = (i: number): number => GUTTER + i * COL + COL / 2;

function markOf(s: TraceStep, y: number): Mark {
  const who = s.event ? `${s.thread} (event)` : s.thread;
  let shape: Mark['shape'] = 'plain';
  let l1 = s.name.replace(/_/g, ' ');
  let l2 = s.ret !== undefined ? `→ ${s.ret}` : '';
  let what = `${s.name}: ${s.detail}`;
  if (s.event) {
    shape = 'event';
    l1 = s.event;
    l2 = s.event === 'signal' ? 'EINTR' : s.event === 'timeout' ? 'ETIMEDOUT' : s.event === 'spurious' ? 'returns 0'
      : s.event === 'flush' ? s.flushed.map((f) => `${f.word === 'nwaiters' ? 'nwait' : f.word}=${f.value}`).join(' ') : '';
    if (s.event === 'flush') what = `store buffer writes ${s.flushed.map((f) => `${f.word} = ${f.value}`).join(', ')} to memory`;
  } else if (s.futex) {
    shape = 'futex';
    l1 = s.futex.op === 'wait' ? `wait(${s.futex.expected})` : `wake(${s.futex.count})`;
    l2 = s.futex.op === 'wait' ? s.futex.result : `→ ${s.futex.result}`;
    what = futexText(s.futex);
  } else if (s.access) {
    shape = s.access.kind === 'store' ? 'rmw' : s.access.kind;
    [l1, l2] = accessLabel(s.access);
    what = accessText(s.access);
  } else if (s.lifetime) {
    l1 = s.lifetime === 'destroy' ? 'destroy' : s.lifetime;
  }
  const extra = [s.published ? 'publishes a token' : '', s.ret !== undefined ? `returns ${s.ret}` : '', s.note ?? '',
    ...s.violations.map((v) => `VIOLATION ${v.kind}: ${v.message}`)].filter(Boolean);
  return {
    s, x: xOf(s.i), y, shape, l1, l2,
    text: `step ${s.i}, ${who}: ${what}${extra.length ? `; ${extra.join('; ')}` : ''}`,
  };
}

const SHAPES: Record<Mark['shape'], string> = {
  load: 'M -6 0 A 6 6 0 1 0 6 0 A 6 6 0 1 0 -6 0 Z',
  rmw: 'M -6 -6 H 6 V 6 H -6 Z',
  'cas-ok': 'M 0 -8 L 8 0 L 0 8 L -8 0 Z',
  'cas-fail': 'M 0 -8 L 8 0 L 0 8 L -8 0 Z',
  futex: 'M 0 -7 L 7 6 L -7 6 Z',
  event: 'M 0 -8 L 2 -2 L 8 -2 L 3 2 L 5 8 L 0 4 L -5 8 L -3 2 L -8 -2 L -2 -2 Z',
  plain: 'M -3 0 A 3 3 0 1 0 3 0 A 3 3 0 1 0 -3 0 Z',
};

/** Intervals [from, to) of history states in which each thread sleeps in the futex queue. */
function sleeps(history: FutexState[]): { name: string; tid: number; from: number; to: number; open: boolean }[] {
  const out: { name: string; tid: number; from: number; to: number; open: boolean }[] = [];
  const open = new Map<number, number>();
  history.forEach((s, i) => {
    for (const tid of s.queue) if (!open.has(tid)) open.set(tid, i);
    for (const [tid, from] of [...open]) {
      if (!s.queue.includes(tid)) {
        out.push({ name: s.threads[tid].name, tid, from, to: i, open: false });
        open.delete(tid);
      }
    }
  });
  const last = history.length - 1;
  for (const [tid, from] of open) out.push({ name: history[last].threads[tid].name, tid, from, to: last, open: true });
  return out;
}

/** Draws (or redraws) the diagram into `svg`. */
export function renderSequence(svg: Sel<SVGSVGElement>, d: DiagramInput): void {
  const s0 = d.history[0];
  const names = s0.threads.map((t) => t.name);
  const n = d.history.length - 1;
  const laneY = (tid: number): number => AXIS + STRIP + tid * LANE;
  const markY = (tid: number): number => laneY(tid) + 24;
  const sl = sleeps(d.history);
  const sleepers = [...new Set(sl.map((x) => x.tid))];
  const kernelY = laneY(names.length);
  const kernelH = 26 + Math.max(1, sleepers.length) * SLEEP_ROW;
  const width = GUTTER + (n + 1) * COL + 16;
  const height = kernelY + kernelH + 20;
  const title = `Sequence of ${n} step${n === 1 ? '' : 's'}: threads ${names.join(', ')} and the kernel's futex queue`;
  svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`)
    .attr('role', 'group').attr('aria-label', title).attr('data-steps', n);
  svg.selectAll('*').remove();
  svg.append('title').text(title);

  const defs = svg.append('defs');
  for (const [id, cls] of [['seq-arrow', 'arrowhead'], ['seq-arrow-wake', 'arrowhead wake'], ['seq-arrow-event', 'arrowhead event']]) {
    defs.append('marker').attr('id', id).attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
      .attr('markerWidth', 7).attr('markerHeight', 7).attr('orient', 'auto-start-reverse')
      .append('path').attr('d', 'M 0 0 L 10 5 L 0 10 z').attr('class', cls);
  }
  svg.append('rect').attr('class', 'seq-bg').attr('x', 0).attr('y', 0).attr('width', width).attr('height', height);

  // lanes
  const lanes = svg.append('g').attr('class', 'seq-lanes');
  names.forEach((name, tid) => {
    const g = lanes.append('g').attr('class', `seq-lane thread${tid % 2 ? ' odd' : ''}`).attr('data-thread', name);
    g.append('rect').attr('class', 'lane-bg').attr('x', 0).attr('y', laneY(tid)).attr('width', width).attr('height', LANE);
    g.append('text').attr('class', 'lane-name').attr('x', 8).attr('y', markY(tid) + 4).text(name);
    const end = lastStepOf(d.trace, tid, n);
    g.append('line').attr('class', 'lifeline').attr('x1', xOf(0)).attr('x2', xOf(end)).attr('y1', markY(tid)).attr('y2', markY(tid));
  });
  const kg = lanes.append('g').attr('class', 'seq-lane kernel').attr('data-thread', 'kernel');
  kg.append('rect').attr('class', 'lane-bg').attr('x', 0).attr('y', kernelY).attr('width', width).attr('height', kernelH);
  kg.append('text').attr('class', 'lane-name').attr('x', 8).attr('y', kernelY + 16).text('kernel');
  kg.append('text').attr('class', 'lane-sub').attr('x', 8).attr('y', kernelY + 29).text('futex queue');

  // memory lifetime strip
  const strip = svg.append('g').attr('class', 'seq-memstrip');
  strip.append('text').attr('class', 'lane-sub').attr('x', 8).attr('y', AXIS + 9).text('memory');
  let from = 0;
  for (let i = 1; i <= n + 1; i++) {
    const st = i <= n ? d.history[i].mem.status : null;
    if (st !== d.history[from].mem.status) {
      const status = d.history[from].mem.status;
      const x0 = from === 0 ? GUTTER : xOf(from) - COL / 2;
      const x1 = i > n ? width - 16 : xOf(i) - COL / 2;
      strip.append('rect').attr('class', `mem-seg mem-${status}`).attr('x', x0).attr('y', AXIS).attr('width', Math.max(0, x1 - x0)).attr('height', STRIP - 4)
        .append('title').text(`memory ${status} from step ${from}`);
      // the label only where it fits (6 px a character at 10 px monospace)
      if (x1 - x0 >= status.length * 6 + 6) strip.append('text').attr('class', 'mem-seg-label').attr('x', x0 + 4).attr('y', AXIS - 3).text(status);
      from = i;
    }
  }

  // publication bands: from the publishing step to the end of that thread's operation
  const bands = svg.append('g').attr('class', 'seq-bands');
  for (const p of d.trace.filter((t) => t.published && t.tid >= 0)) {
    const end = d.trace.find((t) => t.i > p.i && t.tid === p.tid && !t.event && t.ret !== undefined)?.i ?? (p.ret !== undefined ? p.i : n);
    if (end > p.i) {
      bands.append('rect').attr('class', 'published-band').attr('x', xOf(p.i)).attr('y', markY(p.tid) - 14)
        .attr('width', xOf(end) - xOf(p.i)).attr('height', 28)
        .append('title').text(`${p.thread} published its token at step ${p.i} and runs on until step ${end}`);
    }
  }

  // sleeps in the kernel lane, and dashed lifelines while asleep
  const sg = svg.append('g').attr('class', 'seq-sleeps');
  for (const z of sl) {
    const row = sleepers.indexOf(z.tid);
    const y = kernelY + 18 + row * SLEEP_ROW;
    const x0 = xOf(z.from);
    const x1 = z.open ? xOf(z.to) + COL / 2 : xOf(z.to);
    sg.append('rect').attr('class', 'sleep-bar').attr('x', x0).attr('y', y).attr('width', Math.max(4, x1 - x0)).attr('height', SLEEP_ROW - 4)
      .append('title').text(`${z.name} asleep in futex_wait from step ${z.from}${z.open ? ' on' : ` to step ${z.to}`}`);
    sg.append('text').attr('class', 'sleep-label').attr('x', x0 + 3).attr('y', y + SLEEP_ROW - 5).text(z.name);
    sg.append('line').attr('class', 'lifeline asleep').attr('x1', x0).attr('x2', x1).attr('y1', markY(z.tid)).attr('y2', markY(z.tid));
  }

  // the cursor's column
  svg.append('rect').attr('class', 'seq-cursor').attr('x', xOf(d.cursor) - COL / 2 + 1).attr('y', AXIS - 12)
    .attr('width', COL - 2).attr('height', height - AXIS + 8);

  // step numbers (click = jump)
  const axis = svg.append('g').attr('class', 'seq-axis');
  for (let i = 0; i <= n; i++) {
    axis.append('text').attr('class', `stepno${i === d.cursor ? ' current' : ''}`).attr('x', xOf(i)).attr('y', 14)
      .attr('text-anchor', 'middle').attr('data-step', i).text(i === 0 ? '0 start' : String(i))
      .on('click', () => d.onJump(i));
  }

  // lifetime lines
  const life = svg.append('g').attr('class', 'seq-life');
  for (const t of d.trace.filter((x) => x.lifetime && x.lifetime !== 'init')) {
    const x = xOf(t.i) + COL / 2 - 4;
    life.append('line').attr('class', `life-line life-${t.lifetime}`).attr('x1', x).attr('x2', x).attr('y1', AXIS + STRIP - 4).attr('y2', kernelY + kernelH + 4);
    life.append('text').attr('class', 'life-label').attr('x', x - 3).attr('y', kernelY + kernelH + 14).attr('text-anchor', 'end')
      .text(`${t.lifetime === 'destroy' ? 'sem_destroy' : t.lifetime} (${t.thread})`);
  }

  // futex arrows
  const arrows = svg.append('g').attr('class', 'seq-arrows');
  const tidOf = (name: string): number => names.indexOf(name);
  for (const t of d.trace) {
    const x = xOf(t.i);
    if (t.futex?.op === 'wait' && t.tid >= 0) {
      const y0 = markY(t.tid) + 8;
      const y1 = kernelY + 4;
      arrows.append('line').attr('class', 'arrow wait').attr('x1', x - 6).attr('x2', x - 6).attr('y1', y0).attr('y2', y1).attr('marker-end', 'url(#seq-arrow)');
      if (t.futex.result !== 'sleeps') {
        arrows.append('line').attr('class', 'arrow wait-back').attr('x1', x + 6).attr('x2', x + 6).attr('y1', y1).attr('y2', y0 + 26).attr('marker-end', 'url(#seq-arrow)');
        arrows.append('text').attr('class', 'arrow-label').attr('x', x + 9).attr('y', kernelY - 4).text(t.futex.result);
      }
    }
    if (t.futex?.op === 'wake' && t.tid >= 0) {
      const y0 = markY(t.tid) + 8;
      arrows.append('line').attr('class', 'arrow wake').attr('x1', x).attr('x2', x).attr('y1', y0).attr('y2', kernelY + 4).attr('marker-end', 'url(#seq-arrow-wake)');
      for (const w of t.futex.woken) {
        const wy = markY(tidOf(w));
        const bx = x + 14;
        arrows.append('path').attr('class', 'arrow wake woken')
          .attr('d', `M ${x} ${kernelY + 10} L ${bx} ${kernelY + 10} L ${bx} ${wy + (wy < kernelY ? 10 : -10)}`)
          .attr('marker-end', 'url(#seq-arrow-wake)');
        arrows.append('text').attr('class', 'arrow-label').attr('x', bx + 3).attr('y', wy + 22).text(`wakes ${w}`);
      }
    }
    if (t.event && t.event !== 'cancel' && t.event !== 'flush' && t.tid >= 0) {
      arrows.append('line').attr('class', 'arrow event').attr('x1', x).attr('x2', x).attr('y1', kernelY + 4).attr('y2', markY(t.tid) + 10)
        .attr('marker-end', 'url(#seq-arrow-event)');
    }
  }

  // a thread left asleep for good (lost wake-up, deadlock): said on its own lane, at the step that found it
  for (const t of d.trace) {
    for (const v of t.violations) {
      const tid = v.thread ? names.indexOf(v.thread) : -1;
      if ((v.kind === 'lost-wakeup' || v.kind === 'deadlock') && tid >= 0 && tid !== t.tid) {
        svg.append('text').attr('class', 'stuck').attr('x', xOf(t.i)).attr('y', markY(tid) - 10).attr('text-anchor', 'middle')
          .attr('data-thread', v.thread ?? '').text(`⚠ ${v.kind}: asleep for good`);
      }
    }
  }

  // marks
  const marks = d.trace.filter((t) => t.tid >= 0).map((t) => markOf(t, markY(t.tid)));
  const mg = svg.append('g').attr('class', 'seq-marks');
  const current = Math.max(1, Math.min(d.cursor, n));
  const g = mg.selectAll<SVGGElement, Mark>('g.mark').data(marks, (m) => String(m.s.i)).join('g')
    .attr('class', (m) => ['mark', `k-${m.shape}`, m.s.i === d.cursor ? 'current' : '', m.s.i > d.cursor ? 'future' : '',
      m.s.violations.length ? 'violation' : '', m.s.access?.uaf ? 'uaf' : '', m.s.published ? 'published' : ''].filter(Boolean).join(' '))
    .attr('transform', (m) => `translate(${m.x}, ${m.y})`)
    .attr('data-step', (m) => m.s.i)
    .attr('data-thread', (m) => m.s.thread)
    .attr('role', 'button')
    .attr('tabindex', (m) => (m.s.i === current ? 0 : -1))
    .attr('aria-label', (m) => m.text)
    .attr('aria-current', (m) => (m.s.i === d.cursor ? 'step' : null))
    .on('click', (_e, m) => d.onJump(m.s.i))
    .on('keydown', (e: KeyboardEvent, m) => {
      const to = e.key === 'ArrowRight' ? m.s.i + 1 : e.key === 'ArrowLeft' ? m.s.i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? n
        : e.key === 'Enter' || e.key === ' ' ? m.s.i : null;
      if (to === null) return;
      e.preventDefault();
      d.onJump(Math.max(0, Math.min(n, to)));
      (svg.node()?.querySelector(`g.mark[data-step="${Math.max(1, Math.min(n, to))}"]`) as SVGGElement | null)?.focus();
    });
  g.append('title').text((m) => m.text);
  g.append('rect').attr('class', 'hit').attr('x', -COL / 2 + 2).attr('y', -16).attr('width', COL - 4).attr('height', 50);
  g.filter((m) => m.s.violations.length > 0).append('circle').attr('class', 'vring').attr('r', 12);
  g.append('path').attr('class', 'shape').attr('d', (m) => SHAPES[m.shape]);
  g.append('text').attr('class', 'l1').attr('y', 21).attr('text-anchor', 'middle').text((m) => m.l1);
  g.append('text').attr('class', 'l2').attr('y', 32).attr('text-anchor', 'middle').text((m) => m.l2);
  g.filter((m) => m.s.published).append('text').attr('class', 'pub').attr('y', -12).attr('text-anchor', 'middle').text('token +1');
  g.filter((m) => m.s.violations.length > 0).append('text').attr('class', 'vlabel').attr('y', 44).attr('text-anchor', 'middle')
    .text((m) => `⚠ ${m.s.violations[0].kind}`);
}

function lastStepOf(trace: TraceStep[], tid: number, n: number): number {
  let last = 0;
  let finished = false;
  for (const t of trace) {
    if (t.tid !== tid) continue;
    last = t.i;
    finished = t.ret !== undefined && t.ret === 'PTHREAD_CANCELED';
  }
  return finished ? last : n;
}

// ----------------------------------------------------------------------------------------------- export

const COPIED = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity',
  'font-family', 'font-size', 'font-weight', 'visibility', 'paint-order', 'stroke-linejoin'] as const;

/**
 * A standalone SVG document of the diagram as it is drawn now: the theme's colours resolved from the
 * computed styles into presentation attributes (the file does not depend on VS Code's variables), no
 * interactivity attributes, an explicit size and the XML namespaces.
 */
export function exportSvg(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const src = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const dst = [clone, ...Array.from(clone.querySelectorAll('*'))];
  src.forEach((e, k) => {
    const c = dst[k];
    if (!(c instanceof SVGElement)) return;
    const cs = getComputedStyle(e);
    for (const p of COPIED) {
      const v = cs.getPropertyValue(p);
      if (v) c.setAttribute(p, v);
    }
    for (const a of ['class', 'tabindex', 'role', 'aria-label', 'aria-current']) c.removeAttribute(a);
  });
  clone.setAttribute('version', '1.1');
  // XMLSerializer writes the SVG namespace of the root element itself
  return new XMLSerializer().serializeToString(clone);
}

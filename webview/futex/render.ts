/**
 * D3 renderers for the futex visualizer (keyed joins; classes only, no inline styles: the CSP forbids them).
 * Each takes a container selection and plain data derived from the model state.
 */
import { select, type Selection } from 'd3-selection';
import {
  choiceId, choiceLabel, encodeMemory, memoryFields, scenarioOf, type Choice, type ExploreResult, type FutexState,
  type StepRecord, type Violation, type Witness, VIOLATION_KINDS,
} from '../../extension/domain/futex';
import { appendSpans } from '../common/spans';

type Sel<E extends Element> = Selection<E, unknown, null, undefined>;

const BIT = 9; // px per bit cell
const ROW = 46;

interface BitCell {
  key: string;
  x: number;
  on: boolean;
  part: string;
}

/** Memory: each field as a row of bit cells (MSB left) with its sub-fields labelled, then the hex bytes. */
export function renderMemory(svg: Sel<SVGSVGElement>, hex: Sel<HTMLElement>, status: Sel<HTMLElement>, s: FutexState): void {
  const fields = memoryFields(s.model, s.mem);
  const width = 120 + 64 * BIT + 20;
  // 4 px of margin on the left: the frame around a touched field (memory.ts) starts left of the field's name
  svg.attr('viewBox', `-4 0 ${width + 4} ${fields.length * ROW + 6}`).attr('width', width + 4).attr('height', fields.length * ROW + 6);
  svg.classed('mem-dead', s.mem.status !== 'live');
  const rows = svg.selectAll<SVGGElement, (typeof fields)[number]>('g.field').data(fields, (f) => f.name)
    .join((enter) => {
      const g = enter.append('g').attr('class', 'field');
      g.append('text').attr('class', 'fname').attr('x', 0).attr('y', 16);
      g.append('text').attr('class', 'fvalue').attr('x', 0).attr('y', 32);
      g.append('g').attr('class', 'bits');
      g.append('g').attr('class', 'parts');
      return g;
    })
    .attr('transform', (_, i) => `translate(0, ${i * ROW + 4})`);
  rows.select('text.fname').text((f) => `${f.name} @${f.offset}`);
  rows.select('text.fvalue').text((f) => `= ${f.value}${f.size === 8 ? '' : ` (0x${f.value.toString(16)})`}`);
  rows.select<SVGGElement>('g.bits').each(function (f) {
    const nbits = f.size * 8;
    const cells: BitCell[] = [];
    for (let b = nbits - 1; b >= 0; b--) {
      const v = b >= 32 ? Math.floor(f.value / 2 ** 32) : f.value % 2 ** 32;
      const bit = b >= 32 ? b - 32 : b;
      const on = ((v >>> bit) & 1) === 1;
      const part = f.parts.find((p) => b >= p.bits[0] && b <= p.bits[1])?.name ?? f.name;
      cells.push({ key: `${b}`, x: 120 + (nbits - 1 - b) * BIT, on, part });
    }
    const g = (this as SVGGElement);
    const sel = (svgSel(g)).selectAll<SVGRectElement, BitCell>('rect').data(cells, (c) => c.key)
      .join('rect')
      .attr('x', (c) => c.x).attr('y', 4).attr('width', BIT - 1).attr('height', 16)
      .attr('class', (c) => `bit ${c.on ? 'on' : 'off'} part-${c.part.replace(/\s+/g, '-')}`);
    sel.selectAll('title').data((c) => [c]).join('title').text((c) => `${f.name} bit ${c.key} = ${c.on ? 1 : 0} (${c.part})`);
  });
  rows.select<SVGGElement>('g.parts').each(function (f) {
    const nbits = f.size * 8;
    const parts = f.parts.length ? f.parts : [{ name: f.name, bits: [0, nbits - 1] as [number, number], value: f.value }];
    const g = svgSel(this as SVGGElement).selectAll<SVGTextElement, (typeof parts)[number]>('text').data(parts, (p) => p.name)
      .join('text')
      .attr('class', 'part')
      .attr('x', (p) => 120 + (nbits - 1 - (p.bits[0] + p.bits[1]) / 2) * BIT)
      .attr('y', 36)
      .attr('text-anchor', 'middle');
    g.text((p) => `${p.name} = ${p.value}`);
  });
  hex.text(hexOffsets(encodeMemory(s.model, s.mem)));
  status.text(s.mem.status).attr('class', `badge mem-${s.mem.status}`)
    .attr('aria-label', `semaphore memory is ${s.mem.status}`);
}

function hexOffsets(b: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    const words: string[] = [];
    for (let j = i; j < Math.min(i + 16, b.length); j += 4) {
      words.push([...b.slice(j, j + 4)].map((x) => x.toString(16).padStart(2, '0')).join(''));
    }
    lines.push(`${i.toString(16).padStart(4, '0')}: ${words.join(' ')}`);
  }
  return lines.join('\n');
}

// d3's select, typed for an element we already hold
function svgSel<E extends Element>(e: E): Selection<E, unknown, null, undefined> {
  return select(e);
}

/** The kernel's futex wait queue. */
export function renderQueue(ul: Sel<HTMLElement>, s: FutexState): void {
  const names = s.queue.map((i) => s.threads[i].name);
  ul.attr('aria-label', names.length ? `futex wait queue: ${names.join(', ')}` : 'futex wait queue: empty');
  ul.selectAll<HTMLLIElement, string>('li').data(names.length ? names : ['(empty)'], (n) => n)
    .join('li')
    .attr('class', (n) => (n === '(empty)' ? 'empty' : 'sleeper'))
    .text((n) => n);
}

interface Lane {
  tid: number;
  name: string;
  status: string;
  ops: { key: string; op: string; state: 'done' | 'current' | 'todo'; result: string }[];
  pc: string;
  locals: string;
  active: boolean;
  flags: string;
}

function lanesOf(s: FutexState): Lane[] {
  const sc = scenarioOf(s);
  const lastActor = s.last?.actor;
  return s.threads.map((t, tid) => {
    const spec = sc.threads[tid];
    const finished = t.status === 'done' || t.status === 'cancelled' || t.status === 'crashed';
    return {
      tid,
      name: t.name,
      status: t.status,
      ops: spec.ops.map((o, i) => ({
        key: `${i}`,
        op: o.op + (o.value !== undefined ? `(${o.value})` : ''),
        state: i < t.results.length ? 'done' : i === t.op && !finished ? 'current' : 'todo',
        result: t.results[i] ?? '',
      })),
      pc: finished ? '' : t.pc,
      locals: s.model === 'glibc-new-64'
        ? `d=(${Math.floor(t.word / 2 ** 32)},${t.word % 2 ** 32}) p=${t.priv}`
        : `v=${t.word} p=${t.priv}${s.model === 'glibc-new-32' ? ` g=${t.guess}` : ''}`,
      active: lastActor === t.name,
      flags: [t.registered ? 'registered' : '', t.pendingCancel ? 'cancel pending' : '', t.unwinding ? 'unwinding' : '',
        t.buffer.length ? `store buffer: ${t.buffer.map((e) => `${e.word}=${e.value}`).join(', ')}` : ''].filter(Boolean).join(', '),
    };
  });
}

/** Threads as lanes: operations in order, the current one highlighted with its program counter. */
export function renderLanes(root: Sel<HTMLElement>, s: FutexState): void {
  const lanes = root.selectAll<HTMLElement, Lane>('section.lane').data(lanesOf(s), (l) => l.name)
    .join((enter) => {
      const sec = enter.append('section').attr('class', 'lane');
      appendSpans(sec.append('header'), ['tname', 'tstatus badge', 'tflags']);
      sec.append('ol').attr('class', 'ops');
      sec.append('div').attr('class', 'pc');
      return sec;
    })
    .classed('active', (l) => l.active)
    .attr('aria-label', (l) => `thread ${l.name}, ${l.status}${l.pc ? `, at ${l.pc}` : ''}`);
  lanes.select('.tname').text((l) => l.name);
  lanes.select('.tstatus').text((l) => l.status).attr('class', (l) => `tstatus badge st-${l.status}`);
  lanes.select('.tflags').text((l) => l.flags);
  lanes.select('.pc').text((l) => (l.pc ? `pc: ${l.pc}   ${l.locals}` : ''));
  lanes.select<HTMLOListElement>('ol.ops').each(function (l) {
    select(this).selectAll<HTMLLIElement, Lane['ops'][number]>('li').data(l.ops, (o) => o.key)
      .join('li')
      .attr('class', (o) => `op ${o.state}`)
      .attr('aria-current', (o) => (o.state === 'current' ? 'step' : null))
      .text((o) => (o.result ? `${o.op} → ${o.result}` : o.op));
  });
}

/** One button per enabled choice (thread steps and environment events). */
export function renderChoices(root: Sel<HTMLElement>, s: FutexState, choices: Choice[], onPick: (c: Choice) => void): void {
  const items = choices.map((c) => ({ c, id: choiceId(s, c), label: choiceLabel(s, c) }));
  root.selectAll<HTMLButtonElement, (typeof items)[number]>('button').data(items, (d) => d.id)
    .join('button')
    .attr('type', 'button')
    .attr('class', (d) => (d.c.kind === 'event' ? 'choice event' : 'choice'))
    .attr('data-choice', (d) => d.id)
    .attr('aria-label', (d) => `run ${d.label}`)
    .text((d) => d.label)
    .on('click', (_e, d) => onPick(d.c));
  root.select('p.none').remove();
  if (!items.length) root.append('p').attr('class', 'none').text('No thread can run: the schedule is complete.');
}

interface StepItem {
  i: number;
  rec: StepRecord;
}

/** The history as a list: each step is a button that jumps there; violations flagged in place. */
export function renderTimeline(root: Sel<HTMLElement>, history: FutexState[], cursor: number, onJump: (i: number) => void): void {
  const items: StepItem[] = history.slice(1).map((s, k) => ({ i: k + 1, rec: s.last as StepRecord }));
  const li = root.selectAll<HTMLLIElement, StepItem>('li').data(items, (d) => `${d.i}`)
    .join((enter) => {
      const l = enter.append('li');
      l.append('button').attr('type', 'button').attr('class', 'jump');
      l.append('div').attr('class', 'why');
      return l;
    })
    .attr('class', (d) => [d.rec.violations?.length ? 'violation' : '', d.i === cursor ? 'current' : '', d.i > cursor ? 'future' : ''].filter(Boolean).join(' '));
  li.select<HTMLButtonElement>('button.jump')
    .attr('aria-label', (d) => `jump to step ${d.i}: ${d.rec.actor} ${d.rec.name}${d.rec.violations?.length ? ' (violation)' : ''}`)
    .attr('aria-current', (d) => (d.i === cursor ? 'step' : null))
    .text((d) => `${d.i}. ${d.rec.actor} ${d.rec.name}: ${d.rec.detail}${d.rec.ret ? `  → ${d.rec.ret}` : ''}${d.rec.note ? `  [${d.rec.note}]` : ''}`)
    .on('click', (_e, d) => onJump(d.i));
  li.select('.why').text((d) => (d.rec.violations ?? []).map((v) => `⚠ ${v.kind}: ${v.message}`).join('\n'));
}

/** The violations present in the shown state, with explanations. */
export function renderViolations(root: Sel<HTMLElement>, vs: Violation[], explain: (v: Violation) => string): void {
  root.classed('has', vs.length > 0);
  const li = root.selectAll<HTMLDivElement, Violation>('div.v').data(vs, (v) => `${v.kind}|${v.message}`)
    .join((enter) => {
      const d = enter.append('div').attr('class', 'v');
      d.append('strong');
      d.append('span').attr('class', 'msg');
      d.append('p').attr('class', 'explain');
      return d;
    });
  li.select('strong').text((v) => `${v.kind}${v.thread ? ` (${v.thread})` : ''}: `);
  li.select('.msg').text((v) => v.message);
  li.select('.explain').text(explain);
}

/** Which code and memory a result was explored under: "2.41+, SC", "2.20, x86-TSO", "none, SC". */
export function runText(r: Pick<ExploreResult, 'glibc' | 'memoryModel'>): string {
  return `${r.glibc ?? 'none'}, ${r.memoryModel === 'sc' ? 'SC' : r.memoryModel === 'x86-tso' ? 'x86-TSO' : r.memoryModel}`;
}

/** Explorer results: counts per model and one replay button per witness. */
export function renderExplorer(root: Sel<HTMLElement>, results: ExploreResult[], onReplay: (r: ExploreResult, w: Witness) => void): void {
  // every kind the explorer counts apart, the program's misuse included
  const kinds = VIOLATION_KINDS;
  const table = root.selectAll<HTMLTableElement, number>('table').data(results.length ? [1] : [])
    .join((enter) => {
      const t = enter.insert('table', ':first-child').attr('class', 'results');
      t.append('caption').text('All interleavings (equal states explored once)');
      const tr = t.append('thead').append('tr');
      for (const h of ['model', 'glibc, memory', 'states', 'schedules', ...kinds]) tr.append('th').attr('scope', 'col').text(h);
      t.append('tbody');
      return t;
    });
  table.select('tbody').selectAll<HTMLTableRowElement, ExploreResult>('tr').data(results, (r) => r.model)
    .join('tr')
    .selectAll<HTMLTableCellElement, string>('td')
    .data((r) => [r.model, runText(r), `${r.states}${r.truncated ? ' (truncated)' : ''}`, r.schedules.toLocaleString('en-US'),
      ...kinds.map((k) => `${r.violatingSchedules[k]}`)])
    .join('td')
    .classed('bad', (d, i) => i >= 4 && d !== '0')
    .text((d) => d);
  const ws = results.flatMap((r) => r.witnesses.map((w) => ({ r, w, key: `${r.model}|${w.kind}` })));
  const list = root.selectAll<HTMLUListElement, number>('ul.witnesses').data([1]).join('ul').attr('class', 'witnesses');
  const li = list.selectAll<HTMLLIElement, (typeof ws)[number]>('li').data(ws, (d) => d.key)
    .join((enter) => {
      const l = enter.append('li');
      l.append('button').attr('type', 'button').attr('class', 'replay');
      l.append('span').attr('class', 'wmsg');
      return l;
    });
  li.select<HTMLButtonElement>('button.replay')
    .attr('aria-label', (d) => `replay the ${d.w.kind} schedule of ${d.r.model} in the stepper`)
    .attr('data-witness', (d) => d.key)
    .text((d) => `Replay ${d.w.kind} (${d.r.model}, ${runText(d.r)}, ${d.w.choices.length} steps)`)
    .on('click', (_e, d) => onReplay(d.r, d.w));
  li.select('.wmsg').text((d) => ` ${d.w.violation.message}`);
  root.select('p.allsafe').remove();
  if (results.length && !ws.length) root.append('p').attr('class', 'allsafe').text('No violating schedule: every interleaving is safe.');
}

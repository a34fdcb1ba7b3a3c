/**
 * The semaphore-set map: an SVG of group headers and cells from layout/semSets.ts, drawn with keyed joins
 * (a set keeps its element, and slides to its new place, across refreshes). Keyboard: the map holds one
 * tab stop (roving tabindex); arrow keys move between cells, Enter/Space opens the detail.
 */
import { select } from 'd3-selection';
import { cellKeyLabel, type AggMark, type GroupMark, type SemMapLayout, type SetMark } from '../layout/semSets';

export interface SemMapHandlers {
  select(ref: string): void;
  zoom(filter: string): void;
}

type Cell = SetMark | AggMark;

let focusedRef: string | null = null;

export function renderSemMap(root: HTMLElement, layout: SemMapLayout, selected: string | null, handlers: SemMapHandlers): void {
  // reading order (row by row) for keyboard navigation
  const cells: Cell[] = [...layout.marks, ...layout.aggregates].sort((a, b) => a.y - b.y || a.x - b.x);
  renderLegend(root, layout.mode === 'aggregate');
  const svg = select(root)
    .selectAll<SVGSVGElement, number>('svg.semmap')
    .data([0])
    .join('svg')
    .attr('class', 'semmap')
    .attr('role', 'group')
    .attr('aria-label', layout.mode === 'sets' ? 'semaphore sets by owner and key' : 'semaphore sets aggregated by owner and key range');
  svg.attr('width', layout.width).attr('height', Math.max(layout.height, 24)).attr('viewBox', `0 0 ${layout.width} ${Math.max(layout.height, 24)}`);

  svg
    .selectAll<SVGTextElement, GroupMark>('text.group-title')
    .data(layout.groups, (g) => g.id)
    .join('text')
    .attr('class', 'group-title')
    .attr('x', 0)
    .attr('y', (g) => g.y + 15)
    .text((g) => `${g.title}: ${g.count} set${g.count === 1 ? '' : 's'}, ${g.nsems} semaphores${g.orphans ? `, ${g.orphans} orphan${g.orphans === 1 ? '' : 's'}` : ''}`);

  if (!cells.some((c) => c.ref === focusedRef)) focusedRef = cells[0]?.ref ?? null;

  const g = svg
    .selectAll<SVGGElement, Cell>('g.cell')
    .data(cells, (c) => c.ref)
    .join(
      (enter) => {
        const e = enter.append('g').attr('class', 'cell entering');
        e.append('rect').attr('class', 'box').attr('rx', 3);
        e.append('rect').attr('class', 'agg-orphan');
        e.append('text').attr('class', 'cell-label');
        e.append('title');
        return e;
      },
      (update) => update.classed('entering', false),
      (exit) => exit.remove(),
    );
  g.attr('class', (c) => {
    const cls = ['cell', c.type === 'set' ? `state-${c.state}` : `state-${c.dominant}`, c.type];
    if (c.type === 'set' && c.change) cls.push(`change-${c.change}`);
    if (c.type === 'set' && c.recyclable) cls.push('recyclable');
    if (c.ref === selected) cls.push('selected');
    return cls.join(' ');
  })
    .attr('data-ref', (c) => c.ref)
    .attr('role', 'button')
    .attr('aria-label', (c) => c.label)
    .attr('aria-pressed', (c) => (c.ref === selected ? 'true' : 'false'))
    .attr('tabindex', (c) => (c.ref === focusedRef ? 0 : -1))
    .style('transform', (c) => `translate(${c.x}px, ${c.y}px)`);
  g.select('rect.box').attr('width', (c) => c.w).attr('height', (c) => c.h);
  g.select('rect.agg-orphan')
    .attr('x', 0)
    .attr('y', (c) => c.h - 4)
    .attr('height', (c) => (c.type === 'agg' ? 4 : 0))
    .attr('width', (c) => (c.type === 'agg' && c.count > 0 ? (c.w * c.states.orphan) / c.count : 0));
  g.select('text.cell-label')
    .attr('x', (c) => c.w / 2)
    .attr('y', (c) => c.h / 2 + 4)
    .text((c) => (c.type === 'agg' ? `${c.count} sets` : cellKeyLabel(c.keyText, c.w)));
  g.select('title').text((c) => c.label);

  g.on('click', (_e, c) => activate(c, handlers))
    .on('keydown', (e: KeyboardEvent, c) => {
      const i = cells.findIndex((x) => x.ref === c.ref);
      let next = -1;
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = Math.min(cells.length - 1, i + (e.key === 'ArrowDown' ? rowStride(cells, i) : 1));
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = Math.max(0, i - (e.key === 'ArrowUp' ? rowStride(cells, i) : 1));
      else if (e.key === 'Home') next = 0;
      else if (e.key === 'End') next = cells.length - 1;
      else if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        activate(c, handlers);
        return;
      }
      if (next >= 0 && next !== i) {
        e.preventDefault();
        moveFocus(root, cells[next]!.ref);
      }
    });
}

const LEGEND: Array<[string, string]> = [
  ['live', 'live: a live process created, uses or waits on it'],
  ['orphan', 'orphan: nothing alive uses it'],
  ['recyclable', 'recyclable orphan (dashed): provably safe to remove'],
  ['unreadable', 'unreadable: not enough permission to decide'],
  ['unknown', 'unknown: the facts do not decide it'],
  ['appeared', 'appeared since the last refresh'],
  ['vanished', 'vanished since the last refresh'],
];

function renderLegend(root: HTMLElement, aggregate: boolean): void {
  const items = aggregate ? [...LEGEND, ['agg', 'N sets: a key range of one owner (Enter or click to zoom); orange strip = its orphans'] as [string, string]] : LEGEND;
  select(root)
    .selectAll<HTMLUListElement, number>('ul.legend')
    .data([0])
    .join((e) => e.insert('ul', ':first-child').attr('class', 'legend').attr('aria-label', 'legend'))
    .selectAll<HTMLLIElement, [string, string]>('li')
    .data(items, (d) => d[0])
    .join((e) => {
      const li = e.append('li');
      li.append('span').attr('class', 'swatch').attr('aria-hidden', 'true');
      li.append('span').attr('class', 'legend-text');
      return li;
    })
    .attr('class', (d) => `legend-${d[0]}`)
    .call((li) => li.select('.legend-text').text((d) => d[1].split(':')[0]!))
    .attr('title', (d) => d[1]);
}

/** cells per visual row around index i (same y), for Up/Down. */
function rowStride(cells: readonly Cell[], i: number): number {
  const y = cells[i]!.y;
  return Math.max(1, cells.filter((c) => c.y === y).length);
}

/** Focuses the cell of `ref` and gives it the map's tab stop (Escape from the detail comes back here). */
export function focusMapCell(root: HTMLElement, ref: string): void {
  moveFocus(root, ref);
}

function moveFocus(root: HTMLElement, ref: string): void {
  focusedRef = ref;
  const all = root.querySelectorAll<SVGGElement>('g.cell');
  for (const el of all) el.setAttribute('tabindex', el.dataset.ref === ref ? '0' : '-1');
  const target = [...all].find((el) => el.dataset.ref === ref);
  target?.focus();
}

function activate(c: Cell, handlers: SemMapHandlers): void {
  focusedRef = c.ref;
  if (c.type === 'agg') handlers.zoom(c.zoomFilter);
  else if (c.change !== 'vanished') handlers.select(c.ref);
}

/**
 * Capacity bars, one per limit, drawn with a keyed join (the row keeps its element across refreshes), and
 * the headline with its next action (Recycle orphans…). Keyboard: the gauges are ONE tab stop (a roving
 * tabindex over the rows); arrow keys, Home and End move between them.
 */
import { select, type Selection } from 'd3-selection';
import { appendSpans } from '../common/spans';
import { fullLines, type CapacityBar, type OrphanSummary } from '../layout/capacity';

/** The headline's next action. */
export interface RecycleOffer {
  /** provably recyclable objects now */
  recyclable: number;
  /** "5 PostgreSQL sets become recyclable in 8 s", or '' */
  pending: string;
  onRecycle(): void;
}

/** the gauge holding the tab stop (by limit name), kept across renders. */
let focusedGauge: string | null = null;

export function renderCapacity(root: HTMLElement, bars: readonly CapacityBar[], summary: OrphanSummary | null, offer?: RecycleOffer): void {
  const sel = select(root);
  const full = fullLines(bars);
  const headline = sel.selectAll<HTMLDivElement, number>('div.cap-headline').data([0]).join('div').attr('class', 'cap-headline');
  headline
    .selectAll<HTMLDivElement, string>('div.cap-full')
    .data(full.pools ? [full.pools] : [])
    .join('div')
    .attr('class', 'cap-full')
    .attr('role', 'alert')
    .text((d) => d);
  // a per-object maximum reached is not an outage: said apart, without the alert role
  headline
    .selectAll<HTMLDivElement, string>('div.cap-maximum')
    .data(full.maxima)
    .join((e) => e.insert('div', 'div.cap-orphans'))
    .attr('class', 'cap-maximum')
    .text((d) => d);
  headline
    .selectAll<HTMLDivElement, string>('div.cap-orphans')
    .data(summary ? [summary.headline] : [])
    .join('div')
    .attr('class', 'cap-orphans')
    .text((d) => d);
  // the next action, next to what it would free
  const show = !!offer && !!summary && (offer.recyclable > 0 || offer.pending !== '');
  const act = headline
    .selectAll<HTMLDivElement, number>('div.cap-action')
    .data(show ? [0] : [])
    .join((e) => {
      const a = e.append('div').attr('class', 'cap-action');
      a.append('vscode-button').attr('class', 'act-recycle-orphans').text('Recycle orphans…');
      a.append('span').attr('class', 'cap-pending').attr('role', 'status');
      return a;
    });
  if (show && offer) {
    act
      .select('.act-recycle-orphans')
      .attr('disabled', offer.recyclable > 0 || offer.pending ? null : '')
      .attr('title', offer.recyclable > 0
        ? `Plan the recycle of the ${offer.recyclable} provable orphan${offer.recyclable === 1 ? '' : 's'}: the extension shows the plan, asks you to confirm, and re-checks each object before removing it.`
        : 'Nothing is recyclable yet: the extension says when it will be and offers to wait.')
      .on('click', () => offer.onRecycle());
    act.select('.cap-pending').text(offer.pending);
  }

  const grid = sel.selectAll<HTMLDivElement, number>('div.cap-grid').data([0]).join('div').attr('class', 'cap-grid');
  grid
    .selectAll<HTMLDivElement, CapacityBar>('div.cap-row')
    .data(bars, (b) => b.name)
    .join((enter) => {
      const row = enter.append('div');
      appendSpans(row.append('div').attr('class', 'cap-head'), ['cap-title', 'cap-label']);
      const track = row.append('div').attr('class', 'cap-track');
      track.append('div').attr('class', 'cap-used');
      track.append('div').attr('class', 'cap-orphan');
      appendSpans(row.append('div').attr('class', 'cap-nums'), ['cap-value', 'cap-pct']);
      row.append('div').attr('class', 'cap-orphan-text');
      return row;
    })
    .attr('class', (b) => `cap-row level-${b.level}`)
    .attr('data-limit', (b) => b.name)
    .attr('title', (b) => b.tooltip)
    .attr('role', 'meter')
    .attr('aria-label', (b) => `${b.title}, ${b.label}: ${b.valueText}, ${b.pctText}${b.orphanText ? `, ${b.orphanText}` : ''}`)
    .attr('aria-valuemin', 0)
    .attr('aria-valuemax', 100)
    .attr('aria-valuenow', (b) => (b.row.percent === null ? 0 : Math.round(Math.min(100, b.usedFrac * 100))))
    .attr('aria-valuetext', (b) => `${b.valueText} (${b.pctText})`)
    .call((rows: Selection<HTMLDivElement, CapacityBar, HTMLDivElement, number>) => {
      rows.select('.cap-title').text((b) => b.title);
      rows.select('.cap-label').text((b) => b.label);
      rows.select<HTMLDivElement>('.cap-used').style('width', (b) => `${(b.usedFrac * 100).toFixed(2)}%`);
      rows
        .select<HTMLDivElement>('.cap-orphan')
        .style('left', (b) => `${(b.orphanStartFrac * 100).toFixed(2)}%`)
        .style('width', (b) => `${(b.orphanFrac * 100).toFixed(2)}%`);
      rows.select('.cap-value').text((b) => b.valueText);
      rows.select('.cap-pct').text((b) => b.pctText);
      rows.select('.cap-orphan-text').text((b) => b.orphanText);
    });

  // one tab stop for the whole group: the row last focused (else the first) holds tabindex 0
  grid.attr('role', 'group').attr('aria-label', 'kernel limits: use the arrow keys to move between them');
  if (!bars.some((b) => b.name === focusedGauge)) focusedGauge = bars[0]?.name ?? null;
  const rows = grid.selectAll<HTMLDivElement, CapacityBar>('div.cap-row');
  rows.attr('tabindex', (b) => (b.name === focusedGauge ? 0 : -1));
  rows.on('focus', (_e, b) => {
    focusedGauge = b.name;
    rows.attr('tabindex', (x) => (x.name === b.name ? 0 : -1));
  });
  rows.on('keydown', (e: KeyboardEvent, b) => {
    const i = bars.findIndex((x) => x.name === b.name);
    const cols = gridColumns(grid.node()!);
    let next = -1;
    if (e.key === 'ArrowRight') next = i + 1;
    else if (e.key === 'ArrowLeft') next = i - 1;
    else if (e.key === 'ArrowDown') next = i + cols;
    else if (e.key === 'ArrowUp') next = i - cols;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = bars.length - 1;
    else return;
    e.preventDefault();
    next = Math.max(0, Math.min(bars.length - 1, next));
    const target = grid.node()!.querySelector<HTMLElement>(`div.cap-row[data-limit="${bars[next]!.name}"]`);
    target?.focus();
  });
}

/** columns of the gauge grid as laid out now (rows wrap with the width). */
function gridColumns(grid: HTMLElement): number {
  const rows = [...grid.querySelectorAll<HTMLElement>('div.cap-row')];
  const top = rows[0]?.offsetTop;
  const n = rows.filter((r) => r.offsetTop === top).length;
  return Math.max(1, n);
}

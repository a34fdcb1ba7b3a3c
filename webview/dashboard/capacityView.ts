/** Capacity bars, one per limit, drawn with a keyed join (the row keeps its element across refreshes). */
import { select, type Selection } from 'd3-selection';
import type { CapacityBar, OrphanSummary } from '../layout/capacity';

export function renderCapacity(root: HTMLElement, bars: readonly CapacityBar[], summary: OrphanSummary | null): void {
  const sel = select(root);
  const full = bars.filter((b) => b.level === 'full');
  const headline = sel.selectAll<HTMLDivElement, number>('div.cap-headline').data([0]).join('div').attr('class', 'cap-headline');
  headline
    .selectAll<HTMLDivElement, string>('div.cap-full')
    .data(full.length ? [full.map((b) => `${b.title} is full (${b.valueText})`).join('; ') + ': new objects fail with ENOSPC'] : [])
    .join('div')
    .attr('class', 'cap-full')
    .attr('role', 'alert')
    .text((d) => d);
  headline
    .selectAll<HTMLDivElement, string>('div.cap-orphans')
    .data(summary ? [summary.headline] : [])
    .join('div')
    .attr('class', 'cap-orphans')
    .text((d) => d);

  const grid = sel.selectAll<HTMLDivElement, number>('div.cap-grid').data([0]).join('div').attr('class', 'cap-grid');
  grid
    .selectAll<HTMLDivElement, CapacityBar>('div.cap-row')
    .data(bars, (b) => b.name)
    .join((enter) => {
      const row = enter.append('div');
      const head = row.append('div').attr('class', 'cap-head');
      head.append('span').attr('class', 'cap-title');
      head.append('span').attr('class', 'cap-label');
      const track = row.append('div').attr('class', 'cap-track');
      track.append('div').attr('class', 'cap-used');
      track.append('div').attr('class', 'cap-orphan');
      const nums = row.append('div').attr('class', 'cap-nums');
      nums.append('span').attr('class', 'cap-value');
      nums.append('span').attr('class', 'cap-pct');
      row.append('div').attr('class', 'cap-orphan-text');
      return row;
    })
    .attr('class', (b) => `cap-row level-${b.level}`)
    .attr('data-limit', (b) => b.name)
    .attr('title', (b) => b.tooltip)
    .attr('tabindex', 0)
    .attr('role', 'meter')
    .attr('aria-label', (b) => `${b.title}, ${b.label}: ${b.valueText}, ${b.pctText}${b.orphanText ? `, ${b.orphanText}` : ''}`)
    .attr('aria-valuemin', 0)
    .attr('aria-valuemax', 100)
    .attr('aria-valuenow', (b) => (b.row.usePct === null ? 0 : Math.round(Math.min(100, b.usedFrac * 100))))
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
}

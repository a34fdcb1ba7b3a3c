/** Draws the source pane (see source.ts): the listing, the line the step ran, where each thread continues. */
import type { Selection } from 'd3-selection';
import type { Line, SourceView } from './source';

type Sel<E extends Element> = Selection<E, unknown, null, undefined>;

export function renderSource(root: Sel<HTMLElement>, v: SourceView): void {
  root.select('h3.src-heading').text(v.heading);
  root.select('p.src-title').text(v.listing.title);
  const items = v.listing.lines.map((l, k) => ({ l, k, next: l.id ? v.next.get(l.id) ?? [] : [] }));
  const li = root.select('ol.src').selectAll<HTMLLIElement, { l: Line; k: number; next: string[] }>('li')
    .data(items, (d) => `${v.listing.title}|${d.k}`)
    .join((enter) => {
      const e = enter.append('li');
      e.append('span').attr('class', 'gutter');
      e.append('code');
      return e;
    })
    .attr('class', (d) => [d.l.id && d.l.id === v.current ? 'current' : '', d.next.length ? 'next' : ''].filter(Boolean).join(' '))
    .attr('data-line', (d) => d.l.id ?? null)
    .attr('aria-current', (d) => (d.l.id && d.l.id === v.current ? 'step' : null));
  li.select('.gutter').text((d) => (d.next.length ? `${d.next.join(',')} ▸` : ''))
    .attr('title', (d) => (d.next.length ? `${d.next.join(', ')} continue${d.next.length === 1 ? 's' : ''} here` : null));
  li.select('code').text((d) => d.l.text);
}

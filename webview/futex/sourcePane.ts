/** Draws the source pane (see source.ts): the program, the line the step ran, where each thread continues. */
import type { Selection } from 'd3-selection';
import type { CodeLine } from '../../extension/domain/futex';
import type { SourceView } from './source';

type Sel<E extends Element> = Selection<E, unknown, null, undefined>;

interface Item {
  l: CodeLine;
  k: number;
  next: string[];
}

export function renderSource(root: Sel<HTMLElement>, v: SourceView): void {
  root.select('p.src-title').text(v.program.title);
  root.select('h3.src-heading').text(v.heading);
  const items: Item[] = v.program.lines.map((l, k) => ({ l, k, next: l.id ? v.next.get(l.id) ?? [] : [] }));
  const li = root.select('ol.src').selectAll<HTMLLIElement, Item>('li')
    .data(items, (d) => `${v.program.id}|${d.k}`)
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
  // the listing's indentation as leading spaces (the list keeps white space: media/futex.css)
  li.select('code').text((d) => `${'  '.repeat(d.l.depth)}${d.l.text}`);
}

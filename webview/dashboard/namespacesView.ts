/**
 * "Shared memory and semaphores by container": one row per IPC namespace of the machine with three bars
 * against its own limits and /dev/shm, and the namespace picker in the header. Names are the containers'
 * text: set with textContent only (d3 .text), never as markup. Choosing a namespace (the picker, or a row's
 * name) asks the host to show it; the host only accepts one it listed.
 */
import { select } from 'd3-selection';
import { appendSpans } from '../common/spans';
import type { NamespaceBar, NamespaceRow } from '../layout/namespaces';

export function renderNamespacePicker(picker: HTMLSelectElement, rows: readonly NamespaceRow[], onPick: (ns: string) => void): void {
  const sel = select(picker);
  sel.classed('hidden', rows.length < 2);
  sel
    .selectAll<HTMLOptionElement, NamespaceRow>('option')
    .data(rows, (r) => r.ns)
    .join('option')
    .attr('value', (r) => r.ns)
    .property('disabled', (r) => r.host === null)
    .property('selected', (r) => r.current)
    .text((r) => `${r.label}${r.host === null ? ' (cannot be read)' : ''}`);
  sel.on('change', () => {
    const r = rows.find((x) => x.ns === picker.value);
    if (r?.host) onPick(r.ns);
  });
}

export function renderNamespaces(root: HTMLElement, rows: readonly NamespaceRow[], onPick: (ns: string) => void): void {
  const sel = select(root);
  sel.classed('hidden', rows.length < 2);
  const list = sel.selectAll<HTMLDivElement, number>('div.ns-list').data([0]).join('div').attr('class', 'ns-list').attr('role', 'list');
  list
    .selectAll<HTMLDivElement, NamespaceRow>('div.ns-row')
    .data(rows, (r) => r.ns)
    .join((enter) => {
      const row = enter.append('div').attr('role', 'listitem');
      const head = row.append('div').attr('class', 'ns-head');
      head.append('button').attr('class', 'ns-name');
      appendSpans(head, ['ns-id', 'ns-note']);
      row.append('div').attr('class', 'ns-problem');
      row.append('div').attr('class', 'ns-bars');
      return row;
    })
    .attr('class', (r) => `ns-row${r.current ? ' current' : ''}${r.problem ? ' has-problem' : ''}`)
    .attr('data-ns', (r) => r.ns)
    .each(function (r) {
      const row = select(this);
      row
        .select<HTMLButtonElement>('.ns-name')
        .text(r.label)
        .property('disabled', r.host === null || r.current)
        .attr('aria-current', r.current ? 'true' : null)
        .attr('title', r.host === null ? 'cannot be read' : r.current ? 'shown below' : 'show this namespace below')
        .on('click', () => {
          if (r.host) onPick(r.ns);
        });
      row.select('.ns-id').text(r.ns);
      row.select('.ns-note').text(r.note);
      row.select('.ns-problem').text(r.problem ?? '');
      row
        .select('.ns-bars')
        .selectAll<HTMLDivElement, NamespaceBar>('div.ns-bar')
        .data(r.bars, (b) => b.what)
        .join((enter) => {
          const b = enter.append('div');
          b.append('div').attr('class', 'ns-bar-title');
          b.append('div').attr('class', 'cap-track').append('div').attr('class', 'cap-used');
          appendSpans(b.append('div').attr('class', 'cap-nums'), ['cap-value', 'cap-pct']);
          return b;
        })
        .attr('class', (b) => `ns-bar level-${b.level}`)
        .attr('data-what', (b) => b.what)
        .attr('role', 'meter')
        .attr('aria-label', (b) => `${r.label}: ${b.title} ${b.valueText} ${b.pctText}`)
        .attr('aria-valuemin', 0)
        .attr('aria-valuemax', 100)
        .attr('aria-valuenow', (b) => Math.round(b.frac * 100))
        .each(function (b) {
          const e = select(this);
          e.select('.ns-bar-title').text(b.title);
          e.select<HTMLDivElement>('.cap-used').style('width', `${(b.frac * 100).toFixed(2)}%`);
          e.select('.cap-value').text(b.valueText);
          e.select('.cap-pct').text(b.pctText);
        });
    });
}

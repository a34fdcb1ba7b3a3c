/** Shared memory, message queues, processes (pid view) and POSIX objects: HTML rows via keyed joins. */
import { select } from 'd3-selection';
import { appendSpans } from '../common/spans';
import type { MsgBar, PidRow, ShmBar } from '../layout/others';

export interface ListHandlers {
  select(ref: string): void;
}

/** per list (its root), the row holding the list's one tab stop. */
const focusedRow = new WeakMap<HTMLElement, string>();

/**
 * Rows that open the detail on click, Enter or Space. The list is ONE tab stop (roving tabindex: the row last
 * focused, else the selected one, else the first); ArrowUp/ArrowDown move between rows.
 */
function clickable<T extends { ref: string }>(
  sel: import('d3-selection').Selection<HTMLElement, T, HTMLElement, unknown>,
  handlers: ListHandlers,
  root: HTMLElement,
  selected: string | null,
): void {
  const refs = sel.data().map((d) => d.ref);
  let stop = focusedRow.get(root);
  if (!stop || !refs.includes(stop)) stop = selected && refs.includes(selected) ? selected : refs[0];
  if (stop) focusedRow.set(root, stop);
  sel
    .attr('tabindex', (d) => (d.ref === stop ? 0 : -1))
    .attr('role', 'button')
    .on('focus', (_e, d) => {
      focusedRow.set(root, d.ref);
      sel.attr('tabindex', (x) => (x.ref === d.ref ? 0 : -1));
    })
    .on('click', (_e, d) => handlers.select(d.ref))
    .on('keydown', (e: KeyboardEvent, d) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        handlers.select(d.ref);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const el = e.currentTarget as HTMLElement;
        const next = (e.key === 'ArrowDown' ? el.nextElementSibling : el.previousElementSibling) as HTMLElement | null;
        next?.focus();
      }
    });
}

/** The one `div.rows` list in `root` (made on first use). */
function rowList(root: HTMLElement) {
  return select(root).selectAll<HTMLDivElement, number>('div.rows').data([0]).join('div').attr('class', 'rows').attr('role', 'list');
}

/** The fields a capacity bar row (shm, msg) shows the same way. */
type Bar = Pick<ShmBar, 'ref' | 'id' | 'keyText' | 'state' | 'frac' | 'text' | 'label'>;

/**
 * Keyed join of bar rows (key · id, a track filled to `frac`, the row's text from the column table) in
 * `root`'s list. Rows are clickable and keyboard-navigable; `empty` is shown when there are none.
 */
function renderBars<B extends Bar>(root: HTMLElement, bars: readonly B[], selected: string | null, handlers: ListHandlers, empty: string): void {
  const rows = rowList(root)
    .selectAll<HTMLDivElement, B>('div.row')
    .data(bars, (b) => b.ref)
    .join((enter) => {
      const r = enter.append('div');
      r.append('span').attr('class', 'row-key');
      const t = r.append('span').attr('class', 'row-track');
      t.append('span').attr('class', 'row-fill');
      r.append('span').attr('class', 'row-text');
      return r;
    })
    .attr('class', (b) => `row state-${b.state}${b.ref === selected ? ' selected' : ''}`)
    .attr('data-ref', (b) => b.ref)
    .attr('aria-label', (b) => b.label)
    .attr('title', (b) => b.label);
  rows.select('.row-key').text((b) => `${b.keyText} · id ${b.id}`);
  rows.select<HTMLSpanElement>('.row-fill').style('width', (b) => `${(b.frac * 100).toFixed(1)}%`);
  rows.select('.row-text').text((b) => b.text);
  clickable(rows as never, handlers, root, selected);
  emptyNote(root, bars.length === 0 ? empty : null);
}

export function renderShm(root: HTMLElement, bars: readonly ShmBar[], selected: string | null, handlers: ListHandlers): void {
  renderBars(root, bars, selected, handlers, 'No shared memory segments match.');
}

export function renderMsg(root: HTMLElement, bars: readonly MsgBar[], selected: string | null, handlers: ListHandlers): void {
  renderBars(root, bars, selected, handlers, 'No message queues match.');
}

export function renderPids(root: HTMLElement, rows: readonly PidRow[], more: number, handlers: ListHandlers): void {
  const list = select(root).selectAll<HTMLDivElement, number>('div.pids').data([0]).join('div').attr('class', 'pids').attr('role', 'list');
  const items = list
    .selectAll<HTMLDivElement, PidRow>('div.pid')
    .data(rows, (r) => String(r.pid))
    .join((enter) => {
      const r = enter.append('div').attr('role', 'listitem');
      appendSpans(r.append('div').attr('class', 'pid-head'), ['pid-num', 'pid-comm', 'pid-alive']);
      r.append('div').attr('class', 'pid-objects');
      return r;
    })
    .attr('class', (r) => `pid ${r.alive === null ? 'pid-unknown' : r.alive ? 'pid-live' : 'pid-dead'}`)
    .attr('aria-label', (r) => r.label);
  items.select('.pid-num').text((r) => `pid ${r.pid}`);
  items.select('.pid-comm').text((r) => r.comm || '(command unknown)');
  items.select('.pid-alive').text((r) => (r.alive === null ? 'unknown' : r.alive ? 'alive' : 'dead'));
  const chips = items
    .select('.pid-objects')
    .selectAll<HTMLButtonElement, PidRow['objects'][number]>('button.chip')
    .data((r) => r.objects.slice(0, 24), (o) => o.ref)
    .join('button')
    .attr('class', (o) => `chip state-${o.state}`)
    .attr('type', 'button')
    .attr('data-ref', (o) => o.ref)
    .attr('aria-label', (o) => `${o.text} (${o.roles.join(', ')}), ${o.state}`)
    .text((o) => `${o.text} · ${o.roles.join('/')}`);
  chips.on('click', (_e, o) => handlers.select(o.ref));
  select(root)
    .selectAll<HTMLDivElement, number>('div.more')
    .data(more > 0 ? [more] : [])
    .join('div')
    .attr('class', 'more')
    .text((n) => `${n} more processes: narrow with the filter (pid:N).`);
  emptyNote(root, rows.length === 0 ? 'No process is linked to the objects shown (semaphore last-op pids appear once a set is opened).' : null);
}

export interface PosixRow {
  ref: string;
  kind: string;
  name: string;
  text: string;
  state: string;
}

export function renderPosix(root: HTMLElement, items: readonly PosixRow[], selected: string | null, handlers: ListHandlers): void {
  const rows = rowList(root)
    .selectAll<HTMLDivElement, PosixRow>('div.row')
    .data(items, (p) => p.ref)
    .join((enter) => {
      const r = enter.append('div');
      r.append('span').attr('class', 'row-key');
      r.append('span').attr('class', 'row-text');
      return r;
    })
    .attr('class', (p) => `row posix state-${p.state}${p.ref === selected ? ' selected' : ''}`)
    .attr('data-ref', (p) => p.ref)
    .attr('aria-label', (p) => `${p.kind} ${p.name}, ${p.text}, ${p.state}`);
  rows.select('.row-key').text((p) => `${p.kind === 'posixSem' ? 'sem' : 'shm'} ${p.name}`);
  rows.select('.row-text').text((p) => p.text);
  clickable(rows as never, handlers, root, selected);
  emptyNote(root, items.length === 0 ? 'No POSIX semaphores or shared memory match.' : null);
}

function emptyNote(root: HTMLElement, text: string | null): void {
  select(root)
    .selectAll<HTMLDivElement, string>('div.empty')
    .data(text ? [text] : [])
    .join('div')
    .attr('class', 'empty')
    .text((t) => t);
}

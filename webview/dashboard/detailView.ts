/** The detail pane: every field of the selected object, a set's semaphores, the verdict and the actions. */
import { select } from 'd3-selection';
import { formatAge, formatBytes, formatBytesExact, formatKey, formatMode, formatTime } from '../../extension/shared/format';
import type { IpcErrorInfo, IpcObject, IpcSnapshot, ObjectRef, SemElem, Verdict } from '../../extension/shared/model';
import { refOf } from '../layout/refs';
import type { CopyWhat } from '../../extension/shared/dashboardProtocol';

/** Each action gets the ref of the object the pane showed when it was clicked. */
export interface DetailHandlers {
  copy(ref: ObjectRef, what: CopyWhat): void;
  inspect(ref: ObjectRef): void;
  recycle(ref: ObjectRef): void;
  close(): void;
}

export interface DetailInput {
  object: IpcObject | null;
  verdict: Verdict | undefined;
  snapshot: IpcSnapshot;
  /** per-semaphore detail from requestDetail; 'loading' until it arrives. */
  elems: SemElem[] | IpcErrorInfo | 'loading' | undefined;
  status: string;
}

type Field = [string, string];

function pidText(snapshot: IpcSnapshot, pid: number): string {
  if (!pid) return 'none';
  const f = snapshot.processes[pid];
  if (!f) return String(pid);
  return `${pid}${f.comm ? ` ${f.comm}` : ''} (${f.alive ? 'alive' : f.liveness === 'dead' ? 'dead' : 'liveness unknown'})`;
}

function fieldsOf(o: IpcObject, snapshot: IpcSnapshot): Field[] {
  const now = snapshot.takenAt / 1000;
  const t = (s: number): string => (s ? `${formatTime(s)} (${formatAge(s, now)})` : 'never');
  switch (o.kind) {
    case 'sem':
      return [
        ['key', formatKey(o.key)], ['id', String(o.id)], ['nsems', String(o.nsems)], ['owner', `uid ${o.uid} gid ${o.gid}`],
        ['creator', `uid ${o.cuid} gid ${o.cgid}`], ['mode', formatMode(o.mode)], ['last semop (otime)', t(o.otime)], ['changed (ctime)', t(o.ctime)],
        ...(o.valuesError ? ([['values', `${o.valuesError.code}: ${o.valuesError.message}`]] as Field[]) : []),
      ];
    case 'shm':
      return [
        ['key', formatKey(o.key)], ['id', String(o.id)], ['size', formatBytesExact(o.segsz)], ['owner', `uid ${o.uid} gid ${o.gid}`],
        ['creator', `uid ${o.cuid} gid ${o.cgid}`], ['mode', formatMode(o.mode)], ['creator pid', pidText(snapshot, o.cpid)], ['last pid', pidText(snapshot, o.lpid)],
        ['nattch', String(o.nattch)], ['attachers', o.attachers ? (o.attachers.map((p) => pidText(snapshot, p)).join(', ') || 'none') : 'not scanned'],
        ['attached (atime)', t(o.atime)], ['detached (dtime)', t(o.dtime)], ['changed (ctime)', t(o.ctime)],
        ['rss', o.rss !== undefined ? formatBytes(o.rss) : '?'], ['swap', o.swap !== undefined ? formatBytes(o.swap) : '?'],
        ['status', [o.dest ? 'marked for removal (SHM_DEST)' : '', o.locked ? 'locked (SHM_LOCKED)' : ''].filter(Boolean).join(', ') || '-'],
      ];
    case 'msg':
      return [
        ['key', formatKey(o.key)], ['id', String(o.id)], ['owner', `uid ${o.uid} gid ${o.gid}`], ['creator', `uid ${o.cuid} gid ${o.cgid}`],
        ['mode', formatMode(o.mode)], ['bytes used (cbytes)', `${formatBytes(o.cbytes)} of ${formatBytes(o.qbytes)} (qbytes)`], ['messages (qnum)', String(o.qnum)],
        ['last sender', pidText(snapshot, o.lspid)], ['last receiver', pidText(snapshot, o.lrpid)], ['sent (stime)', t(o.stime)], ['received (rtime)', t(o.rtime)], ['changed (ctime)', t(o.ctime)],
      ];
    case 'posixSem':
    case 'posixShm': {
      const f: Field[] = [
        ['name', o.name], ['path', o.path], ['owner', `uid ${o.uid} gid ${o.gid}`], ['mode', formatMode(o.mode)], ['size', formatBytesExact(o.size)],
        ['modified', t(o.mtime)], ['attachers', o.attachers ? (o.attachers.map((p) => pidText(snapshot, p)).join(', ') || 'none') : 'not scanned'],
      ];
      if (o.kind === 'posixSem' && o.decoded) f.push(['value', String(o.decoded.value)], ['waiters', String(o.decoded.nwaiters)], ['layout', o.decoded.layout]);
      if (o.kind === 'posixSem' && o.decodeError) f.push(['decode', `${o.decodeError.code}: ${o.decodeError.message}`]);
      return f;
    }
  }
}

interface SemRow {
  semnum: number;
  semval: string;
  ncount: string;
  zcount: string;
  pid: string;
}

function semRows(o: IpcObject, input: DetailInput): SemRow[] {
  if (o.kind !== 'sem') return [];
  const elems = Array.isArray(input.elems) ? input.elems : o.elems;
  const rows: SemRow[] = [];
  for (let i = 0; i < o.nsems; i++) {
    const e = elems?.[i];
    rows.push({
      semnum: i,
      semval: e ? String(e.semval) : o.values?.[i] !== undefined ? String(o.values[i]) : '?',
      ncount: e ? String(e.ncount) : '…',
      zcount: e ? String(e.zcount) : '…',
      pid: e ? pidText(input.snapshot, e.pid) : '…',
    });
  }
  return rows;
}

export function renderDetail(root: HTMLElement, input: DetailInput, handlers: DetailHandlers): void {
  const o = input.object;
  const pane = select(root);
  pane.classed('hidden', o === null).attr('aria-hidden', o === null ? 'true' : 'false');
  if (!o) return;
  const v = input.verdict;
  const title = o.kind === 'sem' ? `Semaphore set ${formatKey(o.key)} (id ${o.id})`
    : o.kind === 'shm' ? `Shared memory ${formatKey(o.key)} (id ${o.id})`
    : o.kind === 'msg' ? `Message queue ${formatKey(o.key)} (id ${o.id})`
    : `${o.kind === 'posixSem' ? 'POSIX semaphore' : 'POSIX shared memory'} ${o.name}`;

  const head = pane.selectAll<HTMLDivElement, number>('div.detail-head').data([0]).join((e) => {
    const h = e.append('div').attr('class', 'detail-head');
    h.append('h2').attr('id', 'detail-title');
    h.append('vscode-button').attr('class', 'detail-close').attr('secondary', '').attr('aria-label', 'close detail').text('Close');
    return h;
  });
  head.select('h2').text(title);
  // handlers are re-bound on every render: a listener bound once when the button is created would keep
  // acting on the object shown at that time
  head.select('.detail-close').on('click', () => handlers.close());

  pane.selectAll<HTMLDivElement, Verdict | null>('div.verdict').data([v ?? null]).join('div')
    .attr('class', (d) => `verdict state-${d?.state ?? 'unknown'}`)
    .text((d) => d ? `${d.state}${d.recyclable ? ' · recyclable' : ''}${d.owner ? ` · ${d.owner.label}` : ''}` : 'no verdict');
  pane.selectAll<HTMLUListElement, number>('ul.reasons').data([0]).join('ul').attr('class', 'reasons')
    .selectAll<HTMLLIElement, string>('li').data(v?.reasons ?? []).join('li').text((d) => d);

  const actions = pane.selectAll<HTMLDivElement, number>('div.actions').data([0]).join((e) => {
    const a = e.append('div').attr('class', 'actions').attr('role', 'toolbar').attr('aria-label', 'actions');
    a.append('vscode-button').attr('class', 'act-copy-key').attr('secondary', '').text('Copy key');
    a.append('vscode-button').attr('class', 'act-copy-id').attr('secondary', '').text('Copy id');
    a.append('vscode-button').attr('class', 'act-copy-json').attr('secondary', '').text('Copy JSON');
    a.append('vscode-button').attr('class', 'act-inspect').attr('secondary', '').text('Inspect in editor');
    a.append('vscode-button').attr('class', 'act-recycle').text('Recycle…');
    return a;
  });
  // the toolbar names the object it acts on; each click passes that ref to the handler
  const ref = refOf(o);
  actions.attr('data-ref', ref);
  actions.select('.act-copy-key').on('click', () => handlers.copy(ref, 'key'));
  actions.select('.act-copy-id').on('click', () => handlers.copy(ref, 'id'));
  actions.select('.act-copy-json').on('click', () => handlers.copy(ref, 'json'));
  actions.select('.act-inspect').on('click', () => handlers.inspect(ref));
  actions.select('.act-recycle').on('click', () => handlers.recycle(ref));
  const sysv = o.kind === 'sem' || o.kind === 'shm' || o.kind === 'msg';
  actions.select('.act-copy-key').classed('hidden', !sysv);
  actions.select('.act-copy-id').text(sysv ? 'Copy id' : 'Copy name');
  const recyclable = v?.recyclable === true;
  actions.select('.act-recycle')
    .classed('hidden', !sysv)
    .attr('disabled', recyclable ? null : '')
    .attr('title', recyclable
      ? 'Asks the extension to recycle this object: it re-checks the object and asks you to confirm first.'
      : 'Not a provable orphan (see the reasons above): the guarded recycle flow would refuse it.')
    .attr('aria-label', recyclable ? 'recycle: the extension re-checks and asks you to confirm' : 'recycle (unavailable: not a provable orphan)');

  pane.selectAll<HTMLDivElement, string>('div.status').data([input.status]).join('div').attr('class', 'status').attr('role', 'status').text((d) => d);

  const dl = pane.selectAll<HTMLDListElement, number>('dl.fields').data([0]).join('dl').attr('class', 'fields');
  const fields = dl.selectAll<HTMLDivElement, Field>('div.field').data(fieldsOf(o, input.snapshot), (f) => f[0]).join((e) => {
    const d = e.append('div').attr('class', 'field');
    d.append('dt');
    d.append('dd');
    return d;
  });
  fields.select('dt').text((f) => f[0]);
  fields.select('dd').text((f) => f[1]);

  const rows = semRows(o, input);
  const err = input.elems && !Array.isArray(input.elems) && input.elems !== 'loading' ? input.elems : null;
  pane.selectAll<HTMLDivElement, string>('div.sem-error').data(err ? [`${err.code}${err.syscall ? ` (${err.syscall}${err.op ? ` ${err.op}` : ''})` : ''}: ${err.message}${err.hint ? `. ${err.hint}` : ''}`] : [])
    .join('div').attr('class', 'sem-error').attr('role', 'alert').text((d) => d);
  const table = pane.selectAll<HTMLTableElement, number>('table.sems').data(rows.length ? [0] : []).join((e) => {
    const t = e.append('table').attr('class', 'sems');
    t.append('caption').text('Semaphores');
    const tr = t.append('thead').append('tr');
    for (const h of ['semnum', 'semval', 'ncount', 'zcount', 'last pid']) tr.append('th').attr('scope', 'col').text(h);
    t.append('tbody');
    return t;
  });
  const trs = table.select('tbody').selectAll<HTMLTableRowElement, SemRow>('tr').data(rows, (r) => String(r.semnum)).join((e) => {
    const tr = e.append('tr');
    for (let i = 0; i < 5; i++) tr.append('td');
    return tr;
  });
  trs.classed('waiting', (r) => r.ncount !== '0' && r.ncount !== '…' || r.zcount !== '0' && r.zcount !== '…');
  trs.selectAll<HTMLTableCellElement, string>('td').data((r) => [String(r.semnum), r.semval, r.ncount, r.zcount, r.pid]).text((d) => d);
  pane.selectAll<HTMLDivElement, string>('div.loading').data(input.elems === 'loading' ? ['Loading per-semaphore detail (GETPID/GETNCNT/GETZCNT)…'] : [])
    .join('div').attr('class', 'loading').text((d) => d);
}

/**
 * IPC Explorer dashboard (webview app). messenger -> state -> pure layout (webview/layout) -> D3 render.
 * Posts nothing before the page is set up; says `ready` once, then the host sends a fresh snapshot.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { select } from 'd3-selection';
import type { IpcErrorInfo, IpcObject, IpcSnapshot, ObjectRef, SemElem, SemSet, Verdict } from '../../extension/shared/model';
import {
  fromWire, isHostToWebview, PROTOCOL_VERSION, type CapacityRow, type CopyWhat, type DiffMarks, type HostToWebview, type NamespaceItem, type WebviewToHost,
} from '../../extension/shared/dashboardProtocol';
import { layoutNamespaces } from '../layout/namespaces';
import { renderNamespacePicker, renderNamespaces } from './namespacesView';
import { formatAge, formatTimestamp } from '../../extension/shared/format';
import { listText } from '../../extension/shared/objectColumns';
import { WebviewMessenger } from '../common/messenger';
import { loadState, saveState } from '../common/viewState';
import { capacityBars, orphanSummary, orphanUsage, type OrphanSummary } from '../layout/capacity';
import { compileFilter } from '../layout/filter';
import { diffRefs, layoutMsg, layoutPids, layoutShm } from '../layout/others';
import { refOf, verdictIndex, type VerdictIndex } from '../layout/refs';
import { layoutSemSets, type ChangeMark } from '../layout/semSets';
import { renderCapacity } from './capacityView';
import { renderDetail } from './detailView';
import { renderMsg, renderPids, renderPosix, renderShm, type PosixRow } from './listsView';
import { focusMapCell, renderSemMap } from './semMapView';
import { pendingOrphans, pendingText, type PendingOrphan } from '../../extension/domain/nextActions';

const TABS = ['sems', 'pids', 'shm', 'msg', 'posix'] as const;
type Tab = (typeof TABS)[number];
const TAB_TITLES: Record<Tab, string> = { sems: 'Semaphore sets', pids: 'Processes', shm: 'Shared memory', msg: 'Message queues', posix: 'POSIX' };

interface ViewState {
  filter: string;
  tab: Tab;
  selected: ObjectRef | null;
  /** the host shown, so the panel serializer reopens the same one. */
  host: string | null;
}
const STATE_VERSION = 1;
function isViewState(x: unknown): x is ViewState {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return (
    typeof o.filter === 'string' && o.filter.length <= 256 &&
    typeof o.tab === 'string' && (TABS as readonly string[]).includes(o.tab) &&
    (o.selected === null || (typeof o.selected === 'string' && o.selected.length <= 300)) &&
    (o.host === null || (typeof o.host === 'string' && o.host.length <= 300))
  );
}

interface Data {
  host: string;
  snapshot: IpcSnapshot;
  /** by ref, and by object for the snapshot's sets (layout/refs.ts) */
  verdicts: VerdictIndex;
  capacity: CapacityRow[];
  changes: Map<ObjectRef, Exclude<ChangeMark, null>>;
  vanishedSets: SemSet[];
  /** the previous snapshot's verdicts of the vanished sets (they keep their group for their last cycle). */
  layoutVerdicts: VerdictIndex;
  /** what depends only on the snapshot and its verdicts, computed at its first render (32,000 sets: tens of ms) */
  derived?: Derived;
}

interface Derived {
  orphans: Map<string, number>;
  summary: OrphanSummary;
  recyclable: number;
  pending: PendingOrphan[];
}

function derivedOf(d: Data): Derived {
  if (d.derived) return d.derived;
  let recyclable = 0;
  for (const v of d.verdicts.values()) if (v.recyclable && /^(sem|shm|msg):/.test(v.ref)) recyclable++;
  d.derived = {
    orphans: orphanUsage(d.snapshot, d.verdicts),
    summary: orphanSummary(d.snapshot, d.verdicts),
    recyclable,
    pending: pendingOrphans(d.verdicts.values()),
  };
  return d.derived;
}

const ui: ViewState = loadState<ViewState>(STATE_VERSION, { filter: '', tab: 'sems', selected: null, host: null }, isViewState);
let data: Data | null = null;
/** per-semaphore detail and the re-assessed verdict of the sets opened, for the current refresh only. */
const details = new Map<number, SemElem[] | IpcErrorInfo | 'loading'>();
const detailVerdicts = new Map<number, Verdict>();
let status = '';
let renders = 0;
/** the machine's IPC namespaces (empty: only one visible) and the one shown */
let namespaces: { current: string; items: NamespaceItem[] } = { current: '', items: [] };

const messenger = new WebviewMessenger<HostToWebview, WebviewToHost>(isHostToWebview, onMessage, fromWire);

// ---- page skeleton (built here: the HTML carries no inline markup beyond #app) ----
const app = select<HTMLElement, unknown>('#app').attr('class', 'dashboard');
const header = app.append('header').attr('class', 'top');
const hostBox = header.append('div').attr('class', 'host-box');
const hostLine = hostBox.append('div').attr('class', 'host-line').attr('role', 'status').attr('aria-live', 'polite');
// how old the data on screen is, kept current between snapshots (outside the live region: a ticking age
// would be announced every few seconds)
const ageLine = hostBox.append('div').attr('class', 'snapshot-age');
const tools = header.append('div').attr('class', 'tools');
const nsPicker = tools
  .append('select')
  .attr('class', 'ns-picker hidden')
  .attr('aria-label', 'IPC namespace (container) shown')
  .node()!;
const filterBox = tools
  .append('vscode-textfield')
  .attr('class', 'filter')
  .attr('placeholder', 'Filter: key, id, owner, pid, state (e.g. state:orphan owner:postgresql key:0x…)')
  .attr('aria-label', 'filter objects by key, id, owner, pid or state')
  .property('value', ui.filter);
tools.append('vscode-button').attr('class', 'refresh').attr('secondary', '').text('Refresh').on('click', () => messenger.post({ type: 'refresh' }));
const warnings = app.append('div').attr('class', 'warnings').attr('role', 'alert');
/** warnings the person dismissed (by text: a changed warning shows again), for this panel's life. */
const dismissed = new Set<string>();
/** re-render while a "becomes recyclable in N s" countdown is on screen. */
let countdown: number | undefined;
const nsSection = app.append('section').attr('class', 'namespaces hidden').attr('aria-labelledby', 'ns-title');
nsSection.append('h2').attr('id', 'ns-title').text('Shared memory and semaphores by container');
const nsRoot = nsSection.append('div').attr('class', 'ns-body').node()!;
const capacitySection = app.append('section').attr('class', 'capacity').attr('aria-label', 'capacity against kernel limits');
capacitySection.append('h2').text('Capacity');
const capacityRoot = capacitySection.append('div').attr('class', 'capacity-body');
const main = app.append('div').attr('class', 'main');
const tabs = main.append('vscode-tabs').attr('class', 'tabs').attr('selected-index', TABS.indexOf(ui.tab));
const panels = new Map<Tab, HTMLElement>();
for (const t of TABS) {
  tabs.append('vscode-tab-header').attr('slot', 'header').attr('data-tab', t).text(TAB_TITLES[t]);
  const p = tabs.append('vscode-tab-panel').attr('class', `panel panel-${t}`).attr('aria-label', TAB_TITLES[t]);
  panels.set(t, p.append('div').attr('class', `panel-body body-${t}`).node()!);
}
const detailRoot = main.append('aside').attr('class', 'detail hidden').attr('aria-labelledby', 'detail-title').node()!;
const errorBar = app.append('div').attr('class', 'error-bar').attr('role', 'alert');

tabs.on('vsc-tabs-select', (e: CustomEvent<{ selectedIndex: number }>) => {
  const t = TABS[e.detail.selectedIndex];
  if (t && t !== ui.tab) {
    ui.tab = t;
    persist();
    render();
  }
});
let filterTimer: number | undefined;
filterBox.on('input', (e: Event) => {
  const value = String((e.target as HTMLInputElement).value ?? '').slice(0, 256);
  window.clearTimeout(filterTimer);
  filterTimer = window.setTimeout(() => setFilter(value), 120);
});
window.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && ui.selected) {
    closeDetail();
  } else if (e.key === '/' && !(e.target instanceof HTMLInputElement) && (e.target as HTMLElement | null)?.tagName !== 'VSCODE-TEXTFIELD') {
    e.preventDefault();
    (filterBox.node() as HTMLElement).focus();
  }
});
let resizePending = false;
/** the map's width at its last layout: only a change of it needs a new layout (the height follows the map) */
let laidOutWidth = -1;
new ResizeObserver(() => {
  if (resizePending) return;
  resizePending = true;
  requestAnimationFrame(() => {
    resizePending = false;
    if (mapWidth() !== laidOutWidth) render();
  });
}).observe(panels.get('sems')!);

function mapWidth(): number {
  return Math.max(240, panels.get('sems')!.clientWidth - 8);
}

/** Closes the detail and gives focus back to the map cell (or list row) it was opened from. */
function closeDetail(): void {
  const ref = ui.selected;
  ui.selected = null;
  persist();
  render();
  if (ref) focusObject(ref);
}

function focusObject(ref: ObjectRef): void {
  const panel = panels.get(ui.tab);
  const el = [...(panel?.querySelectorAll<HTMLElement | SVGElement>('[data-ref]') ?? [])].find((x) => x.dataset.ref === ref);
  if (!el) return;
  if (el instanceof SVGElement) focusMapCell(panel!, ref);
  else el.focus();
}

function setFilter(value: string): void {
  if (value === ui.filter) return;
  ui.filter = value;
  filterBox.property('value', value);
  persist();
  messenger.post({ type: 'setFilter', text: value });
  render();
}

function persist(): void {
  saveState<ViewState>(STATE_VERSION, { ...ui });
}

// ---- messages ----
function onMessage(m: HostToWebview): void {
  switch (m.type) {
    case 'namespaces':
      namespaces = { current: m.current, items: m.items };
      break;
    case 'snapshot':
      // marks for `npm run bench dashboard` (its split of a first render: delivery, decode, layout + draw)
      performance.mark('dashboard:snapshot');
      acceptSnapshot(m.host, m.snapshot, m.verdicts, m.capacity, m.diff);
      break;
    case 'detail':
      details.set(m.id, 'elems' in m ? m.elems : m.error);
      if (m.verdict) detailVerdicts.set(m.id, m.verdict);
      break;
    case 'didRecycle':
      status = m.message;
      break;
    case 'focus':
      select_(m.ref);
      return;
    case 'error':
      errorBar.text(`${m.error.code}${m.error.syscall ? ` (${m.error.syscall})` : ''}: ${m.error.message}${m.error.hint ? `. ${m.error.hint}` : ''}`);
      break;
  }
  render();
}

function acceptSnapshot(host: string, snapshot: IpcSnapshot, verdicts: Verdict[], capacity: CapacityRow[], diff: DiffMarks | null): void {
  const prev = data;
  const changes = new Map<ObjectRef, Exclude<ChangeMark, null>>();
  let vanishedRefs: ObjectRef[] = [];
  if (prev && prev.host === host && prev.snapshot.takenAt === snapshot.takenAt) {
    // the same refresh re-sent (per-semaphore detail arrived, verdicts updated): keep this cycle's marks
    for (const [r, c] of prev.changes) changes.set(r, c);
    data = { ...prev, snapshot, verdicts: verdictIndex(snapshot.sems, verdicts), capacity, changes, derived: undefined };
    data.layoutVerdicts = data.verdicts;
    if (prev.vanishedSets.length) {
      const kept: Verdict[] = [];
      for (const s of prev.vanishedSets) {
        const v = prev.layoutVerdicts.get(refOf(s));
        if (v) kept.push(v);
      }
      data.layoutVerdicts = data.verdicts.with(kept);
    }
    errorBar.text('');
    return;
  }
  if (prev && prev.host === host) {
    const d = diff ?? { ...diffRefs(allRefs(prev.snapshot), allRefs(snapshot)), changed: [] };
    for (const r of d.appeared) changes.set(r, 'appeared');
    for (const r of d.changed) changes.set(r, 'changed');
    vanishedRefs = d.vanished;
  }
  // per-semaphore detail belongs to one refresh: a new one reads it again for the set being looked at
  details.clear();
  detailVerdicts.clear();
  // by id (a number), not by building every set's ref
  const vanishedIds = new Set(vanishedRefs.filter((r) => r.startsWith('sem:')).map((r) => Number(r.slice(4))));
  const vanishedSets = prev && vanishedIds.size ? prev.snapshot.sems.filter((s) => vanishedIds.has(s.id)) : [];
  const vmap = verdictIndex(snapshot.sems, verdicts);
  // the vanished sets keep their last verdict (and so their group) for one refresh
  const kept: Verdict[] = [];
  for (const s of vanishedSets) {
    const v = prev?.verdicts.get(refOf(s));
    if (v) kept.push(v);
  }
  const layoutVerdicts = kept.length ? vmap.with(kept) : vmap;
  data = { host, snapshot, verdicts: vmap, capacity, changes, vanishedSets, layoutVerdicts };
  const open = ui.selected ? snapshot.sems.find((s) => refOf(s) === ui.selected) : undefined;
  if (open) {
    details.set(open.id, 'loading');
    messenger.post({ type: 'requestDetail', kind: 'sem', id: open.id });
  }
  if (ui.host !== host) {
    ui.host = host;
    persist();
  }
  errorBar.text('');
}

function allRefs(s: IpcSnapshot): ObjectRef[] {
  return [...s.sems, ...s.shms, ...s.msgs, ...s.posixSems, ...s.posixShms].map(refOf);
}

function findObject(ref: ObjectRef | null): IpcObject | null {
  if (!data || !ref) return null;
  const s = data.snapshot;
  for (const list of [s.sems, s.shms, s.msgs, s.posixSems, s.posixShms] as IpcObject[][]) {
    const o = list.find((x) => refOf(x) === ref);
    if (o) return o;
  }
  return null;
}

function select_(ref: ObjectRef): void {
  ui.selected = ref;
  status = '';
  persist();
  messenger.post({ type: 'selectObject', ref });
  const o = findObject(ref);
  if (o?.kind === 'sem' && !details.has(o.id)) {
    details.set(o.id, 'loading');
    messenger.post({ type: 'requestDetail', kind: 'sem', id: o.id });
  }
  render();
  // move focus into the detail pane for keyboard users
  requestAnimationFrame(() => (detailRoot.querySelector('h2') as HTMLElement | null)?.focus());
}

function copy(ref: ObjectRef, what: CopyWhat): void {
  messenger.post({ type: 'copy', ref, what: what === 'id' && !ref.match(/^(sem|shm|msg):/) ? 'name' : what });
}

/** The verdict the detail pane shows: the one re-assessed with per-semaphore detail, else the snapshot's. */
function shownVerdict(o: IpcObject | null, ref: ObjectRef | null): Verdict | undefined {
  return (o?.kind === 'sem' ? detailVerdicts.get(o.id) : undefined) ?? (ref && data ? data.verdicts.get(ref) : undefined);
}

/** Recycle… on the object the pane shows (`ref`, read at click time): the host re-checks it and asks. */
function requestRecycle(ref: ObjectRef): void {
  const o = findObject(ref);
  if (!o || (o.kind !== 'sem' && o.kind !== 'shm' && o.kind !== 'msg') || !shownVerdict(o, ref)?.recyclable) return;
  status = `Asked the extension to recycle ${o.kind} id ${o.id}: it re-checks the object and asks you to confirm.`;
  messenger.post({ type: 'requestRecycle', kind: o.kind, id: o.id, key: o.key, ctime: o.ctime });
  render();
}

function pickNamespace(ns: string): void {
  const it = namespaces.items.find((i) => i.ns === ns);
  if (!it?.host || it.host === namespaces.current) return;
  status = '';
  messenger.post({ type: 'selectNamespace', ns });
}

// ---- render ----
function renderAge(): void {
  ageLine.text(data ? `snapshot taken ${formatAge(Math.floor(data.snapshot.takenAt / 1000), Math.floor(Date.now() / 1000))}` : '');
}
window.setInterval(renderAge, 5000);

function render(): void {
  renderAge();
  const nsRows = layoutNamespaces(namespaces.items, namespaces.current);
  nsSection.classed('hidden', nsRows.length < 2);
  renderNamespacePicker(nsPicker, nsRows, pickNamespace);
  renderNamespaces(nsRoot, nsRows, pickNamespace);
  hostLine.text(
    data
      ? `${data.host}${data.snapshot.hostname ? ` (${data.snapshot.hostname})` : ''} · ${data.snapshot.platform}${data.snapshot.kernel ? ` ${data.snapshot.kernel}` : ''} · source ${data.snapshot.source} · taken ${formatTimestamp(data.snapshot.takenAt)}`
      : 'Waiting for the first snapshot…',
  );
  if (!data) return;
  const { snapshot, verdicts } = data;
  warnings
    .selectAll<HTMLDivElement, string>('div.warning')
    .data(
      [...snapshot.warnings, ...snapshot.errors.slice(0, 5).map((e) => `${e.kind} ${e.id ?? e.name ?? ''}: ${e.error.code} ${e.error.message}`)].filter((w) => !dismissed.has(w)),
      (d) => d,
    )
    .join((e) => {
      const w = e.append('div').attr('class', 'warning');
      w.append('span').attr('class', 'warning-text');
      w.append('vscode-button').attr('class', 'warning-dismiss').attr('secondary', '').text('Dismiss');
      return w;
    })
    .call((w) => w.select('.warning-text').text((d) => d))
    .call((w) =>
      w.select('.warning-dismiss')
        .attr('aria-label', (d) => `dismiss: ${d.slice(0, 80)}`)
        .on('click', (_e, d) => {
          dismissed.add(d);
          render();
          (filterBox.node() as HTMLElement).focus();
        }),
    );

  // the next action next to what it frees: recycle the provable orphans, or say when they will be
  const derived = derivedOf(data);
  const elapsed = Math.max(0, (Date.now() - snapshot.takenAt) / 1000);
  const soon = pendingText(derived.pending, elapsed);
  window.clearTimeout(countdown);
  if (soon.waitSeconds > 0) countdown = window.setTimeout(render, 1000);
  renderCapacity(capacityRoot.node()!, capacityBars(data.capacity, derived.orphans), derived.summary, {
    recyclable: derived.recyclable,
    pending: soon.text,
    onRecycle: () => {
      status = 'Asked the extension to plan the recycle: it shows the plan and asks you to confirm.';
      messenger.post({ type: 'requestRecycleOrphans' });
    },
  });

  const match = compileFilter(ui.filter, snapshot, verdicts);
  const keep = <T extends IpcObject>(xs: T[]): T[] => (match ? xs.filter(match) : xs);
  const sems = keep(snapshot.sems);
  const shms = keep(snapshot.shms);
  const msgs = keep(snapshot.msgs);
  const posix = keep<IpcObject>([...snapshot.posixSems, ...snapshot.posixShms]);
  const counts: Record<Tab, number> = {
    sems: sems.length,
    pids: -1,
    shm: shms.length,
    msg: msgs.length,
    posix: posix.length,
  };
  tabs.selectAll<HTMLElement, unknown>('vscode-tab-header').each(function (_d, i) {
    const t = TABS[i]!;
    this.textContent = counts[t] >= 0 ? `${TAB_TITLES[t]} (${counts[t]})` : TAB_TITLES[t];
  });
  const onSelect = { select: select_ };
  const selected = ui.selected;
  if (ui.tab === 'sems') {
    const root = panels.get('sems')!;
    const width = mapWidth();
    laidOutWidth = width;
    const vanished = match ? data.vanishedSets.filter(match) : data.vanishedSets;
    renderSemMap(root, layoutSemSets(sems, data.layoutVerdicts, { width }, data.changes, vanished), selected, { ...onSelect, zoom: setFilter });
  } else if (ui.tab === 'pids') {
    const visible = new Set([...sems, ...shms, ...msgs, ...posix].map(refOf));
    const { rows, more } = layoutPids(snapshot, verdicts, (r) => visible.has(r));
    renderPids(panels.get('pids')!, rows, more, onSelect);
  } else if (ui.tab === 'shm') {
    renderShm(panels.get('shm')!, layoutShm(shms, verdicts).bars, selected, onSelect);
  } else if (ui.tab === 'msg') {
    renderMsg(panels.get('msg')!, layoutMsg(msgs, verdicts), selected, onSelect);
  } else {
    const rows: PosixRow[] = posix.map((o) => {
      const ref = refOf(o);
      const p = o as Extract<IpcObject, { kind: 'posixSem' | 'posixShm' }>;
      return { ref, kind: p.kind, name: p.name, text: listText(p), state: verdicts.get(ref)?.state ?? 'unknown' };
    });
    renderPosix(panels.get('posix')!, rows, selected, onSelect);
  }

  const obj = findObject(selected);
  renderDetail(
    detailRoot,
    {
      object: obj,
      verdict: shownVerdict(obj, selected),
      snapshot,
      elems: obj?.kind === 'sem' ? details.get(obj.id) : undefined,
      status,
    },
    {
      copy,
      inspect: (ref) => messenger.post({ type: 'inspect', ref }),
      recycle: requestRecycle,
      close: () => closeDetail(),
    },
  );
  select(detailRoot).select('h2').attr('tabindex', -1);
  renders++;
  document.body.dataset.renders = String(renders);
  performance.mark('dashboard:rendered');
}

render();
messenger.post({ type: 'ready', protocol: PROTOCOL_VERSION });

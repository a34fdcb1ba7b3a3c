/**
 * Semaphore-set map (pure): sets grouped by owner (recognised application, else uid), ordered by key
 * (unsigned hex) inside each group, each cell sized by nsems and coloured by verdict. Beyond
 * `aggregateThreshold` visible sets, each group larger than `maxCellsPerGroup` collapses into key-range
 * cells (count, semaphores, states) so 32,000 sets stay a few hundred DOM nodes; smaller groups stay
 * individual; filtering (a cell's zoom) narrows back to individual sets.
 */
import { scaleSqrt } from 'd3-scale';
import type { ObjectRef, SemSet, Verdict, VerdictState } from '../../extension/shared/model';
import { keyHex, keyU32, refOf, verdictOf } from './refs';

export type ChangeMark = 'appeared' | 'vanished' | 'changed' | null;

export interface SetMark {
  type: 'set';
  /** the join key: the object ref. */
  ref: ObjectRef;
  id: number;
  key: number;
  keyText: string;
  nsems: number;
  group: string;
  state: VerdictState;
  recyclable: boolean;
  change: ChangeMark;
  x: number;
  y: number;
  w: number;
  h: number;
  /** the accessible name, e.g. "set 0x0052e2c1 id 3, 17 semaphores, orphan, PostgreSQL". */
  label: string;
}

export interface AggMark {
  type: 'agg';
  /** stable within a group and a count: `agg:<group>:<index>`. */
  ref: string;
  group: string;
  count: number;
  nsems: number;
  states: Record<VerdictState, number>;
  /** the state most sets in the cell have (orphan wins ties, it is the one that matters). */
  dominant: VerdictState;
  keyFrom: number;
  keyTo: number;
  /** filter text that narrows the map to this cell's sets. */
  zoomFilter: string;
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
}

export interface GroupMark {
  id: string;
  title: string;
  /** the filter token selecting the group: `owner:postgresql` or `uid:1000`. */
  filterToken: string;
  y: number;
  count: number;
  orphans: number;
  nsems: number;
}

export interface ScaleDescriptor {
  type: 'sqrt';
  domain: [number, number];
  range: [number, number];
}

export interface SemMapLayout {
  /** 'aggregate' when at least the big groups are drawn as key-range cells. */
  mode: 'sets' | 'aggregate';
  width: number;
  height: number;
  groups: GroupMark[];
  marks: SetMark[];
  aggregates: AggMark[];
  widthScale: ScaleDescriptor;
}

export interface SemMapOptions {
  width: number;
  cellHeight?: number;
  gap?: number;
  headerHeight?: number;
  minCellWidth?: number;
  maxCellWidth?: number;
  aggregateThreshold?: number;
  /** in aggregate mode, at most this many cells per group. */
  maxCellsPerGroup?: number;
}

export const DEFAULT_AGGREGATE_THRESHOLD = 1500;

interface GroupKey {
  id: string;
  title: string;
  filterToken: string;
}

interface Entry {
  set: SemSet;
  vanished: boolean;
  v: Verdict | undefined;
}

function groupOf(set: SemSet, verdict: Verdict | undefined): GroupKey {
  const owner = verdict?.owner;
  if (owner) {
    const app = owner.app.toLowerCase().replace(/\s+/g, '-');
    const name = owner.label.split(',')[0]?.trim() || owner.app;
    return { id: `app:${app}`, title: `${name} (uid ${set.uid})`, filterToken: `owner:${app}` };
  }
  return { id: `uid:${set.uid}`, title: `uid ${set.uid}`, filterToken: `uid:${set.uid}` };
}

const STATE_ORDER: readonly VerdictState[] = ['orphan', 'unreadable', 'unknown', 'live'];

function emptyStates(): Record<VerdictState, number> {
  return { live: 0, orphan: 0, unreadable: 0, unknown: 0 };
}

export function layoutSemSets(
  sets: readonly SemSet[],
  verdicts: ReadonlyMap<ObjectRef, Verdict>,
  options: SemMapOptions,
  changes: ReadonlyMap<ObjectRef, Exclude<ChangeMark, null>> = new Map(),
  vanished: readonly SemSet[] = [],
): SemMapLayout {
  const width = Math.max(120, options.width);
  const cellH = options.cellHeight ?? 28;
  const gap = options.gap ?? 4;
  const headerH = options.headerHeight ?? 22;
  const minW = options.minCellWidth ?? 22;
  const maxW = Math.min(options.maxCellWidth ?? 120, width);
  const threshold = options.aggregateThreshold ?? DEFAULT_AGGREGATE_THRESHOLD;
  const maxCells = options.maxCellsPerGroup ?? 48;

  // each set's verdict looked up once (32,000 sets: every lookup builds its ref and hashes it)
  const all: Entry[] = [];
  let maxNsems = 1;
  for (const set of sets) {
    all.push({ set, vanished: false, v: verdictOf(verdicts, set) });
    if (set.nsems > maxNsems) maxNsems = set.nsems;
  }
  for (const set of vanished) {
    all.push({ set, vanished: true, v: verdictOf(verdicts, set) });
    if (set.nsems > maxNsems) maxNsems = set.nsems;
  }
  const domain: [number, number] = [1, Math.max(2, maxNsems)];
  const range: [number, number] = [minW, Math.max(minW, maxW)];
  const wScale = scaleSqrt().domain(domain).range(range).clamp(true);

  // group, then order by unsigned key, then id (IPC_PRIVATE sets share key 0)
  const byGroup = new Map<string, { key: GroupKey; items: Entry[] }>();
  for (const e of all) {
    // the group's key strings are built once per group (an owner's group id needs groupOf's normalisation)
    const g = e.v?.owner ? groupOf(e.set, e.v) : undefined;
    const id = g ? g.id : `uid:${e.set.uid}`;
    let bucket = byGroup.get(id);
    if (!bucket) byGroup.set(id, (bucket = { key: g ?? groupOf(e.set, e.v), items: [] }));
    bucket.items.push(e);
  }
  const groupsSorted = [...byGroup.values()].sort((a, b) => {
    const aApp = a.key.id.startsWith('app:') ? 0 : 1;
    const bApp = b.key.id.startsWith('app:') ? 0 : 1;
    if (aApp !== bApp) return aApp - bApp;
    return a.key.id.localeCompare(b.key.id, 'en', { numeric: true });
  });
  for (const g of groupsSorted) g.items.sort((a, b) => (a.set.key >>> 0) - (b.set.key >>> 0) || a.set.id - b.set.id);

  const aggregate = sets.length > threshold;
  const groups: GroupMark[] = [];
  const marks: SetMark[] = [];
  const aggregates: AggMark[] = [];
  let y = 0;
  for (const g of groupsSorted) {
    let orphans = 0;
    let nsems = 0;
    for (const e of g.items) {
      if (e.vanished) continue;
      nsems += e.set.nsems;
      if (e.v?.state === 'orphan') orphans++;
    }
    groups.push({
      id: g.key.id,
      title: g.key.title,
      filterToken: g.key.filterToken,
      y,
      count: g.items.filter((e) => !e.vanished).length,
      orphans,
      nsems,
    });
    y += headerH;
    let x = 0;
    const place = (w: number): { x: number; y: number } => {
      if (x > 0 && x + w > width) {
        x = 0;
        y += cellH + gap;
      }
      const at = { x, y };
      x += w + gap;
      return at;
    };
    // small groups stay individual even when the map aggregates (a handful of orphans must stay visible)
    if (!aggregate || g.items.length <= maxCells) {
      for (const e of g.items) {
        const s = e.set;
        const ref = refOf(s);
        const v = e.v;
        const w = Math.round(wScale(Math.max(1, s.nsems)));
        const at = place(w);
        const state: VerdictState = v?.state ?? 'unknown';
        const change: ChangeMark = e.vanished ? 'vanished' : changes.get(ref) ?? null;
        marks.push({
          type: 'set',
          ref,
          id: s.id,
          key: s.key,
          keyText: keyHex(s.key),
          nsems: s.nsems,
          group: g.key.id,
          state,
          recyclable: v?.recyclable ?? false,
          change,
          x: at.x,
          y: at.y,
          w,
          h: cellH,
          label: `semaphore set ${keyHex(s.key)} id ${s.id}, ${s.nsems} semaphore${s.nsems === 1 ? '' : 's'}, ${
            e.vanished ? 'vanished' : state
          }${v?.recyclable ? ' (recyclable)' : ''}, ${g.key.title}${change && change !== 'vanished' ? `, ${change}` : ''}`,
        });
      }
    } else {
      const live = g.items.filter((e) => !e.vanished);
      const per = Math.max(1, Math.ceil(live.length / maxCells));
      const cellW = 64;
      for (let i = 0, idx = 0; i < live.length; i += per, idx++) {
        const chunk = live.slice(i, i + per);
        const states = emptyStates();
        let ns = 0;
        for (const e of chunk) {
          states[e.v?.state ?? 'unknown']++;
          ns += e.set.nsems;
        }
        let dominant: VerdictState = 'unknown';
        let best = -1;
        for (const st of STATE_ORDER) {
          if (states[st] > best) {
            best = states[st];
            dominant = st;
          }
        }
        const keyFrom = keyU32(chunk[0]!.set.key);
        const keyTo = keyU32(chunk[chunk.length - 1]!.set.key);
        const at = place(cellW);
        const range = `${keyHex(keyFrom)}-${keyHex(keyTo)}`.replace(/IPC_PRIVATE/g, '0x00000000');
        aggregates.push({
          type: 'agg',
          ref: `agg:${g.key.id}:${idx}`,
          group: g.key.id,
          count: chunk.length,
          nsems: ns,
          states,
          dominant,
          keyFrom,
          keyTo,
          zoomFilter: `${g.key.filterToken} key:${range}`,
          x: at.x,
          y: at.y,
          w: cellW,
          h: cellH,
          label: `${chunk.length} semaphore sets, keys ${range}, ${ns} semaphores, ${states.orphan} orphan, ${states.live} live, ${g.key.title}`,
        });
      }
    }
    y += cellH + gap + (g.items.length === 0 ? 0 : 4);
  }
  return {
    mode: aggregate ? 'aggregate' : 'sets',
    width,
    height: y,
    groups,
    marks,
    aggregates,
    widthScale: { type: 'sqrt', domain, range },
  };
}

/** px per character of the cell label (10px monospace) and the padding a label keeps from the cell's edge. */
const LABEL_CHAR_PX = 6.2;
const LABEL_PAD_PX = 4;

/**
 * What a set's cell says: its key exactly as everywhere else (`0x0052e2c1`, `IPC_PRIVATE`) when it fits,
 * else the key's last four (or two) hex digits after an ellipsis (`…5555`), else nothing (the tooltip and the
 * accessible name carry the key). Never another number: a bare count in a cell reads as a key.
 */
export function cellKeyLabel(keyText: string, width: number): string {
  const fits = (t: string): boolean => t.length * LABEL_CHAR_PX + LABEL_PAD_PX <= width;
  if (fits(keyText)) return keyText;
  if (/^0x[0-9a-f]{8}$/.test(keyText)) {
    if (fits('…0000')) return `…${keyText.slice(-4)}`;
    if (fits('…00')) return `…${keyText.slice(-2)}`;
  }
  return '';
}

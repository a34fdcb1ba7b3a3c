/**
 * Every field of an object as labelled rows, shared by the tree's markdown tooltips and the inspect document.
 * Pure (no vscode): data in, rows out.
 */
import { formatDuration } from '../shared/format';
import type { IpcObject, IpcSnapshot, Verdict } from '../shared/model';
import { tooltipRows } from '../shared/objectColumns';
import { pidText, stateText } from './presentation';

export type Row = [label: string, value: string];

/**
 * Labelled rows for every field of `o` (the column table's tooltip rows); pids carry their command name
 * and liveness from the snapshot.
 */
export function objectRows(o: IpcObject, snap: IpcSnapshot, name: (uid: number) => string): Row[] {
  return tooltipRows(o, { pid: (p) => pidText(p, snap.processes), user: name, group: String });
}

export function verdictRows(v: Verdict | undefined): Row[] {
  if (!v) return [['state', 'not assessed']];
  const rows: Row[] = [['state', stateText(v)]];
  if (v.owner) rows.push(['owner app', v.owner.label]);
  if (v.orphanForSeconds !== undefined) rows.push(['orphaned for', formatDuration(v.orphanForSeconds)]);
  v.reasons.forEach((r, i) => rows.push([i === 0 ? 'because' : '', r]));
  return rows;
}

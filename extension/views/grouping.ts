/**
 * Keeps big kinds navigable: a kind with more objects than the threshold is split by owner (uid), and an
 * owner group that is still too big into consecutive ranges of `rangeSize` objects (by id, or by name for
 * POSIX objects). 32,000 sets become e.g. 1 owner x 64 ranges of 500: no flat list of 32,000 rows.
 * Pure: objects in, groups out.
 */
import type { IpcObject } from '../shared/model';

export interface Group {
  /** stable key within the parent (part of the tree item id). */
  key: string;
  label: string;
  items: IpcObject[];
}

/** SysV objects by id, POSIX objects by name. */
export function sortObjects(objs: IpcObject[]): IpcObject[] {
  return [...objs].sort((a, b) => {
    if ('id' in a && 'id' in b) return a.id - b.id;
    if ('name' in a && 'name' in b) return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    return 0;
  });
}

/** One group per owner uid, largest first (ties by uid). */
export function groupByOwner(objs: IpcObject[], userName: (uid: number) => string): Group[] {
  const by = new Map<number, IpcObject[]>();
  for (const o of objs) {
    const l = by.get(o.uid);
    if (l) l.push(o);
    else by.set(o.uid, [o]);
  }
  return [...by.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0] - b[0])
    .map(([uid, items]) => ({ key: `uid${uid}`, label: `owner ${userName(uid)}`, items }));
}

function rangeEnd(o: IpcObject): string {
  return 'id' in o ? String(o.id) : o.name;
}

/** Consecutive slices of `size` objects of a sorted list: `ids 0 – 499`, `ids 500 – 1023`, ... */
export function rangeGroups(sorted: IpcObject[], size: number): Group[] {
  const out: Group[] = [];
  for (let i = 0; i < sorted.length; i += size) {
    const items = sorted.slice(i, i + size);
    const first = rangeEnd(items[0]!);
    const last = rangeEnd(items[items.length - 1]!);
    const noun = 'id' in items[0]! ? 'ids' : 'names';
    out.push({ key: `r${i}`, label: `${noun} ${first} – ${last}`, items });
  }
  return out;
}

/**
 * The children layout of a kind: flat when small; by owner when there are several owners and too many
 * objects; by range when one list is still too long.
 */
export type Layout = { flat: IpcObject[] } | { groups: Group[] };

export function layoutObjects(
  objs: IpcObject[],
  opts: { threshold: number; rangeSize: number; byOwner: boolean },
  userName: (uid: number) => string,
): Layout {
  if (objs.length <= opts.threshold) return { flat: sortObjects(objs) };
  if (opts.byOwner) {
    const owners = groupByOwner(objs, userName);
    if (owners.length > 1) return { groups: owners };
  }
  return { groups: rangeGroups(sortObjects(objs), opts.rangeSize) };
}

/**
 * The dashboard's filter language (pure). Free words match key (hex or decimal), id, owner, pid, state,
 * name or command; `field:value` narrows to one field: key:, id:, owner:, uid:, pid:, state:, kind:.
 * All terms must match (AND). Case-insensitive.
 */
import type { IpcObject, IpcSnapshot, ObjectRef, Verdict } from '../../extension/shared/model';
import { keyHex, verdictOf } from './refs';

export type FilterField = 'key' | 'id' | 'owner' | 'uid' | 'pid' | 'state' | 'kind' | 'any';
export interface FilterTerm {
  field: FilterField;
  value: string;
}

const FIELDS: readonly FilterField[] = ['key', 'id', 'owner', 'uid', 'pid', 'state', 'kind'];

export function parseFilter(text: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  for (const word of text.trim().toLowerCase().split(/\s+/)) {
    if (!word) continue;
    const m = /^([a-z]+):(.*)$/.exec(word);
    if (m && (FIELDS as readonly string[]).includes(m[1]!) && m[2] !== '') {
      terms.push({ field: m[1] as FilterField, value: m[2]! });
    } else {
      terms.push({ field: 'any', value: word });
    }
  }
  return terms;
}

/** Every pid an object mentions (creator/last-op/attachers/owner). */
export function pidsOf(o: IpcObject, verdict: Verdict | undefined): number[] {
  const pids: number[] = [];
  switch (o.kind) {
    case 'sem':
      for (const e of o.elems ?? []) pids.push(e.pid);
      break;
    case 'shm':
      pids.push(o.cpid, o.lpid, ...(o.attachers ?? []));
      break;
    case 'msg':
      pids.push(o.lspid, o.lrpid);
      break;
    case 'posixSem':
    case 'posixShm':
      pids.push(...(o.attachers ?? []));
      break;
  }
  if (verdict?.owner?.pid) pids.push(verdict.owner.pid);
  return [...new Set(pids.filter((p) => p > 0))];
}

/** The searchable facets of one object. */
function facets(o: IpcObject, verdict: Verdict | undefined, snapshot: IpcSnapshot): Record<Exclude<FilterField, 'any'>, string[]> {
  const pids = pidsOf(o, verdict);
  const sysv = o.kind === 'sem' || o.kind === 'shm' || o.kind === 'msg';
  const owner = [`uid ${o.uid}`, String(o.uid)];
  if (verdict?.owner) owner.push(verdict.owner.app.toLowerCase(), verdict.owner.label.toLowerCase());
  return {
    key: sysv ? [keyHex(o.key).toLowerCase(), String(o.key), String(o.key >>> 0)] : [],
    id: sysv ? [String(o.id)] : [o.name.toLowerCase()],
    owner,
    uid: [String(o.uid)],
    pid: [
      ...pids.map(String),
      ...pids.map((p) => snapshot.processes[p]?.comm?.toLowerCase() ?? '').filter((c) => c !== ''),
    ],
    state: [verdict?.state ?? 'unknown', ...(verdict?.recyclable ? ['recyclable'] : [])],
    kind: [o.kind.toLowerCase()],
  };
}

/** `key:0x00000010-0x000000ff` (or decimal): an inclusive range over the unsigned key. */
export function parseKeyRange(value: string): [number, number] | null {
  const m = /^(0x[0-9a-f]{1,8}|[0-9]{1,10})-(0x[0-9a-f]{1,8}|[0-9]{1,10})$/.exec(value);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return lo <= hi ? [lo, hi] : [hi, lo];
}

function termMatches(term: FilterTerm, f: Record<Exclude<FilterField, 'any'>, string[]>): boolean {
  if (term.field === 'key') {
    const r = parseKeyRange(term.value);
    if (r) {
      const k = f.key[2];
      return k !== undefined && Number(k) >= r[0] && Number(k) <= r[1];
    }
  }
  const exact = term.field === 'id' || term.field === 'uid' || term.field === 'pid' || term.field === 'state' || term.field === 'kind';
  const test = (v: string): boolean => (exact ? v === term.value : v.includes(term.value));
  if (term.field !== 'any') return f[term.field].some(test);
  return Object.values(f).some((vs) => vs.some((v) => v.includes(term.value)));
}

/** A predicate over objects for the given filter text; null when the filter is empty (everything matches). */
export function compileFilter(
  text: string,
  snapshot: IpcSnapshot,
  verdicts: ReadonlyMap<ObjectRef, Verdict>,
): ((o: IpcObject) => boolean) | null {
  const terms = parseFilter(text);
  if (terms.length === 0) return null;
  return (o) => {
    const f = facets(o, verdictOf(verdicts, o), snapshot);
    return terms.every((t) => termMatches(t, f));
  };
}

/**
 * What the status bar, the view's badge, the empty-state welcome and the "not yet" recycle message say
 * (pure: facts in, words out; the VS Code glue is views/statusIndicators.ts).
 */
import { formatDuration } from '../shared/format';
import type { IpcSnapshot, ObjectRef, Verdict } from '../shared/model';
import { capacity, fullestPool, maximaNearLimit } from './capacity';

/** Orphans, and how many of them recycling may remove now. */
export interface OrphanCount {
  orphans: number;
  recyclable: number;
}

export function countOrphans(verdicts: Iterable<Verdict>): OrphanCount {
  let orphans = 0;
  let recyclable = 0;
  for (const v of verdicts) {
    if (v.state !== 'orphan') continue;
    orphans++;
    if (v.recyclable) recyclable++;
  }
  return { orphans, recyclable };
}

export interface StatusText {
  /** e.g. `SEMMNS 90 % · 5 orphans` */
  text: string;
  /** the fullest limit is at or above the warning threshold */
  warn: boolean;
  /** one line per fact, for the tooltip */
  details: string[];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `SEMMNS 90 % · 5 orphans` for one host's snapshot and verdicts (its fullest pool: capacity.ts fullestPool). */
export function statusText(snapshot: Parameters<typeof fullestPool>[0], verdicts: Iterable<Verdict>, warnPercent: number): StatusText {
  const rows = capacity(snapshot);
  const worst = fullestPool(snapshot, rows);
  const { orphans, recyclable } = countOrphans(verdicts);
  const parts: string[] = [];
  const details: string[] = [];
  if (worst) {
    parts.push(worst.text);
    details.push(worst.detail);
  }
  details.push(...maximaNearLimit(snapshot, rows));
  if (orphans) parts.push(plural(orphans, 'orphan'));
  details.push(orphans ? `${plural(orphans, 'orphaned object')}, ${recyclable} recyclable now` : 'No orphaned objects');
  return {
    text: parts.length ? parts.join(' · ') : 'no IPC limit in use',
    warn: !!worst && worst.percent >= warnPercent,
    details,
  };
}

/** The tree's root state: `empty` (only the local machine, read, holding nothing) shows the welcome. */
export type TreeState = 'empty' | 'objects';

export function treeState(hosts: readonly { host: string; snapshot?: IpcSnapshot; error?: unknown }[]): TreeState {
  if (hosts.length !== 1) return 'objects';
  const h = hosts[0]!;
  const s = h.snapshot;
  if (!s || h.error) return 'objects';
  const n = s.sems.length + s.shms.length + s.msgs.length + s.posixSems.length + s.posixShms.length + s.errors.length;
  return n === 0 ? 'empty' : 'objects';
}

/** An orphan that only the waiting rules keep, and when it becomes recyclable. */
export interface PendingOrphan {
  ref: ObjectRef;
  /** seconds from the verdict's time until it becomes recyclable (0: already due) */
  inSeconds: number;
  /** what it is, for the sentence: "PostgreSQL set", "shared memory segment" */
  what: string;
}

const MIN_AGE_RE = /less than minOrphanAgeSeconds = (\d+(?:\.\d+)?) s/;

/**
 * Seconds until an orphan becomes recyclable when only the age rule keeps it. Uses the verdict's own
 * `becomesRecyclableIn` when the verdict carries one; otherwise `minAge - orphanForSeconds` when the one
 * reason it is not recyclable is the minimum age. Undefined for anything else (live, unknown, another reason).
 */
export function secondsUntilRecyclable(v: Verdict, minAgeSeconds?: number): number | undefined {
  if (v.state !== 'orphan' || v.recyclable) return undefined;
  const given = (v as { becomesRecyclableIn?: unknown }).becomesRecyclableIn;
  if (typeof given === 'number' && Number.isFinite(given)) return Math.max(0, given);
  const blockers = v.reasons.filter((r) => r.startsWith('not recyclable:'));
  if (blockers.length !== 1 || v.orphanForSeconds === undefined) return undefined;
  // the age rule is checked before the owner proof: claim "becomes recyclable" only where the proof is
  // already there (a shm orphan's dead creator; a recognised owner whose pid is dead), never on a guess
  const proven = v.ref.startsWith('shm:') || v.owner?.pidAlive === false;
  if (!proven) return undefined;
  const m = MIN_AGE_RE.exec(blockers[0]!);
  const min = m ? Number(m[1]) : undefined;
  if (min === undefined || (minAgeSeconds !== undefined && min !== minAgeSeconds)) return undefined;
  return Math.max(0, Math.ceil(min - v.orphanForSeconds));
}

function whatOf(v: Verdict): string {
  const kind = v.ref.slice(0, v.ref.indexOf(':'));
  const noun = kind === 'sem' ? 'set' : kind === 'shm' ? 'shared memory segment' : kind === 'msg' ? 'message queue' : 'object';
  const app = v.owner?.app;
  if (app) return `${app === 'postgresql' ? 'PostgreSQL' : app} ${noun}`;
  return kind === 'sem' ? 'semaphore set' : kind === 'shm' ? 'shared memory segment' : kind === 'msg' ? 'message queue' : 'object';
}

/** `minAgeSeconds`: the setting the verdicts were made with (undefined: the one their reasons name). */
export function pendingOrphans(verdicts: Iterable<Verdict>, minAgeSeconds?: number): PendingOrphan[] {
  const out: PendingOrphan[] = [];
  for (const v of verdicts) {
    const s = secondsUntilRecyclable(v, minAgeSeconds);
    if (s !== undefined) out.push({ ref: v.ref, inSeconds: s, what: whatOf(v) });
  }
  return out.sort((a, b) => a.inSeconds - b.inSeconds);
}

/**
 * `5 PostgreSQL sets become recyclable in 8 s` (one clause per kind of object, each with the time the
 * last of them becomes due, `elapsedSeconds` after the verdicts were made). Empty when nothing is pending.
 */
export function pendingText(pending: readonly PendingOrphan[], elapsedSeconds = 0): { text: string; waitSeconds: number } {
  if (!pending.length) return { text: '', waitSeconds: 0 };
  const groups = new Map<string, number[]>();
  for (const p of pending) {
    const g = groups.get(p.what) ?? [];
    g.push(Math.max(0, Math.ceil(p.inSeconds - elapsedSeconds)));
    groups.set(p.what, g);
  }
  const clauses: string[] = [];
  let wait = 0;
  for (const [what, secs] of groups) {
    const last = Math.max(...secs);
    wait = Math.max(wait, last);
    const n = secs.length;
    const verb = n === 1 ? 'becomes' : 'become';
    clauses.push(`${n} ${what}${n === 1 ? '' : 's'} ${verb} recyclable ${last > 0 ? `in ${formatDuration(last)}` : 'now'}`);
  }
  return { text: clauses.join('; '), waitSeconds: wait };
}

/**
 * A live POSIX named semaphore as a starting state: "3 tokens, 2 waiters". The waiters are modelled as
 * threads already registered inside sem_wait (asleep in the futex queue when there is no token; woken but
 * not yet retaken when there are tokens, the normal transient state of §3.2), plus one poster thread the
 * person can step.
 */
import { SEM_VALUE_MAX, type ModelId, type Scenario, type ThreadSpec } from './types';
import type { HostLibc } from '../../shared/model';
import { glibcRange } from './versions';

export interface LiveSemInput {
  name: string;
  value: number;
  nwaiters: number;
  /** SemLayout from the snapshot decoder; unknown/absent → glibc-new-64. */
  layout?: string;
  /** the glibc release of the machine that holds the semaphore (gnu_get_libc_version, `ldd --version`),
   *  e.g. "2.36"; absent when unknown (the model's default version is used). */
  glibc?: string;
}

/** At most this many waiter lanes are drawn; the title says how many the semaphore really has. */
export const MAX_LIVE_WAITERS = 4;

export function modelForLayout(layout: string | undefined): ModelId {
  if (layout === 'glibc-new-32') return 'glibc-new-32';
  if (layout === 'glibc-old-64') return 'glibc-old';
  return 'glibc-new-64';
}

export function scenarioFromLive(x: LiveSemInput): Scenario {
  const value = Math.max(0, Math.min(SEM_VALUE_MAX, Math.floor(x.value)));
  const nw = Math.max(0, Math.floor(x.nwaiters));
  const shown = Math.min(nw, MAX_LIVE_WAITERS);
  const threads: ThreadSpec[] = [];
  for (let i = 1; i <= shown; i++) threads.push({ name: `W${i}`, ops: [{ op: 'sem_wait' }], registered: true });
  threads.push({ name: 'P', ops: [{ op: 'sem_post' }] });
  const label = `${value} token${value === 1 ? '' : 's'}, ${nw} waiter${nw === 1 ? '' : 's'}`;
  const model = modelForLayout(x.layout);
  // the machine's release picks the glibc-new-* version; an old-layout file is glibc <= 2.20 whatever it says
  const range = typeof x.glibc === 'string' && x.glibc.length <= 40 ? glibcRange(x.glibc) : null;
  const glibc = model !== 'glibc-old' && range && range !== '2.20' ? range : undefined;
  return {
    id: 'live',
    title: `${x.name}: ${label}`,
    description: `Starting state read from the live semaphore ${x.name} (${label}` +
      `${nw > shown ? `; ${shown} of ${nw} waiters drawn` : ''}). Waiters are threads registered in sem_wait.`,
    model,
    initial: { value, pshared: true },
    threads,
    budget: { spurious: 0, weakCas: 0, signals: 0 },
    ...(glibc ? { glibc } : {}),
  };
}

/** A live semaphore to start from. */
export interface LiveTarget {
  host: string;
  name: string;
  value: number;
  nwaiters: number;
  layout?: string;
  /** the host's glibc release, when its source could tell. */
  glibc?: string;
}

const isNat = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0x7fffffff;
const isName = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 255;

/** Reads the command argument defensively (tree node, PosixSem, or {name, value, nwaiters}). */
export function liveTargetOf(arg: unknown): LiveTarget | { error: string } | undefined {
  if (arg === undefined || arg === null) return undefined;
  if (typeof arg !== 'object') return { error: 'expected a POSIX semaphore' };
  const a = arg as Record<string, unknown>;
  const host = typeof a.host === 'string' && a.host.length > 0 && a.host.length <= 300 ? a.host : 'local';
  const o = (typeof a.obj === 'object' && a.obj !== null ? a.obj : a) as Record<string, unknown>;
  if (o.kind !== undefined && o.kind !== 'posixSem') return { error: 'only POSIX named semaphores open in the futex visualizer' };
  if (!isName(o.name)) return { error: 'the semaphore has no name' };
  const dec = o.decoded as Record<string, unknown> | undefined;
  if (o.kind === 'posixSem') {
    if (!dec || !isNat(dec.value) || !isNat(dec.nwaiters)) {
      const why = (o.decodeError as { message?: unknown } | undefined)?.message;
      return { error: `${o.name}: its bytes could not be decoded${typeof why === 'string' ? ` (${why})` : ''}` };
    }
    return { host, name: o.name, value: dec.value, nwaiters: dec.nwaiters, layout: typeof dec.layout === 'string' ? dec.layout : undefined };
  }
  if (!isNat(o.value) || !isNat(o.nwaiters)) return { error: `${o.name}: value and nwaiters must be non-negative integers` };
  return { host, name: o.name, value: o.value, nwaiters: o.nwaiters, layout: typeof o.layout === 'string' ? o.layout : undefined };
}

/** How the panel names a host's C library: "glibc 2.36", "not glibc (musl)", "glibc release not known: why". */
export function hostLibcText(l: HostLibc | undefined): string {
  if (!l) return 'glibc release not known';
  if (l.kind === 'glibc') return `glibc ${l.release}`;
  if (l.kind === 'other') return `not glibc (${l.name})`;
  return `glibc release not known: ${l.why}`;
}

/**
 * The C library of the machine holding a live semaphore: the glibc release the stepper follows (`glibc`), or
 * the words the panel shows instead (`libcNote`: "not glibc (musl)", why the release is not known). This
 * machine's release comes from gnu_get_libc_version (Node's report); an SSH host's from its snapshot, as its
 * probe read it in the same round trip as the semaphore.
 */
export function liveLibc(local: boolean, localRelease: string | undefined, hostLibc: HostLibc | undefined): { glibc?: string; libcNote?: string } {
  if (local) return localRelease ? { glibc: localRelease } : { libcNote: 'glibc release not known' };
  if (hostLibc?.kind === 'glibc') return { glibc: hostLibc.release };
  if (!hostLibc) return { libcNote: 'glibc release not known: the host\'s snapshot does not report its C library' };
  return { libcNote: hostLibcText(hostLibc) };
}

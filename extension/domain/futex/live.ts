/**
 * A live POSIX named semaphore as a starting state: "3 tokens, 2 waiters". The waiters are modelled as
 * threads already registered inside sem_wait (asleep in the futex queue when there is no token; woken but
 * not yet retaken when there are tokens, the normal transient state of §3.2), plus one poster thread the
 * person can step.
 */
import type { Scenario, ThreadSpec } from './types';
import type { ModelId } from './types';

export interface LiveSemInput {
  name: string;
  value: number;
  nwaiters: number;
  /** SemLayout from the snapshot decoder; unknown/absent → glibc-new-64. */
  layout?: string;
}

/** At most this many waiter lanes are drawn; the title says how many the semaphore really has. */
export const MAX_LIVE_WAITERS = 4;

export function modelForLayout(layout: string | undefined): ModelId {
  if (layout === 'glibc-new-32') return 'glibc-new-32';
  if (layout === 'glibc-old-64') return 'glibc-old';
  return 'glibc-new-64';
}

export function scenarioFromLive(x: LiveSemInput): Scenario {
  const value = Math.max(0, Math.min(1000, Math.floor(x.value)));
  const nw = Math.max(0, Math.floor(x.nwaiters));
  const shown = Math.min(nw, MAX_LIVE_WAITERS);
  const threads: ThreadSpec[] = [];
  for (let i = 1; i <= shown; i++) threads.push({ name: `W${i}`, ops: [{ op: 'sem_wait' }], registered: true });
  threads.push({ name: 'P', ops: [{ op: 'sem_post' }] });
  const label = `${value} token${value === 1 ? '' : 's'}, ${nw} waiter${nw === 1 ? '' : 's'}`;
  return {
    id: 'live',
    title: `${x.name}: ${label}`,
    description: `Starting state read from the live semaphore ${x.name} (${label}` +
      `${nw > shown ? `; ${shown} of ${nw} waiters drawn` : ''}). Waiters are threads registered in sem_wait.`,
    model: modelForLayout(x.layout),
    initial: { value, pshared: true },
    threads,
    budget: { spurious: 0, weakCas: 0, signals: 0 },
  };
}

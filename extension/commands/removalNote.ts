/** The confirmation's sentence on how a host removes objects (pure: unit-tested without VS Code). */
import type { RecyclePlan } from '../domain/recyclePlan';

/**
 * What the confirmation says about how objects are removed on `host`: the plan's removal mode when the source
 * reports one, else by source: locally lock -> verify -> IPC_RMID; over SSH check-then-ipcrm, unlocked.
 */
export function removalNote(plan: RecyclePlan & { removal?: { mode?: unknown; detail?: unknown } }, host: string): string {
  const m = plan.removal;
  const detail = typeof m?.detail === 'string' && m.detail ? ` (${m.detail})` : '';
  if (m?.mode === 'none') return `Nothing is removed on ${host}${detail}.`;
  if (m?.mode === 'locked' || (!m && host === 'local')) {
    return `Each object is re-checked, locked (mode 0, so no other user can start using it), checked again and only then removed${detail}; any change keeps it.`;
  }
  return `Removal on ${host} is NOT locked${detail}: each object is re-checked on the host and then removed with ipcrm; ` +
    'an application that starts using it between that last check and ipcrm (about a millisecond) could lose it. ' +
    `For the locked removal, run \`ipcx recycle\` on ${host} itself.`;
}

/**
 * The capacity rows the host sends the dashboard, from capacity.ts: pure, used by dashboardPanel.ts and by the
 * tests' fixtures. SHMALL is shown in bytes, an unlimited limit has no percentage, and each row names how to
 * raise it on Linux and on the BSDs.
 */
import { capacity } from './capacity';
import { LIMIT_DESCRIPTORS, raiseHint, type CapacityRow, type LimitName } from '../shared/limitDescriptors';
import type { IpcSnapshot } from '../shared/model';

/** the limits the dashboard draws, in this order (SHMMIN and MSGMAX have no usage worth a gauge). */
export const DASHBOARD_LIMITS: readonly LimitName[] = [
  'SEMMNI', 'SEMMNS', 'SEMMSL', 'SEMOPM', 'SEMVMX', 'SHMMNI', 'SHMALL', 'SHMMAX', 'MSGMNI', 'MSGMNB', 'MQ_QUEUES_MAX',
];

export function capacityRowsFor(snapshot: IpcSnapshot): CapacityRow[] {
  const rows = capacity(snapshot);
  const out: CapacityRow[] = [];
  for (const name of DASHBOARD_LIMITS) {
    const r = rows.find((x) => x.name === name);
    if (!r) continue;
    const bytes = r.name === 'SHMALL' && r.usedBytes !== undefined && r.limitBytes !== undefined;
    const used = bytes ? r.usedBytes! : r.used;
    const limit = bytes ? r.limitBytes! : r.limit;
    out.push({
      ...r,
      help: r.name === 'SHMALL' ? `${r.help} Shown in bytes: the limit is ${r.limit} pages of ${snapshot.limits.pageSize > 0 ? snapshot.limits.pageSize : 4096} bytes.` : r.help,
      unit: bytes ? 'bytes' : r.unit,
      used,
      limit,
      percent: used === null || !(limit > 0) || r.unlimited ? null : (used / limit) * 100,
      raiseBy: raiseFor(name, snapshot),
    });
  }
  return out;
}

/** Linux: the real sysctl line from this snapshot's values (on a Linux host); BSD: the tunable's name. */
function raiseFor(name: LimitName, snapshot: IpcSnapshot): { linux?: string; bsd?: string } {
  const d = LIMIT_DESCRIPTORS.find((x) => x.name === name);
  if (!d) return {};
  const linux = snapshot.platform === 'linux' ? raiseHint(name, snapshot.limits, 'linux')?.text ?? d.raise.linux : d.raise.linux;
  if (snapshot.platform === 'darwin') {
    const mac = darwinRaise(name);
    if (mac) return { linux, bsd: mac };
  }
  return { linux, ...(d.raise.freebsd ? { bsd: d.raise.freebsd } : {}) };
}

/** macOS: how its own sysctl (or nothing) changes the limit, from the limit descriptors. */
export function darwinRaise(name: LimitName): string | undefined {
  const mac = LIMIT_DESCRIPTORS.find((x) => x.name === name)?.raise.darwin;
  return mac ? `macOS: ${mac.replace(/^fixed on macOS: /, 'fixed: ')}` : undefined;
}

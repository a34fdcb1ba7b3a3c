/**
 * The recycler side shared by the race drivers (raceDriver.ts, raceActivityDriver.ts): one round plans
 * and executes in-process (LocalSource, native guarded removal) and is counted into the totals, with the
 * CLOCK_MONOTONIC ns at which each removal's guarded primitive was called and returned, so a test can
 * place every removal against the partner's uses.
 */
import type { AuditLog } from '../../extension/backend/audit';
import type { IpcSource } from '../../extension/backend/ipcSource';
import { executeRecyclePlan, prepareRecycle, type PlanRequest } from '../../extension/backend/recycleExecutor';
import type { RecycleOutcome } from '../../extension/domain/recyclePlan';

export interface RaceTotals {
  rounds: number;
  planned: number;
  removed: number;
  refused: number;
  failed: number;
  /** refused by the re-verification under the lock (the original mode was restored) */
  refusedAfterLock: number;
  refusedWhy: Record<string, number>;
  failures: string[];
  removals: Array<{ ref: string; t0: string; t1: string }>;
}

export interface RoundOptions {
  /** the class a refusal is counted under; default its code */
  refusedAs?: (o: RecycleOutcome) => string;
  /** a reason that marks a refusal by the re-verification under the lock */
  afterLock: RegExp;
}

/** A round function over one source and audit log, and the totals it counts into. */
export function raceRecycler(source: IpcSource, audit: AuditLog, req: PlanRequest, opts: RoundOptions): { totals: RaceTotals; round: () => Promise<void> } {
  const totals: RaceTotals = { rounds: 0, planned: 0, removed: 0, refused: 0, failed: 0, refusedAfterLock: 0, refusedWhy: {}, failures: [], removals: [] };
  const started = new Map<string, bigint>();
  const round = async (): Promise<void> => {
    const prep = await prepareRecycle(source, req);
    totals.rounds++;
    totals.planned += prep.plan.candidates.length;
    const r = await executeRecyclePlan(prep.plan, {
      source, processFacts: prep.processFacts, audit, ownPids: [process.pid],
      beforeRemove: (c) => void started.set(c.ref, process.hrtime.bigint()),
      onOutcome: (o) => {
        const t1 = process.hrtime.bigint();
        const t0 = started.get(o.ref);
        started.delete(o.ref);
        if (o.action === 'removed' && t0 !== undefined) totals.removals.push({ ref: o.ref, t0: String(t0), t1: String(t1) });
      },
    });
    totals.removed += r.removed;
    totals.refused += r.refused;
    totals.failed += r.failed;
    for (const o of r.outcomes) {
      if (o.action === 'refused') {
        const why = opts.refusedAs ? opts.refusedAs(o) : (o.code ?? '?');
        totals.refusedWhy[why] = (totals.refusedWhy[why] ?? 0) + 1;
        if (o.reasons.some((x) => opts.afterLock.test(x))) totals.refusedAfterLock++;
      }
      if (o.action === 'failed' && totals.failures.length < 10) totals.failures.push(`${o.ref}: ${o.code} ${o.reasons.join('; ')}`);
    }
  };
  return { totals, round };
}

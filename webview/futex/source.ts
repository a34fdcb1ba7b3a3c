/**
 * What the source pane shows: the pseudocode of the operation the step at the cursor ran (the domain's
 * `PSEUDOCODE`, the one listing the step records name by `at.line`), the line that step ran, and the line
 * where every other thread running the same program continues. Pure (no DOM): unit-tested in node.
 */
import { lineId, programFor, programOfLine, PSEUDOCODE, type ModelId, type OpKind, type Program } from '../../extension/domain/futex';

/** The lifetime operations' program (sem_init, sem_destroy, free, munmap, reuse). */
const LIFE = 'life';

/** The program a thread runs for an operation under a model (the lifetime program for the others). */
export function programOf(model: ModelId, op: OpKind | null): Program {
  return PSEUDOCODE[(op && programFor(model, op)) ?? LIFE] ?? PSEUDOCODE[LIFE];
}

export interface SourceView {
  /** whose operation is shown and why. */
  heading: string;
  program: Program;
  /** the id of the line the step at the cursor ran (a `PSEUDOCODE` line id), or null. */
  current: string | null;
  /** line id → names of the threads that continue there. */
  next: Map<string, string[]>;
}

export interface SourceStep {
  i: number;
  tid: number;
  thread: string;
  op: OpKind | null;
  event: string | null;
  /** the pseudocode line the step ran (`StepRecord.at.line`; for an event, the line its thread waits at). */
  line: string | null;
}

interface ThreadLike {
  name: string;
  op: number;
  pc: string;
  status: string;
}

/**
 * The program for the step at the cursor (its thread's operation, the line it ran), or before the first
 * step the first runnable thread's; `ops(tid, k)` gives thread tid's k-th operation.
 */
export function sourceView(model: ModelId, step: SourceStep | undefined, threads: ThreadLike[], ops: (tid: number, k: number) => OpKind | null): SourceView {
  const tid = step ? step.tid : Math.max(0, threads.findIndex((t) => t.status === 'ready' || t.status === 'blocked'));
  const op = step ? step.op : ops(tid, threads[tid]?.op ?? 0);
  const program = step?.line && PSEUDOCODE[programOfLine(step.line)] ? PSEUDOCODE[programOfLine(step.line)] : programOf(model, op);
  const current = step?.line ?? null;
  const next = new Map<string, string[]>();
  threads.forEach((t, k) => {
    if (t.status !== 'ready' && t.status !== 'blocked') return;
    const o = ops(k, t.op);
    if (!o) return;
    const id = lineId(model, o, t.pc as Parameters<typeof lineId>[2]);
    if (programOfLine(id) !== program.id) return;
    next.set(id, [...(next.get(id) ?? []), t.name]);
  });
  const who = threads[tid]?.name ?? '';
  const heading = step?.event === 'flush'
    ? `Step ${step.i}: ${who}'s store buffer writes to memory (no code runs; x86-TSO)`
    : step && (op === 'raw_store' || op === 'raw_load')
    ? `Step ${step.i}: ${who} in ${op}: a plain x86 mov of a litmus test, no semaphore code`
    : step
    ? `Step ${step.i}: ${step.event ? `${step.event} of ${who}` : who} in ${op ?? 'no operation'}`
    : `Before the first step: ${who} starts ${op ?? 'nothing'}`;
  return { heading, program, current, next };
}

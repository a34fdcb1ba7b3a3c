/**
 * Additions to the bit-field view: the field the step at the cursor touched is highlighted (and says who
 * touched it and how), and the encodings that differ between models are explained where they are shown.
 */
import type { Selection } from 'd3-selection';
import type { FutexState } from '../../extension/domain/futex';
import { accessText, type TraceStep } from './trace';

type Sel<E extends Element> = Selection<E, unknown, null, undefined>;

/** Marks the field rows (g.field, keyed by field name) the step accessed; returns the sentence shown. */
export function highlightTouched(svg: Sel<SVGSVGElement>, step: TraceStep | undefined): string {
  const word = step?.access?.word;
  const on = (f: { name: string }): boolean => !!word && (word === '*' || f.name === word);
  const writes = step?.access?.kind !== 'load' && step?.access?.kind !== 'cas-fail';
  const fields = svg.selectAll<SVGGElement, { name: string; size: number }>('g.field')
    .classed('touched', on)
    .classed('touched-write', (f) => on(f) && writes);
  // a frame around the row: name column (120 px) plus 9 px per bit, as renderMemory draws it
  fields.selectAll<SVGRectElement, { name: string; size: number }>('rect.touch-frame')
    .data((f) => (on(f) ? [f] : []))
    .join((enter) => enter.insert('rect', ':first-child').attr('class', 'touch-frame'))
    .attr('x', -3).attr('y', 0).attr('height', 42)
    .attr('width', (f) => 120 + f.size * 8 * 9 + 6);
  if (!step) return 'Initial state: no step has run yet.';
  if (step.access) return `Step ${step.i}: ${step.thread} ${accessText(step.access)}.`;
  if (step.futex) return `Step ${step.i}: ${step.thread} is in the kernel (futex_${step.futex.op}): no user-space access to the semaphore.`;
  if (step.event) return `Step ${step.i}: ${step.event} of ${step.thread}: no access to the semaphore.`;
  return `Step ${step.i}: ${step.thread} ${step.name.replace(/_/g, ' ')}: no access to the semaphore's memory.`;
}

/** Why the words read as they do under this model, where it differs from the others. */
export function encodingNotes(s: FutexState): string[] {
  const m = s.mem;
  const out: string[] = [];
  switch (s.model) {
    case 'glibc-new-64':
      out.push('data = nwaiters << 32 | value; the futex word is the value half (bytes 0..3), so registering waiters does not change it.');
      out.push(`private = ${m.priv}: glibc ≥ 2.21 stores 0 for a process-private semaphore (pshared = 0) and 128 (FUTEX_PRIVATE_FLAG) for a shared one. ` +
        'glibc ≤ 2.20 stored the inverse, so the same sem_init reads 128 vs 0 under glibc-old: the encoding flipped, nothing else.');
      break;
    case 'glibc-new-32':
      out.push('value = tokens << 1 | waiter bit; nwaiters @12 is the exact count, the bit only a hint that it is not 0.');
      out.push(`private = ${m.priv}: 0 = process-private, 128 = shared (glibc ≥ 2.21; glibc ≤ 2.20 stored the inverse).`);
      break;
    case 'glibc-old':
      out.push(`private = ${m.priv}: glibc ≤ 2.20 stores pshared ? 0 : 128 and ORs it into the futex op, so 128 means process-private here. ` +
        'glibc 2.21 flipped the encoding (0 = private, 128 = shared): the same semaphore reads 0 under glibc-new-64.');
      break;
    case 'pg-futex':
      out.push('counter: one 32-bit word, no waiter count and no private field; PostgreSQL\'s futex calls are always shared.');
      break;
  }
  if (m.status === 'reused') out.push('reused: the block now holds another object\'s bytes (0x41414141, 0x42424242, 0x43434343 here).');
  return out;
}

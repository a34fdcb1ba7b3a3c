/** DOM scaffolding the webviews' keyed joins share. */
import type { BaseType, Selection } from 'd3-selection';

/**
 * Appends one empty `<span class=…>` per class to every element of `parent`, in order (an entered row's
 * head or numbers: the update sets their text), and returns `parent`.
 */
export function appendSpans<E extends BaseType, D, P extends BaseType, PD>(
  parent: Selection<E, D, P, PD>,
  classes: readonly string[],
): Selection<E, D, P, PD> {
  for (const c of classes) parent.append('span').attr('class', c);
  return parent;
}

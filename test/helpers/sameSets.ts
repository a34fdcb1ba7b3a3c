/**
 * An independent model of NativeBinding.sameSets for the tests: for each set of `cur`, the row of `prev` with
 * the same id whose header fields and values are equal (and whose values, when read, fill the same length),
 * or -1. Written from its contract, by id lookup alone (the binding also tries listing order first).
 */
import { SEM_STRIDE, type RawSemColumns } from '../../extension/domain/sysvColumns';

export function sameSetsModel(prev: RawSemColumns, cur: RawSemColumns, withValues: boolean): number[] {
  const rows = (c: RawSemColumns) => {
    const out: Array<{ header: number[]; values: number[] }> = [];
    let off = 0;
    for (let i = 0; i < c.headers.length / SEM_STRIDE; i++) {
      const header = [...c.headers.subarray(i * SEM_STRIDE, (i + 1) * SEM_STRIDE)];
      const n = withValues ? header[7]! : 0;
      out.push({ header, values: [...c.values.subarray(off, off + n)] });
      off += n;
    }
    return out;
  };
  const p = rows(prev);
  const firstWithId = new Map<number, number>();
  p.forEach((r, k) => { if (!firstWithId.has(r.header[0]!)) firstWithId.set(r.header[0]!, k); });
  const bytesEqual = (a: number[], b: number[]) => a.length === b.length && a.every((x, k) => Object.is(x, b[k]));
  return rows(cur).map((r) => {
    const k = firstWithId.get(r.header[0]!);
    if (k === undefined) return -1;
    return bytesEqual(p[k]!.header, r.header) && bytesEqual(p[k]!.values, r.values) ? k : -1;
  });
}

/** Object references and small display helpers shared by the layout modules (pure; no DOM). */
import type { IpcObject, ObjectRef, Verdict } from '../../extension/shared/model';

/** `sem:32769`, `posixSem:/orders`: the same form as domain/verdict.ts `objectRef()` (see model.ts). */
export function refOf(o: IpcObject): ObjectRef {
  return o.kind === 'posixSem' || o.kind === 'posixShm' ? `${o.kind}:${o.name}` : `${o.kind}:${o.id}`;
}

/** `0x%08x` of the unsigned key; key 0 is IPC_PRIVATE (format.ts `formatKey`). */
export { formatKey as keyHex } from '../../extension/shared/format';

/** unsigned key for sorting (keys arrive as signed 32-bit). */
export function keyU32(key: number): number {
  return key >>> 0;
}

export function verdictMap(verdicts: readonly Verdict[]): Map<ObjectRef, Verdict> {
  return new Map(verdicts.map((v) => [v.ref, v]));
}

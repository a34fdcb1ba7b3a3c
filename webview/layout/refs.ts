/** Object references and small display helpers shared by the layout modules (pure; no DOM). */
import type { IpcObject, ObjectRef, SemSet, Verdict } from '../../extension/shared/model';

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

/**
 * The verdicts by ref, and by object for the objects already looked up: a lookup by object hashes the
 * object's identity instead of building its ref string and hashing that (at 32,000 sets the string lookups
 * were most of a render). `seed` fills it for a snapshot's sets in one pass.
 */
export class VerdictIndex extends Map<ObjectRef, Verdict> {
  private byObject = new Map<IpcObject, Verdict | null>();

  of(o: IpcObject): Verdict | undefined {
    const hit = this.byObject.get(o);
    if (hit !== undefined) return hit ?? undefined;
    const v = this.get(refOf(o));
    this.byObject.set(o, v ?? null);
    return v;
  }

  /** Indexes `sems` by object; `ordered` are verdicts likely in the sets' order (the host sends them so). */
  seed(sems: readonly SemSet[], ordered: readonly Verdict[]): this {
    let j = 0;
    for (const s of sems) {
      const ref = `sem:${s.id}`;
      const v = ordered[j]?.ref === ref ? ordered[j++] : this.get(ref);
      this.byObject.set(s, v ?? null);
    }
    return this;
  }

  /** A copy with `more` added (what it knew by object kept). */
  with(more: Iterable<Verdict>): VerdictIndex {
    const copy = new VerdictIndex(this);
    copy.byObject = new Map(this.byObject);
    for (const v of more) copy.set(v.ref, v);
    return copy;
  }
}

/** The verdicts of a snapshot, indexed by its sets too. */
export function verdictIndex(sems: readonly SemSet[], verdicts: readonly Verdict[]): VerdictIndex {
  return new VerdictIndex(verdicts.map((v) => [v.ref, v])).seed(sems, verdicts);
}

/** The verdict of `o` (by object when `verdicts` is a VerdictIndex). */
export function verdictOf(verdicts: ReadonlyMap<ObjectRef, Verdict>, o: IpcObject): Verdict | undefined {
  return verdicts instanceof VerdictIndex ? verdicts.of(o) : verdicts.get(refOf(o));
}

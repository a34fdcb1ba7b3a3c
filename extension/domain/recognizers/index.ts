/** The owner-recogniser registry. Order matters: the first recogniser that claims an object wins. */
import type { IpcObject, OwnerInfo } from '../../shared/model';
import { postgresDsmFileRecognizer, postgresSemRecognizer, postgresShmRecognizer } from './postgresql';
import type { OwnerRecognizer, RecognizerContext } from './types';

export type { DataDirFact, DsmControlFact, OwnerEvidence, OwnerRecognizer, PidStatus, RecognizerContext } from './types';
export { parsePgShmemHeader, PG_SEMA_MAGIC, PG_SHMEM_HEADER_BYTES, PG_SHMEM_MAGIC } from './postgresql';

const registry: OwnerRecognizer[] = [postgresSemRecognizer, postgresShmRecognizer, postgresDsmFileRecognizer];

/** Add a recogniser (e.g. from another module); returns a function that removes it again. */
export function registerRecognizer(r: OwnerRecognizer): () => void {
  registry.push(r);
  return () => {
    const i = registry.indexOf(r);
    if (i >= 0) registry.splice(i, 1);
  };
}

export function recognizers(): readonly OwnerRecognizer[] {
  return registry;
}

/** The first recogniser's claim on this object, or undefined. A recogniser that throws is skipped. */
export function recognizeOwner(o: IpcObject, ctx: RecognizerContext): OwnerInfo | undefined {
  for (const r of registry) {
    try {
      const info = r.recognize(o, ctx);
      if (info) return info;
    } catch {
      // a faulty recogniser must not break the verdicts of everything else
    }
  }
  return undefined;
}

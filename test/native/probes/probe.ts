/**
 * Runs binding operations in a separate process (as another user via setpriv, or in a nested IPC namespace)
 * and prints one JSON document: `{load: {ok, error?, tried}, results: [{ok, value?, error?}]}`.
 * Argument: a JSON array of operations, e.g. `[{"op":"snapshot"},{"op":"semDetail","id":3}]`.
 * Buffers are printed as hex strings. Errors go through toIpcErrorInfo (code, syscall, op, hint...).
 */
import { loadNative } from '../../../extension/backend/nativeLoader';
import { readLimitFiles } from '../../../extension/backend/procfs';
import { toIpcErrorInfo } from '../../../extension/domain/errors';
import { decodeSysv, limitsFromNative, semValueErrors } from '../../../extension/domain/sysvColumns';
import type { RemovalExpectation, SysvKind } from '../../../extension/shared/model';

export type ProbeOp =
  | { op: 'snapshot'; values?: boolean }
  | { op: 'semsJson' }
  | { op: 'limits' }
  | { op: 'semDetail'; id: number }
  | { op: 'remove'; kind: SysvKind; id: number; expected: RemovalExpectation }
  | { op: 'shmPeek'; id: number; length: number }
  | { op: 'readPosixSem'; path: string };

const ops = JSON.parse(process.argv[2] ?? '[]') as ProbeOp[];
const loaded = loadNative();
const out: { load: { ok: boolean; error?: unknown; tried: string[] }; results: unknown[] } = {
  load: { ok: !!loaded.binding, error: loaded.error, tried: loaded.tried },
  results: [],
};
const b = loaded.binding;
if (b) {
  for (const o of ops) {
    try {
      let value: unknown;
      switch (o.op) {
        case 'snapshot': value = { ...decodeSysv(b.sysv({ values: o.values !== false }), o.values !== false), uid: process.geteuid!() }; break;
        case 'limits': value = limitsFromNative(b.limits(), readLimitFiles()); break;
        case 'semsJson': {
          const raw = b.sysv();
          value = { semsJson: b.semsJson(raw, true).toString('utf8'), semValueErrors: semValueErrors(raw.sem).map(({ id, error }) => ({ id, error })), objects: JSON.stringify(decodeSysv(raw, true).sems) };
          break;
        }
        case 'semDetail': value = b.semDetail(o.id); break;
        case 'remove': b.remove(o.kind, o.id, o.expected); value = null; break;
        case 'shmPeek': value = b.shmPeek(o.id, o.length).toString('hex'); break;
        case 'readPosixSem': {
          const r = b.readPosixSem(o.path);
          value = { ...r, raw: r.raw.toString('hex') };
          break;
        }
      }
      out.results.push({ ok: true, value });
    } catch (e) {
      out.results.push({ ok: false, error: toIpcErrorInfo(e), name: e instanceof Error ? e.name : typeof e });
    }
  }
}
process.stdout.write(JSON.stringify(out));

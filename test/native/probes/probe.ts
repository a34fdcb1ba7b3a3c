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
  /** sysvAsync into the buffers of an earlier listing filled with 0xab: the raw values and the decoded sets */
  | { op: 'snapshotReused' }
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
async function main(): Promise<void> {
  if (!b) return;
  for (const o of ops) {
    try {
      let value: unknown;
      switch (o.op) {
        case 'snapshot': value = { ...decodeSysv(b.sysv({ values: o.values !== false }), o.values !== false), uid: process.geteuid!() }; break;
        case 'snapshotReused': {
          const old = await b.sysvAsync();
          new Uint8Array(old.sem.headers.buffer).fill(0xab);
          new Uint8Array(old.sem.values.buffer).fill(0xab);
          const raw = await b.sysvAsync({ reuse: old.sem });
          value = { reused: raw.sem.values.buffer === old.sem.values.buffer, values: [...raw.sem.values], sems: decodeSysv(raw, true).sems, fresh: decodeSysv(b.sysv(), true).sems };
          break;
        }
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
void main().then(() => process.stdout.write(JSON.stringify(out)));

// The header column layout is written twice by necessity: the C++ core fills the columns (native/src/ipc_core.h)
// and the domain decodes them (extension/domain/sysvColumns.ts). This holds the two to the same count and
// order of fields per kind, so a column added on one side only fails here instead of shifting every field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MSG_STRIDE, SEM_STRIDE, SHM_STRIDE, columnsSummary, type RawSysv } from '../../../extension/domain/sysvColumns';

const root = path.resolve(__dirname, '..', '..', '..');

/** `constexpr size_t NAME = N;  // a b c` or `export const NAME = N; // a b c` → [N, 'a b c']. */
function layout(file: string, name: string): [number, string] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const m = new RegExp(`\\b${name}\\s*=\\s*(\\d+);\\s*//\\s*(.+)$`, 'm').exec(text);
  assert.ok(m, `${file}: ${name} with its column comment`);
  return [Number(m[1]), m[2]!.trim()];
}

test('the native header columns and the domain decoder have the same fields per kind, in the same order', () => {
  for (const [cc, ts, stride] of [['kSemStride', 'SEM_STRIDE', SEM_STRIDE], ['kShmStride', 'SHM_STRIDE', SHM_STRIDE], ['kMsgStride', 'MSG_STRIDE', MSG_STRIDE]] as const) {
    const [n, fields] = layout('native/src/ipc_core.h', cc);
    const [m, tsFields] = layout('extension/domain/sysvColumns.ts', ts);
    assert.equal(m, stride);
    assert.equal(n, stride, `${cc} = ${n}, ${ts} = ${stride}`);
    assert.equal(fields, tsFields, `${cc} and ${ts} name their columns alike`);
    assert.equal(fields.split(/\s+/).length, stride, `${ts}: one name per column`);
  }
});

test('columnsSummary: every pid the segment and queue headers name once, ascending, without 0; whether a segment is attached', () => {
  // cpid lpid nattch at 8 9 10 of SHM_STRIDE; lspid lrpid at 10 11 of MSG_STRIDE
  const shmRow = (cpid: number, lpid: number, nattch: number) => Object.assign(new Array<number>(SHM_STRIDE).fill(0), { 8: cpid, 9: lpid, 10: nattch });
  const msgRow = (lspid: number, lrpid: number) => Object.assign(new Array<number>(MSG_STRIDE).fill(0), { 10: lspid, 11: lrpid });
  const raw = (shm: number[][], msg: number[][]): RawSysv => ({
    sem: { count: 0, headers: new Float64Array(0), values: new Uint16Array(0), valueErrors: [] },
    shm: { count: shm.length, headers: Float64Array.from(shm.flat()) },
    msg: { count: msg.length, headers: Float64Array.from(msg.flat()) },
    errors: [],
    statAny: true,
  });
  // runs of one creator, a pid coming back after another, 0 (none) in every column
  const r = raw([shmRow(9, 0, 0), shmRow(9, 0, 0), shmRow(7, 9, 0), shmRow(9, 0, 0)], [msgRow(0, 3), msgRow(12, 3), msgRow(12, 0)]);
  assert.deepEqual(columnsSummary(r), { pids: [3, 7, 9, 12], someShmAttached: false });
  assert.equal(columnsSummary(r), columnsSummary(r), 'kept per listing');
  assert.equal(columnsSummary(raw([shmRow(1, 1, 0), shmRow(1, 1, 2)], [])).someShmAttached, true);
  assert.deepEqual(columnsSummary(raw([], [])), { pids: [], someShmAttached: false });
});

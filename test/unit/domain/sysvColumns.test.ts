// The header column layout is written twice by necessity: the C++ core fills the columns (native/src/ipc_core.h)
// and the domain decodes them (extension/domain/sysvColumns.ts). This holds the two to the same count and
// order of fields per kind, so a column added on one side only fails here instead of shifting every field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MSG_STRIDE, SEM_STRIDE, SHM_STRIDE } from '../../../extension/domain/sysvColumns';

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

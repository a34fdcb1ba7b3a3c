/**
 * The binding's sameSets (which rows of an earlier listing a refresh may keep the decoded sets of) against an
 * independent model (test/helpers/sameSets.ts) on generated listings: the previous one with rows edited, made,
 * removed or moved, or another one altogether; headers only or with values. And what it makes of arguments
 * no listing has.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SEM_STRIDE, type RawSemColumns } from '../../extension/domain/sysvColumns';
import { sameSetsModel } from '../helpers/sameSets';
import { native } from './support';

interface Row { id: number; fields: number[]; values: number[] }

const cols = (rows: Row[], withValues: boolean): RawSemColumns => ({
  count: rows.length,
  headers: Float64Array.from(rows.flatMap((r) => [r.id, ...r.fields.slice(0, 6), r.values.length, ...r.fields.slice(6, 8)])),
  values: Uint16Array.from(withValues ? rows.flatMap((r) => r.values) : []),
  valueErrors: [],
});

const small = fc.integer({ min: 0, max: 2 });
const row = (id: number) => fc.record({ id: fc.constant(id), fields: fc.array(small, { minLength: 8, maxLength: 8 }), values: fc.array(small, { maxLength: 4 }) });
// unique ids, as a kernel listing has
const listing = fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 12 }).chain((ids) => fc.tuple(...ids.map(row)));

test('sameSets agrees with the model: edited, made, removed and moved sets, headers only or with values', () => {
  const edit = fc.record({ what: fc.constantFrom('field', 'value', 'grow', 'remove', 'make', 'move'), at: fc.nat(), to: small, id: fc.integer({ min: 41, max: 60 }) });
  const pair = listing.chain((was) => fc.oneof(
    { weight: 3, arbitrary: fc.array(edit, { maxLength: 4 }).map((edits): [Row[], Row[]] => {
      const now = was.map((r) => ({ ...r, fields: [...r.fields], values: [...r.values] }));
      for (const e of edits) {
        const i = now.length ? e.at % now.length : 0;
        const r = now[i];
        if (e.what === 'make' && !now.some((x) => x.id === e.id)) now.splice(i, 0, { id: e.id, fields: new Array(8).fill(e.to), values: [e.to] });
        if (!r) continue;
        if (e.what === 'field') r.fields[e.at % 8] = e.to + 3;
        else if (e.what === 'value' && r.values.length) r.values[e.at % r.values.length] = e.to + 3;
        else if (e.what === 'grow') r.values.push(e.to);
        else if (e.what === 'remove') now.splice(i, 1);
        else if (e.what === 'move') now.push(...now.splice(i, 1));
      }
      return [was, now];
    }) },
    { weight: 1, arbitrary: listing.map((now): [Row[], Row[]] => [was, now]) },
  ));
  fc.assert(fc.property(pair, fc.boolean(), ([was, now], withValues) => {
    const prev = cols(was, withValues);
    const cur = cols(now, withValues);
    assert.deepEqual([...native().sameSets(prev, cur, withValues)], sameSetsModel(prev, cur, withValues));
  }), { numRuns: 3000 });
});

test('sameSets: arguments no listing has are a usage error or match nothing, never a read out of bounds', () => {
  const rows: Row[] = [{ id: 1, fields: [0, 0, 0, 0, 0, 0, 0, 0], values: [1, 2] }, { id: 2, fields: [1, 1, 1, 1, 1, 1, 1, 1], values: [3] }];
  const good = cols(rows, true);
  assert.deepEqual([...native().sameSets(good, good, true)], [0, 1]);
  // values shorter than the rows say: the rows within them still compare, none past their end; nsems not a
  // whole number or out of range: no row from there on
  const short = { ...good, values: good.values.subarray(0, 2) };
  assert.deepEqual([...native().sameSets(short, good, true)], [0, -1]);
  assert.deepEqual([...native().sameSets(good, short, true)], [0, -1]);
  assert.deepEqual([...native().sameSets({ ...good, values: new Uint16Array(0) }, good, true)], [-1, -1]);
  for (const nsems of [1.5, -1, 1e9, NaN, Infinity]) {
    const bad = { ...good, headers: Float64Array.from(good.headers) };
    bad.headers[7] = nsems;
    assert.deepEqual([...native().sameSets(bad, good, true)], [-1, -1], `nsems ${nsems}`);
  }
  // headers only: the values are not read at all
  assert.deepEqual([...native().sameSets({ ...good, values: new Uint16Array(0) }, good, false)], [0, 1]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const raw = require(native().path) as { sameSets: (...a: unknown[]) => Int32Array };
  const h = good.headers;
  const v = good.values;
  for (const args of [
    [], [h, v, h, v], [h, v, h, v, 1], [new Float64Array(SEM_STRIDE + 1), v, h, v, true], [h, new Uint32Array(3), h, v, true],
    [Array.from(h), v, h, v, true], [h, v, new Uint16Array(h.length), v, true], [h, v, h, v, true, 1],
  ]) {
    assert.throws(() => raw.sameSets(...args), /Usage: sameSets/, `${args.length} arguments`);
  }
});

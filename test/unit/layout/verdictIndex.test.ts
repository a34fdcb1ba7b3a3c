/**
 * The page's verdict index (webview/layout/refs.ts VerdictIndex): a lookup by object gives what a lookup by
 * ref gives, whatever order the verdicts come in, for sets without a verdict, for objects it was not seeded
 * with and after `with`; and the layouts that read it give what they give with a plain map.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { Verdict } from '../../../extension/shared/model';
import { orphanSummary, orphanUsage } from '../../../webview/layout/capacity';
import { compileFilter } from '../../../webview/layout/filter';
import { refOf, verdictIndex, verdictMap } from '../../../webview/layout/refs';
import { layoutSemSets } from '../../../webview/layout/semSets';
import { seedSnapshot } from '../../webview/fixtures';

test('VerdictIndex: by object = by ref, in order or not, with gaps, unseeded objects and added verdicts', () => {
  const snapshot = seedSnapshot({ extraSets: 3000 });
  const all = [...assessSnapshot(snapshot, verdictOptions(), snapshot.takenAt / 1000).values()];
  const orders: Array<[string, Verdict[]]> = [
    ['as the host sends them', all],
    ['reversed', [...all].reverse()],
    ['every 7th set without a verdict', all.filter((_, i) => i % 7 !== 3)],
    ['shuffled', [...all].sort((a, b) => (a.ref.length * 31 + a.ref.charCodeAt(a.ref.length - 1)) % 13 - (b.ref.length * 31 + b.ref.charCodeAt(b.ref.length - 1)) % 13)],
  ];
  for (const [what, verdicts] of orders) {
    const plain = verdictMap(verdicts);
    const index = verdictIndex(snapshot.sems, verdicts);
    for (const o of [...snapshot.sems, ...snapshot.shms, ...snapshot.msgs, ...snapshot.posixSems, ...snapshot.posixShms]) {
      assert.equal(index.of(o), plain.get(refOf(o)), `${what}: ${refOf(o)}`);
    }
    // the same set's header seen as another object (a vanished set of the previous snapshot)
    const copy = { ...snapshot.sems[5]! };
    assert.equal(index.of(copy), plain.get(refOf(copy)), what);
    const gone = { ...snapshot.sems[5]!, id: 999_999 };
    const kept: Verdict = { ref: refOf(gone), state: 'orphan', recyclable: false, reasons: [] };
    const more = index.with([kept]);
    assert.equal(more.of(gone), kept, what);
    assert.equal(index.of(gone), undefined, `${what}: the original is not changed`);
    assert.equal(more.of(snapshot.sems[9]!), plain.get(refOf(snapshot.sems[9]!)), what);
    // what reads it gives what it gives with a plain map
    assert.deepEqual(layoutSemSets(snapshot.sems, index, { width: 900 }), layoutSemSets(snapshot.sems, plain, { width: 900 }), what);
    assert.deepEqual(orphanUsage(snapshot, index), orphanUsage(snapshot, plain), what);
    assert.deepEqual(orphanSummary(snapshot, index), orphanSummary(snapshot, plain), what);
    for (const f of ['state:orphan', 'owner:postgresql', 'state:unknown uid:1002']) {
      const a = compileFilter(f, snapshot, index)!;
      const b = compileFilter(f, snapshot, plain)!;
      assert.deepEqual(snapshot.sems.filter(a).map(refOf), snapshot.sems.filter(b).map(refOf), `${what}: ${f}`);
    }
  }
});

// Minimum explore() times of the futex model, for comparisons on a loaded machine (the minimum is what the
// code costs when it has a core):
//   node --import tsx bench/futex-compare.mts [CHECKOUT]   SC times of seed and three in CHECKOUT (default: this one)
//   node --import tsx bench/futex-compare.mts --tso        x86-TSO against SC, back to back, in this checkout
// Run it for two checkouts alternately (e.g. a git worktree of an older commit) to compare them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const tso = process.argv[2] === '--tso';
const root = !tso && process.argv[2] ? path.resolve(process.argv[2]) : here;
const { explore, findScenario } = await import(path.join(root, 'extension/domain/futex/index.ts'));
const min = (f: () => void, n: number): number => {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    f();
    best = Math.min(best, performance.now() - a);
  }
  return best;
};
if (!tso) {
  for (const [id, model, n] of [['seed', 'glibc-new-64', 41], ['seed', 'glibc-new-32', 41], ['seed', 'glibc-old', 41],
    ['three', 'glibc-new-64', 7], ['three', 'glibc-new-32', 7], ['three', 'glibc-old', 7]] as const) {
    const sc = findScenario(id);
    explore(sc, { model });
    let best = Infinity;
    for (let r = 0; r < 3; r++) best = Math.min(best, min(() => explore(sc, { model }), n));
    console.log(`${root} ${id} ${model}: min ${best.toFixed(2)} ms`);
  }
} else {
  console.log('| scenario | model | SC ms | x86-TSO ms | cost |\n|---|---|---:|---:|---:|');
  for (const [id, model, n] of [['seed', 'glibc-new-32', 41], ['seed', 'glibc-old', 41], ['seed-reuse', 'glibc-old', 41],
    ['sb', 'glibc-new-32', 41], ['three', 'glibc-new-32', 7], ['three', 'glibc-old', 7]] as const) {
    const sc = findScenario(id);
    explore(sc, { model });
    explore(sc, { model, memoryModel: 'x86-tso' });
    let a = Infinity;
    let b = Infinity;
    for (let r = 0; r < 3; r++) {
      a = Math.min(a, min(() => explore(sc, { model, memoryModel: 'sc' }), n));
      b = Math.min(b, min(() => explore(sc, { model, memoryModel: 'x86-tso' }), n));
    }
    console.log(`| ${id} | ${model} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)}x |`);
  }
}

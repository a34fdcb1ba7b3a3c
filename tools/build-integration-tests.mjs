// Compiles the integration suite (test/integration, TypeScript) into out/integration/ (git-ignored), the tree
// test/integration/runTest.js loads its sessions from: every .ts file becomes a CommonJS .js file at the
// same relative path (esbuild, one file each, not bundled: `vscode`, mocha and the helpers stay shared
// modules), every other file (.js, .c, package.json) is copied. out/integration sits at the same depth as
// test/integration, so `path.resolve(__dirname, '..', '..')` is the repository root in both.
// Type checking is the typecheck stage's (tsconfig.json includes test/**/*.ts); esbuild only strips types.
//
//   node tools/build-integration-tests.mjs        (runTest.js runs it first; ~100 ms)
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const src = path.join(root, 'test', 'integration');
const out = path.join(root, 'out', 'integration');
/** not loaded from out/: the runner itself and the folder VS Code opens */
const SKIP = new Set(['runTest.js', 'workspace', 'README.md']);

function walk(dir) {
  const files = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name) && dir === src) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...walk(p));
    else files.push(p);
  }
  return files;
}

fs.rmSync(out, { recursive: true, force: true });
const files = walk(src);
const ts = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
for (const f of files.filter((f) => !ts.includes(f))) {
  const to = path.join(out, path.relative(src, f));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(f, to);
}
await esbuild.build({
  absWorkingDir: root, entryPoints: ts, outdir: out, outbase: src, bundle: false, platform: 'node', format: 'cjs',
  target: 'node20', sourcemap: 'inline', logLevel: 'warning',
});
console.log(`integration tests: ${ts.length} TypeScript file(s) compiled, ${files.length - ts.length} copied into ${path.relative(root, out)}/`);

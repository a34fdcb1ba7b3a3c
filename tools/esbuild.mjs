// Bundles the extension host code, the `ipcx` CLI and the webview apps into dist/ (git-ignored).
// `--production` minifies and drops source maps. Entries that do not exist yet are skipped.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root };

// `import fs from 'node:fs'` in a CommonJS bundle becomes `__toESM(require('node:fs'))` in every importing
// module: a fresh object with a getter per property of the builtin (fs has about a hundred), 50-odd times per
// start; measured at 3-6 ms of an `ipcx` start. A builtin's default export is the module object itself, so
// these default imports resolve instead to one tiny ES module per builtin that exports `require(name)`, and
// importers read it directly. Only default imports of these three are used in this code base: a named
// import of one fails the build ("No matching export"), and so does a namespace import's member (esbuild's
// "import-is-undefined" warning, made an error below), not the run.
const builtinDefaults = {
  name: 'builtin-defaults',
  setup(build) {
    build.onResolve({ filter: /^node:(fs|path|os)$/ }, (a) =>
      a.kind === 'import-statement' ? { path: a.path, namespace: 'builtin-default' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'builtin-default' }, (a) =>
      ({ contents: `const m = require(${JSON.stringify(a.path)});\nexport default m;\n`, loader: 'js' }));
  },
};

const node = [
  { in: 'extension/extension.ts', out: 'dist/extension.js' },
  { in: 'extension/cli/ipcx.ts', out: 'dist/ipcx-cli.js' },
  { in: 'extension/cli/launcher.ts', out: 'dist/ipcx.js', banner: '#!/usr/bin/env node' },
];
const browser = fs.existsSync(path.join(root, 'webview'))
  ? fs.readdirSync(path.join(root, 'webview'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, 'webview', d.name, 'main.ts')))
      .map((d) => ({ in: `webview/${d.name}/main.ts`, out: `dist/webview/${d.name}.js` }))
  : [];

const jobs = [];
for (const e of node) {
  if (!fs.existsSync(path.join(root, e.in))) continue;
  // a production build has no source maps: one left by an earlier development build would describe other code
  if (production) fs.rmSync(path.join(root, `${e.out}.map`), { force: true });
  jobs.push(esbuild.build({
    ...common, entryPoints: [e.in], outfile: e.out, platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode'], banner: e.banner ? { js: e.banner } : undefined, plugins: [builtinDefaults],
    logOverride: { 'import-is-undefined': 'error' },
  }));
}
for (const e of browser) {
  if (production) fs.rmSync(path.join(root, `${e.out}.map`), { force: true });
  jobs.push(esbuild.build({
    ...common, entryPoints: [e.in], outfile: e.out, platform: 'browser', format: 'iife', target: 'es2022',
    loader: { '.css': 'text' },
  }));
}
await Promise.all(jobs);
if (fs.existsSync(path.join(root, 'dist/ipcx.js'))) fs.chmodSync(path.join(root, 'dist/ipcx.js'), 0o755);
// The CLI's V8 code cache, next to the bundle, written only here (see tools/ipcx-code-cache.mjs).
if (fs.existsSync(path.join(root, 'dist/ipcx-cli.js'))) {
  for (const f of ['dist/ipcx-cli.js', 'dist/ipcx.js']) fs.chmodSync(path.join(root, f), 0o755 & ~0o022);
  await import('./ipcx-code-cache.mjs');
}
console.log(`esbuild: ${jobs.length} bundle(s)${production ? ' (production)' : ''}`);

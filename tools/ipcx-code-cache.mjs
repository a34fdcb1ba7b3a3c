// Build step: writes the V8 code cache of the ipcx CLI bundle next to it (dist/ipcx-cli.jsc, read-only
// 0644 like the bundle) and its side file (dist/ipcx-cli.jsc.json: the bundle's SHA-256 and identity, Node
// and V8 versions). The launcher (extension/cli/launcher.ts) uses the cache only if all of that still matches.
// The cache is taken after a real `ipcx snapshot --json` ran in a child process, so the functions that
// command compiles lazily are in it too, not only the top level. The output goes to /dev/null; the run
// only reads IPC state. Usage: node tools/ipcx-code-cache.mjs [dist/ipcx-cli.js]
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// run by tools/esbuild.mjs (imported: its own options, e.g. --production, are in argv) or on its own with a path
const given = process.argv.slice(2).find((a) => !a.startsWith('-'));
const bundleFile = path.resolve(given ?? path.join(root, 'dist', 'ipcx-cli.js'));
const cacheFile = bundleFile.replace(/\.js$/, '') + '.jsc';
const metaFile = `${cacheFile}.json`;

// The child: the launcher's wrapper around the bundle (the same source text, or V8 rejects the cache),
// run as the main module with `snapshot --json`, the cache taken at exit.
const child = `
const fs = require('node:fs'), vm = require('node:vm'), path = require('node:path');
const { createRequire } = require('node:module');
const [bundleFile, cacheFile] = process.argv.splice(1, 2);
process.argv.splice(1, 0, path.join(path.dirname(bundleFile), 'ipcx.js'));
const src = '(function (exports, require, module, __filename, __dirname) { ' + fs.readFileSync(bundleFile, 'utf8') + '\\n})';
const script = new vm.Script(src, { filename: bundleFile });
process.on('exit', () => { fs.writeFileSync(cacheFile, script.createCachedData(), { mode: 0o644 }); });
const req = createRequire(bundleFile);
req.main = module;
script.runInThisContext().call(module.exports, module.exports, req, module, bundleFile, path.dirname(bundleFile));
`;
for (const f of [cacheFile, metaFile]) fs.rmSync(f, { force: true });
const tmp = `${cacheFile}.tmp`;
fs.rmSync(tmp, { force: true });
const r = spawnSync(process.execPath, ['-e', child, bundleFile, tmp, 'snapshot', '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (!fs.existsSync(tmp)) {
  console.error(`ipcx code cache: not written (training run exited ${r.status ?? r.signal}); ipcx runs without it`);
  process.exit(0);
}
fs.chmodSync(tmp, 0o644);
fs.renameSync(tmp, cacheFile);
const sha256 = crypto.createHash('sha256').update(fs.readFileSync(bundleFile)).digest('hex');
// the bundle's identity, by the launcher's own function: while it matches, the launcher skips the hash.
// Node 20 cannot import the .ts module, so esbuild (already loaded by the build) compiles it here.
const { outputFiles: [identityJs] } = buildSync({
  entryPoints: [path.join(root, 'extension', 'cli', 'bundleIdentity.ts')], bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'warning',
});
const { fileIdentity } = await import(`data:text/javascript,${encodeURIComponent(identityJs.text)}`);
const identity = fileIdentity(fs.statSync(bundleFile, { bigint: true }));
fs.writeFileSync(metaFile, `${JSON.stringify({ sha256, identity, node: process.version, v8: process.versions.v8 })}\n`, { mode: 0o644 });
fs.chmodSync(metaFile, 0o644);
console.log(`ipcx code cache: ${path.relative(root, cacheFile)} (${fs.statSync(cacheFile).size} bytes)`);

// Builds the native binding (native/binding.gyp) with node-gyp during `npm install`.
// A failed build is not fatal: the extension and `ipcx` fall back to parsing /proc/sysvipc and say so.
// Set IPCX_REQUIRE_NATIVE=1 (CI does) to make a failed build fail the install.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import { nativeSourceHash, stampFile } from './native-stamp.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const nativeDir = path.join(root, 'native');
if (process.platform !== 'linux') {
  console.warn(`ipc-explorer: no native binding for ${process.platform}; the /proc parser cannot run here either.`);
  process.exit(0);
}
if (!fs.existsSync(path.join(nativeDir, 'binding.gyp'))) process.exit(0);
const require = createRequire(import.meta.url);
let gyp;
try { gyp = require.resolve('node-gyp/bin/node-gyp.js'); } catch { gyp = null; }
// Build against the running node's own headers when they are installed beside it (Debian's nodejs-dev, or a
// tarball install): node-gyp would otherwise try to download them, which fails offline.
const prefix = path.dirname(path.dirname(process.execPath));
const localHeaders = !process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))
  ? [`--nodedir=${prefix}`] : [];
const args = gyp ? [gyp, 'rebuild', '--directory', nativeDir, ...localHeaders] : null;
const r = args
  ? spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root })
  : spawnSync('npm', ['exec', '--yes', '--', 'node-gyp', 'rebuild', '--directory', nativeDir], { stdio: 'inherit', cwd: root });
if (r.status === 0) fs.writeFileSync(stampFile(root), nativeSourceHash(root) + '\n');
if (r.status !== 0) {
  const msg = `ipc-explorer: building the native binding failed (node-gyp exit ${r.status}). ` +
    'IPC Explorer will fall back to parsing /proc/sysvipc (no per-semaphore values, no guarded removal). ' +
    'Install python3, make and g++ and run `npm rebuild` to retry.';
  if (process.env.IPCX_REQUIRE_NATIVE === '1') { console.error(msg); process.exit(1); }
  console.warn(msg);
}

/**
 * The `ipcx` bin entry (bundled to dist/ipcx.js). It runs the CLI bundle (dist/ipcx-cli.js) through
 * `vm.Script`, with the V8 code cache the build wrote next to it (dist/ipcx-cli.jsc) when that cache can be
 * trusted, so a start skips parsing and compiling most of the bundle. The cache holds bytecode V8 runs
 * without checking it against the source: whoever can write it chooses what a root-run `ipcx` executes.
 * So it is used only when all of these hold, else the bundle is compiled from source as before:
 * - the bundle, the cache and its side file (dist/ipcx-cli.jsc.json) are regular files, not writable by
 *   group or other, and the cache and side file have the bundle's owner (checked on the open descriptors,
 *   so a file swapped after the check is not the one read);
 * - the side file records the SHA-256 of exactly this bundle (V8 itself only compares the source length)
 *   and this Node/V8 version;
 * - V8 accepts the cache (`cachedDataRejected` false; it rejects other V8 versions and flags).
 * Nothing here writes a file: the cache is produced only by the build (tools/ipcx-code-cache.mjs).
 * `IPCX_CODE_CACHE_DEBUG=1` says on stderr whether the cache was used and, if not, why.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** Shared with tools/ipcx-code-cache.mjs: the cache is valid only for this exact source text. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n})';

interface CacheMeta { sha256?: unknown; node?: unknown; v8?: unknown }

function openChecked(file: string, owner: number | null): { fd: number; st: fs.Stats } | string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    return `${path.basename(file)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  const st = fs.fstatSync(fd);
  const why = !st.isFile() ? 'not a regular file'
    : (st.mode & 0o022) !== 0 ? `writable by group or other (mode ${(st.mode & 0o777).toString(8)})`
      : owner !== null && st.uid !== owner ? `owner ${st.uid} is not the bundle's owner ${owner}`
        : '';
  if (why) {
    fs.closeSync(fd);
    return `${path.basename(file)}: ${why}`;
  }
  return { fd, st };
}

function readAll(fd: number): Buffer {
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The cache bytes when every check passes, else the reason it is not used. */
function trustedCache(bundleFile: string, bundle: Buffer, bundleSt: fs.Stats | null): Buffer | string {
  if (!bundleSt) return 'bundle not trusted';
  const metaF = openChecked(`${bundleFile.replace(/\.js$/, '')}.jsc.json`, bundleSt.uid);
  if (typeof metaF === 'string') return metaF;
  let meta: CacheMeta;
  try {
    meta = JSON.parse(readAll(metaF.fd).toString('utf8')) as CacheMeta;
  } catch {
    return 'side file is not JSON';
  }
  if (meta.node !== process.version || meta.v8 !== process.versions.v8) return 'built by another Node/V8';
  if (meta.sha256 !== crypto.createHash('sha256').update(bundle).digest('hex')) return 'stale: bundle hash differs';
  const cacheF = openChecked(`${bundleFile.replace(/\.js$/, '')}.jsc`, bundleSt.uid);
  if (typeof cacheF === 'string') return cacheF;
  return readAll(cacheF.fd);
}

function run(bundleFile: string): void {
  const debug = process.env['IPCX_CODE_CACHE_DEBUG'] === '1';
  const b = openChecked(bundleFile, null);
  let bundle: Buffer;
  let bundleSt: fs.Stats | null = null;
  let note = '';
  if (typeof b === 'string') {
    note = b;
    bundle = fs.readFileSync(bundleFile);
  } else {
    bundleSt = b.st;
    bundle = readAll(b.fd);
  }
  const cache = trustedCache(bundleFile, bundle, bundleSt);
  if (typeof cache === 'string' && !note) note = cache;
  const source = WRAP_HEAD + bundle.toString('utf8') + WRAP_TAIL;
  const script = new vm.Script(source, {
    filename: bundleFile,
    cachedData: typeof cache === 'string' ? undefined : cache,
  });
  if (debug) {
    const used = typeof cache !== 'string' && !script.cachedDataRejected;
    process.stderr.write(`ipcx: code cache ${used ? 'used' : `not used (${script.cachedDataRejected ? 'rejected by V8' : note})`}\n`);
  }
  const fn = script.runInThisContext() as (...a: unknown[]) => void;
  // `module` is this (main) module, so the bundle's `require.main === module` holds as when run directly.
  fn.call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, path.dirname(bundleFile));
}

run(path.join(__dirname, 'ipcx-cli.js'));

/**
 * The `ipcx` bin entry (bundled to dist/ipcx.js). It runs the CLI bundle (dist/ipcx-cli.js) through
 * `vm.Script`, with the V8 code cache the build wrote next to it (dist/ipcx-cli.jsc) when that cache can be
 * trusted, so a start skips parsing and compiling most of the bundle. The cache holds bytecode V8 runs
 * without checking it against the source: whoever can write it chooses what a root-run `ipcx` executes.
 * So it is used only when all of these hold, else the bundle is compiled from source as before:
 * - the bundle, the cache and its side file (dist/ipcx-cli.jsc.json) are regular files, not writable by
 *   group or other, and the cache and side file have the bundle's owner (checked on the open descriptors,
 *   so a file swapped after the check is not the one read);
 * - the side file records this Node/V8 version and the bundle as the build left it: the SHA-256 of its
 *   bytes (V8 itself only compares the source length) and its identity (device, inode, size, modification
 *   and change times in ns). When the identity still matches, the bundle has not been written, renamed
 *   over or chmod-ed since (any of those moves the change time, which only root can set back), so the hash
 *   is skipped; a copied or reinstalled bundle has another identity and is hashed as before;
 * - V8 accepts the cache (`cachedDataRejected` false; it rejects other V8 versions and flags).
 * Nothing here writes a file: the cache is produced only by the build (tools/ipcx-code-cache.mjs).
 * `IPCX_CODE_CACHE_DEBUG=1` says on stderr whether the cache was used and, if not, why.
 */
import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { nodeCrypto } from '../backend/builtins';
import { fileIdentity } from './bundleIdentity';

/** Shared with tools/ipcx-code-cache.mjs: the cache is valid only for this exact source text. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n})';

interface CacheMeta { sha256?: unknown; node?: unknown; v8?: unknown; identity?: unknown }

function openChecked(file: string, owner: bigint | null): { fd: number; st: fs.BigIntStats } | string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    return `${path.basename(file)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  const st = fs.fstatSync(fd, { bigint: true });
  const why = !st.isFile() ? 'not a regular file'
    : (st.mode & 0o022n) !== 0n ? `writable by group or other (mode ${(st.mode & 0o777n).toString(8)})`
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

/** A cache that passed every check, and how the bundle was recognised as the build's (its identity, or its hash). */
interface TrustedCache { bytes: Buffer; how: 'identity' | 'hash' }

/** The cache when every check passes, else the reason it is not used. */
function trustedCache(bundleFile: string, bundle: Buffer, bundleSt: fs.BigIntStats | null): TrustedCache | string {
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
  let how: TrustedCache['how'] = 'identity';
  if (meta.identity !== fileIdentity(bundleSt)) {
    if (meta.sha256 !== nodeCrypto().createHash('sha256').update(bundle).digest('hex')) return 'stale: bundle hash differs';
    how = 'hash';
  }
  const cacheF = openChecked(`${bundleFile.replace(/\.js$/, '')}.jsc`, bundleSt.uid);
  if (typeof cacheF === 'string') return cacheF;
  return { bytes: readAll(cacheF.fd), how };
}

function run(bundleFile: string): void {
  const debug = process.env['IPCX_CODE_CACHE_DEBUG'] === '1';
  const b = openChecked(bundleFile, null);
  let bundle: Buffer;
  let bundleSt: fs.BigIntStats | null = null;
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
  // esbuild writes ASCII (non-ASCII characters escaped); latin1 decodes it to the same string without UTF-8 decoding
  const source = WRAP_HEAD + bundle.toString(isAscii(bundle) ? 'latin1' : 'utf8') + WRAP_TAIL;
  const script = new vm.Script(source, {
    filename: bundleFile,
    cachedData: typeof cache === 'string' ? undefined : cache.bytes,
  });
  if (debug) {
    const used = typeof cache !== 'string' && !script.cachedDataRejected;
    process.stderr.write(`ipcx: code cache ${used ? `used (bundle ${cache.how === 'identity' ? 'unchanged since the build' : 'hash matches'})` : `not used (${script.cachedDataRejected ? 'rejected by V8' : note})`}\n`);
  }
  const fn = script.runInThisContext() as (...a: unknown[]) => void;
  // `module` is this (main) module, so the bundle's `require.main === module` holds as when run directly.
  fn.call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, path.dirname(bundleFile));
}

run(path.join(__dirname, 'ipcx-cli.js'));

/**
 * The loader: which paths it tries, in which order, and what it says when none works. Also checks the
 * bundle-relative path with a real esbuild bundle in a temporary tree (dist/x.js -> ../native/build/Release).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import * as esbuild from 'esbuild';
import { loadNative, NATIVE_FILE, nativeCandidates } from '../../extension/backend/nativeLoader';
import { native, repoRoot } from './support';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-loader-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const built = path.join(repoRoot, 'native', 'build', 'Release', NATIVE_FILE);

test('missing binary: ENATIVE naming every path tried, in order, with the last error and a hint', () => {
  const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
  const missing = path.join(tmp, 'nope', NATIVE_FILE);
  const r = loadNative({ env: { IPCX_NATIVE_PATH: missing }, baseDirs: [empty] });
  assert.equal(r.binding, undefined);
  assert.deepEqual(r.tried, [
    missing,
    path.join(empty, 'native', 'build', 'Release', NATIVE_FILE),
    path.join(empty, 'native', 'build', 'Debug', NATIVE_FILE),
    path.join(empty, 'prebuilds', `${process.platform}-${process.arch}`, NATIVE_FILE),
  ]);
  assert.equal(r.error?.code, 'ENATIVE');
  for (const p of r.tried) assert.ok(r.error!.message.includes(p), `message names ${p}`);
  assert.match(r.error!.message, /Last error: .*prebuilds.*: not found$/);
  assert.match(r.error!.hint!, /npm rebuild/);
  assert.match(r.error!.hint!, /\/proc\/sysvipc/);
});

test('a file that is not a loadable binding: the dlopen error is reported', () => {
  const bogus = path.join(tmp, 'bogus.node');
  fs.writeFileSync(bogus, 'not an ELF file');
  const r = loadNative({ env: { IPCX_NATIVE_PATH: bogus }, baseDirs: [] });
  assert.equal(r.binding, undefined);
  assert.deepEqual(r.tried, [bogus]);
  assert.match(r.error!.message, /bogus\.node: .*(invalid ELF header|file too short)/);
});

test('IPCX_NATIVE_PATH is tried first; the default candidates include the source tree build', () => {
  const copy = path.join(tmp, 'copy', NATIVE_FILE);
  fs.mkdirSync(path.dirname(copy), { recursive: true });
  fs.copyFileSync(built, copy);
  const r = loadNative({ env: { IPCX_NATIVE_PATH: copy } });
  assert.ok(r.binding, JSON.stringify(r.error));
  assert.equal(r.binding.path, copy);
  assert.equal(r.tried[0], copy);
  assert.ok(nativeCandidates({}).includes(built), 'extension/backend/../../native/build/Release');
  assert.equal(native().path, built, 'without the variable the source-tree build loads');
  assert.match(native().version, /^ipc_native \d+\.\d+\.\d+ \(napi \d+\)$/);
});

test('from an esbuild bundle in dist/, the binding is found at ../native/build/Release, or the error says where', async () => {
  const root = path.join(tmp, 'pkg');
  const entry = path.join(tmp, 'entry.ts');
  fs.writeFileSync(
    entry,
    `import { loadNative } from ${JSON.stringify(path.join(repoRoot, 'extension/backend/nativeLoader'))};\n` +
      `const r = loadNative({ env: {} });\n` +
      `process.stdout.write(JSON.stringify({ ok: !!r.binding, path: r.binding?.path, tried: r.tried, error: r.error }));\n`,
  );
  await esbuild.build({ entryPoints: [entry], outfile: path.join(root, 'dist', 'x.js'), bundle: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
  const runIt = () => JSON.parse(spawnSync(process.execPath, [path.join(root, 'dist', 'x.js')], { encoding: 'utf8' }).stdout);
  const before = runIt();
  assert.equal(before.ok, false);
  assert.equal(before.tried[0], path.join(root, 'native', 'build', 'Release', NATIVE_FILE));
  assert.match(before.error.message, new RegExp(path.join(root, 'native', 'build', 'Release').replace(/[/.]/g, '\\$&')));
  fs.mkdirSync(path.join(root, 'native', 'build', 'Release'), { recursive: true });
  fs.copyFileSync(built, path.join(root, 'native', 'build', 'Release', NATIVE_FILE));
  const afterCopy = runIt();
  assert.equal(afterCopy.ok, true, JSON.stringify(afterCopy.error));
  assert.equal(afterCopy.path, path.join(root, 'native', 'build', 'Release', NATIVE_FILE));
});

test('the raw binding rejects bad arguments with a usage string (no crash)', () => {
  assert.throws(() => native().semDetail(-1), /Usage: semDetail\(id: number\)/);
  assert.throws(() => native().shmPeek(1.5, 4), /Usage: shmPeek\(id: number, length: number\)/);
  assert.throws(() => native().readPosixSem(42 as unknown as string), /Usage: readPosixSem\(path: string \| Buffer\)/);
  assert.throws(() => native().readPosixSem(Buffer.from('/dev/shm/a\0b')), /Usage: readPosixSem\(path\): the path holds a NUL byte/);
  assert.throws(() => native().remove('nope' as 'sem', 1, { key: 0, ctime: 0 }), /Usage: remove\(kind/);
});

/**
 * The V8 code cache of the `ipcx` bundle (dist/ipcx-cli.jsc, written by the build): the launcher uses it only
 * when it is the build's own, for exactly this bundle, and nobody but the bundle's owner could have written it.
 * Each case runs a private copy of dist/ (launcher, bundle, cache, side file) with one thing changed and
 * checks: the output and exit status are those of the bundle run directly (no cache involved), stderr is
 * empty, nothing was written next to the bundle, and IPCX_CODE_CACHE_DEBUG=1 names the reason the cache was
 * not used. The untouched copy must say "used", so the other cases are not passing merely because no cache
 * ever loads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileIdentity } from '../../extension/cli/bundleIdentity';
import { repoRoot } from '../helpers/cprog';
import { stageIpcxFiles } from '../helpers/stage';

const dist = path.join(repoRoot, 'dist');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function copyOfDist(): { dir: string; bin: string; bundle: string; cache: string; meta: string } {
  assert.ok(fs.existsSync(path.join(dist, 'ipcx-cli.jsc')), 'dist/ipcx-cli.jsc is missing: npm run build');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-codecache-'));
  dirs.push(dir);
  const bin = stageIpcxFiles(path.join(dir, 'dist'));
  const d = path.dirname(bin);
  return { dir: d, bin, bundle: path.join(d, 'ipcx-cli.js'), cache: path.join(d, 'ipcx-cli.jsc'), meta: path.join(d, 'ipcx-cli.jsc.json') };
}

function run(file: string, args: string[], debug = false): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env['IPCX_CODE_CACHE_DEBUG'];
  if (debug) env['IPCX_CODE_CACHE_DEBUG'] = '1';
  const r = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Same output as the bundle itself, no error, nothing written; returns the launcher's own account. */
function check(c: ReturnType<typeof copyOfDist>): string {
  const before = fs.readdirSync(c.dir).sort();
  for (const args of [['--help'], ['--version'], ['inspect', 'sem', 'x']]) {
    const direct = run(c.bundle, args);
    const launched = run(c.bin, args);
    assert.deepEqual(launched, direct, `ipcx ${args.join(' ')}`);
  }
  assert.equal(run(c.bin, ['--version']).stderr, '');
  const why = run(c.bin, ['--version'], true).stderr.trim();
  assert.deepEqual(fs.readdirSync(c.dir).sort(), before, 'the launcher wrote nothing');
  return why;
}

test('code cache: the build\'s own cache is used, output unchanged', () => {
  // a copy has another inode than the build's bundle: it is recognised by its hash
  const c = copyOfDist();
  assert.equal(check(c), 'ipcx: code cache used (bundle hash matches)');
  // dist/ itself, as the build left it: recognised by its identity, no hash taken
  assert.equal(run(path.join(dist, 'ipcx.js'), ['--version'], true).stderr.trim(), 'ipcx: code cache used (bundle unchanged since the build)');
});

/** The identity the side file records. */
function identityOf(file: string): string {
  return fileIdentity(fs.statSync(file, { bigint: true }));
}

test('code cache: a matching identity skips the hash; any write, rename or chmod of the bundle brings it back', () => {
  const c = copyOfDist();
  const meta = JSON.parse(fs.readFileSync(c.meta, 'utf8')) as Record<string, string>;
  // the copy's identity with a wrong hash: used, so the hash was not consulted
  fs.writeFileSync(c.meta, JSON.stringify({ ...meta, identity: identityOf(c.bundle), sha256: '0'.repeat(64) }));
  assert.equal(check(c), 'ipcx: code cache used (bundle unchanged since the build)');
  // each change below moves the change time (or the inode); the wrong hash then refuses the cache
  const changes: Array<[string, () => void]> = [
    ['same bytes rewritten', () => fs.writeFileSync(c.bundle, fs.readFileSync(c.bundle))],
    ['chmod to the same mode', () => fs.chmodSync(c.bundle, fs.statSync(c.bundle).mode & 0o7777)],
    ['times set back', () => {
      const st = fs.statSync(c.bundle);
      fs.utimesSync(c.bundle, st.atime, st.mtime);
    }],
    ['renamed over by a copy', () => {
      fs.copyFileSync(c.bundle, `${c.bundle}.new`);
      fs.renameSync(`${c.bundle}.new`, c.bundle);
    }],
  ];
  for (const [what, change] of changes) {
    fs.writeFileSync(c.meta, JSON.stringify({ ...meta, identity: identityOf(c.bundle), sha256: '0'.repeat(64) }));
    change();
    assert.notEqual(identityOf(c.bundle), JSON.parse(fs.readFileSync(c.meta, 'utf8')).identity, what);
    assert.equal(check(c), 'ipcx: code cache not used (stale: bundle hash differs)', what);
  }
});

test('code cache: stale (bundle changed, same length: V8 alone would accept it) -> not used', () => {
  const c = copyOfDist();
  const src = fs.readFileSync(c.bundle, 'utf8');
  const i = src.indexOf('Usage');
  assert.ok(i > 0);
  const changed = `${src.slice(0, i)}USAGE${src.slice(i + 5)}`;
  assert.equal(changed.length, src.length);
  fs.writeFileSync(c.bundle, changed);
  assert.equal(check(c), 'ipcx: code cache not used (stale: bundle hash differs)');
});

test('code cache: tampered (header, truncated) -> rejected by V8, output unchanged', () => {
  for (const tamper of [
    (b: Buffer) => { b[0] ^= 0xff; return b; },
    (b: Buffer) => b.subarray(0, b.length >> 1),
  ]) {
    const c = copyOfDist();
    fs.writeFileSync(c.cache, tamper(fs.readFileSync(c.cache)));
    assert.equal(check(c), 'ipcx: code cache not used (rejected by V8)');
  }
});

test('code cache: side file for another Node, or not JSON -> not used', () => {
  const c = copyOfDist();
  const meta = JSON.parse(fs.readFileSync(c.meta, 'utf8')) as Record<string, string>;
  fs.writeFileSync(c.meta, JSON.stringify({ ...meta, node: 'v0.0.0' }));
  assert.equal(check(c), 'ipcx: code cache not used (built by another Node/V8)');
  fs.writeFileSync(c.meta, '{');
  assert.equal(check(c), 'ipcx: code cache not used (side file is not JSON)');
  fs.rmSync(c.meta);
  assert.equal(check(c), 'ipcx: code cache not used (ipcx-cli.jsc.json: ENOENT)');
});

test('code cache: writable by group or other, or owned by someone else -> not used', () => {
  for (const [file, mode] of [['ipcx-cli.jsc', 0o664], ['ipcx-cli.jsc', 0o646], ['ipcx-cli.jsc.json', 0o660], ['ipcx-cli.js', 0o775]] as const) {
    const c = copyOfDist();
    fs.chmodSync(path.join(c.dir, file), mode);
    const why = check(c);
    assert.equal(why, file === 'ipcx-cli.js'
      ? `ipcx: code cache not used (ipcx-cli.js: writable by group or other (mode ${mode.toString(8)}))`
      : `ipcx: code cache not used (${file}: writable by group or other (mode ${mode.toString(8)}))`);
  }
  // another owner needs chown: the cli stage runs as root in its namespaces (a non-root run says so, not skips)
  assert.equal(process.getuid?.(), 0, 'this test needs root to give the cache another owner');
  const c = copyOfDist();
  fs.chownSync(c.cache, 65534, 65534);
  assert.equal(check(c), `ipcx: code cache not used (ipcx-cli.jsc: owner 65534 is not the bundle's owner ${fs.statSync(c.bundle).uid})`);
  fs.rmSync(c.cache);
  fs.symlinkSync(path.join(dist, 'ipcx-cli.jsc'), c.cache);
  assert.equal(check(c), 'ipcx: code cache not used (ipcx-cli.jsc: ELOOP)');
});

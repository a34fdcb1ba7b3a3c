/**
 * Staging code that a test runs as another user (nobody via setpriv, postgres): the checkout may live where
 * that user cannot go (root's 0700 home, a 0700 `mktemp -d`), so such code must not be run from it.
 *
 * `stageDir()` is one 0755 directory under the system temp dir per test process (removed when the process
 * exits); every ancestor is checked to be searchable by other users, so a TMPDIR inside a private directory
 * fails with a clear message instead of an opaque EACCES in the other user's process. Into it go:
 * - `stageFile(file)`: a copy of one executable (a C helper, the native binding), keeping its base name (tests
 *   match processes by their comm);
 * - `stageBundle(entry, name)`: a TypeScript entry bundled with esbuild into one CommonJS file (no tsx, no
 *   node_modules needed at run time);
 * - `stagedNativeBinding()`: a copy of the binding this process loaded, for IPCX_NATIVE_PATH.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { loadNative } from '../../extension/backend/nativeLoader';
import { repoRoot } from './cprog';

let dir: string | undefined;

/** Throws unless every directory from / down to `p` lets other users search it (mode o+x). */
export function assertSearchableByOthers(p: string): void {
  const parts = path.resolve(p).split(path.sep).filter(Boolean);
  let cur: string = path.sep;
  for (const part of [undefined, ...parts]) {
    if (part !== undefined) cur = path.join(cur, part);
    const st = fs.statSync(cur);
    if ((st.mode & 0o001) === 0) {
      throw new Error(
        `${cur} (mode 0${(st.mode & 0o7777).toString(8)}) is not searchable by other users, so code staged under it ` +
          'cannot run as nobody; point TMPDIR at a world-searchable directory such as /tmp',
      );
    }
  }
}

export function stageDir(): string {
  if (dir) return dir;
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-stage-'));
  fs.chmodSync(d, 0o755);
  assertSearchableByOthers(d);
  dir = d;
  process.once('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const staged = new Map<string, string>();

/** A world-readable (0755) copy of `file` in the stage directory, under its own base name. */
export function stageFile(file: string): string {
  const st = fs.statSync(file);
  const key = `${path.resolve(file)}\0${st.mtimeMs}\0${st.size}`;
  const hit = staged.get(key);
  if (hit) return hit;
  const sub = path.join(stageDir(), crypto.createHash('sha256').update(key).digest('hex').slice(0, 12));
  fs.mkdirSync(sub, { mode: 0o755 });
  fs.chmodSync(sub, 0o755);
  const out = path.join(sub, path.basename(file));
  fs.copyFileSync(file, out);
  fs.chmodSync(out, 0o755);
  staged.set(key, out);
  return out;
}

/** The native binding this process loads, staged (throws when it does not load). */
export function stagedNativeBinding(): string {
  const r = loadNative();
  if (!r.binding) throw new Error(`native binding not loadable: ${r.error?.message}`);
  return stageFile(r.binding.path);
}

/**
 * `entry` (a path relative to the checkout) bundled into one CommonJS file in the stage directory, named
 * `name`.cjs. Run it with `node FILE` and IPCX_NATIVE_PATH=stagedNativeBinding() when it loads the binding.
 */
export function stageBundle(entry: string, name: string): string {
  const key = `bundle\0${entry}`;
  const hit = staged.get(key);
  if (hit) return hit;
  const out = path.join(stageDir(), `${name}.cjs`);
  buildSync({
    absWorkingDir: repoRoot, entryPoints: [path.join(repoRoot, entry)], outfile: out, bundle: true,
    platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error',
  });
  fs.chmodSync(out, 0o644);
  staged.set(key, out);
  return out;
}

/** `file` itself when it lies outside the checkout (a system binary), else its staged copy. */
export function forOtherUsers(file: string): string {
  const abs = path.resolve(file);
  return abs.startsWith(repoRoot + path.sep) ? stageFile(abs) : file;
}

/** setpriv argv prefix: uid/gid 65534 (nobody), no supplementary groups. */
export const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

/**
 * dist/ipcx.js staged for another user: the launcher, the bundle (it needs nothing from node_modules) and its
 * code cache copied into one directory, and the environment that points it at a staged copy of the binding.
 */
export function stagedIpcx(env: NodeJS.ProcessEnv = process.env): { js: string; env: NodeJS.ProcessEnv } {
  const js = stageIpcxFiles(path.join(stageDir(), 'ipcx'));
  const r = loadNative();
  return { js, env: r.binding ? { ...env, IPCX_NATIVE_PATH: stageFile(r.binding.path) } : env };
}

/** The files `ipcx` runs from (launcher, bundle, code cache and its side file when built) copied into `dir`. */
export function stageIpcxFiles(dir: string): string {
  const dist = path.join(repoRoot, 'dist');
  if (!fs.existsSync(path.join(dir, 'ipcx.js'))) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const f of ['ipcx.js', 'ipcx-cli.js', 'ipcx-cli.jsc', 'ipcx-cli.jsc.json']) {
      if (!fs.existsSync(path.join(dist, f))) continue;
      fs.copyFileSync(path.join(dist, f), path.join(dir, f));
      fs.chmodSync(path.join(dir, f), f.endsWith('.js') ? 0o755 : 0o644);
    }
  }
  return path.join(dir, 'ipcx.js');
}

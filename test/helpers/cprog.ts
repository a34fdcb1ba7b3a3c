/**
 * Small C helper programs for kernel tests and benches. `buildC('ipc_make')` compiles
 * test/helpers/c/ipc_make.c with gcc and returns the binary's path; a new program is one more .c file there.
 *
 * The binary's directory is a hash of everything that decides its content: the source bytes (and those of the
 * headers it includes with quotes), the compiler flags and the compiler (`gcc -dumpfullversion` +
 * `-dumpmachine`), e.g. test-artifacts/bin/3f9c…/ipc_make
 * (the file name stays the program's name: tests match processes by their comm).
 * So a changed source or changed flags always build a new binary, and a binary left by an earlier run (or
 * a half-written one) is never mistaken for the current one: it is built to a temporary name and renamed.
 *
 * Extra link flags can be given in the source's first lines as a comment: `// cprog: -lpthread -lrt`.
 *
 * The binaries live under the checkout; to run one as another user (e.g. nobody), pass it through
 * `stageForOtherUsers` (test/helpers/stage.ts): the checkout may be in a directory that user cannot enter.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const cSourceDir = path.join(repoRoot, 'test', 'helpers', 'c');
export const cBinDir = path.join(repoRoot, 'test-artifacts', 'bin');

function linkFlags(text: string): string[] {
  const head = text.split('\n', 10);
  const flags: string[] = [];
  for (const line of head) {
    const m = /^\s*\/\/\s*cprog:\s*(.*)$/.exec(line);
    if (m) flags.push(...m[1]!.trim().split(/\s+/).filter(Boolean));
  }
  return flags;
}

/** The text of every header the source includes with quotes (`#include "x.h"`, beside it), so a changed header rebuilds too. */
function localHeaders(src: string, text: string): string {
  const names = [...text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)].map((m) => m[1]!);
  return names.map((n) => `${n}\0${fs.readFileSync(path.join(path.dirname(src), n), 'utf8')}`).join('\0');
}

let compilerId: string | undefined;
/** gcc's version and target, part of every binary's hash (a compiler upgrade rebuilds). */
function compiler(): string {
  if (compilerId === undefined) {
    const v = spawnSync('gcc', ['-dumpfullversion', '-dumpversion'], { encoding: 'utf8' });
    if (v.error) throw new Error(`cannot run gcc (Debian package gcc): ${v.error.message}`);
    const m = spawnSync('gcc', ['-dumpmachine'], { encoding: 'utf8' });
    compilerId = `gcc ${v.stdout.trim()} ${m.stdout.trim()}`;
  }
  return compilerId;
}

/**
 * Compiles one C source with exactly `flags` (plus the source's `// cprog:` link flags) into
 * test-artifacts/bin/HASH/NAME and returns that path; reuses it only when source, flags and compiler match.
 * Throws with gcc's stderr on failure.
 */
export function compileC(src: string, name: string, flags: string[]): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`compileC: bad program name ${JSON.stringify(name)}`);
  if (!fs.existsSync(src)) throw new Error(`compileC: no source ${src}`);
  const text = fs.readFileSync(src, 'utf8');
  const args = [...flags, src, ...linkFlags(text)];
  const hash = crypto.createHash('sha256').update(compiler()).update('\0').update(name).update('\0').update(args.map((a) => (a === src ? '<src>' : a)).join('\0')).update('\0').update(text).update('\0').update(localHeaders(src, text)).digest('hex').slice(0, 16);
  const bin = path.join(cBinDir, hash, name);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  // Build to a temporary name and rename, so a concurrent test never runs a half-written binary.
  const tmp = `${bin}.${process.pid}.tmp`;
  const full = ['-o', tmp, ...args];
  const r = spawnSync('gcc', full, { encoding: 'utf8' });
  if (r.error) throw new Error(`compileC(${name}): cannot run gcc: ${r.error.message}`);
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`compileC(${name}): gcc ${full.join(' ')} failed:\n${r.stderr}`);
  }
  fs.renameSync(tmp, bin);
  return bin;
}

export const DEFAULT_CFLAGS = ['-O2', '-g', '-Wall', '-Wextra', '-D_GNU_SOURCE'];

export function buildC(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`buildC: bad program name ${JSON.stringify(name)}`);
  return compileC(path.join(cSourceDir, `${name}.c`), name, DEFAULT_CFLAGS);
}

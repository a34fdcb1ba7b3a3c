/**
 * Small C helper programs for kernel tests and benches. `buildC('ipc_make')` compiles
 * test/helpers/c/ipc_make.c with gcc into test-artifacts/bin/ipc_make (rebuilt only when the source is newer
 * than the binary) and returns the binary's path. Any track may add its own .c file there.
 *
 * Extra link flags can be given in the source's first lines as a comment: `// cprog: -lpthread -lrt`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const cSourceDir = path.join(repoRoot, 'test', 'helpers', 'c');
export const cBinDir = path.join(repoRoot, 'test-artifacts', 'bin');

function linkFlags(src: string): string[] {
  const head = fs.readFileSync(src, 'utf8').split('\n', 10);
  const flags: string[] = [];
  for (const line of head) {
    const m = /^\s*\/\/\s*cprog:\s*(.*)$/.exec(line);
    if (m) flags.push(...m[1]!.trim().split(/\s+/).filter(Boolean));
  }
  return flags;
}

export function buildC(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`buildC: bad program name ${JSON.stringify(name)}`);
  const src = path.join(cSourceDir, `${name}.c`);
  if (!fs.existsSync(src)) throw new Error(`buildC: no source ${src}`);
  const bin = path.join(cBinDir, name);
  const srcTime = fs.statSync(src).mtimeMs;
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= srcTime) return bin;
  fs.mkdirSync(cBinDir, { recursive: true });
  // Build to a temporary name and rename, so a concurrent test never runs a half-written binary.
  const tmp = `${bin}.${process.pid}.tmp`;
  const args = ['-O2', '-g', '-Wall', '-Wextra', '-D_GNU_SOURCE', '-o', tmp, src, ...linkFlags(src)];
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`buildC(${name}): cannot run gcc: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`buildC(${name}): gcc ${args.join(' ')} failed:\n${r.stderr}`);
  fs.renameSync(tmp, bin);
  return bin;
}

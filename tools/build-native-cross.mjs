// Cross-builds the native binding for another Linux architecture with Debian's cross toolchain, into
// prebuilds/linux-<arch>/ipc_native.node, where the loader looks after native/build (so a VSIX for that
// target carries it). The build runs in a copy of native/ (build/cross/<arch>/native) so the machine's own
// build in native/build stays as it is.
//
//   node tools/build-native-cross.mjs arm64     needs g++-aarch64-linux-gnu (Debian)
//
// N-API is a stable ABI: the binary loads in any Node.js with N-API 8 or later on that architecture.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const TRIPLES = { arm64: 'aarch64-linux-gnu' };

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Where tools/arm64-runtime.sh unpacks the toolchain and runtime (or $IPCX_ARM64_ROOT). */
export function toolchainRoot() {
  return process.env.IPCX_ARM64_ROOT || path.join(root, 'test-artifacts', 'arm64');
}

function runs(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/**
 * The cross compiler: an installed one on PATH (Debian's g++-aarch64-linux-gnu), else the one
 * tools/arm64-runtime.sh unpacked (Debian's package conflicts with gcc-multilib, so the tests use that one).
 */
export function findToolchain(triple) {
  if (runs(`${triple}-g++`)) return { cc: `${triple}-gcc`, cxx: `${triple}-g++`, ar: `${triple}-ar` };
  const bin = path.join(toolchainRoot(), 'usr', 'bin');
  const cxx = path.join(bin, `${triple}-g++-12`);
  // by name through PATH: make splits a compiler path that holds a space (a checkout in "My Projects")
  if (fs.existsSync(cxx) && runs(cxx)) return { cc: `${triple}-gcc-12`, cxx: `${triple}-g++-12`, ar: `${triple}-ar`, bin };
  return undefined;
}

/** Builds the binding for `arch`; returns the output path. Throws with the compiler's output on failure. */
export function buildCross(arch) {
  const triple = TRIPLES[arch];
  if (!triple) throw new Error(`build-native-cross: no cross toolchain known for ${arch} (known: ${Object.keys(TRIPLES).join(', ')})`);
  const tc = findToolchain(triple);
  if (!tc) {
    throw new Error(`build-native-cross: no ${triple} cross compiler (ENOENT): neither ${triple}-g++ on PATH nor ` +
      `${path.join(toolchainRoot(), 'usr', 'bin', `${triple}-g++-12`)}; as root: sh tools/arm64-runtime.sh ${toolchainRoot()}`);
  }
  const work = path.join(root, 'build', 'cross', arch);
  const copy = path.join(work, 'native');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  fs.cpSync(path.join(root, 'native'), copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}build`) && !src.includes(`${path.sep}node_modules`) });
  const require = createRequire(import.meta.url);
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  // the running Node's headers (N-API headers do not depend on the architecture)
  const prefix = path.dirname(path.dirname(process.execPath));
  const nodedir = process.env.npm_config_nodedir
    || (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
  const args = [gyp, 'rebuild', '--directory', copy, `--arch=${arch}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const env = { ...process.env, CC: tc.cc, CXX: tc.cxx, LINK: tc.cxx, AR: tc.ar };
  if (tc.bin) {
    env.PATH = `${tc.bin}${path.delimiter}${process.env.PATH ?? ''}`;
    // the unpacked assembler and linker load their BFD libraries (libbfd-2.40-arm64.so, libopcodes-...,
    // libctf-arm64.so.0) from the toolchain's own lib directory, not from the system's
    const libs = path.join(path.dirname(tc.bin), 'lib', `${{ x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch}-linux-gnu`);
    env.LD_LIBRARY_PATH = [libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  }
  const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`build-native-cross: node-gyp rebuild for ${arch} failed (exit ${r.status})\n${r.stdout}\n${r.stderr}`);
  }
  const out = path.join(root, 'prebuilds', `linux-${arch}`, 'ipc_native.node');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.copyFileSync(path.join(copy, 'build', 'Release', 'ipc_native.node'), out);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(buildCross(process.argv[2] ?? 'arm64'));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}

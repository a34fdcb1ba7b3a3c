/**
 * Finds and loads ipc_native.node, node-pty style: every candidate path in order, and an error that names
 * each path tried and the last failure. Never bundled: loaded at run time from computed paths.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hintFor } from '../domain/errors';
import type { IpcErrorInfo } from '../shared/model';
import { wrapRaw, type NativeBinding } from './nativeBinding';
import { RAW_FUNCTIONS, type RawNative } from './nativeRaw';

export interface LoadResult {
  binding?: NativeBinding;
  error?: IpcErrorInfo;
  /** every path tried, in order. */
  tried: string[];
}

export const NATIVE_FILE = 'ipc_native.node';

/**
 * Candidate paths, in order: $IPCX_NATIVE_PATH, then for each base directory (the bundle's dist/ and this
 * source file's extension/backend/) native/build/Release, native/build/Debug and prebuilds/<platform>-<arch>
 * of the package root above it.
 */
export function nativeCandidates(
  env: NodeJS.ProcessEnv = process.env,
  baseDirs: string[] = defaultBaseDirs(),
): string[] {
  const out: string[] = [];
  const add = (p: string): void => {
    const abs = path.resolve(p);
    if (!out.includes(abs)) out.push(abs);
  };
  if (env['IPCX_NATIVE_PATH']) add(env['IPCX_NATIVE_PATH']);
  const tag = `${process.platform}-${process.arch}`;
  for (const base of baseDirs) {
    add(path.join(base, 'native', 'build', 'Release', NATIVE_FILE));
    add(path.join(base, 'native', 'build', 'Debug', NATIVE_FILE));
    add(path.join(base, 'prebuilds', tag, NATIVE_FILE));
  }
  return out;
}

/** Package roots seen from the bundle (dist/ -> ..) and from the source tree (extension/backend/ -> ../..). */
function defaultBaseDirs(): string[] {
  const here = __dirname;
  return [path.resolve(here, '..'), path.resolve(here, '..', '..')];
}

/**
 * Load the binding. Never throws: on failure `error` (code 'ENATIVE') lists every path tried and the last
 * error, and `tried` holds the paths. Options exist for tests (an empty env and a base without a build).
 */
export function loadNative(opts: { env?: NodeJS.ProcessEnv; baseDirs?: string[] } = {}): LoadResult {
  const tried = nativeCandidates(opts.env ?? process.env, opts.baseDirs ?? defaultBaseDirs());
  if (process.platform !== 'linux') {
    return {
      tried: [],
      error: nativeLoadError(`the native binding is Linux-only (this is ${process.platform})`, []),
    };
  }
  let last = 'not found';
  for (const file of tried) {
    if (!fs.existsSync(file)) {
      last = `${file}: not found`;
      continue;
    }
    try {
      const mod = { exports: {} as unknown };
      process.dlopen(mod, file, os.constants.dlopen.RTLD_NOW);
      const raw = mod.exports as Record<string, unknown>;
      if (typeof raw['version'] !== 'string') {
        last = `${file}: not an ipc_native binding (no version export)`;
        continue;
      }
      const missing = RAW_FUNCTIONS.filter((f) => typeof raw[f] !== 'function');
      if (missing.length) {
        last = `${file}: a stale build (${String(raw['version'])}) without ${missing.join(', ')}; rebuild it`;
        continue;
      }
      return { binding: wrapRaw(raw as unknown as RawNative, file), tried };
    } catch (e) {
      last = `${file}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return { tried, error: nativeLoadError(last, tried) };
}

function nativeLoadError(last: string, tried: string[]): IpcErrorInfo {
  const where = tried.length ? ` Tried: ${tried.join(', ')}.` : '';
  const message = `cannot load the native binding ${NATIVE_FILE} (ENATIVE).${where} Last error: ${last}`;
  return { code: 'ENATIVE', syscall: 'dlopen', message, hint: hintFor('ENATIVE') };
}

let cached: LoadResult | undefined;
/** loadNative() once per process. */
export function nativeBinding(): LoadResult {
  if (!cached) cached = loadNative();
  return cached;
}

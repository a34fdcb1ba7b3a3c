/**
 * Node's child_process, crypto and net, loaded on first use. Every `ipcx` command and the extension host
 * load this code, but most runs never start a process, draw a random token or parse an address: a local
 * `ipcx snapshot --json` does none of it. Loading the three cost about 5 ms of wall time of every start on
 * the machine this was measured on (docs/benchmarks.md, "Start-up"). The modules are the same objects a
 * static import would give.
 */
import type * as ChildProcessModule from 'node:child_process';
import type * as CryptoModule from 'node:crypto';
import type * as NetModule from 'node:net';

let childProcessModule: typeof ChildProcessModule | undefined;
let cryptoModule: typeof CryptoModule | undefined;
let netModule: typeof NetModule | undefined;

export function childProcess(): typeof ChildProcessModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (childProcessModule ??= require('node:child_process') as typeof ChildProcessModule);
}

export function nodeCrypto(): typeof CryptoModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (cryptoModule ??= require('node:crypto') as typeof CryptoModule);
}

export function nodeNet(): typeof NetModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (netModule ??= require('node:net') as typeof NetModule);
}

/**
 * The `ipcx` subcommand registry. Each module default-exports a Subcommand
 * (`{ name, summary, usage, run(args, io) => Promise<exitCode> }`, see ../cliSupport.ts).
 *
 * To add a subcommand, add ONE line below: `export { default as NAME } from './NAME';`
 * `ipcx --help` lists them in this order.
 */
export { default as snapshot } from './snapshot';
export { default as limits } from './limits';
export { default as inspect } from './inspect';
export { default as recycle } from './recycle';
export { default as doctor } from './doctor';
export { default as futex } from './futex';
export { default as metrics } from './metrics';
export { default as serve } from './serve';
export { default as namespaces } from './namespaces';

/** Cross-builds the binding for `arch` into prebuilds/linux-<arch>/ipc_native.node; returns that path. */
export function buildCross(arch: 'arm64'): string;
/** Where tools/arm64-runtime.sh unpacks the toolchain and runtime. */
export function toolchainRoot(): string;
/** The cross compiler for `triple` (on PATH or unpacked), or undefined. */
export function findToolchain(triple: string): { cc: string; cxx: string; ar: string; bin?: string } | undefined;

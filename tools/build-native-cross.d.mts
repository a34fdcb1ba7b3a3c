/** Cross-builds the binding for `arch` into prebuilds/linux-<arch>/ipc_native.node; returns that path. */
export function buildCross(arch: 'arm64'): string;

/**
 * The identity of the ipcx CLI bundle that the code cache's side file records (dist/ipcx-cli.jsc.json): the
 * stat fields any write, rename over or chmod of the file moves (the change time only root can set back).
 * Written by the build (tools/ipcx-code-cache.mjs) and compared by the launcher (launcher.ts). No imports
 * with effects: the launcher bundles it, the build step compiles it on its own.
 */
import type { BigIntStats } from 'node:fs';

export function fileIdentity(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

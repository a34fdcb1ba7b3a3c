// The one policy for the Debian packages a command needs (tools/install-system-deps.sh), shared by
// `npm test` (test/run-all.mjs) and `npm run bench` (bench/run.mjs): as root they are installed when
// missing, otherwise (or with IPCX_SYSTEM_DEPS=check) only listed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Whether missing packages are installed here (root, not IPCX_SYSTEM_DEPS=check) rather than listed. */
export function installsSystemDeps() {
  return process.getuid?.() === 0 && process.env.IPCX_SYSTEM_DEPS !== 'check';
}

/** Installs or checks the packages of `stages`; returns whether it installs and whether all are there. */
export function systemDeps(root, stages) {
  const install = installsSystemDeps();
  const r = spawnSync('sh', [path.join(root, 'tools', 'install-system-deps.sh'), ...(install ? [] : ['--check']), ...stages], { cwd: root, stdio: 'inherit' });
  return { install, ok: r.status === 0 };
}

// `npm run bench`: runs every bench/*.bench.ts (or the names given) inside a private IPC + mount namespace,
// so the 32,000 benchmark sets never land in the host's namespace. Each bench prints its own table of
// medians and ratios against ipcs/lsipc measured in the same run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The namespace we start in: kernel tests compare against it (test/helpers/ns.ts) to prove they left it.
try { process.env.IPCX_HOST_IPC_NS ??= fs.readlinkSync('/proc/self/ns/ipc'); } catch { /* not Linux */ }

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const only = process.argv.slice(2);
const benches = fs.readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts') && (!only.length || only.some((o) => f.startsWith(o))))
  .sort();
let failed = 0;
for (const b of benches) {
  console.log(`\n##### ${b}`);
  const script = 'mount --make-rprivate / && mount -t tmpfs -o mode=1777,size=256m tmpfs /dev/shm && exec "$0" "$@"';
  const r = spawnSync('unshare', ['--ipc', '--mount', '--', 'sh', '-c', script, process.execPath, '--import', 'tsx',
    path.join('bench', b)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`bench ${b} failed (exit ${r.status})`); }
}
process.exit(failed ? 1 : 0);

/**
 * `npm run bench extension`: IPC Explorer in VS Code with 32,000 semaphore sets x 17 semaphores (SEMMNI's
 * default 32000, all of it), in the private IPC namespace bench/run.mjs provides.
 *
 * Measured in the same run, medians of RUNS:
 *   - util-linux: `ipcs -s` and `lsipc -s --json` (headers only) as processes: the baseline;
 *   - plain node (no VS Code): SnapshotStore.refresh() = LocalSource.snapshot() (native: headers + one GETALL
 *     per set, POSIX, process facts) + verdicts for every object (domain/verdict.ts), and each part alone;
 *   - the real VS Code extension host (code-server's VS Code 1.100.3 + Chromium, through the integration
 *     runner, sharing this namespace): activate(); the first snapshot after the view opens; and per refresh
 *     (a set removed or added in between, so the count changes): refresh command -> store updated,
 *     -> VS Code has re-read the expanded "Semaphore sets" node's children from the provider,
 *     -> the new count is in the workbench DOM (polled through the runner's bridge: up to ~100 ms coarse).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXTENSION_SOURCE_OPTIONS, LocalSource } from '../extension/backend/localSource';
import { assessSnapshot, DEFAULT_VERDICT_OPTIONS } from '../extension/domain/verdict';
import { SnapshotStore } from '../extension/services/snapshotStore';
import { assertPrivateIpcNamespace } from '../test/helpers/ns';
import { benchRuns, markdownTable, median, runBench, timeMs, timeProcess, timeSyncMs } from './lib';

const root = path.resolve(__dirname, '..');
// code-server and its runner are plain CommonJS (tools/vscode-server), shared with the integration tests
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureInstalled } = require(path.join(root, 'tools', 'vscode-server', 'codeServer.js')) as { ensureInstalled: () => void };
const RUNS = benchRuns(7);
const SETS = 32000;
const NSEMS = 17;

/** The namespace bench/run.mjs ran in before it unshared (it exports it), else our parent's (run.mjs itself). */
function hostIpcNamespace(): string {
  return process.env['IPCX_HOST_IPC_NS'] || fs.readlinkSync(`/proc/${process.ppid}/ns/ipc`);
}

function ipcobj(): string {
  const src = path.join(root, 'test', 'integration', 'fixtures', 'ipcobj.c');
  const hash = crypto.createHash('sha1').update(fs.readFileSync(src)).digest('hex').slice(0, 8);
  const out = path.join(os.tmpdir(), `ipcobj-${hash}`);
  if (!fs.existsSync(out)) {
    const r = spawnSync('gcc', ['-O1', '-o', out, src, '-pthread'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc: ${r.stderr}`);
  }
  return out;
}

async function main(): Promise<void> {
  assertPrivateIpcNamespace();
  const bin = ipcobj();
  const made = spawnSync(bin, ['many', String(SETS), String(NSEMS)], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`making ${SETS} sets: ${made.stderr}`);
  const listed = fs.readFileSync('/proc/sysvipc/sem', 'utf8').trim().split('\n').length - 1;
  console.log(`extension bench: ${listed} semaphore sets x ${NSEMS} in ${fs.readlinkSync('/proc/self/ns/ipc')}, ${RUNS} runs, node ${process.version}, ${os.cpus().length} CPUs`);

  // baselines and plain-node parts, interleaved so noise hits all alike
  const ipcs: number[] = [];
  const lsipc: number[] = [];
  const storeRefresh: number[] = [];
  const snapshotOnly: number[] = [];
  const verdictsOnly: number[] = [];
  // both built as the extension builds its local source (services.ts)
  const source = new LocalSource(EXTENSION_SOURCE_OPTIONS);
  const store = new SnapshotStore({ verdictOptions: () => DEFAULT_VERDICT_OPTIONS });
  store.addSource(new LocalSource(EXTENSION_SOURCE_OPTIONS));
  for (let i = 0; i < RUNS; i++) {
    ipcs.push(timeProcess('ipcs', ['-s']));
    lsipc.push(timeProcess('lsipc', ['-s', '--json']));
    storeRefresh.push(await timeMs(() => store.refresh('local')));
    let snap: Awaited<ReturnType<LocalSource['snapshot']>> | undefined;
    snapshotOnly.push(await timeMs(async () => (snap = await source.snapshot())));
    verdictsOnly.push(timeSyncMs(() => assessSnapshot(snap!, DEFAULT_VERDICT_OPTIONS, Date.now() / 1000)));
  }
  const mode = source.mode;
  store.dispose();

  // the real VS Code (the runner shares this namespace: IPCX_PRIVATE_IPC=0), installed first where it is not
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) throw new Error('dist/extension.js missing: npm run build');
  ensureInstalled();
  // bench/index.js loads the integration helpers, which are TypeScript: compiled into out/integration
  if (spawnSync(process.execPath, [path.join(root, 'tools', 'build-integration-tests.mjs')], { stdio: 'inherit' }).status !== 0) throw new Error('compiling test/integration failed');
  const results = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-bench-')), 'results.json');
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'tools', 'vscode-server', 'run-ext-tests.js'),
      `--extensionDevelopmentPath=${root}`,
      `--extensionTestsPath=${path.join(root, 'out', 'integration', 'bench', 'index.js')}`,
      path.join(root, 'test', 'integration', 'workspace'),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      env: {
        ...process.env,
        IPCX_PRIVATE_IPC: '0',
        IPCX_HOST_IPC_NS: hostIpcNamespace(),
        IPCX_BENCH_RESULTS: results,
        IPCX_BENCH_RUNS: String(RUNS),
        IPCX_BENCH_IPCOBJ: bin,
      },
    },
  );
  const line = (r.stdout || '').split('\n').find((l) => l.startsWith('bench results: '));
  if (r.status !== 0 || !fs.existsSync(results)) {
    console.log(r.stdout);
    throw new Error(`the VS Code half failed (exit ${r.status})${line ? '' : ': no results'}`);
  }
  const vs = JSON.parse(fs.readFileSync(results, 'utf8')) as Record<string, number>;

  const base = median(lsipc);
  const rows: [string, number][] = [
    ['ipcs -s (process)', median(ipcs)],
    ['lsipc -s --json (process)', base],
    [`store.refresh(): snapshot + verdicts (plain node, ${mode})`, median(storeRefresh)],
    ['  LocalSource.snapshot() alone', median(snapshotOnly)],
    ['  assessSnapshot() alone (verdicts)', median(verdictsOnly)],
    ['VS Code: activate()', vs['activateMs']!],
    ['VS Code: activate() as the caller sees it', vs['activateWallMs']!],
    ['VS Code: view opened -> first snapshot in the store', vs['firstSnapshotMs']!],
    ['VS Code: refresh -> store updated', vs['refreshToStoreMs']!],
    ['VS Code: refresh -> VS Code re-read the tree', vs['refreshToTreeMs']!],
    ['  of which inside the tree provider (getChildren/getTreeItem)', vs['providerMs']!],
    ['VS Code: refresh -> new count in the DOM (~100 ms poll)', vs['refreshToDomMs']!],
  ];
  console.log('');
  console.log(markdownTable(
    [`what (${SETS.toLocaleString('en-US')} sets x ${NSEMS})`, 'median ms', 'x lsipc -s --json'],
    rows.map(([what, ms]) => [what, ms.toFixed(1), (ms / base).toFixed(2)]),
    ['l', 'r', 'r'],
  ));
  console.log('');
  console.log(`screenshot of the workbench with ${vs['sets']} sets: test-artifacts/bench-32000-sets.png`);
}

runBench(main);

/**
 * `npm run bench namespaces`: every IPC namespace of a container host in one command, against the loop
 * people write today. NS namespaces (default 200) made by test/helpers/containers.ts (unshare --ipc --mount
 * --pid --fork, a holder process, 10 semaphore sets each), then, interleaved, RUNS timings of:
 *   - `ipcx snapshot --all-namespaces --json` (one process: discovery of every namespace on the machine,
 *     then for each a snapshot through the setns worker thread: every object with its values, limits,
 *     /dev/shm, process facts);
 *   - the loop: one `nsenter --target PID --ipc lsipc -s --json` per made namespace (semaphore headers only).
 * Goal: the first within 2x the second (same run). Also the in-process cost (discovery + snapshots).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { NamespaceSource } from '../extension/backend/namespaceSource';
import { discoverNamespaces } from '../extension/backend/namespaces';
import { makeNamespace, type MadeNamespace } from '../test/helpers/containers';
import { repoRoot } from '../test/helpers/cprog';
import { assertPrivateIpcNamespace } from '../test/helpers/ns';
import { benchRuns, markdownTable, median, recordResult, runBench, timeMs, verdictText } from './lib';

const RUNS = benchRuns(5);
const NS = Number(process.env['IPCX_BENCH_NAMESPACES'] ?? 200);
const SETS = 10;

async function main(): Promise<void> {
  assertPrivateIpcNamespace();
  const made: MadeNamespace[] = [];
  try {
    const t0 = Date.now();
    for (let i = 0; i < NS; i++) made.push(await makeNamespace({ shmSize: '1m', sets: SETS, nsems: 4 }));
    console.log(`made ${NS} namespaces x ${SETS} sets in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const all = discoverNamespaces().namespaces.length;
    const ipcx = path.join(repoRoot, 'dist', 'ipcx.js');
    const ours: number[] = [];
    const loop: number[] = [];
    const inproc: number[] = [];
    let checked = false;
    for (let r = 0; r < RUNS; r++) {
      ours.push(
        await timeMs(() => {
          const p = spawnSync(process.execPath, [ipcx, 'snapshot', '--all-namespaces', '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
          if (p.status !== 0 && p.status !== 3) throw new Error(`ipcx exited ${p.status}: ${p.stderr}`);
          if (!checked) {
            const doc = JSON.parse(p.stdout) as Array<{ namespace: { inode: number }; snapshot?: { sems: unknown[] } }>;
            for (const m of made) {
              const e = doc.find((d) => d.namespace.inode === m.inode);
              if (e?.snapshot?.sems.length !== SETS) throw new Error(`namespace ${m.ns}: ${JSON.stringify(e).slice(0, 200)}`);
            }
            checked = true;
          }
        }),
      );
      loop.push(
        await timeMs(() => {
          for (const m of made) {
            const p = spawnSync('nsenter', ['--target', String(m.pid), '--ipc', 'lsipc', '-s', '--json'], { encoding: 'utf8' });
            if (p.status !== 0) throw new Error(`lsipc in ${m.ns}: ${p.stderr}`);
          }
        }),
      );
      inproc.push(
        await timeMs(async () => {
          const d = discoverNamespaces();
          for (const n of d.namespaces) if (!n.own) await new NamespaceSource(n).snapshot().catch(() => undefined);
        }),
      );
    }
    const a = median(ours), b = median(loop), c = median(inproc);
    const ratio = a / b;
    console.log(`\n${NS} namespaces made here, ${all} on the machine (ipcx reads every one), ${RUNS} runs, medians:\n`);
    console.log(
      markdownTable(
        ['what', 'median', 'per namespace'],
        [
          [`ipcx snapshot --all-namespaces --json (${all} namespaces)`, `${a.toFixed(0)} ms`, `${(a / all).toFixed(2)} ms`],
          [`nsenter -t PID -i lsipc -s --json x ${NS}`, `${b.toFixed(0)} ms`, `${(b / NS).toFixed(2)} ms`],
          [`in-process: discovery + NamespaceSource.snapshot() x ${all - 1}`, `${c.toFixed(0)} ms`, `${(c / Math.max(1, all - 1)).toFixed(2)} ms`],
        ],
        ['l', 'r', 'r'],
      ),
    );
    const pass = ratio <= 2;
    console.log(`\nratio ipcx / lsipc loop: ${ratio.toFixed(2)} (goal <= 2): ${verdictText(pass)}`);
    recordResult({
      bench: 'namespaces',
      goal: {
        goal: `--all-namespaces snapshot <= 2x nsenter+lsipc per namespace (${NS} x ${SETS} sets)`,
        measured: `${a.toFixed(0)} ms vs ${b.toFixed(0)} ms = ${ratio.toFixed(2)}x`,
        pass,
      },
    });
  } finally {
    for (const m of made) await m.end();
  }
}

runBench(main);

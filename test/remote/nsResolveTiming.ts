/**
 * A measurement, not a test (no `.test.ts`: the stages do not run it): the wall time of
 * `ipcx snapshot --json --namespace ipc:[N] --host DEST` against a real sshd on 127.0.0.1 with NSM_N
 * namespaces made on this machine (`unshare --ipc --mount --pid --fork`, one set and one queue each), for
 * one build (NSM_NEW, default dist/ipcx.js) and optionally another (NSM_OLD), interleaved NSM_ROUNDS times
 * (alternating which goes first). Run as root:
 *   unshare --ipc --mount -- node --import tsx --test test/remote/nsResolveTiming.ts
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { makeNamespace, type MadeNamespace } from '../helpers/containers';
import { SshdHarness } from './sshdHarness';

const root = path.resolve(__dirname, '..', '..');
const N = Number(process.env.NSM_N ?? 20);
const ROUNDS = Number(process.env.NSM_ROUNDS ?? 7);

test('ipcx snapshot --namespace ipc:[N] --host DEST: wall time with NSM_N namespaces on the host', async () => {
  const h = new SshdHarness();
  await h.startHost('s');
  h.addAlias('rootlogin', 's');
  const made: MadeNamespace[] = [];
  try {
    for (let i = 0; i < N; i++) made.push(await makeNamespace({ sets: 1, nsems: 2, queues: 1 }));
    const env = { ...process.env, IPCX_SSH_CONFIG: h.configFile, IPCX_SSH_TIMEOUT_SECONDS: '120' };
    const listed = await h.source('rootlogin', { timeoutMs: 120_000 }).snapshotWithNamespaces({ listOnly: true });
    console.log(`namespaces the host lists besides its own: ${listed.namespaces.list.length} (${N} made by this run)`);
    const target = made[N - 1]?.ns ?? 'host';
    const bins: Record<string, string> = { new: process.env.NSM_NEW ?? path.join(root, 'dist', 'ipcx.js') };
    if (process.env.NSM_OLD) bins.old = process.env.NSM_OLD;
    const times: Record<string, number[]> = {};
    for (let r = 0; r < ROUNDS; r++) {
      const order = Object.keys(bins);
      if (r % 2) order.reverse();
      for (const k of order) {
        const t0 = process.hrtime.bigint();
        const x = spawnSync(process.execPath, [bins[k]!, 'snapshot', '--json', '--namespace', target, '--host', 'rootlogin'], { encoding: 'utf8', env, maxBuffer: 1 << 28 });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (x.status !== 0) throw new Error(`${k}: exit ${x.status}: ${x.stderr}`);
        (times[k] ??= []).push(ms);
      }
    }
    for (const [k, all] of Object.entries(times)) {
      const v = [...all].sort((a, b) => a - b);
      console.log(`${k}: median ${v[v.length >> 1]!.toFixed(0)} ms, min ${v[0]!.toFixed(0)}, max ${v[v.length - 1]!.toFixed(0)} (${all.map((x) => x.toFixed(0)).join(' ')})`);
    }
  } finally {
    for (const m of made) await m.end();
    await h.stopAll();
  }
});

/**
 * A real PostgreSQL server (Debian's package, the newest installed major), run as the postgres user inside a
 * private pid + IPC + mount namespace (pgHarness.ts) on a temporary data directory, a temporary socket
 * directory and a free loopback port:
 * - while it runs, its SysV shm interlock segment is recognised (postmaster.pid names its key and shmid)
 *   with the right data directory, and it is `live` (attached);
 * - after SIGKILL of the whole server (the postmaster we started and its children, by pid) the segment is
 *   a recyclable orphan, recognised from its header (magic, creatorPID, device + inode of the data dir);
 * - `ipcx recycle --yes` removes it (with its DSM files, see postgresDsm.test.ts), and the server starts again.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ensureCliBuilt } from './nsHarness';
import { PG, PidNs, childrenOf, exists as alive, freePort, initCluster, nsPid, startPostgres, waitFor } from './pgHarness';
import { needs } from '../helpers/capabilities';
import { assertPrivateIpcNamespace } from '../helpers/ns';

const pg = needs('postgres');
let ns: PidNs;
let tmp = '';
let dataDir = '';
let sockDir = '';
const servers: Array<{ pid: number; launcher: number }> = [];

async function startServer(port: number): Promise<{ pid: number; launcher: number }> {
  return startPostgres(ns, dataDir, sockDir, port, ['listen_addresses=127.0.0.1', 'logging_collector=off'], (s) => servers.push(s));
}

interface Stay {
  kind: string;
  id: number;
  key: number;
  verdict: { state: string; recyclable: boolean; reasons: string[]; owner?: { app: string; dataDir?: string; label: string; pid?: number } };
}

before(async () => {
  if (!pg.ready()) return;
  assertPrivateIpcNamespace();
  ensureCliBuilt();
  ns = await PidNs.create();
  ({ tmp, dataDir, sockDir } = initCluster(ns, 'ipcx-pg-'));
});

after(async () => {
  for (const s of servers) {
    if (!alive(s.pid)) continue;
    const kids = childrenOf(s.pid);
    try {
      process.kill(s.pid, 'SIGQUIT'); // immediate shutdown of the server we started
    } catch {
      // gone
    }
    await waitFor('server exit', () => !alive(s.pid) && kids.every((k) => !alive(k)), 15000).catch(() => {
      for (const k of [s.pid, ...kids]) if (alive(k)) process.kill(k, 'SIGKILL');
    });
  }
  ns?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test(`real PostgreSQL ${PG?.version ?? '(none)'}: interlock segment live while running, recyclable orphan after SIGKILL, restart after recycle`, pg, async () => {
  assertPrivateIpcNamespace();
  const port = await freePort();
  const server = await startServer(port);
  const pm = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  assert.equal(Number(pm[0]), nsPid(server.pid), 'postmaster.pid names the postmaster we started');
  const [shmKey, shmId] = pm[6].trim().split(/\s+/).map(Number);

  // running: recognised through postmaster.pid (attached segments are never peeked) and live
  const running = JSON.parse(ns.ipcx(['recycle', '--json', '--min-age', '0', '--recent', '0']).stdout);
  const seg: Stay = running.plan.stays.find((s: Stay) => s.kind === 'shm' && s.id === shmId);
  assert.ok(seg, `segment ${shmId} listed`);
  assert.equal(seg.key, shmKey | 0);
  assert.equal(seg.verdict.state, 'live');
  assert.equal(seg.verdict.owner?.app, 'postgresql');
  assert.equal(seg.verdict.owner?.dataDir, fs.realpathSync(dataDir));
  assert.match(seg.verdict.owner!.label, new RegExp(`^PostgreSQL, data directory ${fs.realpathSync(dataDir)}, postmaster PID ${nsPid(server.pid)} \\(alive`));
  assert.equal(running.plan.candidates.length, 0, 'nothing of a running server is a candidate');

  // SIGKILL the whole server: the postmaster (so it forks nothing more), then its children, by pid
  const kids = childrenOf(server.pid);
  assert.ok(kids.length >= 3, `postgres children: ${kids.join(',')}`);
  process.kill(server.pid, 'SIGKILL');
  process.kill(server.launcher, 'SIGCONT'); // in case nsenter stopped itself (it passes job control on)
  for (const k of kids) {
    try {
      process.kill(k, 'SIGKILL');
    } catch {
      // already exited after the postmaster died
    }
  }
  await waitFor('server gone', () => !alive(server.pid) && kids.every((k) => !alive(k)));

  const dead = JSON.parse(ns.ipcx(['recycle', '--json', '--min-age', '0', '--recent', '0', '--data-dir', dataDir]).stdout);
  const cand = dead.plan.candidates.find((c: { kind: string; id: number }) => c.kind === 'shm' && c.id === shmId);
  assert.ok(cand, `the dead server's segment is a candidate: ${JSON.stringify(dead.plan.stays.filter((s: Stay) => s.id === shmId))}`);
  assert.equal(cand.verdict.state, 'orphan');
  assert.equal(cand.verdict.recyclable, true);
  assert.equal(cand.verdict.owner.dataDir, fs.realpathSync(dataDir));
  assert.ok(cand.verdict.owner.evidence.some((e: string) => /header magic 679834894/.test(e)), 'recognised from the header');
  assert.ok(cand.verdict.owner.evidence.some((e: string) => /device \d+ \+ inode \d+ = /.test(e)), 'matched by device + inode');
  assert.match(cand.verdict.owner.label, new RegExp(`postmaster PID ${Number(pm[0])} \\(dead\\)`));
  assert.equal(cand.expected.nattchZero, true);

  const auditFile = path.join(tmp, 'audit.jsonl');
  const rec = ns.ipcx(['recycle', '--yes', '--json', '--min-age', '0', '--recent', '0', '--data-dir', dataDir, '--audit', auditFile]);
  assert.equal(rec.status, 0, rec.stderr + rec.stdout);
  const report = JSON.parse(rec.stdout).report;
  assert.ok(report.outcomes.some((o: { action: string; id: number; kind: string }) => o.action === 'removed' && o.kind === 'shm' && o.id === shmId));
  assert.ok(!ns.run('cat', ['/proc/sysvipc/shm']).stdout.split('\n').slice(1).some((l) => l.trim() && Number(l.trim().split(/\s+/)[1]) === shmId), 'segment gone');

  // and the server starts again (its stale postmaster.pid still names the removed segment)
  const again = await startServer(port);
  assert.ok(alive(again.pid));
  console.log(`postgres: segment key ${shmKey} shmid ${shmId} live -> orphan (postmaster ${server.pid} dead) -> recycled; restarted as ${again.pid}`);
});

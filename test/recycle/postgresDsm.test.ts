/**
 * The DBA right after a PostgreSQL crash, with the real server from Debian (the newest installed major).
 *
 * Everything runs in a private pid + IPC + mount namespace whose pid 1 is our own reaper (ns_init), so that
 * ipcx sees every process that could map a file (a /proc/PID/maps that cannot be read is doubt, and keeps the
 * DSM files) and killed processes do not linger as zombies. /dev/shm is the stage's private tmpfs.
 *
 * A server with dynamic_shared_memory_type = posix runs a parallel query (a worker sleeping inside it), so
 * its DSM control segment lists a parallel-query segment; then the postmaster and every process of the server
 * get SIGKILL (by the pids we started and their children). Then:
 * - the plan labels the unit (interlock segment + DSM files of that data directory, postmaster dead);
 * - while another process still maps one DSM file, the first `ipcx recycle --yes` keeps all of them and the
 *   segment;
 * - then the first `ipcx recycle --yes` without `--min-age 0` removes them: DSM files first (control
 *   segment last), then the segment, while an unrecognised orphan made a moment ago "becomes recyclable in
 *   N s";
 * - PostgreSQL starts again on the same data directory and answers a query.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { ensureCliBuilt } from './nsHarness';
import { PG, PSQL, PidNs, descendants, exists, freePort, initCluster, nsPid, startPostgres, waitFor } from './pgHarness';
import { needs } from '../helpers/capabilities';

const pg = needs('postgres');

let ns: PidNs;
let tmp = '';
let dataDir = '';
let sockDir = '';
const started: number[] = [];
/** nsenter's pid per server pid (nsenter forks the program and waits for it). */
const launcher = new Map<number, number>();

const pgFiles = (): string[] => fs.readdirSync('/dev/shm').filter((n) => n.startsWith('PostgreSQL.')).sort();

async function startServer(port: number): Promise<number> {
  const { pid } = await startPostgres(ns, dataDir, sockDir, port, [
    'listen_addresses=', 'dynamic_shared_memory_type=posix', 'max_worker_processes=4', 'max_parallel_workers=2',
  ], (s) => {
    started.push(s.pid);
    launcher.set(s.pid, s.launcher);
  });
  return pid;
}

function psqlArgs(port: number, sql: string): string[] {
  return ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', sockDir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql];
}

before(async () => {
  if (!pg.ready()) return;
  assertPrivateIpcNamespace();
  ensureCliBuilt();
  buildC('map_file');
  ns = await PidNs.create();
  ({ tmp, dataDir, sockDir } = initCluster(ns, 'ipcx-pgdsm-'));
});

after(async () => {
  for (const pid of started) {
    if (!exists(pid)) continue;
    const kids = descendants(pid);
    try {
      process.kill(pid, 'SIGQUIT'); // immediate shutdown of a server we started
    } catch {
      // gone
    }
    await waitFor('server exit', () => !exists(pid) && kids.every((k) => !exists(k)), 15000).catch(() => {
      for (const k of [pid, ...kids]) if (exists(k)) process.kill(k, 'SIGKILL');
    });
  }
  ns?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Outcome { action: string; kind: string; id: number; reasons: string[]; dsm?: { removed: string[]; remaining: string[]; gone: string[] } }

test(`real PostgreSQL ${PG?.major ?? ''}: after SIGKILL its DSM files and interlock segment go together (DSM first), at the first recycle, and it restarts`, pg, async () => {
  assertPrivateIpcNamespace();
  const port = await freePort();
  const postmaster = await startServer(port);
  const pm = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  const shmId = Number(pm[6].trim().split(/\s+/)[1]);
  const before = pgFiles();

  // a parallel query whose worker sleeps: its DSM segment exists until the crash
  const gucForce = PG!.major >= 16 ? 'debug_parallel_query' : 'force_parallel_mode';
  const setup = ns.run(PSQL, psqlArgs(port, 'CREATE FUNCTION nap() RETURNS int LANGUAGE plpgsql PARALLEL SAFE AS $$ BEGIN PERFORM pg_sleep(3600); RETURN 1; END $$'), 'postgres');
  assert.equal(setup.status, 0, setup.stderr);
  const client = await ns.start(PSQL, psqlArgs(port, `SET ${gucForce} = on; SET max_parallel_workers_per_gather = 2; SELECT nap()`), 'postgres');
  await waitFor('a parallel worker and its DSM segment', () => descendants(postmaster).some((p) => {
    try {
      return /parallel worker/.test(fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  }) && pgFiles().length > before.length);
  const during = pgFiles();
  assert.ok(during.length >= 2, `control segment + parallel query segment: ${during.join(', ')}`);

  // the crash, all at one instant: freeze the postmaster (it forks nothing more) and every process of the
  // server with SIGSTOP, so none of them sees another die and cleans up; then SIGKILL each, by pid
  process.kill(postmaster, 'SIGSTOP');
  let server = descendants(postmaster);
  for (;;) {
    for (const p of server) process.kill(p, 'SIGSTOP');
    const again = descendants(postmaster);
    if (again.every((p) => server.includes(p))) break;
    server = again;
  }
  process.kill(postmaster, 'SIGKILL');
  for (const p of server) process.kill(p, 'SIGKILL');
  // nsenter stops itself when its child stops (it passes job control on); let it go on to reap the postmaster
  process.kill(launcher.get(postmaster)!, 'SIGCONT');
  await waitFor('the server gone', () => !exists(postmaster) && server.every((p) => !exists(p))).catch((e) => {
    const st = (p: number) => { try { return fs.readFileSync(`/proc/${p}/stat`, 'utf8'); } catch { return 'gone'; } };
    throw new Error(`${e.message}: ${[postmaster, ...server].map((p) => `${p}: ${st(p)}`).join(' | ')}`);
  });
  await ns.kill(client);
  const left = pgFiles();
  assert.deepEqual(left, during, 'a crash leaves every DSM file behind');

  // an unrecognised orphan made a moment ago: it waits, and the plan says for how long
  const mk = ns.run(buildC('ipc_make'), ['shm', '-n', '1', '-s', '4096', '-w', 'x', '-k', '7340001']);
  assert.equal(mk.status, 0, mk.stderr);
  const stray = Number(mk.stdout.trim().split(/\s+/)[1]);

  // 1. the plan labels the unit
  const planned = JSON.parse(ns.ipcx(['recycle', '--json', '--data-dir', dataDir]).stdout).plan;
  const cand = planned.candidates.find((c: { kind: string; id: number }) => c.kind === 'shm' && c.id === shmId);
  assert.ok(cand, `the interlock segment is a candidate at once: ${JSON.stringify(planned.stays.find((s: { id?: number }) => s.id === shmId))}`);
  const real = fs.realpathSync(dataDir);
  assert.match(cand.verdict.owner.label, new RegExp(`^PostgreSQL, data directory ${real}, postmaster PID ${Number(pm[0])} \\(dead\\), with ${left.length} DSM file\\(s\\)`));
  assert.match(cand.verdict.owner.proof, /PGSharedMemoryAttach/);
  const dsm = cand.verdict.owner.dsm;
  assert.deepEqual([...dsm.segments.map((f: { path: string }) => path.basename(f.path)), path.basename(dsm.control.path)].sort(), left);
  for (const f of left) {
    const st = planned.stays.find((s: { name?: string }) => s.name === `/${f}`);
    assert.match(st.verdict.owner.label, new RegExp(`^PostgreSQL DSM( control segment)? of data directory ${real}, postmaster PID ${Number(pm[0])} \\(dead\\)$`));
  }
  const strayStay = planned.stays.find((s: { kind: string; id?: number }) => s.kind === 'shm' && s.id === stray);
  assert.ok(strayStay.becomesRecyclableIn > 40 && strayStay.becomesRecyclableIn <= 60, JSON.stringify(strayStay));
  const text = ns.ipcx(['recycle', '--data-dir', dataDir]).stdout;
  assert.match(text, /1 shared memory segment becomes recyclable in \d+[ms]( \d+s)? if nothing happens to it; `ipcx recycle --min-age 0 --recent 0` to proceed now\.\n/);

  // 2. a process that still maps one DSM segment file keeps the whole unit
  const victim = dsm.segments[0].path as string;
  const mapper = await ns.start(buildC('map_file'), [victim], undefined, 'READY');
  const kept = ns.ipcx(['recycle', '--yes', '--json', '--data-dir', dataDir, '--audit', path.join(tmp, 'audit.jsonl')]);
  const keptOut = JSON.parse(kept.stdout);
  assert.ok(!keptOut.report.outcomes.some((o: Outcome) => o.action === 'removed' && o.id === shmId), 'segment not removed');
  const why = JSON.stringify(keptOut.plan.stays.find((s: { id?: number }) => s.id === shmId) ?? keptOut.report.outcomes.find((o: Outcome) => o.id === shmId));
  assert.match(why, new RegExp(`${victim.replace(/\./g, '\\.')} is mapped by pid\\(s\\) ${nsPid(mapper.pid)}`));
  assert.deepEqual(pgFiles(), left, 'every DSM file stays');
  assert.ok(shmIdsNow().includes(shmId), 'the segment stays with them');
  await ns.kill(mapper);


  // 3. the first recycle without --min-age 0 removes the proven unit: DSM files first, control last, then the segment
  const rec = ns.ipcx(['recycle', '--yes', '--json', '--data-dir', dataDir, '--audit', path.join(tmp, 'audit.jsonl')]);
  const out = JSON.parse(rec.stdout);
  const o = out.report.outcomes.find((x: Outcome) => x.kind === 'shm' && x.id === shmId) as Outcome;
  assert.equal(o?.action, 'removed', rec.stdout);
  assert.deepEqual(o.dsm!.removed.map((p) => path.basename(p)), [...dsm.segments.map((f: { path: string }) => path.basename(f.path)), path.basename(dsm.control.path)]);
  assert.deepEqual(o.dsm!.remaining, []);
  assert.deepEqual(pgFiles(), [], 'no DSM file left');
  const shmIds = shmIdsNow();
  assert.ok(!shmIds.includes(shmId), 'interlock segment gone');
  assert.ok(shmIds.includes(stray), 'the unproven orphan waits');

  // 4. PostgreSQL starts again on the same data directory and answers
  const again = await startServer(port);
  const q = ns.run(PSQL, psqlArgs(port, 'SELECT 41 + 1'), 'postgres');
  assert.equal(q.status, 0, q.stderr);
  console.log(`postgres ${PG!.major}: ${left.length} DSM file(s) + segment ${shmId} removed at the first recycle (DSM first); a mapped file kept all; restarted as ${again}`);
});

/** shmids in the test's IPC namespace. */
function shmIdsNow(): number[] {
  return ns.run('cat', ['/proc/sysvipc/shm']).stdout.split('\n').slice(1).filter((l) => l.trim()).map((l) => Number(l.trim().split(/\s+/)[1]));
}

/**
 * IPC metrics against real engines, inside the metrics stage's private IPC + mount namespace:
 * - `ipcx metrics` of known kernel objects passes `promtool check metrics` and its values are the kernel's
 *   (/proc/sysvipc, /proc/sys/kernel/sem, statfs of /dev/shm);
 * - a real Prometheus (Debian's, started here on 127.0.0.1 with a temp storage dir, 1 s scrape interval and
 *   the shipped alert rules) scrapes `ipcx serve` (/metrics) and /probe?target= for a host of the sshd harness
 *   and for an unreachable one; the HTTP API gives the right SEMMNS use, orphan counts and the remote series;
 * - every query of the shipped Grafana dashboard runs through /api/v1/query without error;
 * - `promtool check rules` and `promtool test rules` on prometheus/alerts.yml;
 * - two more IPC namespaces made here (unshare, own limits, /dev/shm size and objects): `ipcx metrics
 *   --all-namespaces` and `ipcx serve --all-namespaces` (scraped by the same Prometheus) label each one's series
 *   with namespace (and container), and the values are the kernel's in each (read by nsenter);
 * - an unreachable target gives ipc_probe_success 0 and an error line, the exporter keeps serving; 100
 *   concurrent scrapes stay within a stated peak RSS.
 * Readiness is polled (Prometheus /-/ready, then the query API until the series exist), never slept for.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeContainer, parseProcCgroup } from '../../extension/domain/containers';
import { scrapeConfigYaml } from '../../extension/domain/scrapeConfig';
import { makeNamespace, type MadeNamespace } from '../helpers/containers';
import { buildC, repoRoot } from '../helpers/cprog';
import { needs } from '../helpers/capabilities';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { SshdHarness, freePort } from '../remote/sshdHarness';

const IPCX = path.join(repoRoot, 'dist', 'ipcx.js');
const PROM_DIR = path.join(repoRoot, 'prometheus');
const cap = needs('prometheus', 'native', 'sshd');
/** peak RSS of `ipcx serve` after 100 concurrent scrapes of /metrics and 100 of /probe (VmHWM). */
const RSS_BOUND_MIB = 160;

const children: ChildProcess[] = [];
let tmp = '';
let ipcMake = '', pgSema = '', semWaiter = '';
let h: SshdHarness | undefined;
let serve: { child: ChildProcess; port: number; stderr: () => string } | undefined;
let prom: { child: ChildProcess; port: number } | undefined;
/** `ipcx serve --all-namespaces` */
let nsServe: { child: ChildProcess; port: number } | undefined;
/** namespaces made by this test, with what was made in them */
const made: Array<{ m: MadeNamespace; sets: number; nsems: number; queues: number; shmMiB: number; blobMiB: number; semmni: number }> = [];
const hostname = os.hostname();

function run(cmd: string, args: string[], input?: string) {
  return spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 64 << 20 });
}

function make(args: string[]): string[] {
  const r = run(ipcMake, args);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout.trim().split('\n');
}

/** Starts a process and resolves once `ready` matches its output; `out()` is everything it printed so far. */
function startUntil(cmd: string, args: string[], ready: RegExp | undefined, env?: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  children.push(child);
  let buf = '';
  return new Promise((resolve, reject) => {
    if (!ready) {
      child.stdout!.on('data', (d: Buffer) => (buf += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (buf += d.toString()));
      child.on('error', reject);
      resolve({ child, out: () => buf });
      return;
    }
    const on = (d: Buffer) => {
      buf += d.toString();
      if (ready.test(buf)) resolve({ child, out: () => buf });
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code} before it was ready: ${buf}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  return done;
}

/** The kernel's own figures for the namespace a command runs in (cat of /proc files). */
function kernelFigures(cat: (file: string) => string) {
  const rows = (f: string) => cat(f).trim().split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/));
  const sems = rows('/proc/sysvipc/sem');
  const sem = cat('/proc/sys/kernel/sem').trim().split(/\s+/).map(Number);
  return {
    semSets: sems.length,
    semTotal: sems.reduce((a, r) => a + Number(r[3]), 0),
    semmns: sem[1],
    semmni: sem[3],
    shmSegments: rows('/proc/sysvipc/shm').length,
    msgQueues: rows('/proc/sysvipc/msg').length,
  };
}

/** `name{labels} value` lines of an exposition, as [labels, value]. */
function samples(text: string, name: string): Array<[Record<string, string>, number]> {
  const out: Array<[Record<string, string>, number]> = [];
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`).exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push([labels, Number(m[2])]);
  }
  return out;
}

function one(text: string, name: string, want: Record<string, string> = {}): number {
  const hits = samples(text, name).filter(([l]) => Object.entries(want).every(([k, v]) => l[k] === v));
  assert.equal(hits.length, 1, `${name}${JSON.stringify(want)}: ${hits.length} samples`);
  return hits[0][1];
}

async function query(expr: string): Promise<{ status: string; data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string }> {
  const r = await fetch(`http://127.0.0.1:${prom!.port}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await r.json()) as never;
}

/** Polls an instant query until `ok` holds for its result (60 s at most, then fails with the last answer). */
async function until(expr: string, ok: (r: Awaited<ReturnType<typeof query>>['data']['result']) => boolean) {
  let last: unknown;
  for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    const r = await query(expr);
    last = r;
    if (r.status === 'success' && ok(r.data.result)) return r.data.result;
  }
  throw new Error(`${expr}: not as expected within 60 s; last answer ${JSON.stringify(last)}`);
}

const num = (r: Array<{ value: [number, string] }>) => Number(r[0]?.value[1]);

/** Expected orphans of the objects made below (the verdict rules with --recent 0 --min-age 0). */
const EXPECTED_ORPHANS = { pgSets: 2, plainSets: 2, shm: 1, msg: 1 };

describe('IPC metrics on real engines', { concurrency: false }, () => {
  before(async () => {
    if (!cap.ready()) return;
    assertPrivateIpcNamespace();
    assert.ok(fs.existsSync(IPCX), 'dist/ipcx.js is missing: npm run build');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-prom-'));
    ipcMake = buildC('ipc_make');
    pgSema = buildC('pg_sema');
    semWaiter = buildC('sem_waiter');
    // known objects in this namespace: two PostgreSQL sets whose postmaster is gone, three plain sets (one
    // with a task blocked on it), a segment and a queue whose creators exited
    const pg = await startUntil(pgSema, ['pg', String(0x52e2c100), '2'], /READY/);
    await stop(pg.child);
    const plain = make(['sem', '-n', '3', '-s', '5', '-v', '1,1,1,1,1', '-k', String(0x7100)]).map((l) => Number(l.split(' ')[1]));
    make(['shm', '-n', '1', '-s', '65536', '-k', String(0x7200)]);
    make(['msg', '-n', '1', '-M', '2', '-B', '100', '-k', String(0x7300)]);
    // blocks: semaphore 0 holds 1, the waiter wants 2 (ncount 1); the set's last-op pid is ipc_make (exited)
    await startUntil(semWaiter, [String(plain[0]), '0', '-2'], /waiting \d+/);
    for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 20))) {
      const ncnt = run('ipcs', ['-s', '-i', String(plain[0])]).stdout;
      if (/^0\s+1\s+1\s+\d+/m.test(ncnt)) break; // semnum value ncount zcount pid
      if (Date.now() > end) throw new Error(`the waiter did not block: ${ncnt}`);
    }

    // an SSH host with objects of its own, and an alias whose port nobody listens on
    h = new SshdHarness();
    await h.startHost('db1');
    h.addAlias('db1', 'db1');
    h.addAlias('unreach', 'db1', { port: await freePort() });
    // a host that accepts the connection and then never answers; each session leaves a line in a file
    h.addForcedAlias('silent', 'db1', `#!/bin/sh\necho session >> '${path.join(tmp, 'silent.sessions')}'\nexec sleep 600\n`);
    const r = h.hosts.get('db1')!.exec(ipcMake, ['sem', '-n', '4', '-s', '17', '-k', String(0x8100)]);
    assert.equal(r.status, 0, r.stderr);
    // 3 MiB in db1's own /dev/shm: its free bytes differ from this machine's
    const dd = h.hosts.get('db1')!.exec('dd', ['if=/dev/zero', 'of=/dev/shm/ipcx-blob', 'bs=1M', 'count=3', 'status=none']);
    assert.equal(dd.status, 0, dd.stderr);

    const s = await startUntil(process.execPath, [IPCX, 'serve', '--listen', '127.0.0.1:0', '--target', 'db1', '--target', 'unreach', '--target', 'silent',
      '--recent', '0', '--min-age', '0', '--timeout', '20'], /listening on http:\/\/127\.0\.0\.1:(\d+)/, { ...process.env, IPCX_SSH_CONFIG: h.configFile });
    serve = { child: s.child, port: Number(/127\.0\.0\.1:(\d+)/.exec(s.out())![1]), stderr: s.out };

    // two IPC namespaces with their own limits, /dev/shm sizes and objects, and an exporter of all of them
    for (const spec of [{ sets: 3, nsems: 3, queues: 1, shmMiB: 8, blobMiB: 2, semmni: 11 }, { sets: 5, nsems: 2, queues: 0, shmMiB: 4, blobMiB: 0, semmni: 0 }]) {
      const m = await makeNamespace({ shmSize: `${spec.shmMiB}m`, sem: spec.semmni ? `32 320 8 ${spec.semmni}` : '', sets: spec.sets, nsems: spec.nsems, queues: spec.queues, blobMiB: spec.blobMiB });
      made.push({ m, ...spec });
    }
    const ns = await startUntil(process.execPath, [IPCX, 'serve', '--listen', '127.0.0.1:0', '--all-namespaces', '--recent', '0', '--min-age', '0', '--timeout', '30'],
      /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    nsServe = { child: ns.child, port: Number(/127\.0\.0\.1:(\d+)/.exec(ns.out())![1]) };

    // a real Prometheus: loopback, a free port, temp storage, 1 s scrapes, the shipped rules
    fs.copyFileSync(path.join(PROM_DIR, 'alerts.yml'), path.join(tmp, 'alerts.yml'));
    const promPort = await freePort();
    // the scrape config is the one "Copy Prometheus Scrape Config" puts on the clipboard
    fs.writeFileSync(path.join(tmp, 'prometheus.yml'), [
      'global:', '  scrape_interval: 2s', '  scrape_timeout: 2s', '  evaluation_interval: 1s', 'rule_files: [alerts.yml]',
      scrapeConfigYaml(['db1', 'unreach'], { exporter: `127.0.0.1:${serve.port}` }),
      // every namespace of this machine (other tests' too) is read on each scrape: a longer interval
      '  - job_name: "ipc-ns"', '    scrape_interval: 10s', '    scrape_timeout: 10s', `    static_configs: [{ targets: ["127.0.0.1:${nsServe.port}"] }]`,
    ].join('\n'));
    const check = run('promtool', ['check', 'config', path.join(tmp, 'prometheus.yml')]);
    assert.equal(check.status, 0, `promtool check config: ${check.stdout}${check.stderr}`);
    const p = await startUntil('prometheus', [`--config.file=${path.join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], undefined);
    prom = { child: p.child, port: promPort };
    for (const end = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const ok = await fetch(`http://127.0.0.1:${promPort}/-/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (p.child.exitCode !== null || Date.now() > end) throw new Error(`prometheus did not become ready: ${p.out()}`);
    }
  });

  after(async () => {
    // SIGTERM first: the exporter closes its ssh connections (control masters included) and exits 0
    if (serve && serve.child.exitCode === null) {
      const exited = new Promise<number | null>((r) => serve!.child.once('exit', (code) => r(code)));
      serve.child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 10_000))]);
      assert.equal(code, 0, 'ipcx serve stops on SIGTERM with status 0');
    }
    for (const c of children) await stop(c);
    for (const x of made) await x.m.end();
    await h?.stopAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('ipcx metrics: promtool check metrics passes; the values are the kernel\'s', cap, () => {
    if (!cap.ready()) return;
    const r = run(process.execPath, [IPCX, 'metrics', '--recent', '0', '--min-age', '0', '--per-object']);
    assert.equal(r.status, 0, r.stderr);
    const check = run('promtool', ['check', 'metrics'], r.stdout);
    assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
    const text = r.stdout;
    const k = kernelFigures((f) => fs.readFileSync(f, 'utf8'));
    assert.equal(one(text, 'ipc_used', { resource: 'SEMMNS' }), k.semTotal);
    assert.equal(k.semTotal, 2 * 17 + 3 * 5);
    assert.equal(one(text, 'ipc_used', { resource: 'SEMMNI' }), k.semSets);
    assert.equal(one(text, 'ipc_limit', { resource: 'SEMMNS' }), k.semmns);
    assert.equal(one(text, 'ipc_limit', { resource: 'SEMMNI' }), k.semmni);
    assert.equal(one(text, 'ipc_used', { resource: 'SHMMNI' }), k.shmSegments);
    assert.equal(one(text, 'ipc_used', { resource: 'MSGMNI' }), k.msgQueues);
    assert.equal(one(text, 'ipc_used_bytes', { resource: 'SHMALL' }), 65536);
    assert.equal(one(text, 'ipc_msg_queued_messages'), 2);
    assert.equal(one(text, 'ipc_msg_queued_bytes'), 200);
    assert.equal(one(text, 'ipc_orphans', { kind: 'sem', owner: 'postgresql', recyclable: 'true' }), EXPECTED_ORPHANS.pgSets);
    assert.equal(one(text, 'ipc_orphans', { kind: 'sem', owner: 'unrecognized', recyclable: 'false' }), EXPECTED_ORPHANS.plainSets);
    assert.equal(one(text, 'ipc_orphans', { kind: 'shm', owner: 'unrecognized', recyclable: 'true' }), EXPECTED_ORPHANS.shm);
    assert.equal(one(text, 'ipc_orphans', { kind: 'msg', owner: 'unrecognized', recyclable: 'false' }), EXPECTED_ORPHANS.msg);
    assert.equal(one(text, 'ipc_sem_waiters'), 1);
    assert.equal(one(text, 'ipc_sem_sets_with_waiters', { last_op_pid: 'dead' }), 1);
    const st = fs.statfsSync('/dev/shm');
    assert.equal(one(text, 'ipc_devshm_size_bytes'), st.blocks * st.bsize);
    assert.equal(one(text, 'ipc_probe_success', { host: hostname }), 1);
    assert.equal(samples(text, 'ipc_object_info').length, k.semSets + k.shmSegments + k.msgQueues);
  });

  test('ipcx metrics --textfile DIR writes ipc.prom atomically (no temporary file left); --openmetrics ends with # EOF', cap, () => {
    if (!cap.ready()) return;
    const dir = fs.mkdtempSync(path.join(tmp, 'textfile-'));
    fs.writeFileSync(path.join(dir, 'ipc.prom'), 'old\n');
    const r = run(process.execPath, [IPCX, 'metrics', '--textfile', dir, '--recent', '0', '--min-age', '0']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(fs.readdirSync(dir), ['ipc.prom']);
    const text = fs.readFileSync(path.join(dir, 'ipc.prom'), 'utf8');
    assert.equal(run('promtool', ['check', 'metrics'], text).status, 0);
    assert.equal(one(text, 'ipc_used', { resource: 'SEMMNS' }), 2 * 17 + 3 * 5);
    const om = run(process.execPath, [IPCX, 'metrics', '--openmetrics']);
    assert.equal(om.status, 0, om.stderr);
    assert.ok(om.stdout.endsWith('# EOF\n'));
    assert.equal(run(process.execPath, [IPCX, 'metrics', '--textfile', path.join(dir, 'nope')]).status, 2);
  });

  test('ipcx metrics --textfile for a host that cannot be reached still writes ipc.prom: ipc_probe_success 0 with its code, an error line, exit 1', cap, () => {
    if (!cap.ready()) return;
    const dir = fs.mkdtempSync(path.join(tmp, 'textfile-fail-'));
    const r = spawnSync(process.execPath, [IPCX, 'metrics', '--textfile', dir, '--host', 'unreach'], {
      encoding: 'utf8', env: { ...process.env, IPCX_SSH_CONFIG: h!.configFile },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^ipcx: unreach: .*Connection refused/m);
    assert.deepEqual(fs.readdirSync(dir), ['ipc.prom']);
    const text = fs.readFileSync(path.join(dir, 'ipc.prom'), 'utf8');
    assert.equal(run('promtool', ['check', 'metrics'], text).status, 0);
    assert.equal(one(text, 'ipc_probe_success', { host: 'unreach' }), 0);
    assert.equal(one(text, 'ipc_probe_error_info', { host: 'unreach', code: 'ESSH' }), 1);
    assert.equal(samples(text, 'ipc_used').length, 0, 'no figures from a host that was not read');
  });

  test('a real Prometheus scrapes ipcx serve and /probe: SEMMNS use, orphans and the remote host\'s series', cap, async () => {
    if (!cap.ready()) return;
    const k = kernelFigures((f) => fs.readFileSync(f, 'utf8'));
    const semmns = await until(`ipc_used{job="ipc",resource="SEMMNS",host="${hostname}"}`, (r) => r.length === 1);
    assert.equal(num(semmns), k.semTotal);
    const orphans = await until(`sum(ipc_orphans{job="ipc"})`, (r) => r.length === 1);
    assert.equal(num(orphans), EXPECTED_ORPHANS.pgSets + EXPECTED_ORPHANS.plainSets + EXPECTED_ORPHANS.shm + EXPECTED_ORPHANS.msg);
    const pg = await until(`ipc_orphans{job="ipc",kind="sem",owner="postgresql"}`, (r) => r.length === 1);
    assert.equal(num(pg), 2);
    // the remote host: its own namespace's figures, under host="db1", instance="db1"
    const rk = kernelFigures((f) => h!.hosts.get('db1')!.exec('cat', [f]).stdout);
    const remote = await until('ipc_used{job="ipc-ssh",host="db1",resource="SEMMNS"}', (r) => r.length === 1);
    assert.equal(num(remote), rk.semTotal);
    assert.equal(rk.semTotal, 4 * 17);
    assert.equal(remote[0].metric['instance'], 'db1');
    assert.equal(num(await until('ipc_probe_success{job="ipc-ssh",host="db1"}', (r) => r.length === 1)), 1);
    // its /dev/shm: the statfs the probe read there (stat -f in the same round trip), not this machine's
    const [bsize, blocks, bfree, files, ffree] = h!.hosts.get('db1')!.exec('stat', ['-f', '-c', '%S %b %f %c %d', '/dev/shm']).stdout.trim().split(' ').map(Number);
    assert.equal(num(await until('ipc_devshm_size_bytes{job="ipc-ssh",host="db1"}', (r) => r.length === 1)), bsize * blocks);
    const free = num(await until('ipc_devshm_free_bytes{job="ipc-ssh",host="db1"}', (r) => r.length === 1));
    assert.equal(free, bsize * bfree);
    assert.equal(num(await until('ipc_devshm_files{job="ipc-ssh",host="db1"}', (r) => r.length === 1)), files);
    assert.equal(num(await until('ipc_devshm_files_free{job="ipc-ssh",host="db1"}', (r) => r.length === 1)), ffree);
    const here = fs.statfsSync('/dev/shm');
    assert.notEqual(free, here.bfree * here.bsize, 'db1\'s own /dev/shm (3 MiB used there)');
    // every rule of alerts.yml loads and evaluates
    const rules = (await (await fetch(`http://127.0.0.1:${prom!.port}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const all = rules.data.groups.flatMap((g) => g.rules);
    assert.equal(all.length, 8);
    for (const r of all) assert.notEqual(r.health, 'err', `${r.name}: ${r.lastError}`);
  });

  test('an unreachable target: ipc_probe_success 0 with its error code, an error line, the exporter keeps serving', cap, async () => {
    if (!cap.ready()) return;
    const fail = await until('ipc_probe_success{job="ipc-ssh",host="unreach"}', (r) => r.length === 1);
    assert.equal(num(fail), 0);
    assert.equal(num(await until('up{job="ipc-ssh",instance="unreach"}', (r) => r.length === 1)), 1, 'the exporter answered');
    const info = await until('ipc_probe_error_info{host="unreach"}', (r) => r.length === 1);
    assert.equal(info[0].metric['code'], 'ESSH');
    assert.match(serve!.stderr(), /^ipcx serve: probe unreach: .*Connection refused/m);
    assert.equal(serve!.stderr().split('\n').filter((l) => l.startsWith('ipcx serve: probe unreach:')).length, 1, 'one line per change, not one per scrape');
    // refused before any ssh: an unknown target, an option-looking one, two targets
    const get = (q: string) => fetch(`http://127.0.0.1:${serve!.port}/probe?${q}`);
    assert.equal((await get('target=db2')).status, 403);
    assert.equal((await get(`target=${encodeURIComponent('-oProxyCommand=touch /tmp/x')}`)).status, 400);
    assert.equal((await get('target=db1&target=unreach')).status, 400);
    assert.equal((await fetch(`http://127.0.0.1:${serve!.port}/metrics`, { method: 'POST' })).status, 405);
    assert.equal((await get('target=%ZZ%00')).status, 400);
    assert.equal((await fetch(`http://127.0.0.1:${serve!.port}/nothing`)).status, 404);
    // bytes that are not HTTP, and a header beyond any limit: the connection is dropped, nothing else happens
    for (const junk of ['\x00\xff GARBAGE\r\n\r\n', `GET /metrics HTTP/1.1\r\nX: ${'a'.repeat(100_000)}\r\n\r\n`]) {
      await new Promise<void>((resolve) => {
        const c = net.connect(serve!.port, '127.0.0.1', () => c.end(junk));
        c.on('data', () => {});
        c.on('close', () => resolve());
        c.on('error', () => resolve());
      });
    }
    assert.equal((await fetch(`http://127.0.0.1:${serve!.port}/metrics`)).status, 200);
    assert.equal(serve!.child.exitCode, null);
  });

  /** The namespaces to compare: ours and the two made here, with how to read each one's kernel files. */
  function namespacesToCompare() {
    const own = fs.readlinkSync('/proc/self/ns/ipc');
    return [
      { ns: own, pid: process.pid, cat: (f: string) => fs.readFileSync(f, 'utf8'), sets: 5, semTotal: 2 * 17 + 3 * 5, queues: 1, blobMiB: 0, shmMiB: 0, semmni: 0 },
      ...made.map((x) => ({
        ns: x.m.ns, pid: x.m.pid, sets: x.sets, semTotal: x.sets * x.nsems, queues: x.queues, blobMiB: x.blobMiB, shmMiB: x.shmMiB, semmni: x.semmni,
        cat: (f: string) => {
          const r = run('nsenter', ['-t', String(x.m.pid), '-i', 'cat', f]);
          assert.equal(r.status, 0, r.stderr);
          return r.stdout;
        },
      })),
    ];
  }

  test('ipcx metrics --all-namespaces: every series under its namespace (and container) label, promtool clean, the values the kernel\'s in each', cap, () => {
    if (!cap.ready()) return;
    const r = run(process.execPath, [IPCX, 'metrics', '--all-namespaces', '--recent', '0', '--min-age', '0']);
    // 3: a namespace of another test run ended between discovery and its snapshot (its series say so)
    assert.ok(r.status === 0 || r.status === 3, `status ${r.status}: ${r.stderr}`);
    const check = run('promtool', ['check', 'metrics'], r.stdout);
    assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
    const text = r.stdout;
    for (const line of text.split('\n')) if (line.startsWith('ipc_')) assert.match(line, /[{,]namespace="ipc:\[\d+\]"/, line);
    for (const n of namespacesToCompare()) {
      const k = kernelFigures(n.cat);
      // what the test made is what the kernel has there (so the comparison below is not vacuous)
      assert.equal(k.semSets, n.sets, n.ns);
      assert.equal(k.semTotal, n.semTotal, n.ns);
      if (n.semmni) assert.equal(k.semmni, n.semmni);
      const at = { namespace: n.ns, host: hostname };
      assert.equal(one(text, 'ipc_probe_success', at), 1, n.ns);
      assert.equal(one(text, 'ipc_used', { ...at, resource: 'SEMMNS' }), k.semTotal, n.ns);
      assert.equal(one(text, 'ipc_used', { ...at, resource: 'SEMMNI' }), k.semSets, n.ns);
      assert.equal(one(text, 'ipc_limit', { ...at, resource: 'SEMMNI' }), k.semmni, n.ns);
      assert.equal(one(text, 'ipc_limit', { ...at, resource: 'SEMMNS' }), k.semmns, n.ns);
      assert.equal(one(text, 'ipc_used', { ...at, resource: 'MSGMNI' }), k.msgQueues, n.ns);
      assert.equal(k.msgQueues, n.queues, n.ns);
      assert.equal(one(text, 'ipc_used', { ...at, resource: 'SHMMNI' }), k.shmSegments, n.ns);
      // its own /dev/shm: statfs through its main process's root, the size the test mounted
      const st = fs.statfsSync(`/proc/${n.pid}/root/dev/shm`);
      assert.equal(one(text, 'ipc_devshm_size_bytes', at), st.blocks * st.bsize, n.ns);
      if (n.shmMiB) assert.equal(st.blocks * st.bsize, n.shmMiB * 1024 * 1024);
      assert.equal(one(text, 'ipc_posix_size_bytes', { ...at, kind: 'posixShm' }), n.blobMiB * 1024 * 1024, n.ns);
      // container: what its cgroup names (none for a bare unshare unless this machine runs in a container)
      const c = parseProcCgroup(fs.readFileSync(`/proc/${n.pid}/cgroup`, 'utf8'));
      const labels = samples(text, 'ipc_probe_success').find(([l]) => l['namespace'] === n.ns)![0];
      assert.equal(labels['container'], c ? describeContainer(c) : undefined, n.ns);
    }
  });

  test('ipcx serve --all-namespaces scraped by Prometheus: each namespace\'s SEMMNS use, SEMMNI limit and /dev/shm size under its namespace label', cap, async () => {
    if (!cap.ready()) return;
    for (const n of namespacesToCompare()) {
      const k = kernelFigures(n.cat);
      const sel = `job="ipc-ns",namespace="${n.ns}"`;
      assert.equal(num(await until(`ipc_used{${sel},resource="SEMMNS"}`, (r) => r.length === 1)), k.semTotal, n.ns);
      assert.equal(num(await until(`ipc_limit{${sel},resource="SEMMNI"}`, (r) => r.length === 1)), k.semmni, n.ns);
      const st = fs.statfsSync(`/proc/${n.pid}/root/dev/shm`);
      assert.equal(num(await until(`ipc_devshm_size_bytes{${sel}}`, (r) => r.length === 1)), st.blocks * st.bsize, n.ns);
    }
    // its own process metrics are there once, not once per namespace
    assert.equal((await until('process_resident_memory_bytes{job="ipc-ns"}', (r) => r.length === 1)).length, 1);
  });

  test('every query of the Grafana dashboard runs through /api/v1/query without error', cap, async () => {
    if (!cap.ready()) return;
    const dash = JSON.parse(fs.readFileSync(path.join(PROM_DIR, 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }>; templating: { list: Array<{ definition: string }> } };
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => ({ title: p.title, expr: t.expr.replaceAll('$host', '.*') })));
    assert.ok(exprs.length >= 8);
    let withData = 0;
    for (const e of exprs) {
      const r = await query(e.expr);
      assert.equal(r.status, 'success', `${e.title}: ${e.expr}: ${r.error}`);
      if (r.data.result.length) withData++;
    }
    assert.ok(withData >= exprs.length - 2, `${withData} of ${exprs.length} dashboard queries returned data`);
    // the host variable: label_values(ipc_probe_success, host) is Grafana's; its series query is Prometheus's
    const m = /label_values\((\w+), (\w+)\)/.exec(dash.templating.list[0].definition)!;
    const hosts = (await (await fetch(`http://127.0.0.1:${prom!.port}/api/v1/label/${m[2]}/values?match[]=${m[1]}`)).json()) as { data: string[] };
    assert.deepEqual([...hosts.data].sort(), [hostname, 'db1', 'unreach'].sort());
  });

  test(`100 concurrent scrapes of /metrics and 100 of /probe?target=db1 keep the exporter under ${RSS_BOUND_MIB} MiB peak RSS`, cap, async () => {
    if (!cap.ready()) return;
    const base = `http://127.0.0.1:${serve!.port}`;
    const all = await Promise.all([
      ...Array.from({ length: 100 }, () => fetch(`${base}/metrics`).then(async (r) => [r.status, await r.text()] as const)),
      ...Array.from({ length: 100 }, () => fetch(`${base}/probe?target=db1`).then(async (r) => [r.status, await r.text()] as const)),
    ]);
    for (const [code, body] of all) {
      assert.equal(code, 200);
      assert.match(body, /^ipc_probe_success\{host="[^"]+"\} 1$/m);
    }
    const status = fs.readFileSync(`/proc/${serve!.child.pid}/status`, 'utf8');
    const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) / 1024;
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
    console.log(`# ipcx serve after 200 concurrent scrapes: VmHWM ${hwm.toFixed(1)} MiB, VmRSS ${rss.toFixed(1)} MiB`);
    assert.ok(hwm < RSS_BOUND_MIB, `peak RSS ${hwm.toFixed(1)} MiB >= ${RSS_BOUND_MIB} MiB`);
  });

  test('a host that never answers: scrapes end by the scrape deadline with ETIMEDOUT, and concurrent ones share one ssh session', cap, async () => {
    if (!cap.ready()) return;
    const t0 = Date.now();
    const all = await Promise.all(Array.from({ length: 10 }, () =>
      fetch(`http://127.0.0.1:${serve!.port}/probe?target=silent`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '2' } }).then(async (r) => [r.status, await r.text()] as const)));
    const took = (Date.now() - t0) / 1000;
    for (const [code, body] of all) {
      assert.equal(code, 200);
      assert.match(body, /^ipc_probe_success\{host="silent"\} 0$/m);
      assert.match(body, /^ipc_probe_error_info\{host="silent",code="ETIMEDOUT",syscall="ssh"\} 1$/m);
    }
    assert.ok(took < 10, `the scrapes took ${took.toFixed(1)} s; the deadline was 2 s - 0.5 s`);
    // the collection they started goes on until ssh's own timeout (--timeout 20); a scrape with a longer
    // deadline sent now joins it and is answered when it ends, so at that moment every ssh session that any of
    // these 11 scrapes caused has been started: shared, that is one
    const follow = await fetch(`http://127.0.0.1:${serve!.port}/probe?target=silent`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '60' } });
    assert.match(await follow.text(), /^ipc_probe_success\{host="silent"\} 0$/m);
    const sessions = fs.readFileSync(path.join(tmp, 'silent.sessions'), 'utf8').trim().split('\n').length;
    assert.equal(sessions, 1, 'one collection (one ssh session) for all eleven scrapes');
    assert.match(serve!.stderr(), /^ipcx serve: probe silent: silent: no snapshot within 1\.5 s \(ETIMEDOUT\)/m);
    // the exporter still answers
    assert.equal((await fetch(`http://127.0.0.1:${serve!.port}/metrics`)).status, 200);
  });
});

describe('shipped alert rules', () => {
  const promtool = needs('prometheus');
  test('promtool check rules and promtool test rules pass on prometheus/alerts.yml', promtool, () => {
    if (!promtool.ready()) return;
    const check = spawnSync('promtool', ['check', 'rules', 'alerts.yml'], { cwd: PROM_DIR, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /SUCCESS: 8 rules found/);
    const unit = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: PROM_DIR, encoding: 'utf8' });
    assert.equal(unit.status, 0, unit.stdout + unit.stderr);
    assert.match(unit.stdout, /SUCCESS/);
  });
});

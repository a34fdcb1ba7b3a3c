/**
 * `ipcx` as a process (node dist/ipcx.js) on real kernel objects, inside the cli stage's private IPC +
 * mount namespace (test/run-all.mjs). Objects are made with test/helpers/c programs (ipc_make, sem_waiter,
 * shm_hold, posix_sem) and removed by id afterwards; helper processes are ended by pid.
 * Oracles: what the test created, and `lsipc --json` for the same objects.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { IpcSnapshot } from '../../extension/shared/model';
import { buildC, repoRoot } from '../helpers/cprog';
import { assertPrivateIpcNamespace, ipcNamespaceOf, spawnInNewIpcNamespace, tryIpcNamespaceOf } from '../helpers/ns';
import { AS_NOBODY, stageIpcxFiles, stagedIpcx } from '../helpers/stage';
import { isRequired, needs } from '../helpers/capabilities';

const IPCX = path.join(repoRoot, 'dist', 'ipcx.js');
/** The native-only tests run whenever the binding loads, and fail (never skip) when IPCX_REQUIRE_NATIVE=1. */
const nativeCap = needs('native');
const requireNative = isRequired('native');
let ipcMake = '';
let semWaiter = '';
let shmHold = '';
let posixSem = '';
const children: ChildProcess[] = [];
const made: { kind: 'sem' | 'shm' | 'msg'; id: number }[] = [];

function ipcx(args: string[], env: NodeJS.ProcessEnv = {}, bin = IPCX): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024,
  });
}

function json<T>(r: SpawnSyncReturns<string>): T {
  assert.ok(r.stdout, `no stdout; status ${r.status}; stderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function make(kind: 'sem' | 'shm' | 'msg', args: string[]): { id: number; key: number }[] {
  const r = spawnSync(ipcMake, [kind, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = r.stdout.trim().split('\n').map((l) => {
    const [k, id, key] = l.split(' ');
    assert.equal(k, kind);
    return { id: Number(id), key: Number(key) };
  });
  for (const o of out) made.push({ kind, id: o.id });
  return out;
}

function ipcrm(kind: 'sem' | 'shm' | 'msg', ...ids: number[]): void {
  const flag = kind === 'sem' ? '-s' : kind === 'shm' ? '-m' : '-q';
  for (let i = 0; i < ids.length; i += 500) spawnSync('ipcrm', ids.slice(i, i + 500).flatMap((id) => [flag, String(id)]));
  for (const id of ids) {
    const i = made.findIndex((m) => m.kind === kind && m.id === id);
    if (i >= 0) made.splice(i, 1);
  }
}

/** Starts a helper and resolves with its first stdout line (e.g. "waiting 123"). */
function startHelper(bin: string, args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve({ child, line: buf.slice(0, nl) });
    });
    child.on('close', (code) => reject(new Error(`${bin} exited ${code} before reporting: ${buf}`)));
  });
}

function stop(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e; // exited, exit event not yet delivered
  }
}

/** Blocks until the kernel reports `pred` for a set (a waiter is queued only after it entered semop). */
async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

before(() => {
  assertPrivateIpcNamespace();
  const b = spawnSync(process.execPath, [path.join(repoRoot, 'tools', 'esbuild.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  ipcMake = buildC('ipc_make');
  semWaiter = buildC('sem_waiter');
  shmHold = buildC('shm_hold');
  posixSem = buildC('posix_sem');
});

after(() => {
  for (const c of children) stop(c);
  for (const kind of ['sem', 'shm', 'msg'] as const) ipcrm(kind, ...made.filter((m) => m.kind === kind).map((m) => m.id));
  for (const f of fs.readdirSync('/dev/shm')) if (f.startsWith('sem.ipcx-test')) fs.rmSync(path.join('/dev/shm', f));
});

test('snapshot --json: the objects as created, and field by field as lsipc --json reports them', () => {
  const sems = make('sem', ['-n', '2', '-s', '5', '-v', '1,2,3,4,537', '-k', '0x5432001', '-m', '640']);
  const [seg] = make('shm', ['-n', '1', '-s', '12345', '-k', '0x1234', '-m', '600']);
  const [q] = make('msg', ['-n', '1', '-M', '3', '-B', '10', '-k', '0x3456', '-m', '620']);
  try {
    const r = ipcx(['snapshot', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const snap = json<IpcSnapshot>(r);
    assert.equal(snap.version, 1);
    assert.equal(snap.host, 'local');
    assert.equal(snap.platform, 'linux');
    assert.equal(snap.ipcNamespace, fs.readlinkSync('/proc/self/ns/ipc'));
    if (requireNative) assert.equal(snap.source, 'native');
    for (const m of sems) {
      const s = snap.sems.find((x) => x.id === m.id)!;
      assert.ok(s, `set ${m.id} listed`);
      assert.deepEqual([s.key, s.nsems, s.mode & 0o777], [m.key, 5, 0o640]);
      if (snap.source === 'native') assert.deepEqual(s.values, [1, 2, 3, 4, 537]);
    }
    const m = snap.shms.find((x) => x.id === seg.id)!;
    assert.deepEqual([m.key, m.segsz, m.nattch, m.dest, m.attachers], [0x1234, 12345, 0, false, []]);
    const mq = snap.msgs.find((x) => x.id === q.id)!;
    assert.deepEqual([mq.key, mq.qnum, mq.cbytes, mq.mode], [0x3456, 3, 30, 0o620]);
    assert.ok(mq.lspid > 0 && snap.processes[mq.lspid] && !snap.processes[mq.lspid].alive, 'the sender (ipc_make) is dead');

    // lsipc, same objects
    const ls = JSON.parse(spawnSync('lsipc', ['-s', '--json', '--numeric-perms', '--time-format', 'iso',
      '-o', 'KEY,ID,PERMS,UID,GID,CUID,CGID,NSEMS,CTIME'], { encoding: 'utf8' }).stdout).semaphores as Record<string, string>[];
    assert.equal(ls.length, snap.sems.length);
    for (const row of ls) {
      const s = snap.sems.find((x) => x.id === Number(row.id))!;
      assert.equal('0x' + (s.key >>> 0).toString(16).padStart(8, '0'), row.key);
      assert.equal('0' + (s.mode & 0o777).toString(8), row.perms);
      assert.deepEqual([s.uid, s.gid, s.cuid, s.cgid, s.nsems].map(String), [row.uid, row.gid, row.cuid, row.cgid, row.nsems]);
      assert.equal(s.ctime, Date.parse(row.ctime) / 1000);
    }
    const lm = JSON.parse(spawnSync('lsipc', ['-m', '--json', '-b', '--numeric-perms', '-o', 'KEY,ID,PERMS,SIZE,NATTCH,CPID,LPID'], { encoding: 'utf8' }).stdout).sharedmemory as Record<string, string>[];
    assert.equal(lm.length, snap.shms.length);
    for (const row of lm) {
      const s = snap.shms.find((x) => x.id === Number(row.id))!;
      assert.deepEqual([s.segsz, s.nattch, s.cpid, s.lpid].map(String), [row.size, row.nattch, row.cpid, row.lpid]);
    }
    const lq = JSON.parse(spawnSync('lsipc', ['-q', '--json', '-b', '-o', 'KEY,ID,USEDBYTES,MSGS,LSPID,LRPID'], { encoding: 'utf8' }).stdout).messages as Record<string, string>[];
    assert.equal(lq.length, snap.msgs.length);
    for (const row of lq) {
      const s = snap.msgs.find((x) => x.id === Number(row.id))!;
      assert.deepEqual([s.cbytes, s.qnum, s.lspid, s.lrpid].map(String), [row.usedbytes, row.msgs, row.lspid, row.lrpid]);
    }

    // human output: key in hex, owner name, one row per object
    const h = ipcx(['snapshot']);
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /^Semaphore sets \(\d+\)$/m);
    assert.match(h.stdout, /0x05432001 +\d+ +root:root +0640 rw-r----- +5 /);
    assert.match(h.stdout, /0x00001234 +\d+ +root:root +0600 rw------- +12\.1 KiB +0 /);
    if (snap.source === 'native') assert.match(h.stdout, / 1 2 3 4 537$/m);
  } finally {
    for (const s of sems) ipcrm('sem', s.id);
    ipcrm('shm', seg.id);
    ipcrm('msg', q.id);
  }
});

test('limits --json: used counts and limits agree with lsipc -g; SEMMNS counts every semaphore', () => {
  const sets = make('sem', ['-n', '3', '-s', '7']);
  const big = make('sem', ['-n', '1', '-s', '17']);
  const segs = make('shm', ['-n', '2', '-s', '10000']);
  try {
    const r = ipcx(['limits', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rows = json<{ name: string; used: number | null; limit: number; percent: number | null; usedBytes?: number }[]>(r);
    const by = (n: string) => rows.find((x) => x.name === n)!;
    const lsRows = JSON.parse(spawnSync('lsipc', ['-g', '--json', '-b'], { encoding: 'utf8' }).stdout).ipclimits as Record<string, string>[];
    const ls = (n: string) => lsRows.find((x) => x.resource === n)!;
    for (const n of ['SEMMNI', 'SHMMNI', 'MSGMNI']) assert.equal(String(by(n).used), ls(n).used, n);
    // SHMALL: the kernel's shm_tot rounds each segment up to whole pages (2 x 3 pages); lsipc 2.38 divides
    // the summed sizes (20000 / 4096 = 4), so it is not the oracle for this one
    for (const n of ['SEMMNI', 'SEMMNS', 'SEMMSL', 'SEMOPM', 'SEMVMX', 'SHMMNI', 'SHMMIN', 'MSGMNI', 'MSGMAX', 'MSGMNB']) {
      assert.equal(String(by(n).limit), ls(n).limit, n);
    }
    assert.equal(by('SEMMNI').used, 4);
    assert.equal(by('SEMMNS').used, 3 * 7 + 17, 'every semaphore of every set (not sets x first nsems)');
    assert.equal(by('SEMMSL').used, 17);
    assert.equal(by('SHMMAX').used, 10000);
    assert.equal(by('SHMALL').used, 2 * 3);
    assert.equal(by('SHMALL').usedBytes, 2 * 3 * 4096);
    assert.equal(by('SEMOPM').percent, null);
    const h = ipcx(['limits']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /^RESOURCE +DESCRIPTION +USED +LIMIT +USE%/);
    assert.match(h.stdout, /^SEMMNS +Total number of semaphores +38 +1,024,000,000 /m);
  } finally {
    for (const s of [...sets, ...big]) ipcrm('sem', s.id);
    for (const s of segs) ipcrm('shm', s.id);
  }
});

test('inspect sem: per-semaphore semval, ncount and zcount with a real blocked waiter', nativeCap, async () => {
  const [set] = make('sem', ['-n', '1', '-s', '3', '-v', '0,5,1']);
  try {
    const w1 = await startHelper(semWaiter, [String(set.id), '0', '-1']); // waits for a token: ncount
    const w2 = await startHelper(semWaiter, [String(set.id), '2', '0']); // waits for zero: zcount
    let detail: { elems: { semval: number; ncount: number; zcount: number; pid: number }[]; processes: Record<string, { comm?: string }> } | undefined;
    await until(() => {
      const r = ipcx(['inspect', 'sem', String(set.id), '--json']);
      detail = JSON.parse(r.stdout);
      return detail!.elems[0].ncount === 1 && detail!.elems[2].zcount === 1;
    }, 'both waiters queued');
    assert.deepEqual(detail!.elems.map((e) => [e.semval, e.ncount, e.zcount]), [[0, 1, 0], [5, 0, 0], [1, 0, 1]]);
    const h = ipcx(['inspect', 'sem', String(set.id)]);
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /^SEMNUM +SEMVAL +NCOUNT +ZCOUNT +PID$/m);
    assert.match(h.stdout, /^ +0 +0 +1 +0 /m);
    assert.match(h.stdout, /^key: +0x00000000 \(0\)|^key: +IPC_PRIVATE \(0\)$/m);
    stop(w1.child);
    stop(w2.child);
  } finally {
    ipcrm('sem', set.id);
  }
});

test('shm attachers: distinct pids from /proc/PID/maps, with process names', async () => {
  const [seg] = make('shm', ['-n', '1', '-s', '4096']);
  try {
    const h1 = await startHelper(shmHold, [String(seg.id)]);
    const h2 = await startHelper(shmHold, [String(seg.id)]);
    const pids = [h1.child.pid!, h2.child.pid!].sort((a, b) => a - b);
    const snap = json<IpcSnapshot>(ipcx(['snapshot', '--json']));
    const s = snap.shms.find((x) => x.id === seg.id)!;
    assert.equal(s.nattch, 2);
    assert.deepEqual(s.attachers, pids);
    for (const p of pids) {
      assert.equal(snap.processes[p].alive, true);
      assert.equal(snap.processes[p].comm, 'shm_hold');
      assert.ok(snap.processes[p].startTime! > 0);
      assert.equal(snap.processes[p].ipcNs, snap.ipcNamespace);
    }
    const insp = ipcx(['inspect', 'shm', String(seg.id)]);
    assert.match(insp.stdout, new RegExp(`^attachers: +${pids[0]} \\(shm_hold\\), ${pids[1]} \\(shm_hold\\)$`, 'm'));
    stop(h1.child);
    stop(h2.child);
  } finally {
    ipcrm('shm', seg.id);
  }
});

test('POSIX semaphore: value and waiters decoded from /dev/shm, waiter found by dev:inode', async () => {
  const name = '/ipcx-test-orders';
  const c = spawnSync(posixSem, ['create', name, '2'], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  const get = () => json<IpcSnapshot>(ipcx(['snapshot', '--json'])).posixSems.find((s) => s.name === name)!;
  let s = get();
  assert.equal(s.path, '/dev/shm/sem.ipcx-test-orders');
  assert.equal(s.size, 32);
  assert.equal(s.mode, 0o600);
  assert.deepEqual([s.decoded!.layout, s.decoded!.value, s.decoded!.nwaiters, s.decoded!.private], ['glibc-new-64', 2, 0, 128]);
  if (requireNative) assert.equal(s.decoded!.atomic, true);
  // take both tokens, then one more waiter blocks
  for (let i = 0; i < 2; i++) assert.equal(spawnSync(posixSem, ['wait', name]).status, 0);
  const w = await startHelper(posixSem, ['wait', name]);
  await until(() => (s = get()).decoded!.nwaiters === 1, 'nwaiters 1');
  assert.equal(s.decoded!.value, 0);
  assert.deepEqual(s.attachers, [w.child.pid]);
  const i = ipcx(['inspect', 'posixSem', name]);
  assert.equal(i.status, 0, i.stderr);
  assert.match(i.stdout, /^nwaiters: +1 /m);
  assert.match(i.stdout, new RegExp(`^attachers: +${w.child.pid} \\(posix_sem\\)$`, 'm'));
  const missing = ipcx(['inspect', 'posixSem', '/ipcx-test-none']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^ipcx: sem_open\(\/ipcx-test-none\): no POSIX named semaphore with this name on local \(ENOENT\)/);
  stop(w.child);
  fs.rmSync('/dev/shm/sem.ipcx-test-orders');
});

test('/proc fallback: no binding on any tried path -> source proc, says so, headers still right', () => {
  const [set] = make('sem', ['-n', '1', '-s', '4', '-v', '9,9,9,9']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-nonative-'));
  try {
    // a copy of the bundle outside the repo: none of the loader's default paths has a build
    stageIpcxFiles(path.join(dir, 'dist'));
    const missing = path.join(dir, 'missing', 'ipc_native.node');
    const r = ipcx(['snapshot', '--json'], { IPCX_NATIVE_PATH: missing }, path.join(dir, 'dist', 'ipcx.js'));
    assert.equal(r.status, 0, r.stderr);
    const snap = json<IpcSnapshot>(r);
    assert.equal(snap.source, 'proc');
    assert.match(snap.warnings[0], /^native binding not loaded \(tried /);
    assert.ok(snap.warnings[0].includes(missing), 'names the IPCX_NATIVE_PATH it tried');
    assert.match(snap.warnings[0], /reading \/proc\/sysvipc; per-semaphore values and guarded removal unavailable$/);
    const s = snap.sems.find((x) => x.id === set.id)!;
    assert.deepEqual([s.nsems, s.key, s.values], [4, 0, undefined]);
    // the same headers as the native source
    const native = json<IpcSnapshot>(ipcx(['snapshot', '--json']));
    const strip = (x: IpcSnapshot) => x.sems.map(({ values: _v, ...rest }) => (void _v, rest));
    assert.deepEqual(strip(snap), strip(native));
    // human output carries the warning; per-semaphore detail is refused clearly (exit 3, partial)
    const h = ipcx(['snapshot'], { IPCX_NATIVE_PATH: missing }, path.join(dir, 'dist', 'ipcx.js'));
    assert.match(h.stdout, /^warning: native binding not loaded/m);
    const i = ipcx(['inspect', 'sem', String(set.id)], { IPCX_NATIVE_PATH: missing }, path.join(dir, 'dist', 'ipcx.js'));
    assert.equal(i.status, 3, i.stderr);
    assert.match(i.stdout, /^semaphores: .*native binding is not loaded.*\(ENATIVE\)/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    ipcrm('sem', set.id);
  }
});

/** A process of ours holding a fresh IPC namespace (nested in the stage's) for commands run by nsenter. */
async function holdIpcNamespace(): Promise<{ run: (cmd: string, args: string[]) => SpawnSyncReturns<string>; stop: () => void }> {
  const holder = spawnInNewIpcNamespace('sleep', ['600'], { stdio: 'ignore' });
  children.push(holder);
  const own = ipcNamespaceOf('self');
  // unshare execs sleep in the new namespace: wait until the pid shows it
  await until(() => tryIpcNamespaceOf(holder.pid!) !== undefined && tryIpcNamespaceOf(holder.pid!) !== own, 'the namespace holder');
  const run = (cmd: string, args: string[]): SpawnSyncReturns<string> =>
    spawnSync('nsenter', [`--ipc=/proc/${holder.pid}/ns/ipc`, '--', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { run, stop: () => stop(holder) };
}

test('a sandbox that refuses every System V call (seccomp, EPERM or ENOSYS): /proc headers, the refused call named, a plan that removes nothing', { skip: process.arch !== 'x64' && 'the seccomp helper (sysv_filter) filters x86_64 system calls only' }, async () => {
  const ns = await holdIpcNamespace();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-sandbox-'));
  try {
    const mk = (kind: string, args: string[]): number => {
      const r = ns.run(ipcMake, [kind, ...args]);
      assert.equal(r.status, 0, r.stderr);
      return Number(r.stdout.split(' ')[1]);
    };
    const setId = mk('sem', ['-n', '1', '-s', '3', '-v', '1,2,3']);
    // a segment whose creator (ipc_make) has exited and that nothing attaches: an orphan the plan would remove
    const shmId = mk('shm', ['-n', '1', '-s', '4096']);
    const filter = buildC('sysv_filter');
    const planArgs = ['recycle', '--json', '--min-age', '0', '--recent', '0', '--audit', path.join(dir, 'audit.jsonl')];
    type Plan = { plan: { candidates: Array<{ id: number }>; stays: Array<{ kind: string; id?: number; why: string; verdict: { state: string } }>; removal?: { mode: string; detail: string } }; report?: { removed: number; failed: number } };
    // outside the sandbox the segment is a candidate: what the sandbox changes below is the source's doing
    const free = JSON.parse(ns.run(process.execPath, [IPCX, ...planArgs]).stdout) as Plan;
    assert.deepEqual(free.plan.candidates.map((c) => c.id), [shmId]);
    const native = JSON.parse(ns.run(process.execPath, [IPCX, 'snapshot', '--json']).stdout) as IpcSnapshot;
    for (const [errno, code] of [[1, 'EPERM'], [38, 'ENOSYS']] as const) {
      const r = ns.run(filter, [`deny=${errno}`, process.execPath, IPCX, 'snapshot', '--json']);
      assert.equal(r.status, 0, r.stderr);
      const snap = JSON.parse(r.stdout) as IpcSnapshot;
      assert.equal(snap.source, 'proc');
      assert.equal(snap.warnings[0], `System V calls denied to this process (semctl(IPC_INFO): ${code === 'EPERM' ? 'Operation not permitted' : 'Function not implemented'} (${code})): reading /proc/sysvipc; per-semaphore values and guarded removal unavailable`);
      const strip = (x: IpcSnapshot) => x.sems.map(({ values: _v, ...rest }) => (void _v, rest));
      assert.deepEqual(strip(snap), strip(native), 'the same set headers as the binding lists');
      assert.deepEqual(snap.shms.map((x) => x.id), [shmId]);
      assert.deepEqual(native.sems.map((x) => x.values), [[1, 2, 3]]);
      // the plan removes nothing, and says why for the orphan it would otherwise remove
      const p = ns.run(filter, [`deny=${errno}`, process.execPath, IPCX, ...planArgs, '--yes']);
      assert.equal(p.status, 0, p.stderr);
      const plan = JSON.parse(p.stdout) as Plan;
      assert.equal(plan.plan.removal?.mode, 'none');
      assert.deepEqual(plan.plan.candidates, []);
      assert.match(plan.plan.removal?.detail ?? '', new RegExp(`^no removal here: System V calls are denied to this process \\(semctl\\(IPC_INFO\\): .*\\(${code}\\)\\)`));
      // the orphan is still an orphan; what keeps it is the reader, in its verdict and in the plan
      const stay = plan.plan.stays.find((x) => x.kind === 'shm' && x.id === shmId)!;
      assert.equal(stay.verdict.state, 'orphan');
      assert.equal(stay.why, 'not recyclable: read from /proc/sysvipc (no native binding, or System V calls refused to this process), which removes nothing');
      assert.deepEqual([plan.report?.removed ?? 0, plan.report?.failed ?? 0], [0, 0]);
      const text = ns.run(filter, [`deny=${errno}`, process.execPath, IPCX, 'recycle', '--min-age', '0', '--recent', '0', '--audit', path.join(dir, 'audit.jsonl')]);
      assert.match(text.stdout, /^Removal mode on local: none \(no removal here: System V calls are denied/m);
      assert.match(text.stdout, /^WOULD REMOVE \(0\)/m);
      // per-semaphore detail is refused with the reason and the sandbox hint
      const i = ns.run(filter, [`deny=${errno}`, process.execPath, IPCX, 'inspect', 'sem', String(setId)]);
      assert.equal(i.status, 3, i.stderr);
      assert.match(i.stdout, /^semaphores: .*this process may not make System V calls \(semctl\(IPC_INFO\).*\(ENATIVE\) \u2014 A seccomp filter or a security module/m);
    }
    assert.match(ns.run('cat', ['/proc/sysvipc/shm']).stdout, new RegExp(`^\\s*-?\\d+\\s+${shmId}\\s`, 'm'), 'the orphan segment is still there');
  } finally {
    ns.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2; a missing object exits 1 with syscall, errno name and hint; --help/--version exit 0', () => {
  for (const args of [['bogus'], ['snapshot', '--nope'], ['inspect', 'sem'], ['inspect', 'sem', '-5'], ['inspect', 'fifo', '1'], ['limits', '--host', '-oProxyCommand=touch /tmp/pwned']]) {
    const r = ipcx(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^ipcx/);
  }
  assert.equal(fs.existsSync('/tmp/pwned'), false);
  const gone = ipcx(['inspect', 'sem', '2147483647']);
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /^ipcx: semctl\(IPC_STAT\) id=2147483647: no semaphore set with this id on local \(EINVAL\) \u2014 /);
  assert.equal(ipcx(['--help']).status, 0);
  assert.match(ipcx(['--version']).stdout, /^ipcx \d+\.\d+\.\d+$/m);
});

test('a set removed between snapshot and detail is that item\'s error, not a crash', nativeCap, async () => {
  const { LocalSource } = await import('../../extension/backend/localSource');
  const [set] = make('sem', ['-n', '1', '-s', '2']);
  const src = new LocalSource();
  const snap = await src.snapshot();
  assert.ok(snap.sems.some((s) => s.id === set.id));
  ipcrm('sem', set.id);
  const d = (await src.semDetail([set.id])).get(set.id);
  assert.ok(d && !Array.isArray(d), 'an error, not values');
  assert.ok(['EINVAL', 'EIDRM'].includes((d as { code: string }).code));
});

test('a non-root reader gets a partial snapshot: GETALL EACCES per set, exit 3, no crash', nativeCap, () => {
  const [priv] = make('sem', ['-n', '1', '-s', '2', '-m', '600']);
  const [open] = make('sem', ['-n', '1', '-s', '2', '-m', '644', '-v', '4,5']);
  try {
    // the bundle and the binding staged where nobody can read them (the checkout may be in a 0700 directory)
    const staged = stagedIpcx();
    const asNobody = (args: string[]) =>
      spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, staged.js, ...args], { encoding: 'utf8', env: staged.env, cwd: '/' });
    const r = asNobody(['snapshot', '--json']);
    assert.equal(r.status, 3, r.stderr);
    const snap = JSON.parse(r.stdout) as IpcSnapshot;
    assert.equal(snap.uid, 65534);
    const p = snap.sems.find((s) => s.id === priv.id)!;
    assert.equal(p.values, undefined);
    assert.equal(p.valuesError!.code, 'EACCES');
    assert.match(p.valuesError!.message, /semctl\(GETALL\)/);
    assert.deepEqual(snap.sems.find((s) => s.id === open.id)!.values, [4, 5]);
    const h = asNobody(['snapshot']);
    assert.equal(h.status, 3);
    assert.match(h.stdout, /\(EACCES\)/);
  } finally {
    ipcrm('sem', priv.id);
    ipcrm('sem', open.id);
  }
});

test('stdout: a terminal gets indented JSON; a pipe and a file get the compact document; /dev/null is written to without error', () => {
  // a real pseudo-terminal: util-linux script(1) runs ipcx with its stdout on one
  const tty = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(IPCX)} snapshot --json`, '/dev/null'], { encoding: 'utf8' });
  assert.equal(tty.status, 0, tty.stderr);
  assert.match(tty.stdout, /^\{\r?\n {2}"version": 1,/);
  const piped = ipcx(['snapshot', '--json']);
  assert.equal(piped.status, 0, piped.stderr);
  assert.match(piped.stdout, /^\{"version":1,/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-out-'));
  try {
    const file = path.join(dir, 'out.json');
    for (const target of [file, '/dev/null']) {
      const fd = fs.openSync(target, 'w');
      const r = spawnSync(process.execPath, [IPCX, 'snapshot', '--json'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      fs.closeSync(fd);
      assert.equal(r.status, 0, r.stderr);
    }
    assert.match(fs.readFileSync(file, 'utf8'), /^\{"version":1,.*\}\n$/s);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a reader that closes the pipe early (ipcx snapshot --json | head -c 100) ends quietly', async () => {
  const sets = make('sem', ['-n', '2000', '-s', '17', '-v', 'p']);
  try {
    const child = spawn(process.execPath, [IPCX, 'snapshot', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.once('data', () => child.stdout!.destroy());
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  } finally {
    ipcrm('sem', ...sets.map((s) => s.id));
  }
});

test('the --json fast paths (objects rendered by the binding, in memory and straight to the fd) are JSON.stringify(snapshot()), key for key', nativeCap, async () => {
  const { LocalSource } = await import('../../extension/backend/localSource');
  const sets = make('sem', ['-n', '50', '-s', '17', '-v', 'p', '-k', '0x7000']);
  const [seg, held] = make('shm', ['-n', '2', '-s', '4096']);
  const [queue] = make('msg', ['-n', '1', '-M', '1', '-B', '64']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-fd-'));
  try {
    const holder = await startHelper(shmHold, [String(held.id)]);
    const src = new LocalSource();
    const fast = JSON.parse(Buffer.from((await src.snapshotJson()).json).toString('utf8')) as IpcSnapshot;
    const file = path.join(dir, 'out.json');
    const fd = fs.openSync(file, 'w');
    const w = await src.writeSnapshotJson(fd);
    fs.closeSync(fd);
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(w.bytes, Buffer.byteLength(text));
    assert.ok(text.endsWith('}\n'));
    const direct = JSON.parse(text) as IpcSnapshot;
    const slow = JSON.parse(JSON.stringify(await src.snapshot())) as IpcSnapshot;
    assert.equal(fast.sems.length, 50);
    assert.deepEqual(direct.shms.find((x) => x.id === held.id)!.attachers, [holder.child.pid]);
    assert.deepEqual(direct.shms.find((x) => x.id === seg.id)!.attachers, []);
    assert.ok(direct.msgs.some((q) => q.id === queue.id));
    assert.equal(direct.processes[holder.child.pid!]!.comm, 'shm_hold');
    // measurements, not content: the time taken and realtime - boottime (10 ms /proc/uptime resolution)
    for (const x of [fast, direct]) {
      const [fo, so] = [x.reader!, slow.reader!];
      assert.ok(Math.abs(fo.clockOffset! - so.clockOffset!) <= fo.clockOffsetError! + so.clockOffsetError!, 'the same offset within its error');
    }
    for (const x of [fast, direct, slow]) {
      x.takenAt = 0;
      delete x.reader!.clockOffset;
      delete x.reader!.clockOffsetError;
    }
    assert.deepEqual(fast, slow);
    assert.deepEqual(direct, slow);
    assert.equal(JSON.stringify(direct), JSON.stringify(slow), 'the same keys in the same order');
    const pretty = Buffer.from((await src.snapshotJson(true)).json).toString('utf8');
    assert.match(pretty, /^\{\n  "version": 1,/);
    assert.equal(JSON.parse(pretty).sems.length, 50);
    stop(holder.child);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    ipcrm('sem', ...sets.map((s) => s.id));
    ipcrm('shm', seg.id, held.id);
    ipcrm('msg', queue.id);
  }
});

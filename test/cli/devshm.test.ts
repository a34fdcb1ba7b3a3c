/**
 * /dev/shm as an attacker leaves it, read by `ipcx snapshot` (a process) and by the in-process LocalSource
 * (as the extension host uses it), in the cli stage's private IPC + mount namespace with its own tmpfs on
 * /dev/shm. The attacker is an ordinary user (uid 65534 through setpriv) writing files it owns.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadNative } from '../../extension/backend/nativeLoader';
import type { IpcSnapshot } from '../../extension/shared/model';
import { repoRoot } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { needs } from '../helpers/capabilities';

const straceCap = needs('strace');

const IPCX = path.join(repoRoot, 'dist', 'ipcx.js');
const SETPRIV = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
const tag = `ipcx-devshm-${process.pid}`;
const children: ChildProcess[] = [];
const files: string[] = [];

before(() => {
  assertPrivateIpcNamespace();
  const b = spawnSync(process.execPath, [path.join(repoRoot, 'tools', 'esbuild.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
});

after(async () => {
  for (const c of children) await stopChild(c);
  for (const f of files) fs.rmSync(f, { force: true, recursive: true });
});

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    process.kill(c.pid!, 'SIGKILL');
  });
}

/** Starts `perl -e CODE ARGS` as uid 65534 and resolves once it printed its first line. */
async function attacker(code: string, args: string[]): Promise<ChildProcess> {
  const c = spawn(SETPRIV[0], [...SETPRIV.slice(1), 'perl', '-e', code, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  await new Promise<void>((resolve, reject) => {
    c.stdout!.once('data', () => resolve());
    c.once('exit', (s) => reject(new Error(`attacker exited ${s}`)));
  });
  return c;
}

/** The in-process snapshot, in a child node (a crash there is a failed assertion here, not a lost runner). */
function inProcessSnapshots(n: number): { status: number | null; signal: string | null; out: string } {
  const script = `
    const m = await import(${JSON.stringify(path.join(repoRoot, 'extension', 'backend', 'localSource.ts'))});
    const LocalSource = m.LocalSource ?? m.default.LocalSource;
    const src = new LocalSource();
    const seen = {};
    for (let i = 0; i < ${n}; i++) {
      const s = await src.snapshot();
      for (const p of s.posixSems) { const k = p.decoded ? 'decoded' : p.decodeError.code; seen[k] = (seen[k] || 0) + 1; }
    }
    console.log(JSON.stringify({ mode: src.mode, seen }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 300000 });
  return { status: r.status, signal: r.signal, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

test('a user truncating its semaphore file in a loop: 50 `ipcx snapshot` and 50 in-process snapshots, none crashes', async () => {
  assertPrivateIpcNamespace();
  const file = `/dev/shm/sem.${tag}-trunc`;
  files.push(file);
  const loop = await attacker(
    'open(my $h, ">", $ARGV[0]) or die "open: $!"; syswrite($h, pack("VVVV", 3, 0, 128, 0) . ("\\0" x 16)); ' +
      '$| = 1; print "ready\\n"; while (1) { truncate($h, 0); truncate($h, 32); }', [file]);
  try {
    assert.equal(fs.statSync(file).uid, 65534, 'the file is the attacker\'s');
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 50; i++) {
      const r = spawnSync(process.execPath, [IPCX, 'snapshot', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      assert.equal(r.signal, null, `ipcx snapshot run ${i + 1} died with ${r.signal}: ${r.stderr}`);
      assert.ok(r.status === 0 || r.status === 3, `run ${i + 1}: exit ${r.status}: ${r.stderr}`);
      const snap = JSON.parse(r.stdout) as IpcSnapshot;
      const sem = snap.posixSems.find((s) => s.path === file);
      assert.ok(sem, `run ${i + 1}: the semaphore is listed`);
      const k = sem.decoded ? 'decoded' : sem.decodeError!.code;
      outcomes[k] = (outcomes[k] ?? 0) + 1;
      if (sem.decodeError) assert.ok(sem.decodeError.message.length > 0 && sem.decodeError.hint, JSON.stringify(sem.decodeError));
    }
    const inproc = inProcessSnapshots(50);
    assert.equal(inproc.signal, null, `the in-process snapshot died with ${inproc.signal}: ${inproc.out}`);
    assert.equal(inproc.status, 0, inproc.out);
    const res = JSON.parse(inproc.out.trim().split('\n').pop()!) as { mode: string; seen: Record<string, number> };
    if (loadNative().binding) assert.equal(res.mode, 'native');
    console.log(`ipcx snapshot x50: ${JSON.stringify(outcomes)}; in-process x50 (${res.mode}): ${JSON.stringify(res.seen)}`);
  } finally {
    await stopChild(loop);
  }
});

/** `strace -f -c` of one `ipcx snapshot --json`: calls per syscall, the snapshot, and the wall time. */
function tracedSnapshot(): { calls: Map<string, number>; snap: IpcSnapshot; ms: number } {
  const out = path.join(fs.mkdtempSync('/tmp/ipcx-strace-'), 'counts');
  files.push(path.dirname(out));
  const t0 = performance.now();
  const r = spawnSync('strace', ['-f', '-c', '-o', out, '-e', 'trace=statx,newfstatat,lstat,stat,fstat,execve,fork,vfork,clone,clone3',
    process.execPath, IPCX, 'snapshot', '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  assert.ok(r.status === 0 || r.status === 3, `ipcx exit ${r.status}: ${r.stderr}`);
  const calls = new Map<string, number>();
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 5 && /^\d+$/.test(f[3]) && /^[a-z_0-9]+$/.test(f[f.length - 1]) && f[f.length - 1] !== 'total') calls.set(f[f.length - 1], Number(f[3]));
  }
  return { calls, snap: JSON.parse(r.stdout) as IpcSnapshot, ms };
}

const STATS = ['statx', 'newfstatat', 'lstat', 'stat', 'fstat'];
const sum = (m: Map<string, number>, names: string[]) => names.reduce((a, n) => a + (m.get(n) ?? 0), 0);

test('/dev/shm with 100,000 files: 10,000 listed with a "more not listed" warning; stat calls bounded by the listing, no process per file', straceCap, () => {
  if (!straceCap.ready()) return;
  assertPrivateIpcNamespace();
  const floor = tracedSnapshot();
  // 100,000 leaked files (one process makes them), plus 5 semaphores that sort after them
  const made = spawnSync('sh', ['-c', 'cd /dev/shm && seq -f PostgreSQL.%.0f 1000000 1099999 | xargs touch'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const sems = [0, 1, 2, 3, 4].map((i) => `/dev/shm/sem.${tag}-flood${i}`);
  for (const [i, s] of sems.entries()) {
    files.push(s);
    const b = Buffer.alloc(32);
    b.writeUInt32LE(i, 0);
    b.writeInt32LE(128, 8);
    fs.writeFileSync(s, b);
  }
  try {
    const big = tracedSnapshot();
    const w = big.snap.warnings.find((x) => x.startsWith('/dev/shm: '));
    assert.ok(w, `a warning about the files not listed: ${JSON.stringify(big.snap.warnings)}`);
    assert.match(w, /^\/dev\/shm: 100,00\d files; 10,000 listed \(the first by name: \d+ sem\.\*, [\d,]+ others\), 90,00\d more not listed \(bound: 10,000 per snapshot\)$/);
    assert.equal(big.snap.posixShms.length + big.snap.posixSems.length, 10000);
    for (const s of sems) assert.ok(big.snap.posixSems.some((p) => p.path === s && p.decoded), `${s} listed and decoded despite the flood`);
    // the bound that catches per-file work: stat calls grow by the listing (10,000), not by the directory
    // (100,000); processes started: the same as with an empty /dev/shm (none per file)
    const statsFloor = sum(floor.calls, STATS), statsBig = sum(big.calls, STATS);
    assert.ok(statsBig - statsFloor <= 10000 + 1000, `stat calls: ${statsBig} with 100,000 files vs ${statsFloor} without`);
    for (const c of ['execve', 'fork', 'vfork']) assert.equal(big.calls.get(c) ?? 0, floor.calls.get(c) ?? 0, `${c} calls`);
    assert.ok((big.calls.get('clone') ?? 0) + (big.calls.get('clone3') ?? 0) <= (floor.calls.get('clone') ?? 0) + (floor.calls.get('clone3') ?? 0) + 4, 'threads, not processes');
    console.log(`100,000 files: stat calls ${statsBig} (floor ${statsFloor}), execve ${big.calls.get('execve')}, ` +
      `traced wall time ${big.ms.toFixed(0)} ms (floor ${floor.ms.toFixed(0)} ms)`);
  } finally {
    spawnSync('sh', ['-c', 'cd /dev/shm && find . -maxdepth 1 -name "PostgreSQL.1*" -delete']);
  }
});

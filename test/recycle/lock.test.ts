/**
 * LOCK -> VERIFY -> REMOVE in the native guarded primitive (native/src/sysv_util.h LockVerifyRemove), on real
 * sets in this stage's private IPC namespace, with no test hook in production code. The interleavings are
 * forced, not raced: the adopter (test/helpers/c/sem_flip.c in step mode) operates exactly when the test
 * says, and the removal runs in its own process under test/helpers/c/ipc_pause.c, a seccomp user-notification
 * supervisor that holds it in the kernel at its first IPC call after the lock (IPC_SET mode 0) until the test
 * lets it go:
 * - a set whose sempid changed after planning is refused before the lock: mode, owner, ctime and values are
 *   exactly as before;
 * - a non-root adopter operating on its own 0600 set while it is locked gets EACCES and changes nothing, so
 *   the removal, released, finds everything as planned and removes the set;
 * - root (CAP_IPC_OWNER bypasses permission checks) operating while the set is locked is not blocked: the
 *   lock cannot fence root; the re-verification after the lock sees what it did and refuses ("while
 *   locking"), restoring mode 0600 exactly;
 * - a non-root owner removing its own orphan locks with 0400 (it must still read the set to verify) and removes it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import type { Duplex } from 'node:stream';
import { after, test } from 'node:test';
import { IpcError } from '../../extension/domain/errors';
import type { RemovalExpectation, SemSet } from '../../extension/shared/model';
import { buildC, repoRoot } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { AS_NOBODY, forOtherUsers } from '../helpers/stage';
import { make, native, nativeObjects, parseProbe, probeArgv, probeAsNobody, removeQuietly, stop, type Made, type ProbeResult } from '../native/support';

const created: Made[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) await stop(c);
  removeQuietly(created);
});

function set(id: number): SemSet | undefined {
  return nativeObjects().sems.find((s) => s.id === id);
}

/** The plan's expectation, as recycleExecutor builds it: key, ctime, otime, no waiters, every sempid. */
function plan(id: number): RemovalExpectation {
  const s = set(id)!;
  return { key: s.key, ctime: s.ctime, otime: s.otime, noWaiters: true, semPids: native().semDetail(id).map((e) => e.pid) };
}

function tryRemove(id: number, exp: RemovalExpectation): IpcError | undefined {
  try {
    native().remove('sem', id, exp);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof IpcError, `an IpcError, got ${String(e)}`);
    return e;
  }
}

/** Lines of a child's stream, one at a time, in order. */
function lineReader(stream: NodeJS.ReadableStream, what: string): () => Promise<string> {
  const rl = readline.createInterface({ input: stream });
  const queue: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  let closed = false;
  rl.on('line', (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
  rl.on('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w(`<${what} closed>`);
  });
  return () => (queue.length ? Promise.resolve(queue.shift()!) : closed ? Promise.resolve(`<${what} closed>`) : new Promise((r) => waiting.push(r)));
}

interface Adopter {
  id: number;
  /** one semop(+1,-1) from a fresh child process, now: "ok", "blocked" (EACCES) or "gone". */
  op(): Promise<string>;
  /** ends the adopter; its summary line `ops N blocked N stopped|gone`. */
  end(): Promise<string>;
}

/** sem_flip in step mode (test/helpers/c/sem_flip.c), as root or as nobody: operates only when asked. */
async function adopter(target: 'new' | number, nobody: boolean): Promise<Adopter> {
  const bin = buildC('sem_flip');
  const argv = [nobody ? forOtherUsers(bin) : bin, String(target), 'step'];
  const full = nobody ? [...AS_NOBODY, ...argv] : argv;
  const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], cwd: '/' });
  children.push(child);
  const next = lineReader(child.stdout!, 'sem_flip');
  const first = await next();
  const m = /^sem (\d+)$/.exec(first);
  assert.ok(m, `sem_flip: ${first}`);
  assert.equal(await next(), 'READY');
  return {
    id: Number(m[1]),
    op: async () => {
      child.stdin!.write('op\n');
      const l = await next();
      const r = /^op (\w+)$/.exec(l);
      assert.ok(r, `sem_flip: ${l}`);
      return r[1]!;
    },
    end: async () => {
      child.stdin!.end();
      let l = await next();
      while (l.startsWith('op ')) l = await next();
      return l;
    },
  };
}

interface HeldRemoval {
  /** where the removal is held: `PAUSED membarrier 0` (about to wait out in-flight calls) or `PAUSED semctl N`. */
  at: string;
  /** lets the removal go on and returns its result. */
  release(): Promise<ProbeResult>;
}

/**
 * The binding's guarded removal of a set in a separate process, held in the kernel at its first IPC call after
 * the lock (test/helpers/c/ipc_pause.c, seccomp user notification): the set is locked and the re-verification
 * has not started, for as long as the test needs.
 */
async function heldRemoval(id: number, exp: RemovalExpectation): Promise<HeldRemoval> {
  const argv = [buildC('ipc_pause'), ...probeArgv([{ op: 'remove', kind: 'sem', id, expected: exp }])];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: '/tmp' } });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const ctl = child.stdio[3] as Duplex;
  const at = await lineReader(ctl, 'ipc_pause control')();
  if (!at.startsWith('PAUSED ')) {
    const code = await exited;
    throw new Error(`the removal was not held after its lock (${at}); exit ${code}; stdout ${stdout}; stderr ${stderr}`);
  }
  return {
    at,
    release: async () => {
      ctl.write('go\n');
      const code = await exited;
      return parseProbe({ status: code, stdout, stderr });
    },
  };
}

test('lock: a set whose sempid changed after planning is refused; mode, owner, ctime and values are untouched', async () => {
  assertPrivateIpcNamespace();
  const [m] = make('sem', ['-n', '1', '-s', '3', '-v', '4,5,6', '-m', '640']);
  created.push(m!);
  const exp = plan(m!.id);
  const before = set(m!.id)!;
  assert.equal(before.mode, 0o640);
  const a = await adopter(m!.id, false);
  assert.equal(await a.op(), 'ok', 'the adopter operated after the plan');
  await a.end();
  const changed = set(m!.id)!;
  const err = tryRemove(m!.id, exp);
  assert.ok(err, 'refused');
  assert.equal(err.code, 'ECHANGED');
  assert.match(err.message, /sempid changed: semaphore 0 last operated by pid \d+, expected 0|otime changed/);
  const after = set(m!.id)!;
  assert.deepEqual(after, changed, 'nothing changed by the refusal (mode 0640, uid, gid, ctime, values)');
  assert.equal(after.mode, 0o640);
  assert.equal(after.ctime, before.ctime, 'refused before the lock: not even ctime moved');
  assert.deepEqual(after.values, [4, 5, 6]);
});

test('lock: a non-root adopter operating while its set is locked gets EACCES and changes nothing; the released removal then removes the set', async () => {
  assertPrivateIpcNamespace();
  const a = await adopter('new', true);
  created.push({ kind: 'sem', id: a.id, key: 0 });
  const s = set(a.id)!;
  assert.equal(s.uid, 65534, 'the adopter owns its set');
  assert.equal(s.mode, 0o600);
  assert.equal(await a.op(), 'ok', 'before the lock the owner operates normally');
  const exp = plan(a.id);
  const held = await heldRemoval(a.id, exp);
  assert.match(held.at, /^PAUSED (membarrier|semctl)/);
  const locked = set(a.id)!;
  assert.equal(locked.mode, 0, 'held after its IPC_SET: the set is locked (mode 0)');
  assert.equal(await a.op(), 'blocked', 'the non-root owner is locked out: semop fails with EACCES');
  assert.equal(await a.op(), 'blocked', 'every time');
  assert.deepEqual(native().semDetail(a.id).map((e) => e.pid), exp.semPids, 'a blocked semop records no sempid');
  const r = await held.release();
  assert.ok(r.load.ok, JSON.stringify(r.load));
  assert.ok(r.results[0]!.ok, `nothing changed while locked, so the removal proceeds: ${JSON.stringify(r.results[0])}`);
  assert.equal(set(a.id), undefined, 'removed');
  assert.equal(await a.op(), 'gone');
  assert.match(await a.end(), /^ops 1 blocked 2 gone$/);
});

test('lock: root is not fenced (CAP_IPC_OWNER): its semop while the set is locked succeeds; the re-verification sees it, refuses and restores 0600', async () => {
  assertPrivateIpcNamespace();
  const [m] = make('sem', ['-n', '1', '-s', '1', '-m', '600']);
  created.push(m!);
  const a = await adopter(m!.id, false);
  assert.equal(await a.op(), 'ok');
  const exp = plan(m!.id);
  const held = await heldRemoval(m!.id, exp);
  assert.equal(set(m!.id)!.mode, 0, 'locked (mode 0)');
  assert.equal(await a.op(), 'ok', 'root bypasses the mode: never EACCES');
  assert.notDeepEqual(native().semDetail(m!.id).map((e) => e.pid), exp.semPids, 'root\'s semop moved the sempid while the set was locked');
  const r = await held.release();
  const res = r.results[0]!;
  assert.equal(res.ok, false, 'refused');
  assert.equal(res.error!.code, 'ECHANGED', JSON.stringify(res));
  assert.match(res.error!.message, /while lock/, 'seen by the re-verification after the lock');
  assert.match(res.error!.message, /mode restored to 0600/);
  const after = set(m!.id)!;
  assert.equal(after.mode, 0o600, 'the mode restored exactly');
  assert.equal(after.uid, 0);
  assert.deepEqual(after.values, [0]);
  assert.match(await a.end(), /^ops 2 blocked 0 stopped$/);
});

test('lock: a non-root owner removes its own orphan (locks with 0400 so it can still verify)', () => {
  assertPrivateIpcNamespace();
  const made = spawnSyncAsNobody(buildC('ipc_make'), ['sem', '-n', '1', '-s', '2', '-m', '600']);
  const id = Number(/^sem (\d+)/m.exec(made)![1]);
  created.push({ kind: 'sem', id, key: 0 });
  assert.equal(set(id)!.uid, 65534);
  const p = probeAsNobody([{ op: 'remove', kind: 'sem', id, expected: plan(id) }]);
  assert.ok(p.results[0]!.ok, JSON.stringify(p.results[0]));
  assert.equal(set(id), undefined, 'removed by its owner');
});

function spawnSyncAsNobody(cmd: string, args: string[]): string {
  const r = spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), forOtherUsers(cmd), ...args], { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(`${cmd} as nobody: ${r.stderr}`);
  return r.stdout;
}

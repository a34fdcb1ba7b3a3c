/**
 * LOCK -> VERIFY -> REMOVE in the native guarded primitive (native/src/sysv_util.h LockVerifyRemove), on real
 * sets in this stage's private IPC namespace, with no test hook in production code:
 * - a set whose sempid changed after planning is refused before the lock: mode, owner, ctime and values are
 *   exactly as before;
 * - an adopter that operates from fresh processes every few hundred microseconds (so the sempid changes with
 *   each operation): run as a non-root user on its own 0600 set, its operations while the set is locked fail
 *   with EACCES ("blocked"), so the removal finds nothing changed and proceeds (or, if an operation landed
 *   before the lock, refuses and restores 0600 exactly); run as root (CAP_IPC_OWNER bypasses permission
 *   checks) it is never blocked: the lock cannot fence root; the re-verification after the lock sees what it
 *   did and refuses ("while locking"), restoring the mode exactly each time;
 * - a non-root owner removing its own orphan locks with 0400 (it must still read the set to verify) and removes it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { after, test } from 'node:test';
import { IpcError } from '../../extension/domain/errors';
import type { RemovalExpectation, SemSet } from '../../extension/shared/model';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { AS_NOBODY, forOtherUsers } from '../helpers/stage';
import { make, native, probeAsNobody, removeQuietly, stop, type Made } from '../native/support';

const created: Made[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) await stop(c);
  removeQuietly(created);
});

function set(id: number): SemSet | undefined {
  return native().snapshot().sems.find((s) => s.id === id);
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

/** sem_flip (test/helpers/c/sem_flip.c), as root or as nobody; resolves with the set id once READY. */
function flipper(target: 'new' | number, periodUs: number, nobody: boolean): Promise<{ child: ChildProcess; id: number; last: Promise<string> }> {
  const bin = buildC('sem_flip');
  const argv = [nobody ? forOtherUsers(bin) : bin, String(target), String(periodUs)];
  const full = nobody ? [...AS_NOBODY, ...argv] : argv;
  const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const rl = readline.createInterface({ input: child.stdout! });
  let id = -1;
  let resolveLast: (l: string) => void = () => {};
  const last = new Promise<string>((r) => (resolveLast = r));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('sem_flip not ready after 5 s')), 5000);
    rl.on('line', (l) => {
      if (l.startsWith('sem ')) id = Number(l.split(' ')[1]);
      else if (l === 'READY') {
        clearTimeout(t);
        resolve({ child, id, last });
      } else if (l.startsWith('ops ')) resolveLast(l);
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      if (id < 0) reject(new Error(`sem_flip exited ${code} before READY`));
    });
  });
}

/** Stops the adopter (SIGTERM), or with `kill` false lets it end by itself (it exits when the set is gone). */
async function endFlipper(f: { child: ChildProcess; last: Promise<string> }, kill = true): Promise<{ ops: number; blocked: number; end: string }> {
  if (kill && f.child.exitCode === null && f.child.signalCode === null) process.kill(f.child.pid!, 'SIGTERM');
  const m = /^ops (\d+) blocked (\d+) (\w+)$/.exec(await f.last)!;
  return { ops: Number(m[1]), blocked: Number(m[2]), end: m[3]! };
}

/**
 * Removal attempts against a flipping adopter: each with a fresh plan. Returns how many were refused by the
 * post-lock re-verification (each checked: the mode restored exactly, owner unchanged) and whether the set was
 * finally removed (legitimately: nothing operated on it between the pre-check and the final check).
 */
async function attempts(id: number, mode: number, uid: number, maxTries: number): Promise<{ lockRefusals: number; preRefusals: number; removed: boolean }> {
  let lockRefusals = 0;
  let preRefusals = 0;
  for (let i = 0; i < maxTries; i++) {
    const exp = plan(id);
    const err = tryRemove(id, exp);
    if (!err) return { lockRefusals, preRefusals, removed: true };
    assert.equal(err.code, 'ECHANGED', err.message);
    if (/while lock/.test(err.message)) {
      lockRefusals++;
      assert.match(err.message, new RegExp(`mode restored to 0${mode.toString(8)}`), err.message);
    } else {
      preRefusals++;
    }
    const now = set(id)!;
    assert.equal(now.mode, mode, `mode restored exactly after: ${err.message}`);
    assert.equal(now.uid, uid);
    if (lockRefusals >= 5) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  return { lockRefusals, preRefusals, removed: false };
}

test('lock: a set whose sempid changed after planning is refused; mode, owner, ctime and values are untouched', async () => {
  assertPrivateIpcNamespace();
  const [m] = make('sem', ['-n', '1', '-s', '3', '-v', '4,5,6', '-m', '640']);
  created.push(m!);
  const exp = plan(m!.id);
  const before = set(m!.id)!;
  assert.equal(before.mode, 0o640);
  const f = await flipper(m!.id, 1000, false);
  while (native().semDetail(m!.id)[0]!.pid === exp.semPids![0]) await new Promise((r) => setTimeout(r, 1));
  await endFlipper(f);
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

test('lock: a non-root adopter is locked out (EACCES) while the removal re-verifies; any refusal restores 0600', async () => {
  assertPrivateIpcNamespace();
  const f = await flipper('new', 300, true);
  created.push({ kind: 'sem', id: f.id, key: 0 });
  const s = set(f.id)!;
  assert.equal(s.uid, 65534, 'the adopter owns its set');
  assert.equal(s.mode, 0o600);
  const r = await attempts(f.id, 0o600, 65534, 200);
  const fr = await endFlipper(f, !r.removed);
  console.log(`lock (nobody adopter): ${r.lockRefusals} refused after the lock (mode restored), ${r.preRefusals} refused before it, ` +
    `removed: ${r.removed}; adopter: ${fr.ops} operations, ${fr.blocked} blocked by the lock (EACCES), ${fr.end}`);
  // its operations keep changing the sempid, so a removal can only pass if none of them landed between the
  // pre-check and the final check: while the set is locked they fail with EACCES instead
  assert.ok(fr.blocked >= 1, 'the non-root adopter was locked out (EACCES) at least once');
  if (r.removed) assert.equal(fr.end, 'gone', 'the adopter saw the set go only after being locked out');
  else assert.deepEqual(set(f.id)!.values, [0], 'a refused set is intact');
});

test('lock: root is not fenced (CAP_IPC_OWNER): its operations are never blocked, only seen by the re-verification', async () => {
  assertPrivateIpcNamespace();
  const [m] = make('sem', ['-n', '1', '-s', '1', '-m', '600']);
  created.push(m!);
  const f = await flipper(m!.id, 300, false);
  const r = await attempts(m!.id, 0o600, 0, 200);
  const fr = await endFlipper(f);
  console.log(`lock (root adopter): ${r.lockRefusals} refused after the lock, ${r.preRefusals} before it, removed: ${r.removed}; ` +
    `adopter: ${fr.ops} operations, ${fr.blocked} blocked`);
  assert.equal(fr.blocked, 0, 'root bypasses the mode: never EACCES');
  assert.ok(r.lockRefusals >= 1, 'what root did while the set was locked was seen by the re-verification');
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

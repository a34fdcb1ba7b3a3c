/**
 * The guarded primitive checks every header field the plan saw (shm nattch/cpid/lpid/atime/dtime, msg
 * qnum/cbytes/lspid/lrpid/stime/rtime) before its lock, names the field that moved ("shm lpid changed
 * 0 -> 4123"), and leaves the object exactly as it was; real activity after planning (an attach + detach,
 * a send + receive that leaves the counts as they were) is refused the same way. statObject reads one
 * object by id, equal to its snapshot row. The afterLock callback runs under the lock (mode 0) and its
 * answer (or its throw) refuses with the mode restored.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { IpcError } from '../../extension/domain/errors';
import { expectationFor } from '../../extension/domain/recyclePlan';
import type { RemovalExpectation, SysvKind, SysvObject } from '../../extension/shared/model';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace, make, native, nativeObjects, removeQuietly, type Made } from './support';

const created: Made[] = [];
after(() => removeQuietly(created));

function find(kind: SysvKind, id: number): SysvObject | undefined {
  const s = nativeObjects({ values: false });
  return (kind === 'sem' ? s.sems : kind === 'shm' ? s.shms : s.msgs).find((o) => o.id === id);
}

function refusal(kind: SysvKind, id: number, exp: RemovalExpectation, check?: (phase: 'beforeLock' | 'afterLock') => string): IpcError {
  try {
    native().remove(kind, id, exp, check);
  } catch (e) {
    assert.ok(e instanceof IpcError, `an IpcError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${kind} ${id} was removed`);
}

function user(args: string[]): string {
  const r = spawnSync(buildC('ipc_user'), args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `ipc_user ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('statObject: one object by id equals its snapshot row (sem without values, shm, msg); gone is EINVAL', () => {
  assertPrivateIpcNamespace();
  const [s] = make('sem', ['-n', '1', '-s', '3', '-m', '640']);
  const [m] = make('shm', ['-n', '1', '-s', '8192']);
  const [q] = make('msg', ['-n', '1', '-M', '2', '-B', '12']);
  created.push(s!, m!, q!);
  const { values: _v, ...semRow } = find('sem', s!.id) as Extract<SysvObject, { kind: 'sem' }>;
  assert.deepEqual(native().statObject('sem', s!.id), semRow);
  assert.deepEqual(native().statObject('shm', m!.id), find('shm', m!.id));
  assert.deepEqual(native().statObject('msg', q!.id), find('msg', q!.id));
  removeQuietly([q!]);
  assert.throws(() => native().statObject('msg', q!.id), (e: unknown) => e instanceof IpcError && (e.code === 'EINVAL' || e.code === 'EIDRM'));
});

test('shm: each field the plan saw refuses by name when it differs; the segment is untouched (not even locked)', () => {
  assertPrivateIpcNamespace();
  const [m] = make('shm', ['-n', '1', '-s', '4096', '-m', '640']);
  created.push(m!);
  user(['touch', String(m!.id)]);
  const seg = find('shm', m!.id)!;
  assert.equal(seg.kind, 'shm');
  const plan = expectationFor(seg);
  for (const f of ['nattch', 'cpid', 'lpid', 'atime', 'dtime'] as const) {
    const was = (plan[f] as number) + 7;
    const err = refusal('shm', m!.id, { ...plan, [f]: was });
    assert.equal(err.code, 'ECHANGED');
    assert.match(err.message, new RegExp(`shm ${f} changed ${was} -> ${plan[f]}`), err.message);
    assert.deepEqual(find('shm', m!.id), seg, `${f}: mode, ctime and every field as before`);
  }
});

test('shm: an attach and detach after planning (nattch 0 again) is refused: lpid moved', () => {
  assertPrivateIpcNamespace();
  const [m] = make('shm', ['-n', '1', '-s', '4096']);
  created.push(m!);
  const plan = expectationFor(find('shm', m!.id)!);
  assert.equal(plan.lpid, 0, 'never attached: lpid 0');
  const pid = Number(/done (\d+)/.exec(user(['touch', String(m!.id)]))![1]);
  const err = refusal('shm', m!.id, plan);
  assert.match(err.message, new RegExp(`shm lpid changed 0 -> ${pid}`));
  assert.equal(find('shm', m!.id)!.mode & 0o777, 0o600);
});

test('msg: each field the plan saw refuses by name; a send + receive that leaves qnum and cbytes as they were is refused', () => {
  assertPrivateIpcNamespace();
  const [q] = make('msg', ['-n', '1', '-M', '2', '-B', '16', '-m', '620']); // 16 bytes, like ipc_user's message
  created.push(q!);
  const queue = find('msg', q!.id)!;
  const plan = expectationFor(queue);
  assert.equal(plan.qnum, 2);
  for (const f of ['qnum', 'cbytes', 'lspid', 'lrpid', 'stime', 'rtime'] as const) {
    const was = (plan[f] as number) + 3;
    const err = refusal('msg', q!.id, { ...plan, [f]: was });
    assert.equal(err.code, 'ECHANGED');
    assert.match(err.message, new RegExp(`msg ${f} changed ${was} -> ${plan[f]}`), err.message);
    assert.deepEqual(find('msg', q!.id), queue, `${f}: untouched`);
  }
  const pid = Number(/done (\d+)/.exec(user(['sendrecv', String(q!.id)]))![1]);
  const now = find('msg', q!.id)!;
  assert.equal(now.kind === 'msg' && now.qnum, 2, 'the counts are as planned');
  const err = refusal('msg', q!.id, plan);
  assert.match(err.message, new RegExp(`msg lspid changed ${plan.lspid} -> ${pid}`));
});

test('check: runs right before the lock and under it (mode 0); its reason or its throw refuses, restoring the mode', () => {
  assertPrivateIpcNamespace();
  const [q] = make('msg', ['-n', '1', '-m', '640']);
  created.push(q!);
  const before = find('msg', q!.id)!;
  const plan = expectationFor(before);
  const seen: string[] = [];
  const look = (phase: string) => seen.push(`${phase} 0${native().statObject('msg', q!.id).mode.toString(8)}`);
  const early = refusal('msg', q!.id, plan, (phase) => {
    look(phase);
    return 'pid 4123 is blocked in msgrcv on it';
  });
  assert.deepEqual(seen, ['beforeLock 0640'], 'refused before the lock: not called again');
  assert.match(early.message, /refused, pid 4123 is blocked in msgrcv on it \(ECHANGED\)$/);
  assert.deepEqual(find('msg', q!.id), before, 'never locked: mode and ctime untouched');
  seen.length = 0;
  const err = refusal('msg', q!.id, plan, (phase) => {
    look(phase);
    return phase === 'afterLock' ? 'pid 4123 is blocked in msgrcv on it' : '';
  });
  assert.deepEqual(seen, ['beforeLock 0640', 'afterLock 00'], 'the second call runs under the lock');
  assert.equal(err.code, 'ECHANGED');
  assert.match(err.message, /pid 4123 is blocked in msgrcv on it; mode restored to 0640/);
  assert.equal(find('msg', q!.id)!.mode, 0o640);
  // locking and restoring the mode is an IPC_SET, which sets the queue's ctime: what follows is planned anew
  // (with the first plan, a restore in a later second than the creation would refuse on ctime instead)
  const replanned = () => expectationFor(find('msg', q!.id)!);
  const thrown = refusal('msg', q!.id, replanned(), (phase) => {
    if (phase === 'afterLock') throw new Error('scan failed');
    return '';
  });
  assert.match(thrown.message, /the check \(afterLock\) failed: scan failed; mode restored to 0640/);
  assert.equal(find('msg', q!.id)!.mode, 0o640);
  native().remove('msg', q!.id, replanned(), () => '');
  assert.equal(find('msg', q!.id), undefined, 'an empty answer lets the removal go on');
});

/**
 * An id reused between plan and removal: the planned object is removed by someone else and a new one is
 * created under the SAME id (forced with the namespace's kernel.{sem,shm,msg}_next_id, as checkpoint/restore
 * tools do; otherwise the id's sequence number makes that take ~65,000 create/remove cycles), the same key, mode
 * and owner, normally in the same second (so even ctime can be equal). The executor's re-read and the
 * primitive's checks must tell the two apart by what the new object's creator leaves: refused, the new object
 * untouched. Forced in the executor's beforeRemove hook (right before the guarded primitive), real kernel
 * objects in this stage's private IPC namespace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { LocalSource } from '../../extension/backend/localSource';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import type { SysvKind } from '../../extension/shared/model';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { root } from './nsHarness';

const ARGS: Record<SysvKind, string[]> = {
  sem: ['-s', '3', '-v', '1,2,3'],
  shm: ['-s', '4096'],
  msg: ['-M', '1', '-B', '16'],
};

function make(kind: SysvKind, key: number): number {
  const r = spawnSync(buildC('ipc_make'), [kind, '-n', '1', '-k', String(key), '-m', '640', ...ARGS[kind]], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return Number(new RegExp(`^${kind} (\\d+)`, 'm').exec(r.stdout)![1]);
}

// (queues below: their removal also needs the blocked-process scan, which this stage's initial pid namespace
// cannot give here, pid 1 being unreadable)
for (const kind of ['sem', 'shm'] as const) {
  test(`id reuse (${kind}): the planned object replaced under the same id, key, mode and owner before its removal is refused; the new one is untouched`, { timeout: 60000 }, async () => {
    assertPrivateIpcNamespace();
    const key = 0x1d0000 + ['sem', 'shm', 'msg'].indexOf(kind);
    const id = make(kind, key);
    const source = new LocalSource();
    const prep = await prepareRecycle(source, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true, trust: [{ key }] }, kinds: [kind], refs: [`${kind}:${id}`] });
    assert.deepEqual(prep.plan.candidates.map((c) => c.id), [id], JSON.stringify(prep.plan.stays.map((s) => s.why)));
    let replaced: Awaited<ReturnType<LocalSource['stat']>> | undefined;
    const report = await executeRecyclePlan(prep.plan, {
      source, processFacts: prep.processFacts,
      beforeRemove: async () => {
        assert.equal(spawnSync('ipcrm', [kind === 'sem' ? '-s' : kind === 'shm' ? '-m' : '-q', String(id)]).status, 0);
        fs.writeFileSync(`/proc/sys/kernel/${kind}_next_id`, String(id));
        assert.equal(make(kind, key), id, 'the new object has the planned id');
        replaced = await source.stat(kind, id);
      },
    });
    const o = report.outcomes[0]!;
    assert.equal(o.action, 'refused', JSON.stringify(o));
    assert.equal(o.code, 'ECHANGED', JSON.stringify(o));
    const now = await source.stat(kind, id);
    assert.deepEqual(now, replaced, 'the new object is exactly as its creator left it');
    spawnSync('ipcrm', [kind === 'sem' ? '-s' : kind === 'shm' ? '-m' : '-q', String(id)]);
  });
}

test('id reuse (msg): the planned queue replaced under the same id, key, mode and owner before its removal is refused; the new one is untouched', { timeout: 60000 }, () => {
  assertPrivateIpcNamespace();
  buildC('ipc_make');
  // as pid 1 of a pid namespace made with its own IPC namespace (idReuseMsgDriver.ts)
  const r = spawnSync('unshare', ['--ipc', '--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', path.join(root, 'test', 'recycle', 'idReuseMsgDriver.ts')], {
    cwd: root, encoding: 'utf8', timeout: 50000,
  });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    id: number; planned: number[]; stays: string[]; reusedId: number; replaced: unknown; after: unknown; outcomes: Array<{ action: string; code?: string; reasons: string[] }>;
  };
  assert.deepEqual(o.planned, [o.id], JSON.stringify(o.stays));
  assert.equal(o.reusedId, o.id, 'the new queue has the planned id');
  const oc = o.outcomes[0]!;
  assert.equal(oc.action, 'refused', JSON.stringify(oc));
  assert.equal(oc.code, 'ECHANGED', JSON.stringify(oc));
  assert.deepEqual(o.after, o.replaced, 'the new queue is exactly as its creator left it');
});

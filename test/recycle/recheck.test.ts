/**
 * The executor re-reads each candidate right before its own removal (not once per run), and a queue is only
 * removed when no process is proven blocked on it:
 * - 300 orphan segments; while the executor removes the first one, a live process attaches and detaches the
 *   last one (forced: the executor's beforeRemove hook runs it and waits for it): the last one stays, refused
 *   with "shm lpid changed 0 -> PID", the other 299 go;
 * - a server blocked in msgrcv and a sender blocked on a full queue (no trace in the queues' headers) keep
 *   their queues with --include-unrecognized, at planning; a server that starts waiting after planning keeps
 *   its queue at execution; a queue nobody waits on goes (recheckDriver, in a pid namespace of its own);
 * - the real CLI in a pid namespace that is not the initial one removes no queue: the proof is impossible.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, test } from 'node:test';
import { AuditLog } from '../../extension/backend/audit';
import { LocalSource } from '../../extension/backend/localSource';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { ensureCliBuilt, root } from './nsHarness';

let tmp = '';
const children: ChildProcess[] = [];
const made: number[] = [];

before(() => {
  assertPrivateIpcNamespace();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-recheck-'));
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const id of made) spawnSync('ipcrm', ['-m', String(id)]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('300 orphan segments: a live attach + detach of the last one while the first is being removed keeps it', { timeout: 120000 }, async () => {
  assertPrivateIpcNamespace();
  const r = spawnSync(buildC('ipc_make'), ['shm', '-n', '300', '-s', '4096'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ids = r.stdout.trim().split('\n').map((l) => Number(l.split(' ')[1]));
  made.push(...ids);
  const last = ids[ids.length - 1]!;
  const source = new LocalSource();
  assert.equal(source.mode, 'native');
  const prep = await prepareRecycle(source, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 }, refs: ids.map((i) => `shm:${i}`) });
  assert.equal(prep.plan.candidates.length, 300, 'every segment is a recyclable orphan (creator dead, never attached)');
  let touchPid = 0;
  const report = await executeRecyclePlan(prep.plan, {
    source,
    processFacts: prep.processFacts,
    audit: new AuditLog(path.join(tmp, 'shm-audit.jsonl')),
    beforeRemove: async (c) => {
      if (c.id !== ids[0]) return;
      // the interleaving, forced: a live process attaches and detaches the last segment now
      const p = spawn(buildC('ipc_user'), ['touchstay', String(last)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(p);
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: p.stdout! }).once('line', resolve);
        p.once('exit', (code) => reject(new Error(`ipc_user exited ${code}`)));
      });
      touchPid = Number(/^done (\d+)$/.exec(line)![1]);
    },
  });
  assert.ok(touchPid > 0);
  const out = report.outcomes.find((o) => o.id === last)!;
  assert.equal(out.action, 'refused', JSON.stringify(out));
  assert.match(out.reasons.join('; '), new RegExp(`shm lpid changed 0 -> ${touchPid}`));
  assert.equal(report.removed, 299, `299 removed: ${report.refused} refused, ${report.failed} failed`);
  const left = (await source.snapshot()).shms.filter((m) => ids.includes(m.id));
  assert.deepEqual(left.map((m) => m.id), [last], 'only the segment in use is left');
  assert.equal(left[0]!.lpid, touchPid);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the driver's JSON line, read field by field below
function driver(mode: 'trusted' | 'cli'): Record<string, any> {
  const audit = path.join(tmp, `${mode}-audit.jsonl`);
  const r = spawnSync('unshare', ['--ipc', '--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', path.join(root, 'test', 'recycle', 'recheckDriver.ts'), mode, audit], {
    cwd: root,
    encoding: 'utf8',
    timeout: 90000,
  });
  assert.equal(r.status, 0, `recheckDriver ${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('blocked in msgrcv / msgsnd: the server and the full-queue sender keep their queues; one nobody waits on goes', { timeout: 120000 }, () => {
  assertPrivateIpcNamespace();
  const o = driver('trusted');
  const why = (id: number) => (o['stays'] as Array<{ id: number; why: string }>).find((s) => s.id === id)?.why ?? '';
  assert.match(why(o['q1']), new RegExp(`pid ${o['server']} \\(ipc_user\\) is blocked in msgrcv on it`));
  assert.match(why(o['q3']), new RegExp(`pid ${o['sender']} \\(ipc_user\\) is blocked in msgsnd on it`));
  assert.deepEqual([...o['planned']].sort(), [o['q2'], o['q4']].sort(), 'Q2 and Q4 were planned (nobody waited on them then)');
  const outcome = (id: number) => (o['report'].outcomes as Array<{ id: number; action: string; reasons: string[] }>).find((x) => x.id === id)!;
  assert.equal(outcome(o['q2']).action, 'removed');
  assert.equal(outcome(o['q4']).action, 'refused', 'the server that started waiting after planning keeps Q4');
  assert.match(outcome(o['q4']).reasons.join('; '), new RegExp(`pid ${o['late']} \\(ipc_user\\) is blocked in msgrcv on it`));
  assert.deepEqual([...o['left']].sort(), [o['q1'], o['q3'], o['q4']].sort());
  assert.deepEqual(o['serverLines'], [`pid ${o['server']}`], 'the server never got an error (no EIDRM, no EACCES)');
  assert.deepEqual(o['senderLines'], [`pid ${o['sender']}`, 'full 0']);
  assert.deepEqual(o['lateLines'], [`pid ${o['late']}`]);
  assert.deepEqual(o['blockedStill'], [String(process.arch === 'arm64' ? 188 : 70), String(process.arch === 'arm64' ? 189 : 69)], 'both still blocked');
});

test('the real CLI in a pid namespace that is not the initial one removes no queue (the proof is impossible)', { timeout: 120000 }, () => {
  assertPrivateIpcNamespace();
  ensureCliBuilt();
  const o = driver('cli');
  const plan = o['cli'].plan;
  assert.equal(plan.candidates.length, 0, JSON.stringify(plan.candidates.map((c: { ref: string }) => c.ref)));
  for (const q of ['q1', 'q2', 'q3', 'q4']) {
    const s = plan.stays.find((x: { id: number }) => x.id === o[q]);
    assert.match(s.why, /cannot prove that no process is blocked in msgrcv\/msgsnd on it: this process runs in pid namespace pid:\[\d+\], not the initial one/, `${q}: ${s.why}`);
  }
  assert.deepEqual([...o['left']].sort(), [o['q1'], o['q2'], o['q3'], o['q4']].sort());
});

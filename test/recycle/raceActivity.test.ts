/**
 * The activity race: while recycle plans and executes round after round, a non-root partner keeps making
 * orphans under a few keys and using some of them in ways that leave no lasting attachment: shm attach +
 * detach (only lpid/atime/dtime show it), msg send + receive (qnum/cbytes as before; lspid/lrpid/stime/rtime
 * move), and a receiver blocked in msgrcv on a type nobody sends (no trace in the header at all). At least
 * 1,000 rounds per kind; the number of objects in use that were removed must be 0, strictly. That includes
 * a queue whose receiver started waiting between the recycler's last scan of /proc/PID/task/TID/syscall and
 * its lock: the lock wakes it (EACCES, counted as "woken by a lock": the kernel's IPC_SET wakes every waiter)
 * but the queue must stay (the msgrcv/msgsnd call counter refuses the removal). Each wrong removal would be
 * classified with CLOCK_MONOTONIC times (in use before the guarded primitive began, or while it ran). The
 * recycler runs as pid 1 of its own pid + IPC namespace (raceActivityDriver), the only setting on this
 * machine where the blocked-process scan can prove anything (docs/recycle.md).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { root } from './nsHarness';

const ROUNDS = Number(process.env['IPCX_RACE_ROUNDS'] ?? 1000);
let tmp = '';

before(() => {
  assertPrivateIpcNamespace();
  buildC('race_activity');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-race-activity-'));
  fs.chmodSync(tmp, 0o755);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function counts(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

for (const kind of ['shm', 'msg'] as const) {
  test(`race (${kind} activity, ${ROUNDS} rounds): no ${kind === 'shm' ? 'segment attached and detached' : 'queue sent to, received from or waited on'} by a live process is removed`, { timeout: 600000 }, () => {
    assertPrivateIpcNamespace();
    assert.ok(ROUNDS >= 1000 || process.env['IPCX_RACE_ROUNDS'], 'at least 1,000 rounds');
    const audit = path.join(tmp, `${kind}-audit.jsonl`);
    const r = spawnSync('unshare', ['--ipc', '--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', path.join(root, 'test', 'recycle', 'raceActivityDriver.ts'), kind, String(ROUNDS), audit], {
      cwd: root, encoding: 'utf8', timeout: 580000, maxBuffer: 256 << 20,
    });
    assert.equal(r.status, 0, `raceActivityDriver ${kind}: ${r.stderr}`);
    const { totals, partner } = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const c = counts(partner);
    const removals = new Map<string, Array<{ t0: bigint; t1: bigint }>>();
    for (const x of totals.removals as Array<{ ref: string; t0: string; t1: string }>) {
      const list = removals.get(x.ref) ?? [];
      list.push({ t0: BigInt(x.t0), t1: BigInt(x.t1) });
      removals.set(x.ref, list);
    }
    let before = 0;
    let during = 0;
    const inWindow = (kind: string, id: string, at: bigint) => (removals.get(`${kind}:${id}`) ?? []).some((x) => at >= x.t0 && at <= x.t1);
    for (const l of partner as string[]) {
      const m = /^wrong(shm|msg) (\d+) (\d+)$/.exec(l.trim());
      if (!m) continue;
      if (inWindow(m[1]!, m[2]!, BigInt(m[3]!))) during++;
      else before++;
    }
    console.log(
      `race ${kind}: ${ROUNDS} rounds; partner (nobody): ${c['orphans']} orphans made, ${c['adopted']} used while live` +
        `${kind === 'msg' ? ` (${c['blockedWaits']} by a receiver blocked in msgrcv)` : ''}, ${c['lost']} uses lost to a removal (fine), ` +
        `${c['blocked']} uses blocked by the lock (EACCES, fine), ${c['lockWoken'] ?? 0} blocked receivers woken by a lock (${c['lockWokenRemoved'] ?? 0} of their queues then removed), ${c['waitedLock']} checks waited out a lock, ` +
        `${c['stuck']} locks never released, ${c['wrong']} objects in use removed (${before} in use before the guarded primitive began, ${during} while it ran); ` +
        `recycler: ${totals.rounds} plans, ${totals.planned} candidates, ${totals.removed} removed, ${totals.refused} refused ${JSON.stringify(totals.refusedWhy)} ` +
        `(${totals.refusedAfterLock} after the lock, mode restored), ${totals.failed} failed`,
    );
    assert.equal(c['wrong'], before + during, 'every wrong removal is classified');
    assert.equal(c['wrong'], 0, 'no object in use was removed');
    // a receiver that starts waiting between the recycler's last scan and its IPC_SET is woken by the lock with
    // EACCES (ipc/msg.c wakes every waiter on IPC_SET): its queue must stay (the call counter saw its msgrcv)
    assert.equal(c['lockWokenRemoved'] ?? 0, 0, 'no queue whose receiver the lock woke was removed');
    assert.equal(c['stuck'], 0, 'every lock was released or ended by the removal');
    assert.equal(totals.failed, 0, `no removal failed: ${totals.failures.join(' | ')}`);
    assert.ok(totals.removed > 0, 'orphans were removed (the test exercised removal)');
    assert.ok(c['adopted']! > 0, 'the partner did use objects');
    if (kind === 'msg') assert.ok(c['blockedWaits']! > 0, 'receivers were blocked in msgrcv while the recycler worked');
    const journal = fs.readFileSync(audit, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const outcomes = journal.filter((a) => a.action !== 'intent');
    assert.equal(outcomes.length, totals.removed + totals.refused + totals.failed, 'every decision is in the audit log');
  });
}

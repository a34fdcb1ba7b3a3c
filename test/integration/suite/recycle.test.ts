/**
 * The field story in the real VS Code: leftovers of a crashed PostgreSQL (17-semaphore sets with
 * the 537 marker, their sempid a dead process) plus live objects (a set with a waiter blocked in semop, a shm
 * segment attached by a live process, a live PostgreSQL-like set) in the VS Code server's private IPC
 * namespace with SEMMNI lowered so that semget(17) fails with ENOSPC. "Recycle orphans" (the modal answered
 * through the test API's stand-in) removes exactly the dead PostgreSQL sets, semget then succeeds, the live objects are
 * intact, the audit log in globalStorage holds every decision; "Recycle..." on a live object removes nothing;
 * with ipcExplorer.recycle.enabled off nothing can be removed. No argument skips the modal, and workspace
 * settings cannot switch recycling on or loosen its gates (the settings are machine-scoped).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AuditRecord, Diagnosis, RecycleResult } from '../../../extension/testApi';
import * as h from '../helpers';
import { vscode } from '../helpers';

const root = path.resolve(__dirname, '..', '..', '..');
const workspaceSettingsDir = path.join(root, 'test', 'integration', 'workspace', '.vscode');
let pgSema: string | undefined;
function pgSemaBinary(): string {
  if (pgSema) return pgSema;
  pgSema = h.compileC(path.join(root, 'test', 'helpers', 'c', 'pg_sema.c'), 'pg_sema', ['-O1', '-Wall', '-D_GNU_SOURCE']);
  return pgSema;
}

function trySemget(nsems: number): string {
  return spawnSync(pgSemaBinary(), ['try', String(nsems)], { encoding: 'utf8' }).stdout.trim();
}

describe('recycle: the field story in VS Code', function () {
  this.timeout(120000);
  let api: h.IpcExplorerTestApi;
  let savedSem: string;
  /** every modal the stand-in answered, and its answer */
  const asked: h.RecycleConfirmation[] = [];
  let answer = true;
  const live: ChildProcess[] = [];
  const cfg = () => vscode.workspace.getConfiguration('ipcExplorer.recycle');

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    api = await h.activateExtension();
    h.testHooks(api).setRecycleConfirm((c) => {
      asked.push(c);
      return answer;
    });
    savedSem = fs.readFileSync('/proc/sys/kernel/sem', 'utf8').trim();
    await cfg().update('minOrphanAgeSeconds', 0, vscode.ConfigurationTarget.Global);
    await cfg().update('recentActivitySeconds', 0, vscode.ConfigurationTarget.Global);
  });

  after(async function () {
    h.stopHolders();
    for (const c of live) if (c.exitCode === null) c.kill('SIGKILL');
    fs.writeFileSync('/proc/sys/kernel/sem', savedSem + '\n');
    h.removeAllObjects();
    await cfg().update('minOrphanAgeSeconds', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('recentActivitySeconds', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('enabled', undefined, vscode.ConfigurationTarget.Global);
    if (api && api.testHooks) h.testHooks(api).setRecycleConfirm(undefined);
    fs.rmSync(workspaceSettingsDir, { recursive: true, force: true });
  });

  it('ENOSPC from dead PostgreSQL sets; Recycle Orphans removes exactly those; live objects intact; audit log', async function () {
    h.assertPrivateIpcNamespace();
    const marker = [...Array(16).fill(0), 537];
    const dead = [1, 2, 3].map((i) => h.make.semSet({ key: 5432000 + i, nsems: 17, values: marker }));
    const waited = h.make.semSet({ key: 0x7000001, nsems: 2, values: [0, 1] });
    await h.startHolder('wait-sem', waited, 0);
    const seg = h.make.shm({ key: 0x7000002, size: 4096 });
    await h.startHolder('attach-shm', seg);
    const pgLive = spawn(pgSemaBinary(), ['pg', '6000000', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    live.push(pgLive);
    const pgLiveId = await new Promise<number>((resolve, reject) => {
      let out = '';
      pgLive.stdout.on('data', (d: Buffer) => {
        out += d;
        const sem = /^sem (\d+)/m.exec(out);
        if (out.includes('READY')) {
          if (sem) resolve(Number(sem[1]));
          else reject(new Error(`pg_sema said READY without its set: ${out}`));
        }
      });
      pgLive.once('exit', (c) => reject(new Error(`pg_sema exited ${c}`)));
    });
    const [msl, mns, opm] = savedSem.split(/\s+/) as [string, string, string];
    fs.writeFileSync('/proc/sys/kernel/sem', `${msl} ${mns} ${opm} 5\n`); // 5 sets exist: none free
    assert.equal(trySemget(17), 'err ENOSPC');
    const before = new Map(h.procRows('sem').map((r) => [r.semid, r]));
    const shmBefore = h.procRows('shm').find((r) => r.shmid === seg);

    // the tree's verdicts: PostgreSQL-looking sets get their detail in the background -> orphan, with the owner
    await api.refresh('local');
    await h.waitFor(() => {
      const v = api.verdict('local', `sem:${dead[0]}`);
      return v && v.state === 'orphan' && v.recyclable;
    }, 'dead PostgreSQL set shown as a recyclable orphan in the tree');
    assert.match(h.verdictOf(api, 'local', `sem:${dead[0]}`).owner?.label ?? '', /^PostgreSQL, semaphore set, postmaster PID \d+ \(dead\)$/);
    assert.equal(h.verdictOf(api, 'local', `sem:${pgLiveId}`).state, 'live', 'a live postmaster\'s set: live');

    // the doctor (the Diagnose ENOSPC command, domain/doctor.ts) agrees semget is blocked by SEMMNI
    const d = await vscode.commands.executeCommand<Diagnosis>('ipcExplorer.diagnoseEnospc', { host: 'local', nsems: 17, open: false });
    assert.equal(d.wouldSucceed, false);
    assert.deepEqual(d.blockedBy, ['SEMMNI']);
    // ... and, with recycle's complete verdicts (not the store's detail-less ones), what recycling would free
    assert.deepEqual([...d.recycle.refs].sort(), dead.map((id) => `sem:${id}`).sort(), 'recycling would free exactly the dead PostgreSQL sets');
    assert.equal(d.recyclingIsEnough, true);

    const res = await vscode.commands.executeCommand<RecycleResult | undefined>('ipcExplorer.recycleOrphans', { host: 'local', open: false });
    assert.equal(asked.length, 1, 'the removal was confirmed at the modal');
    assert.deepEqual([...(asked[0]?.refs ?? [])].sort(), dead.map((id) => `sem:${id}`).sort(), 'the modal named exactly the candidates');
    assert.ok(res && res.report, `recycle ran: ${JSON.stringify(res && res.plan && res.plan.stays.map((x) => [x.ref, x.why]))} ${JSON.stringify(api.notifications().slice(-3))}`);
    const removed = res.report.outcomes.filter((o) => o.action === 'removed').map((o) => o.id).sort((a, b) => a - b);
    assert.deepEqual(removed, [...dead].sort((a, b) => a - b), 'exactly the dead PostgreSQL sets');
    assert.equal(res.report.failed, 0);
    assert.equal(res.report.refused, 0);
    for (const c of res.plan.candidates) assert.match(c.verdict.owner?.label ?? '', /^PostgreSQL, semaphore set, postmaster PID \d+ \(dead\)$/);
    assert.match(trySemget(17), /^ok \d+$/, 'semget succeeds after recycling');

    const after = new Map(h.procRows('sem').map((r) => [r.semid, r]));
    for (const id of [waited, pgLiveId]) assert.deepEqual(after.get(id), before.get(id), `set ${id} intact`);
    assert.deepEqual(h.procRows('shm').find((r) => r.shmid === seg), shmBefore, 'attached segment intact');

    // the store (tree, dashboard) sees the same verdicts: waiters and a live postmaster make sets live
    await api.semDetail('local', waited);
    await api.semDetail('local', pgLiveId);
    assert.equal(h.verdictOf(api, 'local', `sem:${waited}`).state, 'live');
    assert.equal(h.verdictOf(api, 'local', `sem:${pgLiveId}`).state, 'live');
    assert.equal(h.verdictOf(api, 'local', `shm:${seg}`).state, 'live');

    const auditFile = api.auditLogPath;
    const audit = fs.readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    const mine = audit.filter((a) => a.action !== 'intent' && a.object.kind === 'sem' && dead.includes(a.object.id));
    assert.equal(mine.length, 3);
    // each lock was journaled first: an intent (original mode) with the outcome's txn
    const intents = audit.filter((a) => a.action === 'intent' && a.lock !== undefined && dead.includes(a.lock.id) && a.lock.kind === 'sem');
    assert.deepEqual(intents.map((a) => a.txn).sort(), mine.map((a) => a.txn).sort());
    for (const a of mine) {
      assert.equal(a.action, 'removed');
      assert.equal(a.object.kind === 'sem' ? a.object.elems?.[16]?.semval : undefined, 537);
    }
    assert.ok(api.notifications().some((n) => /3 removed, 0 refused, 0 failed/.test(n.text)));
  });

  it('Recycle... on a live object removes nothing and says why', async function () {
    h.assertPrivateIpcNamespace();
    fs.writeFileSync('/proc/sys/kernel/sem', savedSem + '\n');
    const seg = h.procRows('shm')[0]?.shmid;
    const res = await vscode.commands.executeCommand<RecycleResult>('ipcExplorer.recycleObject', { host: 'local', refs: [`shm:${seg}`], open: false });
    assert.equal(res.plan.candidates.length, 0);
    assert.equal(res.plan.stays.length, 1);
    assert.match(res.plan.stays[0]?.why ?? '', /^live: attached/);
    assert.ok(h.procRows('shm').some((r) => r.shmid === seg));
  });

  it('with ipcExplorer.recycle.enabled off, nothing can be removed', async function () {
    h.assertPrivateIpcNamespace();
    const orphan = h.make.semSet({ key: 5432009, nsems: 17, values: [...Array(16).fill(0), 537] });
    await cfg().update('enabled', false, vscode.ConfigurationTarget.Global);
    const res = await vscode.commands.executeCommand('ipcExplorer.recycleOrphans', { host: 'local', open: false });
    assert.equal(res, undefined);
    assert.ok(h.procRows('sem').some((r) => r.semid === orphan), 'still there');
    await cfg().update('enabled', undefined, vscode.ConfigurationTarget.Global);
  });

  it('no argument skips the confirmation: { confirm: true } still asks, and a "no" removes nothing', async function () {
    h.assertPrivateIpcNamespace();
    const orphan = h.make.shm({ key: 0x7000010, size: 4096 }); // its creator (ipcobj) exited: an orphan
    const n = asked.length;
    answer = false;
    try {
      for (const cmd of ['ipcExplorer.recycleOrphans', 'ipcExplorer.recycleObject']) {
        const args = { host: 'local', confirm: true, yes: true, force: true, open: false, ...(cmd === 'ipcExplorer.recycleObject' ? { refs: [`shm:${orphan}`] } : {}) };
        const res = await vscode.commands.executeCommand<RecycleResult | undefined>(cmd, args);
        assert.ok(res && res.plan.candidates.some((c) => c.id === orphan), `${cmd}: the orphan was planned (${JSON.stringify(res && res.plan.stays)})`);
        assert.ok(res);
        assert.equal(res.cancelled, true, `${cmd}: cancelled at the modal`);
        assert.equal(res.report, undefined, `${cmd}: nothing executed`);
      }
      assert.equal(asked.length, n + 2, 'the modal was shown for each call despite { confirm: true }');
      assert.ok(h.procRows('shm').some((r) => r.shmid === orphan), 'the orphan is still there');
    } finally {
      answer = true;
      if (h.procRows('shm').some((r) => r.shmid === orphan)) h.removeSysv('shm', orphan);
    }
  });

  it('workspace settings cannot switch recycling on or loosen its gates (machine-scoped settings)', async function () {
    h.assertPrivateIpcNamespace();
    const orphan = h.make.shm({ key: 0x7000011, size: 4096 });
    await cfg().update('enabled', false, vscode.ConfigurationTarget.Global);
    fs.mkdirSync(workspaceSettingsDir, { recursive: true });
    // a cloned repository's .vscode/settings.json; the window-scoped tree setting proves VS Code read the file
    fs.writeFileSync(path.join(workspaceSettingsDir, 'settings.json'), JSON.stringify({
      'ipcExplorer.recycle.enabled': true,
      'ipcExplorer.recycle.minOrphanAgeSeconds': 0,
      'ipcExplorer.recycle.recycleUnrecognized': true,
      'ipcExplorer.tree.highlightNew': false,
    }));
    try {
      await h.waitFor(() => vscode.workspace.getConfiguration('ipcExplorer.tree').get('highlightNew') === false, 'the workspace settings file is read');
      const n = asked.length;
      const res = await vscode.commands.executeCommand('ipcExplorer.recycleOrphans', { host: 'local', open: false });
      assert.equal(res, undefined, 'recycling stays off: the workspace cannot switch it on');
      assert.equal(asked.length, n);
      assert.ok(h.procRows('shm').some((r) => r.shmid === orphan), 'still there');
      await cfg().update('enabled', undefined, vscode.ConfigurationTarget.Global);
      await cfg().update('minOrphanAgeSeconds', undefined, vscode.ConfigurationTarget.Global);
      const plan = await vscode.commands.executeCommand<RecycleResult>('ipcExplorer.recycleObject', { host: 'local', refs: [`shm:${orphan}`], open: false });
      assert.equal(asked.length, n, 'nothing to confirm');
      assert.equal(plan.plan.candidates.length, 0, 'the workspace\'s minOrphanAgeSeconds 0 is not used: the default 60 s gate holds');
      assert.match(plan.plan.stays[0]?.why ?? '', /minOrphanAgeSeconds = 60 s/, plan.plan.stays[0]?.why);
    } finally {
      fs.rmSync(workspaceSettingsDir, { recursive: true, force: true });
      await cfg().update('enabled', undefined, vscode.ConfigurationTarget.Global);
      await cfg().update('minOrphanAgeSeconds', 0, vscode.ConfigurationTarget.Global);
      if (h.procRows('shm').some((r) => r.shmid === orphan)) h.removeSysv('shm', orphan);
    }
  });
});

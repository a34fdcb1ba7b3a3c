// A recycle killed right after its lock leaves a segment at mode 0 and an intent without an outcome in the
// extension's audit log (its lock journal). When the extension then starts, it reports the object with a
// Restore action, and the action puts back the original mode and owner (and journals it).
// Runs in its own VS Code session (runTest.js) because the lock must exist before the extension activates:
// the real `ipcx recycle --yes`, with --audit naming the extension's own audit log, is killed by strace at the
// membarrier(2) that follows its IPC_SET mode 0 (as test/recycle/journal.test.ts), then the view is opened.
// In test mode the start-up check hands its notification to the test (h.testHooks(api).startupRestoreOffer)
// instead of showing it; the answer runs exactly what a click runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { AuditRecord } from '../../../extension/testApi';
import * as h from '../helpers';
import { vscode } from '../helpers';

function shmRow(id: number): { mode: number; uid: number; gid: number } | undefined {
  // /proc/sysvipc/shm: key shmid perms size cpid lpid nattch uid gid cuid cgid ...
  const rows = fs.readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  const r = rows.find((c) => Number(c[1]) === id);
  return r && { mode: parseInt(r[2] ?? '', 8) & 0o777, uid: Number(r[7]), gid: Number(r[8]) };
}

describe('restore at start-up: a lock left by a crashed recycle', function () {
  this.timeout(120000);
  let id: number;
  let audit: string;

  before(function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
  });
  after(() => h.removeAllObjects());

  it('a recycle killed right after its lock leaves the segment at mode 0 and an intent alone in the extension\'s audit log', function () {
    const ext = h.extension();
    assert.equal(ext.isActive, false, 'the extension has not started yet');
    id = h.make.shm({ key: 0x4a0e0002, size: 4096, mode: 0o640 });
    // the extension's global storage in this server (runner layout: <tmp>/bridge and <tmp>/user-data)
    const bridgeDir = process.env['IPCX_TEST_BRIDGE_DIR'];
    assert.ok(bridgeDir, 'run by tools/vscode-server/run-ext-tests.js (IPCX_TEST_BRIDGE_DIR)');
    const storage = path.join(path.dirname(bridgeDir), 'user-data', 'User', 'globalStorage', h.EXTENSION_ID.toLowerCase());
    fs.mkdirSync(storage, { recursive: true });
    audit = path.join(storage, 'recycle-audit.jsonl');
    const ipcx = path.join(h.root, 'dist', 'ipcx.js');
    const killed = spawnSync('strace', ['-qq', '-f', '-o', '/dev/null', '--inject=membarrier:signal=KILL',
      process.execPath, ipcx, 'recycle', '--yes', '--min-age', '0', '--recent', '0', '--kind', 'shm', '--audit', audit], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    assert.notEqual(killed.status, 0, `the recycler was killed: ${killed.stdout}${killed.stderr}`);
    assert.deepEqual(shmRow(id), { mode: 0, uid: 0, gid: 0 }, 'left locked (mode 0)');
    const records = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    assert.deepEqual(records.map((r) => r.action), ['intent']);
    assert.equal(records[0]?.lock?.mode, 0o640);
  });

  it('on start the extension reports it with a Restore action; Restore puts back mode 0640 and the owner, and journals it', async function () {
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    const api = await h.activateExtension();
    assert.equal(api.auditLogPath, audit, 'the log the test wrote is the extension\'s');
    const offer = await h.testHooks(api).startupRestoreOffer();
    assert.ok(offer, 'the start-up check found the lock');
    assert.match(offer.text, new RegExp(`^1 object\\(s\\) were left locked \\(mode 0\\) by an interrupted recycle: shm id ${id}\\.`));
    assert.deepEqual(offer.actions, ['Restore', 'Show Log']);
    assert.equal(shmRow(id)?.mode, 0, 'nothing restored before the answer');
    await offer.answer('Restore');
    assert.deepEqual(shmRow(id), { mode: 0o640, uid: 0, gid: 0 }, 'mode and owner as before the lock');
    const records = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    const last = records[records.length - 1];
    assert.equal(last?.action, 'restored');
    assert.equal(last?.txn, records[0]?.txn);
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    const v = api.verdict('local', `shm:${id}`);
    assert.ok(v, 'the segment is in the view again, readable');
  });
});

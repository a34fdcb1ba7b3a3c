// IPC Explorer's commands in the real VS Code, on real objects in the VS Code server's private IPC
// namespace: inspect, copy key / id / ipcrm command, export (valid JSON that matches the kernel), show limits,
// diagnose semget ENOSPC against a tiny SEMMNI, and errors surfacing as notifications with errno + hint.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Diagnosis } from '../../../extension/testApi';
import type { IpcSnapshot } from '../../../extension/shared/model';
import * as h from '../helpers';
import { vscode } from '../helpers';

describe('commands: palette and context-menu commands', function () {
  this.timeout(60000);
  let api: h.IpcExplorerTestApi;
  let savedSem: string;
  const ids: Record<string, number> = {};
  const run = <T = unknown>(cmd: string, ...args: unknown[]): Thenable<T> => vscode.commands.executeCommand<T>(`ipcExplorer.${cmd}`, ...args);
  const lastShown = (): h.Shown => {
    const all = api.notifications();
    assert.ok(all.length, 'a notification was shown');
    return all[all.length - 1];
  };

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    savedSem = fs.readFileSync('/proc/sys/kernel/sem', 'utf8');
    api = await h.activateExtension();
    ids.sem = h.make.semSet({ key: 0x00c0ffee, nsems: 4, values: [5, 6, 7, 8] });
    ids.shm = h.make.shm({ key: 0x0abc, size: 12345 });
    ids.msg = h.make.msgQueue({ key: 0 });
    h.make.posixSem({ name: '/cmdsem', value: 3 });
    await run('refresh');
  });

  after(async function () {
    fs.writeFileSync('/proc/sys/kernel/sem', savedSem);
    h.removeAllObjects();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('every contributed command is registered', async function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(h.root, 'package.json'), 'utf8')) as h.Manifest;
    const all = new Set(await vscode.commands.getCommands(true));
    const missing = pkg.contributes.commands.map((c) => c.command).filter((c) => !all.has(c));
    assert.deepEqual(missing, []);
  });

  it('inspect opens a readable document with every field, the verdict, the semaphores and the raw record', async function () {
    const doc = await run<vscode.TextDocument>('inspectObject', { host: 'local', ref: `sem:${ids.sem}` });
    assert.equal(doc.uri.scheme, 'ipcx');
    const text = doc.getText();
    assert.match(text, new RegExp(`^semaphore set 0x00c0ffee · id ${ids.sem} on the local machine`));
    for (const field of ['key', 'owner', 'creator', 'mode', 'semaphores \\(nsems\\)', 'last semop \\(otime\\)', 'changed \\(ctime\\)', 'values \\(GETALL\\)', 'state']) {
      assert.match(text, new RegExp(`^  ${field} `, 'm'), field);
    }
    assert.match(text, /values \(GETALL\)\s+5 6 7 8/);
    assert.match(text, /^ {7}3 {7}8 {7}0 {7}0  pid \d+ \(dead\)$/m, 'per-semaphore table (semnum semval ncount zcount pid)');
    const raw = JSON.parse(text.slice(text.indexOf('Raw record (JSON)') + 'Raw record (JSON)'.length));
    assert.equal(raw.id, ids.sem);
    assert.equal(raw.key, 0x00c0ffee);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), doc.uri.toString());
  });

  it('copies the key, the id and the ipcrm command (clipboard)', async function () {
    const target = { host: 'local', ref: `shm:${ids.shm}` };
    assert.equal(await run('copyKey', target), '0x00000abc');
    assert.equal(await vscode.env.clipboard.readText(), '0x00000abc');
    assert.equal(await run('copyId', target), String(ids.shm));
    assert.equal(await run<string>('copyIpcrmCommand', target), `ipcrm -m ${ids.shm}`);
    assert.equal(await vscode.env.clipboard.readText(), `ipcrm -m ${ids.shm}`);
    assert.equal(await run<string>('copyIpcrmCommand', { host: 'local', ref: `msg:${ids.msg}` }), `ipcrm -q ${ids.msg}`);
    assert.equal(await run<string>('copyIpcrmCommand', { host: 'local', ref: `sem:${ids.sem}` }), `ipcrm -s ${ids.sem}`);
    // a POSIX object has no key: the command says so instead of copying something wrong
    assert.equal(await run('copyKey', { host: 'local', ref: 'posixSem:/cmdsem' }), undefined);
    assert.match(lastShown().text, /has no key; it is the file \/dev\/shm\/sem\.cmdsem/);
  });

  it('the copied ipcrm command really removes the object', async function () {
    const id = h.make.semSet({ key: 0x0dead, nsems: 1 });
    await run('refresh');
    const cmd = await run<string>('copyIpcrmCommand', { host: 'local', ref: `sem:${id}` });
    const [bin, ...args] = cmd.split(' ');
    assert.ok(bin, cmd);
    assert.equal(spawnSync(bin, args).status, 0);
    assert.equal(h.procRows('sem').some((r) => r.semid === id), false);
    await run('refresh');
  });

  it('exports the snapshot as valid JSON that matches the kernel', async function () {
    const target = vscode.Uri.file(path.join(os.tmpdir(), `ipcx-export-${process.pid}.json`));
    const out = await run<vscode.Uri | undefined>('exportSnapshot', { host: 'local', target });
    assert.ok(out, 'exported');
    assert.equal(out.fsPath, target.fsPath);
    const snap = JSON.parse(fs.readFileSync(target.fsPath, 'utf8')) as IpcSnapshot & { version: number };
    assert.equal(snap.version, 1);
    assert.equal(snap.host, 'local');
    assert.deepEqual(snap.sems.map((s) => s.id).sort(), h.procRows('sem').map((r) => r.semid).sort());
    assert.deepEqual(snap.shms.map((s) => [s.id, s.segsz]), h.procRows('shm').map((r) => [r.shmid, r.size]));
    assert.deepEqual(snap.posixSems.map((p) => p.name), ['/cmdsem']);
    assert.equal(snap.limits.semmni, Number(savedSem.trim().split(/\s+/)[3]));
    fs.unlinkSync(target.fsPath);
  });

  it('an export that cannot be written is a notification with the errno name and a hint, not a crash', async function () {
    const target = vscode.Uri.file('/nonexistent-dir/x/snapshot.json');
    assert.equal(await run('exportSnapshot', { host: 'local', target }), undefined);
    const n = lastShown();
    assert.equal(n.severity, 'error');
    assert.match(n.text, /^Export snapshot: ENOENT: no such file or directory, open '\/nonexistent-dir\/x\/snapshot\.json'.* choose a folder that exists/);
    // it really is on screen
    const toast = await h.waitFor(async () => {
      const r = await h.bridge('query', { selector: '.notifications-toasts .notification-list-item-message', frame: 'workbench' });
      return r.items.find((i) => i.text.includes('ENOENT')) ;
    }, 'the error toast');
    assert.match(toast.text, /Export snapshot: ENOENT/);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('show limits lists every limit with used/limit/%', async function () {
    const doc = await run<vscode.TextDocument>('showLimits', 'local');
    const text = doc.getText();
    for (const name of ['SEMMNI', 'SEMMNS', 'SEMMSL', 'SHMMNI', 'SHMALL', 'MSGMNI']) assert.match(text, new RegExp(`^  ${name} `, 'm'));
    assert.match(text, /^  SEMMNI +1\/32,000 +<0\.1%/m);
  });

  it('diagnose ENOSPC: semget(IPC_PRIVATE, 17) fits now', async function () {
    const d = await run<Diagnosis>('diagnoseEnospc', { host: 'local', nsems: 17, open: false });
    assert.equal(d.wouldSucceed, true);
    assert.match(lastShown().text, /^semget\(IPC_PRIVATE, 17\) would succeed on local now/);
  });

  it('diagnose ENOSPC from the palette asks for nsems, 17 by default', async function () {
    const pending = run<Diagnosis>('diagnoseEnospc');
    // the input box shows "17"; the person just presses Enter
    const box = await h.waitFor(async () => {
      const r = await h.bridge('query', { selector: '.quick-input-widget input', frame: 'workbench' });
      return r.found && r.items[0];
    }, 'the nsems input box');
    assert.equal(box.value, '17');
    await h.bridge('keys', { keys: ['Enter'] });
    const d = await pending;
    assert.equal(d.request.nsems, 17);
    assert.equal(d.request.sets, 1);
  });

  it('diagnose ENOSPC: says which limit blocks, and the kernel agrees', async function () {
    // SEMMNI = the sets in use: one more set cannot be made
    const sets = h.procRows('sem').length;
    fs.writeFileSync('/proc/sys/kernel/sem', `250 32000 32 ${sets}`);
    try {
      const d = await run<Diagnosis>('diagnoseEnospc', { host: 'local', nsems: 17 });
      assert.equal(d.wouldSucceed, false);
      assert.deepEqual(d.blockedBy, ['SEMMNI']);
      assert.equal(lastShown().severity, 'warning');
      assert.match(lastShown().text, /would fail on local now with ENOSPC: blocked by SEMMNI/);
      assert.match(h.activeDocument().getText(), /NO - blocked by SEMMNI/);
      // the real thing: semget fails exactly so
      assert.throws(() => h.make.semSet({ key: 0, nsems: 17 }), /semget: ENOSPC/);
      // SEMMNS too small instead
      fs.writeFileSync('/proc/sys/kernel/sem', `250 ${4 + 10} 32 32000`);
      const d2 = await run<Diagnosis>('diagnoseEnospc', { host: 'local', nsems: 17, open: false });
      assert.deepEqual(d2.blockedBy, ['SEMMNS']);
      assert.throws(() => h.make.semSet({ key: 0, nsems: 17 }), /semget: ENOSPC/);
    } finally {
      fs.writeFileSync('/proc/sys/kernel/sem', savedSem);
    }
  });

  it('inspect of an object removed since the last refresh says so', async function () {
    h.removeSysv('shm', ids.shm);
    await run('inspectObject', { host: 'local', ref: 'shm:999999' });
    assert.match(lastShown().text, /shm:999999 on local is not in the latest snapshot/);
  });
});

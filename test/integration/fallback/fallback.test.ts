// IPC Explorer without its native binary (really absent: this copy of the extension has no native/ folder,
// as after a failed node-gyp build): it falls back to /proc/sysvipc, says so once as a warning with the
// errno-style code and a hint, shows the warning in the tree, and still lists the namespace's objects.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from '../helpers';
import { vscode } from '../helpers';

describe('fallback: no native binding', function () {
  this.timeout(60000);
  let api: h.IpcExplorerTestApi;
  let id: number;

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    id = h.make.semSet({ key: 0x0fa11, nsems: 3, values: [1, 2, 3] });
  });
  after(() => h.removeAllObjects());

  it('runs from a copy without native/ and uses the /proc fallback', async function () {
    const ext = h.extension();
    assert.equal(fs.existsSync(path.join(ext.extensionPath, 'native')), false);
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    api = await h.activateExtension();
    assert.equal(api.localMode, 'proc');
    assert.equal(api.nativeError?.code, 'ENATIVE');
    assert.ok(!fs.readFileSync('/proc/self/maps', 'utf8').includes('ipc_native.node'), 'no binding mapped');
  });

  it('says so once, as a warning notification with the code and a hint', async function () {
    await h.waitFor(() => api.host('local')?.snapshot, 'the first snapshot');
    const shown = await h.waitFor(() => api.notifications().find((n) => n.severity === 'warning' && /native binding/.test(n.text)), 'the warning');
    assert.match(shown.text, /^IPC Explorer: native binding not loaded \(ENATIVE\): reading \/proc\/sysvipc instead .*npm rebuild/);
    const toast = await h.waitFor(async () => {
      const r = await h.bridge('query', { selector: '.notifications-toasts .notification-list-item-message', frame: 'workbench' });
      return r.items.find((i) => /native binding/.test(i.text));
    }, 'the toast in the workbench');
    assert.ok(toast);
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    assert.equal(api.notifications().filter((n) => /native binding/.test(n.text)).length, 1, 'only once');
  });

  it('still lists the objects (headers from /proc) and shows the fallback in the tree', async function () {
    const provider = api.tree;
    const row = (n: h.TestTreeNode | undefined): h.Row => {
      assert.ok(n, 'the row is in the tree');
      return h.row(api, n);
    };
    const [local] = await provider.children();
    assert.match(row(local).description, /\/proc fallback/);
    const rows = await provider.children(local);
    const warning = rows.find((n) => row(n).contextValue === 'message.warning' && /native/i.test(row(n).label));
    assert.ok(warning, 'a warning row about the binding');
    const node = await provider.findObjectNode('local', `sem:${id}`);
    assert.equal(row(node).label, `0x0000fa11 · id ${id}`);
    assert.equal(h.snapshotOf(api, 'local').source, 'proc');
    await h.screenshot('fallback-no-native');
  });
});

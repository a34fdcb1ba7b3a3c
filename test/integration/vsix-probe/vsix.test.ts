// The packaged extension, installed from its VSIX (not the development folder), activates in the real
// VS Code server, loads the native binary it carries, and lists objects of the private IPC namespace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as h from '../helpers';
import { vscode } from '../helpers';

describe('VSIX: the installed package', function () {
  this.timeout(60000);
  let ext: vscode.Extension<h.IpcExplorerTestApi>;

  before(function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
  });
  after(() => h.removeAllObjects());

  it('is installed from the VSIX into the extensions dir, not run from the repository', function () {
    const found = vscode.extensions.getExtension<h.IpcExplorerTestApi>(h.EXTENSION_ID);
    assert.ok(found, 'installed');
    ext = found;
    assert.ok(!ext.extensionPath.startsWith(h.root + path.sep), `${ext.extensionPath} is outside ${h.root}`);
    assert.match(path.basename(ext.extensionPath), /^ipc-explorer\.ipc-explorer-\d+\.\d+\.\d+(-linux-x64)?$/);
    const files = fs.readdirSync(ext.extensionPath).sort();
    assert.deepEqual(files.filter((f) => ['src', 'extension', 'test', 'node_modules', 'tsconfig.json'].includes(f)), [], 'no sources, tests or node_modules');
    assert.ok(fs.existsSync(path.join(ext.extensionPath, 'native', 'build', 'Release', 'ipc_native.node')), 'carries the linux-x64 binary');
    assert.equal(fs.readdirSync(path.join(ext.extensionPath, 'dist')).filter((f) => f.endsWith('.map')).length, 0, 'no source maps');
    // the production build's V8 code cache of the ipcx bundle is in the package and the installed launcher
    // trusts it (an installed copy has another inode: recognised by its hash)
    const node = process.env['IPCX_PACKAGING_NODE'];
    assert.ok(node, 'runTest.js names the Node that packaged the VSIX');
    const r = spawnSync(node, [path.join(ext.extensionPath, 'dist', 'ipcx.js'), '--version'], {
      encoding: 'utf8', env: { ...process.env, IPCX_CODE_CACHE_DEBUG: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), 'ipcx: code cache used (bundle hash matches)');
  });

  it('activates on its view and loads the native binary from the installed package', async function () {
    assert.equal(ext.isActive, false);
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    await h.waitFor(() => ext.isActive, 'activation', 20000);
    const api = ext.exports;
    assert.equal(api.localMode, 'native');
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    const mapped = maps.split('\n').find((l) => l.endsWith('/ipc_native.node'));
    assert.ok(mapped, 'ipc_native.node is mapped into the extension host');
    assert.ok(mapped.includes(ext.extensionPath + '/native/build/Release/ipc_native.node'), mapped);
    console.log(`    activated in ${api.activationMs.toFixed(1)} ms; binary: ${mapped.split(/\s+/).pop()}`);
  });

  it('lists an object of the namespace in its tree', async function () {
    const api = ext.exports;
    const id = h.make.semSet({ key: 0x7e57, nsems: 2, values: [1, 0] });
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    const node = await api.tree.findObjectNode('local', `sem:${id}`);
    assert.ok(node, 'the set is in the tree');
    const item = api.tree.item(node);
    assert.equal(item.label, `0x00007e57 · id ${id}`);
    assert.equal(h.snapshotOf(api, 'local').sems.find((s) => s.id === id)?.values?.join(','), '1,0', 'values read by GETALL (native)');
  });
});

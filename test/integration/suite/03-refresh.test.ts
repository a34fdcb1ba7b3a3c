// Automatic refresh in the real VS Code: `ipcExplorer.autoRefreshSeconds` refreshes while a view is visible and
// never while all are hidden; refreshes asked for while one runs coalesce into one follow-up.
import assert from 'node:assert/strict';
import * as h from '../helpers';
import { vscode } from '../helpers';

describe('refresh: automatic, only while visible; coalesced', function () {
  this.timeout(60000);
  let api: h.IpcExplorerTestApi;
  const config = () => vscode.workspace.getConfiguration('ipcExplorer');

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    api = await h.activateExtension();
  });

  after(async function () {
    await config().update('autoRefreshSeconds', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    h.removeAllObjects();
  });

  it('is off by default', async function () {
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    await h.waitFor(() => api.tree.visible(), 'the view');
    assert.equal(config().get('autoRefreshSeconds'), 0);
    assert.equal(api.tree.autoRefresh().running, false);
  });

  it('refreshes by itself while the view is visible: a new object shows up without a refresh command', async function () {
    await config().update('autoRefreshSeconds', 1, vscode.ConfigurationTarget.Global);
    await h.waitFor(() => api.tree.autoRefresh().running, 'the timer to start');
    // what the store says as it publishes the first snapshot that holds the set: read in the store's own
    // event, because a later tick (every second, sooner when a refresh was coalesced) makes it old again
    let first: { generation: number; added: boolean } | undefined;
    let id = -1;
    const sub = api.onStoreChange((c) => {
      const st = c.host === 'local' && c.reason === 'snapshot' ? api.host('local') : undefined;
      if (!first && st?.snapshot?.sems.some((s) => s.id === id)) first = { generation: st.generation, added: st.added.has(`sem:${id}`) };
    });
    let seen: { generation: number; added: boolean };
    try {
      id = h.make.semSet({ key: 0x0a070, nsems: 1 });
      seen = await h.waitFor(() => first, 'the new set in the store', 5000);
    } finally {
      sub.dispose();
    }
    assert.ok(api.tree.autoRefresh().ticks >= 1);
    assert.ok(seen.added, `and it is marked new (generation ${seen.generation})`);
  });

  it('stops while no view is visible (the timer is cleared; a settings change does not re-arm it), and resumes when one shows again', async function () {
    await vscode.commands.executeCommand('workbench.view.search'); // another side bar: neither copy of the view shows
    await h.waitFor(() => !api.tree.visible() && !api.tree.explorerVisible(), 'both views hidden');
    // the interval timer is the only source of automatic refreshes: once it is cleared, none can happen
    await h.waitFor(() => !api.tree.autoRefresh().running, 'the timer to stop');
    const generation = h.stateOf(api, 'local').generation;
    const ticks = api.tree.autoRefresh().ticks;
    // an event that re-arms the timer when a view is visible: changing the period. The configuration event
    // reaches AutoRefresh.update() before update() below resolves; hidden, it must leave the timer off.
    let configEvents = 0;
    const sub = vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('ipcExplorer.autoRefreshSeconds')) configEvents++; });
    try {
      await config().update('autoRefreshSeconds', 2, vscode.ConfigurationTarget.Global);
      await h.waitFor(() => configEvents >= 1, 'the configuration event');
    } finally {
      sub.dispose();
    }
    assert.equal(api.tree.autoRefresh().running, false, 'hidden: the new period did not start a timer');
    assert.equal(api.tree.autoRefresh().ticks, ticks, 'no timer refresh while hidden');
    assert.equal(h.stateOf(api, 'local').generation, generation, 'no snapshot taken while hidden');
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    await h.waitFor(() => api.tree.autoRefresh().running && api.tree.autoRefresh().ticks > ticks, 'the timer to resume', 6000);
  });

  it('coalesces refreshes asked for while one runs', async function () {
    await config().update('autoRefreshSeconds', 0, vscode.ConfigurationTarget.Global);
    await h.waitFor(() => !api.tree.autoRefresh().running, 'the timer to stop');
    const before = h.stateOf(api, 'local').generation;
    await Promise.all(Array.from({ length: 10 }, () => api.refresh('local')));
    const after = h.stateOf(api, 'local').generation;
    assert.ok(after - before >= 1 && after - before <= 2, `10 concurrent refreshes took ${after - before} snapshots`);
  });
});

// The next actions in the real VS Code (code-server + Chromium), on real kernel objects in the server's
// private IPC namespace: the welcome view of an empty machine, the view's "..." menu, the status-bar item
// and the orphan badge, the Diagnose ENOSPC toast's buttons (clicked in the workbench), "becomes
// recyclable in N s" with a Retry that waits, the settings' section titles, and screenshots of the tree,
// the dashboard and the futex visualizer in light, dark and high-contrast themes (test-artifacts/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Diagnosis, IpcSource, RecycleResult } from '../../../extension/testApi';
import * as h from '../helpers';
import { vscode } from '../helpers';

const q = (selector: string, frame: h.BridgeFrame = 'workbench') => h.bridge('query', { selector, frame });
const texts = async (selector: string, frame?: h.BridgeFrame): Promise<string[]> => {
  const r = await q(selector, frame);
  return r.found ? r.items.map((i) => i.text.trim()) : [];
};
const dashboardTab = () =>
  vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && /IPC Dashboard/.test(t.label));

async function closeEditors() {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await h.waitFor(() => !dashboardTab(), 'the editors to close');
}

async function dismissToasts() {
  await vscode.commands.executeCommand('notifications.clearAll');
}

describe('next actions: welcome, menus, status bar, badge, toasts, themes', function () {
  this.timeout(180000);
  let api: h.IpcExplorerTestApi;
  let savedSem: string;
  let restoreVerdicts = (): void => {};
  const recycleCfg = () => vscode.workspace.getConfiguration('ipcExplorer.recycle');

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    api = await h.activateExtension();
    savedSem = fs.readFileSync('/proc/sys/kernel/sem', 'utf8').trim();
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
  });

  after(async function () {
    restoreVerdicts();
    h.stopHolders();
    fs.writeFileSync('/proc/sys/kernel/sem', savedSem + '\n');
    h.removeAllObjects();
    await recycleCfg().update('minOrphanAgeSeconds', undefined, vscode.ConfigurationTarget.Global);
    await recycleCfg().update('recentActivitySeconds', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    await dismissToasts();
    await closeEditors();
    await vscode.commands.executeCommand('ipcExplorer.refresh');
  });

  it('an empty machine: the view says so and offers Refresh, Show Limits, Open Dashboard and Add SSH Host… (both views)', async function () {
    h.removeAllObjects();
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    await h.waitFor(() => api.status.treeState() === 'empty', 'the empty state');
    const welcome = await h.waitFor(async () => {
      const t = await texts('.welcome-view-content');
      return t.find((x) => /No System V or POSIX IPC objects on this machine/.test(x)) ? t : undefined;
    }, 'the welcome content in the IPC Explorer view');
    assert.ok(welcome.some((x) => /over SSH/.test(x)), 'the Add SSH Host hint (no SSH hosts yet)');
    const buttons = await texts('.welcome-view-content .monaco-button');
    for (const b of ['Refresh', 'Show Limits', 'Open Dashboard', 'Add SSH Host...']) assert.ok(buttons.includes(b), `a ${b} button: ${JSON.stringify(buttons)}`);
    await h.screenshot('welcome-empty');
    // contributed for the Explorer copy too
    const pkg = h.packageJSON();
    const views = new Set(pkg.contributes.viewsWelcome.map((w) => w.view));
    assert.deepEqual([...views].sort(), ['ipcExplorer.explorerObjects', 'ipcExplorer.objects']);
    // the Refresh button works from the welcome
    const gen = h.stateOf(api, 'local').generation;
    const r = await h.bridge('click', { selector: '.welcome-view-content .monaco-button:has-text("Refresh")' });
    assert.ok(r.ok, r.error);
    await h.waitFor(() => h.stateOf(api, 'local').generation > gen, 'a refresh from the welcome button');
    // one object: the welcome goes, the host row comes
    h.make.msgQueue({ key: 0x5000002 });
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    await h.waitFor(() => api.status.treeState() === 'objects', 'the objects state');
    const roots = await api.tree.children();
    assert.equal(roots[0].host, 'local');
    h.removeAllObjects();
  });

  it('the view\'s "…" menu has Recycle Orphans, the futex visualizer and the recycle audit log', async function () {
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    let opened = false;
    for (const sel of ['.part.sidebar .codicon-toolbar-more:visible', '.part.sidebar .codicon-views-more:visible',
      '.sidebar .title-actions .action-label[aria-label*="More Actions"]', '[aria-label*="More Actions"]:visible']) {
      const r = await h.bridge('click', { selector: sel });
      if (r.ok) {
        opened = true;
        break;
      }
    }
    assert.ok(opened, 'the "..." button of the view');
    const items = await h.waitFor(async () => {
      const t = await texts('.monaco-menu .action-label');
      return t.length ? t : undefined;
    }, 'the menu');
    for (const want of ['Recycle Orphans...', 'Open Futex Semaphore Visualizer', 'Show Recycle Audit Log', 'Diagnose semget ENOSPC...', 'Add SSH Host...']) {
      assert.ok(items.includes(want), `"${want}" in the menu: ${JSON.stringify(items)}`);
    }
    await h.screenshot('view-menu');
    await h.bridge('keys', { keys: ['Escape'] });
  });

  it('status bar: "SEMMNS 91 % · 3 orphans" in the warning colour, click opens the dashboard; the view badge counts orphans', async function () {
    restoreVerdicts = h.patchVerdictOptions(api, { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 });
    const marker = [...Array(16).fill(1), 537];
    const pg = [0, 1, 2].map((i) => h.make.semSet({ key: 5432001 + i, nsems: 17, values: marker }));
    const [msl, , opm, mni] = savedSem.split(/\s+/);
    fs.writeFileSync('/proc/sys/kernel/sem', `${msl} 56 ${opm} ${mni}\n`); // 51 of 56: 91 %
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    await h.waitFor(() => pg.every((id) => api.verdict('local', `sem:${id}`)?.state === 'orphan'), 'the three orphans');
    await h.waitFor(() => /SEMMNS 91 % · 3 orphans/.test(api.status.item().text), `the status text (${api.status.item().text})`);
    assert.equal(api.status.item().text, '$(server-process) SEMMNS 91 % · 3 orphans');
    assert.deepEqual(api.status.item().backgroundColor, new vscode.ThemeColor('statusBarItem.warningBackground'));
    const item = await h.waitFor(async () => {
      const r = await q('.statusbar-item');
      return r.items.find((i) => /SEMMNS 91 % · 3 orphans/.test(i.text));
    }, 'the item in the status bar');
    assert.match(item.className, /warning-kind/, `the warning colour: ${item.className}`);
    assert.equal(api.status.badge()?.value, 3);
    assert.equal(api.tree.badge()?.value, 3);
    const badge = await h.waitFor(async () => {
      const r = await q('.activitybar .action-item');
      return r.items.find((i) => /IPC Explorer/.test(i.ariaLabel || i.title || '') && /badge-content[^>]*>3</.test(i.html));
    }, 'the badge "3" on the IPC Explorer activity icon');
    assert.ok(badge);
    await h.screenshot('status-bar-and-badge');
    await closeEditors();
    const click = await h.bridge('click', { selector: '.statusbar-item:has-text("SEMMNS 91 %") a' });
    assert.ok(click.ok, click.error);
    await h.waitFor(() => dashboardTab(), 'the dashboard opened from the status bar');
    await closeEditors();
  });

  it('Diagnose ENOSPC: the toast offers Recycle Orphans…, Open Dashboard and Show Log; Open Dashboard opens it', async function () {
    const [msl, mns, opm] = savedSem.split(/\s+/) as [string, string, string];
    fs.writeFileSync('/proc/sys/kernel/sem', `${msl} ${mns} ${opm} 3\n`); // 3 sets exist: SEMMNI full
    await dismissToasts();
    await closeEditors();
    const d = await vscode.commands.executeCommand<Diagnosis>('ipcExplorer.diagnoseEnospc', { host: 'local', nsems: 17, open: false });
    assert.equal(d.wouldSucceed, false);
    // the status bar (and the tree, the dashboard) were refreshed with the diagnosis: they agree with the toast
    await h.waitFor(() => /SEMMNI 100 % · 3 orphans/.test(api.status.item().text), `the status text after the diagnosis (${api.status.item().text})`);
    const shown = api.notifications().at(-1);
    assert.ok(shown, 'a notification');
    assert.deepEqual(shown.actions, ['Recycle Orphans…', 'Open Dashboard', 'Show Log']);
    const buttons = await h.waitFor(async () => {
      const t = await texts('.notifications-toasts .monaco-button');
      return t.includes('Open Dashboard') ? t : undefined;
    }, 'the toast\'s buttons');
    assert.ok(buttons.includes('Recycle Orphans…') && buttons.includes('Show Log'), JSON.stringify(buttons));
    await h.screenshot('enospc-toast');
    const r = await h.bridge('click', { selector: '.notifications-toasts .monaco-button:has-text("Open Dashboard")' });
    assert.ok(r.ok, r.error);
    await h.waitFor(() => dashboardTab(), 'the dashboard opened from the toast');
    // the dashboard's own headline button is there too
    const btn = await h.waitFor(async () => {
      const t = await texts('.act-recycle-orphans', 'webview');
      return t.length ? t : undefined;
    }, 'the Recycle orphans… button in the dashboard', 20000);
    assert.deepEqual(btn, ['Recycle orphans…']);
    fs.writeFileSync('/proc/sys/kernel/sem', savedSem + '\n');
    await dismissToasts();
    await closeEditors();
    h.removeAllObjects();
    restoreVerdicts();
    restoreVerdicts = () => {};
  });

  it('too young to recycle: says when it becomes recyclable; Retry waits, then recycles', async function () {
    h.removeAllObjects();
    await recycleCfg().update('recentActivitySeconds', 0, vscode.ConfigurationTarget.Global);
    await recycleCfg().update('minOrphanAgeSeconds', 6, vscode.ConfigurationTarget.Global);
    // a segment whose creator has exited, nothing attached: an orphan, recyclable once 6 s old
    const seg = h.make.shm({ key: 0x5000003, size: 4096 });
    await dismissToasts();
    // the person's "Remove 1" at the modal (the extension's test-mode-only stand-in)
    h.testHooks(api).setRecycleConfirm((c) => c.refs.length === 1 && c.refs[0] === `shm:${seg}`);
    const res = await vscode.commands.executeCommand<RecycleResult | undefined>('ipcExplorer.recycleOrphans', { host: 'local', open: false });
    assert.ok(res && !res.report, 'nothing removed yet');
    assert.ok(res.pendingSeconds !== undefined && res.pendingSeconds >= 1 && res.pendingSeconds <= 6, `pending ${res.pendingSeconds} s`);
    const shown = api.notifications().at(-1);
    assert.ok(shown, 'a notification');
    assert.match(shown.text, /^Nothing on local is recyclable yet: 1 shared memory segment becomes recyclable in \ds \(minimum orphan age 6 s\)\.$/);
    assert.deepEqual(shown.actions, [`Retry in ${res.pendingSeconds} s`]);
    assert.ok(h.procRows('shm').some((r) => r.shmid === seg), 'still there');
    const r = await h.waitFor(async () => {
      const c = await h.bridge('click', { selector: `.notifications-toasts .monaco-button:has-text("Retry in ${res.pendingSeconds} s")` });
      return c.ok ? c : undefined;
    }, 'the Retry button');
    assert.ok(r.ok);
    await h.waitFor(() => !h.procRows('shm').some((x) => x.shmid === seg), 'the segment recycled after the wait', 20000);
    assert.ok(api.notifications().some((n) => /1 removed, 0 refused, 0 failed/.test(n.text)));
    h.testHooks(api).setRecycleConfirm(undefined);
    await dismissToasts();
  });

  it('a warning row in the tree names the pid and can be dismissed (Dismiss on the row)', async function () {
    // A second host whose snapshot is this machine's own (real objects, real limits) plus the warning procfs
    // writes when /proc/PID/maps is unreadable: the sources make warnings; what is tested is the tree's Dismiss.
    const local = h.stateOf(api, 'local').source;
    const W = 'attachers: /proc/PID/maps of 1 process (pid 812 (sshd)) not readable (run as root to see every attacher); its attachments are not counted';
    const source: IpcSource = {
      host: 'warnings-test',
      async snapshot() {
        const snap = await local.snapshot();
        return { ...snap, host: 'warnings-test', warnings: [...snap.warnings, W] };
      },
      semDetail: (ids) => local.semDetail(ids),
      remove: async () => { throw Object.assign(new Error('this test host removes nothing'), { code: 'EPERM' }); },
    };
    const sub = api.addSource(source);
    try {
      await api.refresh('warnings-test');
      const host = await h.waitFor(async () => (await api.tree.children()).find((n) => n.host === 'warnings-test'), 'the test host row');
      const row = (await api.tree.children(host)).find((n) => n.text === W);
      assert.ok(row, 'the warning row');
      assert.equal(api.tree.item(row).contextValue, 'message.warning');
      const menus = h.packageJSON().contributes.menus['view/item/context'];
      assert.ok(menus.some((m) => m.command === 'ipcExplorer.dismissWarning' && m.group === 'inline@1' && /viewItem == message\.warning/.test(m.when ?? '')), 'an inline Dismiss on warning rows');
      await vscode.commands.executeCommand('ipcExplorer.objects.focus');
      await h.waitFor(async () => (await texts('.monaco-list-row')).some((t) => t.includes('pid 812 (sshd)')), 'the row on screen');
      await vscode.commands.executeCommand('ipcExplorer.dismissWarning', row);
      const host2 = (await api.tree.children()).find((n) => n.host === 'warnings-test');
      assert.ok(!(await api.tree.children(host2)).some((n) => n.text === W), 'gone from the tree');
      await h.waitFor(async () => !(await texts('.monaco-list-row')).some((t) => t.includes('pid 812 (sshd)')), 'the row gone from the screen');
      // the next refresh brings the same text: it stays dismissed
      await api.refresh('warnings-test');
      const host3 = (await api.tree.children()).find((n) => n.host === 'warnings-test');
      assert.ok(!(await api.tree.children(host3)).some((n) => n.text === W));
    } finally {
      sub.dispose();
    }
  });

  it('settings: "IPC Explorer" in titled sections; the machine-scoped ones are on the Remote tab, not User', async function () {
    // User tab: the sections a workspace-independent user setting can hold. The Settings editor shows its table
    // of contents only when the editor is wide enough: a side bar of ordinary width.
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    await h.bridge('resizeSidebar', { width: 300 });
    await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:ipc-explorer.ipc-explorer');
    const toc = await h.waitFor(async () => {
      const t = await texts('.settings-toc-container .monaco-list-row');
      return t.some((x) => x.startsWith('SSH hosts')) ? t : undefined;
    }, 'the settings table of contents', 20000);
    await h.screenshot('settings-user');
    console.log(`      User tab: ${JSON.stringify(toc)}`);
    for (const s of ['IPC Explorer', 'Tree and status bar (7)', 'SSH hosts (4)']) assert.ok(toc.some((t) => t.startsWith(s)), `"${s}" in the table of contents: ${JSON.stringify(toc)}`);
    // a section chosen in the table of contents lists its settings (in a search list VS Code prints the key's
    // prefix, "Ipc Explorer › Tree: Group Threshold", whatever the section's title)
    const r = await h.bridge('click', { selector: '.settings-toc-container .monaco-list-row:has-text("Tree and status bar")' });
    assert.ok(r.ok, r.error);
    await h.sleep(800);
    const labels = await texts('.settings-editor .setting-item-contents .setting-item-title');
    console.log(`      Tree section: ${JSON.stringify(labels.slice(0, 8))}`);
    assert.ok(labels.some((l) => /Group Threshold/.test(l)), JSON.stringify(labels));
    await h.screenshot('settings-tree-section');
    // Remote tab: the machine-scoped ones (what may be removed, which hosts and files)
    await vscode.commands.executeCommand('workbench.action.openRemoteSettings');
    const remote = await h.waitFor(async () => {
      const t = await texts('.settings-toc-container .monaco-list-row');
      return t.some((x) => x.startsWith('Recycle')) ? t : undefined;
    }, 'the Remote tab with the Recycle section', 20000);
    await h.screenshot('settings-remote');
    console.log(`      Remote tab: ${JSON.stringify(remote)}`);
    assert.ok(remote.some((t) => t.startsWith('Recycle (7)')), JSON.stringify(remote));
    await closeEditors();
  });

  for (const [theme, name] of [['Default Light Modern', 'light'], ['Default Dark Modern', 'dark'], ['Default High Contrast', 'high-contrast']]) {
    it(`screenshots in the ${name} theme: tree, dashboard, futex visualizer`, async function () {
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      h.removeAllObjects();
      restoreVerdicts = h.patchVerdictOptions(api, { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 });
      const marker = [...Array(16).fill(1), 537];
      [0, 1].forEach((i) => h.make.semSet({ key: 5432001 + i, nsems: 17, values: marker }));
      h.make.semSet({ key: 0x5555, nsems: 2 });
      h.make.shm({ key: 0x5000004, size: 1114112 });
      await vscode.commands.executeCommand('ipcExplorer.refresh');
      await h.waitFor(() => api.status.treeState() === 'objects', 'objects');
      await vscode.commands.executeCommand('ipcExplorer.objects.focus');
      await vscode.commands.executeCommand('ipcExplorer.openDashboard');
      // a screenshot needs the map drawn; a webview frame left from the previous theme's pass can answer the
      // query first, so a dashboard that does not show its map is opened once more before giving up
      const mapShown = async () => (await q('svg.semmap g.cell', 'webview')).found;
      await h.waitFor(mapShown, 'the dashboard map', 20000).catch(async () => {
        await closeEditors();
        await vscode.commands.executeCommand('ipcExplorer.openDashboard');
        await h.waitFor(mapShown, 'the dashboard map (opened again)', 30000);
      });
      await h.sleep(500);
      await h.screenshot(`workbench-${name}-dashboard`);
      await vscode.commands.executeCommand('ipcExplorer.openFutexVisualizer');
      // the screenshot waits for the visualizer's story text (a fixed pause caught an empty panel)
      await h.waitFor(async () => (await texts('#description', 'webview'))[0], 'the futex visualizer', 20000);
      await h.sleep(500);
      await h.screenshot(`workbench-${name}-futex`);
      await closeEditors();
      restoreVerdicts();
      restoreVerdicts = () => {};
      h.removeAllObjects();
    });
  }
});

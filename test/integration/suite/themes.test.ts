// Every surface in the real VS Code (code-server + Chromium) in the light, dark, high-contrast dark and
// high-contrast light themes, on real kernel objects of the server's private IPC namespace: the welcome of an
// empty machine, the tree with an expanded set, the status-bar item, the dashboard with an object's detail
// open (and Escape back to its map cell), the dashboard and futex visualizer tab icons, the recycle modal and
// its report (the modal: VS Code shows no dialog under its test runner), and the walkthrough with the images of that theme. Screenshots in test-artifacts/themes/; the
// dashboard's text is checked for contrast against what it is drawn on (WCAG ratio, in the workbench's own
// rendering of the theme).
import assert from 'node:assert/strict';
import * as h from '../helpers';
import { vscode } from '../helpers';

const PG_MARKER = [...Array(16).fill(1), 537];
const WALKTHROUGH = `${h.EXTENSION_ID}#ipcExplorer.start`;
const THEMES: [string, string, string, string, string, string][] = [
  // [VS Code theme, artifact name, walkthrough image key, workbench class, webview body, tab icon variant]
  ['Default Light Modern', 'light', 'light', 'vs', 'body.vscode-light', 'light'],
  ['Default Dark Modern', 'dark', 'dark', 'vs-dark', 'body.vscode-dark', 'dark'],
  ['Default High Contrast', 'high-contrast', 'hc', 'hc-black', 'body.vscode-high-contrast:not(.vscode-high-contrast-light)', 'dark'],
  ['Default High Contrast Light', 'high-contrast-light', 'hcLight', 'hc-light', 'body.vscode-high-contrast-light', 'light'],
];

const q = (selector: string, frame: h.BridgeFrame = 'workbench') => h.bridge('query', { selector, frame });
const closeEditors = () => vscode.commands.executeCommand('workbench.action.closeAllEditors');

describe('themes: every surface in light, dark and high-contrast themes', function () {
  this.timeout(240000);
  let api: h.IpcExplorerTestApi;
  let restoreVerdicts = (): void => {};

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    api = await h.activateExtension();
    await closeEditors();
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
  });

  after(async function () {
    restoreVerdicts();
    h.testHooks(api).setRecycleConfirm(undefined);
    h.stopHolders();
    h.removeAllObjects();
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('notifications.clearAll');
    await closeEditors();
    await vscode.commands.executeCommand('ipcExplorer.refresh');
  });

  for (const [theme, name, imageKey, workbenchClass, webviewBody, iconVariant] of THEMES) {
    it(`${name}: welcome, tree, status bar, dashboard and detail, tab icons, recycle report, walkthrough`, async function () {
      const shot = (what: string, selector?: string) => h.screenshot(`themes/${name}-${what}`, selector);
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      await h.waitFor(async () => (await q(`.monaco-workbench.${workbenchClass}`)).found, `the ${theme} theme applied`);
      await closeEditors();

      // an empty machine: the welcome view
      h.removeAllObjects();
      await vscode.commands.executeCommand('ipcExplorer.refresh');
      await h.waitFor(() => api.status.treeState() === 'empty', 'the empty state');
      await vscode.commands.executeCommand('ipcExplorer.objects.focus');
      await h.waitFor(async () => (await q('.part.sidebar .welcome-view-content')).found, 'the welcome view');
      await shot('welcome', '.part.sidebar');

      // a crashed PostgreSQL-like cluster (two sets of a dead postmaster), a live set with a waiter, a segment
      restoreVerdicts = h.patchVerdictOptions(api, { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 });
      const pg = [0, 1].map((i) => h.make.semSet({ key: 0x52e2c1 + i, nsems: 17, values: PG_MARKER }));
      const waited = h.make.semSet({ key: 0x5555, nsems: 2 });
      await h.startHolder('wait-sem', waited, 0);
      h.make.shm({ key: 0x5000004, size: 1114112 });
      await vscode.commands.executeCommand('ipcExplorer.refresh');
      await h.waitFor(() => api.status.treeState() === 'objects', 'objects in the tree');
      // the walkthrough's image: the tree as a person first sees it, in a side bar wide enough for the descriptions
      const side = (await h.bridge('bbox', { selector: '.part.sidebar' })).boxes[0];
      await h.bridge('resizeSidebar', { width: 560 });
      await h.waitFor(async () => (await q('.part.sidebar .monaco-list-row:has-text("Limits")')).found, 'the tree rows');
      await h.sleep(300);
      const rows = (await h.bridge('bbox', { selector: '.part.sidebar .monaco-list-row' })).boxes;
      const wide = (await h.bridge('bbox', { selector: '.part.sidebar' })).boxes[0];
      const bottom = Math.max(...rows.map((b) => b.y + b.height));
      await h.bridge('screenshot', { path: `${h.artifacts}/themes/walkthrough-tree-${imageKey}.png`, clip: { x: 0, y: wide.y, width: wide.x + wide.width, height: Math.ceil(bottom + 8 - wide.y) } });
      // back to the width it had (a drag can stop short of it: dragged again until it is there)
      for (let i = 0; i < 4; i++) {
        const r = await h.bridge('resizeSidebar', { width: side.width });
        if (Math.abs((r.width ?? 0) - side.width) < 4) break;
      }
      // a set expanded to its semaphores
      const node = await api.tree.findObjectNode('local', `sem:${pg[0]}`);
      assert.ok(node, 'the set is in the tree');
      await api.tree.reveal(node, { select: false, focus: false, expand: true });
      await h.waitFor(async () => (await q('.part.sidebar .monaco-list-row:has-text("sem 16 = 537")')).found, 'the expanded set');
      await h.sleep(300);
      await shot('tree', '.part.sidebar');

      // the status-bar item: the fullest pool and the orphans
      await h.waitFor(() => /orphan/.test(api.status.item().text), `the status text (${api.status.item().text})`);
      await shot('statusbar', '.part.statusbar');

      // the dashboard, then one orphan's detail; Escape returns to its cell in the map
      await vscode.commands.executeCommand('ipcExplorer.openDashboard', 'local');
      const cell = `svg.semmap g.cell[data-ref="sem:${pg[1]}"]`;
      await h.waitFor(async () => (await q(cell, 'webview')).found, 'the dashboard map', 30000);
      await h.sleep(500);
      const editor = (await h.bridge('bbox', { selector: '.part.editor' })).boxes[0];
      await h.bridge('screenshot', { path: `${h.artifacts}/themes/walkthrough-dashboard-${imageKey}.png`, clip: { x: editor.x, y: editor.y, width: editor.width, height: Math.min(editor.height, 660) } });
      // a toast left by an earlier suite can cover the map's corner
      await vscode.commands.executeCommand('notifications.clearAll');
      const clicked = await h.bridge('click', { selector: cell, frame: 'webview' });
      assert.ok(clicked.ok, `click on the map cell: ${clicked.error}`);
      await h.waitFor(async () => ((await q('#detail-title', 'webview')).items[0]?.text ?? '').endsWith(`(id ${pg[1]})`), 'the detail pane');
      await h.waitFor(async () => (await q('table.sems tbody tr', 'webview')).count === 17, 'the semaphores of the set');
      await shot('dashboard-detail');
      // the page drawn in this theme (a frame left from the previous theme's pass may still answer queries)
      const contrast = await h.bridge('contrast', { selector: `${webviewBody}:has(svg.semmap)`, frame: 'webview', min: 4.5 });
      console.log(`      dashboard contrast: ${contrast.checked} texts checked, ${contrast.skipped} skipped`);
      assert.ok(contrast.checked > 50, `the dashboard's texts were checked (${contrast.checked})`);
      assert.deepEqual(contrast.unparsed, [], 'every colour was read');
      assert.deepEqual(contrast.low, [], 'every dashboard text at a contrast of 4.5:1 or more (WCAG AA)');
      await h.bridge('keys', { keys: ['Escape'] });
      const focused = await h.waitFor(async () => {
        const f = await q('svg.semmap g.cell:focus', 'webview');
        return f.found ? f.items[0] : undefined;
      }, 'the focus back on the map cell after Escape');
      assert.match(focused.html, new RegExp(`data-ref="sem:${pg[1]}"`));

      // the tab icons: the variant drawn for this theme (a light icon on dark tabs and the other way round)
      await vscode.commands.executeCommand('ipcExplorer.openFutexVisualizer');
      await h.waitFor(async () => (await q('#description', 'webview')).found, 'the futex visualizer', 30000);
      const icons = await h.waitFor(async () => {
        const s = await h.bridge('styles', { selector: '.tabs-container .tab .monaco-icon-label', pseudo: '::before', props: ['background-image'] });
        return s.items.length >= 2 ? s.items.map((i) => i['background-image']) : undefined;
      }, 'the two tabs');
      for (const i of icons) assert.match(i, new RegExp(`ipc-explorer-${iconVariant}\\.svg`), `tab icons in ${theme}: ${JSON.stringify(icons)}`);
      await shot('tabs', '.part.editor .title');
      await shot('futex');
      await closeEditors();

      // the recycle modal itself cannot be drawn here: VS Code's DialogService refuses every modal dialog while
      // it runs extension tests; what it would show is what the test answerer receives (recycle.test.js)

      // the report of a run (the test answerer says yes), a read-only ipcx: document
      h.testHooks(api).setRecycleConfirm(() => true);
      try {
        await vscode.commands.executeCommand('ipcExplorer.recycleOrphans', { host: 'local' });
      } finally {
        h.testHooks(api).setRecycleConfirm(undefined);
      }
      const report = await h.waitFor(() => {
        const d = vscode.window.activeTextEditor?.document;
        return d && /recycle-report/.test(d.uri.path) ? d : undefined;
      }, 'the recycle report');
      assert.equal(report.uri.scheme, 'ipcx');
      await h.sleep(300);
      await shot('recycle-report');
      // read-only: typing into it changes nothing (VS Code says "Cannot edit in read-only editor")
      const text = report.getText();
      await h.bridge('click', { selector: '.part.editor .monaco-editor .view-lines' });
      await h.bridge('keys', { keys: ['End', 'x', 'y', 'Enter'] });
      await h.sleep(300);
      assert.equal(report.getText(), text, 'the report cannot be edited');
      assert.equal(report.isDirty, false);
      await closeEditors();
      await vscode.commands.executeCommand('notifications.clearAll');

      // the walkthrough: its images follow the theme
      for (const [step, image] of [['findOrphans', 'tree'], ['openDashboard', 'dashboard']]) {
        await closeEditors();
        await vscode.commands.executeCommand('workbench.action.openWalkthrough', { category: WALKTHROUGH, step }, false);
        const src = await h.waitFor(async () => {
          const r = await q('.getting-started-media img');
          // <img srcset="…/vscode-remote-resource?path=%2F…%2Fmedia%2Fwalkthrough%2Ftree-light.png&tkn= 1.5x">
          return r.items.map((i) => /srcset="([^"]*)"/.exec(i.html)?.[1]).map((s) => s && decodeURIComponent(s)).find((s) => s && s.includes(`/media/walkthrough/${image}-`));
        }, `the walkthrough image of ${step}`, 20000);
        assert.match(src, new RegExp(`/media/walkthrough/${image}-${imageKey}\\.png`), src);
        // a step's description is not full markdown: a backtick would be printed as is
        const shown = (await q('.getting-started-step.expanded')).items[0].text;
        assert.doesNotMatch(shown, /`/, shown);
        // the image loaded and is on screen
        await h.waitFor(async () => (await q('.getting-started-media img')).items.some((i) => (i.naturalWidth ?? 0) > 0), `the ${image} image loaded`, 20000);
        const box = (await h.bridge('bbox', { selector: '.getting-started-media img' })).boxes[0];
        assert.ok(box && box.width > 100 && box.height > 50, `the image is drawn: ${JSON.stringify(box)}`);
        await h.sleep(800);
        await shot(`walkthrough-${step}`);
      }
      await closeEditors();

      restoreVerdicts();
      restoreVerdicts = () => {};
      h.stopHolders();
      h.removeAllObjects();
    });
  }
});

// The dashboard in the real VS Code, on real kernel objects in the VS Code server's private IPC namespace:
// the seed scenario in small (three PostgreSQL-like sets whose creator is gone, one live application set,
// SEMMNS lowered to exactly what they use, so a new set would fail with ENOSPC). Opened from the command
// palette (F1, typed), read through the runner's bridge into the webview's iframe, then a click on an orphan
// opens its detail with per-semaphore values. Screenshot: test-artifacts/dashboard-vscode.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as h from '../helpers';
import { vscode } from '../helpers';

describe('dashboard: opened from the command palette in the real VS Code', function () {
  this.timeout(90000);
  let api: h.IpcExplorerTestApi;
  let savedSem: string;
  let restoreVerdictOptions = (): void => {};
  const ids: { pg: number[]; app: number } = { pg: [], app: -1 };

  const q = (selector: string) => h.bridge('query', { selector, frame: 'webview' });
  const text = async (selector: string): Promise<string[]> => {
    const r = await q(selector);
    return r.found ? r.items.map((i) => i.text.trim()) : [];
  };

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    savedSem = fs.readFileSync('/proc/sys/kernel/sem', 'utf8');
    api = await h.activateExtension();
    restoreVerdictOptions = h.patchVerdictOptions(api, {
      minOrphanAgeSeconds: 0, recentActivitySeconds: 0, ignore: [], trust: [], recycleUnrecognized: false, kinds: ['sem', 'shm', 'msg'],
    });
    // PostgreSQL-like: 17 semaphores, semnum 16 = 537, values set by a process that has exited (dead sempid)
    ids.pg = [0, 1, 2].map((i) => h.make.semSet({ key: 5432001 + i, nsems: 17, values: [...Array(16).fill(1), 537] }));
    ids.app = h.make.semSet({ key: 0x1e240001, nsems: 5 });
    // SEMMSL SEMMNS SEMOPM SEMMNI: SEMMNS = 3 * 17 + 5 = 56, full
    fs.writeFileSync('/proc/sys/kernel/sem', '250 56 32 128');
    await vscode.commands.executeCommand('ipcExplorer.refresh');
  });

  after(async function () {
    restoreVerdictOptions();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.writeFileSync('/proc/sys/kernel/sem', savedSem.trim().split(/\s+/).join(' '));
    h.removeAllObjects();
  });

  it('opens from the palette and shows which limit is full and what the orphans hold', async function () {
    const keys = ['Escape', 'F1'];
    for (const c of 'IPC Explorer: Open Dashboard') keys.push(c === ' ' ? 'Space' : c);
    await h.bridge('keys', { keys });
    // Enter runs the focused (first) row: wait until the palette has filtered down to our command
    await h.waitFor(async () => {
      const q = await h.bridge('query', { selector: '.quick-input-widget .monaco-list-row', frame: 'workbench' });
      return q.items.length && /IPC Explorer: Open Dashboard/.test(q.items[0]?.text ?? '');
    }, 'the command palette showing "IPC Explorer: Open Dashboard" first');
    await h.bridge('keys', { keys: ['Enter'] });
    const value = await h.waitFor(async () => {
      const t = await text('.cap-row[data-limit="semmns"] .cap-value');
      return t.length ? t[0] : undefined;
    }, 'the SEMMNS gauge in the dashboard webview', 30000);
    assert.equal(value, '56 / 56');
    assert.deepEqual(await text('.cap-row[data-limit="semmns"] .cap-pct'), ['100 %']);
    assert.match((await text('.cap-full'))[0], /^SEMMNS is full \(56 \/ 56\)/);
    assert.deepEqual(await text('.cap-row[data-limit="semmni"] .cap-value'), ['4 / 128']);
    const orphans = await h.waitFor(async () => (await text('.cap-orphans'))[0], 'the orphan headline');
    assert.equal(orphans, '3 of 4 sets are orphans: recycling frees 51 of 56 semaphores');
    const cells = await q('svg.semmap g.cell.state-orphan');
    assert.equal(cells.count, 3);
    assert.match(cells.items[0]?.ariaLabel ?? '', /^semaphore set 0x0052e2c1 id \d+, 17 semaphores, orphan \(recyclable\), PostgreSQL/);
    const live = await q(`svg.semmap g.cell[data-ref="sem:${ids.app}"]`);
    assert.equal(live.count, 1);
  });

  it('a click on an orphan opens its detail with every semaphore read through the host', async function () {
    await h.bridge('click', { selector: `svg.semmap g.cell[data-ref="sem:${ids.pg[0]}"]`, frame: 'webview' });
    const title = await h.waitFor(async () => (await text('#detail-title'))[0], 'the detail pane');
    assert.equal(title, `Semaphore set 0x0052e2c1 (id ${ids.pg[0]})`);
    const rows = await h.waitFor(async () => {
      const r = await q('table.sems tbody tr');
      return r.count === 17 && !r.items.some((i) => i.text.includes('…')) ? r : undefined;
    }, 'per-semaphore detail (GETPID/GETNCNT/GETZCNT) from the host', 20000);
    // semnum, semval, ncount, zcount, last pid: the marker semaphore, last set by a process that has exited
    assert.match(rows.items[16].html, /^<tr><td>16<\/td><td>537<\/td><td>0<\/td><td>0<\/td><td>\d+ \(dead\)<\/td><\/tr>$/);
    await h.screenshot('dashboard-vscode');
  });

  it('from an object\'s context menu (the command with {host, ref}) it focuses that object', async function () {
    await vscode.commands.executeCommand('ipcExplorer.openDashboard', { host: 'local', ref: `sem:${ids.app}` });
    const title = await h.waitFor(async () => {
      const t = (await text('#detail-title'))[0];
      return t && t.includes(`(id ${ids.app})`) ? t : undefined;
    }, 'the focused object in the detail pane');
    assert.equal(title, `Semaphore set 0x1e240001 (id ${ids.app})`);
    assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label.startsWith('IPC Dashboard')).length, 1, 'one panel');
  });

  it('the webview only asks: "Copy key" is answered by the host through the clipboard', async function () {
    await h.bridge('click', { selector: `svg.semmap g.cell[data-ref="sem:${ids.pg[0]}"]`, frame: 'webview' });
    await h.waitFor(async () => ((await text('#detail-title'))[0] || '').includes(`(id ${ids.pg[0]})`), 'the orphan selected again');
    await vscode.env.clipboard.writeText('');
    await h.bridge('click', { selector: '.act-copy-key', frame: 'webview' });
    const copied = await h.waitFor(async () => (await vscode.env.clipboard.readText()) || undefined, 'the key on the clipboard');
    assert.equal(copied, '0x0052e2c1');
  });

  it('beyond 1,500 sets the snapshot crosses VS Code\'s channel as typed-array columns: the map adds up, a set inside a key-range cell opens its detail', async function () {
    this.timeout(120000);
    fs.writeFileSync('/proc/sys/kernel/sem', '250 64000 32 4096');
    h.make.manySemSets({ n: 2000, nsems: 3 });
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    // the tab counts every set, the key-range cells and the individual cells add up to all of them
    await h.waitFor(async () => /\(2004\)/.test((await text('vscode-tab-header[data-tab="sems"]'))[0] || ''), 'the 2,004 sets counted in the tab', 30000);
    const aggs = await q('svg.semmap g.cell.agg');
    assert.ok(aggs.count > 0 && aggs.count <= 48 * 3, `${aggs.count} key-range cells`);
    const inAggs = aggs.items.reduce((a, i) => a + Number(/^(\d+) semaphore sets/.exec(i.ariaLabel ?? '')?.[1]), 0);
    const singles = (await q('svg.semmap g.cell.set')).count;
    assert.equal(inAggs + singles, 2004);
    assert.deepEqual(await text('.cap-row[data-limit="semmni"] .cap-value'), ['2,004 / 4,096']);
    assert.equal((await q('svg.semmap g.cell.state-orphan')).count, 3, 'the PostgreSQL orphans stay individual, with their verdicts');
    // a set inside a key-range cell, focused from the tree's context menu: its detail (per-semaphore values)
    // is read on demand through the host
    const row = fs.readFileSync('/proc/sysvipc/sem', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[0] === '0' && f[3] === '3'); // key semid perms nsems …
    assert.ok(row, 'an IPC_PRIVATE set of 3 in /proc/sysvipc/sem');
    const id = row[1];
    await vscode.commands.executeCommand('ipcExplorer.openDashboard', { host: 'local', ref: `sem:${id}` });
    await h.waitFor(async () => ((await text('#detail-title'))[0] || '').includes(`(id ${id})`), 'the detail of a set inside a key-range cell');
    await h.waitFor(async () => {
      const r = await q('table.sems tbody tr');
      return r.count === 3 && !r.items.some((i) => i.text.includes('…')) ? r : undefined;
    }, 'its 3 semaphores read through the host', 20000);
  });
});

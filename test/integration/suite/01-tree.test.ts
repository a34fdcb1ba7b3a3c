// The objects tree in the real VS Code, on real kernel objects made in the VS Code server's private IPC
// namespace: labels, descriptions, states, tooltips, lazy per-semaphore detail, a removed object
// disappearing, new objects highlighted, an object vanishing between listing and detail, grouping of big
// kinds, the limits with their >= 80 % warning, and a screenshot of the workbench.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as h from '../helpers';
import { vscode } from '../helpers';

const hex = (k: number): string => '0x' + (k >>> 0).toString(16).padStart(8, '0');

describe('tree: the objects view on known objects', function () {
  this.timeout(60000);
  let api: h.IpcExplorerTestApi;
  let provider: h.IpcExplorerTestApi['tree'];
  const ids: Record<string, number> = {};
  let savedSem: string;
  let restoreVerdictOptions = (): void => {};

  const item = (n: h.TestTreeNode | undefined): h.Row => {
    assert.ok(n, 'the row is in the tree');
    return h.row(api, n);
  };
  const label = (n: h.TestTreeNode | undefined): string => item(n).label;
  async function hostKids() {
    const [local] = await provider.children();
    return provider.children(local);
  }
  /** the host's rows without its message rows (warnings such as unreadable /proc/PID/maps of sandbox processes) */
  async function kinds() {
    return (await hostKids()).filter((n) => !item(n).contextValue.startsWith('message'));
  }
  async function kind(prefix: string): Promise<h.TestTreeNode> {
    const k = (await kinds()).find((n) => label(n).startsWith(prefix));
    assert.ok(k, `a "${prefix}" node`);
    return k;
  }
  async function refresh() {
    await vscode.commands.executeCommand('ipcExplorer.refresh');
  }

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    savedSem = fs.readFileSync('/proc/sys/kernel/sem', 'utf8');
    api = await h.activateExtension();
    provider = api.tree;
    // decide verdicts on facts alone: no grace period for fresh objects in this test
    restoreVerdictOptions = h.patchVerdictOptions(api, { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 });
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');

    ids.semValues = h.make.semSet({ key: 0x1111, nsems: 3, values: [1, 2, 3] });
    ids.semPrivate = h.make.semSet({ key: 0, nsems: 2 });
    ids.pg = h.make.semSet({ key: 5432001, nsems: 17, values: [...Array(16).fill(1), 537] });
    ids.shmLive = h.make.shm({ key: 0x2222, size: 4096 });
    ids.shmOrphan = h.make.shm({ key: 0x3333, size: 65536, mode: 0o640 });
    ids.msg = h.make.msgQueue({ key: 0x4444 });
    h.make.posixSem({ name: '/itest', value: 2 });
    h.make.posixShm({ name: '/itest-shm', size: 8192 });
    ids.holder = (await h.startHolder('attach-shm', ids.shmLive)).pid;
    await refresh();
  });

  after(function () {
    restoreVerdictOptions();
    h.stopHolders();
    h.removeAllObjects();
    fs.writeFileSync('/proc/sys/kernel/sem', savedSem);
  });

  it('counts objects per kind against their limits', async function () {
    const labels = (await kinds()).map(label);
    assert.deepEqual(labels, [
      'Semaphore sets 3/32,000', 'Shared memory 2/4,096', 'Message queues 1/32,000',
      'POSIX semaphores 1', 'POSIX shared memory 1', 'Limits',
    ]);
    assert.match(item(await kind('Semaphore sets')).description, /^22\/1,024,000,000 semaphores/);
  });

  it('labels SysV objects with the key in hex (or IPC_PRIVATE) and the id; describes owner, size and state', async function () {
    const sems = await provider.children(await kind('Semaphore sets'));
    const byLabel = Object.fromEntries(sems.map((n) => [label(n), item(n)]));
    assert.ok(byLabel[`0x00001111 · id ${ids.semValues}`], Object.keys(byLabel).join(' | '));
    assert.ok(byLabel[`IPC_PRIVATE · id ${ids.semPrivate}`]);
    assert.ok(byLabel[`${hex(5432001)} · id ${ids.pg}`]);
    assert.match(byLabel[`0x00001111 · id ${ids.semValues}`].description, /^root · 3 sems · /);
    assert.equal(byLabel[`0x00001111 · id ${ids.semValues}`].contextValue.split('.')[0], 'semSet');

    const shms = await provider.children(await kind('Shared memory'));
    const live = shms.find((n) => n.ref === `shm:${ids.shmLive}`);
    const orphan = shms.find((n) => n.ref === `shm:${ids.shmOrphan}`);
    assert.equal(label(live), `0x00002222 · id ${ids.shmLive}`);
    assert.equal(item(live).description, 'root · 4 KiB · 1 attached · live');
    assert.equal(item(live).iconPath.id, 'pass-filled');
    assert.equal(item(live).iconPath.color.id, 'charts.green');
    assert.equal(item(live).contextValue, 'shmSegment');
    // created by the exited helper, nothing attached: an orphan the rules allow to recycle
    assert.equal(item(orphan).description, 'root · 64 KiB · 0 attached · orphan, recyclable', h.verdictOf(api, 'local', `shm:${ids.shmOrphan}`).reasons.join('; '));
    assert.equal(item(orphan).iconPath.id, 'trash');
    assert.equal(item(orphan).contextValue, 'shmSegment.recyclable');

    const [q] = await provider.children(await kind('Message queues'));
    assert.equal(label(q), `0x00004444 · id ${ids.msg}`);
    assert.equal(item(q).description, 'root · 0 msgs, 0 B · unknown');
    assert.equal(item(q).iconPath.id, 'question');

    const [ps] = await provider.children(await kind('POSIX semaphores'));
    assert.equal(label(ps), '/itest');
    assert.match(item(ps).description, /value 2 · 0 waiting/);
    assert.equal(item(ps).contextValue, 'posixSem');
    const [pm] = await provider.children(await kind('POSIX shared memory'));
    assert.equal(label(pm), '/itest-shm');
    assert.match(item(pm).description, /^root · 8 KiB/);
  });

  it('puts the full record in a markdown tooltip: creator/last pids with command and liveness, attachers', async function () {
    const shms = await provider.children(await kind('Shared memory'));
    const tip = item(shms.find((n) => n.ref === `shm:${ids.shmLive}`)).tooltip.value;
    assert.match(tip, /\*\*key\*\* \| 0x00002222/);
    assert.match(tip, /creator pid \(cpid\)\*\* \| pid \d+ \(dead\)/);
    assert.match(tip, new RegExp(`attached by\\*\\* \\| pid ${ids.holder} \\(ipcobj-[0-9a-f]+, alive\\)`));
    assert.match(tip, /\*\*state\*\* \| live/);
  });

  it('reads per-semaphore detail with the refresh: verdicts are decided without expanding, the rows come from it', async function () {
    const sems = await provider.children(await kind('Semaphore sets'));
    const setNode = sems.find((n) => n.ref === `sem:${ids.semValues}`);
    assert.ok(Array.isArray(api.cachedSemDetail('local', ids.semValues)), 'detail read with the refresh');
    assert.equal(h.verdictOf(api, 'local', `sem:${ids.semValues}`).state, 'orphan', 'dead last-op pids, no waiters');
    const three = await provider.children(setNode);
    assert.deepEqual(three.map(label), ['sem 0 = 1', 'sem 1 = 2', 'sem 2 = 3']);
    const pgNode = sems.find((n) => n.ref === `sem:${ids.pg}`);
    const v = h.verdictOf(api, 'local', `sem:${ids.pg}`);
    assert.equal(v.state, 'orphan');
    assert.equal(v.owner && v.owner.app, 'postgresql');
    assert.equal(v.recyclable, true, v.reasons.join('; '));
    assert.equal(item(pgNode).contextValue, 'semSet.recyclable');
    assert.match(item(pgNode).description, /^root · 17 sems · orphan, recyclable · PostgreSQL, .*postmaster PID \d+ \(dead\)$/);
    const kids = await provider.children(pgNode);
    assert.equal(kids.length, 17);
    assert.equal(label(kids[16]), 'sem 16 = 537');
    assert.match(item(kids[16]).description, /^last op pid \d+ \(dead\)$/);
  });

  it('beyond the sets read with the refresh, a set is read when expanded and re-assessed with it', async function () {
    const restoreDetailSets = api.verdicts.setRefreshDetailSets(0);
    try {
      await refresh();
      const sems = await provider.children(await kind('Semaphore sets'));
      const setNode = sems.find((n) => n.ref === `sem:${ids.semValues}`);
      assert.equal(api.cachedSemDetail('local', ids.semValues), undefined, 'no detail before expanding');
      assert.equal(h.verdictOf(api, 'local', `sem:${ids.semValues}`).state, 'unknown');
      const three = await provider.children(setNode);
      assert.deepEqual(three.map(label), ['sem 0 = 1', 'sem 1 = 2', 'sem 2 = 3']);
      assert.equal(h.verdictOf(api, 'local', `sem:${ids.semValues}`).state, 'orphan', 'dead last-op pids, no waiters');
    } finally {
      restoreDetailSets();
    }
  });

  it('shows a live waiter in a set as live without expanding it', async function () {
    await h.startHolder('wait-sem', ids.semPrivate, 1);
    await refresh();
    assert.equal(h.verdictOf(api, 'local', `sem:${ids.semPrivate}`).state, 'live');
    const sems = await provider.children(await kind('Semaphore sets'));
    const kids = await provider.children(sems.find((n) => n.ref === `sem:${ids.semPrivate}`));
    assert.equal(label(kids[1]), 'sem 1 = 0');
    assert.match(item(kids[1]).description, /^1 waiting for >0, 0 for 0 · /);
  });

  it('drops a removed object after refresh and highlights one that appeared', async function () {
    h.removeSysv('msg', ids.msg);
    ids.newSem = h.make.semSet({ key: 0x5555, nsems: 1 });
    await refresh();
    assert.equal(label(await kind('Message queues')), 'Message queues 0/32,000');
    const st = h.stateOf(api, 'local');
    assert.deepEqual([...st.added], [`sem:${ids.newSem}`]);
    const sems = await provider.children(await kind('Semaphore sets'));
    const node = sems.find((n) => n.ref === `sem:${ids.newSem}`);
    const deco = api.tree.decoration(item(node).resourceUri);
    assert.ok(deco && deco.color instanceof vscode.ThemeColor, 'the new set is highlighted');
    assert.equal(deco.badge, 'N');
    assert.equal(deco.color.id, 'charts.blue', 'the dashboard\'s "appeared" blue, not the green of a live object');
    const old = sems.find((n) => n.ref === `sem:${ids.semValues}`);
    assert.equal(api.tree.decoration(item(old).resourceUri), undefined);
  });

  it('shows an error row (errno + hint) for a set that vanishes between listing and detail, and keeps working', async function () {
    const id = h.make.semSet({ key: 0x6666, nsems: 2 });
    // a set beyond those read with the refresh (its detail is read when expanded)
    const restoreDetailSets = api.verdicts.setRefreshDetailSets(0);
    try {
      await refresh();
    } finally {
      restoreDetailSets();
    }
    const sems = await provider.children(await kind('Semaphore sets'));
    const node = sems.find((n) => n.ref === `sem:${id}`);
    h.removeSysv('sem', id); // gone before anyone expands it
    const kids = await provider.children(node);
    assert.equal(kids.length, 1);
    const row = item(kids[0]);
    assert.match(label(kids[0]), /per-semaphore detail: .*(EINVAL|EIDRM)/);
    assert.equal(row.contextValue, 'message.error');
    assert.match(row.tooltip.value, /Refresh/);
    // the view goes on: the next refresh lists the remaining sets without it
    await refresh();
    const after = await provider.children(await kind('Semaphore sets'));
    assert.equal(after.some((n) => n.ref === `sem:${id}`), false);
    assert.ok(after.length >= 4);
  });

  it('groups a big kind into id ranges instead of one flat list', async function () {
    h.make.manySemSets({ n: 1200 });
    await refresh();
    const k = await kind('Semaphore sets');
    assert.equal(label(k), `Semaphore sets ${(1200 + 4).toLocaleString('en-US')}/32,000`);
    const groups = await provider.children(k);
    assert.deepEqual(groups.map((g) => item(g).contextValue), ['group.range', 'group.range', 'group.range']);
    assert.deepEqual(groups.map((g) => item(g).description), ['500', '500', '204']);
    assert.match(label(groups[0]), /^ids \d+ – \d+$/);
    const first = await provider.children(groups[0]);
    assert.equal(first.length, 500);
    // reveal an object deep in a group (getParent chain works)
    const node = await provider.findObjectNode('local', `sem:${ids.pg}`);
    assert.ok(node, 'the set is in the tree');
    await api.tree.reveal(node, { select: true, focus: false, expand: false });
    // the selection comes back from the workbench in its own message, after reveal() resolved
    await h.waitFor(() => api.tree.selection()[0] === node, 'the revealed row selected', 10000)
      .catch((e: Error) => { throw new Error(`${e.message}: selection ${api.tree.selection().map((n) => n.id).join(', ') || 'empty'}`); });
    h.removeAllObjects();
    await refresh();
  });

  it('lists every limit with used/limit/% and warns at >= 80 %', async function () {
    // a tiny SEMMNI in this private namespace: 4 of 5 sets = 80 %
    h.removeAllObjects();
    fs.writeFileSync('/proc/sys/kernel/sem', '250 32000 32 5');
    try {
      for (let i = 0; i < 4; i++) h.make.semSet({ key: 0x7000 + i, nsems: 2 });
      await refresh();
    } finally {
      fs.writeFileSync('/proc/sys/kernel/sem', savedSem);
    }
    const limits = await kind('Limits');
    assert.match(item(limits).description, /SEMMNI at >= 80%/);
    assert.equal(item(limits).iconPath.id, 'warning');
    const rows = await provider.children(limits);
    const semmni = rows.find((r) => label(r) === 'SEMMNI');
    assert.equal(item(semmni).description, '4/5 (80%)');
    assert.equal(item(semmni).iconPath.id, 'warning');
    assert.equal(item(semmni).contextValue, 'limit.warning');
    const semmns = rows.find((r) => label(r) === 'SEMMNS');
    assert.equal(item(semmns).description, '8/32,000 (<0.1%)');
    assert.equal(item(semmns).iconPath.id, 'circle-small');
  });

  it('renders in the workbench (DOM) and a screenshot of the view is kept', async function () {
    h.stopHolders();
    h.removeAllObjects();
    ids.shot1 = h.make.semSet({ key: 5432001, nsems: 17, values: [...Array(16).fill(1), 537] });
    ids.shot2 = h.make.semSet({ key: 0x1234, nsems: 4, values: [1, 1, 0, 0] });
    ids.shot3 = h.make.shm({ key: 0x2222, size: 1 << 20 });
    await h.startHolder('attach-shm', ids.shot3);
    h.make.msgQueue({ key: 0x4444 });
    h.make.posixSem({ name: '/orders', value: 1 });
    await refresh();
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    const resized = await h.bridge('resizeSidebar', { width: 620 });
    assert.ok(resized.ok && (resized.width ?? 0) > 500, JSON.stringify(resized));
    await vscode.commands.executeCommand('notifications.clearAll');
    for (const ref of [`sem:${ids.shot1}`, `shm:${ids.shot3}`]) {
      const n = await provider.findObjectNode('local', ref);
      assert.ok(n, `${ref} is in the tree`);
      await api.tree.reveal(n, { select: ref.startsWith('shm'), focus: false, expand: ref.startsWith('sem') });
    }
    const rows = await h.waitFor(async () => {
      const r = await h.bridge('query', { selector: '.monaco-list-row', frame: 'workbench' });
      return r.items.some((i) => (i.ariaLabel || '').includes(hex(5432001))) && r;
    }, 'the tree rows in the DOM', 15000);
    const texts = rows.items.map((i) => i.text);
    assert.ok(texts.some((l) => /Semaphore sets 2\/32,000/.test(l)), texts.join('\n'));
    assert.ok(texts.some((l) => /sem 16 = 537/.test(l)), 'the expanded set shows its semaphores');
    const file = await h.screenshot('workbench');
    assert.ok(fs.statSync(file).size > 10000, 'a real PNG');
    console.log(`    screenshot: ${file}`);
  });

  it('context menus follow the row kind (when-clauses on contextValue)', async function () {
    const menuFor = async (ref: string, labelPart: string): Promise<string[]> => {
      const n = await provider.findObjectNode('local', ref);
      assert.ok(n, `${ref} is in the tree`);
      await api.tree.reveal(n, { select: true, focus: true });
      const sel = `[id="workbench.view.extension.ipcExplorer"] .monaco-list-row[aria-label*="${labelPart}"]`;
      await h.waitFor(async () => (await h.bridge('query', { selector: sel, frame: 'workbench' })).found, `the row ${labelPart}`);
      assert.ok((await h.bridge('click', { selector: sel, button: 'right' })).ok);
      const items = await h.waitFor(async () => {
        const r = await h.bridge('query', { selector: '.monaco-menu .action-item:not(.disabled) .action-label', frame: 'workbench' });
        return r.found && r.items.map((i) => i.text).filter(Boolean);
      }, 'the context menu');
      await h.bridge('keys', { keys: ['Escape'] });
      console.log(`    menu of ${labelPart}: ${items.join(' | ')}`);
      return items;
    };
    const semMenu = await menuFor(`sem:${ids.shot2}`, '0x00001234');
    for (const c of ['Inspect Object', 'Copy Key', 'Copy ID', 'Copy ipcrm Command']) assert.ok(semMenu.includes(c), `${c} in ${semMenu.join(', ')}`);
    const posixMenu = await menuFor('posixSem:/orders', '/orders');
    assert.ok(posixMenu.includes('Inspect Object'), posixMenu.join(', '));
    assert.ok(!posixMenu.includes('Copy Key') && !posixMenu.includes('Copy ipcrm Command'), `no key / ipcrm for POSIX: ${posixMenu.join(', ')}`);
  });
});

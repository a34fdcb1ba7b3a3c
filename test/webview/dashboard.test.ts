/**
 * The dashboard bundle in real headless Chromium, fed the seed scenario (ENOSPC with orphaned
 * PostgreSQL-like sets). The page comes from the extension's own HTML builder (same CSP, nonce, script);
 * the test stands in for VS Code's host (see harness.ts): it posts the messages the host would post and
 * reads what the webview posts back. Checks what a person sees, in light, dark and high-contrast themes,
 * with screenshots in test-artifacts/webview/.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assessSnapshot, verdictOptions } from '../../extension/domain/verdict';
import { formatTime } from '../../extension/shared/format';
import type { WebviewToHost } from '../../extension/shared/dashboardProtocol';
import { DEAD_POSTMASTER, seedSnapshot, snapshotMessage } from './fixtures';
import { dashboardSession, artifactPath, type DashboardPage, type Theme, pollPage } from './harness';
import { needs } from '../helpers/capabilities';

const chromium = needs('chromium');

const session = dashboardSession(chromium.ready);

async function seeded(theme: Theme): Promise<DashboardPage> {
  const d = await session.open(theme);
  await d.send(snapshotMessage(seedSnapshot()));
  await d.page.waitForSelector('svg.semmap g.cell');
  return d;
}

async function noErrors(d: DashboardPage): Promise<void> {
  assert.deepEqual(await d.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(d.consoleErrors, [], 'no console errors');
}

describe('dashboard webview (seed scenario)', () => {
  test('the page is the builder output: CSP with a nonce, one nonce\'d script, no inline script or style', chromium, () => {
    const html = session.served.html;
    const csp = (/http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '').replace(/&#39;/g, "'");
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]{24}'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0]!, /nonce="[^"]+" src="http:\/\/127\.0\.0\.1:\d+\/dist\/webview\/dashboard\.js"/);
    assert.doesNotMatch(html, /style=|<style|onclick=/);
  });

  test('says ready once, then shows which limit is full and what the orphans hold', chromium, async () => {
    const d = await seeded('dark');
    const posted = await d.posted();
    assert.deepEqual(posted.filter((m) => m.type === 'ready'), [{ type: 'ready', protocol: 1 }]);

    const semmns = d.page.locator('.cap-row[data-limit="semmns"]');
    assert.equal(await semmns.locator('.cap-value').textContent(), '340 / 340');
    assert.equal(await semmns.locator('.cap-pct').textContent(), '100 %');
    assert.match((await semmns.getAttribute('class')) ?? '', /level-full/);
    assert.match((await semmns.getAttribute('title')) ?? '', /kernel\.sem/, 'hover names the sysctl that raises it');
    assert.match((await semmns.getAttribute('title')) ?? '', /kern\.ipc\.semmns/, 'and the BSD name');
    assert.equal(await semmns.locator('.cap-orphan-text').textContent(), 'orphans hold 238 (70 % of used)');
    const semmni = d.page.locator('.cap-row[data-limit="semmni"]');
    assert.equal(await semmni.locator('.cap-value').textContent(), '16 / 128');
    assert.match((await semmni.getAttribute('class')) ?? '', /level-ok/);
    assert.equal(await d.page.locator('.cap-orphans').textContent(), '14 of 16 sets are orphans: recycling frees 238 of 340 semaphores');
    assert.match((await d.page.locator('.cap-full').textContent()) ?? '', /^SEMMNS is full \(340 \/ 340\).*ENOSPC/);
    // every limit the issue asks for has a gauge
    const names = await d.page.locator('.cap-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-limit')));
    for (const n of ['semmni', 'semmns', 'semmsl', 'semopm', 'shmmni', 'shmall', 'shmmax', 'msgmni', 'msgmnb', 'mq_queues_max']) {
      assert.ok(names.includes(n), `gauge for ${n}`);
    }
    assert.equal(await d.page.locator('.cap-row[data-limit="shmall"] .cap-value').textContent(), '64 MiB / 256 MiB');
    await noErrors(d);
    await d.page.close();
  });

  test('a segment of exactly SHMMAX is said apart from the full pools: no ENOSPC claim, no alert, what it refuses', chromium, async () => {
    const d = await seeded('light');
    const seed = seedSnapshot();
    const seg = { ...seed.shms[1]!, id: 9, segsz: seed.limits.shmmax! };
    await d.send(snapshotMessage({ ...seed, takenAt: seed.takenAt + 1000, shms: [...seed.shms, seg] }));
    await pollPage(d.page, "document.querySelectorAll('.cap-maximum').length === 1");
    assert.equal(await d.page.locator('.cap-full').textContent(), 'SEMMNS is full (340 / 340): new objects fail with ENOSPC');
    assert.equal(await d.page.locator('.cap-full').getAttribute('role'), 'alert');
    assert.equal(await d.page.locator('.cap-maximum').textContent(), 'SHMMAX reached by the largest segment: id 9 (128 MiB / 128 MiB): a larger segment fails with EINVAL');
    assert.equal(await d.page.locator('.cap-maximum').getAttribute('role'), null);
    // read in order: the full pools, the maximum reached, then what the orphans hold
    const order = await d.page.locator('.cap-headline > div').evaluateAll((els) => els.map((e) => e.className));
    assert.deepEqual(order.slice(0, 3), ['cap-full', 'cap-maximum', 'cap-orphans']);
    // SEMMNS raised: no pool is full, so no ENOSPC line; the maximum stays said
    await d.send(snapshotMessage({ ...seed, takenAt: seed.takenAt + 2000, shms: [...seed.shms, seg], limits: { ...seed.limits, semmns: 32000 } }));
    await pollPage(d.page, "document.querySelectorAll('.cap-full').length === 0");
    assert.equal(await d.page.locator('.cap-maximum').count(), 1);
    await noErrors(d);
    await d.page.close();
  });

  test('orphans are coloured as orphans, grouped apart from the live application', chromium, async () => {
    const d = await seeded('light');
    const orphanCells = d.page.locator('svg.semmap g.cell.state-orphan');
    assert.equal(await orphanCells.count(), 14);
    assert.equal(await d.page.locator('svg.semmap g.cell.state-live').count(), 2);
    const first = d.page.locator('svg.semmap g.cell[data-ref="sem:0"]');
    assert.match((await first.getAttribute('aria-label')) ?? '', /0x0052e2c1 id 0, 17 semaphores, orphan.*PostgreSQL/);
    // the computed fill is the theme's orphan colour (charts-orange), not the live one
    const fills = await d.page.evaluate(`(() => {
      const f = (sel) => getComputedStyle(document.querySelector(sel + ' rect.box')).fill;
      return { orphan: f('g.cell[data-ref="sem:0"]'), live: f('g.cell[data-ref="sem:14"]') };
    })()`) as { orphan: string; live: string };
    assert.equal(fills.orphan, 'rgb(209, 134, 22)');
    assert.equal(fills.live, 'rgb(56, 138, 52)');
    const groups = await d.page.locator('svg.semmap text.group-title').allTextContents();
    assert.equal(groups.length, 2);
    assert.match(groups[0]!, /^PostgreSQL.*14 sets, 238 semaphores, 14 orphans/);
    assert.match(groups[1]!, /^uid 1000: 2 sets, 102 semaphores$/);
    await d.page.screenshot({ path: artifactPath('dashboard-light.png'), fullPage: true });
    await noErrors(d);
    await d.page.close();
  });

  test('a click opens the detail pane with every field and each semaphore; actions only ask the host', chromium, async () => {
    const d = await seeded('dark');
    await d.page.locator('svg.semmap g.cell[data-ref="sem:2"]').click();
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    assert.equal(await d.page.locator('#detail-title').textContent(), 'Semaphore set 0x0052e2c3 (id 2)');
    const fields = Object.fromEntries(
      (await d.page.locator('dl.fields .field').evaluateAll((els) => els.map((e) => [e.querySelector('dt')!.textContent, e.querySelector('dd')!.textContent]))) as [string, string][],
    );
    assert.equal(fields.key, '0x0052e2c3');
    assert.equal(fields.nsems, '17');
    assert.equal(fields.mode, '0600 rw-------');
    assert.ok(fields['changed (ctime)']!.startsWith(`${formatTime(seedSnapshot().sems[2]!.ctime)} (3d`), fields['changed (ctime)']);
    let posted = await d.posted();
    assert.deepEqual(posted.slice(-2), [
      { type: 'selectObject', ref: 'sem:2' },
      { type: 'requestDetail', kind: 'sem', id: 2 },
    ]);
    // the host answers with GETPID/GETNCNT/GETZCNT
    const set = seedSnapshot().sems[2]!;
    await d.send({ type: 'detail', kind: 'sem', id: 2, elems: set.elems! });
    await d.page.waitForSelector('table.sems tbody tr');
    const rows = await d.page.locator('table.sems tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(rows.length, 17);
    assert.deepEqual(rows[16], ['16', '537', '0', '0', `${DEAD_POSTMASTER} (dead)`]);
    assert.match((await d.page.locator('.verdict').textContent()) ?? '', /^orphan · recyclable · PostgreSQL/);

    await d.page.locator('.act-recycle').click();
    await d.page.locator('.act-copy-key').click();
    await d.page.locator('.act-inspect').click();
    posted = await d.posted();
    const tail: WebviewToHost[] = posted.slice(-3);
    assert.deepEqual(tail, [
      { type: 'requestRecycle', kind: 'sem', id: 2, key: set.key, ctime: set.ctime },
      { type: 'copy', ref: 'sem:2', what: 'key' },
      { type: 'inspect', ref: 'sem:2' },
    ]);
    assert.match((await d.page.locator('.status').textContent()) ?? '', /asks you to confirm/);
    await d.page.screenshot({ path: artifactPath('dashboard-dark-detail.png'), fullPage: true });
    await noErrors(d);
    await d.page.close();
  });

  test('keyboard: Tab reaches the map, arrows move between sets, Enter opens the detail', chromium, async () => {
    const d = await seeded('high-contrast');
    // Tab from the top of the page until the focus lands in the map: its one tab stop is the first set
    await d.page.locator('vscode-textfield.filter').click();
    let ref: unknown = null;
    for (let i = 0; i < 40 && !ref; i++) {
      await d.page.keyboard.press('Tab');
      ref = await d.page.evaluate('document.activeElement && document.activeElement.getAttribute("data-ref")');
    }
    assert.equal(ref, 'sem:0');
    await d.page.keyboard.press('ArrowRight');
    await d.page.keyboard.press('ArrowRight');
    const focused = await d.page.evaluate('document.activeElement && document.activeElement.getAttribute("data-ref")');
    assert.equal(focused, 'sem:2');
    const tabStops = await d.page.locator('svg.semmap g.cell[tabindex="0"]').count();
    assert.equal(tabStops, 1, 'one tab stop for the whole map (roving tabindex)');
    await d.page.keyboard.press('Enter');
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    assert.equal(await d.page.locator('#detail-title').textContent(), 'Semaphore set 0x0052e2c3 (id 2)');
    await d.page.keyboard.press('Escape');
    await d.page.waitForSelector('aside.detail.hidden', { state: 'attached' });
    // every map cell and every gauge has an accessible name
    const unnamed = await d.page.locator('svg.semmap g.cell:not([aria-label]), .cap-row:not([aria-label])').count();
    assert.equal(unnamed, 0);
    await d.page.screenshot({ path: artifactPath('dashboard-high-contrast.png'), fullPage: true });
    await noErrors(d);
    await d.page.close();
  });

  test('filter narrows the map, is persisted with setState and restored after a reload', chromium, async () => {
    const d = await seeded('dark');
    await d.page.locator('vscode-textfield.filter').click();
    await d.page.keyboard.type('state:live');
    await pollPage(d.page, 'document.querySelectorAll("svg.semmap g.cell").length === 2');
    assert.deepEqual(await d.page.locator('svg.semmap g.cell').evaluateAll((els) => els.map((e) => e.getAttribute('data-ref'))), ['sem:14', 'sem:15']);
    assert.ok((await d.posted()).some((m) => m.type === 'setFilter' && m.text === 'state:live'));
    // a reload is what VS Code does when a hidden webview comes back: UI state comes from getState
    await d.page.reload();
    await pollPage(d.page, '(window.__posted || []).some((m) => m.type === "ready")');
    await d.send(snapshotMessage(seedSnapshot()));
    await d.page.waitForSelector('svg.semmap g.cell');
    assert.equal(await d.page.locator('svg.semmap g.cell').count(), 2);
    assert.equal(await d.page.locator('vscode-textfield.filter').evaluate((el) => (el as unknown as { value: string }).value), 'state:live');
    await noErrors(d);
    await d.page.close();
  });

  test('live update: sets keep their element; appeared and vanished are marked for one cycle', chromium, async () => {
    const d = await seeded('dark');
    const before = await d.page.locator('svg.semmap g.cell[data-ref="sem:14"]').elementHandle();
    await d.page.evaluate('document.querySelector(\'g.cell[data-ref="sem:14"]\').dataset.marker = "same-node"');
    const next = seedSnapshot({ without: [0, 1], appearedSet: true });
    next.takenAt += 5000; // the next refresh
    const diff = { appeared: ['sem:90000'], vanished: ['sem:0', 'sem:1'], changed: [] };
    await d.send(snapshotMessage(next, diff));
    await d.page.waitForSelector('g.cell.change-appeared');
    assert.equal(await d.page.locator('g.cell[data-ref="sem:14"]').getAttribute('data-marker'), 'same-node', 'keyed join kept the element');
    assert.ok(before);
    assert.deepEqual(await d.page.locator('g.cell.change-vanished').evaluateAll((els) => els.map((e) => e.getAttribute('data-ref'))), ['sem:0', 'sem:1']);
    assert.deepEqual(await d.page.locator('g.cell.change-appeared').evaluateAll((els) => els.map((e) => e.getAttribute('data-ref'))), ['sem:90000']);
    assert.equal(await d.page.locator('.cap-orphans').textContent(), '12 of 15 sets are orphans: recycling frees 204 of 310 semaphores');
    await d.page.screenshot({ path: artifactPath('dashboard-dark-update.png'), fullPage: true });
    // the same refresh re-sent (detail arrived, verdicts re-assessed) keeps this cycle's marks
    const renders = Number(await d.page.evaluate('document.body.dataset.renders'));
    await d.send(snapshotMessage(next, diff));
    await d.waitForRenders(renders + 1);
    assert.equal(await d.page.locator('g.cell.change-vanished').count(), 2);
    assert.equal(await d.page.locator('g.cell.change-appeared').count(), 1);
    // the next refresh (a later takenAt) clears the marks
    const later = seedSnapshot({ without: [0, 1], appearedSet: true });
    later.takenAt += 10000;
    await d.send(snapshotMessage(later, { appeared: [], vanished: [], changed: [] }));
    await pollPage(d.page, 'document.querySelectorAll("g.cell.change-vanished, g.cell.change-appeared").length === 0');
    await noErrors(d);
    await d.page.close();
  });

  test('a host error before any snapshot is shown with errno, call and hint', chromium, async () => {
    const d = await session.open('light');
    assert.equal(await d.page.locator('.host-line').textContent(), 'Waiting for the first snapshot…');
    await d.send({ type: 'error', error: { code: 'ESSH', syscall: 'ssh', message: 'ssh db2: connection refused', hint: 'is sshd running on db2?' } });
    await pollPage(d.page, 'document.querySelector(".error-bar").textContent.length > 0');
    assert.equal(await d.page.locator('.error-bar').textContent(), 'ESSH (ssh): ssh db2: connection refused. is sshd running on db2?');
    await noErrors(d);
    await d.page.close();
  });

  test('focus from the tree\'s context menu opens that object; a detail error shows errno, call and hint', chromium, async () => {
    const d = await seeded('dark');
    await d.send({ type: 'focus', ref: 'sem:5' });
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    assert.equal(await d.page.locator('#detail-title').textContent(), 'Semaphore set 0x0052e2c6 (id 5)');
    assert.deepEqual((await d.posted()).slice(-2), [{ type: 'selectObject', ref: 'sem:5' }, { type: 'requestDetail', kind: 'sem', id: 5 }]);
    assert.match((await d.page.locator('.loading').textContent()) ?? '', /Loading per-semaphore detail/);
    await d.send({ type: 'detail', kind: 'sem', id: 5, error: { code: 'EACCES', syscall: 'semctl', op: 'GETPID', message: 'Permission denied', hint: 'no read permission on the set' } });
    await d.page.waitForSelector('.sem-error');
    assert.equal(await d.page.locator('.sem-error').textContent(), 'EACCES (semctl GETPID): Permission denied. no read permission on the set');
    // values from the snapshot (GETALL) stay readable
    assert.equal(await d.page.locator('table.sems tbody tr').nth(16).locator('td').nth(1).textContent(), '537');
    await noErrors(d);
    await d.page.close();
  });

  test('detail actions act on the object on screen: a live set first, then two orphans in turn', chromium, async () => {
    const d = await seeded('dark');
    const snap = seedSnapshot();
    const openSet = async (id: number): Promise<void> => {
      await d.page.locator(`svg.semmap g.cell[data-ref="sem:${id}"]`).click();
      await pollPage(d.page, `document.querySelector('#detail-title')?.textContent?.endsWith('(id ${id})')`);
    };
    // the first object opened is not recyclable: its Recycle… must not stay bound to it
    await openSet(14);
    assert.equal(await d.page.locator('.act-recycle').getAttribute('disabled'), '');
    for (const id of [9, 11, 4]) {
      await openSet(id);
      const set = snap.sems.find((s) => s.id === id)!;
      const before = (await d.posted()).length;
      await d.page.locator('.act-recycle').click();
      await d.page.locator('.act-inspect').click();
      await d.page.locator('.act-copy-key').click();
      await d.page.locator('.act-copy-id').click();
      const tail: WebviewToHost[] = (await d.posted()).slice(before);
      assert.deepEqual(tail, [
        { type: 'requestRecycle', kind: 'sem', id, key: set.key, ctime: set.ctime },
        { type: 'inspect', ref: `sem:${id}` },
        { type: 'copy', ref: `sem:${id}`, what: 'key' },
        { type: 'copy', ref: `sem:${id}`, what: 'id' },
      ], `actions while the pane shows set ${id}`);
    }
    // back to the live set: Recycle… asks nothing, Inspect names it
    await openSet(15);
    const before = (await d.posted()).length;
    await d.page.locator('.act-recycle').click({ force: true });
    await d.page.locator('.act-inspect').click();
    assert.deepEqual((await d.posted()).slice(before), [{ type: 'inspect', ref: 'sem:15' }]);
    await noErrors(d);
    await d.page.close();
  });

  test('recycle is offered only for provable orphans', chromium, async () => {
    const d = await seeded('dark');
    await d.page.locator('svg.semmap g.cell[data-ref="sem:14"]').click();
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    assert.match((await d.page.locator('.verdict').textContent()) ?? '', /^live/);
    assert.equal(await d.page.locator('.act-recycle').getAttribute('disabled'), '');
    await d.page.locator('.act-recycle').click({ force: true });
    assert.equal((await d.posted()).filter((m) => m.type === 'requestRecycle').length, 0);
    await noErrors(d);
    await d.page.close();
  });

  test('processes, shared memory and queues tabs', chromium, async () => {
    const d = await seeded('light');
    await d.page.locator('vscode-tab-header[data-tab="pids"]').click();
    await d.page.waitForSelector('.pids .pid');
    const dead = d.page.locator('.pid.pid-dead');
    assert.equal(await dead.count(), 1);
    assert.match((await dead.getAttribute('aria-label')) ?? '', new RegExp(`pid ${DEAD_POSTMASTER}, dead, 15 objects`));
    await d.page.screenshot({ path: artifactPath('dashboard-light-processes.png'), fullPage: true });
    await d.page.locator('vscode-tab-header[data-tab="shm"]').click();
    await d.page.waitForSelector('.body-shm .row');
    const shm = await d.page.locator('.body-shm .row .row-text').allTextContents();
    assert.deepEqual(shm, ['56 B · nattch 0 · 0 attachers', '64 MiB · nattch 2 · 2 attachers']);
    await d.page.locator('vscode-tab-header[data-tab="msg"]').click();
    await d.page.waitForSelector('.body-msg .row');
    assert.deepEqual(await d.page.locator('.body-msg .row .row-text').allTextContents(), ['12 KiB / 16 KiB (3 messages)']);
    await d.page.screenshot({ path: artifactPath('dashboard-light-queues.png'), fullPage: true });
    await noErrors(d);
    await d.page.close();
  });

  test('a snapshot is laid out once (the map\'s own height does not lay it out again); a new width lays it out again', chromium, async () => {
    const d = await session.open('dark');
    const frames = 'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50)))))';
    await d.page.evaluate(frames);
    const before = Number(await d.page.evaluate('document.body.dataset.renders || 0'));
    await d.send(snapshotMessage(seedSnapshot()));
    await d.waitForRenders(before + 1);
    await d.page.evaluate(frames);
    await d.page.evaluate(frames);
    assert.equal(Number(await d.page.evaluate('document.body.dataset.renders')), before + 1, 'one render for one snapshot');
    const width = await d.page.locator('svg.semmap').getAttribute('width');
    await d.page.setViewportSize({ width: 900, height: 900 });
    await pollPage(d.page, `document.querySelector('svg.semmap').getAttribute('width') !== ${JSON.stringify(width)}`);
    assert.ok(Number(await d.page.evaluate('document.body.dataset.renders')) > before + 1, 'the new width laid the map out again');
    await noErrors(d);
    await d.page.close();
  });

  test('32,000 sets: aggregated key-range cells, a click zooms to individual sets', chromium, async () => {
    const d = await session.open('dark');
    await d.send(snapshotMessage(seedSnapshot({ extraSets: 31_984 })));
    await d.page.waitForSelector('svg.semmap g.cell.agg');
    const cells = await d.page.locator('svg.semmap g.cell').count();
    assert.ok(cells > 0 && cells <= 16 + 5 * 48, `${cells} cells, not 32,000 nodes`);
    const counts = await d.page.locator('svg.semmap g.cell.agg .cell-label').allTextContents();
    const single = await d.page.locator('svg.semmap g.cell.set').count();
    assert.equal(counts.reduce((a, c) => a + Number.parseInt(c, 10), 0) + single, 32_000, 'the cells add up to every set');
    assert.equal(await d.page.locator('svg.semmap g.cell.set.state-orphan').count(), 14, 'the orphans stay visible one by one');
    assert.match((await d.page.locator('vscode-tab-header[data-tab="sems"]').textContent()) ?? '', /32000/);
    await d.page.screenshot({ path: artifactPath('dashboard-dark-32000.png'), fullPage: true });
    // Enter on the first uid cell zooms: its filter shows that cell's sets one by one
    const cell = d.page.locator('svg.semmap g.cell.agg').first();
    const n = Number.parseInt((await cell.locator('.cell-label').textContent()) ?? '', 10);
    await cell.focus();
    await d.page.keyboard.press('Enter');
    await pollPage(d.page, `document.querySelectorAll("svg.semmap g.cell.set").length === ${n}`);
    assert.match(await d.page.locator('vscode-textfield.filter').evaluate((el) => (el as unknown as { value: string }).value), /^uid:\d+ key:0x[0-9a-f]{8}-0x[0-9a-f]{8}$/);
    // above 1,500 sets the host leaves sets' reasons out of the snapshot; they come with the set's detail
    await d.page.locator('vscode-textfield.filter').click();
    await d.page.keyboard.press('Control+A');
    await d.page.keyboard.type('id:0');
    await pollPage(d.page, 'document.querySelectorAll("svg.semmap g.cell.set").length === 1');
    await d.page.locator('svg.semmap g.cell[data-ref="sem:0"]').click();
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    assert.equal(await d.page.locator('ul.reasons li').count(), 0);
    const big = seedSnapshot({ extraSets: 31_984 });
    const full = assessSnapshot(big, verdictOptions(), big.takenAt / 1000).get('sem:0')!;
    await d.send({ type: 'detail', kind: 'sem', id: 0, elems: big.sems[0]!.elems!, verdict: full });
    await pollPage(d.page, 'document.querySelectorAll("ul.reasons li").length > 0');
    assert.deepEqual(await d.page.locator('ul.reasons li').allTextContents(), full.reasons);
    await noErrors(d);
    await d.page.close();
  });
});

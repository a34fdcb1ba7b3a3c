/**
 * The dashboard's next actions, keyboard and formatting, in real headless Chromium (the harness stands in
 * for VS Code's host, see harness.ts): the headline's Recycle orphans… button and its "not yet" countdown,
 * one tab stop per region with arrow keys inside the gauges, Escape back to the map cell, keys and sizes
 * formatted as everywhere else, dismissable warnings. Screenshots of each theme in test-artifacts/webview/.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assessSnapshot, verdictOptions } from '../../extension/domain/verdict';
import { formatTimestamp } from '../../extension/shared/format';
import type { IpcSnapshot, SemSet, Verdict } from '../../extension/shared/model';
import { type HostToWebview } from '../../extension/shared/dashboardProtocol';
import { capacityRowsFor } from '../../extension/domain/capacityRows';
import { seedSnapshot } from './fixtures';
import { dashboardSession, artifactPath, pollPage, type DashboardPage, type Theme } from './harness';

const session = dashboardSession();

function message(snapshot: IpcSnapshot, patch?: (v: Verdict) => Verdict): HostToWebview {
  const verdicts = assessSnapshot(snapshot, verdictOptions(), snapshot.takenAt / 1000);
  if (patch) for (const [ref, v] of verdicts) verdicts.set(ref, patch(v));
  return { type: 'snapshot', host: snapshot.host, takenAt: snapshot.takenAt, snapshot, verdicts: [...verdicts.values()], capacity: capacityRowsFor(snapshot), diff: null };
}

async function seeded(theme: Theme, snapshot = seedSnapshot()): Promise<DashboardPage> {
  const d = await session.open(theme);
  await d.send(message(snapshot));
  await d.page.waitForSelector('svg.semmap g.cell');
  return d;
}

const active = (d: DashboardPage): Promise<string> =>
  d.page.evaluate(`(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return 'body';
    return e.tagName.toLowerCase() + (e.getAttribute('class') ? '.' + e.getAttribute('class').trim().split(/\\s+/)[0] : '') +
      (e.dataset.ref ? '[' + e.dataset.ref + ']' : '') + (e.dataset.limit ? '[' + e.dataset.limit + ']' : '');
  })()`) as Promise<string>;

async function noErrors(d: DashboardPage): Promise<void> {
  assert.deepEqual(await d.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(d.consoleErrors, [], 'no console errors');
}

describe('dashboard: next actions, keyboard, formatting', () => {
  test('the headline offers Recycle orphans…; a click only asks the host (validated message, guarded command)', async () => {
    const d = await seeded('dark');
    assert.equal(await d.page.locator('.cap-orphans').textContent(), '14 of 16 sets are orphans: recycling frees 238 of 340 semaphores');
    const button = d.page.locator('.cap-headline .act-recycle-orphans');
    assert.equal(await button.count(), 1, 'a Recycle orphans… button next to what it frees');
    assert.equal(await button.textContent(), 'Recycle orphans…');
    assert.equal(await button.getAttribute('disabled'), null);
    assert.match((await button.getAttribute('title')) ?? '', /asks you to confirm/);
    await button.click();
    const posted = await d.posted();
    assert.deepEqual(posted.at(-1), { type: 'requestRecycleOrphans' });
    await d.page.screenshot({ path: artifactPath('ux-dark-recycle-offer.png'), fullPage: true });
    await noErrors(d);
    await d.page.close();
  });

  test('orphans younger than the minimum age: the headline says when they become recyclable, and counts down', async () => {
    const snap = seedSnapshot();
    const d = await session.open('light');
    // the host's verdicts right after a crash: orphaned 52 s ago, the minimum age is 60 s
    const msg = message(snap, (v) =>
      v.state === 'orphan' && v.ref.startsWith('sem:')
        ? { ...v, recyclable: false, orphanForSeconds: 52, reasons: [...v.reasons.filter((r) => !r.startsWith('not recyclable')), 'not recyclable: orphaned for 52s, less than minOrphanAgeSeconds = 60 s'] }
        : v.state === 'orphan' ? { ...v, recyclable: false, reasons: [...v.reasons, 'not recyclable: matches an ignore rule'] } : v,
    ) as Extract<HostToWebview, { type: 'snapshot' }>;
    // the verdicts are as of now
    msg.snapshot.takenAt = msg.takenAt = Date.now();
    await d.send(msg);
    await d.page.waitForSelector('.cap-pending');
    const text = (await d.page.locator('.cap-pending').textContent()) ?? '';
    const m = /^14 PostgreSQL sets become recyclable in (\d)s$/.exec(text);
    assert.ok(m, `says when: ${JSON.stringify(text)}`);
    assert.ok(Number(m[1]) >= 7 && Number(m[1]) <= 8, text);
    assert.equal(await d.page.locator('.act-recycle-orphans').getAttribute('disabled'), null, 'the button stays: the host offers Retry');
    // the countdown moves with the clock (one re-render a second)
    await pollPage(d.page, `/in [0-${Number(m[1]) - 1}]s$/.test(document.querySelector('.cap-pending').textContent)`, 4000);
    await d.page.screenshot({ path: artifactPath('ux-light-pending.png'), fullPage: true });
    await noErrors(d);
    await d.page.close();
  });

  test('keyboard: one tab stop per region; the gauges are one stop with arrow keys; Escape returns to the map cell', async () => {
    const d = await seeded('high-contrast');
    await d.page.locator('vscode-textfield.filter').click();
    const stops: string[] = [];
    for (let i = 0; i < 40; i++) {
      await d.page.keyboard.press('Tab');
      const a = await active(d);
      stops.push(a);
      if (a.includes('[sem:')) break;
    }
    assert.ok(stops.at(-1)!.includes('[sem:0]'), `Tab reaches the map: ${stops.join(' → ')}`);
    const gauges = stops.filter((s) => s.includes('cap-row'));
    assert.equal(gauges.length, 1, `the 11 gauges are one tab stop: ${stops.join(' → ')}`);
    assert.ok(stops.length <= 6, `filter → Refresh → Recycle orphans… → gauges → tabs → map, not ${stops.length}: ${stops.join(' → ')}`);

    // inside the gauges, arrows move; Tab leaves the group from wherever the focus is
    await d.page.locator('.cap-row[data-limit="semmni"]').focus();
    await d.page.keyboard.press('ArrowRight');
    assert.equal(await active(d), 'div.cap-row[semmns]');
    await d.page.keyboard.press('End');
    assert.equal(await active(d), 'div.cap-row[mq_queues_max]');
    await d.page.keyboard.press('Home');
    await d.page.keyboard.press('ArrowRight');
    assert.equal(await d.page.locator('.cap-row[tabindex="0"]').count(), 1);
    assert.equal(await d.page.locator('.cap-row[tabindex="0"]').getAttribute('data-limit'), 'semmns', 'the group remembers where you were');

    // Enter on a set opens its detail; Escape closes it and the focus is back on that set
    await d.page.locator('svg.semmap g.cell[data-ref="sem:0"]').focus();
    await d.page.keyboard.press('ArrowRight');
    await d.page.keyboard.press('ArrowRight');
    assert.equal(await active(d), 'g.cell[sem:2]');
    await d.page.keyboard.press('Enter');
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    await pollPage(d.page, 'document.activeElement && document.activeElement.id === "detail-title"');
    await d.page.keyboard.press('Escape');
    await d.page.waitForSelector('aside.detail.hidden', { state: 'attached' });
    assert.equal(await active(d), 'g.cell[sem:2]', 'focus returns to the cell the detail came from');
    assert.equal(await d.page.locator('svg.semmap g.cell[tabindex="0"]').getAttribute('data-ref'), 'sem:2');
    // the Close button does the same
    await d.page.keyboard.press('Enter');
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    await d.page.locator('.detail-close').click();
    await d.page.waitForSelector('aside.detail.hidden', { state: 'attached' });
    assert.equal(await active(d), 'g.cell[sem:2]');
    await d.page.screenshot({ path: artifactPath('ux-high-contrast-keyboard.png'), fullPage: true });
    await noErrors(d);
    await d.page.close();
  });

  test('keys look the same everywhere: 0x00005555 is never drawn as its set size; sizes and times in one format', async () => {
    const snap = seedSnapshot();
    const small: SemSet = { ...snap.sems[14]!, id: 40, key: 0x5555, nsems: 2, values: [0, 1], elems: undefined };
    snap.sems.push(small);
    snap.usage.semSets++;
    snap.usage.semTotal += 2;
    snap.limits.semmns! += 2;
    snap.shms[1]!.segsz = 1114112;
    snap.warnings.push('attachers: /proc/PID/maps of 1 process (pid 812 (sshd)) not readable (run as root to see every attacher); its attachments are not counted');
    const d = await seeded('light', snap);
    const label = await d.page.locator('svg.semmap g.cell[data-ref="sem:40"] .cell-label').textContent();
    assert.notEqual(label, '2', 'a 2-semaphore set is not labelled "2"');
    assert.match(label ?? '', /^(0x00005555|…5555|…55)$/, 'the key, or its tail after an ellipsis');
    const big = await d.page.locator('svg.semmap g.cell[data-ref="sem:0"] .cell-label').textContent();
    assert.equal(big, '0x0052e2c1', 'the key as the tree and the detail print it, leading zeros kept');
    // times: the host line and the detail use the one format (local time with its offset)
    assert.equal(await d.page.locator('.host-line').textContent(), `local (db1) · linux 6.18.0 · source fixture · taken ${formatTimestamp(snap.takenAt)}`);
    await d.page.locator('vscode-tab-header[data-tab="shm"]').click();
    await d.page.locator('.body-shm .row[data-ref="shm:7"]').click();
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    const fields = Object.fromEntries(
      (await d.page.locator('dl.fields .field').evaluateAll((els) => els.map((e) => [e.querySelector('dt')!.textContent, e.querySelector('dd')!.textContent]))) as [string, string][],
    );
    assert.equal(fields.size, '1.06 MiB (1,114,112 bytes)');
    assert.equal(fields.key, '0x1e240010');
    assert.match(fields['changed (ctime)']!, new RegExp(`^${formatTimestamp((snap.shms[1]!.ctime) * 1000).replace('+', '\\+')} \\(`));
    assert.equal(await d.page.locator('.body-shm .row[data-ref="shm:7"] .row-key').textContent(), '0x1e240010 · id 7');
    // the unreadable-maps warning names the pid and can be dismissed
    const warning = d.page.locator('.warnings .warning');
    assert.equal(await warning.count(), 1);
    assert.match((await warning.locator('.warning-text').textContent()) ?? '', /pid 812 \(sshd\)/);
    await warning.locator('.warning-dismiss').click();
    await pollPage(d.page, 'document.querySelectorAll(".warnings .warning").length === 0');
    // a re-sent snapshot with the same warning does not bring it back
    const renders = Number(await d.page.evaluate('document.body.dataset.renders'));
    await d.send(message(snap));
    await d.waitForRenders(renders + 1);
    assert.equal(await d.page.locator('.warnings .warning').count(), 0);
    await d.page.screenshot({ path: artifactPath('ux-light-formatting.png'), fullPage: true });
    await noErrors(d);
    await d.page.close();
  });

  test('keyboard: a list is one tab stop too; Escape from a row\'s detail returns to that row', async () => {
    const d = await seeded('dark');
    await d.page.locator('vscode-tab-header[data-tab="shm"]').click();
    await d.page.waitForSelector('.body-shm .row');
    assert.equal(await d.page.locator('.body-shm .row[tabindex="0"]').count(), 1, 'one tab stop for the list');
    await d.page.locator('.body-shm .row[tabindex="0"]').focus();
    assert.equal(await active(d), 'div.row[shm:3]');
    await d.page.keyboard.press('ArrowDown');
    assert.equal(await active(d), 'div.row[shm:7]');
    assert.equal(await d.page.locator('.body-shm .row[tabindex="0"]').getAttribute('data-ref'), 'shm:7');
    await d.page.keyboard.press('Enter');
    await d.page.waitForSelector('aside.detail:not(.hidden)');
    await d.page.keyboard.press('Escape');
    await d.page.waitForSelector('aside.detail.hidden', { state: 'attached' });
    assert.equal(await active(d), 'div.row[shm:7]');
    await noErrors(d);
    await d.page.close();
  });

  test('the header says how old the data on screen is and keeps counting; the age is not a live region', async () => {
    const snap = seedSnapshot();
    snap.takenAt = Date.now() - 302_000;
    const d = await seeded('dark', snap);
    const age = d.page.locator('.snapshot-age');
    const first = (await age.textContent()) ?? '';
    assert.match(first, /^snapshot taken 5m \d+s ago$/);
    // the next tick (every 5 s) rewrites it with the time that passed, without a new snapshot
    await pollPage(d.page, `document.querySelector('.snapshot-age').textContent !== ${JSON.stringify(first)}`, 15_000);
    assert.match((await age.textContent()) ?? '', /^snapshot taken 5m \d+s ago$/);
    assert.equal(await d.page.evaluate(`document.querySelector('.snapshot-age').closest('[aria-live]') === null`), true, 'not announced at every tick');
    await noErrors(d);
    await d.page.close();
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as Theme[]) {
    test(`screenshot: dashboard with the detail open, ${theme}`, async () => {
      const d = await seeded(theme);
      await d.page.locator('svg.semmap g.cell[data-ref="sem:3"]').click();
      await d.page.waitForSelector('aside.detail:not(.hidden)');
      await d.send({ type: 'detail', kind: 'sem', id: 3, elems: seedSnapshot().sems[3]!.elems! });
      await d.page.waitForSelector('table.sems tbody tr');
      // every text the theme draws is readable: no element's colour equals its background's
      await d.page.screenshot({ path: artifactPath(`ux-dashboard-${theme}.png`), fullPage: true });
      await noErrors(d);
      await d.page.close();
    });
  }
});

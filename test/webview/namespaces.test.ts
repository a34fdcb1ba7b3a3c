/**
 * The dashboard's namespace picker and "shared memory and semaphores by container" view in real headless
 * Chromium (the page from the extension's HTML builder; the test stands in for the host and posts what it
 * would: a `namespaces` message built by the same domain function from snapshots). Checks the bars against
 * each namespace's own limits and /dev/shm, that a hostile container name is text (no markup, no second
 * line), that choosing a namespace posts a `selectNamespace` (by inode) the host's validator accepts, and that the view
 * is hidden with one namespace. Screenshots in light and dark themes under test-artifacts/webview/.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { namespaceItem } from '../../extension/domain/namespaceSummary';
import { isWebviewToHost, type HostToWebview, type NamespaceItem } from '../../extension/shared/dashboardProtocol';
import type { IpcSnapshot } from '../../extension/shared/model';
import { seedSnapshot, snapshotMessage } from './fixtures';
import { dashboardSession, artifactPath, type Theme } from './harness';
import { needs } from '../helpers/capabilities';

const chromium = needs('chromium');
const session = dashboardSession(chromium.ready);

const MiB = 1024 * 1024;
const DOCKER_HOST = 'local:ipc:[4026532181] docker 2403ccfe427f · postgres';
const HOSTILE = 'machine evil\n<img src=x onerror="window.__pwned=1">\u202etxt.exe';
const HOSTILE_HOST = `local:ipc:[4026532190] ${HOSTILE}`;

/** a container's snapshot: 17-semaphore sets against its own SEMMNI 7, 61 MiB of its 64 MiB /dev/shm */
function containerSnapshot(): IpcSnapshot {
  const s = seedSnapshot();
  s.sems = s.sems.slice(0, 6);
  s.usage = { ...s.usage, semSets: 6, semTotal: 6 * 17 };
  s.limits = { ...s.limits, semmni: 7, semmns: 32000 };
  s.devShm = { path: '/proc/4242/root/dev/shm', size: 64 * MiB, used: 61 * MiB, avail: 3 * MiB, fsType: 'tmpfs' };
  return s;
}

function items(): NamespaceItem[] {
  const host = seedSnapshot();
  host.devShm = { path: '/dev/shm', size: 8192 * MiB, used: 3 * MiB, avail: 8189 * MiB, fsType: 'tmpfs' };
  return [
    namespaceItem({ ns: 'ipc:[4026531839]', label: 'host', initial: true, own: true }, 'local', { snapshot: host }),
    namespaceItem({ ns: 'ipc:[4026532181]', label: 'docker 2403ccfe427f · postgres', initial: false, own: false }, DOCKER_HOST, { snapshot: containerSnapshot() }),
    namespaceItem({ ns: 'ipc:[4026532190]', label: HOSTILE, initial: false, own: false }, HOSTILE_HOST, { snapshot: containerSnapshot() }),
    namespaceItem({ ns: 'ipc:[4026532199]', label: 'podman 8f1c2a3b4c5d · sleep', initial: false, own: false }, 'local:ipc:[4026532199] podman 8f1c2a3b4c5d · sleep', {
      error: { code: 'ENOENT', message: "its processes exited: the namespace is gone" },
    }),
    namespaceItem({ ns: 'ipc:[4026532200]', label: 'lxc web', initial: false, own: false, reason: 'entering another IPC namespace needs CAP_SYS_ADMIN (run as root, or with sudo)' }, null),
  ];
}

async function shown(theme: Theme) {
  const d = await session.open(theme);
  const msg: HostToWebview = { type: 'namespaces', current: 'local', items: items() };
  await d.send(msg);
  await d.send(snapshotMessage(seedSnapshot()));
  await d.page.waitForSelector('section.namespaces:not(.hidden) .ns-row');
  return d;
}

describe('dashboard: IPC namespaces (containers)', () => {
  test('one row per namespace with three bars against its own limits and /dev/shm; hostile names are text', chromium, async () => {
    const d = await shown('dark');
    assert.equal(await d.page.locator('section.namespaces h2').textContent(), 'Shared memory and semaphores by container');
    const rows = d.page.locator('.ns-row');
    assert.equal(await rows.count(), 5);
    const names = await d.page.locator('.ns-name').allTextContents();
    assert.deepEqual(names.slice(0, 2), ['host', 'docker 2403ccfe427f · postgres']);
    // the container's name as text, its newline and bidi override escaped; no element was made from it
    assert.equal(names[2], 'machine evil\\x0a<img src=x onerror="window.__pwned=1">\\u{202e}txt.exe');
    assert.equal(await d.page.locator('section.namespaces img').count(), 0);
    assert.equal(await d.page.evaluate('window.__pwned === undefined'), true);
    // the host's row is the one shown (current), marked
    const host = d.page.locator('.ns-row[data-ns="ipc:[4026531839]"]');
    assert.match((await host.getAttribute('class')) ?? '', /\bcurrent\b/);
    assert.equal(await host.locator('.ns-note').textContent(), "machine's own · IPC Explorer runs here · 16 sem · 2 shm · 1 msg · 0 POSIX");
    // the container: SEMMNI 6 of its own 7 (86 %: warn, at >= 80 %), its own 64 MiB /dev/shm at 95 % (critical)
    const docker = d.page.locator('.ns-row[data-ns="ipc:[4026532181]"]');
    const sem = docker.locator('.ns-bar[data-what="sem"]');
    assert.equal(await sem.locator('.cap-value').textContent(), 'SEMMNI 6 / 7');
    assert.equal(await sem.locator('.cap-pct').textContent(), '86 %');
    assert.match((await sem.getAttribute('class')) ?? '', /level-warn/);
    const dev = docker.locator('.ns-bar[data-what="devShm"]');
    assert.equal(await dev.locator('.cap-value').textContent(), '61 MiB / 64 MiB');
    assert.equal(await dev.locator('.cap-pct').textContent(), '95 %');
    assert.match((await dev.getAttribute('class')) ?? '', /level-critical/);
    assert.equal(await dev.getAttribute('aria-valuenow'), '95');
    const shm = docker.locator('.ns-bar[data-what="shm"]');
    assert.equal(await shm.locator('.cap-value').textContent(), '64 MiB / 256 MiB');
    // the bar's width is its fraction of that namespace's own limit
    const w = await dev.locator('.cap-used').evaluate((e) => (e as unknown as { style: { width: string } }).style.width);
    assert.equal(w, '95.31%');
    // a namespace whose refresh failed, and one that cannot be read, say so and draw no bars
    const gone = d.page.locator('.ns-row[data-ns="ipc:[4026532199]"]');
    assert.equal(await gone.locator('.ns-problem').textContent(), "refresh failed: ENOENT: its processes exited: the namespace is gone");
    assert.equal(await gone.locator('.ns-bar').count(), 0);
    const locked = d.page.locator('.ns-row[data-ns="ipc:[4026532200]"]');
    assert.match((await locked.locator('.ns-problem').textContent()) ?? '', /^not read: entering another IPC namespace needs CAP_SYS_ADMIN/);
    assert.equal(await locked.locator('.ns-name').isDisabled(), true);
    assert.deepEqual(await d.cspViolations(), []);
    assert.deepEqual(d.consoleErrors, []);
  });

  test('choosing a namespace (its name, or the picker) posts selectNamespace by its inode, which the host validator accepts', chromium, async () => {
    const d = await shown('light');
    await d.page.locator('.ns-row[data-ns="ipc:[4026532181]"] .ns-name').click();
    const picker = d.page.locator('select.ns-picker');
    assert.equal(await picker.isVisible(), true);
    const options = await picker.locator('option').allTextContents();
    assert.equal(options.length, 5);
    assert.equal(options[4], 'lxc web (cannot be read)');
    assert.equal(await picker.locator('option').nth(4).isDisabled(), true);
    await picker.selectOption('ipc:[4026532190]');
    const posted = (await d.posted()).filter((m) => m.type === 'selectNamespace');
    // by inode, never by the (container's) label: a hostile name selects like any other
    assert.deepEqual(posted, [
      { type: 'selectNamespace', ns: 'ipc:[4026532181]' },
      { type: 'selectNamespace', ns: 'ipc:[4026532190]' },
    ]);
    for (const m of posted) assert.equal(isWebviewToHost(m), true);
    // the host answers with the new namespace shown: the row follows
    await d.send({ type: 'namespaces', current: DOCKER_HOST, items: items() });
    await d.page.waitForSelector('.ns-row.current[data-ns="ipc:[4026532181]"]');
    assert.equal(await picker.inputValue(), 'ipc:[4026532181]');
  });

  test('with one namespace visible there is no picker and no per-container view', chromium, async () => {
    const d = await session.open('light');
    await d.send({ type: 'namespaces', current: 'local', items: [] });
    await d.send(snapshotMessage(seedSnapshot()));
    await d.page.waitForSelector('svg.semmap g.cell');
    assert.equal(await d.page.locator('section.namespaces').isVisible(), false);
    assert.equal(await d.page.locator('select.ns-picker').isVisible(), false);
  });

  for (const theme of ['light', 'dark'] as const) {
    test(`screenshot of the per-container view (${theme})`, chromium, async () => {
      const d = await shown(theme);
      const file = artifactPath(`namespaces-${theme}.png`);
      await d.page.locator('header.top').evaluate(() => undefined);
      await d.page.screenshot({ path: file, clip: { x: 0, y: 0, width: 1280, height: 620 } });
      assert.ok((await import('node:fs')).statSync(file).size > 10_000);
    });
  }
});

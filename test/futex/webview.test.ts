// The futex visualizer bundle (dist/webview/futex.js) in headless Chromium, served under the same CSP the
// extension uses (extension/webviews/webviewHtml.ts) from a server that exposes only dist/ and media/. VS Code's
// host side cannot run here: an init script stands in for acquireVsCodeApi (recording posted messages) and
// sets a few --vscode-* theme variables; host messages are delivered with window.postMessage as VS Code does.
// (The same panel in a real VS Code is covered by the integration suite.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildWebviewHtml, type UriLike } from '../../extension/webviews/webviewHtml';
import { liveLibc, scenarioFromLive } from '../../extension/domain/futex';
import type { FutexHostToWebview } from '../../extension/shared/futexProtocol';
import { chromiumPath, needs } from '../helpers/capabilities';

const browserCap = needs('chromium');

const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

class FileUri implements UriLike<FileUri> {
  constructor(readonly path: string) {}
  with(c: { path: string }): FileUri {
    return new FileUri(c.path);
  }
  toString(): string {
    return `file://${this.path}`;
  }
}

let server: http.Server;
let origin = '';
let context: BrowserContext;
let userDataDir = '';

function page(): string {
  const webview = {
    cspSource: origin,
    asWebviewUri: (u: FileUri): FileUri => {
      const rel = path.relative(ROOT, u.path).split(path.sep).join('/');
      return { path: u.path, with: (c: { path: string }) => new FileUri(c.path), toString: () => `${origin}/${rel}` } as FileUri;
    },
  };
  return buildWebviewHtml(webview, { extensionUri: new FileUri(ROOT), app: 'futex', title: 'Futex visualizer', styles: ['futex.css'] });
}

before(async () => {
  if (!browserCap.ready()) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'esbuild.mjs')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'webview', 'futex.js')));
  server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/futex.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page());
      return;
    }
    if (u.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const abs = path.join(ROOT, path.posix.normalize(decodeURIComponent(u.pathname)).replace(/^\/+/, ''));
    const ok = ['dist', 'media'].some((d) => abs.startsWith(path.join(ROOT, d) + path.sep)) && fs.existsSync(abs) && fs.statSync(abs).isFile();
    if (!ok) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': abs.endsWith('.js') ? 'text/javascript' : abs.endsWith('.css') ? 'text/css' : 'application/json' });
    fs.createReadStream(abs).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-futex-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 1000 },
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
});

const INIT = `(() => {
  window.__posted = []; window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  let n = 0;
  window.acquireVsCodeApi = () => {
    if (n++) throw new Error('acquireVsCodeApi called twice');
    return {
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => { const s = sessionStorage.getItem('st'); return s ? JSON.parse(s) : undefined; },
      setState: (s) => { sessionStorage.setItem('st', JSON.stringify(s)); return s; },
    };
  };
  const vars = { foreground: '#cccccc', 'editor-background': '#1e1e1e', descriptionForeground: '#ccccccb3',
    errorForeground: '#f48771', 'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700',
    'charts-orange': '#d18616', 'charts-green': '#89d185', 'charts-purple': '#b180d7', focusBorder: '#007fd4',
    'panel-border': '#80808059', 'input-background': '#3c3c3c', 'input-foreground': '#cccccc',
    'button-background': '#0e639c', 'button-foreground': '#ffffff', 'button-hoverBackground': '#1177bb',
    'button-secondaryBackground': '#3a3d41', 'button-secondaryForeground': '#ffffff', 'badge-background': '#4d4d4d',
    'badge-foreground': '#ffffff', 'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff',
    'font-family': 'system-ui, sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace' };
  const apply = () => { for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty('--vscode-' + k, v);
    document.body.classList.add('vscode-dark'); };
  if (document.body) apply(); else document.addEventListener('DOMContentLoaded', apply);
})();`;

async function poll(p: Page, expr: string, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await p.evaluate(expr))) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${expr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function open(): Promise<{ p: Page; errors: string[] }> {
  const p = await context.newPage();
  const errors: string[] = [];
  p.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  p.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await p.addInitScript({ content: INIT });
  await p.goto(`${origin}/futex.html`);
  await poll(p, '(window.__posted || []).some((m) => m.type === "ready")');
  return { p, errors };
}

const num = async (p: Page, expr: string): Promise<number> => Number(await p.evaluate(expr));

test('seed under glibc-old: stepping the old story reaches the use-after-free, flagged where it happens', browserCap, async () => {
  const { p, errors } = await open();
  assert.equal(await p.inputValue('#scenario'), 'seed');
  await p.selectOption('#model', 'glibc-old');
  // step by clicking the scheduler's buttons: B publishes, A takes the token, destroys, frees, B reads nwaiters
  for (const id of ['B', 'B', 'A', 'A', 'A', 'A', 'B']) {
    await p.click(`#choices button[data-choice="${id}"]`);
  }
  assert.equal(await num(p, 'document.body.dataset.cursor'), 7);
  assert.ok((await num(p, 'document.body.dataset.violations')) > 0);
  const alert = await p.textContent('#violations');
  assert.match(alert ?? '', /use-after-free \(B\): B's sem_post reads nwaiters \(offset 8\) after free\(\)/);
  assert.match(alert ?? '', /bug 12674/);
  const flagged = await p.textContent('#steps li.violation');
  assert.match(flagged ?? '', /7\. B UAF_load/);
  assert.equal(await p.textContent('#mem-status'), 'freed');
  // the lanes show A finished all three operations
  assert.match((await p.textContent('#lanes')) ?? '', /sem_wait → 0[\s\S]*sem_destroy → 0[\s\S]*free → 0/);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await p.evaluate('window.scrollTo(0, 0)'); // the sticky toolbar at the top of a full-page shot
  await p.screenshot({ path: path.join(ARTIFACTS, 'futex-seed-old-uaf.png'), fullPage: true });
  // history: back with the keyboard, then jump with the slider
  await p.focus('#back');
  await p.keyboard.press('Alt+ArrowLeft');
  assert.equal(await num(p, 'document.body.dataset.cursor'), 6);
  assert.equal(await num(p, 'document.body.dataset.violations'), 0);
  await p.click('#steps li:nth-child(3) button.jump');
  assert.equal(await num(p, 'document.body.dataset.cursor'), 3);
  await p.fill('#slider', '7');
  assert.equal(await num(p, 'document.body.dataset.cursor'), 7);
  assert.deepEqual(errors, []);
  assert.deepEqual(await p.evaluate('window.__csp'), []);
  await p.close();
});

test('explorer in the webview: old finds UAF and replays it; glibc-new-64 is safe', browserCap, async () => {
  const { p, errors } = await open();
  await p.selectOption('#scenario', 'seed');
  await p.click('#explore-all');
  await poll(p, 'document.querySelectorAll("#ex-out table.results tbody tr").length === 4');
  const rows = (await p.evaluate(
    'Array.from(document.querySelectorAll("#ex-out table.results tbody tr")).map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent))',
  )) as string[][];
  const byModel = Object.fromEntries(rows.map((r) => [r[0], r]));
  assert.notEqual(byModel['glibc-old'][4], '0', 'old: use-after-free schedules');
  assert.equal(byModel['glibc-new-64'][4], '0');
  assert.equal(byModel['glibc-new-32'][4], '0');
  assert.deepEqual(Object.values(byModel).map((r) => r[1]), ['2.41+, SC', '2.41+, SC', '2.20, SC', 'none, SC'], 'the release and memory model of each row');
  await p.click('button[data-witness="glibc-old|use-after-free"]');
  assert.equal(await p.inputValue('#model'), 'glibc-old');
  // the replay starts at step 0 (and plays); the last row of the history jumps to the violation
  assert.equal(await num(p, 'document.body.dataset.cursor'), 0);
  await p.click('#steps li:last-child button.jump');
  assert.match((await p.textContent('#violations')) ?? '', /use-after-free/);
  assert.ok((await num(p, 'document.body.dataset.cursor')) >= 6);
  await p.evaluate('window.scrollTo(0, 0)'); // the sticky toolbar at the top of a full-page shot
  await p.screenshot({ path: path.join(ARTIFACTS, 'futex-explorer.png'), fullPage: true });
  await p.selectOption('#model', 'glibc-new-64');
  await p.click('#explore');
  await poll(p, 'document.querySelector("#ex-out p.allsafe") !== null');
  assert.deepEqual(errors, []);
  assert.deepEqual(await p.evaluate('window.__csp'), []);
  await p.close();
});

test('live semaphore from the host: "3 tokens, 2 waiters", refresh asks the host', browserCap, async () => {
  const { p, errors } = await open();
  const sc = scenarioFromLive({ name: '/orders', value: 3, nwaiters: 2, layout: 'glibc-new-64', glibc: '2.36' });
  const msg: FutexHostToWebview = { type: 'open', scenario: sc, live: { name: '/orders', host: 'local', value: 3, nwaiters: 2, readAt: 0, glibc: '2.36' } };
  await p.evaluate(`window.postMessage(${JSON.stringify(msg)}, '*')`);
  await poll(p, 'document.getElementById("description").textContent.includes("3 tokens, 2 waiters")');
  assert.match((await p.textContent('#mem-hex')) ?? '', /0000: 03000000 02000000 80000000/);
  assert.equal(await p.inputValue('#scenario'), '__live');
  assert.match((await p.textContent('#live')) ?? '', /^live \/orders on local \(glibc 2\.36\): 3 tokens, 2 waiters/, 'the machine\'s glibc');
  assert.equal(await p.inputValue('#glibc'), '2.25-2.40', 'the stepper follows the code of the machine\'s release');
  await p.click('#refresh-live');
  const posted = (await p.evaluate('window.__posted')) as { type: string }[];
  assert.ok(posted.some((m) => m.type === 'refreshLive'));
  // a hostile/garbled host message is ignored rather than breaking the page
  await p.evaluate(`window.postMessage({ type: 'open', scenario: { id: 'x', model: 'nope' } }, '*')`);
  // (postMessage is asynchronous: wait for the handler to have run)
  await poll(p, 'document.getElementById("ex-status").textContent.includes("bad scenario")');
  assert.match((await p.textContent('#description')) ?? '', /3 tokens, 2 waiters/, 'the previous scenario stays');
  assert.deepEqual(errors, []);
  await p.close();
});

test('live semaphore on an SSH host: its glibc release, or "not glibc" said in so many words', browserCap, async () => {
  const { p, errors } = await open();
  const send = async (live: FutexHostToWebview & { type: 'open' }): Promise<void> => {
    await p.evaluate(`window.postMessage(${JSON.stringify(live)}, '*')`);
  };
  const remote = liveLibc(false, undefined, { kind: 'glibc', release: '2.21' });
  const sc = scenarioFromLive({ name: '/jobs', value: 0, nwaiters: 1, layout: 'glibc-new-64', glibc: remote.glibc });
  await send({ type: 'open', scenario: sc, live: { name: '/jobs', host: 'db1', value: 0, nwaiters: 1, readAt: 0, ...remote } });
  await poll(p, 'document.getElementById("live").textContent.includes("/jobs on db1")');
  assert.match((await p.textContent('#live')) ?? '', /^live \/jobs on db1 \(glibc 2\.21\): 0 tokens, 1 waiters/);
  assert.equal(await p.inputValue('#glibc'), '2.21', 'the stepper follows the host\'s release, not this machine\'s');
  const musl = liveLibc(false, undefined, { kind: 'other', name: 'musl' });
  const sc2 = scenarioFromLive({ name: '/alp', value: 2, nwaiters: 0, glibc: musl.glibc });
  await send({ type: 'open', scenario: sc2, live: { name: '/alp', host: 'alpine1', value: 2, nwaiters: 0, readAt: 0, ...musl } });
  await poll(p, 'document.getElementById("live").textContent.includes("/alp on alpine1")');
  assert.match((await p.textContent('#live')) ?? '', /^live \/alp on alpine1 \(not glibc \(musl\)\): 2 tokens/);
  assert.deepEqual(errors, []);
  await p.close();
});

test('scenario editor builds a new scenario; the state survives a reload (getState)', browserCap, async () => {
  const { p, errors } = await open();
  await p.click('#editor summary');
  await p.selectOption('#ed-model', 'glibc-new-32');
  await p.fill('#ed-value', '1');
  await p.click('#ed-add-thread');
  await p.click('#ed-apply');
  assert.equal(await p.textContent('#editor-error'), '');
  assert.equal(await p.inputValue('#model'), 'glibc-new-32');
  assert.equal(await p.inputValue('#scenario'), '__custom');
  assert.equal(await p.$$eval('#lanes section.lane', (l) => l.length), 3);
  await p.click('#random-step');
  await p.click('#random-step');
  assert.equal(await num(p, 'document.body.dataset.cursor'), 2);
  await p.reload();
  await poll(p, '(window.__posted || []).some((m) => m.type === "ready")');
  assert.equal(await p.inputValue('#model'), 'glibc-new-32');
  assert.equal(await num(p, 'document.body.dataset.cursor'), 2);
  // invalid input is refused with the validator's message
  await p.click('#editor summary');
  await p.fill('#ed-value', '2147483648'); // SEM_VALUE_MAX + 1
  await p.click('#ed-apply');
  assert.match((await p.textContent('#editor-error')) ?? '', /initial.value/);
  assert.deepEqual(errors, []);
  await p.close();
});

test('b3 story (32-bit): the waiter bit and tokens are drawn as bit fields; the misspeculation is annotated', browserCap, async () => {
  const { p, errors } = await open();
  await p.selectOption('#scenario', 'b3');
  assert.equal(await p.inputValue('#model'), 'glibc-new-32');
  // loads the story and plays it from step 0 (test/webview/futexSequence.test.ts drives that with a fake
  // clock); pause it, then move by hand
  await p.click('#play-story');
  await p.click('#play');
  assert.equal(await p.getAttribute('#play', 'aria-pressed'), 'false');
  // jump to W1's clear_bit (step 17): W2 asleep with the bit clear
  await p.fill('#slider', '17');
  const cur = (await p.textContent('#steps li.current')) ?? '';
  assert.match(cur, /17\. W1 clear_bit/);
  assert.match(cur, /danger: W2 asleep with the waiter bit clear/);
  assert.deepEqual(await p.$$eval('#queue li', (l) => l.map((x) => x.textContent)), ['W2']);
  // the value word: bit 0 (waiter bit) is off now; the field list names tokens and the waiter bit
  const parts = await p.$$eval('#mem-bits text.part', (l) => l.map((x) => x.textContent));
  assert.ok(parts.includes('waiter bit = 0') && parts.includes('tokens = 0') && parts.includes('nwaiters = 2'), parts.join('|'));
  await p.evaluate('window.scrollTo(0, 0)'); // the sticky toolbar at the top of a full-page shot
  await p.screenshot({ path: path.join(ARTIFACTS, 'futex-b3-32bit.png'), fullPage: true });
  await p.fill('#slider', '19');
  assert.match((await p.textContent('#steps li.current')) ?? '', /repair/);
  assert.ok((await p.$$eval('#mem-bits text.part', (l) => l.map((x) => x.textContent))).includes('waiter bit = 1'));
  assert.deepEqual(errors, []);
  assert.deepEqual(await p.evaluate('window.__csp'), []);
  await p.close();
});

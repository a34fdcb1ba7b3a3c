#!/usr/bin/env node
// Runs extension tests in a real VS Code: code-server's VS Code 1.100.3 server on 127.0.0.1, started inside a
// private IPC + mount namespace (so the extension host, and every process a test spawns from it, sees only
// its own System V objects and an empty tmpfs /dev/shm), with the workbench in Debian's Chromium driven by
// playwright-core. The workbench is opened with VS Code's development `?payload=` (extensionDevelopmentPath +
// extensionTestsPath), exactly what Electron VS Code gets from `--extensionTestsPath`; the test runner's
// console output and exit code come back through the workbench's `codeAutomationLog`/`codeAutomationExit`
// hooks.
//
// Usage (normally via code-test-shim from @vscode/test-electron's runTests):
//   node run-ext-tests.js --extensionDevelopmentPath=DIR --extensionTestsPath=FILE [FOLDER]
// Env:
//   IPCX_VSIX=file.vsix      install this VSIX into the throwaway extensions dir first
//   IPCX_PRIVATE_IPC=0       do not make a private namespace (never for tests that create objects)
//   IPCX_TEST_ARTIFACTS=DIR  where screenshots go (default: test-artifacts/ of the development path)
//   TEST_TIMEOUT_MS          whole-run limit (default 900000); CHROMIUM (default /usr/bin/chromium); VERBOSE=1
//
// The file bridge: a test in the extension host cannot reach the browser, so it writes a request
// `$IPCX_TEST_BRIDGE_DIR/req-<id>.json` and this runner answers in `res-<id>.json` (see bridge ops below and
// test/integration/README.md).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { startCodeServer, installVsix } = require('./codeServer');

function loadPlaywright() {
  // the project's own devDependency (root node_modules), else a copy next to this file
  for (const base of [path.join(__dirname, '..', '..'), __dirname]) {
    try { return require(require.resolve('playwright-core', { paths: [base] })); } catch { /* next */ }
  }
  throw new Error('playwright-core is not installed (npm install at the repository root)');
}

function arg(name) {
  const p = `--${name}=`;
  const a = process.argv.find((x) => x.startsWith(p));
  return a ? a.slice(p.length) : undefined;
}

const t0 = Date.now();
const log = (...a) => console.log(`[runner +${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

/** Clicks an element; a failure comes back as the bridge's error with Playwright's reason. */
async function clickOn(el, req) {
  try {
    const opts = { button: req.button === 'right' ? 'right' : 'left', timeout: 15000 };
    if (req.double) await el.dblclick(opts); else await el.click(opts);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: String(e && e.message || e).split('\n').slice(0, 6).join(' | ') };
  }
}

/** Requests a test can make through the bridge. Each gets the page and returns JSON-able data. */
const bridgeOps = {
  // {path, selector?}: PNG of the whole window, or of the first element matching selector (workbench DOM)
  async screenshot(page, req) {
    fs.mkdirSync(path.dirname(req.path), { recursive: true });
    if (req.selector) {
      const el = await page.$(req.selector);
      if (!el) return { ok: false, error: `no element ${req.selector}` };
      await el.screenshot({ path: req.path });
    } else {
      await page.screenshot({ path: req.path, clip: req.clip });
    }
    return { ok: true, path: req.path };
  },
  // {selector, frame?}: bounding boxes of the matches ({x, y, width, height} in the page's CSS pixels)
  async bbox(page, req) {
    for (const f of framesFor(page, req.frame || 'workbench')) {
      const els = await f.$$(req.selector).catch(() => []);
      if (!els.length) continue;
      const boxes = [];
      for (const e of els) boxes.push(await e.boundingBox());
      return { ok: true, found: true, boxes: boxes.filter(Boolean) };
    }
    return { ok: true, found: false, boxes: [] };
  },
  // {selector, frame: 'workbench'|'webview'|'any', limit?}: text + aria-label of matching elements
  async query(page, req) {
    const frames = framesFor(page, req.frame || 'any');
    for (const f of frames) {
      let items;
      try {
        items = await f.$$eval(req.selector, (els, limit) => els.slice(0, limit).map((e) => ({
          text: (e.textContent || '').trim(),
          ariaLabel: e.getAttribute('aria-label'),
          title: e.getAttribute('title'),
          className: typeof e.className === 'string' ? e.className : '',
          ariaExpanded: e.getAttribute('aria-expanded'),
          value: 'value' in e ? String(e.value) : null,
          naturalWidth: 'naturalWidth' in e ? e.naturalWidth : null, // an <img> that loaded has one
          html: e.outerHTML.slice(0, 4000),
        })), req.limit || 200);
      } catch { continue; /* frame detached or navigating */ }
      if (items.length) return { ok: true, found: true, count: items.length, items, frameUrl: f.url().slice(0, 200) };
    }
    return { ok: true, found: false, count: 0, items: [], frames: page.frames().length };
  },
  // {selector, frame?, double?, button?: 'right'}: click the first match (expand a row, open a context menu)
  // A visible match wins over one in a hidden frame (a webview of an earlier panel can linger); the click gives
  // up after 15 s with Playwright's reason (covered, not visible ...) instead of leaving the bridge unanswered.
  async click(page, req) {
    let hidden = null;
    for (const f of framesFor(page, req.frame || 'workbench')) {
      const el = await f.$(req.selector).catch(() => null);
      if (!el) continue;
      if (!(await el.isVisible().catch(() => false))) { hidden ??= el; continue; }
      return clickOn(el, req);
    }
    if (hidden) return clickOn(hidden, req);
    return { ok: false, error: `no element ${req.selector}` };
  },
  // {width}: drag the sash between the side bar and the editor until the side bar is that wide (px)
  async resizeSidebar(page, req) {
    const box = await page.locator('.part.sidebar').boundingBox();
    if (!box) return { ok: false, error: 'no side bar' };
    const x = box.x + box.width, y = box.y + box.height / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(box.x + req.width, y, { steps: 5 });
    await page.mouse.up();
    const after = await page.locator('.part.sidebar').boundingBox();
    return { ok: true, width: after && after.width };
  },
  // {selector, frame?, min?}: the WCAG contrast ratio of every visible HTML element under the matches that
  // holds text of its own, against the background it is drawn on (its own and its ancestors' background
  // colours, alpha-composited); elements over a background image or disabled ones are counted as skipped.
  // -> { checked, skipped, min, low: [{ text, ratio, fg, bg }], unparsed } (low: those under `min`, default 4.5;
  // unparsed: colours this code could not read, never guessed)
  async contrast(page, req) {
    for (const f of framesFor(page, req.frame || 'workbench')) {
      let r;
      try {
        r = await f.$$eval(req.selector, contrastInPage, req.min || 4.5);
      } catch { continue; /* frame detached or navigating */ }
      if (r.checked || r.skipped) return { ok: true, frameUrl: f.url().slice(0, 200), ...r };
    }
    return { ok: true, checked: 0, skipped: 0, low: [] };
  },
  // {selector, frame?, props: ['background-image', ...], pseudo?: '::before'}: computed styles of the matches
  async styles(page, req) {
    for (const f of framesFor(page, req.frame || 'workbench')) {
      let items;
      try {
        items = await f.$$eval(req.selector, (els, a) => els.map((e) => {
          const cs = getComputedStyle(e, a.pseudo || null);
          return Object.fromEntries(a.props.map((p) => [p, cs.getPropertyValue(p)]));
        }), { props: req.props, pseudo: req.pseudo });
      } catch { continue; }
      if (items.length) return { ok: true, found: true, items };
    }
    return { ok: true, found: false, items: [] };
  },
  // {keys: ['Escape', ...]}
  async keys(page, req) {
    for (const k of req.keys) await page.keyboard.press(k);
    return { ok: true };
  },
};

/* global getComputedStyle, HTMLElement -- contrastInPage and the styles op run in the page */
/** Runs in the page (serialised by playwright): see the contrast bridge op. */
function contrastInPage(roots, min) {
  // computed colours are rgb()/rgba(), or color(srgb r g b / a) with channels in 0..1 (color-mix results)
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    const s = /color\(srgb ([^)]+)\)/.exec(c || '');
    if (!m && !s) return null;
    const p = (m || s)[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    const k = m ? 1 : 255;
    return { r: p[0] * k, g: p[1] * k, b: p[2] * k, a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1,
  });
  const lum = (c) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const seen = new Set();
  let checked = 0, skipped = 0;
  const low = [];
  const unparsed = [];
  for (const root of roots) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (seen.has(el) || !(el instanceof HTMLElement)) continue;
      seen.add(el);
      const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join(' ').trim();
      if (!own || !el.getClientRects().length) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility !== 'visible' || cs.display === 'none') continue;
      if (el.closest('[disabled], [aria-disabled="true"]')) { skipped++; continue; }
      const layers = [];
      let opacity = 1, image = false, badBg = '';
      for (let a = el; a; a = a.parentElement) {
        const s = getComputedStyle(a);
        opacity *= Number(s.opacity);
        if (s.backgroundImage && s.backgroundImage !== 'none') image = true;
        const bg = parse(s.backgroundColor);
        if (!bg && s.backgroundColor && s.backgroundColor !== 'transparent') badBg = s.backgroundColor;
        if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
      }
      if (image) { skipped++; continue; }
      let bg = { r: 255, g: 255, b: 255, a: 1 };
      for (const l of layers.reverse()) bg = over(l, bg);
      const fg0 = parse(cs.color);
      if (!fg0 || badBg) { unparsed.push(`${own.slice(0, 40)}: ${fg0 ? badBg : cs.color}`); continue; }
      const fg = over({ ...fg0, a: fg0.a * opacity }, bg);
      const [l1, l2] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      checked++;
      if (ratio < min) low.push({ text: own.slice(0, 60), ratio: Math.round(ratio * 100) / 100, fg: hex(fg), bg: hex(bg), cls: String(el.className).slice(0, 60) });
    }
  }
  return { checked, skipped, min, low, unparsed };
}

function framesFor(page, which) {
  const all = page.frames();
  if (which === 'workbench') return [page.mainFrame()];
  if (which === 'webview') return all.filter((f) => f !== page.mainFrame());
  return all;
}

function startBridge(page, dir) {
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const f of fs.readdirSync(dir).filter((n) => /^req-[\w.-]+\.json$/.test(n)).sort()) {
        const id = f.slice(4, -5);
        const reqPath = path.join(dir, f);
        let res;
        try {
          const req = JSON.parse(fs.readFileSync(reqPath, 'utf8'));
          fs.unlinkSync(reqPath);
          const op = Object.prototype.hasOwnProperty.call(bridgeOps, req.op) ? bridgeOps[req.op] : null;
          res = op ? await op(page, req) : { ok: false, error: `unknown bridge op ${req.op}` };
        } catch (e) {
          try { fs.unlinkSync(reqPath); } catch { /* already gone */ }
          res = { ok: false, error: String(e && e.message || e) };
        }
        const tmp = path.join(dir, `.res-${id}.tmp`);
        fs.writeFileSync(tmp, JSON.stringify(res));
        fs.renameSync(tmp, path.join(dir, `res-${id}.json`));
      }
    } finally {
      busy = false;
    }
  }, 100);
  return () => clearInterval(timer);
}

async function main() {
  const devPath = path.resolve(arg('extensionDevelopmentPath'));
  const testsPath = path.resolve(arg('extensionTestsPath'));
  const positional = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const folder = arg('folder') || positional[0];
  const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 900000);
  const artifacts = path.resolve(process.env.IPCX_TEST_ARTIFACTS || path.join(devPath, 'test-artifacts'));
  const privateIpc = process.env.IPCX_PRIVATE_IPC !== '0';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-vscode-'));
  const bridgeDir = path.join(tmp, 'bridge');
  fs.mkdirSync(bridgeDir);
  fs.mkdirSync(artifacts, { recursive: true });

  if (process.env.IPCX_VSIX) {
    log(`installing ${process.env.IPCX_VSIX}`);
    installVsix(path.resolve(process.env.IPCX_VSIX), path.join(tmp, 'extensions'), tmp);
  }
  // a session whose VS Code runs behind a wrapper (test/integration/runTest.js: a seccomp filter), as JSON argv
  const wrapper = process.env.IPCX_TEST_SERVER_WRAPPER ? JSON.parse(process.env.IPCX_TEST_SERVER_WRAPPER) : undefined;
  if (wrapper !== undefined && !(Array.isArray(wrapper) && wrapper.length && wrapper.every((a) => typeof a === 'string'))) {
    throw new Error(`IPCX_TEST_SERVER_WRAPPER must be a JSON array of strings, got ${process.env.IPCX_TEST_SERVER_WRAPPER}`);
  }
  const server = await startCodeServer({
    dir: tmp, privateIpc, log, wrapper,
    // the suite's files were written for one IPC namespace (local -> kinds); on this machine every other
    // session's test namespace would be listed too. The file about namespaces turns the level on itself.
    settings: { 'ipcExplorer.namespaces.enabled': false },
    env: {
      IPCX_TEST_BRIDGE_DIR: bridgeDir,
      IPCX_TEST_ARTIFACTS: artifacts,
      // the host's namespace, for the tests' guard: given by test/run-all.mjs or bench/run.mjs (which may
      // have unshared already), else ours (we are not in a private one then)
      IPCX_HOST_IPC_NS: process.env.IPCX_HOST_IPC_NS || fs.readlinkSync('/proc/self/ns/ipc'),
    },
  });
  let exitCode = 1;
  let browser;
  try {
    if (privateIpc) {
      const mine = fs.readlinkSync('/proc/self/ns/ipc');
      const theirs = fs.readlinkSync(`/proc/${server.pid}/ns/ipc`);
      if (mine === theirs) throw new Error(`code-server is not in a private IPC namespace (${theirs})`);
      log(`IPC namespace of the VS Code server: ${theirs} (runner: ${mine})`);
    }
    const { chromium } = loadPlaywright();
    // launch() (not launchPersistentContext) gives Chromium a fresh throwaway profile dir of its own
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationLog', (_type, args) => console.log(util.format(...args)));
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    page.on('console', (m) => { if (process.env.VERBOSE) console.log('[browser]', m.type(), m.text()); });
    page.on('pageerror', (e) => console.log('[browser pageerror]', e.message));
    server.exited.then((c) => resolveExit(`code-server exited (${c})`));
    const stopBridge = startBridge(page, bridgeDir);

    const authority = `127.0.0.1:${server.port}`;
    const remote = (p) => `vscode-remote://${authority}${p}`;
    const payload = [['extensionDevelopmentPath', remote(devPath)], ['extensionTestsPath', remote(testsPath)]];
    let url = `http://${authority}/?payload=${encodeURIComponent(JSON.stringify(payload))}`;
    if (folder) url += `&folder=${encodeURIComponent(path.resolve(folder))}`;
    // the server asks for a password like `npm start`'s: log in the way a person does (POST /login), which
    // leaves the session cookie in this browser context
    if (server.password) {
      const r = await context.request.post(`http://${authority}/login`, { form: { password: server.password }, maxRedirects: 0 });
      const cookie = (await context.cookies(`http://${authority}/`)).find((c) => c.name === 'code-server-session');
      if (r.status() !== 302 || !cookie) throw new Error(`code-server login failed: HTTP ${r.status()}, no session cookie`);
    }
    log('opening the workbench');
    await page.goto(url);
    const timer = setTimeout(() => resolveExit('timeout'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    stopBridge();
    log('extension host test exit code:', code);
    if (typeof code !== 'number') {
      await page.screenshot({ path: path.join(artifacts, 'integration-timeout.png') }).catch(() => {});
      log(`no result (${code}); screenshot in ${artifacts}, server log in ${server.logFile}`);
    } else {
      exitCode = code;
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.stop();
  }
  if (process.env.KEEP_TMP || exitCode !== 0) log('kept', tmp);
  else fs.rmSync(tmp, { recursive: true, force: true });
  return exitCode;
}

main().then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });

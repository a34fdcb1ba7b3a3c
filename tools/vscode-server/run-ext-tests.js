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
      await page.screenshot({ path: req.path });
    }
    return { ok: true, path: req.path };
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
          html: e.outerHTML.slice(0, 4000),
        })), req.limit || 200);
      } catch { continue; /* frame detached or navigating */ }
      if (items.length) return { ok: true, found: true, count: items.length, items, frameUrl: f.url().slice(0, 200) };
    }
    return { ok: true, found: false, count: 0, items: [], frames: page.frames().length };
  },
  // {selector, frame?, double?, button?: 'right'}: click the first match (expand a row, open a context menu)
  async click(page, req) {
    for (const f of framesFor(page, req.frame || 'workbench')) {
      const el = await f.$(req.selector).catch(() => null);
      if (!el) continue;
      if (req.double) await el.dblclick(); else await el.click({ button: req.button === 'right' ? 'right' : 'left' });
      return { ok: true };
    }
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
  // {keys: ['Escape', ...]}
  async keys(page, req) {
    for (const k of req.keys) await page.keyboard.press(k);
    return { ok: true };
  },
};

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
  const server = await startCodeServer({
    dir: tmp, privateIpc, log,
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

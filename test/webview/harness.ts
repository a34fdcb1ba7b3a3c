/**
 * Renders the dashboard bundle in headless Chromium the way VS Code would: the page is built by the same
 * HTML builder as the extension (extension/webviews/webviewHtml.ts: CSP with a crypto nonce, one nonce'd
 * script), served from a local HTTP server that exposes only dist/ and media/ (like localResourceRoots).
 *
 * VS Code's host side cannot run here, so the test stands in for it: an init script defines
 * `acquireVsCodeApi()` (recording every postMessage and keeping get/setState in sessionStorage) and sets
 * the theme's `--vscode-*` variables and body class as VS Code does; the test posts HostToWebview messages
 * with `window.postMessage`, exactly as the webview receives them from the host.
 */
import { spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { HostToWebview, WebviewToHost } from '../../extension/shared/dashboardProtocol';
import { buildWebviewHtml, type UriLike } from '../../extension/webviews/webviewHtml';
import { chromiumPath } from '../helpers/capabilities';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'webview');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A file: URI stand-in that satisfies the builder's UriLike. */
class FileUri implements UriLike<FileUri> {
  constructor(readonly path: string) {}
  with(change: { path: string }): FileUri {
    return new FileUri(change.path);
  }
  toString(): string {
    return `file://${this.path}`;
  }
}

export type Theme = 'light' | 'dark' | 'high-contrast';

/** A subset of VS Code's Light+/Dark+/High Contrast theme colours, as VS Code injects them into webviews. */
export const THEMES: Record<Theme, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      foreground: '#616161', 'editor-background': '#ffffff', descriptionForeground: '#717171', errorForeground: '#a1260d',
      'charts-red': '#e51400', 'charts-blue': '#1a85ff', 'charts-yellow': '#bf8803', 'charts-orange': '#d18616',
      'charts-green': '#388a34', 'charts-purple': '#652d90', focusBorder: '#0090f1', 'panel-border': '#80808059',
      'input-background': '#ffffff', 'input-foreground': '#616161', 'input-border': '#cecece', 'sideBar-background': '#f3f3f3',
      'button-background': '#007acc', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0062a3',
      'button-secondaryBackground': '#5f6a79', 'button-secondaryForeground': '#ffffff', 'button-secondaryHoverBackground': '#4c5561',
      'badge-background': '#c4c4c4', 'badge-foreground': '#333333', 'list-hoverBackground': '#e8e8e8',
      'list-activeSelectionBackground': '#0060c0', 'list-activeSelectionForeground': '#ffffff', 'settings-headerBorder': '#80808059',
      'panel-background': '#ffffff', 'editorWarning-foreground': '#bf8803', 'inputValidation-warningBackground': '#f6f5d2',
      'settings-textInputBackground': '#ffffff', 'settings-textInputForeground': '#616161', 'settings-textInputBorder': '#cecece',
      'input-placeholderForeground': '#767676', 'panelTitle-activeForeground': '#424242', 'panelTitle-activeBorder': '#424242',
      'panelTitle-inactiveForeground': '#424242bf', 'activityBarBadge-background': '#007acc', 'activityBarBadge-foreground': '#ffffff',
      'font-family': 'system-ui, sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      foreground: '#cccccc', 'editor-background': '#1e1e1e', descriptionForeground: '#ccccccb3', errorForeground: '#f48771',
      'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-orange': '#d18616',
      'charts-green': '#89d185', 'charts-purple': '#b180d7', focusBorder: '#007fd4', 'panel-border': '#80808059',
      'input-background': '#3c3c3c', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c', 'sideBar-background': '#252526',
      'button-background': '#0e639c', 'button-foreground': '#ffffff', 'button-hoverBackground': '#1177bb',
      'button-secondaryBackground': '#3a3d41', 'button-secondaryForeground': '#ffffff', 'button-secondaryHoverBackground': '#45494e',
      'badge-background': '#4d4d4d', 'badge-foreground': '#ffffff', 'list-hoverBackground': '#2a2d2e',
      'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff', 'settings-headerBorder': '#80808059',
      'panel-background': '#1e1e1e', 'editorWarning-foreground': '#cca700', 'inputValidation-warningBackground': '#352a05',
      'settings-textInputBackground': '#292929', 'settings-textInputForeground': '#cccccc', 'settings-textInputBorder': '#3c3c3c',
      'input-placeholderForeground': '#a6a6a6', 'panelTitle-activeForeground': '#e7e7e7', 'panelTitle-activeBorder': '#e7e7e7',
      'panelTitle-inactiveForeground': '#e7e7e799', 'activityBarBadge-background': '#007acc', 'activityBarBadge-foreground': '#ffffff',
      'font-family': 'system-ui, sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      foreground: '#ffffff', 'editor-background': '#000000', descriptionForeground: '#ffffffb3', errorForeground: '#f48771',
      'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-orange': '#d18616',
      'charts-green': '#89d185', 'charts-purple': '#b180d7', focusBorder: '#f38518', contrastBorder: '#6fc3df',
      'panel-border': '#6fc3df', 'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df',
      'sideBar-background': '#000000', 'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df',
      'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff', 'badge-background': '#000000',
      'badge-foreground': '#ffffff', 'list-hoverBackground': '#000000', 'list-activeSelectionBackground': '#000000',
      'list-activeSelectionForeground': '#ffffff', 'settings-headerBorder': '#6fc3df', 'panel-background': '#000000',
      'editorWarning-foreground': '#fff000', 'inputValidation-warningBackground': '#000000',
      'settings-textInputBackground': '#000000', 'settings-textInputForeground': '#ffffff', 'settings-textInputBorder': '#6fc3df',
      'input-placeholderForeground': '#ffffffb3', 'panelTitle-activeForeground': '#ffffff', 'panelTitle-activeBorder': '#6fc3df',
      'panelTitle-inactiveForeground': '#ffffff', 'activityBarBadge-background': '#000000', 'activityBarBadge-foreground': '#ffffff',
      'font-family': 'system-ui, sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
    },
  },
};

/** Builds dist/webview/dashboard.js when it is missing or older than its sources. */
export function ensureBundle(): void {
  const out = path.join(ROOT, 'dist', 'webview', 'dashboard.js');
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }, 0);
  const src = Math.max(newest(path.join(ROOT, 'webview')), newest(path.join(ROOT, 'extension', 'shared')));
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= src) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'esbuild.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('esbuild failed');
}

export interface Served {
  url: string;
  html: string;
  close(): Promise<void>;
}

/** Serves the page and, like localResourceRoots, only files under dist/ and media/. */
export async function serveDashboard(): Promise<Served> {
  return serveApp('dashboard', 'IPC Explorer', ['dashboard.css']);
}

/** Serves one webview app (webview/<app>/main.ts bundled to dist/webview/<app>.js) at /<app>.html. */
export async function serveApp(app: string, title: string, styles: string[]): Promise<Served> {
  let origin = '';
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === `/${app}.html`) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page());
      return;
    }
    if (u.pathname === '/favicon.ico') {
      // a browser tab asks for one; a VS Code webview does not
      res.writeHead(204).end();
      return;
    }
    const rel = path.posix.normalize(decodeURIComponent(u.pathname)).replace(/^\/+/, '');
    const abs = path.join(ROOT, rel);
    const allowed = ['dist', 'media'].some((d) => abs.startsWith(path.join(ROOT, d) + path.sep));
    if (!allowed || !fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const type = abs.endsWith('.js') ? 'text/javascript' : abs.endsWith('.css') ? 'text/css' : abs.endsWith('.map') ? 'application/json' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    fs.createReadStream(abs).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const webview = {
    cspSource: origin,
    asWebviewUri: (u: FileUri): FileUri => {
      const rel = path.relative(ROOT, u.path);
      return { path: u.path, with: (c) => new FileUri(c.path), toString: () => `${origin}/${rel.split(path.sep).join('/')}` };
    },
  };
  const page = (): string => buildWebviewHtml(webview, { extensionUri: new FileUri(ROOT), app, title, styles });
  return {
    url: `${origin}/${app}.html`,
    html: page(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface DashboardPage {
  page: Page;
  consoleErrors: string[];
  /** posted messages, in order (read from the page). */
  posted(): Promise<WebviewToHost[]>;
  cspViolations(): Promise<string[]>;
  send(message: HostToWebview): Promise<void>;
  /** resolves once the page has rendered `n` times in total. */
  waitForRenders(n: number): Promise<void>;
}

/** Opens the dashboard in a new tab with the given theme; the fake VS Code API stands in for the host. */
export async function openDashboard(browser: Browser, served: Served, theme: Theme): Promise<DashboardPage> {
  const page = await browser.context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  // No transitions: screenshots and positions are read at rest (the CSS honours prefers-reduced-motion).
  await page.emulateMedia({ reducedMotion: 'reduce' });
  // Browser-side code is passed as source text: test/ is type-checked without the DOM library.
  await page.addInitScript({ content: initScript(THEMES[theme]) });
  await page.goto(served.url);
  await pollPage(page, '(window.__posted || []).some((m) => m.type === "ready")');
  return {
    page,
    consoleErrors,
    posted: () => page.evaluate('window.__posted') as Promise<WebviewToHost[]>,
    cspViolations: () => page.evaluate('window.__csp') as Promise<string[]>,
    send: async (message) => {
      await page.evaluate(`window.postMessage(${pageValue(message)}, '*')`);
    },
    waitForRenders: (n) => pollPage(page, `Number(document.body.dataset.renders || 0) >= ${Number(n)}`),
  };
}

/**
 * The init script: a stand-in for VS Code's host side. `acquireVsCodeApi()` (once per page, as in VS Code)
 * records posted messages in `window.__posted` and keeps get/setState in sessionStorage (so a reload shows
 * what VS Code's state restore does); CSP violations are collected in `window.__csp`; the theme's variables
 * go on <html> and its class on <body>, as VS Code does.
 */
/**
 * The style sheet VS Code puts first in every webview (its `_defaultStyles`, copied from VS Code's
 * webview/browser/pre/index.html: the rules that style elements our pages use), in a cascade layer so that,
 * as in VS Code where it comes first, the page's own rules win over it at equal specificity.
 */
export const VSCODE_DEFAULT_STYLES = `@layer vscode-defaults {
  body { background-color: transparent; color: var(--vscode-editor-foreground); font-family: var(--vscode-font-family);
    font-weight: var(--vscode-font-weight); font-size: var(--vscode-font-size); margin: 0; padding: 0 20px; }
  a, a code { color: var(--vscode-textLink-foreground); }
  a:hover { color: var(--vscode-textLink-activeForeground); }
  code { font-family: var(--monaco-monospace-font); color: var(--vscode-textPreformat-foreground);
    background-color: var(--vscode-textPreformat-background); padding: 1px 3px; border-radius: 4px; }
  pre code { padding: 0; }
}`;

/** VS Code's colours for the default sheet's variables (its colour registry: textPreformat.*, textLink.*). */
const DEFAULT_STYLE_VARS: Record<Theme, Record<string, string>> = {
  light: { 'textPreformat-foreground': '#a31515', 'textPreformat-background': '#0000001a', 'textLink-foreground': '#006ab1', 'textLink-activeForeground': '#006ab1', 'editor-foreground': '#000000' },
  dark: { 'textPreformat-foreground': '#d7ba7d', 'textPreformat-background': '#ffffff1a', 'textLink-foreground': '#3794ff', 'textLink-activeForeground': '#3794ff', 'editor-foreground': '#d4d4d4' },
  'high-contrast': { 'textPreformat-foreground': '#000000', 'textPreformat-background': '#ffffff', 'textLink-foreground': '#21a6ff', 'textLink-activeForeground': '#21a6ff', 'editor-foreground': '#ffffff' },
};

/**
 * A theme as VS Code's webview host applies it: its variables, and VS Code's default style sheet (added as
 * a constructed sheet: the page's CSP governs style elements, not the host's own styles).
 */
export function vscodeTheme(theme: Theme): { bodyClass: string; vars: Record<string, string>; defaultStyles: string } {
  return { bodyClass: THEMES[theme].bodyClass, vars: { ...THEMES[theme].vars, ...DEFAULT_STYLE_VARS[theme] }, defaultStyles: VSCODE_DEFAULT_STYLES };
}

export function initScript(theme: { bodyClass: string; vars: Record<string, string>; defaultStyles?: string }): string {
  return `(() => {
  window.__posted = [];
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return {
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => { const s = sessionStorage.getItem('vscodeState'); return s ? JSON.parse(s) : undefined; },
      setState: (s) => { sessionStorage.setItem('vscodeState', JSON.stringify(s)); return s; },
    };
  };
  const vars = ${JSON.stringify(theme.vars)};
  const defaults = ${JSON.stringify(theme.defaultStyles ?? '')};
  const apply = () => {
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty('--vscode-' + k, v);
    document.body.classList.add(${JSON.stringify(theme.bodyClass)});
    if (defaults) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(defaults);
      document.adoptedStyleSheets = [sheet, ...document.adoptedStyleSheets];
    }
  };
  if (document.body) apply(); else document.addEventListener('DOMContentLoaded', apply);
})();`;
}

const TYPED_ARRAYS = ['Int32Array', 'Uint32Array', 'Float64Array', 'Uint8Array'] as const;

/**
 * A JS expression that makes `value` in the page, typed arrays included (a `snapshotColumns` message carries
 * its columns as typed arrays, which JSON alone would turn into plain objects): the page then posts it to
 * itself, and its structured clone copies the arrays as VS Code's webview does.
 */
export function pageValue(value: unknown): string {
  const json = JSON.stringify(value, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v)) {
      const type = TYPED_ARRAYS.find((t) => v.constructor.name === t);
      if (!type) throw new Error(`pageValue: ${v.constructor.name} is not a column type`);
      // the bytes as they are (NaN included), as base64: little garbage for the page to collect afterwards
      return { $typed: type, b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    }
    return v;
  });
  const revive = `(k, v) => v && typeof v === 'object' && ${JSON.stringify(TYPED_ARRAYS)}.includes(v.$typed) ? ` +
    `new globalThis[v.$typed](Uint8Array.from(atob(v.b64), (c) => c.charCodeAt(0)).buffer) : v`;
  return `JSON.parse(${JSON.stringify(json)}, ${revive})`;
}

/**
 * Polls a JS expression in the page until it is truthy. (Playwright's string `waitForFunction` evaluates
 * with `eval` inside the page, which the page's CSP rightly forbids; `page.evaluate` of an expression is
 * run by DevTools and is not subject to it.)
 */
export async function pollPage(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await page.evaluate(expression)) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for: ${expression}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function artifactPath(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/**
 * One Chromium and one served dashboard bundle for a test file: started before its tests (when `ready` says
 * the browser is there), closed after them. `open(theme)` loads a fresh dashboard page.
 */
export function dashboardSession(ready: () => boolean = () => true): { readonly served: Served; open(theme: Theme): Promise<DashboardPage> } {
  let browser: Browser | undefined;
  let served: Served | undefined;
  before(async () => {
    if (!ready()) return;
    ensureBundle();
    served = await serveDashboard();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });
  return {
    get served() { if (!served) throw new Error('the dashboard is not served (Chromium missing?)'); return served; },
    open: (theme) => {
      if (!browser || !served) throw new Error('no browser: the session did not start');
      return openDashboard(browser, served, theme);
    },
  };
}

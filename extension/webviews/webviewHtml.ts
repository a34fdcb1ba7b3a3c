/**
 * Builds a webview's HTML: a strict Content-Security-Policy with a per-render crypto nonce, one nonce'd
 * external script (dist/webview/<app>.js) and the app's CSS files from media/. Nothing else: no inline
 * scripts, no style attributes, no remote origins.
 *
 * The builder depends only on a minimal `WebviewLike` (cspSource + asWebviewUri) so it can also render the
 * static pages the headless-Chromium tests serve (test/webview/), with the same CSP as in VS Code.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type * as vscode from 'vscode';

/**
 * The part of `vscode.Uri` the builder uses (`vscode.Uri` satisfies it). Only a type import of `vscode`:
 * the tests build the same page outside VS Code.
 */
export interface UriLike<U> {
  readonly path: string;
  with(change: { path: string }): U;
  toString(): string;
}

/** The part of `vscode.Webview` the builder needs. */
export interface WebviewLike<U extends UriLike<U>> {
  readonly cspSource: string;
  asWebviewUri(localResource: U): U;
}

/** `vscode.Uri.joinPath` without the runtime `vscode` module. */
export function joinUri<U extends UriLike<U>>(base: U, ...segments: string[]): U {
  return base.with({ path: path.posix.join(base.path, ...segments) });
}

export interface WebviewHtmlOptions<U extends UriLike<U>> {
  /** the extension's root (context.extensionUri). */
  extensionUri: U;
  /** the webview app's folder under webview/, bundled to dist/webview/<app>.js. */
  app: string;
  /** document title (escaped). */
  title: string;
  /** CSS files relative to media/, e.g. ['dashboard.css']. */
  styles?: string[];
  /** optional `lang` attribute. */
  lang?: string;
}

/** 128 bits from the OS CSPRNG, base64 (CSP nonces must be unguessable; never Math.random). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The CSP the webview runs under. `cspSource` is `webview.cspSource`. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/** Escapes text for an HTML attribute or text node. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * The webview options every panel of this extension uses: scripts on, and local resources limited to the
 * bundle (dist/) and media/.
 */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: localResourceRoots(extensionUri),
  };
}

/** dist/ and media/ only (never the extension root, never the workspace). */
export function localResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [joinUri(extensionUri, 'dist'), joinUri(extensionUri, 'media')];
}

/** Renders the page. Pass `nonce` only in tests; by default a fresh one is drawn per render. */
export function buildWebviewHtml<U extends UriLike<U>>(
  webview: WebviewLike<U>,
  opts: WebviewHtmlOptions<U>,
  nonce: string = makeNonce(),
): string {
  if (!/^[a-z][a-zA-Z0-9_-]*$/.test(opts.app)) throw new Error(`invalid webview app name: ${opts.app}`);
  const scriptUri = webview.asWebviewUri(joinUri(opts.extensionUri, 'dist', 'webview', `${opts.app}.js`));
  const links = (opts.styles ?? []).map((css) => {
    if (css.includes('..') || css.startsWith('/')) throw new Error(`invalid stylesheet path: ${css}`);
    const href = webview.asWebviewUri(joinUri(opts.extensionUri, 'media', ...css.split('/')));
    return `  <link rel="stylesheet" href="${escapeHtml(href.toString())}">`;
  });
  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(opts.lang ?? 'en')}">`,
    '<head>',
    '  <meta charset="UTF-8">',
    `  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(webview.cspSource, nonce))}">`,
    '  <meta name="viewport" content="width=device-width, initial-scale=1.0">',
    ...links,
    `  <title>${escapeHtml(opts.title)}</title>`,
    '</head>',
    '<body>',
    `  <div id="app" data-app="${escapeHtml(opts.app)}"></div>`,
    `  <script nonce="${escapeHtml(nonce)}" src="${escapeHtml(scriptUri.toString())}"></script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

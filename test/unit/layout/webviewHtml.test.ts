/** The webview HTML builder (extension/webviews/webviewHtml.ts): CSP, nonce, resource URIs, refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { buildWebviewHtml, contentSecurityPolicy, localResourceRoots, makeNonce, type UriLike } from '../../../extension/webviews/webviewHtml';

class U implements UriLike<U> {
  constructor(readonly path: string, readonly scheme = 'file') {}
  with(c: { path: string }): U {
    return new U(c.path, this.scheme);
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}
const webview = { cspSource: 'https://x.vscode-cdn.net', asWebviewUri: (u: U) => new U(u.path, 'https') };
const ext = new U('/ext');

test('nonces are 128-bit, base64, and differ per render', () => {
  const seen = new Set(Array.from({ length: 50 }, makeNonce));
  assert.equal(seen.size, 50);
  for (const n of seen) assert.equal(Buffer.from(n, 'base64').length, 16);
  const a = buildWebviewHtml(webview, { extensionUri: ext, app: 'dashboard', title: 't' });
  const b = buildWebviewHtml(webview, { extensionUri: ext, app: 'dashboard', title: 't' });
  const nonce = (h: string) => /nonce="([^"]+)"/.exec(h)![1];
  assert.notEqual(nonce(a), nonce(b));
});

test('the CSP: nothing by default, styles/fonts/images from the webview origin, scripts by nonce only', () => {
  assert.equal(
    contentSecurityPolicy('https://x.vscode-cdn.net', 'abc'),
    "default-src 'none'; style-src https://x.vscode-cdn.net; font-src https://x.vscode-cdn.net; img-src https://x.vscode-cdn.net data:; script-src 'nonce-abc'",
  );
});

test('one nonce\'d script from dist/webview, stylesheets from media/, titles escaped, no inline code', () => {
  const html = buildWebviewHtml(webview, { extensionUri: ext, app: 'dashboard', title: '<b>"x"</b>', styles: ['dashboard.css', 'sub/a.css'] }, 'N0NCE');
  assert.deepEqual(html.match(/<script[^>]*>/g), ['<script nonce="N0NCE" src="https:///ext/dist/webview/dashboard.js">']);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/\/ext\/media\/dashboard.css">/);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/\/ext\/media\/sub\/a.css">/);
  assert.match(html, /<title>&lt;b&gt;&quot;x&quot;&lt;\/b&gt;<\/title>/);
  assert.doesNotMatch(html, /\sstyle=|<style|\son[a-z]+=/);
});

test('refuses app names and stylesheet paths that could leave dist/ or media/', () => {
  for (const app of ['../x', 'a/b', '', 'Dash board', '-x']) {
    assert.throws(() => buildWebviewHtml(webview, { extensionUri: ext, app, title: 't' }), /invalid webview app name/);
  }
  for (const css of ['../x.css', '/etc/passwd', 'a/../../b.css']) {
    assert.throws(() => buildWebviewHtml(webview, { extensionUri: ext, app: 'd', title: 't', styles: [css] }), /invalid stylesheet path/);
  }
});

test('localResourceRoots: dist/ and media/ only', () => {
  const roots = localResourceRoots(ext as unknown as vscode.Uri);
  assert.deepEqual(roots.map((r) => r.path), ['/ext/dist', '/ext/media']);
});

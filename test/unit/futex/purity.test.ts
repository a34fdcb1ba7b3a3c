// The futex core is shared by the webview bundle and ipcx: it must import neither vscode, nor node:*, nor
// the DOM, and only relative modules of its own folder (checked on the source text of every file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const dir = path.resolve(__dirname, '..', '..', '..', 'extension', 'domain', 'futex');

test('extension/domain/futex imports only its own modules', () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 6, files.join(','));
  for (const f of files) {
    const src = fs.readFileSync(path.join(dir, f), 'utf8');
    const specs = [...src.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]);
    assert.ok(f === 'types.ts' || specs.length > 0, `${f}: no imports found (the pattern is broken)`);
    for (const s of specs) assert.match(s, /^\.\/[a-zA-Z]+$/, `${f} imports ${s}`);
    assert.doesNotMatch(src, /(?<![.\w])(document|window|navigator|globalThis)\s*\.|acquireVsCodeApi|\brequire\(|\bprocess\./, `${f} touches the DOM, process or require`);
  }
});

// The futex core is shared by the webview bundle and ipcx: it must import neither vscode, nor node:*, nor
// the DOM, and only relative modules of its own folder (and subfolders) or of extension/shared (which imports
// nothing else: eslint.config.mjs) (checked on the source text of every file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const dir = path.resolve(__dirname, '..', '..', '..', 'extension', 'domain', 'futex');
const shared = path.resolve(dir, '..', '..', 'shared');

test('extension/domain/futex imports only its own modules and extension/shared', () => {
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 10, files.join(','));
  assert.ok(files.some((f) => f.startsWith('models')), 'the per-model files are checked too');
  for (const f of files) {
    const src = fs.readFileSync(path.join(dir, f), 'utf8');
    const specs = [...src.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]);
    assert.ok(f === 'types.ts' || specs.length > 0, `${f}: no imports found (the pattern is broken)`);
    for (const s of specs) {
      assert.match(s, /^\.\.?\/[a-zA-Z0-9/.]+$/, `${f} imports ${s}`);
      const target = path.resolve(dir, path.dirname(f), s);
      assert.ok(target.startsWith(dir + path.sep) || target.startsWith(shared + path.sep), `${f} imports ${s}, outside extension/domain/futex and extension/shared`);
    }
    assert.doesNotMatch(src, /(?<![.\w])(document|window|navigator|globalThis)\s*\.|acquireVsCodeApi|\brequire\(|\bprocess\./, `${f} touches the DOM, process or require`);
  }
});

/**
 * Settings that weaken safety or name hosts and commands must not come from a workspace (a cloned
 * repository's .vscode/settings.json): package.json gives them machine (or application) scope, and the
 * recycle command cannot be confirmed by an argument. The integration suite (recycle.test.js) checks the
 * same in a real VS Code; this pins the manifest and the source.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..', '..');
type Section = { properties: Record<string, { scope?: string }> };
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { configuration: Section | Section[] } };
// one section or titled sections (Recycle, Tree and status bar, SSH hosts): every property of every section
const sections = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
const props: Section['properties'] = Object.assign({}, ...sections.map((s) => s.properties));

test('every ipcExplorer.recycle.* and ipcExplorer.ssh* setting is machine- or application-scoped', () => {
  const safety = Object.keys(props).filter((k) => k.startsWith('ipcExplorer.recycle.') || k.startsWith('ipcExplorer.ssh'));
  for (const k of ['enabled', 'minOrphanAgeSeconds', 'recentActivitySeconds', 'recycleUnrecognized', 'ignore', 'trust']) {
    assert.ok(safety.includes(`ipcExplorer.recycle.${k}`), `ipcExplorer.recycle.${k} is declared`);
  }
  const loose = safety.filter((k) => props[k].scope !== 'machine' && props[k].scope !== 'application');
  assert.deepEqual(loose, [], `window/resource-scoped safety settings: ${loose.join(', ')}`);
});

test('the recycle commands take no confirmation argument: the modal (or the test-mode stand-in) decides', () => {
  const src = fs.readFileSync(path.join(root, 'extension', 'commands', 'recycle.ts'), 'utf8');
  assert.doesNotMatch(src, /\bargs\.confirm\b|\bconfirm\?:/, 'no confirm field in the command arguments');
  assert.match(src, /extensionMode === vscode\.ExtensionMode\.Test/, 'the stand-in is tied to extension mode Test');
});

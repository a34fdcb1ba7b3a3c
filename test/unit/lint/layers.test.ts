/**
 * The layer rules of eslint.config.mjs fire: each case lints one import as if it were written in a file of
 * a layer (ESLint's lintText with that file path; the imported module is a real file of the tree) and
 * expects the rule that forbids it, or no message where the import is allowed.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function rulesFor(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(`${code}\nexport const used = x;\n`, { filePath: path.join(root, file) });
  return r!.messages.map((m) => m.ruleId ?? m.message);
}

const cases: Array<[file: string, code: string, rule: string | null]> = [
  ['extension/shared/probe.ts', "import { capacity as x } from '../domain/capacity';", 'import/no-restricted-paths'],
  ['extension/shared/probe.ts', "import type { IpcSnapshot as x } from './model';", null],
  ['extension/shared/probe.ts', "import x from 'node:fs';", 'no-restricted-imports'],
  ['extension/domain/probe.ts', "import { LocalSource as x } from '../backend/localSource';", 'import/no-restricted-paths'],
  ['extension/domain/probe.ts', "import * as x from 'vscode';", 'no-restricted-imports'],
  ['extension/domain/probe.ts', "import { LIMIT_DESCRIPTORS as x } from '../shared/limitDescriptors';", null],
  ['extension/domain/futex/probe.ts', "import { capacity as x } from '../capacity';", null],
  ['extension/backend/probe.ts', "import * as x from 'vscode';", 'no-restricted-imports'],
  ['extension/backend/probe.ts', "import { SnapshotStore as x } from '../services/snapshotStore';", 'import/no-restricted-paths'],
  ['extension/remote/probe.ts', "import { hostOf as x } from '../commands/args';", 'import/no-restricted-paths'],
  ['extension/cli/probe.ts', "import { registerRefresh as x } from '../commands/refresh';", 'import/no-restricted-paths'],
  ['extension/webviews/probe.ts', "import { layoutSemSets as x } from '../../webview/layout/semSets';", 'import/no-restricted-paths'],
  ['webview/dashboard/probe.ts', "import { LocalSource as x } from '../../extension/backend/localSource';", 'import/no-restricted-paths'],
  ['webview/dashboard/probe.ts', "import { isWebviewToHost as x } from '../../extension/shared/dashboardProtocol';", null],
  ['webview/futex/probe.ts', "import { explore as x } from '../../extension/domain/futex';", null],
];

for (const [file, code, rule] of cases) {
  test(`${file}: ${code} -> ${rule ?? 'allowed'}`, async () => {
    const got = await rulesFor(file, code);
    if (rule) assert.ok(got.includes(rule), `expected ${rule}, got ${JSON.stringify(got)}`);
    else assert.deepEqual(got, []);
  });
}

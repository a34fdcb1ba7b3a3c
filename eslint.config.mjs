// ESLint (flat config): typescript-eslint's recommended rules plus the layers of the code as import rules.
//
//   extension/shared    types and pure helpers shipped to the host and the webviews: imports only shared
//   extension/domain    the pure core (parsers, verdicts, plans, futex models): imports shared and domain
//   extension/backend   IpcSource implementations (native binding, /proc)      } no vscode; never the glue
//   extension/remote    SSH transport: runner, probe and lock scripts, source  } (services, views, commands,
//   extension/cli       ipcx                                                   }  webviews, extension.ts)
//   extension/services, views, commands, webviews, extension.ts, testApi.ts: the VS Code glue
//   webview/            browser bundles: never imported by host code; import only shared and the pure domain
//
// `npm run lint`; a stage of `npm test` (test/run-all.mjs lint).
import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only the VS Code glue (services, views, commands, webviews, extension.ts) may import vscode.' };
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'util', 'events', 'stream', 'net', 'worker_threads'];
const noNode = { group: nodeBuiltins, message: 'Pure code: no node:* (sources collect facts, the domain decides).' };
const GLUE = ['./extension/services', './extension/views', './extension/commands', './extension/webviews', './extension/extension.ts', './extension/testApi.ts'];

export default tseslint.config(
  {
    ignores: [
      'dist/**', 'out/**', 'node_modules/**', 'native/build/**', 'test-artifacts/**', '.vscode-test/**',
      'tools/vscode-server/node_modules/**', 'tools/vscode-server/server/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js', '.mjs', '.json'] } } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // control characters in patterns are what the escaping of names and output lines looks for
      'no-control-regex': 'off',
      // runs of spaces in patterns match column-aligned tables literally
      'no-regex-spaces': 'off',
      // CommonJS files name their requires after node's globals (`const crypto = require('node:crypto')`)
      'no-redeclare': ['error', { builtinGlobals: false }],
      'import/no-restricted-paths': ['error', {
        zones: [
          { target: './extension/shared', from: './', except: ['./extension/shared'], message: 'extension/shared imports nothing of ours outside shared.' },
          { target: './extension/domain', from: './', except: ['./extension/domain', './extension/shared', './node_modules'], message: 'The domain imports only shared and domain.' },
          ...['backend', 'remote', 'cli'].flatMap((layer) => GLUE.map((from) => ({
            target: `./extension/${layer}`, from, message: `extension/${layer} is below the VS Code glue: it may not import it.`,
          }))),
          { target: './extension/backend', from: './extension/cli', message: 'The sources do not depend on the CLI.' },
          { target: './extension/remote', from: './extension/cli', message: 'The SSH transport does not depend on the CLI.' },
          { target: './extension', from: './webview', message: 'Browser code (webview/) is never imported by host code.' },
          { target: './webview', from: './extension', except: ['./shared', './domain'], message: 'Browser code imports only extension/shared and the pure extension/domain.' },
        ],
      }],
    },
  },
  {
    files: ['extension/shared/**', 'extension/domain/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: [noNode] }] },
  },
  {
    files: ['extension/backend/**', 'extension/remote/**', 'extension/cli/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    files: ['webview/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: [noNode] }] },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/integration/**/*.js'],
    languageOptions: { globals: { ...globals.mocha } },
  },
);

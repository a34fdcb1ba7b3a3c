// Test entry the VS Code extension host loads (extensionTestsPath): runs every test/integration/suite/*.test.js
// with mocha (BDD: describe/it) and reports `N passed, N failed, N skipped` to the console and, as JSON, to
// $IPCX_TEST_RESULTS for test/integration/runTest.js. `IPCX_IT_FILES=a,b` keeps only files whose name contains
// one of the given words.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { runMochaFiles } = require('../mochaRun');

function run() {
  const only = (process.env.IPCX_IT_FILES || '').split(',').map((s) => s.trim()).filter(Boolean);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js'))
    .filter((f) => !only.length || only.some((w) => f.includes(w))).sort();
  // the shared setup (namespace check, extension activation) always runs first
  console.log(`integration suite: ${files.length} file(s): ${files.join(', ')}`);
  return runMochaFiles(files.map((f) => path.join(__dirname, f)));
}
module.exports = { run };

// Test entry the VS Code extension host loads (extensionTestsPath): runs every test/integration/suite/*.test.js
// with mocha (BDD: describe/it) and reports `N passed, N failed, N skipped` to the console and, as JSON, to
// $IPCX_TEST_RESULTS for test/integration/runTest.js. `IPCX_IT_FILES=a,b` keeps only files whose name contains
// one of the given words.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

function run() {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30000, reporter: 'spec' });
  const only = (process.env.IPCX_IT_FILES || '').split(',').map((s) => s.trim()).filter(Boolean);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js'))
    .filter((f) => !only.length || only.some((w) => f.includes(w))).sort();
  // the shared setup (namespace check, extension activation) always runs first
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  console.log(`integration suite: ${files.length} file(s): ${files.join(', ')}`);
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const s = runner.stats || { passes: 0, failures, pending: 0 };
      const result = { passed: s.passes, failed: s.failures, pending: s.pending, files, failures: failed };
      console.log(`${result.passed} passed, ${result.failed} failed, ${result.pending} skipped`);
      if (process.env.IPCX_TEST_RESULTS) fs.writeFileSync(process.env.IPCX_TEST_RESULTS, JSON.stringify(result, null, 2));
      failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve();
    });
    const failed = [];
    runner.on('fail', (t, err) => failed.push({ title: t.fullTitle(), error: String(err && err.message) }));
  });
}
module.exports = { run };

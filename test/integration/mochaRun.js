// The result protocol every integration session entry shares (suite/, fallback/, vsix-probe/ index.js): mocha
// (BDD: describe/it) over the given test files, `N passed, N failed, N skipped` on the console and, as JSON, in
// $IPCX_TEST_RESULTS for test/integration/runTest.js. Rejects when a test failed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

/** @param {string[]} files absolute paths of *.test.js files, run in this order */
function runMochaFiles(files) {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30000, reporter: 'spec' });
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    const failed = [];
    const runner = mocha.run((failures) => {
      const s = runner.stats || { passes: 0, failures, pending: 0 };
      const result = { passed: s.passes, failed: s.failures, pending: s.pending, files: files.map((f) => path.basename(f)), failures: failed };
      console.log(`${result.passed} passed, ${result.failed} failed, ${result.pending} skipped`);
      if (process.env.IPCX_TEST_RESULTS) fs.writeFileSync(process.env.IPCX_TEST_RESULTS, JSON.stringify(result, null, 2));
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
    runner.on('fail', (t, err) => failed.push({ title: t.fullTitle(), error: String(err && err.message) }));
  });
}

module.exports = { runMochaFiles };

// Test entry for the "no native binding" session of test/integration/runTest.js: the extension under
// development is a copy of dist/ + package.json + media/ WITHOUT native/ (as on a machine where node-gyp
// failed). Same result protocol as ../suite/index.js.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

function run() {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30000, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, 'fallback.test.js'));
  return new Promise((resolve, reject) => {
    const failed = [];
    const runner = mocha.run((failures) => {
      const s = runner.stats;
      const result = { passed: s.passes, failed: s.failures, pending: s.pending, files: ['fallback.test.js'], failures: failed };
      console.log(`${result.passed} passed, ${result.failed} failed, ${result.pending} skipped`);
      if (process.env.IPCX_TEST_RESULTS) fs.writeFileSync(process.env.IPCX_TEST_RESULTS, JSON.stringify(result, null, 2));
      failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve();
    });
    runner.on('fail', (t, err) => failed.push({ title: t.fullTitle(), error: String(err && err.message) }));
  });
}
module.exports = { run };

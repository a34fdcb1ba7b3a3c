// Test entry for the "no native binding" session of test/integration/runTest.js: the extension under
// development is a copy of dist/ + package.json + media/ WITHOUT native/ (as on a machine where node-gyp
// failed). Same result protocol as ../suite/index.js (../mochaRun.js).
'use strict';
const path = require('node:path');
const { runMochaFiles } = require('../mochaRun');

module.exports = { run: () => runMochaFiles([path.join(__dirname, 'fallback.test.js')]) };

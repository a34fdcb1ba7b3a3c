// Test entry for the "lock left by a crashed recycle, at start-up" session of test/integration/runTest.js: a
// fresh VS Code server whose extension has not activated yet, so the test can leave a crashed recycle's lock
// behind before the extension starts. Same result protocol as ../suite/index.js (../mochaRun.js).
'use strict';
const path = require('node:path');
const { runMochaFiles } = require('../mochaRun');

module.exports = { run: () => runMochaFiles([path.join(__dirname, 'restore.test.js')]) };

// Test entry for the desktop sessions of test/integration/runTest.js: the extension under development with
// IPCX_TEST_PLATFORM set (freebsd, darwin or win32), the test hook honoured only in extension mode Test
// (extension/extension.ts testPlatform). Same result protocol as ../suite/index.js (../mochaRun.js).
'use strict';
const path = require('node:path');
const { runMochaFiles } = require('../mochaRun');

module.exports = { run: () => runMochaFiles([path.join(__dirname, 'platforms.test.js')]) };

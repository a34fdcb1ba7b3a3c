// Test entry for the "System V calls refused" session of test/integration/runTest.js: the VS Code server and
// everything it starts run under a seccomp filter that fails semctl, shmctl and msgctl with EPERM (as a
// sandbox forbidding System V IPC would; making objects stays possible, so the test can set up what is read).
// Same result protocol as ../suite/index.js (../mochaRun.js).
'use strict';
const path = require('node:path');
const { runMochaFiles } = require('../mochaRun');

module.exports = { run: () => runMochaFiles([path.join(__dirname, 'sandbox.test.js')]) };

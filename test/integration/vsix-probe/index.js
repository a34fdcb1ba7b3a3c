// Test entry for the VSIX session of test/integration/runTest.js: the VSIX built by `npm run package` was
// installed into this VS Code server's (fresh) extensions dir; this development extension is empty and only
// carries the runner. Same result protocol as ../suite/index.js (../mochaRun.js).
'use strict';
const path = require('node:path');
const { runMochaFiles } = require('../mochaRun');

module.exports = { run: () => runMochaFiles([path.join(__dirname, 'vsix.test.js')]) };

// Entry of the `npm start` session of the integration stage (test/integration/runTest.js): runs start.test.js
// in plain node with the shared result protocol (mochaRun.js).
'use strict';
const path = require('node:path');
const { runMochaFiles } = require('../mochaRun');

runMochaFiles([path.join(__dirname, 'start.test.js')]).then(() => process.exit(0), () => process.exit(1));

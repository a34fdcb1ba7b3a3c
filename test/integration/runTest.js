// The integration stage of `npm test` (test/run-all.mjs runs this file and reads its last line).
// The ordinary @vscode/test-electron `runTests()` entry, with one difference: `vscodeExecutablePath` is
// tools/vscode-server/code-test-shim, which runs the suite in the real VS Code server of code-server 4.100.3
// (VS Code 1.100.3), inside a private IPC + mount namespace, with Debian's Chromium as the window.
//
//   node test/integration/runTest.js                 every suite file, then the VSIX check
//   IPCX_IT_FILES=tree,commands node test/...        only suite files whose name contains one of these
//   IPCX_SKIP_VSIX=1                                 skip the VSIX install + activation session
//   IPCX_SKIP_SUITE=1                                skip the suite (run only the sessions below it)
//   IPCX_SKIP_FALLBACK=1                             skip the "no native binding" session
//   IPCX_SKIP_START=1                                skip the `npm start` session (password-protected server)
//   IPCX_SKIP_DESKTOPS=1                             skip the FreeBSD/macOS/Windows desktop sessions
//   IPCX_IT_FILES=platforms                          (a word of it) runs those sessions even with IPCX_IT_FILES
//   IPCX_SKIP_RESTORE=1                              skip the "restore at start-up" session (IPCX_IT_FILES=restore runs it)
//   IPCX_SKIP_SANDBOX=1                              skip the "System V calls refused" session (IPCX_IT_FILES=sandbox runs it)
//
// Sessions: the suite (extension under development), the installed VSIX, the extension without its
// native binary (/proc fallback), and `npm start` itself (its server refuses requests without the password;
// plain node, test/integration/start/). Every VS Code server here asks for a password (codeServer.js); the
// runner logs its browser in with it. A session that does not run counts as one skipped test and prints
// `skipped: SESSION — REASON` (test/run-all.mjs lists those lines): switched off above, left out by
// IPCX_IT_FILES, or no Chromium (/usr/bin/chromium or $IPCX_CHROMIUM; with IPCX_REQUIRE_CHROMIUM=1 that
// fails instead).
// Ends with one line: `N passed, N failed, N skipped`.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { runTests } = require('@vscode/test-electron');
const { ensureInstalled } = require('../../tools/vscode-server/codeServer');

const root = path.resolve(__dirname, '..', '..');
const shim = path.join(root, 'tools', 'vscode-server', 'code-test-shim');
/** the compiled suite (tools/build-integration-tests.mjs): the sessions below load their entries from here */
const built = path.join(root, 'out', 'integration');
const totals = { passed: 0, failed: 0, skipped: 0 };
const SESSIONS = ['suite (extension development host)', 'VSIX (installed extension)', 'no native binding (/proc fallback)', 'npm start (password-protected server)', 'restore at start-up (a crashed recycle\'s lock)', 'System V calls refused (a seccomp filter on the VS Code server)'];
/** the desktop sessions: the platform the test hook makes the extension read the local host as */
const DESKTOPS = ['freebsd', 'darwin', 'win32'];
const desktopLabel = (p) => `${p} desktop (IPCX_TEST_PLATFORM test hook, stand-in ipcs/sysctl/uname)`;

/** A session that does not run: one skipped test, with its reason on a line run-all.mjs collects. */
function skipSession(label, reason) {
  totals.skipped += 1;
  console.log(`skipped: integration ${label} — ${reason}`);
}

const chromiumPath = process.env.IPCX_CHROMIUM || '/usr/bin/chromium';
function haveChromium() {
  try {
    fs.accessSync(chromiumPath, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readResults(file, label) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    totals.passed += r.passed; totals.failed += r.failed; totals.skipped += r.pending;
    return r;
  } catch {
    console.log(`${label}: no results from the extension host (it crashed, timed out or never ran the suite)`);
    totals.failed += 1;
    return null;
  }
}

async function session(label, opts) {
  const results = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-it-')), 'results.json');
  console.log(`\n--- ${label}`);
  try {
    await runTests({
      vscodeExecutablePath: shim,
      extensionDevelopmentPath: opts.extensionDevelopmentPath,
      extensionTestsPath: opts.extensionTestsPath,
      launchArgs: [path.join(__dirname, 'workspace')],
      extensionTestsEnv: { IPCX_TEST_RESULTS: results, IPCX_TEST_ARTIFACTS: path.join(root, 'test-artifacts'), ...(opts.env || {}) },
    });
  } catch (e) {
    console.log(`${label}: VS Code exited with a failure (${e && e.message})`);
  }
  const r = readResults(results, label);
  fs.rmSync(path.dirname(results), { recursive: true, force: true });
  return r;
}

function npm(args) {
  const r = spawnSync('npm', args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return r.status === 0;
}

(async () => {
  if (!haveChromium()) {
    const reason = `needs chromium: no Chromium at ${chromiumPath} (Debian package chromium)`;
    if (process.env.IPCX_REQUIRE_CHROMIUM === '1') {
      console.log(`IPCX_REQUIRE_CHROMIUM=1 but ${reason}`);
      console.log('0 passed, 1 failed, 0 skipped');
      process.exit(1);
    }
    for (const label of SESSIONS) skipSession(label, `${reason} (set IPCX_REQUIRE_CHROMIUM=1 to fail instead of skipping)`);
    console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
    process.exit(0);
  }
  process.env.CHROMIUM = chromiumPath;
  ensureInstalled();
  // the suite is TypeScript: compile it (type checking is the typecheck stage's) before any session loads it
  if (spawnSync(process.execPath, [path.join(root, 'tools', 'build-integration-tests.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }).status !== 0) {
    console.log('compiling the integration suite failed'); console.log('0 passed, 1 failed, 0 skipped'); process.exit(1);
  }
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js')) && !npm(['run', 'build'])) {
    console.log('build failed'); console.log('0 passed, 1 failed, 0 skipped'); process.exit(1);
  }
  // 1. the suite: the extension under development, every test/integration/suite/*.test.js
  if (process.env.IPCX_SKIP_SUITE === '1') skipSession(SESSIONS[0], 'IPCX_SKIP_SUITE=1');
  else {
    await session(SESSIONS[0], {
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(built, 'suite', 'index.js'),
    });
  }
  // 2. the VSIX: `npm run package`, install it into a fresh extensions dir of the VS Code server, and check it
  //    activates from there with its native binary (a probe extension carries the test runner).
  if (process.env.IPCX_SKIP_VSIX === '1') skipSession(SESSIONS[1], 'IPCX_SKIP_VSIX=1');
  else if (process.env.IPCX_IT_FILES) skipSession(SESSIONS[1], `IPCX_IT_FILES=${process.env.IPCX_IT_FILES} runs only those suite files`);
  else {
    const vsix = path.join(root, 'dist', 'ipc-explorer-linux-x64.vsix');
    if (npm(['run', 'package', '--silent']) && fs.existsSync(vsix)) {
      await session(SESSIONS[1], {
        extensionDevelopmentPath: path.join(built, 'vsix-probe'),
        extensionTestsPath: path.join(built, 'vsix-probe', 'index.js'),
        // the Node that packaged it (and built its ipcx code cache): the one `ipcx` runs with here
        env: { IPCX_VSIX: vsix, IPCX_PACKAGING_NODE: process.execPath },
      });
      // leave a development build behind (package made a production one)
      npm(['run', 'build', '--silent']);
    } else {
      console.log('npm run package failed: no VSIX to install'); totals.failed += 1;
    }
  }
  // 3. no native binding: a copy of the built extension without native/ (as after a failed node-gyp build)
  if (process.env.IPCX_SKIP_FALLBACK === '1') skipSession(SESSIONS[2], 'IPCX_SKIP_FALLBACK=1');
  else if (process.env.IPCX_IT_FILES) skipSession(SESSIONS[2], `IPCX_IT_FILES=${process.env.IPCX_IT_FILES} runs only those suite files`);
  else {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-nonative-'));
    fs.copyFileSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
    fs.cpSync(path.join(root, 'media'), path.join(copy, 'media'), { recursive: true });
    fs.cpSync(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.vsix') });
    await session(SESSIONS[2], {
      extensionDevelopmentPath: copy,
      extensionTestsPath: path.join(built, 'fallback', 'index.js'),
    });
    fs.rmSync(copy, { recursive: true, force: true });
  }
  // 4. other desktops: the extension under development with IPCX_TEST_PLATFORM (honoured only in extension
  //    mode Test), one VS Code per platform since the platform is read at activation (platforms/)
  const onlyFiles = (process.env.IPCX_IT_FILES || '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const platform of DESKTOPS) {
    if (process.env.IPCX_SKIP_DESKTOPS === '1') skipSession(desktopLabel(platform), 'IPCX_SKIP_DESKTOPS=1');
    else if (onlyFiles.length && !onlyFiles.some((w) => 'platforms'.includes(w))) skipSession(desktopLabel(platform), `IPCX_IT_FILES=${process.env.IPCX_IT_FILES} runs only those suite files`);
    else {
      await session(desktopLabel(platform), {
        extensionDevelopmentPath: root,
        extensionTestsPath: path.join(built, 'platforms', 'index.js'),
        env: { IPCX_TEST_PLATFORM: platform },
      });
    }
  }
  // 5. `npm start`: the real command; its server must refuse whoever does not have the printed password
  if (process.env.IPCX_SKIP_START === '1') skipSession(SESSIONS[3], 'IPCX_SKIP_START=1');
  else if (process.env.IPCX_IT_FILES) skipSession(SESSIONS[3], `IPCX_IT_FILES=${process.env.IPCX_IT_FILES} runs only those suite files`);
  else {
    const results = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-it-')), 'results.json');
    console.log(`\n--- ${SESSIONS[3]}`);
    spawnSync(process.execPath, [path.join(built, 'start', 'index.js')], {
      cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, IPCX_TEST_RESULTS: results },
    });
    readResults(results, SESSIONS[3]);
    fs.rmSync(path.dirname(results), { recursive: true, force: true });
  }
  // 6. a lock left by a crashed recycle, reported when the extension starts (a fresh server: the lock must be
  //    in place before the extension activates)
  if (process.env.IPCX_SKIP_RESTORE === '1') skipSession(SESSIONS[4], 'IPCX_SKIP_RESTORE=1');
  else if (process.env.IPCX_IT_FILES && !process.env.IPCX_IT_FILES.split(',').includes('restore')) skipSession(SESSIONS[4], `IPCX_IT_FILES=${process.env.IPCX_IT_FILES} runs only those suite files`);
  else {
    await session(SESSIONS[4], {
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(built, 'restore', 'index.js'),
    });
  }
  // 7. a sandbox that refuses semctl/shmctl/msgctl to the VS Code server and everything it starts (a seccomp
  //    filter, test/helpers/c/sysv_filter.c): the extension reads /proc/sysvipc and removes nothing
  if (process.env.IPCX_SKIP_SANDBOX === '1') skipSession(SESSIONS[5], 'IPCX_SKIP_SANDBOX=1');
  else if (process.env.IPCX_IT_FILES && !process.env.IPCX_IT_FILES.split(',').includes('sandbox')) skipSession(SESSIONS[5], `IPCX_IT_FILES=${process.env.IPCX_IT_FILES} runs only those suite files`);
  else if (process.arch !== 'x64') skipSession(SESSIONS[5], `the seccomp filter (sysv_filter.c) knows x86_64 system calls only, not ${process.arch}'s`);
  else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-sandbox-'));
    const filter = path.join(dir, 'sysv_filter');
    const cc = spawnSync('gcc', ['-O2', '-Wall', '-D_GNU_SOURCE', '-o', filter, path.join(root, 'test', 'helpers', 'c', 'sysv_filter.c')], { encoding: 'utf8' });
    if (cc.status !== 0) {
      console.log(`${SESSIONS[5]}: compiling sysv_filter.c failed: ${cc.stderr}`);
      totals.failed += 1;
    } else {
      await session(SESSIONS[5], {
        extensionDevelopmentPath: root,
        extensionTestsPath: path.join(built, 'sandbox', 'index.js'),
        env: { IPCX_TEST_SERVER_WRAPPER: JSON.stringify([filter, 'deny-ctl=1']) },
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(totals.failed ? 1 : 0);
})();

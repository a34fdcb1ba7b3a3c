// Starts and stops the real VS Code server (code-server's bundled VS Code 1.100.3) on 127.0.0.1, optionally
// inside a private IPC + mount namespace. Used by the integration runner (run-ext-tests.js) and by
// tools/start.mjs (`npm start`). Plain CommonJS so both can load it without a build step.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const here = __dirname;
/** Where install.sh puts code-server: here, or the user's cache directory when this path has whitespace. */
const installDir = /\s/.test(here)
  ? path.join(process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache'), 'ipc-explorer', 'vscode-server')
  : here;
const codeServerBin = process.env.CODE_SERVER_BIN || path.join(installDir, 'node_modules', '.bin', 'code-server');

function isInstalled() {
  return fs.existsSync(codeServerBin);
}

/** Runs install.sh (apt packages + npm install of code-server) when code-server is not there yet. */
function ensureInstalled(log = console.log) {
  if (isInstalled()) return;
  log(`VS Code server not installed: running ${path.join(here, 'install.sh')} (~1 min, ~320 MB)`);
  const r = spawnSync('sh', [path.join(here, 'install.sh')], { stdio: 'inherit' });
  if (r.status !== 0 || !isInstalled()) throw new Error(`tools/vscode-server/install.sh failed (exit ${r.status})`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * argv that runs `cmd args...` in a new IPC namespace and a new mount namespace with a fresh tmpfs on
 * /dev/shm (POSIX semaphores and shm live there) and, when the kernel allows, a fresh mqueue mount. The
 * program is exec'd by sh, so the pid we get is the program's own pid. No shell string is built from the
 * arguments: they travel as "$@".
 */
function privateIpcArgv(cmd, args) {
  const script = 'mount --make-rprivate / && mount -t tmpfs -o mode=1777,size=64m tmpfs /dev/shm && ' +
    '(mount -t mqueue mqueue /dev/mqueue 2>/dev/null || true) && exec "$0" "$@"';
  return ['unshare', ['--ipc', '--mount', '--', 'sh', '-c', script, cmd, ...args]];
}

/** A random login password: 144 bits, URL-safe, so it can be typed and pasted. */
function randomPassword() {
  return crypto.randomBytes(18).toString('base64url');
}

/**
 * Starts code-server on 127.0.0.1. Resolves once it listens.
 * opts: { dir (throwaway state dir), port?, privateIpc?, env?, extraArgs?, folder?, log?,
 *         auth? ('password', the default, or 'none'), password? (default: a random one),
 *         wrapper? (argv the server runs behind, inside its namespace: a test's seccomp filter) }
 * With password auth (code-server's own login page, rate-limited, session cookie) the password reaches
 * code-server only through $PASSWORD in its environment: not in argv (other users can read a process's
 * argv in /proc, not its environment) and not in a file.
 * Returns { port, url, pid, logFile, auth, password, stop() }.
 */
async function startCodeServer(opts) {
  const log = opts.log || (() => {});
  const dir = opts.dir;
  const port = opts.port || (await freePort());
  const userData = path.join(dir, 'user-data');
  const extensions = opts.extensionsDir || path.join(dir, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extensions, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.yaml'), '');
  const settingsFile = path.join(userData, 'User', 'settings.json');
  if (!fs.existsSync(settingsFile)) {
    // a quiet window: no welcome page, no update or telemetry traffic, no tips
    fs.writeFileSync(settingsFile, JSON.stringify({
      'workbench.startupEditor': 'none', 'extensions.autoUpdate': false, 'extensions.autoCheckUpdates': false,
      'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false, 'window.commandCenter': false,
      'git.openRepositoryInParentFolders': 'never', 'git.autoRepositoryDetection': false,
      ...(opts.settings || {}),
    }, null, 2));
  }
  const auth = opts.auth || 'password';
  if (auth !== 'password' && auth !== 'none') throw new Error(`startCodeServer: auth must be 'password' or 'none', not ${auth}`);
  const password = auth === 'password' ? (opts.password || randomPassword()) : undefined;
  const args = [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', auth,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
    '--user-data-dir', userData, '--extensions-dir', extensions, '--config', path.join(dir, 'config.yaml'),
    ...(opts.extraArgs || []),
    ...(opts.folder ? [opts.folder] : []),
  ];
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
    XDG_DATA_HOME: path.join(dir, 'xdg-data'),
    // skip resolving the login shell's environment (VS Code does so when not started from its CLI): here it
    // can hang for its 10 s timeout and delays the extension host; nothing we run needs it
    VSCODE_CLI: '1',
    ...(opts.env || {}),
  };
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  if (password) env.PASSWORD = password;
  const [bin, binArgs] = opts.wrapper && opts.wrapper.length ? [opts.wrapper[0], [...opts.wrapper.slice(1), codeServerBin, ...args]] : [codeServerBin, args];
  const [cmd, argv] = opts.privateIpc ? privateIpcArgv(bin, binArgs) : [bin, binArgs];
  const logFile = path.join(dir, 'server.log');
  const out = fs.openSync(logFile, 'a');
  let closed = false;
  // detached: its own process group, so stop() can end code-server and every process it started (the
  // extension host, file watcher, pty host) by that group id, and nothing else.
  const child = spawn(cmd, argv, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = null;
  const exitP = new Promise((resolve) => child.on('exit', (code, sig) => { exited = code ?? sig; resolve(exited); }));
  await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`code-server did not start within 60 s; log: ${logFile}\n${buf}`)), 60000);
    const onData = (d) => {
      if (!closed) fs.writeSync(out, d);
      if (buf.length < 20000) buf += d;
      if (/HTTP server listening/.test(buf)) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (c) => { clearTimeout(timer); reject(new Error(`code-server exited early (${c}); log: ${logFile}\n${buf}`)); });
  });
  // keep logging after startup
  log(`code-server pid ${child.pid} listening on 127.0.0.1:${port}${opts.privateIpc ? ' (private IPC + mount namespace)' : ''}`);

  async function stop() {
    if (exited !== null) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    await exitP;
    clearTimeout(t);
    // children of the group that outlive the leader (rare): end them too
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
    closed = true;
    fs.closeSync(out);
  }
  return { port, url: `http://127.0.0.1:${port}/`, pid: child.pid, logFile, userData, extensions, auth, password, stop, exited: exitP };
}

/** Installs a .vsix into an extensions dir with code-server's own CLI (no server needed). */
function installVsix(vsix, extensionsDir, dir) {
  const r = spawnSync(codeServerBin, ['--extensions-dir', extensionsDir, '--user-data-dir', path.join(dir, 'user-data'),
    '--install-extension', vsix, '--force'], {
    encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'xdg-config'), XDG_DATA_HOME: path.join(dir, 'xdg-data') },
  });
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

module.exports = { codeServerBin, isInstalled, ensureInstalled, freePort, privateIpcArgv, randomPassword, startCodeServer, installVsix };

// `npm start`: IPC Explorer in a real VS Code, from a fresh clone.
//
//   npm start                     serve VS Code at http://127.0.0.1:PORT with IPC Explorer installed, showing THIS
//                                 machine's objects; loopback only, behind a random password printed once
//   npm start -- --port 9000      choose the port (default $PORT or 8765; the next free one if taken)
//   npm start -- --no-auth        no password (a throwaway machine with no other users only: anyone who can
//                                 reach the port, including a web page in your browser, gets a shell as you)
//   npm start -- --desktop        run VS Code desktop (`code` on PATH) with the extension under development
//
// Why a password: the workbench has a terminal, so whoever reaches the server gets a shell as the user running
// it (root, when IPC Explorer should see and recycle everything). 127.0.0.1 alone does not stop other users of
// the machine, nor a DNS-rebinding page in your browser. code-server's own login (`--auth password`, the
// password passed only in its environment, a rate-limited login form, a SameSite session cookie) stops both.
//
// Steps, each skipped when already done: Debian packages (tools/install-system-deps.sh, needs root), the
// native binding (tools/build-native.mjs), the bundles (esbuild), the VS Code server (code-server 4.100.3 via
// tools/vscode-server/install.sh), the VSIX (`npm run package`) installed into a VS Code profile kept in
// .vscode-test/start/ (git-ignored). The window opens .vscode-test/start/workspace/, whose
// `.ipc-explorer-open` marker makes the extension activate and show its view.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { ensureInstalled, installVsix, startCodeServer } = require('./vscode-server/codeServer.js');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name) => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && argv[i + 1]) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : undefined;
};
const say = (msg) => console.log(`[start] ${msg}`);

function run(cmd, args, what, { fatal = true } = {}) {
  say(what);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 && fatal) {
    console.error(`[start] failed: ${what} (exit ${r.status})`);
    process.exit(1);
  }
  return r.status === 0;
}

function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function choosePort() {
  const wanted = Number(option('port') || process.env.PORT || 8765);
  if (!Number.isInteger(wanted) || wanted <= 0 || wanted > 65535) throw new Error(`bad port ${wanted}`);
  for (let p = wanted; p < wanted + 50 && p <= 65535; p++) if (await portFree(p)) return p;
  throw new Error(`no free port in ${wanted}..${wanted + 49}`);
}

async function main() {
  // 1. system packages (idempotent; only root can install what is missing)
  if (!run('sh', [path.join(root, 'tools', 'install-system-deps.sh')], 'system packages', { fatal: false })) {
    say('some Debian packages are missing and this is not root: continuing; run tools/install-system-deps.sh as root if a step below fails');
  }
  // 2. node_modules and the native binding
  if (!fs.existsSync(path.join(root, 'node_modules', 'esbuild'))) run('npm', ['install'], 'npm install');
  if (!fs.existsSync(path.join(root, 'native', 'build', 'Release', 'ipc_native.node'))) {
    run(process.execPath, [path.join(root, 'tools', 'build-native.mjs')], 'native binding (a failure falls back to /proc)', { fatal: false });
  }

  // 3. desktop VS Code, when asked and available
  if (flag('desktop')) {
    run(process.execPath, [path.join(root, 'tools', 'esbuild.mjs')], 'build');
    if (onPath('code')) {
      say(`launching VS Code desktop with --extensionDevelopmentPath=${root}`);
      const c = spawn('code', ['--new-window', `--extensionDevelopmentPath=${root}`, root], { stdio: 'inherit', detached: true });
      c.unref();
      return;
    }
    say('`code` (VS Code desktop) is not on PATH: serving VS Code in the browser instead');
  }

  // 4. the VS Code server, the VSIX, and a profile with the extension installed
  ensureInstalled(say);
  run('npm', ['run', '--silent', 'package'], 'package the extension (VSIX)');
  const vsix = path.join(root, 'dist', 'ipc-explorer-linux-x64.vsix');
  const dir = path.join(root, '.vscode-test', 'start');
  fs.mkdirSync(dir, { recursive: true });
  say(`installing ${path.relative(root, vsix)} into ${path.relative(root, dir)}/extensions`);
  installVsix(vsix, path.join(dir, 'extensions'), dir);
  // leave a development build (with source maps) in dist/ for tests and debugging
  run(process.execPath, [path.join(root, 'tools', 'esbuild.mjs')], 'development build');

  // the folder the window opens: its .ipc-explorer-open marker makes IPC Explorer show its view at once
  const workspace = path.join(dir, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, '.ipc-explorer-open'), '');
  fs.writeFileSync(path.join(workspace, 'README.md'),
    '# IPC Explorer\n\nThis folder only tells IPC Explorer to open its view (the `.ipc-explorer-open` file). ' +
    'The objects shown are those of the machine running `npm start`.\n');
  const port = await choosePort();
  const noAuth = flag('no-auth');
  const server = await startCodeServer({
    dir,
    port,
    folder: workspace,
    log: say,
    auth: noAuth ? 'none' : 'password',
  });
  if (noAuth) {
    console.log('\n  ' + '!'.repeat(100));
    console.log('  WARNING: --no-auth: NO PASSWORD. Any local user of this machine, and any web page open in your browser');
    console.log('  (DNS rebinding), can open this VS Code and its terminal: a shell as ' + (process.getuid?.() === 0 ? 'ROOT' : 'you') + '.');
    console.log('  Use it only on a throwaway machine with no other users; stop it (Ctrl-C) when done.');
    console.log('  ' + '!'.repeat(100));
    console.log(`\n  IPC Explorer in VS Code: ${server.url}   (no password)\n`);
  } else {
    console.log(`\n  IPC Explorer in VS Code: ${server.url}\n  Password: ${server.password}\n` +
      '  (random, printed only here; a new one at each start. Listening on 127.0.0.1 only: from another machine use\n' +
      `  ssh -L ${port}:127.0.0.1:${port} THIS-HOST. IPC Explorer is the icon in the activity bar, "IPC Objects" in the Explorer.\n` +
      '  Ctrl-C stops it.)\n');
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await server.exited;
  if (stopping) return;
  say(`code-server exited (${code}); its log: ${server.logFile}`);
  process.exit(1);
}

main().catch((e) => {
  console.error(`[start] ${e && e.message ? e.message : e}`);
  process.exit(1);
});

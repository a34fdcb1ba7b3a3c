// Helpers for integration suite files (plain JS, run in the VS Code extension host; see README.md here).
'use strict';
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

const EXTENSION_ID = 'ipc-explorer.ipc-explorer';
const root = path.resolve(__dirname, '..', '..');
const artifacts = process.env.IPCX_TEST_ARTIFACTS || path.join(root, 'test-artifacts');

/** Activates IPC Explorer (if needed) and returns what activate() returned: the test API. */
async function activateExtension() {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in this VS Code`);
  const api = await ext.activate();
  assert.ok(api && api.store, 'activate() returns the test API ({ store, tree, treeView, ... })');
  return api;
}

/**
 * Throws unless this process is in a private IPC namespace: one other than the runner's (the runner starts
 * the VS Code server with `unshare --ipc` and passes its own namespace as IPCX_HOST_IPC_NS) and other than
 * pid 1's when that is readable (in some sandboxes /proc/1/ns is EACCES even for root).
 */
function assertPrivateIpcNamespace() {
  const mine = fs.readlinkSync('/proc/self/ns/ipc');
  const outer = process.env.IPCX_HOST_IPC_NS;
  let init;
  try { init = fs.readlinkSync('/proc/1/ns/ipc'); } catch { init = undefined; }
  if (!outer && !init) throw new Error('cannot tell whether this IPC namespace is private: run the suite through test/integration/runTest.js');
  // ipc:[4026531839] is the kernel's initial IPC namespace (PROC_IPC_INIT_INO)
  if (mine === outer || mine === init || mine === 'ipc:[4026531839]') {
    throw new Error('refusing to create IPC objects in the host namespace: run the suite through test/integration/runTest.js');
  }
}

/**
 * Changes verdict options for a test on top of what the features set (settings, the recycle feature's owner
 * evidence and `ownPids`), e.g. `{ minOrphanAgeSeconds: 0, recentActivitySeconds: 0 }`. Returns the function
 * that restores the previous options: call it in `after()` (later suites share the extension).
 */
function patchVerdictOptions(api, patch) {
  const verdicts = api.services.verdicts;
  const base = verdicts.options.bind(verdicts);
  verdicts.options = (host) => ({ ...base(host), ...patch });
  return () => { delete verdicts.options; };
}

/**
 * Compiles one C source with `flags` into test-artifacts/bin/HASH/NAME (the hash covers the source, the flags and
 * gcc's version) and returns the path: an edited source or changed flags always rebuild, and nothing is put at a
 * predictable path in a shared directory such as /tmp, where another user could plant a file for root to run.
 */
function compileC(src, name, flags) {
  const gcc = spawnSync('gcc', ['-dumpfullversion', '-dumpversion'], { encoding: 'utf8' });
  if (gcc.error) throw new Error(`cannot run gcc: ${gcc.error.message}`);
  const hash = crypto.createHash('sha256').update(`${gcc.stdout.trim()}\0${name}\0${flags.join('\0')}\0`).update(fs.readFileSync(src)).digest('hex').slice(0, 16);
  const out = path.join(root, 'test-artifacts', 'bin', hash, name);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    const r = spawnSync('gcc', [...flags, '-o', tmp, src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc ${path.basename(src)} failed: ${r.stderr}`);
    fs.renameSync(tmp, out);
  }
  return out;
}

let ipcobjPath;
/** Compiles test/integration/fixtures/ipcobj.c once per run and returns the binary's path (comm: ipcobj-<hash>). */
function ipcobjBinary() {
  if (ipcobjPath) return ipcobjPath;
  const src = path.join(__dirname, 'fixtures', 'ipcobj.c');
  const hash = crypto.createHash('sha1').update(fs.readFileSync(src)).digest('hex').slice(0, 8);
  ipcobjPath = compileC(src, `ipcobj-${hash}`, ['-O1', '-Wall', '-pthread']);
  return ipcobjPath;
}

function ipcobj(...args) {
  assertPrivateIpcNamespace();
  const r = spawnSync(ipcobjBinary(), args.map(String), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipcobj ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Known objects. Keys are numbers (0 = IPC_PRIVATE); returns the kernel id. */
const make = {
  /** values given: SETALL from a process that exits, so every sempid is a dead pid */
  semSet: ({ key, nsems, mode = 0o600, values }) => Number(ipcobj('sem', key, nsems, mode, ...(values || []))),
  shm: ({ key, size, mode = 0o600 }) => Number(ipcobj('shm', key, size, mode)),
  msgQueue: ({ key, mode = 0o600 }) => Number(ipcobj('msg', key, mode)),
  /** n IPC_PRIVATE sets of nsems each (one process: fast enough for thousands) */
  manySemSets: ({ n, nsems = 1 }) => Number(ipcobj('many', n, nsems)),
  posixSem: ({ name, value = 0 }) => { ipcobj('psem', name, value); return name; },
  posixShm: ({ name, size }) => { ipcobj('pshm', name, size); return name; },
};

const started = [];
/** Starts a long-lived helper (attach-shm ID | wait-sem ID SEMNUM); resolves once it is in place. */
function startHolder(...args) {
  assertPrivateIpcNamespace();
  const child = spawn(ipcobjBinary(), args.map(String), { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (out.includes('ready')) setTimeout(() => resolve(child), 100); });
    child.on('exit', (c) => reject(new Error(`ipcobj ${args.join(' ')} exited ${c}`)));
  });
}
/** Ends every helper this suite started (by its own pid). */
function stopHolders() {
  for (const c of started.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
}

/** ipcrm by id: kind 'sem' | 'shm' | 'msg'. */
function removeSysv(kind, id) {
  assertPrivateIpcNamespace();
  const flag = { sem: '-s', shm: '-m', msg: '-q' }[kind];
  const r = spawnSync('ipcrm', [flag, String(id)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipcrm ${flag} ${id}: ${r.stderr}`);
}

/** Removes every System V object and /dev/shm file of this private namespace (between suites). */
function removeAllObjects() {
  assertPrivateIpcNamespace();
  spawnSync('ipcrm', ['--all'], { encoding: 'utf8' });
  for (const f of fs.readdirSync('/dev/shm')) fs.rmSync(path.join('/dev/shm', f), { force: true, recursive: true });
}

/** Rows of /proc/sysvipc/<kind> as objects keyed by the header names. */
function procRows(kind) {
  const [head, ...rows] = fs.readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n');
  const cols = head.trim().split(/\s+/);
  return rows.map((l) => Object.fromEntries(l.trim().split(/\s+/).map((v, i) => [cols[i], Number(v)])));
}

let seq = 0;
/**
 * Asks the runner (outside VS Code, it drives Chromium) to do something with the window:
 *   bridge('screenshot', { path, selector? })     PNG of the workbench (or one element)
 *   bridge('query', { selector, frame: 'workbench'|'webview'|'any' })  -> { found, count, items: [{text, ariaLabel, ...}] }
 *   bridge('click', { selector, frame?, double? })
 *   bridge('keys', { keys: ['Escape'] })
 */
async function bridge(op, args = {}, timeoutMs = 20000) {
  const dir = process.env.IPCX_TEST_BRIDGE_DIR;
  if (!dir) throw new Error('no IPCX_TEST_BRIDGE_DIR: not running under tools/vscode-server/run-ext-tests.js');
  const id = `${process.pid}-${Date.now()}-${seq++}`;
  const tmp = path.join(dir, `.req-${id}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify({ op, ...args }));
  fs.renameSync(tmp, path.join(dir, `req-${id}.json`));
  const res = path.join(dir, `res-${id}.json`);
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(res)) {
    if (Date.now() > deadline) throw new Error(`bridge ${op}: no answer in ${timeoutMs} ms`);
    await sleep(50);
  }
  const answer = JSON.parse(fs.readFileSync(res, 'utf8'));
  fs.unlinkSync(res);
  return answer;
}

/** Saves a PNG of the whole window as test-artifacts/<name>.png and returns its path. */
async function screenshot(name, selector) {
  const file = path.join(artifacts, `${name}.png`);
  const r = await bridge('screenshot', { path: file, selector });
  if (!r.ok) throw new Error(`screenshot ${name}: ${r.error}`);
  return file;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value (returned) or the time is up (throws with `what`). */
async function waitFor(fn, what, timeoutMs = 10000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try { last = await fn(); } catch (e) { last = undefined; if (Date.now() > deadline) throw e; }
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

module.exports = {
  EXTENSION_ID, root, artifacts, vscode, activateExtension, assertPrivateIpcNamespace, patchVerdictOptions, compileC, ipcobjBinary, make,
  startHolder, stopHolders, removeSysv, removeAllObjects, procRows, bridge, screenshot, sleep, waitFor,
};

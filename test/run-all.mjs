// The one test command (`npm test`): typecheck, lint (ESLint with the layer rules), then node's test runner over test/unit, test/native,
// test/cli, test/webview, test/remote, test/recycle (inside a private IPC + mount namespace with a fresh
// tmpfs on /dev/shm, so no test can see or touch the host's objects), then the integration suite in a real
// VS Code. Ends with one summary line: `N passed, N failed, N skipped`, after the reason of every skip.
//
//   node test/run-all.mjs                 every stage
//   node test/run-all.mjs unit native     only those stages (integration = the VS Code suite)
//   IPCX_TEST_FILES=msgWindow,race node test/run-all.mjs recycle   only those files of the node stages
//   IPCX_IT_FILES=tree node test/run-all.mjs integration            only those integration suite files
//
// Before the kernel stages it makes sure the Debian packages they use are there (tools/install-system-deps.sh
// with the stages asked for): as root it installs what is missing; otherwise it lists the missing packages and
// the stages they gate, and the tests needing them are skipped with that reason (or fail where
// IPCX_REQUIRE_<CAPABILITY>=1 asks for them, test/helpers/capabilities.ts). IPCX_SYSTEM_DEPS=check never
// installs. The native binding is built again when it is missing (npm install ran before g++ was there) or
// was built from other sources than native/ holds now (tools/native-stamp.mjs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeSourceHash, stampFile } from '../tools/native-stamp.mjs';
import { installsSystemDeps, systemDeps } from '../tools/system-deps.mjs';

// The namespace we start in: kernel tests compare against it (test/helpers/ns.ts) to prove they left it.
try { process.env.IPCX_HOST_IPC_NS ??= fs.readlinkSync('/proc/self/ns/ipc'); } catch { /* not Linux */ }

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const NODE_STAGES = ['unit', 'native', 'cli', 'recycle', 'remote', 'webview', 'futex', 'metrics'];
const ALL = ['typecheck', 'lint', ...NODE_STAGES, 'integration'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const stages = wanted.length ? ALL.filter((s) => wanted.includes(s)) : ALL;
const artifacts = path.join(root, 'test-artifacts');
fs.mkdirSync(artifacts, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
/** `stage: title — reason` of every skipped test, printed before the summary line. */
const skips = [];

const KERNEL_STAGES = new Set(['native', 'cli', 'recycle', 'remote', 'webview', 'futex', 'metrics', 'integration']);

function systemPackages() {
  const need = stages.filter((s) => KERNEL_STAGES.has(s));
  if (!need.length) return;
  console.log(`\n=== system packages (${installsSystemDeps() ? 'installing what is missing' : 'checking'}: ${need.join(' ')})`);
  const { install, ok } = systemDeps(root, need);
  if (!ok) {
    lines.push(`system packages: missing (listed above); tests that need them are skipped with the reason, or fail where IPCX_REQUIRE_* asks for them`);
  }
  // the aarch64 cross compiler and a Node.js for linux-arm64 (unpacked Debian packages) for the arm64 binding's test
  if (install && need.includes('native')) {
    const rt = spawnSync('sh', [path.join(root, 'tools', 'arm64-runtime.sh'), path.join(root, 'test-artifacts', 'arm64')], { cwd: root, stdio: 'inherit' });
    if (rt.status !== 0) lines.push('arm64 runtime: not fetched (above); the linux-arm64 binding test is skipped, or fails where IPCX_REQUIRE_ARM64 asks for it');
  }
  // npm install builds the binding; on a machine that got g++/make/python3 only just now it could not, and
  // after a pull or an edit of native/ the one built earlier is stale
  const binding = path.join(root, 'native', 'build', 'Release', 'ipc_native.node');
  if (fs.existsSync(path.join(root, 'native', 'binding.gyp'))) {
    const want = nativeSourceHash(root);
    const have = fs.existsSync(stampFile(root)) ? fs.readFileSync(stampFile(root), 'utf8').trim() : '';
    if (!fs.existsSync(binding) || have !== want) {
      console.log(`\n=== native binding ${fs.existsSync(binding) ? 'built from other sources (native/ changed)' : 'missing'}: building it (tools/build-native.mjs)`);
      spawnSync(process.execPath, [path.join(root, 'tools', 'build-native.mjs')], { cwd: root, stdio: 'inherit' });
    }
  }
}

/** Skipped tests of a TAP file: `ok N - title # SKIP reason` (node's tap reporter, nested subtests too). */
function tapSkips(stage, text) {
  for (const m of text.matchAll(/^\s*ok \d+ - (.*?) # SKIP\s*(.*)$/gm)) skips.push(`${stage}: ${m[1]} — ${m[2] || '(no reason given)'}`);
}

function findTests(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (/\.test\.(ts|mjs|js)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

function privateNamespaceWrap(cmd, args) {
  // unshare: new IPC namespace + new mount namespace with a fresh /dev/shm and /dev/mqueue, and tracefs
  // (the queue removal counts msgrcv/msgsnd calls with its syscall tracepoints) where it is not mounted.
  // The namespace's name goes to $IPCX_STAGE_NS_FILE, so what is left in it after the stage can be found.
  const script = 'readlink /proc/self/ns/ipc > "$IPCX_STAGE_NS_FILE" && ' +
    'mount --make-rprivate / && mount -t tmpfs -o mode=1777,size=64m tmpfs /dev/shm && ' +
    '(mount -t mqueue mqueue /dev/mqueue 2>/dev/null || true) && ' +
    '(test -e /sys/kernel/tracing/events || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true) && exec "$0" "$@"';
  return ['unshare', ['--ipc', '--mount', '--', 'sh', '-c', script, cmd, ...args]];
}

/**
 * The processes still in the stage's private IPC namespace `ns` a moment after its runner exited: every one was
 * started by its tests (nothing else lives in that namespace). Each is ended by pid; returns "pid comm args".
 */
async function leftInNamespace(ns) {
  if (!/^ipc:\[\d+\]$/.test(ns)) return [];
  const find = () => fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
    try {
      return fs.readlinkSync(`/proc/${e}/ns/ipc`) === ns;
    } catch {
      return false; // exited
    }
  });
  // a helper that is exiting as its test ends gets a second to do so
  for (let i = 0; i < 10 && find().length; i++) await new Promise((r) => setTimeout(r, 100));
  const out = [];
  for (const pid of find()) {
    let what = '';
    try {
      what = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      continue; // exited meanwhile
    }
    out.push(`${pid} ${what}`);
  }
  return out;
}

/** `IPCX_TEST_FILES=a,b`: only test files whose path (below test/STAGE) contains one of these. */
const onlyFiles = (process.env.IPCX_TEST_FILES || '').split(',').map((s) => s.trim()).filter(Boolean);

async function runNodeStage(stage) {
  const dir = path.join(root, 'test', stage);
  const files = findTests(dir).filter((f) => !onlyFiles.length || onlyFiles.some((o) => path.relative(dir, f).includes(o)));
  if (!files.length) {
    if (onlyFiles.length) lines.push(`${stage}: no test file matches IPCX_TEST_FILES=${onlyFiles.join(',')}`);
    return;
  }
  const tap = path.join(artifacts, `${stage}.tap`);
  const args = ['--import', 'tsx', '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files];
  const [cmd, cargs] = stage === 'unit' ? [process.execPath, args] : privateNamespaceWrap(process.execPath, args);
  console.log(`\n=== ${stage}: ${files.length} file(s)${stage === 'unit' ? '' : ' (private IPC + mount namespace)'}`);
  const nsFile = path.join(artifacts, `${stage}.ipcns`);
  fs.rmSync(nsFile, { force: true });
  const r = spawnSync(cmd, cargs, { cwd: root, stdio: 'inherit', env: { ...process.env, IPCX_TEST_STAGE: stage, IPCX_STAGE_NS_FILE: nsFile } });
  const leftovers = stage === 'unit' ? [] : await leftInNamespace(fs.existsSync(nsFile) ? fs.readFileSync(nsFile, 'utf8').trim() : '');
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  const num = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)`, 'm')) || [])[1] || 0);
  let passed = num('pass'), failed = num('fail') + num('cancelled'), skipped = num('skipped') + num('todo');
  tapSkips(stage, text);
  if (r.status !== 0 && failed === 0) failed = 1; // the runner itself failed (crash, bad import)
  if (leftovers.length) {
    // a test left a process running after its stage ended: a leak of the tests, counted as a failure
    console.log(`\n✖ ${stage}: ${leftovers.length} process(es) of its tests were still running after it ended (now ended): ${leftovers.join('; ')}`);
    failed++;
  }
  totals.passed += passed; totals.failed += failed; totals.skipped += skipped;
  lines.push(`${stage}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

function runTypecheck() {
  console.log('\n=== typecheck');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let ok = true;
  for (const p of ['tsconfig.json', 'webview/tsconfig.json', 'extension/shared/tsconfig.json']) {
    if (!fs.existsSync(path.join(root, p))) continue;
    const r = spawnSync(process.execPath, [tsc, '-p', p, '--noEmit'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) ok = false;
  }
  if (ok) totals.passed++; else totals.failed++;
  lines.push(`typecheck: ${ok ? 'ok' : 'FAILED'}`);
}

function runLint() {
  console.log('\n=== lint (eslint.config.mjs)');
  const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
  const r = spawnSync(process.execPath, [eslint, '.'], { cwd: root, stdio: 'inherit' });
  const ok = r.status === 0;
  if (ok) totals.passed++; else totals.failed++;
  lines.push(`lint: ${ok ? 'ok' : 'FAILED'}`);
}

function runIntegration() {
  const runner = path.join(root, 'test', 'integration', 'runTest.js');
  if (!fs.existsSync(runner)) return;
  console.log('\n=== integration: real VS Code (code-server) + Chromium');
  const r = spawnSync(process.execPath, [runner], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout || '');
  const m = [...(r.stdout || '').matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
  let passed = 0, failed = 0, skipped = 0;
  if (m) { passed = +m[1]; failed = +m[2]; skipped = +(m[3] || 0); }
  for (const s of (r.stdout || '').matchAll(/^skipped: (.*)$/gm)) skips.push(s[1]);
  if (r.status !== 0 && failed === 0) failed = 1;
  totals.passed += passed; totals.failed += failed; totals.skipped += skipped;
  lines.push(`integration: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

systemPackages();
for (const s of stages) {
  if (s === 'typecheck') runTypecheck();
  else if (s === 'lint') runLint();
  else if (s === 'integration') runIntegration();
  else await runNodeStage(s);
}
console.log('\n=== summary');
if (skips.length) {
  console.log(`  skipped (${skips.length}):`);
  for (const l of skips) console.log('    ' + l);
}
for (const l of lines) console.log('  ' + l);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed ? 1 : 0);

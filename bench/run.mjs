// `npm run bench`: runs every bench/*.bench.ts (or the names given) inside a private IPC + mount namespace,
// so the 32,000 benchmark sets never land in the host's namespace. Each bench prints its own tables, measured
// against the machine's floor and against ipcs/lsipc in the same run, and hands its goals (PASS/MISS) and
// machine-header lines here (bench/lib.ts recordResult). At the end: one summary table; a full run (no names
// given, or IPCX_BENCH_WRITE_DOCS=1) also writes it, with the machine header, the date and every bench's
// own output, into docs/benchmarks.md between its generated-section markers (the prose around them stays).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemDeps } from '../tools/system-deps.mjs';

// The namespace we start in: kernel tests compare against it (test/helpers/ns.ts) to prove they left it.
try { process.env.IPCX_HOST_IPC_NS ??= fs.readlinkSync('/proc/self/ns/ipc'); } catch { /* not Linux */ }

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const only = process.argv.slice(2);
const benches = fs.readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts') && (!only.length || only.some((o) => f.startsWith(o))))
  .sort();
// the Debian packages the benches use (lsipc, gcc for the floor, sshd, Chromium, code-server's build deps): as
// root installed when missing, the way `npm test` does; otherwise listed, and the benches that need them fail
systemDeps(root, ['bench']);
const resultsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-bench-results-')), 'results.jsonl');
fs.writeFileSync(resultsFile, '');
const started = new Date();
const loadBefore = os.loadavg()[0];

/** Runs one bench, its stdout shown live and kept for the document; resolves to [exit status, stdout]. */
function runOne(b) {
  const script = 'mount --make-rprivate / && mount -t tmpfs -o mode=1777,size=256m tmpfs /dev/shm && exec "$0" "$@"';
  const child = spawn('unshare', ['--ipc', '--mount', '--', 'sh', '-c', script, process.execPath, '--import', 'tsx',
    path.join('bench', b)], { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, IPCX_BENCH_RESULTS: resultsFile } });
  let out = '';
  child.stdout.on('data', (d) => {
    process.stdout.write(d);
    out += d.toString('utf8');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve([code, out])));
}

let failed = 0;
const outputs = [];
for (const b of benches) {
  console.log(`\n##### ${b}`);
  const [status, out] = await runOne(b);
  if (status !== 0) { failed++; console.log(`bench ${b} failed (exit ${status})`); }
  outputs.push([b, status, out]);
}

const records = fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
fs.rmSync(path.dirname(resultsFile), { recursive: true, force: true });
const BEGIN = '<!-- npm run bench: generated section, do not edit by hand -->';
const END = '<!-- end of the generated section -->';
const verdict = (p) => (p === undefined || p === null ? 'n/a' : p ? 'PASS' : 'MISS');
const esc = (s) => String(s ?? '').replaceAll('|', '\\|');
const goalRows = records.filter((r) => r.goal).map((r) => `| ${r.bench} | ${esc(r.goal.goal)} | ${esc(r.goal.measured)} | **${verdict(r.goal.pass)}** | ${esc(r.goal.note)} |`);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
// `npm run bench` measures the bundles as they are packaged (minified, no source maps: `npm run build --
// --production`); a development build (`npm run build`) leaves source maps next to them
const bundles = fs.existsSync(path.join(root, 'dist', 'ipcx-cli.js.map')) ? 'development bundles (npm run build)' : 'production bundles, as packaged (npm run build -- --production)';
const machine = [
  `date ${started.toISOString()}; ${cpu}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ` +
    `kernel ${os.release()}; node ${process.version}; load average (1 min) ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after; ${bundles}`,
  ...records.filter((r) => r.header).map((r) => `${r.bench}: ${r.header}`),
];
const summary = [
  '| bench | goal | measured (same run) | result | note |',
  '|---|---|---|---|---|',
  ...goalRows,
].join('\n');
console.log('\n##### summary\n');
console.log(machine.join('\n'));
console.log('');
console.log(summary);
if (failed) console.log(`\n${failed} bench(es) failed`);

if (!only.length || process.env.IPCX_BENCH_WRITE_DOCS === '1') {
  const generated = [
    BEGIN,
    '## Latest run (generated)',
    '',
    'Written by `npm run bench` (bench/run.mjs) between these markers; the rest of this page is prose. Every goal is a',
    'ratio against a reference measured in the same run on the same machine: the floor (bench/c/floor.c: the least',
    'work that yields the same facts, by the fastest means this kernel offers), `lsipc`/`ipcs`, `ssh host cat` /',
    '`ssh host true` on the same warm connection, and `node -e 0` for Node\'s own start (outside this project\'s',
    'control). Figures from another machine compare through the machine line (syscall and page-fault cost).',
    '',
    `Command: \`${Object.entries(process.env).filter(([k]) => /^IPCX_BENCH_(RUNS|SCALES|ONLY|GC)$/.test(k)).map(([k, v]) => `${k}=${v} `).join('')}npm run bench${only.length ? ' ' + only.join(' ') : ''}\``,
    '',
    ...machine.map((l) => `- ${l}`),
    '',
    summary,
    '',
    ...(failed ? [`${failed} bench(es) failed; their goals are missing above.`, ''] : []),
    ...outputs.flatMap(([b, status, out]) => [
      '<details>',
      `<summary>${b}${status === 0 ? '' : ` (failed: exit ${status})`}: full output</summary>`,
      '',
      out.trim(),
      '',
      '</details>',
      '',
    ]),
    END,
  ].join('\n');
  const file = path.join(root, 'docs', 'benchmarks.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const a = old.indexOf(BEGIN);
  const z = old.indexOf(END);
  let doc;
  if (a >= 0 && z > a) doc = old.slice(0, a) + generated + old.slice(z + END.length);
  else {
    // after the title line
    const nl = old.indexOf('\n');
    doc = nl < 0 ? `${old}\n\n${generated}\n` : `${old.slice(0, nl + 1)}\n${generated}\n${old.slice(nl + 1)}`;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, doc);
  console.log('\nwritten to docs/benchmarks.md (between its generated-section markers)');
}
process.exit(failed ? 1 : 0);

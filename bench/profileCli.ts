/**
 * Where the CPU time of `ipcx snapshot --json` goes, next to `node -e 0`, `lsipc -s --json` and the floor's
 * process, at 32,000 sets x 17 (4,096 segments, 1,000 queues): `perf record` (cpu-clock, 4,999 Hz, call
 * graphs) of one run each, every sample put in the first category a frame of its stack matches ('other': JS
 * code, builtins, libc, the kernel outside those). CPU time, so the figures hold on a loaded machine; one run
 * each, so +-10 %. The floor's own CPU time per pass is in `npm run bench snapshot` (its CPU column).
 *
 *   npm run build && IPCX_HOST_IPC_NS=$(readlink /proc/self/ns/ipc) unshare --ipc --mount -- node --import tsx bench/profileCli.ts
 *   (root, perf installed; the variable lets it check that it runs in a namespace of its own)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildC, repoRoot } from '../test/helpers/cprog';
import { assertPrivateIpcNamespace } from '../test/native/support';

const HZ = 4999;

/** The first category whose test matches a sample's stack (frames joined), else 'other'. */
const CATEGORIES: Array<[string, RegExp]> = [
  ['Node start: NODE_EXTRA_CA_CERTS (OpenSSL)', /UseExtraCaCerts|NewRootCertStore/],
  ['semctl (libc + kernel)', /semctl/],
  ['shmctl / msgctl', /shmctl|msgctl/],
  ['native JSON writer', /SemsJson|ShmsJson|MsgsJson|ChunkWriter/],
  ['V8 optimizing compiler (TurboFan)', /compiler::|PipelineImpl|OptimizedCompilationJob/],
  ['V8 parse (scanner, parser, pre-parser)', /Parser|Scanner|AstValue/],
  ['V8 bytecode and other compilation', /Bytecode|Compile/],
  ['GC', /Scavenge|MarkCompact|Heap::|GCTracer|Sweeper|Marking/],
  ['JSON.stringify', /JsonStringifier/],
  ['page faults (outside the above)', /page_fault/],
  ['dynamic loading (ld.so)', /_dl_|dlopen/],
  ['exec, exit, mm teardown (kernel)', /exit_mmap|do_exit|execve|exit_group/],
];

function profile(argv: string[]): Map<string, number> {
  const data = path.join(os.tmpdir(), `ipcx-perf-${process.pid}.data`);
  const rec = spawnSync('perf', ['record', '-q', '-F', String(HZ), '-g', '-o', data, '--', ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (rec.error || rec.status !== 0) throw new Error(`perf record ${argv.join(' ')} failed (${rec.error?.message ?? rec.status})`);
  const script = spawnSync('perf', ['script', '-i', data], { encoding: 'utf8', maxBuffer: 1 << 30 });
  fs.rmSync(data, { force: true });
  const out = new Map<string, number>();
  for (const sample of script.stdout.trim().split('\n\n')) {
    const cat = CATEGORIES.find(([, re]) => re.test(sample))?.[0] ?? 'other (JS code, builtins, libc, kernel)';
    out.set(cat, (out.get(cat) ?? 0) + 1000 / HZ);
  }
  return out;
}

function main(): void {
  assertPrivateIpcNamespace();
  const make = (args: string[]) => {
    const r = spawnSync(buildC('ipc_make'), [...args, '-q'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ipc_make ${args.join(' ')}: ${r.stderr}`);
  };
  make(['shm', '-n', '4096', '-s', '4096']);
  make(['msg', '-n', '1000', '-M', '1', '-B', '64']);
  make(['sem', '-n', '32000', '-s', '17', '-v', 'p']);
  const runs: Array<[string, string[]]> = [
    ['ipcx snapshot --json', [process.execPath, path.join(repoRoot, 'dist', 'ipcx.js'), 'snapshot', '--json']],
    ['node -e 0', [process.execPath, '-e', '0']],
    ['lsipc -s --json', ['lsipc', '-s', '--json']],
  ];
  const results = runs.map(([name, argv]) => [name, profile(['sh', '-c', 'exec "$@" > /dev/null', 'sh', ...argv])] as const);
  const cats = [...CATEGORIES.map(([c]) => c), 'other (JS code, builtins, libc, kernel)'];
  console.log(`CPU ms by category (perf cpu-clock at ${HZ} Hz, one run each; load average ${os.loadavg()[0]!.toFixed(1)})\n`);
  console.log(`| category | ${results.map(([n]) => n).join(' | ')} | ipcx minus node -e 0 |`);
  console.log(`|---|${results.map(() => '---:').join('|')}|---:|`);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  for (const c of cats) {
    const cells = results.map(([, m]) => (m.get(c) ?? 0).toFixed(1));
    console.log(`| ${c} | ${cells.join(' | ')} | ${((results[0]![1].get(c) ?? 0) - (results[1]![1].get(c) ?? 0)).toFixed(1)} |`);
  }
  console.log(`| **total** | ${results.map(([, m]) => total(m).toFixed(1)).join(' | ')} | ${(total(results[0]![1]) - total(results[1]![1])).toFixed(1)} |`);
}

main();

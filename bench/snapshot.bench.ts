/**
 * `npm run bench snapshot`: the local snapshot against the machine's floor and util-linux, measured in the
 * same run, at several scales.
 *
 * In the private IPC namespace bench/run.mjs provides: 4,096 shm segments (SHMMNI's default), 1,000 message
 * queues, and semaphore sets of 17 semaphores grown through SCALES (1,000, 8,000, 32,000 = SEMMNI's default
 * without ipcmni_extend). At each scale every in-process contender gets a phase of its own that interleaves,
 * round-robin, RUNS timings of it with the floor and the references, after WARMUP untimed rounds of them (in
 * one process, a contender's garbage would otherwise be collected, by V8's concurrent marking on the other
 * core, during the next contender's timing; each is measured in the steady state of doing only that, as a
 * host refreshing every few seconds is):
 *   - the floor (bench/c/floor.c, built here, not shipped): headers of every object + GETALL of every set by
 *     the fastest means available, timed inside that C process (start-up excluded): *_STAT_ANY per slot and
 *     /proc/sysvipc parsing, one and two threads each (two threads share the set slots from both ends of
 *     the table, so both finish together); the floor of a round is the fastest of the four;
 *   - the extension's refresh as the store calls it: LocalSource.snapshot() (the binding's snapshotAsync, kernel
 *     reads on a worker thread, with the local facts around it and the model objects, the sets the kernel lists
 *     unchanged reused from its previous snapshot); the same refresh where every set changed (a new source,
 *     nothing to reuse: every set decoded); its parts: the
 *     binding's listing decoded into model objects, the synchronous snapshot, headers only, the refresh's
 *     kernel reads alone (columns, no model objects); and the JSON fast path the CLI uses;
 *   - the references `lsipc -s --json`, `ipcs -s` (headers only, both) and `cat /proc/sysvipc/sem`.
 * At the largest scale a process phase adds `ipcx snapshot --json`, `node -e 0` (Node's own start, outside
 * our control), the local source's JSON path bundled without the CLI, and a bare process (the binding's
 * read and JSON writer, nothing else); "own work" = process time minus `node -e 0` of the same round.
 * Then POSIX: 10,000 and 100,000 files in /dev/shm, listDevShm against the floor's getdents + fstatat.
 * Per-object growth between scales is printed, so a regression in growth shows, not only at 32,000.
 *
 * Processes write to /dev/null and are timed by test/helpers/c/spawn_timer (started once, before any timing),
 * so the bench process never forks while timing. A full GC runs after each JSON contender, outside the
 * timing. Goals (recorded for the summary, bench/run.mjs): refresh <= 1.3 x floor at 32,000 sets;
 * `ipcx snapshot --json` own work <= 0.5 x lsipc -s --json.
 * IPCX_BENCH_RUNS=n, IPCX_BENCH_SCALES=1000,8000,32000, IPCX_BENCH_ONLY=regex (contenders; floor and
 * references always run), IPCX_BENCH_GC=0 (no forced GC at all).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { listDevShm } from '../extension/backend/devShm';
import { EXTENSION_SOURCE_OPTIONS, LocalSource } from '../extension/backend/localSource';
import { loadNative } from '../extension/backend/nativeLoader';
import { readLimitFiles } from '../extension/backend/procfs';
import { posixObjects } from '../extension/domain/assembleSnapshot';
import { decodeSysv, limitsFromNative, type RawSysv } from '../extension/domain/sysvColumns';
import { DEFAULT_CFLAGS, buildC, compileC, repoRoot } from '../test/helpers/cprog';
import { assertPrivateIpcNamespace } from '../test/native/support';
import { median, recordResult } from './lib';

const RUNS = Number(process.env['IPCX_BENCH_RUNS'] ?? 11);
/**
 * Untimed rounds of every contender before a phase's timings. One was not enough to reach the steady state:
 * the garbage of what ran before the phase (the setup's objects, the contender before, the full GC between
 * phases) is collected during the next refreshes, on the other core while the listing runs: with one
 * warm-up the refresh's first two rounds took 38.8 and 28.6 ms (CPU 67 and 55 ms) against 20-22 ms (CPU
 * 38-40) after; with IPCX_BENCH_GC=0 its first three did likewise. With three, none did.
 */
const WARMUP = 3;
const SCALES = (process.env['IPCX_BENCH_SCALES'] ?? '1000,8000,32000').split(',').map(Number);
const NSEMS = 17;
const SEGMENTS = 4096;
const QUEUES = 1000;
const POSIX_SCALES = [10000, 100000];
const BENCH = 'snapshot';

function make(kind: string, args: string[]): void {
  const r = spawnSync(buildC('ipc_make'), [kind, ...args, '-q'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipc_make ${kind} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

/**
 * The local source's JSON path alone, bundled like dist/ipcx-cli.js but without the CLI around it (no
 * launcher, code cache, argument parsing or command table): `new LocalSource().writeSnapshotJson(1)`. Next
 * to `ipcx snapshot --json` it shows what the CLI itself adds to a start.
 */
function buildLeanCli(): string {
  const dir = path.join(repoRoot, 'test-artifacts', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, 'leanSnapshotJson.ts');
  fs.writeFileSync(
    entry,
    `import { LocalSource } from ${JSON.stringify(path.join(repoRoot, 'extension/backend/localSource'))};\n` +
      `import { loadNative } from ${JSON.stringify(path.join(repoRoot, 'extension/backend/nativeLoader'))};\n` +
      // the binding from the checkout (the bundle lives in test-artifacts/, where the loader would not look)
      `void new LocalSource({ load: () => loadNative({ env: {}, baseDirs: [${JSON.stringify(repoRoot)}] }) }).writeSnapshotJson(1);\n`,
  );
  const out = path.join(dir, 'leanSnapshotJson.js');
  esbuild.buildSync({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' });
  return out;
}

interface Timed {
  /** wall ms, fork to exit */
  wall: number;
  /** user + system ms of the child (all its threads) */
  cpu: number;
}

/**
 * Processes are started by test/helpers/c/spawn_timer (itself started once, before any timing) and timed
 * there, from fork to exit: the bench process never forks during the timings. A fork write-protects every
 * page of the parent, so the parent's next writes fault; that would bill the in-process snapshot that
 * follows a reference for the reference's process creation (measured: thousands of faults, 6-10 ms).
 */
function startSpawnTimer(): { run(argv: string[]): Timed; close(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-bench-'));
  const reqPath = path.join(dir, 'req');
  const resPath = path.join(dir, 'res');
  for (const f of [reqPath, resPath]) {
    const r = spawnSync('mkfifo', [f]);
    if (r.status !== 0) throw new Error(`mkfifo ${f} failed`);
  }
  // the shell opens req for reading, then res for writing; we open them in the same order
  const child = spawn('sh', ['-c', 'exec "$0" < "$1" > "$2"', buildC('spawn_timer'), reqPath, resPath], {
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: repoRoot,
  });
  const req = fs.openSync(reqPath, 'w');
  const res = fs.openSync(resPath, 'r');
  const buf = Buffer.alloc(256);
  return {
    run(argv) {
      if (argv.some((a) => a.includes('\t') || a.includes('\n'))) throw new Error('spawn_timer: tab or newline in argv');
      fs.writeSync(req, argv.join('\t') + '\n');
      let line = '';
      while (!line.endsWith('\n')) {
        const n = fs.readSync(res, buf, 0, buf.length, null);
        if (n <= 0) throw new Error('spawn_timer ended');
        line += buf.toString('utf8', 0, n);
      }
      const [status, ns, cpu] = line.trim().split(' ').map(Number);
      if (status !== 0) throw new Error(`${argv.join(' ')} exited ${status}`);
      return { wall: ns! / 1e6, cpu: (cpu ?? 0) / 1e6 };
    },
    close() {
      fs.closeSync(req);
      fs.closeSync(res);
      child.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    },
  };
}

/** The floor program's output file: "name value..." lines. */
function readFloorOut(file: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [k, ...v] = line.trim().split(/\s+/);
    if (k) m.set(k, v.map(Number));
  }
  return m;
}

const FLOOR_MODES = ['stat1', 'stat2', 'proc1', 'proc2'] as const;

/** One timing: wall ms and CPU ms (every thread of the process that did the work). */
interface Sample {
  wall: number;
  cpu: number;
}

/**
 * A contender: runs once, returns its own sample when measured elsewhere (a process, the floor), else void
 * (then the bench process's wall and CPU time around the call are its sample).
 */
type Contender = { name: string; run: () => void | Sample | Promise<void | Sample>; gcAfter?: boolean };

async function main(): Promise<void> {
  assertPrivateIpcNamespace();
  const loaded = loadNative();
  if (!loaded.binding) throw new Error(loaded.error!.message);
  const b = loaded.binding;
  /** What a local snapshot reads through the binding: the listing decoded, limits and usage with the limit files. */
  // the binding's listing (read synchronously or on a worker thread) as model objects, with the limits
  const model = (raw: RawSysv, values: boolean) => ({ ...decodeSysv(raw, values), ...limitsFromNative(b.limits(), readLimitFiles()) });
  const nativeSnapshot = (values = true) => model(b.sysv({ values }), values);
  const jsonSource = new LocalSource({ load: () => loaded });
  // the source the extension's store refreshes through (the same binding, built as services.ts builds it)
  const extensionSource = () => new LocalSource({ load: () => loaded, ...EXTENSION_SOURCE_OPTIONS });
  const refreshSource = extensionSource();
  const devNull = fs.openSync('/dev/null', 'w');
  const nativeSnapshotAsync = async () => model(await b.sysvAsync(), true);
  const loadBefore = os.loadavg()[0]!;
  make('shm', ['-n', String(SEGMENTS), '-s', '4096']);
  make('msg', ['-n', String(QUEUES), '-M', '1', '-B', '64']);

  const floorBin = compileC(path.join(repoRoot, 'bench', 'c', 'floor.c'), 'floor', DEFAULT_CFLAGS);
  const floorOut = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-floor-')), 'out');
  const timer = startSpawnTimer();
  const proc = (cmd: string, args: string[]) => (): Sample => timer.run([cmd, ...args]);
  const ipcx = path.join(repoRoot, 'dist', 'ipcx.js');
  const hasIpcx = fs.existsSync(ipcx);

  // the machine's costs, before anything else runs
  timer.run([floorBin, floorOut, '1', '--machine', '--no-sysv']);
  const machine = readFloorOut(floorOut);
  const syscallNs = machine.get('syscall_ns')![0]!;
  const faultNs = machine.get('fault_ns')![0]!;

  v8.setFlagsFromString('--expose-gc');
  const fullGc = vm.runInNewContext('gc') as () => void;
  const gc = process.env['IPCX_BENCH_GC'] === '0' ? () => undefined : fullGc;
  const only = process.env['IPCX_BENCH_ONLY'];
  const keep = (c: Contender[]): Contender[] => (only ? c.filter((x) => new RegExp(only).test(x.name)) : c);

  /**
   * one floor sample: the fastest mode of one floor run (REPS=1 after its warm-up), and the least CPU time
   * of any mode; modes kept per name
   */
  const floorModes = new Map<string, number[]>(FLOOR_MODES.map((m) => [m, []]));
  let floorFound = '';
  const floor: Contender = {
    name: 'floor (bench/c/floor.c: fastest of *_STAT_ANY / /proc/sysvipc x 1 / 2 threads)',
    run: () => {
      timer.run([floorBin, floorOut, '1']);
      const f = readFloorOut(floorOut);
      const times = FLOOR_MODES.map((m) => {
        floorModes.get(m)!.push(f.get(`${m}_ms`)![0]!);
        return f.get(`${m}_ms`)![0]!;
      });
      floorFound = FLOOR_MODES.map((m) => f.get(`${m}_found`)!.slice(0, 4).join('/')).join(' ');
      return { wall: Math.min(...times), cpu: Math.min(...FLOOR_MODES.map((m) => f.get(`${m}_cpu_ms`)![0]!)) };
    },
  };
  const refs: Contender[] = [
    { name: '`lsipc -s --json` (process)', run: proc('lsipc', ['-s', '--json']) },
    { name: '`ipcs -s` (process)', run: proc('ipcs', ['-s']) },
    { name: '`cat /proc/sysvipc/sem` (process)', run: proc('cat', ['/proc/sysvipc/sem']) },
  ];
  const REFRESH = 'extension refresh: LocalSource.snapshot() (listing on a worker thread, local facts, model objects)';
  const CHANGED = 'extension refresh where every set changed: LocalSource.snapshot() of a new source (no previous sets to reuse)';
  const MODEL = 'binding snapshotAsync + model objects (the refresh without local facts)';
  const COLUMNS = 'binding snapshotAsync alone (the refresh\'s columns, no model objects)';
  const inProcess: Contender[] = [
    { name: REFRESH, run: async () => void (await refreshSource.snapshot()) },
    // the refresh above reuses the set objects of its previous snapshot where the kernel lists them unchanged
    // (the bench's sets are idle); a source without a previous snapshot decodes every set, as a refresh after
    // every set changed would
    { name: CHANGED, run: async () => void (await extensionSource().snapshot()) },
    { name: MODEL, run: async () => void (await nativeSnapshotAsync()) },
    { name: 'binding snapshot, synchronous (model objects)', run: () => void nativeSnapshot() },
    { name: 'binding snapshot, headers only', run: () => void nativeSnapshot(false) },
    // the refresh's kernel reads alone: what the refresh costs beyond this is building the model objects
    { name: COLUMNS, run: async () => void (await b.sysvAsync()) },
    {
      // what `ipcx snapshot --json` does after its start: the listing, the facts around it, the document
      // written from the columns (to /dev/null)
      name: 'LocalSource.writeSnapshotJson to /dev/null (the CLI\'s JSON path, in-process)',
      run: async () => void (await jsonSource.writeSnapshotJson(devNull)),
      gcAfter: true,
    },
  ];
  const NODE0 = '`node -e 0` (Node\'s own start)';
  const IPCX = '`ipcx snapshot --json` (process)';
  const BARE = 'bare Node process: load the binding, read, native JSON writer to stdout';
  const processes = (): Contender[] => {
    const out: Contender[] = [];
    out.push({ name: NODE0, run: proc(process.execPath, ['-e', '0']) });
    if (hasIpcx) out.push({ name: IPCX, run: proc(process.execPath, [ipcx, 'snapshot', '--json']) });
    out.push({ name: 'the JSON path without the CLI: LocalSource.writeSnapshotJson(1) bundled alone', run: proc(process.execPath, [buildLeanCli()]) });
    // the least any Node CLI does for these facts: load the binding, read, the native writer of every System V
    // object to stdout; no limits, process facts or /dev/shm: what Node plus the kernel reads cost in a fresh process
    const bare = `const b = require(${JSON.stringify(b.path)}); const r = b.snapshot(true); ` +
      `b.writeSysvJson(1, ['{"sems":', ',"shms":', ',"msgs":', '}'], r.sem.headers, r.sem.values, r.sem.count, true, [], [], ` +
      `r.shm.headers, r.shm.count, null, r.msg.headers, r.msg.count)`;
    out.push({ name: BARE, run: proc(process.execPath, ['-e', bare]) });
    return out;
  };

  /** RUNS interleaved rounds; every sample kept (medians, minimums and per-round differences are taken after) */
  async function phase(contenders: Contender[]): Promise<{ times: Map<string, number[]>; cpu: Map<string, number[]> }> {
    const all = [floor, ...contenders, ...refs];
    const times = new Map<string, number[]>(all.map((c) => [c.name, []]));
    const cpu = new Map<string, number[]>(all.map((c) => [c.name, []]));
    for (let w = 0; w < WARMUP; w++) for (const c of all) await c.run();
    for (const m of floorModes.values()) m.length = 0;
    for (let i = 0; i < RUNS; i++) {
      for (const c of all) {
        const c0 = process.cpuUsage();
        const t = performance.now();
        const own = await c.run();
        const wall = performance.now() - t;
        const used = process.cpuUsage(c0);
        times.get(c.name)!.push(own ? own.wall : wall);
        cpu.get(c.name)!.push(own ? own.cpu : (used.user + used.system) / 1000);
        if (c.gcAfter) gc();
      }
    }
    return { times, cpu };
  }

  /**
   * Each contender in a phase of its own (see the top of this file), a full GC between phases; the floor's and
   * the references' samples of every phase are kept.
   */
  async function phasesApart(contenders: Contender[]): Promise<{ times: Map<string, number[]>; cpu: Map<string, number[]> }> {
    // rows in the order of one interleaved phase: the floor, the contenders, the references
    const order = [floor, ...contenders, ...refs].map((c): [string, number[]] => [c.name, []]);
    const times = new Map<string, number[]>(order);
    const cpu = new Map<string, number[]>(order.map(([k]) => [k, []]));
    const modes = new Map<string, number[]>(FLOOR_MODES.map((m) => [m, []]));
    const add = (to: Map<string, number[]>, from: Map<string, number[]>): void => {
      for (const [k, xs] of from) to.set(k, [...(to.get(k) ?? []), ...xs]);
    };
    // no contender kept (IPCX_BENCH_ONLY): one phase of the floor and the references still runs
    for (const group of contenders.length ? contenders.map((c) => [c]) : [[]]) {
      const p = await phase(group);
      add(times, p.times);
      add(cpu, p.cpu);
      add(modes, floorModes);
      gc();
    }
    for (const [m, xs] of modes) floorModes.set(m, xs);
    return { times, cpu };
  }

  const perScale: Array<{ sets: number; med: Map<string, number>; min: Map<string, number>; cpu: Map<string, number>; modes: Map<string, number>; load: number }> = [];
  let made = 0;
  let procPhase: Map<string, number[]> | undefined;
  let procCpu: Map<string, number[]> | undefined;
  const setupT0 = performance.now();
  for (const sets of SCALES) {
    make('sem', ['-n', String(sets - made), '-s', String(NSEMS), '-v', 'p']);
    made = sets;
    let check: ReturnType<typeof nativeSnapshot> | undefined = nativeSnapshot();
    const nvals = check.sems.reduce((a, s) => a + (s.values?.length ?? 0), 0);
    if (check.sems.length !== sets || nvals !== sets * NSEMS || check.shms.length !== SEGMENTS || check.msgs.length !== QUEUES) {
      throw new Error(`unexpected snapshot: ${check.sems.length} sets, ${nvals} values, ${check.shms.length} shm, ${check.msgs.length} msg`);
    }
    check = undefined; // not kept alive (and scanned by every GC) during the timings
    gc();
    const load = os.loadavg()[0]!;
    const { times, cpu } = await phasesApart(keep(inProcess));
    // the floor must have read what the contenders read
    for (const f of floorFound.split(' ')) {
      if (f !== `${sets}/${sets * NSEMS}/${SEGMENTS}/${QUEUES}`) throw new Error(`the floor read ${floorFound}, expected ${sets} sets`);
    }
    const med = new Map([...times].map(([k, xs]) => [k, median(xs)]));
    const min = new Map([...times].map(([k, xs]) => [k, Math.min(...xs)]));
    const cpuMed = new Map([...cpu].map(([k, xs]) => [k, median(xs)]));
    const modes = new Map([...floorModes].map(([k, xs]) => [k, median(xs)]));
    perScale.push({ sets, med, min, cpu: cpuMed, modes, load });
    // `node -e 0` always runs with the processes kept: their own work is measured against it
    const kept = keep(processes());
    if (kept.length && !kept.some((c) => c.name === NODE0)) kept.unshift(processes().find((c) => c.name === NODE0)!);
    if (sets === SCALES[SCALES.length - 1] && kept.length) {
      ({ times: procPhase, cpu: procCpu } = await phase(kept));
    }
  }
  const setupS = (performance.now() - setupT0) / 1000;

  // POSIX objects in /dev/shm: listDevShm (what every local snapshot runs) against the floor's getdents + fstatat
  const posixRows: string[][] = [];
  const posixPer: Array<{ files: number; list: number; floor: number }> = [];
  {
    let files = 0;
    for (const n of POSIX_SCALES) {
      for (; files < n; files++) fs.closeSync(fs.openSync(`/dev/shm/ipcx-bench-${String(files).padStart(6, '0')}`, 'w', 0o600));
      const list: number[] = [];
      const fl: number[] = [];
      let listed = 0;
      posixObjects(listDevShm());
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        listed = posixObjects(listDevShm()).posixShms.length;
        list.push(performance.now() - t);
        timer.run([floorBin, floorOut, '1', '--no-sysv', '--posix', '/dev/shm', String(listed)]);
        const f = readFloorOut(floorOut);
        if (f.get('posix_found')![0] !== n) throw new Error(`the floor saw ${f.get('posix_found')![0]} files, expected ${n}`);
        fl.push(f.get('posix_ms')![0]!);
      }
      const l = median(list), f = median(fl);
      posixPer.push({ files: n, list: l, floor: f });
      posixRows.push([n.toLocaleString('en-US'), String(listed), l.toFixed(1), f.toFixed(1), (l / f).toFixed(2)]);
    }
    for (let i = 0; i < files; i++) fs.rmSync(`/dev/shm/ipcx-bench-${String(i).padStart(6, '0')}`);
  }
  timer.close();
  fs.rmSync(path.dirname(floorOut), { recursive: true, force: true });

  const header = `syscall ${syscallNs.toFixed(0)} ns (getppid loop), page fault ${(faultNs / 1000).toFixed(2)} µs ` +
    `(first touch, 4 KiB); ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), kernel ${os.release()}, node ${process.version}`;
  recordResult({ bench: BENCH, header });
  console.log(`\nsnapshot bench: sets x ${NSEMS} sems at ${SCALES.join(' / ')} sets, ${SEGMENTS} shm, ${QUEUES} msg queues; ` +
    `median of ${RUNS} runs (each in-process contender in rounds of its own, interleaved with the floor and the references; the processes interleaved); setup + timings ${setupS.toFixed(1)} s; ${b.version}; load average ` +
    `${loadBefore.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after (1 min)`);
  console.log(`machine: ${header}\n`);

  const LSIPC = refs[0]!.name;
  const FLOOR = floor.name;
  console.log('Wall time measures the scheduler as much as the work on a loaded machine; CPU time (user + system of every');
  console.log('thread of the process doing the work: the bench process for in-process rows, the child for processes, the');
  console.log('floor\'s own CLOCK_PROCESS_CPUTIME_ID around each mode, its least-CPU mode) is the work. Minimums are the');
  console.log('least-disturbed run.\n');
  console.log('| sets | what | median ms | min ms | x floor | x lsipc -s --json | CPU ms (median) | CPU x floor |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const { sets, med, min, cpu, modes, load } of perScale) {
    const fl = med.get(FLOOR)!, ls = med.get(LSIPC)!, flc = cpu.get(FLOOR)!;
    for (const [name, m] of med) {
      console.log(`| ${sets.toLocaleString('en-US')} | ${name} | ${m.toFixed(1)} | ${min.get(name)!.toFixed(1)} | ${(m / fl).toFixed(2)} | ` +
        `${(m / ls).toFixed(2)} | ${cpu.get(name)!.toFixed(1)} | ${(cpu.get(name)! / flc).toFixed(2)} |`);
    }
    console.log(`| ${sets.toLocaleString('en-US')} | floor modes: ${FLOOR_MODES.map((k) => `${k} ${modes.get(k)!.toFixed(1)}`).join(', ')}; ` +
      `load average ${load.toFixed(1)} at the start of this scale | | | | | | |`);
  }

  // growth: µs per set between consecutive scales
  if (perScale.length > 1) {
    console.log('\nper-set growth (µs per added set between scales):\n');
    console.log(`| what | ${perScale.slice(1).map((s, i) => `${perScale[i]!.sets.toLocaleString('en-US')} -> ${s.sets.toLocaleString('en-US')}`).join(' | ')} |`);
    console.log(`|---|${perScale.slice(1).map(() => '---:').join('|')}|`);
    for (const name of perScale[0]!.med.keys()) {
      const cells = perScale.slice(1).map((s, i) => {
        const prev = perScale[i]!;
        return (((s.med.get(name)! - prev.med.get(name)!) * 1000) / (s.sets - prev.sets)).toFixed(2);
      });
      console.log(`| ${name} | ${cells.join(' | ')} |`);
    }
  }

  const last = perScale[perScale.length - 1]!;
  const fl = last.med.get(FLOOR)!;
  const ls = last.med.get(LSIPC)!;
  const refresh = last.med.get(REFRESH);
  const refreshMin = last.min.get(REFRESH);
  const refreshCpu = last.cpu.get(REFRESH);
  const atSets = `${last.sets.toLocaleString('en-US')} sets`;
  recordResult({
    bench: BENCH,
    goal: {
      goal: `in-process snapshot (extension refresh) <= 1.3x floor (${atSets})`,
      measured: refresh === undefined ? 'not run (IPCX_BENCH_ONLY)' :
        `${refresh.toFixed(1)} ms = ${(refresh / fl).toFixed(2)}x floor (${fl.toFixed(1)} ms); ${(refresh / ls).toFixed(2)}x lsipc (${ls.toFixed(1)} ms); ` +
        `minimums ${refreshMin!.toFixed(1)} / ${last.min.get(FLOOR)!.toFixed(1)} ms = ${(refreshMin! / last.min.get(FLOOR)!).toFixed(2)}x; ` +
        `CPU ${refreshCpu!.toFixed(1)} / ${last.cpu.get(FLOOR)!.toFixed(1)} ms = ${(refreshCpu! / last.cpu.get(FLOOR)!).toFixed(2)}x; ` +
        (last.med.has(CHANGED) ? `a refresh where every set changed ${last.med.get(CHANGED)!.toFixed(1)} ms = ${(last.med.get(CHANGED)! / fl).toFixed(2)}x floor; ` : '') +
        (last.med.has(MODEL) ? `the binding's listing with model objects (no local facts) ${last.med.get(MODEL)!.toFixed(1)} ms = ${(last.med.get(MODEL)! / fl).toFixed(2)}x floor; ` : '') +
        (last.med.has(COLUMNS) ? `its kernel reads alone (columns, no model objects) ${last.med.get(COLUMNS)!.toFixed(1)} ms = ${(last.med.get(COLUMNS)! / fl).toFixed(2)}x floor; ` : '') +
        `load average ${last.load.toFixed(1)}`,
      pass: refresh === undefined ? undefined : refresh <= 1.3 * fl,
    },
  });

  if (procPhase && procCpu) {
    // own work per round: the process minus `node -e 0` of the same round
    const node0 = procPhase.get(NODE0)!;
    const node0Cpu = procCpu.get(NODE0)!;
    const lsP = procPhase.get(LSIPC)!;
    const lsCpu = median(procCpu.get(LSIPC)!);
    const flP = procPhase.get(FLOOR)!;
    const nodeProcesses = new Set(processes().map((c) => c.name).filter((n) => n !== NODE0));
    console.log('\nprocesses (largest scale); own = minus `node -e 0` of the same round (wall, and CPU of the child):\n');
    console.log('| what | median ms | min ms | own ms | own x lsipc -s --json | CPU ms | own CPU ms | own CPU x lsipc CPU | x floor |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name, xs] of procPhase) {
      const cs = procCpu.get(name)!;
      const own = nodeProcesses.has(name) ? median(xs.map((x, i) => x - node0[i]!)) : undefined;
      const ownCpu = nodeProcesses.has(name) ? median(cs.map((x, i) => x - node0Cpu[i]!)) : undefined;
      console.log(`| ${name} | ${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)} | ${own === undefined ? '' : own.toFixed(1)} | ` +
        `${own === undefined ? '' : (own / median(lsP)).toFixed(2)} | ${median(cs).toFixed(1)} | ${ownCpu === undefined ? '' : ownCpu.toFixed(1)} | ` +
        `${ownCpu === undefined ? '' : (ownCpu / lsCpu).toFixed(2)} | ${(median(xs) / median(flP)).toFixed(2)} |`);
    }
    const cli = procPhase.get(IPCX);
    const own = cli ? median(cli.map((x, i) => x - node0[i]!)) : undefined;
    const cliCpu = procCpu.get(IPCX);
    const ownCpu = cliCpu ? median(cliCpu.map((x, i) => x - node0Cpu[i]!)) : undefined;
    const bareP = procPhase.get(BARE);
    const bareOwn = bareP ? median(bareP.map((x, i) => x - node0[i]!)) : undefined;
    recordResult({
      bench: BENCH,
      goal: {
        goal: `\`ipcx snapshot --json\` own work (minus \`node -e 0\`) <= 0.5x lsipc -s --json (${atSets})`,
        measured: own === undefined ? (hasIpcx ? 'not run (IPCX_BENCH_ONLY)' : 'dist/ipcx.js not built') :
          `${own.toFixed(1)} ms = ${(own / median(lsP)).toFixed(2)}x lsipc (${median(lsP).toFixed(1)} ms); node -e 0 ${median(node0).toFixed(1)} ms; ` +
          `CPU: own ${ownCpu!.toFixed(1)} ms = ${(ownCpu! / lsCpu).toFixed(2)}x lsipc's ${lsCpu.toFixed(1)} ms` +
          (bareOwn === undefined ? '' : `; the bare Node process (binding, read, native writer, nothing else) ${bareOwn.toFixed(1)} ms = ${(bareOwn / median(lsP)).toFixed(2)}x lsipc`),
        pass: own === undefined ? undefined : own <= 0.5 * median(lsP),
        note: `Node's own start (${median(node0).toFixed(0)} ms) is outside this project's control`,
      },
    });
  }

  console.log('\nPOSIX objects in /dev/shm (empty files; listDevShm lists the first 10,000 by name, counts the rest):\n');
  console.log('| files | listed | listDevShm ms | floor ms (getdents + fstatat) | x floor |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of posixRows) console.log(`| ${r.join(' | ')} |`);
  if (posixPer.length > 1) {
    const [a, z] = [posixPer[0]!, posixPer[posixPer.length - 1]!];
    const d = z.files - a.files;
    console.log(`\nper-file growth ${a.files.toLocaleString('en-US')} -> ${z.files.toLocaleString('en-US')}: listDevShm ` +
      `${(((z.list - a.list) * 1000) / d).toFixed(2)} µs, floor ${(((z.floor - a.floor) * 1000) / d).toFixed(2)} µs`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

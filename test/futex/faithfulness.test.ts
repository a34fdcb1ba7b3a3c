// Faithfulness of the glibc-new-64 model against the machine's real glibc: test/futex/c/semprobe.c drives a
// real semaphore (pshared in a MAP_SHARED page, process-private in malloc'd memory, and a named semaphore in
// /dev/shm) through block/post/trywait/timeout/cancel and prints the raw bytes at every quiescent point
// ("blocked" = the thread is inside futex() on the semaphore's address, per /proc/self/task/TID/syscall).
// The same operations run through the model's reducer; the bytes, sem_getvalue and the return values must
// match exactly. The glibc version is printed (the model is of glibc >= 2.21; x86_64 has the 64-bit variant).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  PROGRAMS, encodeMemory, enabled, hexBytes, initialState, objectSize, step, tokensOf, type Choice, type FutexState,
  type ModelId, type Pc, type Scenario, type ThreadSpec,
} from '../../extension/domain/futex';
import type { ModelProgram } from '../../extension/domain/futex/ctx';
import { needs, type Need } from '../helpers/capabilities';
import { compileC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';

const root = path.resolve(__dirname, '..', '..');
const src = path.join(root, 'test', 'futex', 'c', 'semprobe.c');
type Arch = '64' | '32';
const MODEL: Record<Arch, ModelId> = { '64': 'glibc-new-64', '32': 'glibc-new-32' };

/**
 * Builds semprobe natively (x86_64 glibc: the 64-bit variant) or with -m32 (i386 glibc: the 32-bit variant).
 * The i386 tests run only where the i386 capability probe (test/helpers/capabilities.ts) built AND ran an
 * i386 program: linking alone does not prove the kernel executes it.
 */
function build(arch: Arch): string {
  const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-D_GNU_SOURCE', '-pthread', ...(arch === '32' ? ['-m32'] : [])];
  return compileC(src, arch === '64' ? 'semprobe' : 'semprobe32', flags);
}

const i386 = needs('i386');
const needsFor = (arch: Arch): Need => (arch === '32' ? i386 : { ready: () => true });

interface ProbeLine {
  cmd: string;
  raw: string;
  file?: string;
  value: number;
  ret?: number;
  errno?: string;
  futex_op?: number;
  canceled?: boolean;
}

interface Probe {
  glibc: string;
  size: number;
  lines: ProbeLine[];
  /** under strace: the futex calls on the semaphore, in the order they were made (see straceCalls). */
  calls?: string[];
}

/**
 * A timed wait is observed asleep by semprobe's main thread polling /proc before the waiter's deadline (20 to
 * 300 ms): on a loaded machine a normal-priority probe (or the strace that stops it at every system call) can
 * wait longer than that for a CPU, and the waiter times out unseen. The probe, and strace with it, run as
 * SCHED_FIFO (chrt, util-linux; the stage runs as root), ahead of every normal task; its threads sleep between
 * polls, so they hold a CPU only for microseconds.
 */
function realtime(cmd: string, args: readonly string[]): [string, string[]] {
  return ['chrt', ['--fifo', '1', cmd, ...args]];
}

function probe(bin: string, kind: string, cmds: string[], traced = false): Probe {
  const log = traced ? path.join(fs.mkdtempSync(path.join(root, 'test-artifacts', 'strace-')), 'futex.log') : '';
  const argv = traced
    ? realtime('strace', ['-f', '-qq', '-e', 'trace=/^futex', '-e', 'signal=none', '-o', log, bin, kind, ...cmds])
    : realtime(bin, [kind, ...cmds]);
  const r = spawnSync(argv[0], argv[1], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${traced ? 'strace ' : ''}semprobe ${kind} ${cmds.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  const [head, ...rest] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const lines = rest as (ProbeLine & { addr?: string })[];
  const out: Probe = { glibc: head.glibc, size: head.sizeof_sem_t, lines };
  if (traced) {
    out.calls = straceCalls(fs.readFileSync(log, 'utf8'), BigInt(lines[0].addr!), head.sizeof_sem_t);
    fs.rmSync(path.dirname(log), { recursive: true, force: true });
  }
  return out;
}

/** One futex call as compared: op as strace spells it, word offset, value argument, timeout, result. */
function callText(op: string, offset: number, val: number, timeout: boolean, result: string): string {
  return `${op} +${offset} ${val}${timeout ? ' timeout' : ''} = ${result}`;
}

/**
 * Parses `strace -f -e trace=/^futex` output: keeps the calls whose address lies inside the semaphore (glibc's
 * own locks and pthread_join's tid futex are elsewhere), pairs `<unfinished ...>` with `<... futex resumed>`
 * per thread, and normalises results: a count, `-1 ERRNO`, or `unwound` (the call never returned: the thread
 * was cancelled inside it, strace's `= ? ERESTARTSYS`).
 */
function straceCalls(text: string, base: bigint, size: number): string[] {
  const calls: { text: string; result?: string }[] = [];
  const pending = new Map<string, { text: string; result?: string }>();
  const norm = (r: string): string => {
    const m = /^(-?\d+)(?: (E[A-Z]+))?/.exec(r.trim());
    return r.trim().startsWith('?') ? 'unwound' : m ? (m[2] ? `${m[1]} ${m[2]}` : m[1]) : `unparsed(${r})`;
  };
  for (const line of text.split('\n')) {
    let m = /^(\d+)\s+futex(?:_time64)?\((0x[0-9a-f]+), ([A-Z_|0-9x]+), (\d+)(?:, ([^,]*|\{[^}]*\}))?(.*)$/.exec(line);
    if (m) {
      const addr = BigInt(m[2]);
      if (addr < base || addr >= base + BigInt(size)) continue;
      const entry: { text: string; result?: string } = { text: `${m[3]} +${addr - base} ${m[4]}${m[5]?.startsWith('{') ? ' timeout' : ''}` };
      calls.push(entry);
      const done = /\) += (.*)$/.exec(m[6]);
      if (done) entry.result = norm(done[1]);
      else pending.set(m[1], entry);
      continue;
    }
    m = /^(\d+)\s+<\.\.\. futex(?:_time64)? resumed>.*\) += (.*)$/.exec(line);
    if (m && pending.has(m[1])) {
      pending.get(m[1])!.result = norm(m[2]);
      pending.delete(m[1]);
    }
  }
  return calls.map((c) => `${c.text} = ${c.result ?? 'unfinished'}`);
}

/** Builds the model scenario for a probe script: the threads each command uses. */
function scenarioFor(cmds: string[], pshared: boolean, model: ModelId = 'glibc-new-64'): { sc: Scenario; plan: string[][] } {
  const init = Number(/^init:(\d+)$/.exec(cmds[0])![1]);
  const threads: ThreadSpec[] = [];
  const posts: ThreadSpec = { name: 'P', ops: [] };
  const tries: ThreadSpec = { name: 'T', ops: [] };
  const plan: string[][] = [];
  for (const c of cmds.slice(1)) {
    let m: RegExpExecArray | null;
    if ((m = /^block:(\d+)$/.exec(c))) {
      const names: string[] = [];
      for (let i = 0; i < Number(m[1]); i++) {
        const name = `W${threads.length + 1}`;
        threads.push({ name, ops: [{ op: 'sem_wait' }] });
        names.push(name);
      }
      plan.push(['block', ...names]);
    } else if ((m = /^post:(\d+)$/.exec(c))) {
      for (let i = 0; i < Number(m[1]); i++) posts.ops.push({ op: 'sem_post' });
      plan.push(['post', m[1]]);
    } else if (c === 'trywait') {
      tries.ops.push({ op: 'sem_trywait' });
      plan.push(['trywait']);
    } else if (/^timeout:\d+$/.test(c)) {
      const name = `TW${threads.length + 1}`;
      threads.push({ name, ops: [{ op: 'sem_timedwait' }] });
      plan.push(['timeout', name]);
    } else if (c === 'cancel') {
      const name = `C${threads.length + 1}`;
      threads.push({ name, ops: [{ op: 'sem_wait' }], cancel: true });
      plan.push(['cancel', name]);
    } else if (c === 'dump') plan.push(['dump']);
    else throw new Error(`unknown probe command ${c}`);
  }
  threads.push(posts, tries);
  return {
    sc: { id: 'probe', title: 'probe', description: '', model, initial: { value: init, pshared }, threads, budget: { spurious: 0, weakCas: 0, signals: 0 } },
    plan,
  };
}

/** Model driver: runs choices for one thread (FIFO wake order, no environment events). */
class Driver {
  s: FutexState;
  /** the model's futex calls in the order its steps made them, results filled in when a blocked wait ends. */
  private calls: { thread: string; op: string; offset: number; val: number; timeout: boolean; result?: string }[] = [];
  /** strict: any violation other than a deadlock at the script's end fails the test at once. */
  constructor(sc: Scenario, private readonly strict = true) {
    this.s = initialState(sc);
  }
  /** Steps thread `name` while its next step only reads the semaphore: it stops before its first store. */
  runUntilStore(name: string): void {
    const tid = this.tid(name);
    for (let i = 0; i < 100; i++) {
      const t = this.s.threads[tid];
      const op = this.s.scenario.threads[tid].ops[t.op]?.op;
      if (!op || t.status !== 'ready') return;
      if ((PROGRAMS[this.s.model].access(op, t.pc)?.kind ?? 'read') !== 'read') return;
      this.run({ kind: 'run', tid });
    }
  }
  futexCalls(): string[] {
    return this.calls.map((c) => callText(c.op, c.offset, c.val, c.timeout, c.result ?? 'unfinished'));
  }
  private record(): void {
    const r = this.s.last;
    if (!r) return;
    if (r.futex) {
      const f = r.futex;
      this.calls.push({
        thread: r.actor, op: f.opText, offset: f.offset, val: f.val, timeout: !!f.timeout,
        result: f.result === 'blocked' ? undefined : f.result.errno ? `${f.result.ret} ${f.result.errno}` : String(f.result.ret),
      });
    }
    for (const x of r.resumed ?? []) {
      const c = [...this.calls].reverse().find((y) => y.thread === x.thread && y.result === undefined);
      if (c) c.result = x.why === 'cancel' ? 'unwound' : x.errno ? `${x.ret} ${x.errno}` : String(x.ret);
    }
  }
  tid(name: string): number {
    return this.s.threads.findIndex((t) => t.name === name);
  }
  private run(c: Choice): void {
    this.s = step(this.s, c);
    this.record();
    // 'deadlock' only says the script leaves waiters asleep at its end; anything else is a model failure
    const bad = this.s.violations.filter((v) => v.kind !== 'deadlock');
    if (this.strict) assert.deepEqual(bad, [], `model violation at ${JSON.stringify(this.s.last)}`);
  }
  /** Steps thread `name` until its current operation finishes or it blocks. */
  runOp(name: string): void {
    const tid = this.tid(name);
    const op0 = this.s.threads[tid].op;
    for (let i = 0; i < 100 && this.s.threads[tid].status === 'ready' && this.s.threads[tid].op === op0; i++) {
      this.run({ kind: 'run', tid });
    }
  }
  /** Lets every thread that is inside an operation finish it (woken waiters retake tokens). */
  settle(): void {
    for (let guard = 0; guard < 1000; guard++) {
      const i = this.s.threads.findIndex((t, k) => t.status === 'ready' && t.pc !== 'start' && enabled(this.s).some((c) => c.kind === 'run' && c.tid === k));
      if (i < 0) return;
      this.runOp(this.s.threads[i].name);
    }
  }
  event(event: 'timeout' | 'cancel', name: string): void {
    this.run({ kind: 'event', event, tid: this.tid(name) });
  }
  bytes(): string {
    return hexBytes(encodeMemory(this.s.model, this.s.mem), 64);
  }
  lastResult(name: string): string {
    const r = this.s.threads[this.tid(name)].results;
    return r[r.length - 1];
  }
}

function check(arch: Arch, kind: string, cmds: string[], pshared: boolean, t: { diagnostic(m: string): void }, traced = false): Driver | undefined {
  if (!needsFor(arch).ready()) return undefined;
  const bin = build(arch);
  const model = MODEL[arch];
  const { glibc, size, lines, calls } = probe(bin, kind, cmds, traced);
  t.diagnostic(`glibc ${glibc} (gnu_get_libc_version), ${arch === '64' ? 'x86_64' : 'i386 (-m32)'}, sizeof(sem_t) = ${size}, model ${model}; ${kind}: ${cmds.join(' ')}`);
  const [maj, min] = glibc.split('.').map(Number);
  assert.ok(maj > 2 || (maj === 2 && min >= 21), `the model is of glibc >= 2.21, this machine has ${glibc}`);
  assert.equal(size, objectSize(model), 'sizeof(sem_t) matches the modelled layout');
  const { sc, plan } = scenarioFor(cmds, pshared, model);
  const d = new Driver(sc);
  let li = 0;
  const expectLine = (cmdPrefix: string): ProbeLine => {
    const l = lines[li++];
    assert.ok(l, `missing probe output for ${cmdPrefix}`);
    assert.ok(l.cmd.startsWith(cmdPrefix), `expected ${cmdPrefix}, got ${l.cmd}`);
    const mb = d.bytes();
    assert.equal(l.raw, mb.replace(/ /g, ''), `${l.cmd}: real bytes ${l.raw} vs model ${mb}`);
    if (l.file !== undefined) assert.equal(l.file, l.raw, `${l.cmd}: /dev/shm file bytes equal the mapping`);
    assert.equal(l.value, tokensOf(model, d.s.mem), `${l.cmd}: sem_getvalue`);
    t.diagnostic(`  ${l.cmd.padEnd(15)} ${mb}  value ${l.value}${l.ret !== undefined ? `  ret ${l.ret}${l.errno ? ' ' + l.errno : ''}` : ''}  ✓ model`);
    return l;
  };
  expectLine('init:');
  let tryIdx = 0;
  for (const p of plan) {
    switch (p[0]) {
      case 'block': {
        for (const w of p.slice(1)) {
          d.runOp(w);
          assert.equal(d.s.threads[d.tid(w)].status, 'blocked', `${w} asleep in the model`);
        }
        const l = expectLine('block:');
        // futex op used by the kernel call: FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, private flag iff private
        assert.equal(l.futex_op, 9 | 256 | (pshared ? 0 : 128));
        break;
      }
      case 'post': {
        for (let i = 0; i < Number(p[1]); i++) {
          d.runOp('P');
          d.settle();
          assert.equal(d.lastResult('P'), '0');
        }
        assert.equal(expectLine('post:').ret, 0);
        break;
      }
      case 'trywait': {
        d.runOp('T');
        tryIdx++;
        const l = expectLine('trywait');
        assert.equal(d.lastResult('T'), l.ret === 0 ? '0' : `-1 ${l.errno}`);
        break;
      }
      case 'timeout': {
        d.runOp(p[1]);
        assert.equal(d.s.threads[d.tid(p[1])].status, 'blocked');
        expectLine('timeout:asleep');
        d.event('timeout', p[1]);
        d.settle();
        const l = expectLine('timeout:');
        assert.equal(d.lastResult(p[1]), `${l.ret} ${l.errno}`);
        break;
      }
      case 'cancel': {
        d.runOp(p[1]);
        expectLine('cancel:asleep');
        d.event('cancel', p[1]);
        d.settle();
        const l = expectLine('cancel');
        assert.equal(l.canceled, true);
        assert.equal(d.s.threads[d.tid(p[1])].status, 'cancelled');
        break;
      }
      case 'dump':
        expectLine('dump');
        break;
    }
  }
  assert.equal(li, lines.length, 'every probe line compared');
  assert.ok(tryIdx >= 0);
  if (calls) {
    const mine = d.futexCalls();
    t.diagnostic(`  futex calls (strace = model):\n    ${calls.join('\n    ')}`);
    assert.deepEqual(mine, calls, 'the model makes the futex calls the real glibc made, in order, with the same op, offset, value and result');
  }
  return d;
}

for (const arch of ['64', '32'] as const) {
  const v = arch === '64' ? 'glibc-new-64 (x86_64)' : 'glibc-new-32 (i386, -m32)';
  test(`${v}: pshared semaphore in a MAP_SHARED page: block 3, post 2+2, trywait ×2, timeout, cancel`, needsFor(arch), (t) => {
    check(arch, 'anon', ['init:0', 'block:3', 'post:2', 'post:2', 'trywait', 'trywait', 'timeout:40', 'cancel', 'dump'], true, t);
  });

  test(`${v}: process-private semaphore (sem_init pshared=0): private = 0 and the *_PRIVATE futex ops`, needsFor(arch), (t) => {
    check(arch, 'private', ['init:0', 'block:2', 'post:1', 'trywait', 'post:3', 'trywait', 'trywait', 'timeout:30', 'cancel'], false, t);
  });

  test(`${v}: waiters that leave while others sleep (timeout and cancel with a second waiter asleep)`, needsFor(arch), (t) => {
    check(arch, 'private', ['init:0', 'block:1', 'timeout:30', 'cancel', 'post:1', 'post:1', 'trywait', 'dump'], false, t);
  });

  test(`${v}: named semaphore: the /dev/shm/sem.NAME bytes follow the model (sem_open value 3)`, needsFor(arch), (t) => {
    assertPrivateIpcNamespace();
    const name = `/ipcx-futex-${process.pid}-${arch}`;
    check(arch, `named:${name}`, ['init:3', 'trywait', 'trywait', 'trywait', 'trywait', 'block:2', 'post:1', 'post:2', 'trywait', 'timeout:30', 'cancel', 'dump'], true, t);
    assert.ok(!fs.existsSync(`/dev/shm/sem.${name.slice(1)}`), 'semprobe unlinked its semaphore');
  });
}

/** A random probe script that never asks a thread to block while a token is available. */
function randomScript(seed: number, len: number): string[] {
  let a = seed >>> 0;
  const rnd = (n: number): number => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return (a >>> 16) % n; // the high bits: an LCG's low bits cycle fast
  };
  let v = rnd(3);
  let blocked = 0;
  let threads = 0;
  const out = [`init:${v}`];
  for (let i = 0; i < len; i++) {
    const r = rnd(20);
    if (v > 0) {
      // tokens available: consume them (nothing can block now), sometimes post more
      if (r < 12) {
        out.push('trywait');
        v--;
      } else if (r < 16) {
        const m = 1 + rnd(2);
        out.push(`post:${m}`);
        v += m;
      } else out.push('dump');
    } else if (r < 7 && threads < 40) {
      const k = 1 + rnd(3);
      out.push(`block:${k}`);
      blocked += k;
      threads += k;
    } else if (r < 10 && threads < 40) {
      out.push(r < 9 ? 'timeout:20' : 'cancel');
      threads++;
    } else if (r < 17) {
      const m = 1 + rnd(3);
      out.push(`post:${m}`);
      const w = Math.min(m, blocked);
      blocked -= w;
      v += m - w;
    } else out.push('trywait');
  }
  return out;
}

for (const arch of ['64', '32'] as const) {
  test(`${MODEL[arch]}: random scripts (seeded) agree with the real glibc at every quiescent point`, needsFor(arch), (t) => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const script = randomScript(seed * 7919 + (arch === '32' ? 1 : 0), 12);
      check(arch, seed % 2 ? 'anon' : 'private', script, seed % 2 === 1, t);
    }
  });
}

test('the comparison can fail: a model run with one post fewer disagrees with the real bytes', () => {
  const bin = build('64');
  assert.equal(typeof bin, 'string');
  const { lines } = probe(bin as string, 'anon', ['init:0', 'block:2', 'post:1']);
  const { sc } = scenarioFor(['init:0', 'block:2'], true);
  const d = new Driver(sc);
  d.runOp('W1');
  d.runOp('W2');
  // real: after one post, nwaiters 1; the model without the post still says 2
  assert.notEqual(lines[2].raw, d.bytes().replace(/ /g, ''));
});

// ------------------------------------------------------------------------------------------------------------
// Faithfulness at the futex-call level: the same scripts under `strace -f -e trace=/^futex` (Debian strace;
// futex_time64 too, which i386 glibc uses). The schedule is forced by semprobe's handshakes (a waiter is
// asleep in futex() before the next command runs; a post returns only after its woken waiters did).

const straceNeed = needs('strace');
const tracedNeed = (arch: Arch): Need => ({ ready: () => straceNeed.ready() && needsFor(arch).ready() });

// Only post:1: semprobe's post:M makes M posts back to back, so whether a woken waiter deregisters before the
// next post (no wake) or after it (a wake that finds nobody, = 0) is the real scheduler's race, not a forced
// schedule. Timeouts are long enough that the waiter is seen asleep under strace's slowdown.
const TRACED_SCRIPTS: [kind: string, cmds: string[], pshared: boolean][] = [
  ['anon', ['init:0', 'block:3', 'post:1', 'post:1', 'post:1', 'post:1', 'trywait', 'timeout:300', 'cancel', 'dump'], true],
  ['private', ['init:0', 'block:2', 'post:1', 'trywait', 'post:1', 'post:1', 'trywait', 'timeout:300', 'cancel', 'post:1'], false],
  ['private', ['init:2', 'trywait', 'post:1', 'trywait', 'trywait', 'block:1', 'post:1'], false],
];

for (const arch of ['64', '32'] as const) {
  test(`${MODEL[arch]}: the real glibc's futex calls under strace equal the model's (op with private flag and clock, offset, value, result)`, tracedNeed(arch), (t) => {
    for (const [kind, cmds, pshared] of TRACED_SCRIPTS) check(arch, kind, cmds, pshared, t, true);
  });
}

test('strace comparison can fail: a model whose sem_post drops the `nwaiters > 0` condition wakes when nobody waits', tracedNeed('64'), (t) => {
  const programs = PROGRAMS as Record<ModelId, ModelProgram<Pc>>;
  const real = programs['glibc-new-64'];
  const mutant: ModelProgram<Pc> = {
    ...real,
    step(c, op, choice) {
      const priv = c.t.priv;
      real.step(c, op, choice);
      // undo the skip: the post returned after its CAS because nwaiters was 0; the mutant calls futex_wake anyway
      if (op === 'sem_post' && c.rec.name === 'cas_ok' && c.rec.ret === '0') {
        c.t.results.pop();
        c.t.op -= 1;
        c.t.status = 'ready';
        c.t.pc = 'futex_wake';
        c.t.priv = priv;
        c.t.wakeCount = 1;
        delete c.rec.ret;
      }
    },
  };
  programs['glibc-new-64'] = mutant;
  try {
    assert.throws(() => check('64', 'private', ['init:0', 'post:1', 'trywait', 'block:1', 'post:1'], false, t, true),
      (e: Error) => /futex calls the real glibc made/.test(e.message) && /FUTEX_WAKE_PRIVATE \+0 1 = 0/.test(e.message));
  } finally {
    programs['glibc-new-64'] = real;
  }
  // and the unmutated model passes the same script
  check('64', 'private', ['init:0', 'post:1', 'trywait', 'block:1', 'post:1'], false, t, true);
});

// A schedule inside sem_post: P stops at its first store to the semaphore (a write fault on the protected
// page, test/futex/c/postorder.c), W registers and sleeps, then P's store runs. glibc's CAS fails, reloads,
// sees nwaiters = 1 and wakes W. The same schedule in the model: P runs while its next step only reads.

function postOrderReal(arch: Arch): { calls: string[]; raw: string; post: number; wait: number; faults: number } {
  const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-D_GNU_SOURCE', '-pthread', ...(arch === '32' ? ['-m32'] : [])];
  const bin = compileC(path.join(root, 'test', 'futex', 'c', 'postorder.c'), arch === '64' ? 'postorder' : 'postorder32', flags);
  const dir = fs.mkdtempSync(path.join(root, 'test-artifacts', 'strace-'));
  try {
    const log = path.join(dir, 'futex.log');
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=/^futex', '-e', 'signal=none', '-o', log, bin], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `strace postorder: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const j = JSON.parse(r.stdout.trim()) as { addr: string; sizeof_sem_t: number; raw: string; post: number; wait: number; faults: number };
    return { ...j, calls: straceCalls(fs.readFileSync(log, 'utf8'), BigInt(j.addr), j.sizeof_sem_t) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function postOrderModel(model: ModelId, post: 'sem_post' | 'sem_post_broken'): Driver {
  const sc: Scenario = {
    id: 'postorder', title: 'postorder', description: '', model, initial: { value: 0, pshared: false },
    threads: [{ name: 'W', ops: [{ op: 'sem_wait' }] }, { name: 'P', ops: [{ op: post }] }],
    budget: { spurious: 0, weakCas: 0, signals: 0 },
  };
  const d = new Driver(sc, post === 'sem_post');
  d.runUntilStore('P');
  d.runOp('W');
  assert.equal(d.s.threads[0].status, 'blocked', 'W asleep before P stores');
  d.runOp('P');
  d.settle();
  return d;
}

for (const arch of ['64', '32'] as const) {
  test(`${MODEL[arch]}: a waiter that registers between sem_post's loads and its CAS is woken: strace equals the model`, tracedNeed(arch), (t) => {
    const real = postOrderReal(arch);
    assert.equal(real.faults, 1, 'exactly the planned write fault');
    assert.deepEqual([real.post, real.wait], [0, 0]);
    const d = postOrderModel(MODEL[arch], 'sem_post');
    t.diagnostic(`strace: ${real.calls.join('; ')}`);
    assert.ok(d.s.last && d.s.threads.every((x) => x.status === 'done'));
    assert.equal(d.bytes().replace(/ /g, ''), real.raw, 'final bytes');
    assert.deepEqual(d.futexCalls(), real.calls);
    assert.ok(real.calls.some((c) => /^FUTEX_WAKE.* = 1$/.test(c)), 'the post woke W');
  });
}

test('strace comparison can fail: sem_post_broken (reads nwaiters, then increments) skips the wake in that schedule', tracedNeed('64'), (t) => {
  const real = postOrderReal('64');
  const broken = postOrderModel('glibc-new-64', 'sem_post_broken');
  t.diagnostic(`strace: ${real.calls.join('; ')}\nbroken model: ${broken.futexCalls().join('; ')}`);
  assert.throws(() => assert.deepEqual(broken.futexCalls(), real.calls), /Expected values to be strictly deep-equal/);
  assert.deepEqual(broken.futexCalls(), ['FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME +0 0 = unfinished']);
  assert.equal(broken.s.violations[0]?.kind, 'lost-wakeup');
});

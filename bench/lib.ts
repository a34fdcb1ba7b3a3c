/**
 * What the benches share: run counts, medians, timing a call or a process, the result tables, and ending
 * the process on failure. (Not a bench itself: bench/run.mjs runs only `*.bench.ts`.)
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Runs per measurement: IPCX_BENCH_RUNS, else the bench's default. */
export function benchRuns(dflt: number): number {
  return Number(process.env['IPCX_BENCH_RUNS'] ?? dflt);
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Milliseconds one call takes (awaited when it returns a promise). */
export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Milliseconds one synchronous call takes. */
export function timeSyncMs(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Milliseconds a process takes from spawn to exit, output discarded; throws (with its stderr) unless it exits 0. */
export function timeProcess(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exit ${r.status}: ${r.stderr}`);
  return ms;
}

/** A Markdown table (`align` per column: 'l' or 'r'; default left). */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = []): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = `|${head.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

/** A plain-text table with padded columns; columns from `rightFrom` on are right-aligned. */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[], rightFrom = head.length): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i >= rightFrom ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ');
  return [head.map((h, i) => h.padEnd(w[i]!)).join('  '), ...rows.map(line)].join('\n');
}

/** Runs a bench's main; a failure prints the error and exits 1 (bench/run.mjs counts it). */
export function runBench(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

/** One goal of the summary table bench/run.mjs prints and writes to docs/benchmarks.md. */
export interface GoalResult {
  /** the goal as stated, e.g. "in-process snapshot <= 1.3x floor (32,000 sets)" */
  goal: string;
  /** what was measured, with its unit, e.g. "71.2 ms = 1.12x floor (63.5 ms)" */
  measured: string;
  /** true: met; false: missed; undefined: not measured (the note says why) */
  pass: boolean | undefined;
  note?: string;
}

/**
 * Hands a goal's result (or a machine-header line) to bench/run.mjs, which runs each bench in its own process:
 * one JSON line appended to $IPCX_BENCH_RESULTS (nothing when a bench runs on its own).
 */
export function recordResult(r: { bench: string } & ({ goal: GoalResult } | { header: string })): void {
  const file = process.env['IPCX_BENCH_RESULTS'];
  if (!file) return;
  appendFileSync(file, JSON.stringify(r) + '\n');
}

/** "PASS" / "MISS" / "n/a" for a goal. */
export function verdictText(pass: boolean | undefined): string {
  return pass === undefined ? 'n/a' : pass ? 'PASS' : 'MISS';
}

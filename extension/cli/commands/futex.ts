/**
 * `ipcx futex`: the futex semaphore model checker on the command line (the same pure code as the webview).
 *
 *   ipcx futex list [--json]
 *   ipcx futex explore [--model M|all] [--glibc V|all] [--memory sc|x86-tso|all] (--scenario S | --scenario-file F)
 *                      [--spurious N] [--weak-cas N] [--signals N] [--max-states N] [--json]
 *   ipcx futex replay [--model M] [--glibc V] [--memory sc|x86-tso] (--scenario S | --scenario-file F)
 *                     (--schedule IDS | --witness KIND) [--json]
 *
 * Exit codes: 0 explored, no violation; 4 explored, violations found (the witnesses are printed);
 * 3 exploration truncated by --max-states without a violation; 2 usage; 1 error (unreadable file ...).
 */
import fs from 'node:fs';
import {
  GLIBC_VERSIONS, MEMORY_MODELS, MODEL_IDS, SCENARIOS, VIOLATION_INFO, VIOLATION_KINDS, defaultGlibc, explore, findScenario,
  glibcRange, replay, validateScenario, versionsFor, whyNotUnder,
  type Budget, type ExploreResult, type GlibcVersion, type MemoryModel, type ModelId, type Scenario, type StepRecord, type ViolationKind,
} from '../../domain/futex';
import { EXIT, UsageError, parseCommandArgs, type CliIo, type Subcommand } from '../cliSupport';
import { renderTable } from '../table';

/** `ipcx futex explore|replay` found at least one violation. */
export const EXIT_VIOLATIONS = EXIT.FINDING;

const OPTIONS = {
  model: { type: 'string' },
  glibc: { type: 'string' },
  memory: { type: 'string' },
  scenario: { type: 'string' },
  'scenario-file': { type: 'string' },
  spurious: { type: 'string' },
  'weak-cas': { type: 'string' },
  signals: { type: 'string' },
  'max-states': { type: 'string' },
  schedule: { type: 'string' },
  witness: { type: 'string' },
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const json = (x: unknown, tty: boolean): string => JSON.stringify(x, null, tty ? 2 : undefined) + '\n';

function count(v: string | undefined, name: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > max) throw new UsageError(`--${name}: an integer 0..${max}`);
  return Number(v);
}

function loadScenario(values: { scenario?: string; 'scenario-file'?: string }): Scenario {
  if (values.scenario && values['scenario-file']) throw new UsageError('give --scenario or --scenario-file, not both');
  if (values['scenario-file']) {
    let text: string;
    try {
      text = fs.readFileSync(values['scenario-file'], 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new Error(`open ${values['scenario-file']}: ${code} — check the path and permissions`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`${values['scenario-file']}: not JSON (${(e as Error).message})`);
    }
    const v = validateScenario(parsed);
    if (!v.ok) throw new Error(`${values['scenario-file']}: ${v.error}`);
    return v.scenario;
  }
  if (!values.scenario) throw new UsageError('--scenario NAME is required (see `ipcx futex list`)');
  const sc = findScenario(values.scenario);
  if (!sc) throw new UsageError(`unknown scenario '${values.scenario}'; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return sc;
}

function models(m: string | undefined, sc: Scenario): ModelId[] {
  if (m === undefined) return [sc.model];
  if (m === 'all') return [...MODEL_IDS];
  if (!(MODEL_IDS as readonly string[]).includes(m)) throw new UsageError(`--model: one of ${MODEL_IDS.join(', ')}, all`);
  return [m as ModelId];
}

/** One run: a model under a glibc version and a memory model. */
interface Run {
  model: ModelId;
  glibc: GlibcVersion | null;
  memoryModel: MemoryModel;
}

function memoryModels(v: string | undefined, sc: Scenario): MemoryModel[] {
  if (v === undefined) return [sc.memoryModel ?? 'sc'];
  if (v === 'all') return [...MEMORY_MODELS];
  if (!(MEMORY_MODELS as readonly string[]).includes(v)) throw new UsageError(`--memory: one of ${MEMORY_MODELS.join(', ')}, all`);
  return [v as MemoryModel];
}

/**
 * The runs asked for: each model × glibc version (--glibc: a release such as 2.24 or 2.36, a range such as
 * 2.25-2.40, or all) × memory model. With --model all, a model the version does not fit is left out (glibc-old
 * is 2.20 only, glibc-new-* 2.21+); pg-futex has no glibc and runs once.
 */
function runsFor(values: { model?: string; glibc?: string; memory?: string }, sc: Scenario, allowNone = false): Run[] {
  const ms = models(values.model, sc);
  const mems = memoryModels(values.memory, sc);
  let asked: GlibcVersion | 'all' | undefined;
  if (values.glibc !== undefined) {
    if (values.glibc === 'all') asked = 'all';
    else {
      const r = glibcRange(values.glibc);
      if (!r) throw new UsageError(`--glibc: a glibc release such as 2.24 or 2.36, one of ${GLIBC_VERSIONS.join(', ')}, or all`);
      asked = r;
    }
  }
  const runs: Run[] = [];
  const skipped: string[] = [];
  for (const model of ms) {
    const vs: (GlibcVersion | null)[] = model === 'pg-futex' ? [null]
      : asked === undefined ? [defaultGlibc(model, sc)] : asked === 'all' ? versionsFor(model) : [asked];
    for (const glibc of vs) {
      const why = whyNotUnder(sc, model, glibc);
      if (why) {
        skipped.push(why);
        continue;
      }
      for (const memoryModel of mems) runs.push({ model, glibc, memoryModel });
    }
  }
  if (!runs.length && !allowNone) throw new UsageError(`nothing to run: ${[...new Set(skipped)].join('; ')}`);
  return runs;
}

/** The budget overrides given on the command line. */
function budgetOf(values: { spurious?: string; 'weak-cas'?: string; signals?: string }): Partial<Budget> {
  return {
    ...(count(values.spurious, 'spurious', 5) !== undefined ? { spurious: Number(values.spurious) } : {}),
    ...(count(values['weak-cas'], 'weak-cas', 5) !== undefined ? { weakCas: Number(values['weak-cas']) } : {}),
    ...(count(values.signals, 'signals', 5) !== undefined ? { signals: Number(values.signals) } : {}),
  };
}

const glibcText = (g: GlibcVersion | null): string => (g === null ? 'no glibc' : `glibc ${g}`);

export function renderSteps(steps: StepRecord[]): string {
  return renderTable(
    [{ header: '#', right: true }, { header: 'THREAD' }, { header: 'STEP' }, { header: 'RET' }, { header: 'WHAT' }],
    steps.map((s, i) => [
      String(i + 1), s.actor, s.name, s.ret ?? '',
      s.detail + (s.note ? `  [${s.note}]` : '') + (s.violations?.length ? `  <<< ${s.violations.map((v) => `${v.kind}: ${v.message}`).join('; ')}` : ''),
    ]),
    '  ',
  );
}

function renderResult(r: ExploreResult, sc: Scenario): string {
  const b = r.budget;
  let out = `${sc.id} under ${r.model} (${glibcText(r.glibc)}, ${r.memoryModel}): ${r.states} states, ${r.transitions} transitions, ` +
    `${r.schedules} schedules${r.truncated ? ' (TRUNCATED by --max-states)' : ''}\n` +
    `  memory model: ${r.memoryModel === 'sc' ? 'sequentially consistent (one global order of steps)'
      : 'x86-TSO (per-thread FIFO store buffers; locked instructions and system calls drain them; loads read their own buffer first)'}\n` +
    `  budget per schedule: ${b.spurious} spurious wake-up(s), ${b.weakCas} weak-CAS failure(s), ${b.signals} signal(s)\n` +
    `  violating schedules: ${VIOLATION_KINDS.map((k) => `${k} ${r.violatingSchedules[k]}`).join(', ')}\n`;
  if (r.outcomes.length) {
    out += `  final outcomes: ${r.outcomes.slice(0, 4).map((o) => `${o.outcome} (${o.schedules})`).join('; ')}` +
      `${r.outcomes.length > 4 ? `; … ${r.outcomes.length - 4} more` : ''}\n`;
  }
  for (const w of r.witnesses) {
    out += `\n  witness: ${w.kind} in ${w.choices.length} steps — ${w.violation.message}\n`;
    out += `  (${w.kind}: ${VIOLATION_INFO[w.kind]})\n`;
    out += renderSteps(w.steps);
    out += `  replay: ipcx futex replay --model ${r.model}${r.glibc ? ` --glibc ${r.glibc}` : ''}` +
      `${r.memoryModel !== 'sc' ? ` --memory ${r.memoryModel}` : ''} --scenario ${sc.id} --schedule ${w.choices.join(',')}\n`;
  }
  return out;
}

function summaryTable(rs: ExploreResult[]): string {
  return renderTable(
    [
      { header: 'MODEL' }, { header: 'GLIBC' }, { header: 'MEMORY' }, { header: 'STATES', right: true },
      { header: 'SCHEDULES', right: true }, ...VIOLATION_KINDS.map((k) => ({ header: k.toUpperCase(), right: true })),
    ],
    rs.map((r) => [r.model, r.glibc ?? '-', r.memoryModel, String(r.states), String(r.schedules),
      ...VIOLATION_KINDS.map((k) => String(r.violatingSchedules[k]))]),
  );
}

const verdictText = (r: ExploreResult): string => {
  const v = VIOLATION_KINDS.filter((k) => r.violatingSchedules[k] > 0).map((k) => `${k} ${r.violatingSchedules[k].toLocaleString('en-US')}`);
  return (v.length ? v.join(', ') : 'none') + (r.truncated ? ' (truncated)' : '');
};
const verdictKinds = (r: ExploreResult): string => VIOLATION_KINDS.filter((k) => r.violatingSchedules[k] > 0).join(',');

/**
 * The verdict tables of docs/futex.md: one row per scenario, model and run of glibc versions with equal
 * results (versions whose states and violating schedules are equal under every memory model asked for are
 * merged), one pair of columns per memory model, and whether x86-TSO changes the verdict (the kinds of
 * violation found) when both were asked for.
 */
export function markdownTable(rs: ExploreResult[], mems: MemoryModel[]): string {
  const cols = mems.flatMap((m) => [`${m === 'sc' ? 'SC' : 'x86-TSO'} states`, `${m === 'sc' ? 'SC' : 'x86-TSO'} violating schedules`]);
  const both = mems.includes('sc') && mems.includes('x86-tso');
  const head = ['scenario', 'model', 'glibc', ...cols, ...(both ? ['TSO changes the verdict'] : [])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i >= 3 && i < 3 + cols.length && i % 2 === 1 ? '---:' : '---')).join('|')}|`];
  const groups = new Map<string, ExploreResult[]>();
  for (const r of rs) {
    const k = `${r.scenario}|${r.model}|${r.glibc}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  type Row = { scenario: string; model: string; glibcs: string[]; cells: string[]; sig: string };
  const rows: Row[] = [];
  for (const g of groups.values()) {
    const by = (m: MemoryModel) => g.find((r) => r.memoryModel === m);
    const cells = mems.flatMap((m) => {
      const r = by(m);
      return r ? [r.states.toLocaleString('en-US'), verdictText(r)] : ['', ''];
    });
    if (both) {
      const a = by('sc');
      const b = by('x86-tso');
      cells.push(a && b ? (verdictKinds(a) === verdictKinds(b) ? 'no' : '**yes**') : '');
    }
    const prev = rows[rows.length - 1];
    const sig = cells.join('|');
    const glibc = g[0].glibc ?? '-';
    if (prev && prev.scenario === g[0].scenario && prev.model === g[0].model && prev.sig === sig) prev.glibcs.push(glibc);
    else rows.push({ scenario: g[0].scenario, model: g[0].model, glibcs: [glibc], cells, sig });
  }
  for (const r of rows) {
    const last = r.glibcs[r.glibcs.length - 1];
    const gl = r.glibcs.length > 1 ? `${r.glibcs[0].split('-')[0]}–${last.includes('-') ? last.split('-')[1] : last}` : r.glibcs[0];
    lines.push(`| ${r.scenario} | ${r.model} | ${gl} | ${r.cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

async function runList(values: { json?: boolean }, io: CliIo): Promise<number> {
  if (values.json) {
    io.out(json({ models: MODEL_IDS, glibcVersions: GLIBC_VERSIONS, memoryModels: MEMORY_MODELS, scenarios: SCENARIOS }, io.isTTY));
    return EXIT.OK;
  }
  io.out('models: ' + MODEL_IDS.join(', ') + '\nglibc versions: ' + GLIBC_VERSIONS.join(', ') +
    ' (glibc-old is 2.20, glibc-new-* 2.21+)\nmemory models: ' + MEMORY_MODELS.join(', ') + '\n\nscenarios:\n');
  io.out(renderTable(
    [{ header: 'ID' }, { header: 'MODEL' }, { header: 'THREADS' }, { header: 'TITLE' }],
    SCENARIOS.map((s) => [s.id, s.model, s.threads.map((t) => `${t.name}: ${t.ops.map((o) => o.op).join(';')}${t.cancel ? ' (cancelled)' : ''}`).join(' | '), s.title]),
    '  ',
  ));
  return EXIT.OK;
}

const command: Subcommand = {
  name: 'futex',
  summary: 'futex semaphore model checker: explore every interleaving of glibc/PostgreSQL semaphore scenarios',
  usage: `usage: ipcx futex list [--json]
       ipcx futex explore [--model M|all] [--glibc V|all] [--memory sc|x86-tso|all]
                          (--scenario S | --scenario-file F) [--spurious N] [--weak-cas N] [--signals N]
                          [--max-states N] [--json]
       ipcx futex replay [--model M] [--glibc V] [--memory sc|x86-tso] (--scenario S | --scenario-file F)
                         (--schedule IDS | --witness KIND) [--json]

Models: glibc-new-64 (glibc >= 2.21, 64-bit atomics), glibc-new-32 (glibc >= 2.21 without them),
glibc-old (glibc <= 2.20), pg-futex (PostgreSQL's futex semaphore, no waiter count). Every operation is a
sequence of atomic steps; the kernel's futex compare-and-block is one step. explore enumerates every
interleaving (equal states explored once) and reports schedules, distinct states and violating schedules
(use-after-free: the implementation touches memory after its token let the destroyer free it; misuse: the
program used a destroyed/freed semaphore; lost-wakeup, deadlock, assertion) with one shortest witness per kind.
  --model M          a model, or 'all' (default: the scenario's own)
  --glibc V          the glibc release the glibc-new-* models follow: 2.21 (32-bit overflow check broken,
                     BZ#18434), 2.22-2.24 (no entry testcancel), 2.25-2.40 (testcancel at entry; a cancel can
                     act right after futex_wait returned), 2.41+ (it cannot, BZ#12683); a release such as 2.36
                     picks its range; 'all' runs every range. glibc-old is 2.20. Default: 2.41+ (2.25-2.40 for
                     a scenario with asyncCancel)
  --memory M         sc (sequential consistency, default) or x86-tso (store buffers), or all
  --markdown         explore: the verdict table (one row per model and run of glibc versions with equal
                     results; --scenario all explores every built-in scenario), as in docs/futex.md
  --scenario S       a built-in scenario (ipcx futex list); --scenario-file F reads one as JSON
  --spurious N       spurious futex wake-ups allowed per schedule (overrides the scenario's budget)
  --weak-cas N       spurious weak-CAS failures per schedule (glibc >= 2.21 only)
  --signals N        signals (EINTR) per schedule
  --max-states N     stop after N distinct states (default 500000)
  --schedule IDS     comma-separated choice ids, e.g. B,B,A,A,A,A,B or spurious(A) or C:wake=A
  --witness KIND     replay the explorer's witness of KIND (use-after-free, misuse, lost-wakeup, deadlock, assertion)
  --json             explore: ExploreResult (with glibc and memoryModel) or [ExploreResult] when several runs
                     (an 'all'); replay: {model, glibc, memoryModel, steps, final, violations, error?}
exit codes: 0 no violation, 4 violations found, 3 truncated (no violation seen), 2 usage, 1 error`,
  async run(args, io) {
    const [sub, ...rest] = args;
    const { values } = parseCommandArgs(rest, OPTIONS, false);
    if (sub === 'list') return runList(values, io);
    if (sub !== 'explore' && sub !== 'replay') throw new UsageError(`expected list, explore or replay, got '${sub ?? ''}'`);
    if (sub === 'explore' && values.scenario === 'all') {
      if (!values.markdown && !values.json) throw new UsageError('--scenario all needs --markdown or --json');
      const maxStates = count(values['max-states'], 'max-states', 50_000_000);
      const mems = memoryModels(values.memory, SCENARIOS[0]);
      const rs: ExploreResult[] = [];
      for (const one of SCENARIOS) {
        for (const x of runsFor(values, one, true)) rs.push(explore(one, { ...x, maxStates, budget: budgetOf(values) }));
      }
      io.out(values.json ? json(rs, io.isTTY) : markdownTable(rs, mems));
      if (rs.some((r) => VIOLATION_KINDS.some((k) => r.violatingSchedules[k] > 0))) return EXIT_VIOLATIONS;
      return rs.some((r) => r.truncated) ? EXIT.PARTIAL : EXIT.OK;
    }
    const sc = loadScenario(values);
    const budget = budgetOf(values);
    const maxStates = count(values['max-states'], 'max-states', 50_000_000);
    const runs = runsFor(values, sc);
    const scb: Scenario = { ...sc, budget: { ...sc.budget, ...budget } };
    if (sub === 'explore') {
      const rs = runs.map((x) => explore(scb, { ...x, maxStates }));
      const many = values.model === 'all' || values.glibc === 'all' || values.memory === 'all';
      if (values.json) io.out(json(many ? rs : rs[0], io.isTTY));
      else if (values.markdown) io.out(markdownTable(rs, memoryModels(values.memory, sc)));
      else {
        if (rs.length > 1) io.out(`${sc.id}: ${sc.title}\n` + summaryTable(rs) + '\n');
        for (const r of rs) io.out(renderResult(r, sc) + '\n');
      }
      if (rs.some((r) => VIOLATION_KINDS.some((k) => r.violatingSchedules[k] > 0))) return EXIT_VIOLATIONS;
      return rs.some((r) => r.truncated) ? EXIT.PARTIAL : EXIT.OK;
    }
    // replay
    if (runs.length !== 1) throw new UsageError('replay takes one --model, one --glibc and one --memory');
    const run = runs[0];
    const ms = [run.model];
    let ids: string[];
    if (values.schedule !== undefined && values.witness !== undefined) throw new UsageError('give --schedule or --witness, not both');
    if (values.witness !== undefined) {
      if (!(VIOLATION_KINDS as readonly string[]).includes(values.witness)) {
        throw new UsageError(`--witness: one of ${VIOLATION_KINDS.join(', ')}`);
      }
      const r = explore(scb, { ...run, maxStates });
      const w = r.witnesses.find((x) => x.kind === (values.witness as ViolationKind));
      if (!w) {
        io.err(`ipcx futex: no ${values.witness} schedule exists in ${sc.id} under ${ms[0]} (${r.states} states explored)\n`);
        return EXIT.OK;
      }
      ids = w.choices;
    } else if (values.schedule !== undefined) {
      ids = values.schedule.split(',').map((x) => x.trim()).filter(Boolean);
    } else throw new UsageError('replay needs --schedule IDS or --witness KIND');
    const r = replay(scb, ids, ms[0], run);
    const end = r.states[r.states.length - 1];
    if (values.json) {
      io.out(json({ model: ms[0], glibc: run.glibc, memoryModel: run.memoryModel, scenario: sc.id, choices: ids.slice(0, r.steps.length), steps: r.steps, final: { mem: end.mem, queue: end.queue, threads: end.threads }, violations: end.violations, error: r.error }, io.isTTY));
    } else {
      io.out(`${sc.id} under ${ms[0]} (${glibcText(run.glibc)}, ${run.memoryModel}):\n` + renderSteps(r.steps));
      io.out(`  final: memory ${end.mem.status} value=${end.mem.value} nwaiters=${end.mem.nwaiters}, queue [${end.queue.map((i) => end.threads[i].name).join(', ')}], ` +
        `returns ${end.threads.map((t) => `${t.name}=${t.results.join('/') || '-'}`).join(' ')}\n`);
    }
    if (r.error) {
      io.err(`ipcx futex replay: ${r.error}\n`);
      return EXIT.ERROR;
    }
    return end.violations.length ? EXIT_VIOLATIONS : EXIT.OK;
  },
};

export default command;

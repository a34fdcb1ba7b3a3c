import { AuditLog, defaultAuditPath } from '../../backend/audit';
import { closeSettled, findLeftLocks, findRemoteLeftLocks, formatLeftLocks, restorable, restoreLeftLock, restoreRemoteLeftLock, type RemoteLockHost } from '../../backend/lockJournal';
import { nativeBinding } from '../../backend/nativeLoader';
import { executeRecyclePlan, prepareRecycle } from '../../backend/recycleExecutor';
import { formatPlanReport, formatRecycleReport } from '../../domain/recyclePlan';
import type { ObjectRule } from '../../domain/verdict';
import { keyOfText } from '../../shared/format';
import type { IpcKind } from '../../shared/model';
import type { IpcSource } from '../../backend/ipcSource';
import { EXIT, UsageError, checkHosts, errorInfoOf, formatErrorLine, parseCommandArgs, type CliIo, type Subcommand } from '../cliSupport';
import { NAMESPACE_OPTIONS, namespaceTargets } from '../namespaceArgs';
import { getSources } from '../sources';
import { wholeDecimal } from '../../shared/decimal';

const KINDS = ['sem', 'shm', 'msg'] as const;

export function parseSeconds(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  // beyond 2^53 a number is no longer the one written (and 400 digits read as Infinity)
  const n = wholeDecimal(v);
  if (n === undefined) throw new UsageError(`--${name} needs a whole number of seconds, not ${JSON.stringify(v)}`);
  return n;
}

/** The verdict options `recycle` and `doctor` share: --min-age, --recent, --include-unrecognized. */
export function orphanOptions(values: { 'min-age'?: string; recent?: string; 'include-unrecognized'?: boolean }): {
  minOrphanAgeSeconds: number;
  recentActivitySeconds: number;
  recycleUnrecognized: boolean;
} {
  return {
    minOrphanAgeSeconds: parseSeconds('min-age', values['min-age'], 60),
    recentActivitySeconds: parseSeconds('recent', values.recent, 10),
    recycleUnrecognized: values['include-unrecognized'] === true,
  };
}

/**
 * Runs `fn` on the one source `hosts` name and disposes it; a runtime failure is one `ipcx: NAME: ...` line
 * on stderr and exit 1 (a UsageError still reaches ipcx.ts for the usage message).
 */
export async function onOneSource(
  name: string,
  hosts: string[],
  io: CliIo,
  given: IpcSource | undefined,
  fn: (source: IpcSource) => Promise<number>,
): Promise<number> {
  const source = given ?? getSources(hosts)[0]!;
  try {
    return await fn(source);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    io.err(`ipcx: ${name}: ${formatErrorLine(errorInfoOf(e))}\n`);
    return EXIT.ERROR;
  } finally {
    source.dispose?.();
  }
}

/**
 * Objects a killed or crashed recycle left locked (intent in the audit log, no outcome, still at mode 0), as
 * report lines; [] when none or when they cannot be checked here (no native binding).
 */
export function leftLockLines(auditPath: string): string[] {
  const binding = nativeBinding().binding;
  if (!binding) return [];
  return formatLeftLocks(findLeftLocks(new AuditLog(auditPath), binding), 'ipcx recycle --restore');
}

function isRemoteLockHost(s: IpcSource): s is IpcSource & RemoteLockHost {
  return typeof (s as Partial<RemoteLockHost>).restoreLocked === 'function';
}

/** `ipcx recycle --restore --host DEST`: the same for the locks recycles run from here left on an SSH host. */
async function restoreRemoteLocks(src: RemoteLockHost, auditPath: string, io: CliIo): Promise<number> {
  const audit = new AuditLog(auditPath);
  const left = await findRemoteLeftLocks(audit, src);
  const todo = restorable(left);
  let failed = 0;
  if (!todo.length) io.out(`IPC Explorer: no object left locked on ${src.host} by an interrupted recycle run from here (audit log ${auditPath}).\n`);
  for (const f of todo) {
    io.out(`${src.host}: ${f.why}\n`);
    const r = await restoreRemoteLeftLock(f, src, audit);
    io.out(`  ${r.message}\n`);
    if (!r.ok) failed++;
  }
  for (const l of formatLeftLocks({ findings: left.findings.filter((f) => f.state === 'other'), remote: left.remote }, '')) io.out(`${l}\n`);
  closeSettled(left, audit);
  return failed ? EXIT.PARTIAL : EXIT.OK;
}

/** `ipcx recycle --restore`: put back the mode of every object a stopped recycle left locked. */
async function restoreLocks(auditPath: string, io: CliIo): Promise<number> {
  const b = nativeBinding();
  if (!b.binding) {
    io.err(`ipcx: recycle --restore: ${b.error?.message ?? 'the native binding is missing'}\n`);
    return EXIT.ERROR;
  }
  const audit = new AuditLog(auditPath);
  const left = findLeftLocks(audit, b.binding);
  const todo = restorable(left);
  let failed = 0;
  if (!todo.length) io.out(`IPC Explorer: no object left locked by an interrupted recycle (audit log ${auditPath}).\n`);
  for (const f of todo) {
    io.out(`${f.why}\n`);
    const r = restoreLeftLock(f, b.binding, audit);
    io.out(`  ${r.message}\n`);
    if (!r.ok) failed++;
  }
  for (const l of formatLeftLocks({ findings: left.findings.filter((f) => f.state === 'other'), remote: left.remote }, '')) io.out(`${l}\n`);
  closeSettled(left, audit);
  return failed ? EXIT.PARTIAL : EXIT.OK;
}

export function parseKinds(v: string[] | undefined): IpcKind[] | undefined {
  if (!v || !v.length) return undefined;
  for (const k of v) if (!(KINDS as readonly string[]).includes(k)) throw new UsageError(`--kind ${k}: expected sem, shm or msg`);
  return v as IpcKind[];
}

/**
 * `--ignore-key 0x0052e2c1` / `--trust-key 5432001`: exact keys, hex or decimal, signed or unsigned 32-bit
 * (-2147483648 .. 4294967295); a larger number is refused, not wrapped around to another key.
 */
export function parseKeyRules(v: string[] | undefined, note: string): ObjectRule[] {
  return (v ?? []).map((s) => {
    const n = keyOfText(s);
    if (n === undefined) {
      throw new UsageError(`key ${JSON.stringify(s)}: expected 0xHEX or a decimal number from -2147483648 to 4294967295`);
    }
    return { key: n | 0, note };
  });
}

const command: Subcommand = {
  name: 'recycle',
  summary: 'plan (and with --yes, perform) the guarded removal of provable orphans, with an audit log',
  usage: `usage: ipcx recycle [--json] [--yes] [--kind sem|shm|msg]... [--data-dir DIR]... [--audit FILE]
                    [--min-age SECONDS] [--recent SECONDS] [--include-unrecognized]
                    [--ignore-key KEY]... [--trust-key KEY]... [--host DEST | --namespace NS]
       ipcx recycle --restore [--host DEST] [--audit FILE]

Prints the recycle plan: each object it would remove with its verdict and reasons, and everything that stays
and why. Removes nothing unless --yes is given; then every object is re-read right before its own removal and
re-checked (same id, key and ctime; every header field the plan saw: nattch, lpid, atime, dtime, qnum,
lspid, stime...; no waiters; no new last-op pid; no process blocked in msgrcv/msgsnd on a queue; its pids
still dead), locked (mode 0), checked again and removed. The audit log (JSON lines) gets each lock's intent
(object, original mode) before the lock, and each removal, refusal and failure after it.
  --restore               put back the mode of objects an interrupted recycle left locked (an intent in
                          the audit log without an outcome, the object still at mode 0): each is checked
                          to be the same object first
  --yes                   perform the removals (after printing the plan)
  --kind K                only this kind (repeatable; default all System V kinds)
  --data-dir DIR          a PostgreSQL data directory to match shm interlock segments and sets against
                          (running postgres processes' -D are found by themselves)
  --audit FILE            the audit log (default ~/.local/state/ipc-explorer/audit.jsonl)
  --min-age SECONDS       an orphan is recyclable after this long without activity (default 60)
  --recent SECONDS        activity newer than this keeps an object out of "orphan" (default 10)
  --include-unrecognized  also recycle orphaned sets/queues no recogniser claims (all their pids dead)
  --ignore-key KEY        never recycle this key (repeatable)
  --trust-key KEY         recycle this key's orphan without a recognised owner (repeatable)
  --json                  {plan, report} as JSON
  --namespace NS          plan and remove inside another IPC namespace of this machine (a pid in it,
                          ipc:[INODE], or a container name or id prefix, see ipcx namespaces): every read,
                          re-check and removal runs on a thread switched into it (root: CAP_SYS_ADMIN);
                          the audit records name the namespace and its container
Exit status: 0 done (or plan printed), 1 error, 2 usage, 3 something was refused or failed.`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      {
        json: { type: 'boolean' },
        yes: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        host: { type: 'string', multiple: true },
        kind: { type: 'string', multiple: true },
        'data-dir': { type: 'string', multiple: true },
        audit: { type: 'string' },
        'min-age': { type: 'string' },
        recent: { type: 'string' },
        'include-unrecognized': { type: 'boolean' },
        'ignore-key': { type: 'string', multiple: true },
        'trust-key': { type: 'string', multiple: true },
        restore: { type: 'boolean' },
        ...NAMESPACE_OPTIONS,
      },
      false,
    );
    const hosts = checkHosts(values.host);
    if (values.restore) {
      if (hosts.length > 1) throw new UsageError('--restore works on one host at a time');
      const auditFile = values.audit ?? defaultAuditPath(io.env);
      if (hosts[0] === undefined || hosts[0] === 'local') return restoreLocks(auditFile, io);
      return onOneSource('recycle --restore', hosts, io, undefined, async (source) => {
        if (!isRemoteLockHost(source)) throw new UsageError(`--restore: ${source.host} cannot restore modes`);
        return restoreRemoteLocks(source, auditFile, io);
      });
    }
    if (hosts.length > 1) throw new UsageError('recycle works on one host at a time');
    if (values['all-namespaces']) throw new UsageError('recycle works in one namespace at a time: give --namespace NS');
    if ((values.namespace?.length ?? 0) > 1) throw new UsageError('recycle works in one namespace at a time');
    const ns = await namespaceTargets(values, hosts);
    const kinds = parseKinds(values.kind);
    const verdict = {
      ...orphanOptions(values),
      ignore: parseKeyRules(values['ignore-key'], '--ignore-key'),
      trust: parseKeyRules(values['trust-key'], '--trust-key'),
    };
    return onOneSource('recycle', hosts, io, ns?.targets[0]?.source, async (source) => {
      const req: Parameters<typeof prepareRecycle>[1] = { verdict, dataDirs: values['data-dir'] ?? [] };
      if (kinds) req.kinds = kinds;
      const prep = await prepareRecycle(source, req);
      const { plan } = prep;
      const auditPath = values.audit ?? defaultAuditPath(io.env);
      if (source.host === 'local') for (const l of leftLockLines(auditPath)) io.err(`ipcx: ${l}\n`);
      else if (isRemoteLockHost(source)) {
        for (const l of formatLeftLocks(await findRemoteLeftLocks(new AuditLog(auditPath), source), `ipcx recycle --restore --host ${source.host}`)) io.err(`ipcx: ${source.host}: ${l}\n`);
      }
      if (!values.json) io.out(formatPlanReport(plan));
      if (!values.yes) {
        if (values.json) io.out(JSON.stringify({ plan: planJson(plan) }, null, io.isTTY ? 2 : 0) + '\n');
        else if (plan.candidates.length) io.out('\nNothing removed: run again with --yes to remove the objects above (each is re-checked first).\n');
        return EXIT.OK;
      }
      const audit = new AuditLog(auditPath);
      if (!values.json) io.err(`ipcx: audit log: ${auditPath}\n`);
      const report = await executeRecyclePlan(plan, { source, processFacts: prep.processFacts, audit, ownPids: [process.pid] });
      if (values.json) io.out(JSON.stringify({ plan: planJson(plan), report }, null, io.isTTY ? 2 : 0) + '\n');
      else io.out('\n' + formatRecycleReport(report));
      return report.refused || report.failed ? EXIT.PARTIAL : EXIT.OK;
    });
  },
};

/** The plan as JSON: candidates and stays without repeating whole snapshots. */
export function planJson(plan: Awaited<ReturnType<typeof prepareRecycle>>['plan']): unknown {
  return plan;
}

export default command;

import { capacity, devShmRow } from '../../domain/capacity';
import type { CapacityRow } from '../../shared/limitDescriptors';
import { formatBytes, formatCount, formatPercent } from '../../shared/format';
import { COMMON_OPTIONS, EXIT, checkHosts, formatErrorLine, parseCommandArgs, type Subcommand } from '../cliSupport';
import { renderTable } from '../table';
import { NAMESPACE_OPTIONS, NAMESPACE_USAGE, namespaceTargets } from '../namespaceArgs';
import { jsonText, namespaceResults, snapshotAll, type HostResult } from './snapshot';

function amount(row: CapacityRow, v: number | null | undefined, bytes?: number): string {
  if (v === null || v === undefined) return '-';
  switch (row.unit) {
    case 'bytes':
      return v >= 1024 ? `${formatBytes(v)} (${formatCount(v)})` : formatCount(v);
    case 'pages':
      return `${formatCount(v)} pages${bytes !== undefined ? ` (${formatBytes(bytes)})` : ''}`;
    default:
      return formatCount(v);
  }
}

export function renderLimits(rows: readonly CapacityRow[]): string {
  return renderTable(
    [
      { header: 'RESOURCE' }, { header: 'DESCRIPTION' }, { header: 'USED', right: true }, { header: 'LIMIT', right: true },
      { header: 'USE%', right: true }, { header: 'NOTE' },
    ],
    rows.map((r) => [
      r.name,
      r.label,
      amount(r, r.used, r.usedBytes),
      r.unlimited ? 'unlimited' : amount(r, r.limit, r.limitBytes),
      formatPercent(r.percent),
      r.basis ?? '',
    ]),
  );
}

/** The kernel rows plus the /dev/shm capacity row (capacity.devShmRow) when the snapshot has one. */
function withDevShm(rows: CapacityRow[], snap: Parameters<typeof devShmRow>[0]): CapacityRow[] {
  const r = devShmRow(snap);
  return r ? [...rows, r] : rows;
}

const command: Subcommand = {
  name: 'limits',
  summary: 'kernel IPC limits with USED, LIMIT and USE% (like lsipc -g, and more)',
  usage: `usage: ipcx limits [--json] [--host DEST]... [--namespace NS]... [--all-namespaces]

Every System V limit (SEMMNI SEMMNS SEMMSL SEMOPM SEMVMX SHMMNI SHMALL SHMMAX SHMMIN MSGMNI MSGMNB MSGMAX)
and the POSIX message queue limit, with what is used and the percentage. SEMMNS counts every semaphore
of every set; SEMMSL, SEMVMX, SHMMAX and MSGMNB compare the largest set, value, segment and queue.
  --json        [{name, label, help, kind, unit, used, limit, percent, unlimited, usedBytes?, limitBytes?,
                  basis?, object?, raise?}] (with several hosts: [{host, limits: [...]} | {host, error}])
  --host DEST   read DEST instead of the local machine (repeatable)
${NAMESPACE_USAGE}
                (each namespace's own limits: /proc/sys/kernel/sem, shm*, msg* are per IPC namespace; with
                several: [{host: "ipc:[N] LABEL", limits} | {host, error}])
The /dev/shm row is the size and use of the tmpfs holding the POSIX objects (statfs).
Exit status: 0 ok, 1 nothing could be read, 2 usage, 3 printed but one of several hosts failed.`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...COMMON_OPTIONS, ...NAMESPACE_OPTIONS }, false);
    const hosts = checkHosts(values.host);
    const ns = await namespaceTargets(values, hosts);
    let results: HostResult[];
    if (ns) {
      for (const w of ns.warnings) io.err(`warning: ${w}\n`);
      results = (await namespaceResults(ns)).map((r) => ({
        host: `${r.namespace.ns} ${r.namespace.label}`,
        ...(r.snapshot ? { snapshot: r.snapshot } : { error: r.error! }),
      }));
    } else results = await snapshotAll(hosts);
    const per = results.map((r) => ({ host: r.host, rows: r.snapshot ? withDevShm(capacity(r.snapshot), r.snapshot) : undefined, error: r.error }));
    const single = per.length === 1;
    if (values.json) {
      if (single) {
        if (per[0].rows) io.out(jsonText(per[0].rows, io.isTTY));
      } else {
        io.out(jsonText(per.map((p) => (p.rows ? { host: p.host, limits: p.rows } : { host: p.host, error: p.error })), io.isTTY));
      }
    } else {
      per.forEach((p, i) => {
        if (!p.rows) return;
        if (!single) io.out(`${i ? '\n' : ''}host ${p.host}\n`);
        io.out(renderLimits(p.rows));
        const snap = results[i].snapshot!;
        for (const w of snap.warnings.filter((x) => /^limits:|native binding/.test(x))) io.err(`warning: ${w}\n`);
      });
    }
    for (const p of per) if (p.error) io.err(`ipcx: ${p.host}: ${formatErrorLine(p.error)}\n`);
    if (per.every((p) => p.error)) return EXIT.ERROR;
    return per.some((p) => p.error) ? EXIT.PARTIAL : EXIT.OK;
  },
};

export default command;

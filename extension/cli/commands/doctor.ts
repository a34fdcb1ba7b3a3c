import { prepareRecycle } from '../../backend/recycleExecutor';
import { diagnoseSemget, formatDiagnosis, type SemgetRequest } from '../../domain/doctor';
import { pgDefaults } from '../../domain/pgSizing';
import { EXIT, UsageError, checkHosts, parseCommandArgs, type Subcommand } from '../cliSupport';
import { defaultAuditPath } from '../../backend/audit';
import { leftLockLines, onOneSource, orphanOptions } from './recycle';

function int(name: string, v: string | undefined, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) > 2 ** 31) throw new UsageError(`--${name} needs a whole number, not ${JSON.stringify(v)}`);
  return Number(v);
}

const command: Subcommand = {
  name: 'doctor',
  summary: 'ENOSPC doctor: would semget succeed, which limit blocks it, would recycling be enough; PostgreSQL sizing',
  usage: `usage: ipcx doctor [--nsems N] [--sets N] [--json] [--host DEST] [--data-dir DIR]...
                  [--pg-version V] [--max-connections N] [--autovacuum-max-workers N]
                  [--max-wal-senders N] [--max-worker-processes N] [--num-os-semaphores N]

Answers "semget(key, N) fails with ENOSPC: why, and what would recycling free?".
  --nsems N        semaphores per set (default 17, PostgreSQL's)
  --sets N         how many such sets must be created (default 1)
  --pg-version V   also size PostgreSQL V (any --max-* option implies it, default 15): sets and semaphores
                   needed per the documented formula, compared with the limits now and after recycling
  --max-connections N, --autovacuum-max-workers N, --max-wal-senders N, --max-worker-processes N
                   PostgreSQL settings (defaults: 100, 3, 10, 8)
  --num-os-semaphores N   PostgreSQL 18: the value of \`postgres -C num_os_semaphores\`
  --min-age S, --recent S, --include-unrecognized   as for ipcx recycle (what counts as recyclable)
  --audit FILE     the recycle audit log to check for objects an interrupted recycle left locked
                   (default ~/.local/state/ipc-explorer/audit.jsonl)
Exit status: 0 would succeed, 3 would fail (even after recycling), 4 would fail now but recycling is enough,
1 error, 2 usage.`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      {
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        host: { type: 'string', multiple: true },
        nsems: { type: 'string' },
        sets: { type: 'string' },
        'data-dir': { type: 'string', multiple: true },
        'pg-version': { type: 'string' },
        'max-connections': { type: 'string' },
        'autovacuum-max-workers': { type: 'string' },
        'max-wal-senders': { type: 'string' },
        'max-worker-processes': { type: 'string' },
        'num-os-semaphores': { type: 'string' },
        'min-age': { type: 'string' },
        recent: { type: 'string' },
        'include-unrecognized': { type: 'boolean' },
        audit: { type: 'string' },
      },
      false,
    );
    const hosts = checkHosts(values.host);
    if (hosts.length > 1) throw new UsageError('doctor works on one host at a time');
    const nsems = int('nsems', values.nsems, 17)!;
    const sets = int('sets', values.sets, 1)!;
    if (nsems < 1 || sets < 1) throw new UsageError('--nsems and --sets must be at least 1');
    const req: SemgetRequest = { nsems, sets };
    const pgAsked = ['pg-version', 'max-connections', 'autovacuum-max-workers', 'max-wal-senders', 'max-worker-processes', 'num-os-semaphores']
      .some((k) => values[k as keyof typeof values] !== undefined);
    if (pgAsked) {
      const pg = pgDefaults(int('pg-version', values['pg-version'], 15));
      pg.maxConnections = int('max-connections', values['max-connections'], pg.maxConnections)!;
      pg.autovacuumMaxWorkers = int('autovacuum-max-workers', values['autovacuum-max-workers'], pg.autovacuumMaxWorkers)!;
      pg.maxWalSenders = int('max-wal-senders', values['max-wal-senders'], pg.maxWalSenders)!;
      pg.maxWorkerProcesses = int('max-worker-processes', values['max-worker-processes'], pg.maxWorkerProcesses)!;
      const n = int('num-os-semaphores', values['num-os-semaphores']);
      if (n !== undefined) pg.numOsSemaphores = n;
      req.pg = pg;
    }
    return onOneSource('doctor', hosts, io, undefined, async (source) => {
      const prep = await prepareRecycle(source, { dataDirs: values['data-dir'] ?? [], verdict: orphanOptions(values) });
      const d = diagnoseSemget(prep.snapshot, prep.verdicts, req);
      io.out(values.json ? JSON.stringify(d, null, io.isTTY ? 2 : 0) + '\n' : formatDiagnosis(d));
      // an interrupted recycle may have left objects locked (mode 0): their owners' processes get EACCES
      if (source.host === 'local') for (const l of leftLockLines(values.audit ?? defaultAuditPath(io.env))) io.err(`ipcx: ${l}\n`);
      if (d.wouldSucceed) return EXIT.OK;
      return d.recyclingIsEnough ? EXIT.FINDING : EXIT.PARTIAL;
    });
  },
};

export default command;

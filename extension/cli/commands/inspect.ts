import { readProcessFacts } from '../../backend/procfs';
import { IpcError } from '../../domain/errors';
import { pidsOf } from '../../domain/processFacts';
import { assessSnapshot, objectRef, verdictOptions } from '../../domain/verdict';
import { formatBytes, formatKey, formatMode, formatTime } from '../../shared/format';
import type { IpcErrorInfo, IpcKind, IpcObject, ProcessFact, SemElem, SysvKind, SysvObject, Verdict } from '../../shared/model';
import { COMMON_OPTIONS, EXIT, UsageError, checkHosts, formatErrorLine, parseCommandArgs, type Subcommand } from '../cliSupport';
import { namesFor, pidLabel } from '../render';
import { getSources } from '../sources';
import { renderFields, renderTable } from '../table';
import { jsonText } from './snapshot';

const KIND_ALIASES: Record<string, IpcKind> = {
  sem: 'sem', s: 'sem', semaphore: 'sem', semaphores: 'sem',
  shm: 'shm', m: 'shm', 'shared-memory': 'shm',
  msg: 'msg', q: 'msg', queue: 'msg', 'message-queue': 'msg',
  posixsem: 'posixSem', psem: 'posixSem',
  posixshm: 'posixShm', pshm: 'posixShm',
};

const WHAT: Record<IpcKind, string> = {
  sem: 'semaphore set', shm: 'shared memory segment', msg: 'message queue',
  posixSem: 'POSIX named semaphore', posixShm: 'POSIX shared memory object',
};
const CTL: Record<SysvKind, string> = { sem: 'semctl', shm: 'shmctl', msg: 'msgctl' };

export interface InspectResult {
  host: string;
  kind: IpcKind;
  object: IpcObject;
  /** sem: per-semaphore detail (GETALL, GETPID, GETNCNT, GETZCNT) */
  elems?: SemElem[];
  elemsError?: IpcErrorInfo;
  verdict?: Verdict;
  /** facts for every pid the object and its semaphores name */
  processes: Record<number, ProcessFact>;
}

function fields(r: InspectResult, names: ReturnType<typeof namesFor>): [string, string][] {
  const o = r.object;
  const P = r.processes;
  const t = (s: number) => (s ? `${formatTime(s)} (${s})` : 'never (0)');
  if (o.kind === 'posixSem' || o.kind === 'posixShm') {
    const f: [string, string][] = [
      ['kind', WHAT[o.kind]],
      ['name', o.name],
      ['path', o.path],
      ['owner', `${names.user(o.uid)} (uid ${o.uid}), group ${names.group(o.gid)} (gid ${o.gid})`],
      ['mode', `${formatMode(o.mode)} (${o.mode.toString(8)})`],
      ['size', `${o.size} (${formatBytes(o.size)})`],
      ['mtime', t(o.mtime)],
      ['dev:ino', `${o.dev}:${o.ino}`],
      ['attachers', o.attachers === undefined ? 'not scanned' : o.attachers.map((p) => pidLabel(p, P)).join(', ') || 'none'],
    ];
    if (o.kind === 'posixSem' && o.decoded) {
      const d = o.decoded;
      f.push(
        ['value', String(d.value)],
        ['nwaiters', `${d.nwaiters} (threads registered in sem_wait's slow path)`],
        ['private', `${d.private}${d.private === 128 ? ' (FUTEX_SHARED)' : d.private === 0 ? ' (FUTEX_PRIVATE)' : ''}`],
        ['layout', d.layout],
        ['read', d.atomic ? 'one aligned 8-byte atomic load of the mapping' : 'plain read (value and nwaiters may be from different instants)'],
        ['raw', d.raw],
      );
    } else if (o.kind === 'posixSem' && o.decodeError) {
      f.push(['value', formatErrorLine(o.decodeError)]);
    }
    if (r.verdict) f.push(['state', r.verdict.state], ...r.verdict.reasons.map((x, i): [string, string] => [i ? '' : 'reasons', x]));
    return f;
  }
  const f: [string, string][] = [
    ['kind', WHAT[o.kind]],
    ['id', String(o.id)],
    ['key', `${formatKey(o.key)} (${o.key})`],
    ['owner', `${names.user(o.uid)} (uid ${o.uid}), group ${names.group(o.gid)} (gid ${o.gid})`],
    ['creator', `${names.user(o.cuid)} (cuid ${o.cuid}), group ${names.group(o.cgid)} (cgid ${o.cgid})`],
    ['mode', `${formatMode(o.mode)} (${o.mode.toString(8)})`],
  ];
  switch (o.kind) {
    case 'sem':
      f.push(['nsems', String(o.nsems)], ['otime', t(o.otime)], ['ctime', t(o.ctime)]);
      if (o.values) f.push(['values', o.values.join(' ')]);
      if (o.valuesError) f.push(['values', formatErrorLine(o.valuesError)]);
      break;
    case 'shm':
      f.push(
        ['segsz', `${o.segsz} (${formatBytes(o.segsz)})`],
        ['nattch', String(o.nattch)],
        ['attachers', o.attachers === undefined ? 'not scanned' : o.attachers.map((p) => pidLabel(p, P)).join(', ') || 'none'],
        ['cpid', pidLabel(o.cpid, P)],
        ['lpid', pidLabel(o.lpid, P)],
        ['atime', t(o.atime)],
        ['dtime', t(o.dtime)],
        ['ctime', t(o.ctime)],
        ['status', [o.dest ? 'dest (removed at last detach)' : '', o.locked ? 'locked' : ''].filter(Boolean).join(', ') || '-'],
      );
      if (o.rss !== undefined) f.push(['rss', `${o.rss} (${formatBytes(o.rss)})`]);
      if (o.swap !== undefined) f.push(['swap', `${o.swap} (${formatBytes(o.swap)})`]);
      break;
    case 'msg':
      f.push(
        ['qnum', String(o.qnum)],
        ['cbytes', String(o.cbytes)],
        ['qbytes', String(o.qbytes)],
        ['lspid', pidLabel(o.lspid, P)],
        ['lrpid', pidLabel(o.lrpid, P)],
        ['stime', t(o.stime)],
        ['rtime', t(o.rtime)],
        ['ctime', t(o.ctime)],
      );
      break;
  }
  if (r.verdict) {
    f.push(['state', `${r.verdict.state}${r.verdict.recyclable ? ' (recyclable)' : ''}`]);
    if (r.verdict.owner) f.push(['owner app', r.verdict.owner.label]);
    r.verdict.reasons.forEach((reason, i) => f.push([i ? '' : 'reasons', reason]));
  }
  return f;
}

export function renderInspect(r: InspectResult): string {
  const names = namesFor({ host: r.host } as Parameters<typeof namesFor>[0]);
  let out = renderFields(fields(r, names));
  if (r.elems) {
    out += `\nsemaphores (${r.elems.length})\n`;
    out += renderTable(
      [{ header: 'SEMNUM', right: true }, { header: 'SEMVAL', right: true }, { header: 'NCOUNT', right: true }, { header: 'ZCOUNT', right: true }, { header: 'PID' }],
      r.elems.map((e, i) => [String(i), String(e.semval), String(e.ncount), String(e.zcount), pidLabel(e.pid, r.processes)]),
    );
  } else if (r.elemsError) {
    out += `\nsemaphores: ${formatErrorLine(r.elemsError)}\n`;
  }
  return out;
}

const command: Subcommand = {
  name: 'inspect',
  summary: 'every field of one object; for a semaphore set each semaphore (semval, ncount, zcount, pid)',
  usage: `usage: ipcx inspect sem|shm|msg ID [--json] [--host DEST]
       ipcx inspect posixSem|posixShm /NAME [--json] [--host DEST]

Prints every field of one System V object by id, its state and reasons, and for a semaphore set every
semaphore's value, waiters (ncount, zcount) and last-op pid with the process name. A POSIX object is
named as sem_open/shm_open take it (/orders = /dev/shm/sem.orders); a semaphore shows its decoded value,
nwaiters and layout.
  --json        {host, kind, object, elems?, elemsError?, verdict?, processes}
  --host DEST   read DEST instead of the local machine
Exit status: 0 ok, 1 error (e.g. no such object), 2 usage, 3 printed but incomplete (the semaphores' values
could not be read, or a POSIX semaphore could not be decoded).`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, COMMON_OPTIONS, true);
    const hosts = checkHosts(values.host);
    if (hosts.length > 1) throw new UsageError('inspect reads one host: give --host at most once');
    if (positionals.length !== 2) throw new UsageError('expected a kind (sem, shm, msg, posixSem, posixShm) and an id or /NAME');
    const kind = KIND_ALIASES[positionals[0].toLowerCase()];
    if (!kind) throw new UsageError(`unknown kind '${positionals[0]}' (expected sem, shm, msg, posixSem or posixShm)`);
    const posix = kind === 'posixSem' || kind === 'posixShm';
    let id = -1;
    let name = '';
    if (posix) {
      name = positionals[1].startsWith('/') ? positionals[1] : '/' + positionals[1];
      if (name.length < 2 || name.slice(1).includes('/')) throw new UsageError(`a POSIX name is /NAME without further '/', got '${positionals[1]}'`);
    } else {
      if (!/^\d{1,10}$/.test(positionals[1]) || Number(positionals[1]) > 0x7fffffff) {
        throw new UsageError(`id must be a non-negative integer, got '${positionals[1]}'`);
      }
      id = Number(positionals[1]);
    }
    const [source] = getSources(hosts);
    try {
      const snap = await source.snapshot();
      let object: IpcObject | undefined;
      if (posix) {
        const list: IpcObject[] = kind === 'posixSem' ? snap.posixSems : snap.posixShms;
        object = list.find((o) => 'name' in o && o.name === name);
        if (!object) {
          throw new IpcError({
            code: 'ENOENT', syscall: kind === 'posixSem' ? 'sem_open' : 'shm_open',
            message: `${kind === 'posixSem' ? 'sem_open' : 'shm_open'}(${name}): no ${WHAT[kind]} with this name on ${source.host} (ENOENT)`,
            hint: `List them with: ipcx snapshot${source.host === 'local' ? '' : ` --host ${source.host}`}`,
          });
        }
      } else {
        const sk = kind as SysvKind;
        const list: SysvObject[] = sk === 'sem' ? snap.sems : sk === 'shm' ? snap.shms : snap.msgs;
        object = list.find((o) => o.id === id);
        if (!object) {
          const itemErr = snap.errors.find((e) => e.kind === kind && e.id === id);
          if (itemErr) throw new IpcError({ ...itemErr.error });
          throw new IpcError({
            code: 'EINVAL', syscall: CTL[sk], op: 'IPC_STAT', id,
            message: `${CTL[sk]}(IPC_STAT) id=${id}: no ${WHAT[kind]} with this id on ${source.host} (EINVAL)`,
            hint: `List them with: ipcx snapshot${source.host === 'local' ? '' : ` --host ${source.host}`}`,
          });
        }
      }
      const result: InspectResult = { host: source.host, kind, object, processes: {} };
      if (object.kind === 'sem') {
        const d = (await source.semDetail([id])).get(id);
        if (Array.isArray(d)) {
          result.elems = d;
          object.elems = d;
        } else if (d) result.elemsError = d;
      }
      try {
        result.verdict = assessSnapshot(snap, verdictOptions(), Math.floor(Date.now() / 1000)).get(objectRef(object));
      } catch {
        // a verdict is a courtesy here; the fields stand without it
      }
      const pids = pidsOf([object]);
      const missing = pids.filter((p) => !snap.processes[p]);
      const extra = missing.length && source.host === 'local' ? readProcessFacts(missing) : {};
      for (const p of pids) {
        const fact = snap.processes[p] ?? extra[p];
        if (fact) result.processes[p] = fact;
      }
      io.out(values.json ? jsonText(result, io.isTTY) : renderInspect(result));
      if (result.elemsError || (object.kind === 'sem' && object.valuesError) || (object.kind === 'posixSem' && object.decodeError)) {
        return EXIT.PARTIAL;
      }
      return EXIT.OK;
    } finally {
      source.dispose?.();
    }
  },
};

export default command;

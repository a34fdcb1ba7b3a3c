/**
 * Parses what the scripts sent to SSH hosts (extension/remote/probeScript.ts, lockScript.ts) print: the
 * snapshot probe (as HostFacts, by probeLinux.ts or probeIpcs.ts, then assembleSnapshot like every other
 * source), batched per-set values, removal results and the lock self-test. Pure: text in, data out.
 */
import type { IpcErrorInfo, IpcSnapshot, SemElem } from '../shared/model';
import { assembleSnapshot } from './assembleSnapshot';
import { hintFor } from './errors';
import { platformOf, type HostFacts } from './hostFacts';
import { parseHostLibc } from './hostLibc';
import { ipcsProbeFacts } from './probeIpcs';
import { firstLine, intOf, need, PID_MAX, probeError, snippet, splitDocument, type ProbeResult } from './probeDocument';
import { linuxProbeFacts, type ProbeHead } from './probeLinux';
import { parseNamespaces, printable, type RemoteNamespaces } from './probeNamespaces';
import { NSEMS_KERNEL_MAX } from './procParser';

export type { ProbeResult } from './probeDocument';
export type { RemoteNamespaces } from './probeNamespaces';

export interface ParseProbeOptions {
  /** the host's display name (the SSH destination as the user named it). */
  host: string;
  /** pids the probe was asked about beyond those the objects mention (its `extra_pids`). */
  extraPids?: readonly number[];
}

/** What the remote source keeps for guarded removal on ipcs hosts, whose CTIME column is a time of day. */
export interface IpcsClockInfo {
  utcOffsetSeconds: number;
}

export interface ParsedProbe {
  snapshot: IpcSnapshot;
  ipcsClock?: IpcsClockInfo;
  /** the host's other IPC namespaces, when the probe was asked for them (Linux) */
  namespaces?: RemoteNamespaces;
}

/** The CTIME column (seconds since local midnight) an epoch time was reconstructed from; undefined for 0. */
export function timeOfDayOf(epoch: number, clock: IpcsClockInfo): number | undefined {
  if (!epoch) return undefined;
  return (((epoch + clock.utcOffsetSeconds) % 86400) + 86400) % 86400;
}

/** What a probe document says about its host: the facts, and the ipcs clock on BSD hosts. */
export interface ProbeFacts {
  facts: HostFacts;
  ipcsClock?: IpcsClockInfo;
  /** the host's other IPC namespaces, each assembled from its own facts, when the probe was asked for them */
  namespaces?: RemoteNamespaces;
}

/** Parses a whole probe document into a snapshot (parseProbeFacts, then assembleSnapshot). */
export function parseProbe(text: string, opts: ParseProbeOptions): ProbeResult<ParsedProbe> {
  const p = parseProbeFacts(text, opts);
  if (!p.ok) return p;
  const out: ParsedProbe = { snapshot: assembleSnapshot(p.value.facts) };
  if (p.value.ipcsClock) out.ipcsClock = p.value.ipcsClock;
  if (p.value.namespaces) out.namespaces = p.value.namespaces;
  return { ok: true, value: out };
}

/** Parses a whole probe document into the facts it reports. */
export function parseProbeFacts(text: string, opts: ParseProbeOptions): ProbeResult<ProbeFacts> {
  const host = opts.host;
  const d = splitDocument(text, 'ipcx-probe', 1, host);
  if (!d.ok) return d;
  const doc = d.value;
  const uname = need(doc, host, 'uname');
  if (!uname.ok) return uname;
  const unameParts = firstLine(uname.value).split(/\s+/);
  if (!unameParts[0]) return { ok: false, error: probeError(host, 'section "uname" is empty') };
  const platform = platformOf(unameParts[0]);
  const now = intOf(doc.sections.get('now'));
  const uid = intOf(doc.sections.get('uid'));
  if (now === undefined) return { ok: false, error: probeError(host, 'section "now" (the host clock) is missing or not a number') };
  const head: ProbeHead = {
    host,
    platform,
    source: platform === 'linux' ? 'ssh-linux' : 'ssh-ipcs',
    takenAt: now * 1000,
    warnings: doc.preamble.trim() ? [`the host printed text before the probe output (ignored): ${snippet(doc.preamble.trim(), 60)}`] : [],
  };
  if (unameParts[1]) head.kernel = unameParts[1];
  const hn = firstLine(doc.sections.get('hostname'));
  if (hn) head.hostname = hn;
  if (uid !== undefined) head.uid = uid;

  if (platform === 'linux') {
    const f = linuxProbeFacts(doc, head, opts.extraPids);
    if (!f.ok) return f;
    // the host's own libc: an entered namespace's processes may run another (a container image's), so only here
    f.value.libc = parseHostLibc(doc.sections.get('libc'), platform);
    const out: ProbeFacts = { facts: f.value };
    if (doc.sections.has('ns-enter')) out.namespaces = parseNamespaces(doc, head);
    return { ok: true, value: out };
  }
  const r = ipcsProbeFacts(doc.sections, head, opts.extraPids);
  if (!r.ok) return { ok: false, error: probeError(host, r.message) };
  r.facts.libc = parseHostLibc(doc.sections.get('libc'), platform);
  return { ok: true, value: { facts: r.facts, ipcsClock: { utcOffsetSeconds: r.utcOffsetSeconds } } };
}

/** Parses the batched `ipcs -s -i ID` output (util-linux) of semDetailScript(). */
export function parseSemDetail(text: string, ids: readonly number[], host: string): ProbeResult<Map<number, SemElem[] | IpcErrorInfo>> {
  const d = splitDocument(text, 'ipcx-semdetail', 1, host);
  if (!d.ok) return d;
  const out = new Map<number, SemElem[] | IpcErrorInfo>();
  for (const id of ids) {
    const body = d.value.sections.get(`sem ${id}`);
    if (body === undefined) {
      out.set(id, probeError(host, `no answer for semaphore set ${id}`));
      continue;
    }
    out.set(id, parseIpcsSemI(body, id, host));
  }
  return { ok: true, value: out };
}

/** One `ipcs -s -i ID` answer (util-linux): the table after `semnum value ncount zcount pid`. */
export function parseIpcsSemI(body: string, id: number, host: string): SemElem[] | IpcErrorInfo {
  const lines = body.split('\n');
  const h = lines.findIndex((l) => /^semnum\s+value\s+ncount\s+zcount\s+pid\s*$/.test(l.trim()));
  if (h < 0) {
    const msg = body.trim().split('\n')[0] ?? '';
    if (/not found|Invalid argument|Identifier removed/i.test(msg)) {
      return { code: 'EINVAL', errno: 22, syscall: 'semctl', op: 'GETALL', id, message: `${host}: set ${id}: ${msg}`, hint: hintFor('EINVAL', 'GETALL') };
    }
    if (/Permission denied|not permitted/i.test(msg)) {
      return { code: 'EACCES', errno: 13, syscall: 'semctl', op: 'GETALL', id, message: `${host}: set ${id}: ${msg}`, hint: hintFor('EACCES', 'GETALL') };
    }
    if (/illegal option|invalid option|usage|not found: ipcs|ipcs: not found|command not found/i.test(msg)) {
      return { code: 'ENOTSUP', syscall: 'ipcs', op: 'GETALL', id, message: `${host}: set ${id}: this host's ipcs has no -s -i (${msg})`, hint: 'Per-semaphore values over SSH need util-linux ipcs (Linux).' };
    }
    return { code: 'EPARSE', syscall: 'ipcs', op: 'GETALL', id, message: `${host}: set ${id}: unexpected ipcs -s -i output ${snippet(msg)}` };
  }
  const elems: SemElem[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const t = lines[i].trim();
    if (!t) continue;
    const f = t.split(/\s+/);
    if (f.length !== 5 || !f.every((x) => /^\d{1,10}$/.test(x)) || Number(f[0]) !== elems.length) {
      return { code: 'EPARSE', syscall: 'ipcs', op: 'GETALL', id, message: `${host}: set ${id}: unexpected row ${snippet(t)}` };
    }
    // semval <= SEMVMX (32767), waiter counts are ints, pids <= PID_MAX_LIMIT, at most NSEMS_KERNEL_MAX rows
    const out = Number(f[1]) > 32767 ? 'value' : Number(f[2]) > 0x7fffffff || Number(f[3]) > 0x7fffffff ? 'waiter count'
      : Number(f[4]) > PID_MAX ? 'pid' : elems.length >= NSEMS_KERNEL_MAX ? 'row count' : undefined;
    if (out) {
      return { code: 'EPARSE', syscall: 'ipcs', op: 'GETALL', id, message: `${host}: set ${id}: ${out} out of the kernel's range in row ${snippet(t)}` };
    }
    elems.push({ semval: Number(f[1]), ncount: Number(f[2]), zcount: Number(f[3]), pid: Number(f[4]) });
  }
  return elems;
}

export type RemoveOutcome =
  | { result: 'ok' }
  | { result: 'changed'; detail: string }
  | { result: 'gone' }
  | { result: 'failed'; detail: string };

/** The one `@@result ...` line of a removal script. */
export function parseRemoveResult(text: string, host: string): ProbeResult<RemoveOutcome> {
  const d = splitDocument(text, 'ipcx-remove', 1, host);
  if (!d.ok) return d;
  const keys = [...d.value.sections.keys()].filter((k) => k.startsWith('@@result '));
  if (keys.length !== 1) return { ok: false, error: probeError(host, `expected one result line, got ${keys.length}`) };
  const line = keys[0].replace(/#\d+$/, '').slice('@@result '.length).trim();
  const [word, ...rest] = line.split(' ');
  const detail = rest.join(' ').trim();
  switch (word) {
    case 'ok':
      return { ok: true, value: { result: 'ok' } };
    case 'gone':
      return { ok: true, value: { result: 'gone' } };
    case 'changed':
      return { ok: true, value: { result: 'changed', detail } };
    case 'failed':
      return { ok: true, value: { result: 'failed', detail } };
    default:
      return { ok: false, error: probeError(host, `unknown result ${snippet(line)}`) };
  }
}

/** What the lock self-test (extension/remote/lockScript.ts) found on a host. */
export type LockProbeOutcome =
  | { mode: 'locked'; layout: 'x86_64' | 'generic64'; quiesce: 'membarrier' | 'sleep' }
  | { mode: 'unlocked'; reason: string };

/** `@@ipcx-lockprobe 1`, `@@section lock`: `locked LAYOUT QUIESCE` or `unlocked REASON`. Anything else is unlocked. */
export function parseLockProbe(text: string, host: string): ProbeResult<LockProbeOutcome> {
  const d = splitDocument(text, 'ipcx-lockprobe', 1, host);
  if (!d.ok) return d;
  const body = d.value.sections.get('lock');
  if (body === undefined) return { ok: false, error: probeError(host, 'the lock self-test printed no "lock" section') };
  const line = body.split('\n').filter((l) => l.trim())[0]?.trim() ?? '';
  const m = /^locked (x86_64|generic64) (membarrier|sleep)$/.exec(line);
  if (m) return { ok: true, value: { mode: 'locked', layout: m[1] as 'x86_64' | 'generic64', quiesce: m[2] as 'membarrier' | 'sleep' } };
  const u = /^unlocked (.+)$/.exec(line);
  return { ok: true, value: { mode: 'unlocked', reason: printable(u ? u[1] : `unexpected answer ${JSON.stringify(line.slice(0, 80))}`) } };
}


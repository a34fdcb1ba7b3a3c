/**
 * An IpcSource for an SSH host: agentless (a POSIX sh probe on stdin), one multiplexed connection, one
 * round trip per snapshot, per-set semaphore values batched in one round trip, and guarded removal that
 * re-verifies the object ON THE HOST immediately before `ipcrm`.
 */
import type { IpcSource } from '../backend/ipcSource';
import { assembleSnapshot } from '../domain/assembleSnapshot';
import { IpcError, fromErrorInfo } from '../domain/errors';
import type { HostFacts } from '../domain/hostFacts';
import { parseLockProbe, parseProbe, parseProbeFacts, parseRemoveResult, parseSemDetail, timeOfDayOf, type IpcsClockInfo, type LockProbeOutcome, type RemoteNamespaces } from '../domain/probeParser';
import type { ActivityFields, IpcErrorInfo, IpcSnapshot, Platform, ProcessFact, RemovalExpectation, RemovalMode, SemElem, SysvKind } from '../shared/model';
import { MSG_ACTIVITY_FIELDS, SHM_ACTIVITY_FIELDS } from '../shared/model';
import { lockProbeScript, removeScriptLocked, restoreScriptLocked } from './lockScript';
import type { SshDestination } from './hostName';
import { assertId, inNamespaceScript, probeScript, assertKey, assertTime, removeScriptIpcs, removeScriptLinux, semDetailScript } from './probeScript';
import { cannotEnterWhy, printable } from '../domain/probeNamespaces';
import type { IpcNamespaceInfo } from '../shared/namespaces';
import type { ScriptRunner } from '../backend/localProbeRunner';
import { SshRunner, classifySshFailure, type RunResult, type SshRunnerOptions } from './sshRunner';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'error';

export interface SshSourceOptions extends SshRunnerOptions {
  /** run the probe, removals and per-set value reads as `sudo -n sh -s` (never prompts, never a stored password). */
  sudo?: boolean;
  /** at most this many sets per semDetail round trip (default 512). */
  semDetailBatch?: number;
  /** run the scripts with this instead of ssh (the local host on macOS/FreeBSD: extension/backend/localProbeRunner.ts) */
  runner?: ScriptRunner;
  /** the host's name in snapshots and messages (default destination.spec) */
  host?: string;
  /**
   * read and remove inside this other IPC namespace of the host (every script runs under
   * `nsenter -t PID -i`, probeScript.ts inNamespaceScript); the lock self-test runs in the host's own
   */
  namespace?: IpcNamespaceInfo;
  /** the host's own source: the namespace source shares its runner and its lock self-test */
  parent?: SshSource;
  /**
   * every snapshot also lists and reads the host's other IPC namespaces in the same round trip (Linux;
   * `namespaces()` has them after each snapshot): the tree's and dashboard's host -> namespace level
   */
  listNamespaces?: boolean;
}

export interface SshSourceStatus {
  state: ConnectionState;
  platform?: Platform;
  /** the last failure (connection, timeout, malformed output), cleared by the next good snapshot. */
  error?: IpcErrorInfo;
  /** ms of the last snapshot round trip (probe + transfer). */
  lastMs?: number;
}

const SEM_DETAIL_BATCH = 512;
const MAX_EXTRA_PIDS = 4096;

export class SshSource implements IpcSource {
  readonly host: string;
  private readonly runner: ScriptRunner;
  private readonly sudo: boolean;
  private readonly batch: number;
  private status_: SshSourceStatus = { state: 'idle' };
  private ipcsClock: IpcsClockInfo | undefined;
  /** what the last lock self-test found on the host (removal uses it; removalMode() runs it again). */
  private lock: LockProbeOutcome | undefined;
  /** last-op pids seen in semDetail answers: the next snapshots report their process facts too. */
  private readonly sempids = new Set<number>();

  /** the other IPC namespace this source reads in (undefined: the login's own) */
  readonly namespace: IpcNamespaceInfo | undefined;
  private readonly parent: SshSource | undefined;
  /** a snapshot of this namespace the host's probe took in its own round trip, used once by the next snapshot() */
  private primed: { snapshot: IpcSnapshot } | { error: IpcErrorInfo } | undefined;
  private listNamespaces: boolean;
  private lastNamespaces: RemoteNamespaces | undefined;

  constructor(readonly destination: SshDestination, opts: SshSourceOptions = {}) {
    this.host = opts.host ?? destination.spec;
    this.sudo = opts.sudo ?? false;
    this.batch = opts.semDetailBatch ?? SEM_DETAIL_BATCH;
    this.runner = opts.runner ?? opts.parent?.runner ?? new SshRunner(destination, { ...opts, sudo: false });
    this.namespace = opts.namespace;
    this.parent = opts.parent;
    this.listNamespaces = opts.listNamespaces === true && !opts.namespace;
  }

  /** Turns the namespace listing of every snapshot on or off (setting). */
  setListNamespaces(on: boolean): void {
    this.listNamespaces = on && !this.namespace;
    if (!this.listNamespaces) this.lastNamespaces = undefined;
  }

  /** What the last snapshot's probe found of the host's other namespaces (undefined: not listed). */
  namespaces(): RemoteNamespaces | undefined {
    return this.lastNamespaces;
  }

  /**
   * A source for another IPC namespace of this host (as the host's probe listed it): the same connection,
   * every script run inside it with nsenter, removals guarded as on the host. Named
   * `HOST:ipc:[N] LABEL` in snapshots, plans and audit records.
   */
  forNamespace(info: IpcNamespaceInfo, opts: { closesHost?: boolean } = {}): SshSource {
    assertId(info.mainPid, 'pid');
    const s = new SshSource(this.destination, { sudo: this.sudo, semDetailBatch: this.batch, host: `${this.host}:${info.ns} ${info.label}`, namespace: info, parent: this });
    s.closesHost = opts.closesHost === true;
    return s;
  }

  /** This host on the same connection, as a source whose dispose() leaves the connection up (or ends it: closesHost). */
  sharing(opts: { closesHost?: boolean } = {}): SshSource {
    const s = new SshSource(this.destination, { sudo: this.sudo, semDetailBatch: this.batch, host: this.host, parent: this });
    s.closesHost = opts.closesHost === true;
    return s;
  }

  /** dispose() of this namespace source also ends its host's connection (one-shot use: the CLI) */
  private closesHost = false;

  /** Hands this namespace source the snapshot its host's probe just took of it (the next snapshot() returns it). */
  prime(s: IpcSnapshot | { error: IpcErrorInfo }): void {
    if ('error' in s && !('sems' in s)) {
      this.primed = { error: s.error };
      return;
    }
    const snap = s as IpcSnapshot;
    this.primed = { snapshot: snap };
    this.status_ = { state: 'connected', platform: snap.platform };
  }

  /** Runs a script on the host, inside this source's namespace when it has one. */
  private async run(script: string): Promise<RunResult> {
    const ns = this.namespace;
    if (!ns) return this.runner.run(script, { sudo: this.sudo });
    const r = await this.runner.run(inNamespaceScript(script, { pid: ns.mainPid, inode: ns.inode }), { sudo: this.sudo });
    const m = /^@@ipcx-ns (gone|changed|cannot|failed)(?: (.*))?$/m.exec(r.stdout);
    if (m) throw this.notEntered(m[1]!, printable(m[2] ?? '').slice(0, 300));
    return r;
  }

  private notEntered(what: string, detail: string): IpcError {
    const ns = this.namespace!;
    const base = { syscall: 'nsenter', op: 'CLONE_NEWIPC' };
    const gone = what === 'gone' || /No such file|No such process/.test(detail);
    if (gone) {
      return new IpcError({ ...base, code: 'ENOENT', message: `${this.host}: its processes exited (pid ${ns.mainPid}): the namespace is gone`, hint: 'Refresh the host: the next listing drops it.' });
    }
    if (what === 'changed') {
      return new IpcError({ ...base, code: 'ECHANGED', message: `${this.host}: pid ${ns.mainPid} is no longer in ${ns.ns}${detail ? ` (it is in ${detail})` : ''}: nothing was read or removed`, hint: 'Refresh the host: the namespace is listed again under its current processes.' });
    }
    if (what === 'cannot') {
      const [how, uid] = detail.split(' ');
      return new IpcError({ ...base, code: 'EPERM', message: `${this.host}: ${cannotEnterWhy(how ?? 'none', uid !== undefined && /^\d+$/.test(uid) ? Number(uid) : undefined)}` });
    }
    return new IpcError({ ...base, code: 'EPERM', message: `${this.host}: nsenter -t ${ns.mainPid} -i failed${detail ? `: ${detail}` : ''}`, hint: 'nsenter -t PID -i needs CAP_SYS_ADMIN on the host (root, or sudo).' });
  }

  status(): SshSourceStatus {
    return { ...this.status_ };
  }

  async snapshot(): Promise<IpcSnapshot> {
    const primed = this.primed;
    this.primed = undefined;
    if (primed && 'snapshot' in primed) return primed.snapshot;
    if (primed) throw fromErrorInfo(primed.error);
    const s = assembleSnapshot(await this.collect());
    if (this.namespace) s.namespaceLabel = this.namespace.label;
    return s;
  }

  /** One probe round trip: what the host reports, as facts. */
  async collect(): Promise<HostFacts> {
    this.status_ = { ...this.status_, state: 'connecting' };
    try {
      // with sudo the probe sees what the removal (also under sudo) will act as: uid 0, every /proc/PID
      const extraPids = [...this.sempids];
      const ns = this.namespace;
      const listing = this.listNamespaces;
      const r = this.noDocument(await this.run(probeScript(extraPids, {}, ns ? { devShmPid: ns.mainPid } : { namespaces: listing })));
      if (r.code !== 0 && !r.stdout.includes('@@end')) {
        const tail = r.stderr.trim().split('\n').slice(-2).join(' / ');
        throw new IpcError({
          code: 'ESSH', syscall: 'ssh', op: 'probe',
          message: `${this.host}: the probe exited with status ${r.code}${tail ? `: ${tail}` : ''}`,
          hint: 'The remote shell could not run the probe (is `sh` a POSIX shell on the host?).',
        });
      }
      const p = parseProbeFacts(r.stdout, { host: this.host, extraPids });
      if (!p.ok) throw fromErrorInfo(p.error);
      if (ns && p.value.facts.ipcNamespace !== ns.ns) {
        throw new IpcError({ code: 'ECHANGED', syscall: 'nsenter', op: 'CLONE_NEWIPC', message: `${this.host}: the probe ran in ${p.value.facts.ipcNamespace ?? 'an unknown namespace'}, not ${ns.ns}` });
      }
      this.ipcsClock = p.value.ipcsClock;
      if (listing) this.lastNamespaces = p.value.namespaces;
      this.status_ = { state: 'connected', platform: p.value.facts.platform, lastMs: r.ms };
      return p.value.facts;
    } catch (e) {
      const err = e instanceof IpcError ? e : new IpcError({ code: 'ESSH', syscall: 'ssh', op: 'probe', message: `${this.host}: ${String(e)}` });
      this.status_ = { ...this.status_, state: 'error', error: err.toInfo() };
      throw err;
    }
  }

  /**
   * The host's snapshot and, in the same round trip, every other IPC namespace of the host: the probe enters
   * each with `nsenter -t PID -i` (as root, or through `sudo -n`) and reads its /proc/sysvipc tables and
   * limits there; when it cannot, `namespaces.cannotEnter` says why and each namespace carries that error.
   * `listOnly`: the same listing (pids, inode, command, container, whether they can be entered) without
   * entering any namespace (a `--namespace NAME` resolved on the host: only the one picked is read, later).
   */
  async snapshotWithNamespaces(opts: { listOnly?: boolean } = {}): Promise<{ snapshot: IpcSnapshot; namespaces: RemoteNamespaces }> {
    if (this.namespace) throw new IpcError({ code: 'EINVAL', syscall: 'nsenter', op: 'probe', message: `${this.host}: the namespaces of a host are listed from the host's own namespace` });
    const r = this.noDocument(await this.runner.run(probeScript([...this.sempids], {}, { namespaces: opts.listOnly ? 'list' : true }), { sudo: this.sudo }));
    if (r.code !== 0 && !r.stdout.includes('@@end')) {
      const tail = r.stderr.trim().split('\n').slice(-2).join(' / ');
      throw new IpcError({ code: 'ESSH', syscall: 'ssh', op: 'probe', message: `${this.host}: the probe exited with status ${r.code}${tail ? `: ${tail}` : ''}` });
    }
    const p = parseProbe(r.stdout, { host: this.host });
    if (!p.ok) throw fromErrorInfo(p.error);
    if (p.value.namespaces && (p.value.namespaces.listedOnly === true) !== (opts.listOnly === true)) {
      // every entry is then either read or why not, or (listed only) neither: a host answering the other kind is not believed
      throw new IpcError({ code: 'EPARSE', syscall: 'ssh', op: 'probe', message: `${this.host}: the probe answered ${opts.listOnly ? 'with namespaces read' : 'a listing only'}, not what it was sent` });
    }
    const namespaces = p.value.namespaces ?? {
      unreadable: 0,
      list: [],
      ownPids: [],
      cannotEnter: `${p.value.snapshot.platform} has no IPC namespaces: only Linux hosts are probed for them`,
    };
    return { snapshot: p.value.snapshot, namespaces };
  }

  async semDetail(ids: number[]): Promise<Map<number, SemElem[] | IpcErrorInfo>> {
    const out = new Map<number, SemElem[] | IpcErrorInfo>();
    const valid = [...new Set(ids)].filter((id) => Number.isSafeInteger(id) && id >= 0 && id <= 0x7fffffff);
    for (const id of ids) {
      if (!valid.includes(id)) out.set(id, { code: 'EINVAL', message: `not a semaphore id: ${String(id)}` });
    }
    if (this.status_.platform && this.status_.platform !== 'linux') {
      for (const id of valid) {
        out.set(id, {
          code: 'ENOTSUP', syscall: 'ipcs', op: 'GETALL', id,
          message: `${this.host}: per-semaphore values are not available on ${this.status_.platform} over SSH (its ipcs has no -i)`,
          hint: 'Only the set headers (nsems, times, owner) can be shown for this host.',
        });
      }
      return out;
    }
    for (let i = 0; i < valid.length; i += this.batch) {
      const chunk = valid.slice(i, i + this.batch);
      const r = this.noDocument(await this.run(semDetailScript(chunk)));
      const p = parseSemDetail(r.stdout, chunk, this.host);
      if (!p.ok) throw fromErrorInfo(p.error);
      for (const [id, v] of p.value) {
        out.set(id, v);
        if (Array.isArray(v)) for (const e of v) if (e.pid > 0) this.rememberPid(e.pid);
      }
    }
    return out;
  }

  /**
   * Runs the lock self-test on the host (throwaway objects of its own, see lockScript.ts) and says how
   * removals will be done there: `locked` (Perl: IPC_STAT, IPC_SET mode 0, verify again, IPC_RMID) or
   * `unlocked` (check-then-ipcrm) with the reason. Removals use the answer of the last call.
   */
  async removalMode(): Promise<RemovalMode> {
    if (this.parent && !this.namespace) {
      const mode = await this.parent.removalMode();
      this.lock = this.parent.lock;
      return mode;
    }
    if (this.parent) {
      // struct layouts are the kernel's, the same in every IPC namespace: the self-test runs in the host's own
      // namespace (its throwaway objects are never made inside a container)
      const mode = await this.parent.removalMode();
      this.lock = this.parent.lock;
      if (mode.mode === 'locked') mode.detail += '; the lock self-test ran in the host\'s own IPC namespace (same kernel), each removal runs inside this one (nsenter -t PID -i)';
      else mode.detail += '; each removal runs inside this namespace (nsenter -t PID -i)';
      return mode;
    }
    let lock: LockProbeOutcome;
    try {
      const r = this.noDocument(await this.runner.run(lockProbeScript(), { sudo: this.sudo }));
      const p = parseLockProbe(r.stdout, this.host);
      lock = p.ok ? p.value : { mode: 'unlocked', reason: `the lock self-test gave no usable answer: ${p.error.message}` };
    } catch (e) {
      lock = { mode: 'unlocked', reason: `the lock self-test could not run: ${e instanceof Error ? e.message : String(e)}` };
    }
    this.lock = lock;
    const mode = describeLock(lock);
    const platform = this.status_.platform;
    if (platform && platform !== 'linux') mode.queuesStay = QUEUES_STAY(platform);
    return mode;
  }

  /** the removal scripts refuse a queue a process is blocked on (Linux: /proc/PID/syscall; elsewhere every queue). */
  readonly removeChecksWaits = true;

  async remove(kind: SysvKind, id: number, expected: RemovalExpectation): Promise<void> {
    assertId(id);
    assertKey(expected.key);
    assertTime(expected.ctime, 'ctime');
    const op = 'IPC_RMID';
    const syscall = kind === 'sem' ? 'semctl' : kind === 'shm' ? 'shmctl' : 'msgctl';
    const platform = this.status_.platform;
    if (!platform) {
      throw new IpcError({ code: 'ECHANGED', syscall, op, id, message: `${this.host}: no snapshot of this host yet; nothing was removed`, hint: 'Refresh the host, review the object, then retry.' });
    }
    const nattch = expected.nattch ?? ((expected.nattchZero ?? kind === 'shm') ? 0 : undefined);
    const names = kind === 'shm' ? SHM_ACTIVITY_FIELDS : kind === 'msg' ? MSG_ACTIVITY_FIELDS : [];
    const defined: ActivityFields = {};
    for (const f of names) {
      const v = f === 'nattch' ? nattch : expected[f];
      if (v !== undefined) defined[f] = v;
    }
    let script: string;
    if (platform === 'linux') {
      const lock = this.lock ?? (await this.removalMode(), this.lock!);
      if (lock.mode === 'locked') {
        script = removeScriptLocked({
          kind, id, key: expected.key, ctime: expected.ctime, layout: lock.layout, ...defined,
          otime: expected.otime ?? -1,
          noWaiters: expected.noWaiters ?? kind === 'sem',
          ...(expected.semPids ? { semPids: expected.semPids } : {}),
        });
      } else {
        script = removeScriptLinux({
          kind, id, key: expected.key, ctime: expected.ctime, ...defined,
          nattchZero: expected.nattchZero ?? kind === 'shm',
          noWaiters: expected.noWaiters ?? kind === 'sem',
          otime: expected.otime ?? -1,
          semPids: expected.semPids,
        });
      }
    } else {
      if (kind === 'msg') {
        throw new IpcError({ code: 'ECHANGED', syscall, op, id, message: `${this.host}: ${QUEUES_STAY(platform)}; msg ${id} stays`, hint: 'Remove it by hand once you know its users are gone: ipcrm -q ID.' });
      }
      const tod = this.ipcsClock ? timeOfDayOf(expected.ctime, this.ipcsClock) : undefined;
      if (tod === undefined) {
        throw new IpcError({ code: 'ECHANGED', syscall, op, id, message: `${this.host}: ${kind} ${id} has no known CTIME to re-verify on the host; nothing was removed`, hint: 'Refresh the host and retry.' });
      }
      script = removeScriptIpcs({ kind, id, key: expected.key, ctime: tod, nattchZero: expected.nattchZero ?? kind === 'shm', noWaiters: false, otime: -1, ...(kind === 'shm' ? { cpid: expected.cpid, lpid: expected.lpid } : {}) });
    }
    const r = this.noDocument(await this.run(script));
    const p = parseRemoveResult(r.stdout, this.host);
    if (!p.ok) throw fromErrorInfo(p.error);
    const res = p.value;
    if (res.result === 'ok') return;
    if (res.result === 'gone') {
      throw new IpcError({ code: 'EIDRM', syscall, op, id, message: `${this.host}: ${kind} ${id} no longer exists on the host; nothing was removed` });
    }
    if (res.result === 'changed') {
      throw new IpcError({ code: 'ECHANGED', syscall, op, id, message: `${this.host}: ${kind} ${id} changed since it was inspected (${res.detail}); nothing was removed` });
    }
    const code = /\bEACCES\b/.test(res.detail) ? 'EACCES'
      : /\bEPERM\b|permission denied|not permitted|not owner/i.test(res.detail) ? 'EPERM'
      : /\bEIDRM\b|already removed/i.test(res.detail) ? 'EIDRM'
      : /\bEINVAL\b|invalid id|Invalid argument/i.test(res.detail) ? 'EINVAL'
      : /sudo/i.test(res.detail) ? 'ESSH' : 'EUNKNOWN';
    const how = this.lock?.mode === 'locked' && platform === 'linux' ? 'the locked removal' : 'ipcrm';
    throw new IpcError({ code, syscall, op, id, message: `${this.host}: ${how} of ${kind} ${id} failed: ${res.detail}` });
  }

  /**
   * Puts back `mode` on an object an interrupted locked removal left locked, through the host's Perl (the
   * layout its lock self-test verified): only while it has the key, owner and group of the lock, a lock mode
   * (0 or 0400) and the ctime read now. Throws IpcError: ECHANGED (not that lock any more), EIDRM (gone),
   * ENOTSUP (no verified lock on the host), else the failure.
   */
  async restoreLocked(kind: SysvKind, id: number, l: { key: number; uid: number; gid: number; mode: number; ctime: number }): Promise<void> {
    const syscall = kind === 'sem' ? 'semctl' : kind === 'shm' ? 'shmctl' : 'msgctl';
    const lock = this.lock ?? (await this.removalMode(), this.lock!);
    if (lock.mode !== 'locked') {
      throw new IpcError({ code: 'ENOTSUP', syscall, op: 'IPC_SET', id, message: `${this.host}: no verified lock layout on this host (${lock.reason}); the mode cannot be restored from here`, hint: 'Restore it on the host as root with a program that calls IPC_SET, or remove the object.' });
    }
    const r = this.noDocument(await this.run(restoreScriptLocked({ kind, id, key: l.key, uid: l.uid, gid: l.gid, mode: l.mode, ctime: l.ctime, layout: lock.layout })));
    const p = parseRemoveResult(r.stdout, this.host);
    if (!p.ok) throw fromErrorInfo(p.error);
    const res = p.value;
    if (res.result === 'ok') return;
    if (res.result === 'gone') throw new IpcError({ code: 'EIDRM', syscall, op: 'IPC_STAT', id, message: `${this.host}: ${kind} ${id} no longer exists` });
    if (res.result === 'changed') throw new IpcError({ code: 'ECHANGED', syscall, op: 'IPC_SET', id, message: `${this.host}: ${kind} ${id}: ${res.detail}; not restored` });
    throw new IpcError({ code: /\bEACCES\b/.test(res.detail) ? 'EACCES' : /\bEPERM\b/.test(res.detail) ? 'EPERM' : 'EUNKNOWN', syscall, op: 'IPC_SET', id, message: `${this.host}: restoring ${kind} ${id} failed: ${res.detail}` });
  }

  private rememberPid(pid: number): void {
    if (this.sempids.has(pid)) return;
    if (this.sempids.size >= MAX_EXTRA_PIDS) this.sempids.delete(this.sempids.values().next().value as number);
    this.sempids.add(pid);
  }

  /** Facts for any pids on the host, in one round trip (the probe's pid section). */
  async processFacts(pids: number[]): Promise<Record<number, ProcessFact>> {
    for (const p of pids) if (Number.isSafeInteger(p) && p > 0 && p <= 0x7fffffff) this.rememberPid(p);
    const s = await this.snapshot();
    const out: Record<number, ProcessFact> = {};
    for (const p of pids) if (s.processes[p]) out[p] = s.processes[p];
    return out;
  }

  /** A run that printed no document but complained on stderr (sudo -n refused...) is that complaint. */
  private noDocument(r: RunResult): RunResult {
    if (!r.stdout.includes('@@') && r.stderr.trim()) throw classifySshFailure(r.stderr, this.host);
    return r;
  }

  dispose(): void {
    // a namespace's source shares its host's connection: the host's source closes it
    if (!this.parent) void this.runner.close();
    else if (this.closesHost) this.parent.dispose();
  }

  /** dispose() that can be awaited (tests, CLI). */
  close(): Promise<void> {
    return !this.parent ? this.runner.close() : this.closesHost ? this.parent.close() : Promise.resolve();
  }
}

const QUEUES_STAY = (platform: string): string =>
  `queues stay on ${platform}: nothing there shows a process blocked in msgrcv/msgsnd (no /proc/PID/syscall), so no queue is provably unused`;

function describeLock(l: LockProbeOutcome): RemovalMode {
  if (l.mode === 'locked') {
    return {
      mode: 'locked',
      detail: `lock -> verify -> remove with the host's perl: IPC_SET mode 0, every planned field read again, then IPC_RMID; ` +
        `${l.layout === 'x86_64' ? 'x86_64' : '64-bit asm-generic'} struct layout verified on throwaway objects; ` +
        (l.quiesce === 'membarrier' ? 'calls already past their permission check are waited out (membarrier)' : 'membarrier unavailable: a 50 ms wait instead of an RCU grace period'),
    };
  }
  return { mode: 'unlocked', detail: `check-then-ipcrm, no lock: ${l.reason}` };
}

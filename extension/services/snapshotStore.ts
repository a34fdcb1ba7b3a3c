/**
 * SnapshotStore: the one place the extension keeps IPC data. Per host (local first, then the remote hosts
 * the SSH code adds with `addSource`): its IpcSource, the latest and the previous snapshot, the verdicts
 * (domain/verdict.ts), which objects appeared since the previous refresh, the last error and whether a
 * refresh is running. Views, commands and webviews read from here and listen to `onDidChange`; only
 * `refresh()` and `semDetail()` talk to a source.
 *
 * No `vscode` import: the store is plain TypeScript so the benchmark and unit tests can drive it in node.
 *
 * Refresh is off the UI's hot path: nothing is read at construction, concurrent refreshes of one host are
 * coalesced (a refresh asked for while one runs makes exactly one more run afterwards), and per-semaphore
 * detail (GETPID/GETNCNT/GETZCNT, the expensive part) is read with the refresh for the first `detailSets`
 * sets (so the published verdicts use the same inputs as the recycle plan), and for any other set when
 * someone asks for it, batched per tick and cached per snapshot generation.
 */
import type { IpcSource } from '../backend/ipcSource';
import { diffSnapshots, type SnapshotDiff } from '../domain/diff';
import { toIpcErrorInfo } from '../domain/errors';
import { assessObject, assessSnapshot, objectRef, type VerdictOptions } from '../domain/verdict';
import type { IpcErrorInfo, IpcSnapshot, ObjectRef, ProcessFact, SemElem, SemSet, Verdict } from '../shared/model';
import { Emitter, type Disposable, type Event } from './emitter';

export const LOCAL_HOST = 'local';

/** What a listener learns: which host changed and why. */
export interface StoreChange {
  host: string;
  /**
   * hosts: a host was added or removed; loading: a refresh started; snapshot: a new snapshot (or an error)
   * arrived; detail: per-semaphore detail of `refs` arrived (their verdicts may have changed).
   */
  reason: 'hosts' | 'loading' | 'snapshot' | 'detail';
  refs?: ObjectRef[];
}

/** Read-only view of one host's state. */
export interface HostState {
  readonly host: string;
  readonly source: IpcSource;
  readonly snapshot?: IpcSnapshot;
  readonly previous?: IpcSnapshot;
  readonly verdicts: ReadonlyMap<ObjectRef, Verdict>;
  /** objects present now but not in the previous snapshot (empty after the first refresh). */
  readonly added: ReadonlySet<ObjectRef>;
  /** what changed since the previous snapshot (domain/diff.ts), absent after the first refresh. */
  readonly diff?: SnapshotDiff;
  /** the last refresh's failure; `snapshot` then still holds the last good one (stale). */
  readonly error?: IpcErrorInfo;
  readonly loading: boolean;
  /** increments with every snapshot that arrives. */
  readonly generation: number;
  /** ms the last refresh took (source + verdicts). */
  readonly refreshMs?: number;
}

export interface StoreOptions {
  /** settings + evidence for domain/verdict.ts, per host. */
  verdictOptions(host: string): VerdictOptions;
  /** the clock, in ms since the epoch (tests and the benchmark may pass their own). */
  now?(): number;
  /** where diagnostics go (the LogOutputChannel in the extension). */
  log?(level: 'trace' | 'info' | 'warn' | 'error', message: string): void;
  /**
   * Facts (comm, alive, start time) for pids that per-semaphore detail brings up and the snapshot does not
   * know yet (last-op pids), so the re-assessed verdict can use them. Local: /proc; remote: not offered.
   */
  processFacts?(host: string, pids: number[]): Record<number, ProcessFact> | undefined;
  /**
   * How many sets get their per-semaphore detail read as part of each refresh of `host`, before the snapshot
   * is published (0 or absent: none; sets are then read when someone asks, `semDetail`). Waiters and last-op
   * pids decide many verdicts (the recycle plan reads them for every set), so with detail read here the
   * verdicts a refresh publishes are the plan's and a set with waiters is live without being expanded.
   */
  detailSets?(host: string, snapshot: IpcSnapshot): number;
}

/** Sets read per call when a refresh reads per-semaphore detail; the event loop runs between calls. */
export const REFRESH_DETAIL_CHUNK = 256;

type DetailResult = SemElem[] | IpcErrorInfo;

class HostEntry implements HostState {
  snapshot?: IpcSnapshot;
  previous?: IpcSnapshot;
  verdicts: Map<ObjectRef, Verdict> = new Map();
  error?: IpcErrorInfo;
  loading = false;
  generation = 0;
  refreshMs?: number;
  /** the running refresh, and whether another was asked for meanwhile */
  running?: Promise<void>;
  rerun?: Promise<void>;
  /** per-semaphore detail for the current generation */
  detail = new Map<number, DetailResult>();
  detailWaiting = new Map<number, { resolve: (r: DetailResult) => void }[]>();
  detailTimer?: ReturnType<typeof setTimeout>;
  /** the diff of this generation, computed on first use (off the refresh path: 30-40 ms at 32,000 sets) */
  private diffCache?: { generation: number; diff: SnapshotDiff | undefined; added: Set<ObjectRef> };
  constructor(
    readonly host: string,
    readonly source: IpcSource,
  ) {}

  private computed(): { diff: SnapshotDiff | undefined; added: Set<ObjectRef> } {
    if (this.diffCache?.generation !== this.generation) {
      // new = appeared since the previous snapshot, by domain/diff.ts's identity (ref + key/ctime, or inode)
      const diff = this.previous && this.snapshot ? diffSnapshots(this.previous, this.snapshot) : undefined;
      this.diffCache = { generation: this.generation, diff, added: new Set(diff ? diff.appeared.map(objectRef) : []) };
    }
    return this.diffCache;
  }

  get added(): ReadonlySet<ObjectRef> {
    return this.computed().added;
  }

  get diff(): SnapshotDiff | undefined {
    return this.computed().diff;
  }
}

export class SnapshotStore implements Disposable {
  private readonly entries = new Map<string, HostEntry>();
  private readonly changed = new Emitter<StoreChange>();
  private disposed = false;
  readonly onDidChange: Event<StoreChange> = this.changed.event;

  constructor(private readonly opts: StoreOptions) {}

  private log(level: 'trace' | 'info' | 'warn' | 'error', msg: string): void {
    this.opts.log?.(level, msg);
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private fire(change: StoreChange): void {
    this.changed.fire(change, (err) => this.log('error', `store listener failed: ${String(err)}`));
  }

  /**
   * Adds a host. The local host is always listed first, others in the order added. Refuses a second source
   * for a host already present. Disposing the returned handle removes the host again.
   */
  addSource(source: IpcSource): Disposable {
    if (this.entries.has(source.host)) throw new Error(`host ${source.host} is already in the store`);
    const entry = new HostEntry(source.host, source);
    if (source.host === LOCAL_HOST) {
      const rest = [...this.entries];
      this.entries.clear();
      this.entries.set(source.host, entry);
      for (const [k, v] of rest) this.entries.set(k, v);
    } else {
      this.entries.set(source.host, entry);
    }
    this.fire({ host: source.host, reason: 'hosts' });
    return { dispose: () => this.removeHost(source.host) };
  }

  removeHost(host: string): void {
    const e = this.entries.get(host);
    if (!e) return;
    this.entries.delete(host);
    if (e.detailTimer) clearTimeout(e.detailTimer);
    try {
      e.source.dispose?.();
    } catch (err) {
      this.log('warn', `disposing source ${host}: ${String(err)}`);
    }
    this.fire({ host, reason: 'hosts' });
  }

  hosts(): HostState[] {
    return [...this.entries.values()];
  }

  get(host: string): HostState | undefined {
    return this.entries.get(host);
  }

  /** The verdict of one object, if its host has a snapshot. */
  verdict(host: string, ref: ObjectRef): Verdict | undefined {
    return this.entries.get(host)?.verdicts.get(ref);
  }

  /**
   * Takes a new snapshot of one host, or of every host (in parallel). Never rejects: a failure is kept as
   * the host's `error` (and logged) and the previous snapshot stays visible.
   */
  refresh(host?: string): Promise<void> {
    if (host === undefined) return Promise.all(this.hosts().map((h) => this.refresh(h.host))).then(() => undefined);
    const e = this.entries.get(host);
    if (!e || this.disposed) return Promise.resolve();
    if (e.running) {
      // coalesce: everything asked for while a refresh runs is served by one more run after it
      e.rerun ??= e.running.then(() => {
        e.rerun = undefined;
        return this.refresh(host);
      });
      return e.rerun;
    }
    e.running = this.runRefresh(e).finally(() => {
      e.running = undefined;
    });
    return e.running;
  }

  private async runRefresh(e: HostEntry): Promise<void> {
    e.loading = true;
    this.fire({ host: e.host, reason: 'loading' });
    const t0 = performance.now();
    try {
      const snap = await e.source.snapshot();
      if (!this.entries.has(e.host)) return; // removed meanwhile
      const detail = await this.refreshDetail(e, snap);
      if (!this.entries.has(e.host)) return;
      const verdicts = assessSnapshot(snap, this.opts.verdictOptions(e.host), this.now() / 1000);
      e.previous = e.snapshot;
      e.snapshot = snap;
      e.verdicts = verdicts;
      e.error = undefined;
      e.generation++;
      e.detail = detail;
      e.refreshMs = performance.now() - t0;
      this.log(
        'trace',
        `${e.host}: snapshot ${snap.source}: ${snap.sems.length} sem, ${snap.shms.length} shm, ${snap.msgs.length} msg, ` +
          `${snap.posixSems.length} posix sem, ${snap.posixShms.length} posix shm, ${snap.errors.length} item error(s), ` +
          `${e.refreshMs.toFixed(1)} ms`,
      );
      for (const w of snap.warnings) this.log('warn', `${e.host}: ${w}`);
      for (const ie of snap.errors) this.log('warn', `${e.host}: ${ie.kind}${ie.id !== undefined ? ` id=${ie.id}` : ''}: ${ie.error.message}`);
    } catch (err) {
      e.error = toIpcErrorInfo(err, { syscall: e.host === LOCAL_HOST ? undefined : 'ssh' });
      e.refreshMs = performance.now() - t0;
      this.log('error', `${e.host}: refresh failed: ${e.error.message}${e.error.hint ? ` (hint: ${e.error.hint})` : ''}`);
    } finally {
      e.loading = false;
    }
    this.fire({ host: e.host, reason: 'snapshot' });
  }

  /**
   * Per-semaphore detail for the first `detailSets(host)` sets of a new snapshot, merged into the snapshot
   * (`elems`, `values` or `valuesError`) before it is published, plus facts for the last-op pids it names. Read
   * in chunks with the event loop running between them. A failure only leaves those sets without detail.
   */
  private async refreshDetail(e: HostEntry, snap: IpcSnapshot): Promise<Map<number, DetailResult>> {
    const out = new Map<number, DetailResult>();
    const budget = this.opts.detailSets?.(e.host, snap) ?? 0;
    const ids = snap.sems.filter((s) => !s.elems && !s.valuesError).slice(0, Math.max(0, budget)).map((s) => s.id);
    if (!ids.length) return out;
    const byId = new Map(snap.sems.map((s) => [s.id, s]));
    for (let i = 0; i < ids.length; i += REFRESH_DETAIL_CHUNK) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const chunk = ids.slice(i, i + REFRESH_DETAIL_CHUNK);
      let results: Map<number, DetailResult>;
      try {
        results = await e.source.semDetail(chunk);
      } catch (err) {
        const info = toIpcErrorInfo(err, { syscall: 'semctl', op: 'GETPID' });
        this.log('warn', `${e.host}: per-semaphore detail with the refresh failed: ${info.message}`);
        break;
      }
      for (const [id, r] of results) {
        const set = byId.get(id);
        if (!set) continue;
        out.set(id, r);
        if (Array.isArray(r)) {
          set.elems = r;
          set.values = r.map((el) => el.semval);
        } else {
          set.valuesError = r;
        }
      }
    }
    this.addFacts(e.host, snap, [...out.values()]);
    return out;
  }

  /** Process facts for the last-op pids in `results` the snapshot does not know yet (local host only). */
  private addFacts(host: string, snap: IpcSnapshot, results: DetailResult[]): void {
    if (!this.opts.processFacts) return;
    const unknown = new Set<number>();
    for (const r of results) if (Array.isArray(r)) for (const el of r) if (el.pid > 0 && !snap.processes[el.pid]) unknown.add(el.pid);
    if (!unknown.size) return;
    try {
      Object.assign(snap.processes, this.opts.processFacts(host, [...unknown]) ?? {});
    } catch (err) {
      this.log('warn', `${host}: process facts for last-op pids: ${String(err)}`);
    }
  }

  /** Cached per-semaphore detail of a set, if already loaded for the current snapshot. */
  cachedSemDetail(host: string, id: number): DetailResult | undefined {
    return this.entries.get(host)?.detail.get(id);
  }

  /**
   * GETPID/GETNCNT/GETZCNT/GETVAL of every semaphore of one set (only sets a person looks at). Requests made
   * in the same tick go to the source as one call. The result is merged into the snapshot's set (`elems`)
   * and that set's verdict is re-assessed (waiters and last-op pids may decide it). Never rejects.
   */
  semDetail(host: string, id: number): Promise<DetailResult> {
    const e = this.entries.get(host);
    if (!e) return Promise.resolve({ code: 'ENOENT', message: `no host ${host}` });
    const cached = e.detail.get(id);
    if (cached) return Promise.resolve(cached);
    return new Promise((resolve) => {
      const waiting = e.detailWaiting.get(id);
      if (waiting) waiting.push({ resolve });
      else e.detailWaiting.set(id, [{ resolve }]);
      e.detailTimer ??= setTimeout(() => void this.flushDetail(e), 0);
    });
  }

  private async flushDetail(e: HostEntry): Promise<void> {
    e.detailTimer = undefined;
    const batch = new Map(e.detailWaiting);
    e.detailWaiting.clear();
    const ids = [...batch.keys()];
    const generation = e.generation;
    let results: Map<number, DetailResult>;
    try {
      results = await e.source.semDetail(ids);
    } catch (err) {
      const info = toIpcErrorInfo(err, { syscall: 'semctl', op: 'GETPID' });
      results = new Map(ids.map((id) => [id, info]));
      this.log('error', `${e.host}: per-semaphore detail failed: ${info.message}`);
    }
    const refs: ObjectRef[] = [];
    const snap = e.snapshot;
    if (snap && generation === e.generation) this.addFacts(e.host, snap, [...results.values()]);
    for (const [id, waiters] of batch) {
      const r: DetailResult = results.get(id) ?? { code: 'EIDRM', syscall: 'semctl', message: `semaphore set ${id} is gone` };
      if (generation === e.generation) {
        e.detail.set(id, r);
        const set = snap?.sems.find((s: SemSet) => s.id === id);
        if (set && snap) {
          if (Array.isArray(r)) {
            set.elems = r;
            set.values = r.map((el) => el.semval);
          } else {
            set.valuesError = r;
          }
          const ref = objectRef(set);
          e.verdicts.set(ref, assessObject(set, snap, this.opts.verdictOptions(e.host), this.now() / 1000));
          refs.push(ref);
        }
        if (!Array.isArray(r)) this.log('warn', `${e.host}: sem ${id}: ${r.message}`);
      }
      for (const w of waiters) w.resolve(r);
    }
    if (refs.length) this.fire({ host: e.host, reason: 'detail', refs });
  }

  dispose(): void {
    this.disposed = true;
    for (const h of [...this.entries.keys()]) this.removeHost(h);
    this.changed.dispose();
  }
}

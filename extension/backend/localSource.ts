/**
 * The local machine as an IpcSource: the native binding (SysV headers, every semaphore value with one
 * GETALL per set, limits, usage, guarded removal) when it loads, else the /proc fallback (ProcSource) with
 * a warning naming the paths the loader tried. Both collect the same facts around their listing (POSIX
 * objects from /dev/shm, mappings, process files: localFacts.ts) and assemble them in the domain.
 */
import { assembleColumnar, assembleSnapshot } from '../domain/assembleSnapshot';
import { IpcError, toIpcErrorInfo } from '../domain/errors';
import type { HostFacts } from '../domain/hostFacts';
import { localReaderFor, noLocalIpcNotice } from '../domain/platforms';
import { FILES_BEYOND_IPC_INFO } from '../domain/procParser';
import { withoutSems, type RawColumns, type RawSemColumns, type RawSysv } from '../domain/sysvColumns';
import type { QueuePerm, TaskWaits } from '../domain/taskWaits';
import type { IpcErrorInfo, IpcSnapshot, RemovalExpectation, RemovalMode, SemElem, SemSet, SysvKind, SysvObject } from '../shared/model';
import { SshSource } from '../remote/sshSource';
import { watchQueueCalls, type CallWatch } from './callWatch';
import { nativeSemReader } from './devShm';
import { LocalProbeRunner, type LocalProbeRunnerOptions } from './localProbeRunner';
import type { IpcSource, RemoveOptions } from './ipcSource';
import { jsonAround, stringifyWithSemsJson } from './jsonSplice';
import { collectListingFreeFacts, collectLocalFacts, type ListingFreeFacts, type LocalFactsOptions } from './localFacts';
import type { NativeBinding } from './nativeBinding';
import { nativeBinding, type LoadResult } from './nativeLoader';
import { DEFAULT_PATHS, readLimitFiles } from './procfs';
import { DENIED_HINT, ProcSource } from './procSource';
import { scanTaskWaits, type ScanOptions } from './taskWaits';

export interface LocalSourceOptions extends LocalFactsOptions {
  /** how to load the binding (tests pass a failing loader); default: the process-wide nativeBinding() */
  load?: () => LoadResult;
  /** read semaphore values (one GETALL per set); default true */
  values?: boolean;
  /** how blocked tasks are scanned (tests in a private pid namespace pass trustPidNamespace) */
  taskScan?: ScanOptions;
  /** the platform to read (default process.platform); tests pass 'win32', 'darwin', 'freebsd' */
  platform?: NodeJS.Platform;
  /** macOS/FreeBSD: how the local probe runs (tests put stand-in ipcs, sysctl, uname first on PATH) */
  probe?: LocalProbeRunnerOptions;
  /** where to look for tracefs (default /sys/kernel/tracing, /sys/kernel/debug/tracing) */
  tracefsDirs?: string[];
  /**
   * the resident and swapped pages of all segments (usage.shmRssPages/shmSwapPages: SHM_INFO, which walks
   * every segment, 2.3 ms at 4,096 segments); default true. Without them the segments and their pages are
   * counted from the listing, as the kernel counts them (SHM_INFO is read anyway when a segment could not be
   * listed). The extension's views show neither; the metrics do.
   */
  shmResidency?: boolean;
}

/**
 * What the extension's local source is built with (services.ts, and the benches that measure its refresh): no
 * view shows the segments' resident and swapped pages, and reading them walks every segment at every refresh.
 */
export const EXTENSION_SOURCE_OPTIONS = { shmResidency: false } as const satisfies LocalSourceOptions;

/** One line saying why the binding is not used, naming every path tried. */
export function describeLoadFailure(r: LoadResult): string {
  const msg = r.error?.message ?? 'unknown error';
  const last = /Last error: (.*)$/s.exec(msg)?.[1];
  if (!r.tried.length) return last ?? msg;
  return `tried ${r.tried.join(', ')}; last error: ${last ?? msg}`;
}

/**
 * Why this process cannot make the binding's System V reads, or undefined when it can: IPC_INFO of any kind
 * (the kernel lets every process read it) refused means a seccomp filter or a security module stands between
 * this process and System V IPC (a container profile, systemd SystemCallFilter=, a sandboxed editor). A
 * filter is never lifted for the life of a process, so this is asked once; /proc/sysvipc (a file read, which
 * such filters allow) then lists the headers.
 */
function deniedSysvReads(binding: NativeBinding): IpcErrorInfo | undefined {
  try {
    binding.probeSysv();
    return undefined;
  } catch (e) {
    return toIpcErrorInfo(e, { syscall: 'semctl', op: 'IPC_INFO' });
  }
}

/** What a native snapshot reads besides the listing, and may read while the listing's kernel reads run. */
interface AroundListing {
  limits: HostFacts['limits'];
  free: ListingFreeFacts;
}

export class LocalSource implements IpcSource {
  readonly host = 'local';
  private readonly native: NativeBinding | undefined;
  private readonly fallback: ProcSource | undefined;
  /** why the binding is not used (undefined when it is) */
  readonly nativeError: IpcErrorInfo | undefined;
  /** set when this platform has no System V IPC (Windows): the one sentence the tree shows instead of a host */
  readonly unavailable: { text: string; detail: string } | undefined;
  readonly platform: NodeJS.Platform;
  /** macOS/FreeBSD: the SSH path's BSD probe and check-then-ipcrm removal, run as local processes */
  private readonly ipcs: SshSource | undefined;
  /** macOS/FreeBSD: removal is check-then-ipcrm, unlocked, and the plan says so (the lock self-test says why) */
  readonly removalMode?: () => Promise<RemovalMode>;
  /** macOS/FreeBSD: the removal script refuses every queue (no way to see a blocked msgrcv/msgsnd there) */
  readonly removeChecksWaits?: boolean;
  /** macOS/FreeBSD: process facts come from the probe (ps, kill -0), never from a /proc that is not there */
  readonly probeProcesses?: boolean;
  /** the last snapshot's semaphore sets: the next one reuses those the kernel still lists unchanged */
  private lastSems: readonly SemSet[] | undefined;
  /** the set columns `lastSems` were decoded from: the next refresh compares its listing with them */
  private lastColumns: RawSemColumns | undefined;
  /**
   * the set columns of the listing before, compared and no longer read: the next listing is written into
   * their buffers (taken while a listing runs, so two snapshots at once never share them)
   */
  private spareColumns: RawSemColumns | undefined;
  /** the segment and queue columns of the last listing, decoded and no longer read: the next one is copied into them */
  private spareOthers: { shm: RawColumns; msg: RawColumns } | undefined;

  constructor(private readonly opts: LocalSourceOptions = {}) {
    this.platform = opts.platform ?? process.platform;
    if (localReaderFor(this.platform) === 'none') {
      this.unavailable = noLocalIpcNotice(this.platform);
      return;
    }
    if (localReaderFor(this.platform) === 'ipcs') {
      const ipcs = new SshSource({ spec: 'local', destination: 'local', host: 'local' }, { runner: new LocalProbeRunner(opts.probe), host: 'local' });
      this.ipcs = ipcs;
      this.removalMode = () => ipcs.removalMode();
      this.removeChecksWaits = true;
      this.probeProcesses = true;
      return;
    }
    const r = (opts.load ?? nativeBinding)();
    const denied = r.binding && deniedSysvReads(r.binding);
    if (r.binding && !denied) {
      this.native = r.binding;
      return;
    }
    // where the calls are refused, the advice is the fallback's (the refused read's own hint explains EPERM)
    this.nativeError = denied ? { ...denied, hint: DENIED_HINT } : r.error;
    const fallback = new ProcSource(denied ? { ...opts, nativeDenied: denied.message } : { ...opts, nativeError: describeLoadFailure(r) });
    this.fallback = fallback;
    this.removalMode = () => fallback.removalMode();
  }

  /** 'native', 'proc', or 'none' (no System V IPC on this platform): which reader this source uses. */
  get mode(): 'native' | 'proc' | 'ipcs' | 'none' {
    return this.unavailable ? 'none' : this.ipcs ? 'ipcs' : this.native ? 'native' : 'proc';
  }

  /** every read on a platform without System V IPC: a clear error (callers check `unavailable` first) */
  private refuse(op: string): IpcError {
    return new IpcError({ code: 'ENOSYS', syscall: 'ipc', op, message: this.unavailable!.text, hint: this.unavailable!.detail });
  }

  async snapshot(): Promise<IpcSnapshot> {
    if (this.unavailable) throw this.refuse('snapshot');
    if (this.ipcs) return assembleSnapshot({ ...(await this.ipcs.collect()), source: 'ipcs' });
    if (!this.native) return this.fallback!.snapshot();
    const takenAt = Date.now();
    const values = this.opts.values !== false;
    const reuse = this.spareColumns;
    const reuseOthers = this.spareOthers;
    this.spareColumns = this.spareOthers = undefined;
    const { raw, around } = await this.listing(values, reuse, reuseOthers);
    // a segment the listing could not read is in no count made from it: the kernel's counters instead
    if (around.limits.kind === 'native' && around.limits.raw.shmPages === undefined && raw.errors.some((e) => e.kind === 'shm')) {
      around.limits = { ...around.limits, raw: this.native.limits() };
    }
    const previousSems = this.lastSems;
    const previous = this.lastColumns;
    const sameAsPrevious = previousSems && previous ? this.native.sameSets(previous, raw.sem, values) : undefined;
    const sysv: HostFacts['sysv'] = { kind: 'columns', raw, values, ...(previousSems && { previousSems }), ...(sameAsPrevious && { sameAsPrevious }) };
    const snap = assembleSnapshot(this.facts(takenAt, sysv, around));
    // from here on nothing reads the previous columns (a snapshot keeps no view of columns: its sets are
    // objects of their own); these columns are what the next refresh compares with
    this.spareColumns = previous;
    this.spareOthers = { shm: raw.shm, msg: raw.msg };
    this.lastColumns = raw.sem;
    this.lastSems = snap.sems;
    return snap;
  }

  /**
   * The binding's listing, its kernel reads on a libuv worker thread (the extension host's event loop keeps
   * running), and meanwhile on this thread what does not depend on it: limits, /dev/shm, the reader's view.
   */
  private async listing(values: boolean, reuse?: RawSemColumns, reuseOthers?: { shm: RawColumns; msg: RawColumns }): Promise<{ raw: RawSysv; around: AroundListing }> {
    const pending = this.native!.sysvAsync({ values, ...(reuse && { reuse }), ...(reuseOthers && { reuseOthers }) });
    let around: AroundListing;
    try {
      around = this.aroundListing();
    } catch (e) {
      // the listing's own failure, if it failed too, is the one to report (as when it was read first)
      await pending;
      throw e;
    }
    return { raw: await pending, around };
  }

  /**
   * The snapshot as JSON text, for `ipcx snapshot --json`: with the binding, the semaphore sets (tens of
   * thousands, each with its values) are rendered natively and spliced in; otherwise JSON.stringify. Same
   * content as JSON.stringify(await snapshot()). `partial`: some object or some set's values were unreadable.
   */
  async snapshotJson(pretty = false): Promise<{ json: Uint8Array; partial: boolean }> {
    if (this.unavailable) throw this.refuse('snapshot');
    if (!this.native) {
      const snap = this.ipcs ? await this.snapshot() : await this.fallback!.snapshot();
      const text = pretty ? JSON.stringify(snap, null, 2) : JSON.stringify(snap);
      return { json: Buffer.from(text), partial: snap.errors.length > 0 };
    }
    const takenAt = Date.now();
    const values = this.opts.values !== false;
    const raw = this.native.sysv({ values });
    const semsJson = this.native.semsJson(raw, values);
    const snap = assembleSnapshot(this.facts(takenAt, { kind: 'columns', raw: withoutSems(raw), values }));
    return {
      json: stringifyWithSemsJson(snap, semsJson, pretty),
      partial: snap.errors.length > 0 || raw.sem.valueErrors.length > 0,
    };
  }

  /**
   * The compact JSON of the snapshot plus a newline written to `fd` (`ipcx snapshot --json` on a file or
   * pipe): with the binding, the System V objects go from the native columns straight to the fd in
   * fixed-size chunks, never decoded into objects, and the multi-megabyte text is never built (in C++ or
   * JS). Same bytes as snapshotJson(false).json + '\n'. Throws IpcError (syscall 'write') when the fd fails,
   * e.g. EPIPE.
   */
  async writeSnapshotJson(fd: number): Promise<{ partial: boolean; bytes: number }> {
    if (!this.native) throw new Error('writeSnapshotJson: the native binding is not loaded (use snapshotJson)');
    const takenAt = Date.now();
    const values = this.opts.values !== false;
    const { raw, around } = await this.listing(values);
    const { snap, shmAttachers } = assembleColumnar(this.facts(takenAt, { kind: 'columns', raw, values }, around));
    const texts = jsonAround(snap, ['sems', 'shms', 'msgs']);
    texts[3] += '\n';
    const bytes = this.native.writeSysvJson(fd, raw, values, texts, shmAttachers);
    return { partial: snap.errors.length > 0 || raw.sem.valueErrors.length > 0, bytes };
  }

  private factsOptions(): LocalFactsOptions {
    return { ...this.opts, readSem: this.opts.readSem ?? nativeSemReader(this.native!) };
  }

  /** The binding's limits and the local facts that do not depend on the listing. */
  private aroundListing(): AroundListing {
    const raw = this.native!.limits({ shmInfo: this.opts.shmResidency !== false });
    // the binding's IPC_INFO gives every other limit
    const limits: HostFacts['limits'] = { kind: 'native', raw, files: readLimitFiles(this.opts.paths ?? DEFAULT_PATHS, FILES_BEYOND_IPC_INFO) };
    return { limits, free: collectListingFreeFacts(this.factsOptions()) };
  }

  /** The binding's listing and limits, with what every local source collects around them. */
  private facts(takenAt: number, sysv: HostFacts['sysv'], around: AroundListing = this.aroundListing()): HostFacts {
    return collectLocalFacts(
      { source: 'native', takenAt, sysv, sysvErrors: [], limits: around.limits, warnings: [] },
      this.factsOptions(),
      around.free,
    );
  }

  async semDetail(ids: number[]): Promise<Map<number, SemElem[] | IpcErrorInfo>> {
    if (this.unavailable) throw this.refuse('GETALL');
    if (this.ipcs) return this.ipcs.semDetail(ids);
    if (!this.native) return this.fallback!.semDetail(ids);
    const out = new Map<number, SemElem[] | IpcErrorInfo>();
    for (const id of ids) {
      try {
        out.set(id, this.native.semDetail(id));
      } catch (e) {
        out.set(id, toIpcErrorInfo(e, { syscall: 'semctl', op: 'GETALL', id }));
      }
    }
    return out;
  }

  async remove(kind: SysvKind, id: number, expected: RemovalExpectation, opts: RemoveOptions = {}): Promise<void> {
    if (this.unavailable) throw this.refuse('IPC_RMID');
    if (this.ipcs) return this.ipcs.remove(kind, id, expected);
    if (!this.native) return this.fallback!.remove(kind, id, expected);
    // The guarded primitive blocks for one RCU grace period (~13 ms, see native/src/sysv_util.h): yield to
    // the event loop first, so a recycle of many objects never freezes the extension host in one stretch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      this.native.remove(kind, id, expected, opts.check);
    } catch (e) {
      throw e instanceof IpcError ? e : new IpcError({ ...toIpcErrorInfo(e, { op: 'IPC_RMID', id }) });
    }
  }

  async stat(kind: SysvKind, id: number): Promise<SysvObject> {
    if (this.unavailable) throw this.refuse('IPC_STAT');
    if (!this.native) {
      // the /proc fallback and ipcs have no per-object read: the whole listing, then the one object
      const s = await this.snapshot();
      const o = (kind === 'sem' ? s.sems : kind === 'shm' ? s.shms : s.msgs).find((x) => x.id === id);
      const where = this.ipcs ? 'ipcs -a' : `/proc/sysvipc/${kind}`;
      if (!o) throw new IpcError({ code: 'EINVAL', syscall: this.ipcs ? 'ipcs' : 'open', op: 'IPC_STAT', id, message: `${kind} ${id} is not in ${where} (gone)` });
      return o;
    }
    try {
      return this.native.statObject(kind, id);
    } catch (e) {
      throw e instanceof IpcError ? e : new IpcError({ ...toIpcErrorInfo(e, { op: 'IPC_STAT', id }) });
    }
  }

  taskWaits(opts: { fence?: QueuePerm } = {}): TaskWaits {
    if (this.platform !== 'linux') return { ok: false, why: `${this.platform} shows no process blocked in msgrcv/msgsnd (no /proc/PID/syscall)` };
    return scanTaskWaits(opts.fence ? { ...this.opts.taskScan, fence: opts.fence } : this.opts.taskScan);
  }

  watchQueueCalls(id: number): CallWatch {
    if (this.platform !== 'linux') return { ok: false, why: `${this.platform} has no tracefs msgrcv/msgsnd tracepoints` };
    if (!this.native) return { ok: false, why: `the native binding is not loaded (${this.nativeError?.message ?? 'unknown'})` };
    return watchQueueCalls(this.native, id, this.opts.tracefsDirs);
  }

  dispose(): void {
    this.ipcs?.dispose();
    // what the next refresh would have reused (megabytes at tens of thousands of sets)
    this.lastSems = this.lastColumns = this.spareColumns = this.spareOthers = undefined;
  }

  /** dispose() that can be awaited (tests, CLI). */
  async close(): Promise<void> {
    await this.ipcs?.close();
  }
}

/**
 * The fallback local IpcSource: pure-TS parse of /proc/sysvipc/* and the /proc/sys limit files, used when
 * the native binding is missing or fails to load. It sees every object header (like `ipcs`), but not
 * per-semaphore values (GETALL needs a syscall), and it cannot remove anything.
 */
import { IpcError } from '../domain/errors';
import { deriveUsage, parseLimitFiles, parseProcMsg, parseProcSem, parseProcShm } from '../domain/procParser';
import type { IpcErrorInfo, IpcSnapshot, RemovalExpectation, SemElem, SysvKind } from '../shared/model';
import type { IpcSource } from './ipcSource';
import { DEFAULT_PATHS, enrichLocal, pageSize, platformOf, readLimitFiles, readSysvipc, type EnrichOptions, type ProcPaths } from './procfs';

export interface ProcSourceOptions extends EnrichOptions {
  /** why the native binding is not used (its loader's message, naming the paths it tried) */
  nativeError?: string;
}

export const PROC_FALLBACK_SUFFIX =
  'reading /proc/sysvipc; per-semaphore values and guarded removal unavailable';

function nativeMissing(op: string, id?: number): IpcError {
  return new IpcError({
    code: 'ENATIVE',
    syscall: 'native',
    op,
    ...(id !== undefined ? { id } : {}),
    message: `${op}${id !== undefined ? ` id=${id}` : ''}: the native binding is not loaded, so this needs a syscall the /proc fallback cannot make (ENATIVE)`,
  });
}

/** Reads the SysV part of a snapshot from /proc (no enrichment). Exposed for the native source's tests. */
export function readProcSysv(paths: ProcPaths = DEFAULT_PATHS): Pick<IpcSnapshot, 'sems' | 'shms' | 'msgs' | 'errors' | 'limits' | 'usage' | 'warnings'> {
  const texts = readSysvipc(paths);
  const ps = pageSize(paths);
  const lim = parseLimitFiles(readLimitFiles(paths), ps);
  const sem = parseProcSem(texts.sem ?? '', undefined, { semmsl: lim.limits.semmsl });
  const shm = parseProcShm(texts.shm ?? '');
  const msg = parseProcMsg(texts.msg ?? '');
  const warnings: string[] = lim.errors.map((e) => `limits: ${e.message}`);
  // /proc/sysvipc/msg has no msg_qbytes column: every queue starts at MSGMNB; IPC_SET changes are not seen.
  for (const q of msg.items) q.qbytes = lim.limits.msgmnb;
  if (msg.items.length) warnings.push('message queues: qbytes shown as MSGMNB (/proc/sysvipc/msg does not list msg_qbytes)');
  return {
    sems: sem.items,
    shms: shm.items,
    msgs: msg.items,
    errors: [...texts.errors, ...sem.errors, ...shm.errors, ...msg.errors],
    limits: lim.limits,
    usage: deriveUsage(sem.items, shm.items, msg.items, ps),
    warnings,
  };
}

export class ProcSource implements IpcSource {
  readonly host = 'local';

  constructor(private readonly opts: ProcSourceOptions = {}) {}

  async snapshot(): Promise<IpcSnapshot> {
    const takenAt = Date.now();
    const sysv = readProcSysv(this.opts.paths);
    const warning = this.opts.nativeError
      ? `native binding not loaded (${this.opts.nativeError}): ${PROC_FALLBACK_SUFFIX}`
      : `native binding not used: ${PROC_FALLBACK_SUFFIX}`;
    const snap: IpcSnapshot = {
      version: 1,
      host: 'local',
      platform: platformOf(),
      source: 'proc',
      takenAt,
      ...sysv,
      warnings: [warning, ...sysv.warnings],
      posixSems: [],
      posixShms: [],
      processes: {},
    };
    return enrichLocal(snap, this.opts);
  }

  async semDetail(ids: number[]): Promise<Map<number, SemElem[] | IpcErrorInfo>> {
    const out = new Map<number, SemElem[] | IpcErrorInfo>();
    for (const id of ids) out.set(id, nativeMissing('GETALL', id).toInfo());
    return out;
  }

  async remove(kind: SysvKind, id: number, _expected: RemovalExpectation): Promise<void> {
    void _expected;
    throw nativeMissing(`remove ${kind}`, id);
  }
}

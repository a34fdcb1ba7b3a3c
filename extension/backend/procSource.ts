/**
 * The fallback local IpcSource: /proc/sysvipc/* and the /proc/sys limit files, parsed in TS, used when the
 * native binding is missing or fails to load. It sees every object header (like `ipcs`), but not
 * per-semaphore values (GETALL needs a syscall), and it cannot remove anything.
 */
import { assembleSnapshot } from '../domain/assembleSnapshot';
import { IpcError } from '../domain/errors';
import { sysvRowsFromProc } from '../domain/procParser';
import type { IpcErrorInfo, IpcSnapshot, RemovalExpectation, RemovalMode, SemElem, SysvKind } from '../shared/model';
import type { IpcSource } from './ipcSource';
import { collectLocalFacts, type LocalFactsOptions } from './localFacts';
import { DEFAULT_PATHS, pageSize, readLimitFiles, readSysvipc } from './procfs';

export interface ProcSourceOptions extends LocalFactsOptions {
  /** why the native binding is not used (its loader's message, naming the paths it tried) */
  nativeError?: string;
  /** the binding loaded but this process may not make its System V calls: the refused call's message */
  nativeDenied?: string;
}

export const PROC_FALLBACK_SUFFIX =
  'reading /proc/sysvipc; per-semaphore values and guarded removal unavailable';

function nativeMissing(op: string, id: number | undefined, denied: string | undefined): IpcError {
  const why = denied === undefined ? 'the native binding is not loaded' : `this process may not make System V calls (${denied})`;
  return new IpcError({
    code: 'ENATIVE',
    syscall: 'native',
    op,
    ...(id !== undefined ? { id } : {}),
    message: `${op}${id !== undefined ? ` id=${id}` : ''}: ${why}, so this needs a syscall the /proc fallback cannot make (ENATIVE)`,
    ...(denied !== undefined ? { hint: DENIED_HINT } : {}),
  });
}

/** What to do where System V calls are refused (the /proc reader's own refusals, the fallback's warning). */
export const DENIED_HINT =
  'A seccomp filter or a security module (a container runtime\'s profile, systemd SystemCallFilter=, a Flatpak ' +
  'or snap sandbox, SELinux) refuses System V IPC calls to this process, so only /proc/sysvipc can be read. ' +
  'Run IPC Explorer outside the sandbox for semaphore values and guarded removal.';

export class ProcSource implements IpcSource {
  readonly host = 'local';

  constructor(private readonly opts: ProcSourceOptions = {}) {}

  async snapshot(): Promise<IpcSnapshot> {
    const takenAt = Date.now();
    const paths = this.opts.paths ?? DEFAULT_PATHS;
    const texts = readSysvipc(paths);
    const files = readLimitFiles(paths);
    const rows = sysvRowsFromProc(texts, files);
    const warning = this.opts.nativeDenied !== undefined
      ? `System V calls denied to this process (${this.opts.nativeDenied}): ${PROC_FALLBACK_SUFFIX}`
      : this.opts.nativeError
        ? `native binding not loaded (${this.opts.nativeError}): ${PROC_FALLBACK_SUFFIX}`
        : `native binding not used: ${PROC_FALLBACK_SUFFIX}`;
    const facts = collectLocalFacts({
      source: 'proc',
      takenAt,
      sysv: rows.sysv,
      sysvErrors: [...texts.errors, ...rows.errors],
      limits: { kind: 'files', files, pageSize: pageSize(paths) },
      warnings: [warning],
    }, this.opts);
    return assembleSnapshot(facts);
  }

  /** This reader removes nothing: a recycle plan says so (and why) instead of planning removals that would fail. */
  async removalMode(): Promise<RemovalMode> {
    const why = this.opts.nativeDenied !== undefined ? `System V calls are denied to this process (${this.opts.nativeDenied})` : 'the native binding is not loaded';
    return { mode: 'none', detail: `no removal here: ${why}; /proc/sysvipc shows headers only` };
  }

  async semDetail(ids: number[]): Promise<Map<number, SemElem[] | IpcErrorInfo>> {
    const out = new Map<number, SemElem[] | IpcErrorInfo>();
    for (const id of ids) out.set(id, nativeMissing('GETALL', id, this.opts.nativeDenied).toInfo());
    return out;
  }

  async remove(kind: SysvKind, id: number, _expected: RemovalExpectation): Promise<void> {
    void _expected;
    throw nativeMissing(`remove ${kind}`, id, this.opts.nativeDenied);
  }
}

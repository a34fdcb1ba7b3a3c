/**
 * How the extension judges objects, in one place: the verdict options for each host (the
 * `ipcExplorer.recycle.*` settings, plus owner evidence on the local host: PostgreSQL data directories and
 * header peeks of unattached segments), and which sets get their per-semaphore detail with each refresh or
 * right after it (PostgreSQL-looking sets, so "postmaster PID N (dead)" shows without a click). The tree,
 * the dashboard and recycle all read verdicts made with these options.
 */
import * as vscode from 'vscode';
import { dsmControlHandles, findDataDirs, looksLikePgInterlock, peekable, peekShmHeaders, shmBeforePeek } from '../backend/ownerEvidence';
import { readDsmFacts } from '../backend/pgDsm';
import { nativeBinding } from '../backend/nativeLoader';
import { isPgSemSet } from '../domain/recognizers/postgresql';
import type { OwnerEvidence } from '../domain/recognizers/types';
import { DEFAULT_VERDICT_OPTIONS, type VerdictOptions } from '../domain/verdict';
import type { IpcSnapshot } from '../shared/model';
import { readRecycleSettings } from './settings';
import { LOCAL_HOST, type SnapshotStore } from './snapshotStore';

/** Sets whose per-semaphore detail each refresh reads before publishing (beyond: when someone looks). */
export const LOCAL_REFRESH_DETAIL_SETS = 1024;
export const REMOTE_REFRESH_DETAIL_SETS = 512;
/** PostgreSQL-looking sets whose detail is loaded in the background after each snapshot (per host). */
export const MAX_BACKGROUND_DETAIL = 4096;
/**
 * Per-semaphore detail (GETPID/GETNCNT/GETZCNT) decides many verdicts (waiters, last-op pids). An open
 * dashboard has it read for at most this many more sets per snapshot (17 semaphores x 3 syscalls each:
 * ~13,000 syscalls, a few ms); beyond that, sets are read when someone opens them.
 */
export const DASHBOARD_DETAIL_SETS = 256;

/** Owner evidence for the store's verdicts (local host): data directories and peeks of unattached segments. */
class EvidenceCache {
  private evidence: OwnerEvidence = {};
  private signature = '';

  get(): OwnerEvidence {
    return this.evidence;
  }

  /** Update from the latest local snapshot; true when something new was learnt (verdicts should be redone). */
  update(snap: IpcSnapshot, dataDirs: string[]): boolean {
    const binding = nativeBinding().binding;
    const next: OwnerEvidence = { dataDirs: findDataDirs(dataDirs) };
    if (binding) {
      const safe = peekable(snap);
      next.shmHeaders = peekShmHeaders(binding, snap.shms, 4096, (m) => looksLikePgInterlock(m) && safe(m));
      next.shmBefore = shmBeforePeek();
      next.pgDsm = readDsmFacts(dsmControlHandles(next.shmHeaders ?? {}), next.dataDirs);
    }
    const sig = JSON.stringify([
      next.dataDirs?.map((d) => [d.path, d.dev, d.ino, d.postmasterPid, d.shmId]),
      Object.keys(next.shmHeaders ?? {}).sort(),
      Object.values(next.pgDsm ?? {}).map((f) => [f.handle, f.file?.ino, f.error?.code, f.items?.map((i) => [i.handle, i.refcnt, i.file?.ino, i.error])]),
    ]);
    this.evidence = next;
    if (sig === this.signature) return false;
    this.signature = sig;
    return true;
  }
}


export class VerdictService {
  private readonly evidence = new EvidenceCache();

  /** Options for assessing `host`'s objects: the settings, and the owner evidence on the local host. */
  options(host: string): VerdictOptions {
    const s = readRecycleSettings();
    return {
      ...DEFAULT_VERDICT_OPTIONS,
      ...s.verdict,
      ...(host === LOCAL_HOST ? { evidence: this.evidence.get(), ownPids: [process.pid] } : {}),
    };
  }

  /**
   * How many sets each refresh of a host reads per-semaphore detail for before publishing, as the recycle
   * plan reads it: locally GETPID/GETNCNT/GETZCNT (about 10-20 ms per 256 sets of 17 here); over SSH one
   * more round trip (Linux hosts only: BSD ipcs has no -i).
   */
  detailSets(host: string, snap: IpcSnapshot): number {
    return host === LOCAL_HOST ? LOCAL_REFRESH_DETAIL_SETS : snap.platform === 'linux' ? REMOTE_REFRESH_DETAIL_SETS : 0;
  }

  /** The sets whose detail is read right after a snapshot: PostgreSQL-looking ones still without it. */
  backgroundDetail(snap: IpcSnapshot): number[] {
    const out: number[] = [];
    for (const set of snap.sems) {
      if (out.length >= MAX_BACKGROUND_DETAIL) break;
      if (!set.elems && !set.valuesError && isPgSemSet(set)) out.push(set.id);
    }
    return out;
  }

  /**
   * The sets an open dashboard reads the detail of after a snapshot: those still without it, the first
   * DASHBOARD_DETAIL_SETS (`cached`: whether the store already holds a set's detail).
   */
  dashboardDetail(snap: IpcSnapshot, cached: (id: number) => boolean): number[] {
    const out: number[] = [];
    for (const s of snap.sems) {
      if (out.length >= DASHBOARD_DETAIL_SETS) break;
      if (!s.elems && !s.valuesError && !cached(s.id)) out.push(s.id);
    }
    return out;
  }

  /**
   * Keeps `store` judged with these options: background detail after each snapshot, owner evidence
   * refreshed from each local snapshot (a refresh when it learnt something), and a refresh when the
   * recycle settings change.
   */
  attach(store: SnapshotStore, warn: (message: string) => void): vscode.Disposable {
    let updating = false;
    return vscode.Disposable.from(
      store.onDidChange((e) => {
        if (e.reason !== 'snapshot') return;
        const snap = store.get(e.host)?.snapshot;
        if (!snap) return;
        for (const id of this.backgroundDetail(snap)) void store.semDetail(e.host, id);
      }),
      store.onDidChange((e) => {
        if (e.host !== LOCAL_HOST || e.reason !== 'snapshot' || updating) return;
        const snap = store.get(LOCAL_HOST)?.snapshot;
        if (!snap) return;
        try {
          updating = true;
          if (this.evidence.update(snap, readRecycleSettings().dataDirs)) void store.refresh(LOCAL_HOST);
        } catch (err) {
          warn(`recycle: owner evidence: ${String(err)}`);
        } finally {
          updating = false;
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ipcExplorer.recycle')) void store.refresh();
      }),
    );
  }
}

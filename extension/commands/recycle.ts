/**
 * Guarded recycle in VS Code:
 * - `ipcExplorer.recycleOrphans` (palette, host context): plan -> the full readable report in a document ->
 *   a modal summary asking for explicit confirmation -> execute (each object re-checked immediately before
 *   IPC_RMID) -> the outcome report; every decision appended to the audit log in globalStorage.
 * - `ipcExplorer.recycleObject` (object context): the same for one object, same guards.
 * - `ipcExplorer.showRecycleAuditLog`: opens the audit log.
 * - `ipcExplorer.restoreLockedObject`: puts back the mode of objects an interrupted recycle left locked (an
 *   intent in the audit log without an outcome, the object still at mode 0); offered in a notification
 *   when the extension starts and finds such objects.
 * Gated by `ipcExplorer.recycle.enabled`. The verdicts the tree and dashboard show come from the same
 * settings and owner evidence (services.verdicts, services/verdictService.ts), so they are the ones recycle
 * acts on.
 *
 * Programmatic callers may pass `{ host, refs?, open? }`; no argument can stand in for the modal: every
 * removal is confirmed by the person, or, in the extension's own integration tests only (extension mode
 * Test), by the answerer installed through the exported test API (`setRecycleConfirmForTests`).
 *
 * The settings are machine-scoped (package.json) and read here from user/machine settings and defaults
 * only, so a workspace (a cloned repository's .vscode/settings.json) can neither enable recycling, nor
 * shorten the age gates, nor widen what counts as recyclable.
 */
import * as vscode from 'vscode';
import { AuditLog } from '../backend/audit';
import { closeSettled, findLeftLocks, restorable, restoreLeftLock } from '../backend/lockJournal';
import { nativeBinding } from '../backend/nativeLoader';
import { executeRecyclePlan, prepareRecycle, type PreparedRecycle } from '../backend/recycleExecutor';
import { formatPlanReport, formatRecycleReport, planSummary, waitingLine, type ProceedHint, type RecyclePlan, type RecycleReport } from '../domain/recyclePlan';
import type { ObjectRef } from '../shared/model';
import type { Services } from '../services/services';
import { readRecycleSettings } from '../services/settings';
import { LOCAL_HOST } from '../services/snapshotStore';
import { hostOf, pickHost } from './args';
import { registerGuarded } from './guard';
import { removalNote } from './removalNote';
import { formatKey } from '../shared/format';
import { AUDIT_DOC_URI, auditLogPath, documentChanged, reportDocUri, showDocument } from './documents';
import { pendingOrphans, pendingText } from '../domain/nextActions';

export interface RecycleArgs {
  host?: string;
  refs?: ObjectRef[];
  /** false: do not open the report documents. */
  open?: boolean;
  /** the object as the caller showed it (dashboard, tree): refuse when the id now names something else. */
  key?: number;
  ctime?: number;
}

export interface RecycleResult {
  plan: RecyclePlan;
  report?: RecycleReport;
  cancelled?: boolean;
  /** nothing was recyclable yet: the last pending orphan becomes recyclable in this many seconds */
  pendingSeconds?: number;
}

/** Waits (a cancellable countdown) until the pending orphans are old enough, then plans again. */
async function retryRecycleAfter(services: Services, host: string, args: RecycleArgs, seconds: number): Promise<void> {
  const done = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `IPC Explorer: waiting for the orphans on ${host} to be old enough`, cancellable: true },
    (progress, token) =>
      new Promise<boolean>((resolve) => {
        // one second of margin: the kernel's times have a one-second resolution
        let left = Math.max(0, Math.ceil(seconds)) + 1;
        const tick = (): void => {
          if (token.isCancellationRequested) return resolve(false);
          if (left <= 0) return resolve(true);
          progress.report({ message: `retrying in ${left} s`, increment: 100 / (seconds + 1) });
          left--;
          setTimeout(tick, 1000);
        };
        tick();
      }),
  );
  if (!done) {
    services.notify.info('Recycle retry cancelled: nothing was removed.');
    return;
  }
  await vscode.commands.executeCommand('ipcExplorer.recycleOrphans', { ...args, host, open: args.open ?? true });
}

function isArgs(a: unknown): a is RecycleArgs {
  return typeof a === 'object' && a !== null && ('host' in a || 'refs' in a || 'open' in a) && !(a instanceof vscode.TreeItem);
}

/** What the confirmation modal shows; a test answerer gets the same. */
export interface RecycleConfirmation {
  host: string;
  summary: string;
  detail: string;
  button: string;
  refs: ObjectRef[];
}

/** The extension's own tests answer the modal through this (see setRecycleConfirmForTests). */
let testAnswerer: ((c: RecycleConfirmation) => boolean | Promise<boolean>) | undefined;
let testMode = false;

/**
 * Installs (or removes, with undefined) the answerer that stands in for the person at the modal. Only in
 * extension mode Test (the integration test runner); anywhere else it throws and nothing changes.
 */
export function setRecycleConfirmForTests(answer: ((c: RecycleConfirmation) => boolean | Promise<boolean>) | undefined): void {
  if (!testMode) throw new Error('setRecycleConfirmForTests: only available when VS Code runs the extension under its test runner');
  testAnswerer = answer;
}

/** The start-up notification about objects left locked, as a test answers it instead of a click. */
export interface StartupRestoreOffer {
  text: string;
  actions: string[];
  /** does what a click on `pick` does (undefined: dismissed); resolves when that is done. */
  answer(pick: string | undefined): Promise<void>;
}

let startupOffer: { promise: Promise<StartupRestoreOffer | undefined>; resolve(o: StartupRestoreOffer | undefined): void } | undefined;

/**
 * Test mode only: the notification the start-up check offered (undefined once the check found nothing to
 * restore). In test mode the check waits for `answer` instead of showing the notification.
 */
export function startupRestoreOfferForTests(): Promise<StartupRestoreOffer | undefined> {
  if (!testMode || !startupOffer) throw new Error('startupRestoreOfferForTests: only available when VS Code runs the extension under its test runner');
  return startupOffer.promise;
}

async function confirmRemoval(c: RecycleConfirmation): Promise<boolean> {
  if (testMode && testAnswerer) return (await testAnswerer(c)) === true;
  const pick = await vscode.window.showWarningMessage(c.summary, { modal: true, detail: c.detail }, c.button);
  return pick === c.button;
}

/** Shows a recycle run's text as a read-only `ipcx:` document (never an untitled buffer that asks to be saved). */
async function openText(host: string, what: 'plan' | 'report', content: string): Promise<void> {
  await showDocument(reportDocUri(host, what, content));
}

export function auditPath(context: vscode.ExtensionContext): string {
  return auditLogPath(context);
}

/** How to skip the waiting rules in VS Code (the CLI's hint names its flags). */
const VSCODE_PROCEED: ProceedHint = (w) =>
  `set ipcExplorer.recycle.minOrphanAgeSeconds${w.recency ? ' and recentActivitySeconds' : ''} to 0 to proceed now`;

async function runRecycle(services: Services, host: string, args: RecycleArgs): Promise<RecycleResult | undefined> {
  const settings = readRecycleSettings();
  if (!settings.enabled) {
    services.notify.warn('Recycling is turned off (setting ipcExplorer.recycle.enabled). Nothing was removed.');
    return undefined;
  }
  const st = services.store.get(host);
  if (!st) {
    services.notify.warn(`No host ${host} in IPC Explorer.`);
    return undefined;
  }
  const source = st.source;
  const prep: PreparedRecycle = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `IPC Explorer: planning recycle on ${host}` },
    () => prepareRecycle(source, { verdict: settings.verdict, dataDirs: settings.dataDirs, ...(args.refs ? { refs: args.refs } : {}) }),
  );
  const { plan } = prep;
  if (args.refs?.length === 1 && (args.key !== undefined || args.ctime !== undefined)) {
    const o = [...prep.snapshot.sems, ...prep.snapshot.shms, ...prep.snapshot.msgs].find((x) => `${x.kind}:${x.id}` === args.refs![0]);
    if (!o || (args.key !== undefined && o.key !== args.key) || (args.ctime !== undefined && o.ctime !== args.ctime)) {
      services.notify.warn(`${args.refs[0]} on ${host} changed or is gone since it was shown (key/ctime differ): nothing was removed. Refresh and look again.`);
      return undefined;
    }
  }
  const open = args.open !== false;
  if (open) await openText(host, 'plan', formatPlanReport(plan, VSCODE_PROCEED));
  const wait = waitingLine(plan, VSCODE_PROCEED);
  const summary = wait ? `${planSummary(plan)} ${wait}` : planSummary(plan);
  services.log.info(`recycle plan on ${host}: ${summary}`);
  if (!plan.candidates.length) {
    // right after a crash the orphans are there but younger than the minimum age: say when, offer to wait
    const soon = pendingText(pendingOrphans(plan.stays.map((s) => s.verdict), prep.options.minOrphanAgeSeconds));
    // (where the source removes nothing, waiting changes nothing)
    if (soon.text && plan.removal?.mode !== 'none') {
      const wait = soon.waitSeconds;
      services.notify.info(`Nothing on ${host} is recyclable yet: ${soon.text} (minimum orphan age ${prep.options.minOrphanAgeSeconds} s).`, [
        { title: wait > 0 ? `Retry in ${wait} s` : 'Retry', run: () => retryRecycleAfter(services, host, args, wait) },
      ]);
      return { plan, pendingSeconds: wait };
    }
    const why = args.refs?.length === 1 && plan.stays[0] ? ` ${plan.stays[0].ref} stays: ${plan.stays[0].why}` : '';
    services.notify.info(`${summary}${why}`);
    return { plan };
  }
  {
    const button = `Remove ${plan.candidates.length}`;
    const detail = plan.candidates
      .slice(0, 12)
      .map((c) => `- ${c.kind} id ${c.id}${c.verdict.owner ? `: ${c.verdict.owner.label}` : ''}`)
      .concat(plan.candidates.length > 12 ? [`... and ${plan.candidates.length - 12} more (see the report)`] : [])
      .join('\n');
    // one object: the question names it (the object the person clicked, as re-read for the plan)
    const only = plan.candidates.length === 1 ? plan.candidates[0]! : undefined;
    const confirmed = await confirmRemoval({
      host,
      summary: only ? `Remove ${only.kind} id ${only.id} (key ${formatKey(only.key)}) on ${host}? ${summary}` : summary,
      detail: `${detail}\n\n${removalNote(plan, host)} The full plan is in the report document.`,
      button,
      refs: plan.candidates.map((c) => c.ref),
    });
    if (!confirmed) {
      services.notify.info('Recycle cancelled: nothing was removed.');
      return { plan, cancelled: true };
    }
  }
  const audit = new AuditLog(auditPath(services.context));
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `IPC Explorer: recycling on ${host}` },
    () => executeRecyclePlan(plan, { source, processFacts: prep.processFacts, audit, ownPids: [process.pid] }),
  );
  const text = `Recycle on ${host}: ${report.removed} removed, ${report.refused} refused, ${report.failed} failed. Audit log: ${audit.path}`;
  services.log.info(formatRecycleReport(report));
  if (report.failed || report.refused) services.notify.warn(text);
  else services.notify.info(text);
  if (open) await openText(host, 'report', formatRecycleReport(report) + '\n' + formatPlanReport(plan, VSCODE_PROCEED));
  await services.store.refresh(host);
  return { plan, report };
}

/**
 * Complete verdicts for one host, as recycle sees them (per-semaphore detail for every set, fresh process
 * facts, owner evidence, the recycle settings): for the ENOSPC doctor (`diagnoseSemget(r.snapshot,
 * r.verdicts, ...)`), whose answer about "what recycling would free" needs exactly these.
 */
export async function verdictsForRecycle(services: Services, host: string): Promise<PreparedRecycle | undefined> {
  const st = services.store.get(host);
  if (!st) return undefined;
  const settings = readRecycleSettings();
  return prepareRecycle(st.source, { verdict: settings.verdict, dataDirs: settings.dataDirs });
}

/** Objects an interrupted recycle left locked, from this extension's audit log (local host, native binding). */
function leftLocks(context: vscode.ExtensionContext): ReturnType<typeof findLeftLocks> | undefined {
  const binding = nativeBinding().binding;
  if (!binding) return undefined;
  return findLeftLocks(new AuditLog(auditPath(context)), binding);
}

/** On start: report objects left locked by a recycle that was interrupted, with a one-click restore. */
async function offerRestore(context: vscode.ExtensionContext, services: Services): Promise<void> {
  const left = leftLocks(context);
  const todo = left ? restorable(left) : [];
  if (!todo.length) {
    startupOffer?.resolve(undefined);
    return;
  }
  for (const f of todo) services.log.warn(`recycle: ${f.why}`);
  const text =
    `${todo.length} object(s) were left locked (mode 0) by an interrupted recycle: ` +
    `${todo.map((f) => `${f.intent.lock.kind} id ${f.intent.lock.id}`).join(', ')}. Their owners' processes cannot use them until their mode is restored.`;
  const actions = ['Restore', 'Show Log'];
  const act = async (pick: string | undefined): Promise<void> => {
    if (pick === 'Restore') await vscode.commands.executeCommand('ipcExplorer.restoreLockedObject');
    else if (pick === 'Show Log') services.log.show(true);
  };
  if (testMode && startupOffer) {
    startupOffer.resolve({ text, actions, answer: act });
    return;
  }
  await act(await vscode.window.showWarningMessage(text, ...actions));
}

export function registerRecycle(context: vscode.ExtensionContext, services: Services): void {
  testMode = context.extensionMode === vscode.ExtensionMode.Test;
  if (testMode) {
    let resolve!: (o: StartupRestoreOffer | undefined) => void;
    const promise = new Promise<StartupRestoreOffer | undefined>((r) => (resolve = r));
    startupOffer = { promise, resolve };
  }

  registerGuarded(context, services, 'ipcExplorer.recycleOrphans', 'Recycle orphans', async (arg?: unknown) => {
    const host = (isArgs(arg) ? arg.host : undefined) ?? (await pickHost(services, arg));
    if (!host) return undefined;
    return runRecycle(services, host, isArgs(arg) ? arg : {});
  });

  registerGuarded(context, services, 'ipcExplorer.recycleObject', 'Recycle object', async (arg?: unknown) => {
    let host: string | undefined;
    let refs: ObjectRef[] | undefined;
    let given: RecycleArgs = {};
    // a single object ({ host, ref, key?, ctime? }: a tree node or the dashboard) first: `{ host }` alone would
    // also pass as RecycleArgs, without refs
    if (typeof arg === 'object' && arg !== null && typeof (arg as { ref?: unknown }).ref === 'string') {
      host = hostOf(arg);
      refs = [(arg as { ref: string }).ref];
      const a = arg as { key?: unknown; ctime?: unknown };
      if (typeof a.key === 'number') given.key = a.key;
      if (typeof a.ctime === 'number') given.ctime = a.ctime;
    } else if (isArgs(arg)) {
      given = arg;
      host = arg.host;
      refs = arg.refs;
    }
    if (!host || !refs?.length) {
      services.notify.warn('Recycle object: choose an object in the IPC Explorer tree (context menu "Recycle").');
      return undefined;
    }
    return runRecycle(services, host, { ...given, host, refs });
  });

  registerGuarded(context, services, 'ipcExplorer.restoreLockedObject', 'Restore locked object', async (arg?: unknown) => {
    const left = leftLocks(context);
    if (!left) {
      services.notify.warn('Restore locked object: the native binding is not loaded, so locked objects cannot be checked or restored.');
      return undefined;
    }
    const only = typeof arg === 'object' && arg !== null && typeof (arg as { txn?: unknown }).txn === 'string' ? (arg as { txn: string }).txn : undefined;
    const todo = restorable(left).filter((f) => !only || f.intent.txn === only);
    const audit = new AuditLog(auditPath(context));
    const results = todo.map((f) => restoreLeftLock(f, nativeBinding().binding!, audit));
    closeSettled(left, audit);
    for (const r of results) services.log.info(`recycle: ${r.message}`);
    if (!results.length) services.notify.info('No object is left locked by an interrupted recycle.');
    else if (results.every((r) => r.ok)) services.notify.info(results.map((r) => r.message).join('; '));
    else services.notify.warn(results.map((r) => r.message).join('; '));
    await services.store.refresh(LOCAL_HOST);
    return results;
  });

  // after activation (which reads nothing itself): objects a previous recycle left locked
  const timer = setTimeout(() => {
    offerRestore(context, services).catch((e) => {
      services.log.warn(`recycle: checking for objects left locked: ${String(e)}`);
      startupOffer?.resolve(undefined);
    });
  }, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });

  registerGuarded(context, services, 'ipcExplorer.showRecycleAuditLog', 'Show recycle audit log', async () => {
    const file = vscode.Uri.file(auditPath(context));
    try {
      await vscode.workspace.fs.stat(file);
    } catch {
      services.notify.info(`No recycle decisions yet (the audit log will be ${file.fsPath}).`);
      return undefined;
    }
    // read-only: the audit log is evidence, not something to edit in place
    documentChanged(AUDIT_DOC_URI);
    await showDocument(AUDIT_DOC_URI);
    return file.fsPath;
  });
}

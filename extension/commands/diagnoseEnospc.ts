/**
 * `ipcExplorer.diagnoseEnospc`: "would semget(IPC_PRIVATE, nsems) succeed here now, and which limit blocks
 * it?" Asks for nsems (default 17, PostgreSQL's set size), takes a fresh snapshot with recycle's complete
 * verdicts (commands/recycle.ts verdictsForRecycle, as `ipcx doctor` does), and shows the answer of
 * the ENOSPC doctor (domain/doctor.ts) as a notification and in a document (what recycling the
 * provable orphans would free; how to raise the limits).
 * Tests and other features may pass `{ host?, nsems, sets? }` to skip the question. Returns the Diagnosis.
 */
import { readRecycleSettings } from '../services/settings';
import * as vscode from 'vscode';
import { diagnoseSemget, diagnosisHeadline, type Diagnosis } from '../domain/doctor';
import type { Services } from '../services/services';
import { pickHost } from './args';
import { diagnosisDocUri, diagnosisText, rememberDiagnosis, showDocument } from './documents';
import { verdictsForRecycle } from './recycle';
import { registerGuarded } from './guard';

interface DiagnoseArgs {
  host?: string;
  nsems?: number;
  sets?: number;
  /** false: no document (the notification only) */
  open?: boolean;
}

function isArgs(a: unknown): a is DiagnoseArgs {
  return typeof a === 'object' && a !== null && ('nsems' in a || 'sets' in a) && !('ref' in a);
}

export function registerDiagnoseEnospc(context: vscode.ExtensionContext, services: Services): void {
  registerGuarded(context, services, 'ipcExplorer.diagnoseEnospc', 'Diagnose ENOSPC', async (arg?: unknown): Promise<Diagnosis | undefined> => {
    const given = isArgs(arg) ? arg : {};
    const host = given.host ?? (await pickHost(services, isArgs(arg) ? undefined : arg));
    if (!host) return undefined;
    let nsems = given.nsems;
    if (nsems === undefined) {
      const text = await vscode.window.showInputBox({
        title: 'Diagnose semget ENOSPC',
        prompt: 'Semaphores per set (nsems) that semget(IPC_PRIVATE, nsems) would ask for. PostgreSQL uses 17.',
        value: '17',
        validateInput: (t) => (/^\d{1,9}$/.test(t.trim()) && Number(t) > 0 ? undefined : 'a positive whole number'),
      });
      if (text === undefined) return undefined;
      nsems = Number(text.trim());
    }
    if (!Number.isInteger(nsems) || nsems <= 0) throw new Error(`nsems must be a positive integer, not ${String(nsems)}`);
    const sets = given.sets ?? 1;
    // a fresh snapshot with recycle's complete verdicts (per-semaphore detail, owner evidence, the recycle
    // settings): the store's verdicts right after a refresh lack the detail, so "recycling would free" would
    // read 0 where `ipcx doctor` and the Recycle command see orphans
    const prep = await verdictsForRecycle(services, host);
    if (!prep) {
      services.notify.warn(`No host ${host} in IPC Explorer.`);
      return undefined;
    }
    const d = diagnoseSemget(prep.snapshot, prep.verdicts, { nsems, sets });
    // the tree, the status bar and the dashboard the toast offers then show what the diagnosis saw (limits
    // or objects may have changed since their last snapshot), not an older picture beside its answer
    await services.store.refresh(host);
    const text = diagnosisHeadline(d, host);
    if (d.wouldSucceed) services.notify.info(text);
    else {
      // the next steps, one click away: recycle what is provably orphaned, or look at the whole picture
      const recycle = readRecycleSettings().enabled;
      services.notify.warn(text, [
        ...(recycle ? [{ title: 'Recycle Orphans…', run: () => vscode.commands.executeCommand('ipcExplorer.recycleOrphans', { host, open: true }) }] : []),
        { title: 'Open Dashboard', run: () => vscode.commands.executeCommand('ipcExplorer.openDashboard', host) },
      ]);
    }
    if (given.open !== false) {
      const uri = diagnosisDocUri(host, nsems, sets, prep.snapshot.takenAt);
      rememberDiagnosis(uri, diagnosisText(host, prep.snapshot, d));
      await showDocument(uri);
    }
    return d;
  });
}

/**
 * Read-only virtual documents (`ipcx:` scheme) for inspect, limits and the ENOSPC diagnosis: inspect and
 * limits are rendered from the store on demand and re-rendered when the host's snapshot changes; a diagnosis
 * is the text the diagnose command computed (rememberDiagnosis). Closed without a save prompt.
 *   ipcx:/<host>/object/<ref>.txt      every field of one object (+ per-semaphore table, + raw JSON)
 *   ipcx:/<host>/limits.txt            every kernel limit: used / limit / %
 *   ipcx:/<host>/diagnose-enospc.txt?nsems=17&sets=1&at=<snapshot time>
 *   ipcx:/<host>/recycle-plan.txt?at=<ms>&n=<seq>, recycle-report.txt?...   a recycle run's texts (kept for the session)
 *   ipcx:/local/recycle-audit.jsonl   the audit log file, read when shown (re-rendered after each recycle)
 * None of them is a file or an untitled buffer: nothing asks to be saved and nothing comes back dirty after a
 * reload (a restored editor shows that the text is gone, or the current file).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { capacity } from '../domain/capacity';
import { formatDiagnosis, type Diagnosis } from '../domain/doctor';
import { findObject } from '../domain/verdict';
import { formatPercent, formatTimestamp } from '../shared/format';
import type { IpcObject, IpcSnapshot, ObjectRef, Verdict } from '../shared/model';
import type { Services } from '../services/services';
import { LOCAL_HOST } from '../services/snapshotStore';
import { objectRows, verdictRows, type Row } from '../views/objectFields';
import { WARN_PERCENT, limitValueText } from '../views/nodes/limitNode';
import { KIND_NOUN, objectLabel, pidText } from '../views/presentation';
import { localUserName } from '../views/userNames';

export const DOC_SCHEME = 'ipcx';

export function objectDocUri(host: string, ref: ObjectRef): vscode.Uri {
  return vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${host}/object/${ref}.txt` });
}
export function limitsDocUri(host: string): vscode.Uri {
  return vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${host}/limits.txt` });
}
/** One document per diagnosis (`at` = the snapshot's time): an answer about "now" is not re-rendered later. */
export function diagnosisDocUri(host: string, nsems: number, sets: number, at: number): vscode.Uri {
  return vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${host}/diagnose-enospc.txt`, query: `nsems=${nsems}&sets=${sets}&at=${at}` });
}

function table(rows: Row[]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

export function renderObject(host: string, o: IpcObject, snap: IpcSnapshot, v: Verdict | undefined): string {
  const user = (uid: number): string => (host === LOCAL_HOST ? localUserName(uid) : String(uid));
  const out: string[] = [];
  out.push(`${KIND_NOUN[o.kind]} ${objectLabel(o)} on ${host === LOCAL_HOST ? 'the local machine' : host}`);
  out.push(`snapshot taken ${formatTimestamp(snap.takenAt)} (${snap.source}${snap.ipcNamespace ? `, ${snap.ipcNamespace}` : ''})`, '');
  out.push('Record', table(objectRows(o, snap, user)), '');
  out.push('Verdict', table(verdictRows(v)), '');
  if (o.kind === 'sem' && o.elems) {
    out.push('Semaphores');
    out.push('  semnum  semval  ncount  zcount  last op (sempid)');
    o.elems.forEach((e, i) =>
      out.push(
        `  ${String(i).padStart(6)}  ${String(e.semval).padStart(6)}  ${String(e.ncount).padStart(6)}  ${String(e.zcount).padStart(6)}  ${pidText(e.pid, snap.processes)}`,
      ),
    );
    out.push('');
  }
  out.push('Raw record (JSON)', JSON.stringify(o, null, 2), '');
  return out.join('\n');
}

export function renderLimits(host: string, snap: IpcSnapshot): string {
  const rows = capacity(snap);
  const out = [`Kernel IPC limits on ${host === LOCAL_HOST ? 'the local machine' : host} (${formatTimestamp(snap.takenAt)})`, ''];
  const w = Math.max(...rows.map((r) => limitValueText(r).length));
  out.push(`  ${'limit'.padEnd(14)}${'used/limit'.padStart(w)}  ${'use%'.padStart(6)}  description`);
  for (const r of rows) {
    const hot = r.percent !== null && r.percent >= WARN_PERCENT;
    out.push(`${hot ? '! ' : '  '}${r.name.padEnd(14)}${limitValueText(r).padStart(w)}  ${formatPercent(r.percent).padStart(6)}  ${r.label}${r.basis ? ` (${r.basis})` : ''}`);
  }
  out.push('', `! = at or above ${WARN_PERCENT} %.`);
  for (const r of rows.filter((x) => x.raise)) out.push(`  ${r.name}: ${r.raise}`);
  return out.join('\n') + '\n';
}

export function diagnosisText(host: string, snap: IpcSnapshot, d: Diagnosis): string {
  return `ENOSPC diagnosis for ${host === LOCAL_HOST ? 'the local machine' : host} (${formatTimestamp(snap.takenAt)})\n\n${formatDiagnosis(d)}`;
}

/** Texts computed once (diagnoses, recycle plans and reports), by document URI; the last few only. */
const diagnoses = new Map<string, string>();
const MAX_DIAGNOSES = 64;

/** Keeps the text the diagnose command computed for its document (rendered instead of the store's verdicts). */
export function rememberDiagnosis(uri: vscode.Uri, text: string): void {
  diagnoses.delete(uri.toString());
  diagnoses.set(uri.toString(), text);
  while (diagnoses.size > MAX_DIAGNOSES) diagnoses.delete(diagnoses.keys().next().value!);
}

let reportSeq = 0;
/** A new read-only document for a recycle run's text (`what` = plan or report); returns its URI. */
export function reportDocUri(host: string, what: 'plan' | 'report', text: string): vscode.Uri {
  const uri = vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${host}/recycle-${what}.txt`, query: `at=${Date.now()}&n=${++reportSeq}` });
  rememberDiagnosis(uri, text);
  return uri;
}

/** The recycle audit log (JSON lines) in VS Code's global storage. */
export function auditLogPath(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'recycle-audit.jsonl');
}
export const AUDIT_DOC_URI = vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${LOCAL_HOST}/recycle-audit.jsonl` });

let provider: IpcDocuments | undefined;
/** Tells open editors of `uri` to re-read it (the audit log after a recycle). */
export function documentChanged(uri: vscode.Uri): void {
  if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) provider?.fire(uri);
}

export class IpcDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly sub: { dispose(): void };

  constructor(private readonly services: Services) {
    // the one provider of this extension host, for the module's helpers
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    provider = this;
    this.sub = services.store.onDidChange((c) => {
      if (c.reason !== 'snapshot' && c.reason !== 'detail') return;
      for (const d of vscode.workspace.textDocuments) {
        // inspect and limits documents follow the host; a diagnosis stays the answer it gave
        if (d.uri.scheme === DOC_SCHEME && d.uri.path.startsWith(`/${c.host}/`) && /\/(object\/.+|limits)\.txt$/.test(d.uri.path)) {
          this.changed.fire(d.uri);
        }
      }
    });
  }

  fire(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const remembered = diagnoses.get(uri.toString());
    if (remembered !== undefined) return remembered;
    if (uri.path === AUDIT_DOC_URI.path) return this.auditLog();
    const run = /^\/(.+?)\/recycle-(plan|report)\.txt$/.exec(uri.path);
    if (run) {
      return `This recycle ${run[2]} for ${run[1]} is no longer available (reports are kept for the session that ran the recycle).\n` +
        'Every decision is in the audit log: run "IPC Explorer: Show Recycle Audit Log".\n';
    }
    const m = /^\/(.+?)\/(object\/(.+)\.txt|limits\.txt|diagnose-enospc\.txt)$/.exec(uri.path);
    if (!m) return `unknown IPC Explorer document ${uri.toString()}\n`;
    const host = m[1]!;
    const st = this.services.store.get(host);
    const snap = st?.snapshot;
    if (!st || !snap) return `${host}: no snapshot${st?.error ? `: ${st.error.message}` : ''}. Refresh IPC Explorer and try again.\n`;
    if (m[3] !== undefined) {
      const o = findObject(snap, m[3]);
      if (!o) return `${m[3]} is no longer on ${host} (removed since the document was opened; refreshed ${formatTimestamp(snap.takenAt)}).\n`;
      return renderObject(host, o, snap, st.verdicts.get(m[3]));
    }
    if (m[2] === 'limits.txt') return renderLimits(host, snap);
    const q = new URLSearchParams(uri.query);
    // not one this session computed (e.g. an editor restored after a reload): the store's verdicts lack the
    // per-semaphore detail the answer needs, so say how to get a fresh one instead of a weaker answer
    return `ENOSPC diagnosis for semget(IPC_PRIVATE, ${Number(q.get('nsems') ?? 17)}) on ${host}: this answer is no longer available. Run "IPC Explorer: Diagnose ENOSPC" again.\n`;
  }

  private auditLog(): string {
    const file = auditLogPath(this.services.context);
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? `No recycle decisions yet (the audit log will be ${file}).\n` : `Cannot read the audit log ${file}: ${String(e)}\n`;
    }
  }

  dispose(): void {
    if (provider === this) provider = undefined;
    this.sub.dispose();
    this.changed.dispose();
  }
}

/** Opens a virtual document read-only in an editor and returns it. */
export async function showDocument(uri: vscode.Uri): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
}

/**
 * Human-readable rendering of snapshots for `ipcx`: one table per kind, like `ipcs` but with owner names,
 * keys in hex, process names next to pids, and each object's state (from domain/verdict).
 */
import { assessSnapshot, objectRef, verdictOptions } from '../domain/verdict';
import {
  formatBytes,
  formatKeyHex,
  formatMode,
  formatTime,
} from '../shared/format';
import type { IpcSnapshot, ItemError, ProcessFact, SemSet, Verdict } from '../shared/model';
import { formatErrorLine } from './cliSupport';
import { localNames, numericNames, type NameMaps } from './names';
import { printable, renderTable } from './table';

export function namesFor(snap: IpcSnapshot): NameMaps {
  return snap.host === 'local' ? localNames() : numericNames;
}

/** `21599 (postgres)`, `21599 (dead)`, `21599 (unknown)` (cannot be seen), `-` for 0. */
export function pidLabel(pid: number, processes: Record<number, ProcessFact>): string {
  if (!pid) return '-';
  const f = processes[pid];
  if (!f) return String(pid);
  if (!f.alive) return `${pid} (${f.liveness === 'dead' ? 'dead' : 'unknown'})`;
  return f.comm ? `${pid} (${f.comm})` : String(pid);
}

export function ownerLabel(uid: number, gid: number, names: NameMaps): string {
  return `${names.user(uid)}:${names.group(gid)}`;
}

export function valuesLabel(s: SemSet, max = 8): string {
  if (s.valuesError) return `(${s.valuesError.code})`;
  if (!s.values) return '-';
  const shown = s.values.slice(0, max).join(' ');
  return s.values.length > max ? `${shown} … (${s.values.length})` : shown;
}

function stateLabel(v: Verdict | undefined, extra: string[] = []): string {
  const parts = [...extra];
  if (v) parts.unshift(v.recyclable ? 'orphan, recyclable' : v.state);
  if (v?.owner) parts.push(v.owner.app);
  return parts.join(', ');
}

export function itemErrorLine(e: ItemError): string {
  const what = e.id !== undefined ? `${e.kind} id=${e.id}` : e.name !== undefined ? `${e.kind} ${e.name}` : e.kind;
  return printable(`${what}: ${formatErrorLine(e.error)}`);
}

export function renderHeader(snap: IpcSnapshot): string {
  const bits = [
    `host ${snap.host}${snap.hostname ? ` (${snap.hostname})` : ''}`,
    `${snap.platform}${snap.kernel ? ' ' + snap.kernel : ''}`,
    snap.ipcNamespace ?? 'namespace unknown',
    `source ${snap.source}`,
    snap.uid !== undefined ? `uid ${snap.uid}` : '',
    `taken ${formatTime(Math.floor(snap.takenAt / 1000))}`,
  ].filter(Boolean);
  let out = printable(bits.join(' · ')) + '\n';
  for (const w of snap.warnings) out += `warning: ${printable(w)}\n`;
  return out;
}

export function renderSnapshot(snap: IpcSnapshot, nowSeconds: number): string {
  const names = namesFor(snap);
  let verdicts: Map<string, Verdict>;
  try {
    verdicts = assessSnapshot(snap, verdictOptions(), nowSeconds);
  } catch {
    verdicts = new Map();
  }
  const P = snap.processes;
  const t = (s: number) => formatTime(s);
  let out = renderHeader(snap);

  out += `\nSemaphore sets (${snap.sems.length})\n`;
  if (snap.sems.length) {
    out += renderTable(
      [
        { header: 'KEY' }, { header: 'ID', right: true }, { header: 'OWNER' }, { header: 'PERMS' },
        { header: 'NSEMS', right: true }, { header: 'OTIME' }, { header: 'CTIME' }, { header: 'STATE' }, { header: 'VALUES' },
      ],
      snap.sems.map((s) => [
        formatKeyHex(s.key), String(s.id), ownerLabel(s.uid, s.gid, names), formatMode(s.mode), String(s.nsems),
        t(s.otime), t(s.ctime), stateLabel(verdicts.get(objectRef(s))), valuesLabel(s),
      ]),
    );
  }

  out += `\nShared memory segments (${snap.shms.length})\n`;
  if (snap.shms.length) {
    out += renderTable(
      [
        { header: 'KEY' }, { header: 'ID', right: true }, { header: 'OWNER' }, { header: 'PERMS' },
        { header: 'SIZE', right: true }, { header: 'NATTCH', right: true }, { header: 'CPID' }, { header: 'LPID' },
        { header: 'CTIME' }, { header: 'STATE' }, { header: 'ATTACHERS' },
      ],
      snap.shms.map((s) => {
        const flags: string[] = [];
        if (s.dest) flags.push('dest');
        if (s.locked) flags.push('locked');
        return [
          formatKeyHex(s.key), String(s.id), ownerLabel(s.uid, s.gid, names), formatMode(s.mode), formatBytes(s.segsz),
          String(s.nattch), pidLabel(s.cpid, P), pidLabel(s.lpid, P), t(s.ctime),
          stateLabel(verdicts.get(objectRef(s)), flags),
          s.attachers === undefined ? '?' : s.attachers.map((p) => pidLabel(p, P)).join(', ') || '-',
        ];
      }),
    );
  }

  out += `\nMessage queues (${snap.msgs.length})\n`;
  if (snap.msgs.length) {
    out += renderTable(
      [
        { header: 'KEY' }, { header: 'ID', right: true }, { header: 'OWNER' }, { header: 'PERMS' },
        { header: 'MESSAGES', right: true }, { header: 'BYTES', right: true }, { header: 'QBYTES', right: true },
        { header: 'LSPID' }, { header: 'LRPID' }, { header: 'CTIME' }, { header: 'STATE' },
      ],
      snap.msgs.map((q) => [
        formatKeyHex(q.key), String(q.id), ownerLabel(q.uid, q.gid, names), formatMode(q.mode), String(q.qnum),
        String(q.cbytes), String(q.qbytes), pidLabel(q.lspid, P), pidLabel(q.lrpid, P), t(q.ctime),
        stateLabel(verdicts.get(objectRef(q))),
      ]),
    );
  }

  out += `\nPOSIX semaphores (${snap.posixSems.length})\n`;
  if (snap.posixSems.length) {
    out += renderTable(
      [
        { header: 'NAME' }, { header: 'OWNER' }, { header: 'PERMS' }, { header: 'VALUE', right: true },
        { header: 'WAITERS', right: true }, { header: 'LAYOUT' }, { header: 'MTIME' }, { header: 'ATTACHERS' },
      ],
      snap.posixSems.map((s) => [
        s.name, ownerLabel(s.uid, s.gid, names), formatMode(s.mode),
        s.decoded ? String(s.decoded.value) : `(${s.decodeError?.code ?? '?'})`,
        s.decoded ? String(s.decoded.nwaiters) : '-',
        s.decoded ? s.decoded.layout + (s.decoded.atomic ? '' : ' (non-atomic read)') : '-',
        t(s.mtime),
        s.attachers === undefined ? '?' : s.attachers.map((p) => pidLabel(p, P)).join(', ') || '-',
      ]),
    );
  }

  out += `\nPOSIX shared memory (${snap.posixShms.length})\n`;
  if (snap.posixShms.length) {
    out += renderTable(
      [{ header: 'NAME' }, { header: 'OWNER' }, { header: 'PERMS' }, { header: 'SIZE', right: true }, { header: 'MTIME' }, { header: 'ATTACHERS' }],
      snap.posixShms.map((s) => [
        s.name, ownerLabel(s.uid, s.gid, names), formatMode(s.mode), formatBytes(s.size), t(s.mtime),
        s.attachers === undefined ? '?' : s.attachers.map((p) => pidLabel(p, P)).join(', ') || '-',
      ]),
    );
  }

  const valueErrors = snap.sems.filter((s) => s.valuesError);
  if (snap.errors.length || valueErrors.length) {
    out += `\nErrors (${snap.errors.length + valueErrors.length})\n`;
    for (const e of snap.errors) out += `  ${itemErrorLine(e)}\n`;
    const MAX = 10;
    for (const s of valueErrors.slice(0, MAX)) out += `  ${itemErrorLine({ kind: 'sem', id: s.id, error: s.valuesError! })}\n`;
    if (valueErrors.length > MAX) out += `  … and ${valueErrors.length - MAX} more sets whose values could not be read\n`;
  }
  return out;
}

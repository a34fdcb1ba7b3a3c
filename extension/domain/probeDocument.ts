/**
 * The document format of the scripts sent to SSH hosts (extension/remote/probeScript.ts, lockScript.ts):
 * `@@<format> <version>`, `@@section NAME` bodies, `@@end`. Splitting and small section readers; pure.
 *
 * A document that is not one, has the wrong version, lacks a section it needs or is cut short yields
 * `{ ok: false, error }` (code EPARSE, saying what was wrong): one host's bad answer is one host's clear
 * error, never a crash and never a half-empty snapshot posing as the truth.
 */
import type { IpcErrorInfo } from '../shared/model';
import { hintFor } from './errors';
import { wholeDecimal } from '../shared/decimal';

export type ProbeResult<T> = { ok: true; value: T } | { ok: false; error: IpcErrorInfo };

export interface ProbeDocument {
  format: string;
  version: number;
  /** section name -> body (lines joined with \n, no trailing newline). */
  sections: Map<string, string>;
  /** text before the header (e.g. a login banner printed on stdout), if any. */
  preamble: string;
}

const MAX_PREAMBLE = 4096;
/** PID_MAX_LIMIT: the kernel never hands out a pid above 2^22. */
export const PID_MAX = 4194304;

export function probeError(host: string, message: string, hint?: string): IpcErrorInfo {
  return {
    code: 'EPARSE',
    syscall: 'ssh',
    op: 'probe',
    message: `${host}: ${message}`,
    hint: hint ??
      'The host did not answer with a complete IPC Explorer probe document. Check that `sh` on the host is a ' +
        'POSIX shell and that nothing (a forced command, a profile script) replaces or decorates the output. ' +
        (hintFor('EPARSE') ?? ''),
  };
}

export function snippet(s: string, n = 80): string {
  const t = s.length > n ? s.slice(0, n) + '...' : s;
  return JSON.stringify(t);
}

/** Splits a `@@<format> <version>` ... `@@end` document into its sections. */
export function splitDocument(text: string, format: string, version: number, host: string): ProbeResult<ProbeDocument> {
  if (text.length === 0) return { ok: false, error: probeError(host, 'the host sent nothing (empty output)') };
  const header = `@@${format} `;
  let start: number;
  if (text.startsWith(header)) start = 0;
  else {
    const i = text.indexOf('\n' + header);
    if (i < 0 || i > MAX_PREAMBLE) {
      return { ok: false, error: probeError(host, `the output is not an ${format} document; it starts with ${snippet(text)}`) };
    }
    start = i + 1;
  }
  const preamble = text.slice(0, start);
  const lines = text.slice(start).split('\n');
  const v = lines[0].slice(header.length).trim();
  if (!/^\d+$/.test(v)) return { ok: false, error: probeError(host, `malformed header ${snippet(lines[0])}`) };
  if (Number(v) !== version) {
    return { ok: false, error: probeError(host, `probe document version ${v}, this IPC Explorer reads version ${version}`) };
  }
  const sections = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  let ended = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('@@')) {
      if (name !== undefined) sections.set(name, body.join('\n'));
      name = undefined;
      body = [];
      if (line === '@@end') {
        ended = true;
        const rest = lines.slice(i + 1).join('\n').trim();
        if (rest.length) return { ok: false, error: probeError(host, `unexpected output after @@end: ${snippet(rest)}`) };
        break;
      }
      const m = /^@@section ([A-Za-z0-9_. -]{1,64})$/.exec(line);
      if (m) {
        name = m[1];
        if (sections.has(name)) return { ok: false, error: probeError(host, `section "${name}" appears twice`) };
        continue;
      }
      if (line.startsWith('@@error ') || line.startsWith('@@result ')) {
        // kept as the first line of the (anonymous) body so callers see it
        name = `${line}#${i}`;
        continue;
      }
      return { ok: false, error: probeError(host, `unknown directive ${snippet(line)} on line ${i + 1}`) };
    }
    if (name === undefined) {
      if (line.trim() === '') continue;
      return { ok: false, error: probeError(host, `text outside any section on line ${i + 1}: ${snippet(line)}`) };
    }
    body.push(line);
  }
  if (!ended) {
    return {
      ok: false,
      error: probeError(host, `the output was cut short (no @@end after ${lines.length} lines${name ? `, inside section "${name}"` : ''})`,
        'The connection dropped or the host stopped the probe before it finished (sshd stopped, a timeout, a full disk ' +
          'or a killed shell on the host). Refresh to try again.'),
    };
  }
  return { ok: true, value: { format, version, sections, preamble } };
}

export function need(doc: ProbeDocument, host: string, name: string): ProbeResult<string> {
  const s = doc.sections.get(name);
  if (s === undefined) return { ok: false, error: probeError(host, `the probe output lacks section "${name}"`) };
  return { ok: true, value: s };
}

export function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/**
 * The first line as a whole number, or undefined: every section read with it holds a count, a pid, a uid, a
 * size or a time, never a negative one; and a number no Number holds exactly (400 digits: Infinity) is none.
 */
export function intOf(s: string | undefined): number | undefined {
  return wholeDecimal(firstLine(s));
}

/** Any line `@@error ...` the script put in a section instead of the file's contents. */
export function sectionError(body: string): string | undefined {
  const l = body.split('\n').find((x) => x.startsWith('@@error '));
  return l?.slice(8);
}


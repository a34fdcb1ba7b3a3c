/**
 * Messages between the futex visualizer webview and its host (extension/webviews/futexPanel.ts). One union
 * per direction. The webview is untrusted input: the host accepts only what `isFutexWebviewToHost` passes.
 * The model checker itself runs inside the webview (pure TS); the host only supplies a starting scenario
 * (a built-in, or a live named semaphore read from the snapshot) and re-reads the live semaphore on request.
 */
import type { ModelId, Scenario } from './futexScenario';

export const FUTEX_PROTOCOL_VERSION = 1;

/** Where a live starting state came from, so the webview can offer "refresh". */
export interface LiveSource {
  /** the semaphore's name as sem_open takes it, e.g. '/orders'. */
  name: string;
  /** 'local' or an SSH host. */
  host: string;
  value: number;
  nwaiters: number;
  /** when the host read it (ms since the epoch). */
  readAt: number;
  /** the glibc release of the machine holding the semaphore (gnu_get_libc_version on this machine, `getconf
   *  GNU_LIBC_VERSION` on an SSH host, e.g. '2.36'); absent when not known or not glibc. */
  glibc?: string;
  /** without `glibc`: what is known instead ("not glibc (musl)", why the release is not known). */
  libcNote?: string;
}

export type FutexHostToWebview =
  /** the starting scenario: a built-in id to open, or a full scenario (live semaphore); after every `ready`. */
  | { type: 'open'; scenarioId?: string; scenario?: Scenario; model?: ModelId; live?: LiveSource }
  /** a failed refresh of the live semaphore (vanished, unreadable ...). */
  | { type: 'error'; message: string };

export type FutexWebviewToHost =
  | { type: 'ready'; protocol: typeof FUTEX_PROTOCOL_VERSION }
  /** re-read the live semaphore this panel was opened with. */
  | { type: 'refreshLive' }
  /** save the sequence diagram: the host asks where (a save dialog), then writes `svg` there. */
  | { type: 'saveSvg'; name: string; svg: string };

/** Largest SVG the host writes (a 2,000-step history draws well under this). */
export const MAX_SVG_BYTES = 8 * 1024 * 1024;

/** The namespaces an exported diagram may declare: SVG's and XLink's (an XHTML element is live HTML anywhere). */
const SVG_EXPORT_NAMESPACES: ReadonlySet<string> = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']);

/**
 * One start tag as XML writes it: a name, then attributes each with a quoted value (which XML forbids to hold
 * `<`). No part after the `<` matches a `<`, so the tags found from every `<` of a document take linear time.
 */
const START_TAG = /<([^\s<>"'=/!?]+)((?:\s+[^\s<>"'=/]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*\/?>/y;
const TAG_ATTRIBUTE = /([^\s<>"'=/]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g;

/** Text with XML's numeric character references (`&#106;`, `&#x9;`) resolved, as the parser reads it. */
function withCharRefs(s: string): string {
  return s.replace(/&#(?:x([0-9a-f]+)|([0-9]+));/gi, (_, hex: string | undefined, dec: string | undefined) => {
    const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}

/**
 * Every start tag of the document is well-formed and harmless: not a script or foreignObject element under any
 * prefix, no event-handler attribute, no namespace but SVG's and XLink's (so no XHTML element). A `<` that
 * starts no well-formed tag (other than `</`, `<!`, `<?`) is refused: a browser would stop at it anyway.
 */
function svgTagsAreSafe(svg: string): boolean {
  for (let i = svg.indexOf('<'); i >= 0; i = svg.indexOf('<', i + 1)) {
    const next = svg[i + 1];
    if (next === '/' || next === '!' || next === '?') continue;
    START_TAG.lastIndex = i;
    const tag = START_TAG.exec(svg);
    if (!tag) return false;
    const element = tag[1]!;
    if (/^(?:script|foreignObject)$/i.test(element.slice(element.lastIndexOf(':') + 1))) return false;
    for (const a of tag[2]!.matchAll(TAG_ATTRIBUTE)) {
      const attribute = a[1]!;
      if (/^on/i.test(attribute.slice(attribute.lastIndexOf(':') + 1))) return false;
      if ((attribute === 'xmlns' || attribute.startsWith('xmlns:')) && !SVG_EXPORT_NAMESPACES.has(withCharRefs(a[2] ?? a[3] ?? ''))) return false;
    }
  }
  return true;
}

/**
 * An exported diagram: a file name without a path, and an SVG document that can carry no script (the file
 * may be opened in a browser later): no <script> or <foreignObject> (under any prefix), no XHTML elements,
 * no event-handler attributes, no javascript: URLs (character references and the tabs and line breaks a URL
 * parser drops included), no DTDs or entities. Takes time linear in the document.
 */
export function isSafeSvgExport(name: unknown, svg: unknown): boolean {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,119}\.svg$/.test(name)) return false;
  if (typeof svg !== 'string' || svg.length > MAX_SVG_BYTES || !/^<svg[\s>]/.test(svg)) return false;
  if (/<script\b|<foreignObject\b|<!DOCTYPE|<!ENTITY/i.test(svg)) return false;
  if (/javascript:/i.test(withCharRefs(svg).replace(/[\t\n\r]/g, ''))) return false;
  return svgTagsAreSafe(svg);
}

/** Strict guard for messages from the webview: exact keys, exact types, nothing else. */
export function isFutexWebviewToHost(x: unknown): x is FutexWebviewToHost {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  switch (o.type) {
    case 'ready':
      return keys === 'protocol,type' && o.protocol === FUTEX_PROTOCOL_VERSION;
    case 'refreshLive':
      return keys === 'type';
    case 'saveSvg':
      return keys === 'name,svg,type' && isSafeSvgExport(o.name, o.svg);
    default:
      return false;
  }
}

const HOST_TYPES: ReadonlySet<string> = new Set(['open', 'error'] satisfies FutexHostToWebview['type'][]);

/** Shape check on the webview side (the host is trusted, but stray window messages are ignored). */
export function isFutexHostToWebview(x: unknown): x is FutexHostToWebview {
  return typeof x === 'object' && x !== null && HOST_TYPES.has((x as { type?: unknown }).type as string);
}

/**
 * The visualizer's protocol for the host's webview controller (extension/webviews/webviewController.ts):
 * its name in the log, the guard on the page's messages, and a newer `open` replacing a held older one.
 */
export const FUTEX_PROTOCOL = {
  name: 'futex visualizer',
  isWebviewToHost: isFutexWebviewToHost,
  supersedes: (older: FutexHostToWebview, newer: FutexHostToWebview): boolean => older.type === 'open' && newer.type === 'open',
};

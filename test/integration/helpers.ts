// Helpers for integration suite files (TypeScript, compiled into out/integration by
// tools/build-integration-tests.mjs, run in the VS Code extension host; see README.md here).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { HostState, IpcExplorerTestApi, RecycleConfirmation, Shown, TestTreeNode, VerdictOptions } from '../../extension/testApi';
import type { IpcSnapshot, Verdict } from '../../extension/shared/model';

export { vscode };
export type { IpcExplorerTestApi, RecycleConfirmation, Shown, TestTreeNode };
export const EXTENSION_ID = 'ipc-explorer.ipc-explorer';
/** the repository (this file runs from out/integration/, at the same depth as test/integration/) */
export const root = path.resolve(__dirname, '..', '..');
export const artifacts = process.env['IPCX_TEST_ARTIFACTS'] || path.join(root, 'test-artifacts');

/** IPC Explorer as this VS Code has it (asserted installed). */
export function extension(): vscode.Extension<IpcExplorerTestApi> {
  const ext = vscode.extensions.getExtension<IpcExplorerTestApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in this VS Code`);
  return ext;
}

/** Activates IPC Explorer (if needed) and returns what activate() returned: the test API (extension/testApi.ts). */
export async function activateExtension(): Promise<IpcExplorerTestApi> {
  const api = await extension().activate();
  assert.ok(api && typeof api.host === 'function', 'activate() returns the test API (extension/testApi.ts)');
  return api;
}

/** A host's state (asserted: the store knows the host). */
export function stateOf(api: IpcExplorerTestApi, host = 'local'): HostState {
  const st = api.host(host);
  assert.ok(st, `the store has a host ${host}`);
  return st;
}

/** A host's current snapshot (asserted: there is one; the message carries the host's error otherwise). */
export function snapshotOf(api: IpcExplorerTestApi, host = 'local'): IpcSnapshot {
  const st = stateOf(api, host);
  assert.ok(st.snapshot, `a snapshot of ${host}${st.error ? ` (error: ${st.error.message})` : ''}`);
  return st.snapshot;
}

/** An object's verdict (asserted: the host's verdicts have the object). */
export function verdictOf(api: IpcExplorerTestApi, host: string, ref: string): Verdict {
  const v = api.verdict(host, ref);
  assert.ok(v, `a verdict for ${ref} on ${host}`);
  return v;
}

/**
 * A tree row's TreeItem as the person reads it, with the union types VS Code allows narrowed to what the
 * objects tree uses: a string label and description, a tooltip's text (markdown or plain), a ThemeIcon's id
 * and colour ('' when there is none).
 */
export interface Row {
  label: string;
  description: string;
  contextValue: string;
  tooltip: { value: string };
  iconPath: { id: string; color: { id: string } };
  resourceUri: vscode.Uri | undefined;
  collapsibleState: vscode.TreeItemCollapsibleState | undefined;
  /** the TreeItem itself */
  item: vscode.TreeItem;
}

export function row(api: IpcExplorerTestApi, node: TestTreeNode): Row {
  const item = api.tree.item(node);
  const l = item.label;
  const t = item.tooltip;
  const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath : undefined;
  return {
    label: typeof l === 'string' ? l : l?.label ?? '',
    description: typeof item.description === 'string' ? item.description : '',
    contextValue: item.contextValue ?? '',
    tooltip: { value: typeof t === 'string' ? t : t?.value ?? '' },
    iconPath: { id: icon?.id ?? '', color: { id: icon?.color?.id ?? '' } },
    resourceUri: item.resourceUri,
    collapsibleState: item.collapsibleState,
    item,
  };
}

/** The stand-ins for the person at modal dialogs (asserted: VS Code runs the extension in extension mode Test). */
export function testHooks(api: IpcExplorerTestApi): NonNullable<IpcExplorerTestApi['testHooks']> {
  assert.ok(api.testHooks, 'the test API has its hooks in extension mode Test');
  return api.testHooks;
}

/** The document of the active editor (asserted: there is one). */
export function activeDocument(): vscode.TextDocument {
  const ed = vscode.window.activeTextEditor;
  assert.ok(ed, 'an active editor');
  return ed.document;
}

/** The parts of the extension's package.json the tests read (contributes). */
export interface Manifest {
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string; group?: string; when?: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
  };
}

/** The extension's package.json as VS Code read it. */
export function packageJSON(): Manifest {
  return extension().packageJSON as Manifest;
}

/**
 * Throws unless this process is in a private IPC namespace: one other than the runner's (the runner starts
 * the VS Code server with `unshare --ipc` and passes its own namespace as IPCX_HOST_IPC_NS) and other than
 * pid 1's when that is readable (in some sandboxes /proc/1/ns is EACCES even for root).
 */
export function assertPrivateIpcNamespace(): void {
  const mine = fs.readlinkSync('/proc/self/ns/ipc');
  const outer = process.env['IPCX_HOST_IPC_NS'];
  let init: string | undefined;
  try { init = fs.readlinkSync('/proc/1/ns/ipc'); } catch { init = undefined; }
  if (!outer && !init) throw new Error('cannot tell whether this IPC namespace is private: run the suite through test/integration/runTest.js');
  // ipc:[4026531839] is the kernel's initial IPC namespace (PROC_IPC_INIT_INO)
  if (mine === outer || mine === init || mine === 'ipc:[4026531839]') {
    throw new Error('refusing to create IPC objects in the host namespace: run the suite through test/integration/runTest.js');
  }
}

/**
 * Changes verdict options for a test on top of what the features set (settings, the recycle feature's owner
 * evidence and `ownPids`), e.g. `{ minOrphanAgeSeconds: 0, recentActivitySeconds: 0 }`. Returns the function
 * that restores the previous options: call it in `after()` (later suites share the extension).
 */
export function patchVerdictOptions(api: IpcExplorerTestApi, patch: Partial<VerdictOptions>): () => void {
  return api.verdicts.patch(patch);
}

/**
 * Compiles one C source with `flags` into test-artifacts/bin/HASH/NAME (the hash covers the source, the flags and
 * gcc's version) and returns the path: an edited source or changed flags always rebuild, and nothing is put at a
 * predictable path in a shared directory such as /tmp, where another user could plant a file for root to run.
 */
export function compileC(src: string, name: string, flags: string[]): string {
  const gcc = spawnSync('gcc', ['-dumpfullversion', '-dumpversion'], { encoding: 'utf8' });
  if (gcc.error) throw new Error(`cannot run gcc: ${gcc.error.message}`);
  const hash = crypto.createHash('sha256').update(`${gcc.stdout.trim()}\0${name}\0${flags.join('\0')}\0`).update(fs.readFileSync(src)).digest('hex').slice(0, 16);
  const out = path.join(root, 'test-artifacts', 'bin', hash, name);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    const r = spawnSync('gcc', [...flags, '-o', tmp, src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc ${path.basename(src)} failed: ${r.stderr}`);
    fs.renameSync(tmp, out);
  }
  return out;
}

let ipcobjPath: string | undefined;
/** Compiles test/integration/fixtures/ipcobj.c once per run and returns the binary's path (comm: ipcobj-<hash>). */
export function ipcobjBinary(): string {
  if (ipcobjPath) return ipcobjPath;
  const src = path.join(root, 'test', 'integration', 'fixtures', 'ipcobj.c');
  const hash = crypto.createHash('sha1').update(fs.readFileSync(src)).digest('hex').slice(0, 8);
  ipcobjPath = compileC(src, `ipcobj-${hash}`, ['-O1', '-Wall', '-pthread']);
  return ipcobjPath;
}

function ipcobj(...args: (string | number)[]): string {
  assertPrivateIpcNamespace();
  const r = spawnSync(ipcobjBinary(), args.map(String), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipcobj ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Known objects. Keys are numbers (0 = IPC_PRIVATE); returns the kernel id. */
export const make = {
  /** values given: SETALL from a process that exits, so every sempid is a dead pid */
  semSet: ({ key, nsems, mode = 0o600, values }: { key: number; nsems: number; mode?: number; values?: number[] }): number =>
    Number(ipcobj('sem', key, nsems, mode, ...(values || []))),
  shm: ({ key, size, mode = 0o600 }: { key: number; size: number; mode?: number }): number => Number(ipcobj('shm', key, size, mode)),
  msgQueue: ({ key, mode = 0o600 }: { key: number; mode?: number }): number => Number(ipcobj('msg', key, mode)),
  /** n IPC_PRIVATE sets of nsems each (one process: fast enough for thousands) */
  manySemSets: ({ n, nsems = 1 }: { n: number; nsems?: number }): number => Number(ipcobj('many', n, nsems)),
  posixSem: ({ name, value = 0 }: { name: string; value?: number }): string => { ipcobj('psem', name, value); return name; },
  posixShm: ({ name, size }: { name: string; size: number }): string => { ipcobj('pshm', name, size); return name; },
};

const started: ChildProcess[] = [];
/** Starts a long-lived helper (attach-shm ID | wait-sem ID SEMNUM); resolves once it is in place. */
export function startHolder(...args: (string | number)[]): Promise<ChildProcess & { pid: number }> {
  assertPrivateIpcNamespace();
  const child = spawn(ipcobjBinary(), args.map(String), { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const { pid } = child;
  if (pid === undefined) throw new Error(`ipcobj ${args.join(' ')} did not start`);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d; if (out.includes('ready')) setTimeout(() => resolve(Object.assign(child, { pid })), 100); });
    child.on('exit', (c) => reject(new Error(`ipcobj ${args.join(' ')} exited ${c}`)));
  });
}
/** Ends every helper this suite started (by its own pid). */
export function stopHolders(): void {
  for (const c of started.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
}

/** ipcrm by id: kind 'sem' | 'shm' | 'msg'. */
export function removeSysv(kind: 'sem' | 'shm' | 'msg', id: number): void {
  assertPrivateIpcNamespace();
  const flag = { sem: '-s', shm: '-m', msg: '-q' }[kind];
  const r = spawnSync('ipcrm', [flag, String(id)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipcrm ${flag} ${id}: ${r.stderr}`);
}

/** Removes every System V object and /dev/shm file of this private namespace (between suites). */
export function removeAllObjects(): void {
  assertPrivateIpcNamespace();
  spawnSync('ipcrm', ['--all'], { encoding: 'utf8' });
  for (const f of fs.readdirSync('/dev/shm')) fs.rmSync(path.join('/dev/shm', f), { force: true, recursive: true });
}

/** Rows of /proc/sysvipc/<kind> as objects keyed by the header names. */
export function procRows(kind: 'sem' | 'shm' | 'msg'): Record<string, number>[] {
  const [head, ...rows] = fs.readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n');
  const cols = head.trim().split(/\s+/);
  return rows.map((l) => Object.fromEntries(l.trim().split(/\s+/).map((v, i) => [cols[i], Number(v)])));
}

let seq = 0;

/** which frames a bridge request looks in: the workbench, the webviews' iframes, or both */
export type BridgeFrame = 'workbench' | 'webview' | 'any';
/** a rectangle in the page's CSS pixels */
export interface Box { x: number; y: number; width: number; height: number }
/** one element a `query` matched */
export interface QueryItem {
  text: string;
  ariaLabel: string | null;
  title: string | null;
  className: string;
  ariaExpanded: string | null;
  value: string | null;
  /** an <img> that loaded has one */
  naturalWidth: number | null;
  html: string;
}
interface Answer { ok: boolean; error?: string }
/** The runner's operations (tools/vscode-server/run-ext-tests.js): what each takes and answers. */
export interface BridgeOps {
  /** PNG of the whole window, one element of the workbench, or a clip of it */
  screenshot: { args: { path: string; selector?: string; clip?: Box }; answer: Answer & { path?: string } };
  /** text and attributes of the matching elements (the first frame with a match) */
  query: { args: { selector: string; frame?: BridgeFrame; limit?: number }; answer: Answer & { found: boolean; count: number; items: QueryItem[] } };
  /** clicks the first (visible) match; `button: 'right'` opens a context menu */
  click: { args: { selector: string; frame?: BridgeFrame; double?: boolean; button?: 'right' }; answer: Answer };
  keys: { args: { keys: string[] }; answer: Answer };
  /** bounding boxes of the matches */
  bbox: { args: { selector: string; frame?: BridgeFrame }; answer: Answer & { found: boolean; boxes: Box[] } };
  /** drags the side bar's sash to `width` */
  resizeSidebar: { args: { width: number }; answer: Answer & { width?: number } };
  /** text contrast (WCAG ratio) of every visible text under the matches; `low`: those under `min` */
  contrast: {
    args: { selector: string; frame?: BridgeFrame; min?: number };
    answer: Answer & { checked: number; skipped: number; min?: number; low: { text: string; ratio: number; fg: string; bg: string; cls: string }[]; unparsed: string[] };
  };
  /** computed style properties of the matches (of a pseudo-element with `pseudo`) */
  styles: { args: { selector: string; frame?: BridgeFrame; pseudo?: string; props: string[] }; answer: Answer & { found: boolean; items: Record<string, string>[] } };
}

/**
 * Asks the runner (outside VS Code, it drives Chromium) to do something with the window (BridgeOps):
 *   bridge('screenshot', { path, selector? })     PNG of the workbench (or one element)
 *   bridge('query', { selector, frame: 'workbench'|'webview'|'any' })  -> { found, count, items: [{text, ariaLabel, ...}] }
 *   bridge('click', { selector, frame?, double? })
 *   bridge('keys', { keys: ['Escape'] })
 */
export async function bridge<K extends keyof BridgeOps>(op: K, args: BridgeOps[K]['args'], timeoutMs = 20000): Promise<BridgeOps[K]['answer']> {
  const dir = process.env['IPCX_TEST_BRIDGE_DIR'];
  if (!dir) throw new Error('no IPCX_TEST_BRIDGE_DIR: not running under tools/vscode-server/run-ext-tests.js');
  const id = `${process.pid}-${Date.now()}-${seq++}`;
  const tmp = path.join(dir, `.req-${id}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify({ op, ...args }));
  fs.renameSync(tmp, path.join(dir, `req-${id}.json`));
  const res = path.join(dir, `res-${id}.json`);
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(res)) {
    if (Date.now() > deadline) throw new Error(`bridge ${op}: no answer in ${timeoutMs} ms`);
    await sleep(50);
  }
  const answer = JSON.parse(fs.readFileSync(res, 'utf8'));
  fs.unlinkSync(res);
  return answer;
}

/** Saves a PNG of the whole window as test-artifacts/<name>.png and returns its path. */
export async function screenshot(name: string, selector?: string): Promise<string> {
  const file = path.join(artifacts, `${name}.png`);
  const r = await bridge('screenshot', { path: file, selector });
  if (!r.ok) throw new Error(`screenshot ${name}: ${r.error}`);
  return file;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** what `waitFor` returns: the value without its falsy alternatives */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Polls fn until it returns a truthy value (returned) or the time is up (throws with `what`). */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10000, intervalMs = 100): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try { last = await fn(); } catch (e) { last = undefined; if (Date.now() > deadline) throw e; }
    if (last) return last as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

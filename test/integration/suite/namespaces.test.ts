// The machine's IPC namespaces in the real VS Code tree: two namespaces made here with
// `unshare --ipc --mount --pid --fork` (each with its own semaphore limits, its own tmpfs /dev/shm of a chosen
// size, its own objects and a holder process), listed under the local host with their counts and worst limit;
// Recycle Orphans run on one namespace's row (the guarded flow, the modal stand-in) removes that namespace's
// orphan only, and the modal and the audit log name the namespace; a namespace whose processes exit after
// discovery is an error row for itself only; a screenshot of the workbench is kept.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { AuditRecord, RecycleResult } from '../../../extension/testApi';
import * as h from '../helpers';
import { vscode } from '../helpers';

// runs inside the new namespaces: positional parameters only, no text of ours is spliced into the script
const SCRIPT = [
  'set -e',
  'mount --make-rprivate /',
  'mount -t tmpfs -o "size=$1,mode=1777" tmpfs /dev/shm',
  'echo "$2" > /proc/sys/kernel/sem',
  '"$3" sem 0 3 0600 1 1 1 >/dev/null',
  'if [ "$4" = 1 ]; then "$3" msg 0 0600 >/dev/null; fi',
  'if [ "$5" = 1 ]; then "$3" shm 0 65536 0600 >/dev/null; fi',
  'dd if=/dev/zero of=/dev/shm/blob bs=1M count="$6" status=none',
  'echo READY',
  'exec sleep 100000',
].join('\n');

function childrenOf(pid: number | undefined): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A namespace of our own: its unshare (child process), its holder's pid, its `ipc:[N]`, and end(). */
interface Namespace { unshare: ChildProcess; pid: number; ns: string; end(): Promise<void> }
async function makeNamespace({ shmSize, sem, queue, shm, blobMiB }: { shmSize: string; sem: string; queue: boolean; shm: boolean; blobMiB: number }): Promise<Namespace> {
  const args = ['--ipc', '--mount', '--pid', '--fork', '--', 'sh', '-c', SCRIPT, 'ns', shmSize, sem, h.ipcobjBinary(), queue ? '1' : '0', shm ? '1' : '0', String(blobMiB)];
  const unshare = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  unshare.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<void>((resolve) => unshare.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    unshare.stdout.on('data', (d: Buffer) => { out += d; if (out.includes('READY')) resolve(); });
    unshare.once('exit', (code) => reject(new Error(`unshare exited ${code} before READY: ${err}`)));
  });
  const pid = await h.waitFor(() => childrenOf(unshare.pid)[0], 'the holder under unshare', 5000, 5);
  const ns = fs.readlinkSync(`/proc/${pid}/ns/ipc`);
  return {
    unshare, pid, ns,
    async end() {
      // our own processes, by pid: the holder (pid 1 inside) ends the namespace's pid namespace, unshare follows
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      await exited;
    },
  };
}

/** `ipcs` run inside a namespace by nsenter: an independent view of what it holds. */
function ipcsIn(pid: number, flag: string): string {
  const r = spawnSync('nsenter', ['-t', String(pid), '-i', 'ipcs', flag], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('namespaces: the machine\'s IPC namespaces in the tree', function () {
  this.timeout(120000);
  let api: h.IpcExplorerTestApi;
  let provider: h.IpcExplorerTestApi['tree'];
  let a: Namespace | undefined;
  let b: Namespace | undefined;
  const asked: h.RecycleConfirmation[] = [];
  const cfg = (s: string) => vscode.workspace.getConfiguration(s);
  const saved: Record<string, [string, string, unknown]> = {};
  let sideWidth: number | undefined;
  const item = (n: h.TestTreeNode | undefined): h.Row => {
    assert.ok(n, 'the row is in the tree');
    return h.row(api, n);
  };
  const label = (n: h.TestTreeNode | undefined): string => item(n).label;
  /** the namespaces made in before() */
  const made = (): [Namespace, Namespace] => {
    assert.ok(a && b, 'both namespaces were made');
    return [a, b];
  };
  const nsRow = async (hostOrNs: string): Promise<h.TestTreeNode> => {
    const n = await provider.namespaceNode(hostOrNs);
    assert.ok(n, `the row of ${hostOrNs}`);
    return n;
  };

  before(async function () {
    h.assertPrivateIpcNamespace();
    h.removeAllObjects();
    api = await h.activateExtension();
    provider = api.tree;
    h.testHooks(api).setRecycleConfirm((c) => { asked.push(c); return true; });
    for (const [s, k, v] of [
      ['ipcExplorer.recycle', 'minOrphanAgeSeconds', 0], ['ipcExplorer.recycle', 'recentActivitySeconds', 0],
      ['ipcExplorer.recycle', 'recycleUnrecognized', true], ['ipcExplorer', 'namespaces.enabled', true],
    ] as const) {
      saved[`${s}.${k}`] = [s, k, cfg(s).inspect(k)?.globalValue];
      await cfg(s).update(k, v, vscode.ConfigurationTarget.Global);
    }
    // alpha: SEMMNI 8 (1 set: 12.5 %), 2 MiB of an 8 MiB /dev/shm (25 %: its worst); beta: SEMMNI 4 (25 %), a queue and a segment,
    // 3 MiB of a 4 MiB /dev/shm (75 %: its worst)
    a = await makeNamespace({ shmSize: '8m', sem: '250 32000 32 8', queue: false, shm: false, blobMiB: 2 });
    b = await makeNamespace({ shmSize: '4m', sem: '250 32000 32 4', queue: true, shm: true, blobMiB: 3 });
    await vscode.commands.executeCommand('ipcExplorer.refresh');
  });

  after(async function () {
    h.testHooks(api).setRecycleConfirm(undefined);
    for (const x of [a, b]) if (x) await x.end();
    for (const [s, k, v] of Object.values(saved)) await cfg(s).update(k, v, vscode.ConfigurationTarget.Global);
    // the side bar back to its width: a narrow editor hides the Settings editor's table of contents later on
    if (sideWidth) await h.bridge('resizeSidebar', { width: sideWidth });
    await vscode.commands.executeCommand('ipcExplorer.refresh');
  });

  it('lists both namespaces under the local host, the machine\'s own first, with their counts and worst limit', async function () {
    const [local] = await provider.children();
    assert.equal(label(local), 'local');
    const rows = (await provider.children(local)).filter((n) => !item(n).contextValue.startsWith('message'));
    const nsOf = (n: h.TestTreeNode) => n.entry && n.entry.info.ns;
    const [a, b] = made();
    assert.ok(rows.length >= 3, `the host's namespace, ours and the two made: ${rows.map(label).join(' | ')}`);
    // the machine's own first (when discovery can tell it), marked; the extension's own namespace marked
    if (rows[0]?.entry?.info.initial) {
      assert.equal(label(rows[0]), 'host');
      assert.match(item(rows[0]).description, /machine's own/);
    }
    const own = rows.find((n) => n.entry?.info.own);
    assert.ok(own, 'the namespace IPC Explorer runs in is listed');
    assert.equal(own.entry?.info.ns, fs.readlinkSync('/proc/self/ns/ipc'));
    assert.match(item(own).description, /IPC Explorer runs here/);
    assert.ok(rows.indexOf(own) <= 1, 'the own namespace comes right after the machine\'s');

    const rowA = rows.find((n) => nsOf(n) === a.ns);
    const rowB = rows.find((n) => nsOf(n) === b.ns);
    assert.ok(rowA && rowB, `both made namespaces are rows: ${rows.map((n) => `${nsOf(n)} ${label(n)}`).join(' | ')}`);
    assert.equal(item(rowA).contextValue, 'host.namespace');
    // the counts and the worst limit are each namespace's own (its SEMMNI, its /dev/shm)
    assert.equal(item(rowA).description, '1 sem · 0 shm · 0 msg · 1 POSIX · worst /dev/shm 25 %');
    assert.equal(item(rowB).description, '1 sem · 1 shm · 1 msg · 1 POSIX · worst /dev/shm 75 %');
    assert.match(label(rowA), /unshare/, 'named by its main process (no container runtime here)');
    const rowsOf = async (n: h.TestTreeNode) => (await provider.children(n)).filter((k) => !item(k).contextValue.startsWith('message')).map(label);
    assert.deepEqual(await rowsOf(rowB), [
      'Semaphore sets 1/4', 'Shared memory 1/4,096', 'Message queues 1/32,000', 'POSIX semaphores 0', 'POSIX shared memory 1', 'Limits',
    ]);
    const kidsA = await rowsOf(rowA);
    assert.ok(kidsA.includes('Semaphore sets 1/8'), kidsA.join(' | '));
    // the tooltip names the main process and the namespace's own /dev/shm
    // (markdown-escaped: the names and command lines are the namespace's text)
    const tip = item(rowB).tooltip.value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
    assert.ok(tip.includes(b.ns) && /\/dev\/shm: 3 MiB of 4 MiB/.test(tip) && tip.includes(`main process: ${b.unshare.pid} (unshare)`), tip);
  });

  it('shows them in the workbench (DOM), and a screenshot is kept', async function () {
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    sideWidth = (await h.bridge('bbox', { selector: '.part.sidebar' })).boxes[0]?.width;
    await h.bridge('resizeSidebar', { width: 700 });
    await vscode.commands.executeCommand('notifications.clearAll');
    for (const x of made()) {
      const n = await nsRow(x.ns);
      await api.tree.reveal(n, { select: false, focus: false, expand: true });
    }
    let last = '';
    const rows = await h.waitFor(async () => {
      const r = await h.bridge('query', { selector: '.monaco-list-row', frame: 'workbench' });
      const t = (last = r.items.map((i) => i.text).join('\n'));
      // (a row's text is its label and description without a space between them)
      return /worst \/dev\/shm 75 %/.test(t) && t.includes('Semaphore sets 1/43/32,000 semaphores') && t.includes('Semaphore sets 1/83/32,000 semaphores') && r;
    }, 'both namespaces and their kinds in the DOM', 15000).catch(async (e: Error) => {
      await h.screenshot('namespaces-tree-failed');
      throw new Error(`${e.message}; the rows:\n${last}`);
    });
    assert.ok(rows.items.some((i) => /worst \/dev\/shm 25 %/.test(i.text)), rows.items.map((i) => i.text).join('\n'));
    const file = await h.screenshot('namespaces-tree');
    assert.ok(fs.statSync(file).size > 10000, 'a real PNG');
    console.log(`    screenshot: ${file}`);
  });

  it('Recycle Orphans on one namespace removes its orphan only; the modal and the audit log name it', async function () {
    // the same id (0) exists in both made namespaces: only alpha's may go
    const [a, b] = made();
    assert.match(ipcsIn(a.pid, '-s'), /^0x00000000 0\s/m);
    assert.match(ipcsIn(b.pid, '-s'), /^0x00000000 0\s/m);
    const rowA = await nsRow(a.ns);
    const host = rowA.host;
    assert.ok(host.includes(a.ns), host);
    const r = await vscode.commands.executeCommand<RecycleResult | undefined>('ipcExplorer.recycleOrphans', rowA);
    assert.ok(r && r.report, 'a recycle ran');
    assert.deepEqual(r.plan.candidates.map((c) => c.ref), ['sem:0']);
    assert.equal(r.report.removed, 1);
    const modal = asked.at(-1);
    assert.ok(modal, 'the modal was answered');
    assert.equal(modal.host, host);
    assert.ok(modal.summary.includes(a.ns), `the modal names the namespace: ${modal.summary}`);
    assert.doesNotMatch(ipcsIn(a.pid, '-s'), /^0x00000000 0\s/m, 'alpha\'s set is gone');
    assert.match(ipcsIn(b.pid, '-s'), /^0x00000000 0\s/m, 'beta\'s set of the same id is still there');
    const auditFile = api.auditLogPath;
    const audit = fs.readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    const removed = audit.filter((x) => x.action === 'removed' && x.host === host);
    assert.equal(removed.length, 1, 'one removal recorded under the namespace');
    assert.equal(removed[0]?.object.kind === 'sem' ? removed[0].object.id : undefined, 0);
  });

  it('a namespace whose processes exit after discovery is an error row for itself only', async function () {
    const [a, b0] = made();
    const rowB = await nsRow(b0.ns);
    const hostB = rowB.host;
    await b0.end();
    b = undefined;
    // discovery saw it; its snapshot is read after its last process exited
    await api.refresh(hostB);
    await api.refresh((await nsRow(a.ns)).host);
    const again = await nsRow(hostB);
    assert.match(item(again).description, /error: ENOENT/);
    const kids = await provider.children(again);
    assert.match(label(kids[0]), /refresh failed.*ENOENT/);
    const rowA = await nsRow(a.ns);
    assert.doesNotMatch(item(rowA).description, /error/);
    assert.equal(h.stateOf(api, rowA.host).error, undefined);
    // the next discovery drops it
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    assert.equal(await provider.namespaceNode(hostB), undefined);
  });
});

describe('namespaces: the dashboard\'s "Shared memory and semaphores by container" in the real VS Code', function () {
  this.timeout(120000);
  let api: h.IpcExplorerTestApi;
  let a: Namespace | undefined;
  let b: Namespace | undefined;
  const cfg = () => vscode.workspace.getConfiguration('ipcExplorer');
  let saved: unknown;
  const q = (selector: string) => h.bridge('query', { selector, frame: 'webview' });

  before(async function () {
    h.assertPrivateIpcNamespace();
    api = await h.activateExtension();
    saved = cfg().inspect('namespaces.enabled')?.globalValue;
    await cfg().update('namespaces.enabled', true, vscode.ConfigurationTarget.Global);
    // gamma: SEMMNI 8 (1 set: 13 %), 2 MiB of an 8 MiB /dev/shm (25 %); delta: SEMMNI 4 (25 %), 3 MiB of 4 MiB (75 %)
    a = await makeNamespace({ shmSize: '8m', sem: '250 32000 32 8', queue: false, shm: false, blobMiB: 2 });
    b = await makeNamespace({ shmSize: '4m', sem: '250 32000 32 4', queue: true, shm: true, blobMiB: 3 });
    await vscode.commands.executeCommand('ipcExplorer.refresh');
  });

  after(async function () {
    for (const x of [a, b]) if (x) await x.end();
    await cfg().update('namespaces.enabled', saved, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('ipcExplorer.refresh');
  });

  it('one row per namespace, each with its bars against its own limits and /dev/shm; choosing one shows it; a screenshot', async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('ipcExplorer.openDashboard', { host: 'local' });
    assert.ok(a && b, 'both namespaces were made');
    const [na, nb] = [a, b];
    const rowSel = (ns: string) => `section.namespaces:not(.hidden) .ns-row[data-ns="${ns}"]`;
    await h.waitFor(async () => (await q(rowSel(na.ns))).found && (await q(rowSel(nb.ns))).found, 'both made namespaces in the per-container view', 30000)
      .catch(async (e: Error) => { await h.screenshot('namespaces-dashboard-failed'); throw e; });
    // one row per namespace the host lists (the machine's, ours, the made ones, other programs' on this machine)
    const listed = api.namespaces()?.entries.map((e) => e.info.ns);
    const rows = await q('section.namespaces .ns-row');
    assert.deepEqual(rows.items.map((r) => /data-ns="([^"]+)"/.exec(r.html)?.[1]), listed);
    // each row: semaphores, System V shared memory and /dev/shm, each against that namespace's own limit
    const bars = async (ns: string) => (await q(`${rowSel(ns)} .ns-bar`)).items.map((i) => [i.ariaLabel ?? '', /aria-valuenow="(\d+)"/.exec(i.html)?.[1]] as const);
    const barsA = await bars(na.ns);
    const barsB = await bars(nb.ns);
    console.log(`      gamma: ${JSON.stringify(barsA)}\n      delta: ${JSON.stringify(barsB)}`);
    assert.equal(barsA.length, 3);
    assert.equal(barsB.length, 3);
    assert.match(barsA[0][0], /: semaphores SEMMNI 1 \/ 8 13 %$/);
    assert.match(barsB[0][0], /: semaphores SEMMNI 1 \/ 4 25 %$/);
    assert.match(barsA[2][0], /: \/dev\/shm 2(\.0)? MiB \/ 8(\.0)? MiB 25 %$/);
    assert.match(barsB[2][0], /: \/dev\/shm 3(\.0)? MiB \/ 4(\.0)? MiB 75 %$/);
    assert.deepEqual([barsA[2][1], barsB[2][1]], ['25', '75']);
    // 75 % is below the one threshold table's warning (>= 80 %): both are ok-level bars
    const level = async (ns: string) => (await q(`${rowSel(ns)} .ns-bar[data-what="devShm"]`)).items[0].className;
    assert.deepEqual([await level(na.ns), await level(nb.ns)], ['ns-bar level-ok', 'ns-bar level-ok']);
    // choosing delta by its name: its row is the current one and the rest of the dashboard is delta's
    const click = await h.bridge('click', { selector: `${rowSel(nb.ns)} .ns-name`, frame: 'webview' });
    assert.ok(click.ok, click.error);
    await h.waitFor(async () => (await q(`.ns-row.current[data-ns="${nb.ns}"]`)).found, 'delta shown', 15000);
    const picker = await q('select option:checked');
    assert.ok(picker.items.some((o) => o.value === nb.ns), JSON.stringify(picker.items.map((o) => o.value)));
    const file = await h.screenshot('namespaces-dashboard');
    assert.ok(fs.statSync(file).size > 10000, 'a real PNG');
    console.log(`    screenshot: ${file}`);
  });
});

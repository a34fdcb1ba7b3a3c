// The futex semaphore visualizer in the real VS Code: (1) the seed scenario explored in the webview, the
// glibc <= 2.20 use-after-free replayed in the stepper; (2) a live named semaphore (real glibc, in the VS Code
// server's private IPC namespace: 0 tokens, 2 threads asleep in sem_wait, made by test/futex/c/semprobe.c)
// opened from the command with the tree's object, then refreshed after the semaphore is gone.
// Screenshots: test-artifacts/futex-vscode-seed.png, test-artifacts/futex-vscode-live.png.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as h from '../helpers';
import { vscode } from '../helpers';

const root = path.resolve(__dirname, '..', '..', '..');

function semprobe(): string {
  return h.compileC(path.join(root, 'test', 'futex', 'c', 'semprobe.c'), 'semprobe', ['-O2', '-D_GNU_SOURCE', '-pthread']);
}

describe('futex visualizer in the real VS Code', function () {
  this.timeout(90000);
  let api: h.IpcExplorerTestApi;
  let holder: ChildProcess | undefined;
  const name = '/ipcx-futex-it';

  const q = (selector: string) => h.bridge('query', { selector, frame: 'webview' });
  const text = async (selector: string): Promise<string[]> => {
    const r = await q(selector);
    return r.found ? r.items.map((i) => i.text.trim()) : [];
  };
  const click = (selector: string) => h.bridge('click', { selector, frame: 'webview' });

  before(async function () {
    h.assertPrivateIpcNamespace();
    api = await h.activateExtension();
  });

  after(async function () {
    if (holder && holder.exitCode === null) holder.kill('SIGKILL');
    try { fs.unlinkSync(`/dev/shm/sem.${name.slice(1)}`); } catch { /* already gone */ }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('explores the seed scenario and replays the old algorithm\'s use-after-free in the stepper', async function () {
    await vscode.commands.executeCommand('ipcExplorer.openFutexVisualizer', 'seed');
    await h.waitFor(async () => (await text('#description'))[0]?.startsWith('Destroy after wait'), 'the visualizer webview');
    await click('#explore-all');
    const cells = await h.waitFor(async () => {
      const r = await q('#ex-out table.results tbody td');
      return r.count === 36 ? r.items.map((i) => i.text.trim()) : undefined;
    }, 'explorer results for four models', 20000);
    // columns: model, glibc and memory model, states, schedules, use-after-free, misuse, lost-wakeup, deadlock, assertion
    const row = (m: string): string[] => { const i = cells.indexOf(m); assert.ok(i >= 0, m); return cells.slice(i, i + 9); };
    assert.equal(row('glibc-old')[1], '2.20, SC');
    assert.notEqual(row('glibc-old')[4], '0', 'glibc-old: use-after-free schedules');
    assert.deepEqual(row('glibc-new-64').slice(4), ['0', '0', '0', '0', '0']);
    assert.deepEqual(row('glibc-new-32').slice(4), ['0', '0', '0', '0', '0']);
    await click('button[data-witness="glibc-old|use-after-free"]');
    // the replay starts at step 0 and plays; the last history row jumps to its end (and pauses)
    await h.waitFor(async () => (await text('#pos'))[0]?.startsWith('step 0 of'), 'the replay at step 0');
    await click('#steps li:last-child button.jump');
    const v = await h.waitFor(async () => (await text('#violations .v'))[0], 'the violation in the stepper');
    assert.match(v, /use-after-free \(B\): B's sem_post reads nwaiters \(offset 8\) after free\(\), after publishing its token/);
    assert.match((await text('#steps li.violation'))[0], /B UAF_load/);
    assert.deepEqual(await text('#mem-status'), ['freed']);
    await h.screenshot('futex-vscode-seed');
  });

  it('"Open in Futex Visualizer" on a hidden panel shows the semaphore it was given once the page is back', async function () {
    await vscode.commands.executeCommand('ipcExplorer.openFutexVisualizer', 'seed');
    await h.waitFor(async () => (await text('#description'))[0]?.startsWith('Destroy after wait'), 'the visualizer webview');
    // another editor in the panel's group hides it; without retainContextWhenHidden VS Code tears the page down
    const column = vscode.window.tabGroups.activeTabGroup.viewColumn;
    const doc = await vscode.workspace.openTextDocument({ content: 'hides the visualizer' });
    await vscode.window.showTextDocument(doc, { viewColumn: column, preview: false });
    await h.waitFor(async () => !(await q('#description')).found, 'the hidden visualizer page torn down');
    // the command reveals the panel and posts at once, while the page is still loading again
    await vscode.commands.executeCommand('ipcExplorer.openInVisualizer', { name: '/ipcx-hidden', value: 3, nwaiters: 0 });
    // the reloaded page restores the scenario it showed before; the host's open message must still arrive
    await h.waitFor(async () => (await text('#description'))[0]?.startsWith('/ipcx-hidden: 3 tokens, 0 waiters'), 'the semaphore it was given', 15000)
      .catch(async (e) => { throw new Error(`${e.message}; the panel shows: ${(await text('#description'))[0]}`); });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens a live named semaphore ("0 tokens, 2 waiters") and reports it gone on refresh', async function () {
    const child = spawn(semprobe(), [`named:${name}`, 'init:1', 'trywait', 'block:2', 'hold:60000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    holder = child;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    await h.waitFor(() => out.includes('"holding":true'), 'two threads asleep in sem_wait', 15000);
    await api.refresh('local');
    const sem = h.snapshotOf(api, 'local').posixSems.find((s) => s.name === name);
    assert.ok(sem, 'the tree/store sees the named semaphore');
    assert.deepEqual([sem.decoded?.value, sem.decoded?.nwaiters], [0, 2]);
    await vscode.commands.executeCommand('ipcExplorer.openInVisualizer', { host: 'local', obj: sem });
    const d = await h.waitFor(async () => (await text('#description'))[0]?.includes(`${name}: 0 tokens, 2 waiters`) && (await text('#description'))[0], 'the live scenario');
    assert.match(d, /Waiters are threads registered in sem_wait/);
    assert.match((await text('#mem-hex'))[0], /^0000: 00000000 02000000 80000000 00000000/);
    assert.deepEqual(await text('#queue li'), ['W1', 'W2']);
    // the machine's glibc release, as ldd reports it ("ldd (Debian GLIBC 2.36-9+deb12u7) 2.36")
    const ldd = /\) (\d+\.\d+)\s*$/m.exec(execFileSync('ldd', ['--version'], { encoding: 'utf8' }).split('\n')[0]);
    assert.ok(ldd, 'ldd --version names a glibc release');
    assert.match((await text('#live'))[0], new RegExp(`^live ${name} on local \\(glibc ${ldd[1].replace('.', '\\.')}\\): 0 tokens, 2 waiters`));
    // and the stepper follows the code of that release
    const [maj, min] = ldd[1].split('.').map(Number);
    const range = maj !== 2 ? null : min <= 20 ? '2.20' : min === 21 ? '2.21' : min <= 24 ? '2.22-2.24' : min <= 40 ? '2.25-2.40' : '2.41+';
    assert.ok(range, `glibc ${ldd[1]}`);
    assert.equal((await q('#glibc')).items[0].value, range);
    // step the poster: read_private, load, cas_ok; then futex_wake(1) with two sleepers: the scheduler
    // offers which one the kernel wakes
    for (let i = 0; i < 3; i++) await click('#choices button[data-choice="P"]');
    await click('#choices button[data-choice="P:wake=W2"]');
    const q2 = await h.waitFor(async () => { const t = await text('#queue li'); return t.length === 1 ? t : undefined; }, 'one waiter woken');
    assert.deepEqual(q2, ['W1']);
    await h.screenshot('futex-vscode-live');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    fs.unlinkSync(`/dev/shm/sem.${name.slice(1)}`);
    await click('#refresh-live');
    const msg = await h.waitFor(async () => { const t = (await text('#ex-status'))[0]; return t && t.includes('no longer exists') ? t : undefined; }, 'the refresh error');
    assert.match(msg, /ENOENT/);
  });
});

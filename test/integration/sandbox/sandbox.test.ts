// IPC Explorer where System V calls are refused: the VS Code server and everything it starts (the extension
// host, this test) run under a seccomp filter that fails semctl, shmctl and msgctl with EPERM. The native
// binding loads, its first call is refused: the extension reads /proc/sysvipc instead, names the refused call
// once in a warning with the sandbox hint, lists the objects (an orphan among them, not recyclable from here),
// and a recycle removes nothing, saying why.
// The objects it reads are made with semget/shmget, which the filter lets through; nothing here can remove
// them (shmctl and semctl are refused): they go with this session's private IPC namespace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { RecycleResult } from '../../../extension/testApi';
import * as h from '../helpers';
import { vscode } from '../helpers';

describe('a sandbox that refuses System V calls (seccomp: semctl, shmctl, msgctl fail with EPERM)', function () {
  this.timeout(60000);
  let api: h.IpcExplorerTestApi;
  let set: number;
  let seg: number;
  const cfg = () => vscode.workspace.getConfiguration('ipcExplorer.recycle');

  before(async function () {
    h.assertPrivateIpcNamespace();
    set = h.make.semSet({ key: 0x5a4d01, nsems: 3 });
    // its creator (ipcobj) has exited and nothing attaches it: an orphan, where removal is allowed
    seg = h.make.shm({ key: 0x5a4d02, size: 4096 });
    await cfg().update('minOrphanAgeSeconds', 0, vscode.ConfigurationTarget.Global);
    await cfg().update('recentActivitySeconds', 0, vscode.ConfigurationTarget.Global);
  });

  after(async function () {
    await cfg().update('minOrphanAgeSeconds', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('recentActivitySeconds', undefined, vscode.ConfigurationTarget.Global);
  });

  it('the filter is in place: shmctl(IPC_INFO) fails with EPERM in this process\'s children too', function () {
    // (ipcs -i would fall back to /proc/sysvipc): the call itself, from python3's ctypes
    const script = 'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(256)\n' +
      'r = libc.shmctl(0, 3, buf)\nprint(r, os.strerror(ctypes.get_errno()) if r < 0 else "")\n';
    const r = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '-1 Operation not permitted', r.stderr);
    assert.ok(h.procRows('shm').some((x) => x.shmid === seg), '/proc/sysvipc still lists the segment');
  });

  it('the binding loads, its first call is refused: the /proc reader, the refused call named', async function () {
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
    api = await h.activateExtension();
    assert.ok(fs.readFileSync('/proc/self/maps', 'utf8').includes('ipc_native.node'), 'the binding is mapped');
    assert.equal(api.localMode, 'proc');
    assert.equal(api.nativeError?.code, 'EPERM');
    assert.match(api.nativeError?.message ?? '', /^semctl\(IPC_INFO\): Operation not permitted \(EPERM\)/);
  });

  it('says so once, as a warning with the refused call and the sandbox hint', async function () {
    await h.waitFor(() => api.host('local')?.snapshot, 'the first snapshot');
    const shown = await h.waitFor(() => api.notifications().find((n) => n.severity === 'warning' && /System V calls denied/.test(n.text)), 'the warning');
    assert.equal(shown.text, 'IPC Explorer: System V calls denied to this process (semctl(IPC_INFO): Operation not permitted (EPERM)): ' +
      'reading /proc/sysvipc instead (no semaphore values, no guarded removal). A seccomp filter or a security module (a container ' +
      'runtime\'s profile, systemd SystemCallFilter=, a Flatpak or snap sandbox, SELinux) refuses System V IPC calls to this process, ' +
      'so only /proc/sysvipc can be read. Run IPC Explorer outside the sandbox for semaphore values and guarded removal.');
    assert.doesNotMatch(shown.text, /paths tried|npm rebuild/, 'not the missing-binding advice');
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    assert.equal(api.notifications().filter((n) => /System V calls denied/.test(n.text)).length, 1, 'only once');
  });

  it('lists the objects from /proc/sysvipc and shows the refusal in the tree', async function () {
    const row = (n: h.TestTreeNode | undefined): h.Row => {
      assert.ok(n, 'the row is in the tree');
      return h.row(api, n);
    };
    const [local] = await api.tree.children();
    assert.match(row(local).description, /\/proc fallback/);
    const rows = await api.tree.children(local);
    assert.ok(rows.some((n) => row(n).contextValue === 'message.warning' && /System V calls denied to this process/.test(row(n).label)), 'a warning row');
    assert.equal(row(await api.tree.findObjectNode('local', `sem:${set}`)).label, `0x005a4d01 · id ${set}`);
    assert.equal(row(await api.tree.findObjectNode('local', `shm:${seg}`)).label, `0x005a4d02 · id ${seg}`);
    const snap = h.snapshotOf(api, 'local');
    assert.equal(snap.source, 'proc');
    assert.equal(snap.sems.find((s) => s.id === set)?.values, undefined, 'no values without semctl');
    await h.screenshot('sandbox-refused');
  });

  it('a recycle of the orphaned segment removes nothing and says why', async function () {
    const res = await vscode.commands.executeCommand<RecycleResult>('ipcExplorer.recycleObject', { host: 'local', refs: [`shm:${seg}`], open: false });
    assert.ok(res, 'a plan');
    assert.equal(res.plan.removal?.mode, 'none');
    assert.deepEqual(res.plan.candidates, []);
    assert.equal(res.report, undefined, 'nothing executed');
    assert.equal(res.plan.removal?.detail, 'no removal here: System V calls are denied to this process (semctl(IPC_INFO): Operation not permitted (EPERM)); /proc/sysvipc shows headers only');
    // an orphan by its verdict, which also says it cannot be recycled from here (the tree shows no "recyclable")
    const v = api.host('local')?.verdicts.get(`shm:${seg}`);
    assert.deepEqual([v?.state, v?.recyclable], ['orphan', false]);
    const stay = res.plan.stays.find((s) => s.ref === `shm:${seg}`);
    assert.equal(stay?.why, 'not recyclable: read from /proc/sysvipc (no native binding, or System V calls refused to this process), which removes nothing');
    assert.ok(h.procRows('shm').some((x) => x.shmid === seg), 'still there');
    const info = await h.waitFor(() => api.notifications().find((n) => /Nothing is removed on local/.test(n.text)), 'the plan summary');
    assert.match(info.text, /Nothing is removed on local: System V calls are denied to this process/);
  });
});

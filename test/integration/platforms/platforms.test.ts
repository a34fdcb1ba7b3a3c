// IPC Explorer as it runs on a FreeBSD, macOS or Windows desktop, in the real VS Code on this Linux machine.
// The platform comes from the documented test hook (IPCX_TEST_PLATFORM, read only in extension mode Test);
// the tools the local probe runs are stand-ins first on the extension host's PATH (set here, before the
// extension is activated), printing REAL outputs of those systems: test/fixtures/freebsd (FreeBSD 11.2) and
// test/fixtures/macos (OS X; sources in its README). `ipcrm` is a stand-in that records its argv and removes
// nothing; no kernel object is touched. sh, awk, ps and kill are this machine's.
//
// FreeBSD: the captured `ipcs -a` has no orphan (every segment is attached, every set lacks per-semaphore
// detail), so the stand-in prints it with ONE derived row: segment 589836 with NATTCH 0 and CPID/LPID a pid
// this test started and reaped (the state after its processes exited). macOS: no full-column `ipcs -a` capture
// is public; test/fixtures/macos/ipcs-a.txt is Apple's `ipcs -a` layout (from its source) around the objects
// of a real OS X capture, and the stand-in prints segment 458752 (NATTCH 0 there) with CPID/LPID that reaped
// pid. On both, a file this test writes makes the stand-in print a later CTIME for that row (the segment was
// replaced between the plan and the removal).
//
// FreeBSD and macOS run the same steps; what differs between them is the DESKTOPS table below.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Diagnosis, IpcExplorerTestApi, RecycleConfirmation, RecycleResult, TestTreeNode } from '../../../extension/testApi';
import type { IpcSnapshot } from '../../../extension/shared/model';
import * as h from '../helpers';
import { vscode } from '../helpers';

const PLATFORM = process.env['IPCX_TEST_PLATFORM'];
const FIXTURES = path.join(h.root, 'test', 'fixtures');

/** One desktop with System V IPC read through `ipcs`: its stand-in tools and what the tests expect of it. */
interface Desktop {
  /** test/fixtures/<dir> */
  fixtures: string;
  /** what `uname -s/-n/-r/-m` print (plain `uname`: "s r m") */
  uname: { s: string; n: string; r: string; m: string };
  /** `ipcs` arguments other than -a, each answered with a captured file */
  ipcsFiles: Record<string, string>;
  /** `sysctl <arg>` answered with the `<arg>.` lines of captured files */
  sysctl: { arg: string; files: string[] };
  /** the segment the stand-in prints as orphaned (NATTCH 0, CPID/LPID a reaped pid), and one that is attached */
  orphanSeg: number;
  liveSeg: number;
  /** the CTIME the orphaned row shows once the segment was "replaced" */
  laterCtime: string;
  /** how awk prints the rewritten row: `print` (fields joined by a space), or a printf keeping the listing's widths */
  rowPrint: string;
  /** the local host row's description (its fullest pool, the status bar's figure) and the release in its tooltip */
  hostDescription: RegExp;
  /** lines the host row's tooltip has besides its source and platform */
  hostTooltip: RegExp[];
  release: string;
  /** the objects of the listing, in the snapshot and the tree */
  checkListing(snap: IpcSnapshot, rows: TestTreeNode[], label: (n: TestTreeNode | undefined) => string, api: IpcExplorerTestApi): Promise<void>;
  /** the limit rows the listing's limits give */
  limits: RegExp[][];
  /** Diagnose ENOSPC of 5 sets of 17 from the probed limits */
  checkDiagnosis(d: Diagnosis, api: IpcExplorerTestApi): void;
}

const DESKTOPS: Record<'freebsd' | 'darwin', Desktop> = {
  freebsd: {
    fixtures: 'freebsd',
    uname: { s: 'FreeBSD', n: 'pg-jail-host', r: '11.2-RELEASE-p4', m: 'amd64' },
    ipcsFiles: { '-M': 'ipcs-M.txt', '-S': 'ipcs-S.txt' },
    sysctl: { arg: 'kern.ipc', files: ['sysctl-kern.ipc-sem.txt'] },
    orphanSeg: 589836,
    liveSeg: 458752,
    laterCtime: '8:15:38',
    rowPrint: 'print',
    // SHMMAX is at 100 % (PostgreSQL's segment 524295 is exactly kern.ipc.shmmax): a per-object maximum, not a
    // pool; the fullest pool is SEMMNS, 266 of 340
    hostDescription: /^pg-jail-host · ipcs · SEMMNS 78 % · 1 orphan$/,
    hostTooltip: [/^Fullest pool: SEMMNS \(Total number of semaphores\) at 78\.2 %$/m, /^SHMMAX 100 % \(largest segment: id 524295\): a per-object maximum/m],
    release: '11\\.2-RELEASE-p4',
    async checkListing(snap, rows, label, api) {
      assert.equal(snap.sems.length, 16);
      assert.equal(snap.shms.length, 13);
      const kindRow = (re: RegExp) => rows.find((n) => re.test(label(n)));
      assert.ok(kindRow(/semaphore sets?/i), rows.map(label).join(' | '));
      const shmKind = kindRow(/shared memory/i);
      assert.ok(shmKind, 'a shared memory row');
      const segs = await api.tree.children(shmKind);
      assert.equal(segs.length, 13);
      const node = await api.tree.findObjectNode('local', 'shm:589836');
      assert.match(label(node), /id 589836/);
    },
    limits: [[/SEMMNI/, /50/], [/SEMMNS/, /340/]],
    checkDiagnosis(d) {
      assert.equal(d.usage.semaphores, 14 * 17 + 2 * 14);
      assert.equal(d.wouldSucceed, false);
      assert.deepEqual(d.blockedBy, ['SEMMNS']);
      assert.ok(d.advice.some((a) => /kern\.ipc\.semmns=.*\/boot\/loader\.conf/.test(a)), d.advice.join('\n'));
    },
  },
  darwin: {
    fixtures: 'macos',
    uname: { s: 'Darwin', n: 'mikulas-mac', r: '13.0.0', m: 'x86_64' },
    // ipcs -M (a real capture) and -S (on macOS its semmni/semmns count what xnu allocated, not limits);
    // sysctl kern.sysv from two real captures: the shared-memory lines of one Mac, the semaphore lines of another
    ipcsFiles: { '-M': 'ipcs-M.txt', '-S': 'ipcs-S.txt' },
    sysctl: { arg: 'kern.sysv', files: ['sysctl-shm.txt', 'sysctl-sem.txt'] },
    orphanSeg: 458752,
    liveSeg: 65538,
    laterCtime: '20:12:50',
    // T ID KEY MODE OWNER GROUP CREATOR CGROUP NATTCH SEGSZ CPID LPID ATIME DTIME CTIME with the printf widths
    // of Apple's ipcs.c, so the listing keeps its layout
    rowPrint: 'printf "m %6d %s %s %8s %8s %8s %8s %6d %6d %6d %6d %s %s %s\\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15',
    hostDescription: /^mikulas-mac · ipcs · /,
    hostTooltip: [/^Fullest pool: /m],
    release: '13\\.0\\.0',
    async checkListing(snap, _rows, label, api) {
      assert.deepEqual(snap.sems.map((s) => s.id), [65536]);
      assert.deepEqual(snap.shms.map((s) => s.id), [458752, 65538]);
      assert.deepEqual(snap.msgs.map((s) => s.id), [65536]);
      const node = await api.tree.findObjectNode('local', 'shm:65538');
      assert.equal(label(node), '0x4d04006c · id 65538');
    },
    limits: [[/SHMMNI/, /32/], [/SEMMNI/, /87,381/], [/SEMMNS/, /87,381/]],
    checkDiagnosis(d) {
      // the semaphore limits come from sysctl kern.sysv (ipcs -S's semmni 8 / semmns 64 are xnu's allocation
      // counts, not limits); SEMMNI is not capped at Linux's IPCMNI
      assert.equal(d.wouldSucceed, true, d.advice.join('\n'));
      assert.deepEqual(d.unknownLimits, []);
      assert.deepEqual(d.checks.map((c) => c.text), [
        'SEMMSL 87381: 17 semaphores per set fit',
        'SEMMNI 87381: 1 sets in use, 87380 free, 5 needed',
        'SEMMNS 87381: 3 semaphores in use, 87378 free, 85 needed',
      ]);
    },
  },
};

describe(`desktop: the local host on ${PLATFORM} (platform test hook, stand-in tools)`, function () {
  this.timeout(120000);
  let api: IpcExplorerTestApi;
  let dir: string | undefined;
  let argvLog = '';
  let deadPid = 0;
  const asked: RecycleConfirmation[] = [];
  const cfg = () => vscode.workspace.getConfiguration('ipcExplorer.recycle');
  const ipcrmCalls = () => (fs.existsSync(argvLog) ? fs.readFileSync(argvLog, 'utf8').split('\n').filter(Boolean) : []);
  const desktop = PLATFORM === 'freebsd' || PLATFORM === 'darwin' ? DESKTOPS[PLATFORM] : undefined;

  /** the stand-in tools in DIR/bin: ipcrm records its argv; on FreeBSD/macOS uname, hostname, ipcs, sysctl print the captures */
  function standIns(dir: string): string {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const w = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    w('ipcrm', `printf '%s\\n' "$*" >> '${argvLog}'\nexit 0`);
    if (!desktop) return bin;
    const F = path.join(FIXTURES, desktop.fixtures);
    const u = desktop.uname;
    w('uname', `case "$*" in -s) echo ${u.s} ;; -n) echo ${u.n} ;; -r) echo ${u.r} ;; -m) echo ${u.m} ;; *) echo "${u.s} ${u.r} ${u.m}" ;; esac`);
    w('hostname', `echo ${u.n}`);
    w('ipcs', [
      `F='${F}'`,
      'case "$*" in',
      // T ID KEY MODE OWNER GROUP CREATOR CGROUP NATTCH SEGSZ CPID LPID ATIME DTIME CTIME: the orphaned row has
      // NATTCH 0, CPID/LPID the reaped pid and, once "replaced", a later CTIME
      `  -a) awk -v dead='${deadPid}' -v changed="$(test -e '${dir}/ctime-changed' && echo 1)" '$1 == "m" && $2 == "${desktop.orphanSeg}" { $9 = 0; $11 = dead; $12 = dead; if (changed) $15 = "${desktop.laterCtime}"; ${desktop.rowPrint}; next } { print }' "$F/ipcs-a.txt" ;;`,
      ...Object.entries(desktop.ipcsFiles).map(([arg, file]) => `  ${arg}) cat "$F/${file}" ;;`),
      '  *) echo "ipcs: the stand-in has no captured output for: $*" >&2; exit 1 ;;',
      'esac',
    ].join('\n'));
    const sysctlFiles = desktop.sysctl.files.map((f) => `'${F}/${f}'`).join(' ');
    w('sysctl', `case "$*" in ${desktop.sysctl.arg}) grep -h '^${desktop.sysctl.arg.replace(/\./g, '\\.')}\\.' ${sysctlFiles} ;; *) exit 1 ;; esac`);
    return bin;
  }

  before(async function () {
    h.assertPrivateIpcNamespace();
    assert.ok(PLATFORM && ['freebsd', 'darwin', 'win32'].includes(PLATFORM), `IPCX_TEST_PLATFORM=${PLATFORM}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `ipcx-it-${PLATFORM}-`));
    argvLog = path.join(dir, 'ipcrm-argv');
    // a pid that existed and is gone: a child this test started and reaped
    const gone = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
    deadPid = Number(gone.stdout.trim());
    assert.ok(deadPid > 0);
    assert.equal(fs.existsSync(`/proc/${deadPid}`), false, 'the reaped pid is free');
    process.env['PATH'] = `${standIns(dir)}:${process.env['PATH']}`;
    await cfg().update('minOrphanAgeSeconds', 0, vscode.ConfigurationTarget.Global);
    await cfg().update('recentActivitySeconds', 0, vscode.ConfigurationTarget.Global);
    api = await h.activateExtension();
    assert.ok(api.testHooks, 'extension mode Test');
    api.testHooks.setRecycleConfirm((c) => {
      asked.push(c);
      // between the plan and the removal: the first time, the segment is replaced (a later CTIME)
      if (asked.length === 1 && dir) fs.writeFileSync(path.join(dir, 'ctime-changed'), '');
      return true;
    });
    await vscode.commands.executeCommand('ipcExplorer.objects.focus');
  });

  after(async function () {
    if (api && api.testHooks) api.testHooks.setRecycleConfirm(undefined);
    await cfg().update('minOrphanAgeSeconds', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('recentActivitySeconds', undefined, vscode.ConfigurationTarget.Global);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const item = (n: TestTreeNode | undefined): vscode.TreeItem => {
    assert.ok(n, 'the row is in the tree');
    return api.tree.item(n);
  };
  const label = (n: TestTreeNode | undefined): string => {
    assert.ok(n, 'the row is in the tree');
    return h.row(api, n).label;
  };
  /** a tooltip's text as a person reads it (MarkdownString.appendText escapes punctuation and spaces) */
  const tooltipText = (n: TestTreeNode): string => {
    const t = item(n).tooltip;
    return String(t && typeof t === 'object' ? t.value : t).replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
  };

  async function localRows(): Promise<{ local: TestTreeNode; rows: TestTreeNode[] }> {
    await h.waitFor(() => api.host('local') && api.host('local')?.snapshot, 'the local snapshot', 30000);
    const [local] = await api.tree.children();
    assert.ok(local, 'the local host row');
    return { local, rows: await api.tree.children(local) };
  }

  if (!desktop) {
    it('one row says there is no System V IPC here and runs Add SSH Host…; no local host, no snapshot, no error notification', async function () {
      assert.equal(api.localMode, 'none');
      assert.equal(api.host('local'), undefined, 'no local host in the store');
      const roots = await api.tree.children();
      assert.equal(roots.length, 1);
      const row = item(roots[0]);
      assert.equal(label(roots[0]), 'Windows has no System V IPC: nothing local to list. Add SSH Host… to watch a Linux, macOS or FreeBSD machine.');
      assert.equal(row.command && row.command.command, 'ipcExplorer.addSshHost');
      assert.match(tooltipText(roots[0]), /Or open a Remote-SSH window/);
      await vscode.commands.executeCommand('ipcExplorer.refresh');
      assert.equal(api.host('local'), undefined);
      assert.deepEqual(api.notifications().filter((n) => n.severity !== 'info'), [], 'no warning or error notification');
      // (whether the binding is mapped is not asked here: on this Linux machine other features may load it; the
      // local source's own refusal to load it on win32 is test/unit/platforms.test.ts)
      await h.screenshot('desktop-win32');
    });
    return;
  }

  it('the tree: the local host read by the ipcs probe, its objects and its limits', async function () {
    assert.equal(api.localMode, 'ipcs');
    const { local, rows } = await localRows();
    const snap = h.snapshotOf(api, 'local');
    assert.equal(snap.platform, PLATFORM);
    assert.equal(snap.source, 'ipcs');
    const desc = String(item(local).description);
    console.log(`    local: ${desc}`);
    assert.match(desc, desktop.hostDescription);
    const tip = tooltipText(local);
    assert.match(tip, new RegExp(`source: ipcs\\s+platform: ${PLATFORM} ${desktop.release}\\s`));
    for (const re of desktop.hostTooltip) assert.match(tip, re);
    // the status bar summarises the local host by the same figure as its row
    const pool = / · ((?:\/dev\/shm|[A-Z]+) (?:<1|\d+) %)(?: ·|$)/.exec(desc)?.[1];
    assert.ok(pool, desc);
    await h.waitFor(() => api.status.item().text.includes(pool), `the status bar saying ${pool} (${api.status.item().text})`);
    assert.match(api.status.item().text, new RegExp(`^\\$\\(server-process\\) ${pool.replace(/[/<]/g, '\\$&')}(?: ·|$)`));
    console.log(`    rows: ${rows.map(label).join(' | ')}`);
    await desktop.checkListing(snap, rows, label, api);
    // a limit the host did not report (msgmni here) is not shown as a 0 to count against
    assert.ok(!rows.some((n) => /\/0(?![\d,.])/.test(label(n))), rows.map(label).join(' | '));
    assert.ok(rows.some((n) => /^Message queues \d+$/.test(label(n))), rows.map(label).join(' | '));
    const limitsRow = rows.find((n) => n.id === 'local|limits');
    assert.ok(limitsRow, 'a limits row');
    const limits = await Promise.all((await api.tree.children(limitsRow)).map(async (n) => `${label(n)} ${item(n).description || ''}`));
    console.log(`    limits: ${limits.join(' | ')}`);
    for (const patterns of desktop.limits) assert.ok(limits.some((l) => patterns.every((p) => p.test(l))), limits.join(' | '));
    // the screenshot once the workbench draws the host row with its description (not "loading…")
    const shown = await h.waitFor(async () => {
      const q = await h.bridge('query', { selector: '[id="workbench.view.extension.ipcExplorer"] .monaco-list-row', frame: 'workbench' });
      return q.items.some((r) => (r.text ?? '').includes(desktop.uname.n)) && !q.items.some((r) => /loading|Reading IPC objects/.test(r.text ?? '')) && q.items;
    }, 'the host row drawn with its description', 15000, 250);
    console.log(`    drawn: ${shown.map((r) => r.text).join(' | ')}`);
    await h.screenshot(`desktop-${PLATFORM}`);
  });

  it('Diagnose ENOSPC answers from the probed limits with this platform\'s sysctl names', async function () {
    const d = await vscode.commands.executeCommand<Diagnosis>('ipcExplorer.diagnoseEnospc', { host: 'local', nsems: 17, sets: 5, open: false });
    console.log(`    blocked by ${JSON.stringify(d.blockedBy)}; advice: ${d.advice.join(' / ')}`);
    desktop.checkDiagnosis(d, api);
    assert.ok(!d.advice.some((a) => /kernel\.sem\b|\/proc\/sys/.test(a)), d.advice.join('\n'));
  });

  // the orphaned segment of each listing, and one that is attached
  const seg = desktop.orphanSeg;
  const live = desktop.liveSeg;
  it(`Recycle… of the orphaned segment: the plan says unlocked; replaced between plan and removal it is refused and ipcrm never runs; then removed by exactly \`ipcrm -m ${seg}\``, async function () {
    const recycle = (ref: string) => vscode.commands.executeCommand<RecycleResult>('ipcExplorer.recycleObject', { host: 'local', refs: [ref], open: false });
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    let res = await recycle(`shm:${seg}`);
    assert.equal(asked.length, 1, 'confirmed at the modal');
    assert.deepEqual([...(asked[0]?.refs ?? [])], [`shm:${seg}`]);
    assert.ok(res.plan.removal, 'the plan says how it removes');
    assert.equal(res.plan.removal.mode, 'unlocked');
    assert.match(res.plan.removal.detail, /check-then-ipcrm, no lock/);
    assert.match(res.plan.removal.queuesStay || '', new RegExp(`queues stay on ${PLATFORM}`));
    assert.ok(res.report, JSON.stringify(res.plan.stays));
    assert.equal(res.report.refused, 1, JSON.stringify(res.report.outcomes));
    assert.match(JSON.stringify(res.report.outcomes), /ctime/i);
    assert.deepEqual(ipcrmCalls(), [], 'ipcrm never ran');
    // the listing as it is now (the later CTIME) is what the next plan sees: it is removed
    res = await recycle(`shm:${seg}`);
    assert.equal(asked.length, 2);
    assert.ok(res.report, JSON.stringify(res.plan.stays));
    assert.equal(res.report.refused, 0, JSON.stringify(res.report.outcomes));
    assert.deepEqual(res.report.outcomes.filter((o) => o.action === 'removed').map((o) => o.id), [seg]);
    assert.deepEqual(ipcrmCalls(), [`-m ${seg}`]);
    // a live segment is not even planned
    res = await recycle(`shm:${live}`);
    assert.equal(res.plan.candidates.length, 0);
    assert.match(res.plan.stays[0]?.why ?? '', /^live: attached/);
    assert.deepEqual(ipcrmCalls(), [`-m ${seg}`]);
  });
});

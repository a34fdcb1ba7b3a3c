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
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('../helpers');
const { vscode } = h;

const PLATFORM = process.env.IPCX_TEST_PLATFORM;
const FIXTURES = path.join(h.root, 'test', 'fixtures');

describe(`desktop: the local host on ${PLATFORM} (platform test hook, stand-in tools)`, function () {
  this.timeout(120000);
  let api;
  let dir;
  let argvLog;
  let deadPid;
  const asked = [];
  const cfg = () => vscode.workspace.getConfiguration('ipcExplorer.recycle');
  const ipcrmCalls = () => (fs.existsSync(argvLog) ? fs.readFileSync(argvLog, 'utf8').split('\n').filter(Boolean) : []);

  function standIns() {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const w = (name, body) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    w('ipcrm', `printf '%s\\n' "$*" >> '${argvLog}'\nexit 0`);
    if (PLATFORM === 'freebsd') {
      const F = path.join(FIXTURES, 'freebsd');
      w('uname', 'case "$*" in -s) echo FreeBSD ;; -n) echo pg-jail-host ;; -r) echo 11.2-RELEASE-p4 ;; -m) echo amd64 ;; *) echo "FreeBSD 11.2-RELEASE-p4 amd64" ;; esac');
      w('hostname', 'echo pg-jail-host');
      w('ipcs', [
        `F='${F}'`,
        'case "$*" in',
        // T ID KEY MODE OWNER GROUP CREATOR CGROUP NATTCH SEGSZ CPID LPID ATIME DTIME CTIME
        `  -a) awk -v dead='${deadPid}' -v changed="$(test -e '${dir}/ctime-changed' && echo 1)" '$1 == "m" && $2 == "589836" { $9 = 0; $11 = dead; $12 = dead; if (changed) $15 = "8:15:38" } { print }' "$F/ipcs-a.txt" ;;`,
        '  -M) cat "$F/ipcs-M.txt" ;;',
        '  -S) cat "$F/ipcs-S.txt" ;;',
        '  *) echo "ipcs: the stand-in has no captured output for: $*" >&2; exit 1 ;;',
        'esac',
      ].join('\n'));
      w('sysctl', `case "$*" in kern.ipc) cat '${F}/sysctl-kern.ipc-sem.txt' ;; *) exit 1 ;; esac`);
    } else if (PLATFORM === 'darwin') {
      const F = path.join(FIXTURES, 'macos');
      w('uname', 'case "$*" in -s) echo Darwin ;; -r) echo 13.0.0 ;; -m) echo x86_64 ;; -n) echo mikulas-mac ;; *) echo "Darwin 13.0.0 x86_64" ;; esac');
      w('hostname', 'echo mikulas-mac');
      w('ipcs', [
        `F='${F}'`,
        'case "$*" in',
        // T ID KEY MODE OWNER GROUP CREATOR CGROUP NATTCH SEGSZ CPID LPID ATIME DTIME CTIME (Apple's ipcs.c);
        // the row is rebuilt with the source's printf widths so the listing keeps its layout
        `  -a) awk -v dead='${deadPid}' -v changed="$(test -e '${dir}/ctime-changed' && echo 1)" '$1 == "m" && $2 == "458752" { $11 = dead; $12 = dead; if (changed) $15 = "20:12:50"; printf "m %6d %s %s %8s %8s %8s %8s %6d %6d %6d %6d %s %s %s\\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15; next } { print }' "$F/ipcs-a.txt" ;;`,
        '  *) echo "ipcs: no captured output for $*" >&2; exit 1 ;;',
        'esac',
      ].join('\n'));
      w('sysctl', `case "$*" in kern.sysv) cat '${F}/sysctl-shm.txt' ;; *) exit 1 ;; esac`);
    }
    return bin;
  }

  before(async function () {
    h.assertPrivateIpcNamespace();
    assert.ok(['freebsd', 'darwin', 'win32'].includes(PLATFORM), `IPCX_TEST_PLATFORM=${PLATFORM}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `ipcx-it-${PLATFORM}-`));
    argvLog = path.join(dir, 'ipcrm-argv');
    // a pid that existed and is gone: a child this test started and reaped
    const gone = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
    deadPid = Number(gone.stdout.trim());
    assert.ok(deadPid > 0);
    assert.equal(fs.existsSync(`/proc/${deadPid}`), false, 'the reaped pid is free');
    process.env.PATH = `${standIns()}:${process.env.PATH}`;
    await cfg().update('minOrphanAgeSeconds', 0, vscode.ConfigurationTarget.Global);
    await cfg().update('recentActivitySeconds', 0, vscode.ConfigurationTarget.Global);
    api = await h.activateExtension();
    assert.ok(api.testHooks, 'extension mode Test');
    api.testHooks.setRecycleConfirm((c) => {
      asked.push(c);
      // between the plan and the removal: the first time, the segment is replaced (a later CTIME)
      if (asked.length === 1) fs.writeFileSync(path.join(dir, 'ctime-changed'), '');
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

  const provider = () => api.tree;
  const item = (n) => provider().item(n);
  const label = (n) => { const l = item(n).label; return typeof l === 'string' ? l : l.label; };
  /** a tooltip's text as a person reads it (MarkdownString.appendText escapes punctuation and spaces) */
  const tooltipText = (n) => { const t = item(n).tooltip; return String(t && typeof t === 'object' ? t.value : t).replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1'); };

  async function localRows() {
    await h.waitFor(() => api.host('local') && api.host('local').snapshot, 'the local snapshot', 30000);
    const [local] = await provider().children();
    return { local, rows: await provider().children(local) };
  }

  if (PLATFORM === 'win32') {
    it('one row says there is no System V IPC here and runs Add SSH Host…; no local host, no snapshot, no error notification', async function () {
      assert.equal(api.localMode, 'none');
      assert.equal(api.host('local'), undefined, 'no local host in the store');
      const roots = await provider().children();
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
    const snap = api.host('local').snapshot;
    assert.equal(snap.platform, PLATFORM);
    assert.equal(snap.source, 'ipcs');
    const desc = String(item(local).description);
    console.log(`    local: ${desc}`);
    assert.match(desc, PLATFORM === 'freebsd' ? /^pg-jail-host · ipcs · SHMMAX 100% · 1 orphan$/ : /^mikulas-mac · ipcs · /);
    const tip = tooltipText(local);
    assert.match(tip, new RegExp(`source: ipcs\\s+platform: ${PLATFORM} ${PLATFORM === 'freebsd' ? '11\\.2-RELEASE-p4' : '13\\.0\\.0'}\\s`));
    const labels = rows.map(label);
    console.log(`    rows: ${labels.join(' | ')}`);
    const kindRow = (re) => rows.find((n) => re.test(label(n)));
    if (PLATFORM === 'freebsd') {
      assert.equal(snap.sems.length, 16);
      assert.equal(snap.shms.length, 13);
      assert.ok(kindRow(/semaphore sets?/i), labels.join(' | '));
      const segs = await provider().children(kindRow(/shared memory/i));
      assert.equal(segs.length, 13);
      const node = await provider().findObjectNode('local', 'shm:589836');
      assert.match(label(node), /id 589836/);
    } else {
      assert.deepEqual(snap.sems.map((s) => s.id), [65536]);
      assert.deepEqual(snap.shms.map((s) => s.id), [458752, 65538]);
      assert.deepEqual(snap.msgs.map((s) => s.id), [65536]);
      const node = await provider().findObjectNode('local', 'shm:65538');
      assert.equal(label(node), '0x4d04006c · id 65538');
    }
    const limitsRow = rows.find((n) => n.id === 'local|limits');
    assert.ok(limitsRow, 'a limits row');
    const limits = await Promise.all((await provider().children(limitsRow)).map(async (n) => `${label(n)} ${item(n).description || ''}`));
    console.log(`    limits: ${limits.join(' | ')}`);
    if (PLATFORM === 'freebsd') {
      assert.ok(limits.some((l) => /SEMMNI/.test(l) && /50/.test(l)), limits.join(' | '));
      assert.ok(limits.some((l) => /SEMMNS/.test(l) && /340/.test(l)), limits.join(' | '));
    } else {
      assert.ok(limits.some((l) => /SHMMNI/.test(l) && /32/.test(l)), limits.join(' | '));
    }
    await h.screenshot(`desktop-${PLATFORM}`);
  });

  it('Diagnose ENOSPC answers from the probed limits with this platform\'s sysctl names', async function () {
    const d = await vscode.commands.executeCommand('ipcExplorer.diagnoseEnospc', { host: 'local', nsems: 17, sets: 5, open: false });
    console.log(`    blocked by ${JSON.stringify(d.blockedBy)}; advice: ${d.advice.join(' / ')}`);
    if (PLATFORM === 'freebsd') {
      assert.equal(d.usage.semaphores, 14 * 17 + 2 * 14);
      assert.equal(d.wouldSucceed, false);
      assert.deepEqual(d.blockedBy, ['SEMMNS']);
      assert.ok(d.advice.some((a) => /kern\.ipc\.semmns=.*\/boot\/loader\.conf/.test(a)), d.advice.join('\n'));
    } else {
      // this macOS listing reports no semaphore limits: not known, never invented, no limit blamed
      assert.equal(d.wouldSucceed, false);
      assert.deepEqual(d.blockedBy, []);
      assert.deepEqual(d.unknownLimits, ['SEMMSL', 'SEMMNI', 'SEMMNS']);
      assert.match(d.advice[0], /^cannot tell .* sysctl kern\.sysv\.semmsl kern\.sysv\.semmni kern\.sysv\.semmns$/);
      const shown = api.notifications().find((n) => /^Cannot tell whether semget\(IPC_PRIVATE, 17\) x 5 would succeed on local/.test(n.text));
      assert.ok(shown, JSON.stringify(api.notifications().slice(-2)));
    }
    assert.ok(!d.advice.some((a) => /kernel\.sem\b|\/proc\/sys/.test(a)), d.advice.join('\n'));
  });

  // the orphaned segment of each listing, and one that is attached
  const seg = PLATFORM === 'freebsd' ? 589836 : 458752;
  const live = PLATFORM === 'freebsd' ? 458752 : 65538;
  it(`Recycle… of the orphaned segment: the plan says unlocked; replaced between plan and removal it is refused and ipcrm never runs; then removed by exactly \`ipcrm -m ${seg}\``, async function () {
    await vscode.commands.executeCommand('ipcExplorer.refresh');
    let res = await vscode.commands.executeCommand('ipcExplorer.recycleObject', { host: 'local', refs: [`shm:${seg}`], open: false });
    assert.equal(asked.length, 1, 'confirmed at the modal');
    assert.deepEqual([...asked[0].refs], [`shm:${seg}`]);
    assert.equal(res.plan.removal.mode, 'unlocked');
    assert.match(res.plan.removal.detail, /check-then-ipcrm, no lock/);
    assert.match(res.plan.removal.queuesStay || '', new RegExp(`queues stay on ${PLATFORM}`));
    assert.ok(res.report, JSON.stringify(res.plan.stays));
    assert.equal(res.report.refused, 1, JSON.stringify(res.report.outcomes));
    assert.match(JSON.stringify(res.report.outcomes), /ctime/i);
    assert.deepEqual(ipcrmCalls(), [], 'ipcrm never ran');
    // the listing as it is now (the later CTIME) is what the next plan sees: it is removed
    res = await vscode.commands.executeCommand('ipcExplorer.recycleObject', { host: 'local', refs: [`shm:${seg}`], open: false });
    assert.equal(asked.length, 2);
    assert.equal(res.report.refused, 0, JSON.stringify(res.report.outcomes));
    assert.deepEqual(res.report.outcomes.filter((o) => o.action === 'removed').map((o) => o.id), [seg]);
    assert.deepEqual(ipcrmCalls(), [`-m ${seg}`]);
    // a live segment is not even planned
    res = await vscode.commands.executeCommand('ipcExplorer.recycleObject', { host: 'local', refs: [`shm:${live}`], open: false });
    assert.equal(res.plan.candidates.length, 0);
    assert.match(res.plan.stays[0].why, /^live: attached/);
    assert.deepEqual(ipcrmCalls(), [`-m ${seg}`]);
  });
});

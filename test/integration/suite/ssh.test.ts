// SSH hosts in the real VS Code: two loopback "hosts" (real sshds on 127.0.0.1, each started inside its own
// nested private IPC + mount namespace, with throwaway keys and a temp ssh config) and a FreeBSD stand-in
// (FreeBSD cannot run here: a forced command gives that key's sessions `uname`/`ipcs`/`sysctl` that print
// the real FreeBSD outputs of test/fixtures/freebsd) side by side in the tree with their limits and orphans.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as h from '../helpers';
import { vscode } from '../helpers';

const FREEBSD = path.join(h.root, 'test', 'fixtures', 'freebsd');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

async function waitPort(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`sshd exited (${proc.exitCode})`);
    const ok = await new Promise<boolean>((r) => { const c = net.connect(port, '127.0.0.1'); c.once('connect', () => { c.destroy(); r(true); }); c.once('error', () => r(false)); });
    if (ok) return;
    await h.sleep(50);
  }
  throw new Error(`sshd did not listen on ${port}`);
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ipcx-it', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

/** every descendant of pid (processes this suite started: sshd sessions, forced commands) */
function descendants(pid: number | undefined): number[] {
  const kids = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid)?.push(Number(e));
    } catch { /* gone */ }
  }
  const out: number[] = [];
  if (pid === undefined) return out;
  const walk = (p: number): void => { for (const c of kids.get(p) || []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

describe('ssh: a fleet of SSH hosts in the tree', function () {
  this.timeout(120000);
  let api: h.IpcExplorerTestApi;
  let dir: string | undefined;
  const procs: ChildProcess[] = []; // [keeper, sshd] per host, all started here
  const keepers: Record<string, number | undefined> = {};
  const sshds: Record<string, ChildProcess> = {};
  const cfg = vscode.workspace.getConfiguration('ipcExplorer');
  const saved: Record<string, unknown> = {};
  /** the suite's temporary directory (made in before()) */
  const tmp = (): string => {
    assert.ok(dir, 'the suite directory');
    return dir;
  };

  async function startHost(name: string): Promise<number> {
    const dir = tmp();
    const port = await freePort();
    const conf = path.join(dir, `sshd_${name}.conf`);
    fs.writeFileSync(conf, [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host_key`, `PidFile ${dir}/sshd_${name}.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`, 'StrictModes no', 'UsePAM no', 'PermitRootLogin yes', 'PasswordAuthentication no',
      'KbdInteractiveAuthentication no', 'PrintMotd no', 'MaxSessions 100', 'LogLevel ERROR', ''].join('\n'));
    const script = 'mount --make-rprivate / && mount -t tmpfs -o mode=1777 tmpfs /dev/shm && exec sleep 100000';
    const keeper = spawn('unshare', ['--ipc', '--mount', '--', 'sh', '-c', script], { stdio: 'ignore' });
    procs.push(keeper);
    await h.waitFor(() => { try { return fs.readFileSync(`/proc/${keeper.pid}/comm`, 'utf8').trim() === 'sleep'; } catch { return false; } }, `namespace for ${name}`);
    keepers[name] = keeper.pid;
    const sshd = spawn('nsenter', ['--ipc', '--mount', '--target', String(keeper.pid), '--', '/usr/sbin/sshd', '-D', '-e', '-f', conf], { stdio: 'ignore' });
    procs.push(sshd);
    sshds[name] = sshd;
    await waitPort(port, sshd);
    return port;
  }

  function inHost(name: string, cmd: string, args: (string | number)[]): string {
    const r = spawnSync('nsenter', ['--ipc', '--mount', '--target', String(keepers[name]), '--', cmd, ...args.map(String)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  }

  before(async function () {
    h.assertPrivateIpcNamespace();
    api = await h.activateExtension();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-it-ssh-'));

    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    keygen(`${dir}/host_key`);
    keygen(`${dir}/user_key`);
    keygen(`${dir}/bsd_key`);
    // the FreeBSD stand-in's tools (see the header comment)
    const bin = path.join(dir, 'freebsd-bin');
    fs.mkdirSync(bin);
    const w = (n: string, body: string): void => fs.writeFileSync(path.join(bin, n), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    w('uname', 'case "$*" in -s) echo FreeBSD ;; -n) echo pg-jail-host ;; *) echo "FreeBSD 11.2-RELEASE-p4 amd64" ;; esac');
    w('hostname', 'echo pg-jail-host');
    w('ipcs', `case "$*" in -a) cat '${FREEBSD}/ipcs-a.txt' ;; -M) cat '${FREEBSD}/ipcs-M.txt' ;; -S) cat '${FREEBSD}/ipcs-S.txt' ;; *) echo "ipcs: no captured output for $*" >&2; exit 1 ;; esac`);
    w('sysctl', `case "$*" in kern.ipc) cat '${FREEBSD}/sysctl-kern.ipc-sem.txt' ;; *) exit 1 ;; esac`);
    fs.writeFileSync(path.join(dir, 'freebsd-shell'), `#!/bin/sh\nPATH='${bin}':/usr/bin:/bin\nexport PATH\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'authorized_keys'),
      `${fs.readFileSync(`${dir}/user_key.pub`, 'utf8').trim()}\ncommand="${dir}/freebsd-shell",no-pty ${fs.readFileSync(`${dir}/bsd_key.pub`, 'utf8').trim()}\n`);
    fs.writeFileSync(path.join(dir, 'known_hosts'), `ipcx-it-host ${fs.readFileSync(`${dir}/host_key.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')}\n`);
    const portA = await startHost('a');
    const portB = await startHost('b');
    const down = await freePort();
    fs.writeFileSync(path.join(dir, 'ssh_config'), [
      'Host hostA', `  Port ${portA}`, `  IdentityFile ${dir}/user_key`,
      'Host hostB', `  Port ${portB}`, `  IdentityFile ${dir}/user_key`,
      'Host freebsd', `  Port ${portA}`, `  IdentityFile ${dir}/bsd_key`,
      'Host down', `  Port ${down}`, `  IdentityFile ${dir}/user_key`,
      'Host *', '  User root', '  HostName 127.0.0.1', '  HostKeyAlias ipcx-it-host', `  UserKnownHostsFile ${dir}/known_hosts`,
      '  StrictHostKeyChecking yes', '  IdentitiesOnly yes', '  IdentityAgent none', ''].join('\n'));
    // host A: two segments left by a process that exited (orphans), a set; host B: SEMMNI lowered to 4 in
    // its own namespace, three sets (75 %), one orphan segment
    const bin2 = h.ipcobjBinary();
    inHost('a', bin2, ['shm', 0, 4096, 384]);
    inHost('a', bin2, ['shm', 0, 8192, 384]);
    inHost('a', bin2, ['sem', 0x1000, 3, 384]);
    inHost('b', 'sh', ['-c', 'echo "250 32000 32 4" > /proc/sys/kernel/sem']);
    for (let i = 0; i < 3; i++) inHost('b', bin2, ['sem', 0, 2, 384]);
    inHost('b', bin2, ['shm', 0, 4096, 384]);
    for (const k of ['sshHosts', 'sshConfigFile', 'recycle.recentActivitySeconds']) saved[k] = cfg.inspect(k)?.globalValue;
    await cfg.update('recycle.recentActivitySeconds', 0, vscode.ConfigurationTarget.Global);
    await cfg.update('sshConfigFile', path.join(dir, 'ssh_config'), vscode.ConfigurationTarget.Global);
    await cfg.update('sshHosts', ['hostA', 'hostB', 'freebsd'], vscode.ConfigurationTarget.Global);
  });

  after(async function () {
    for (const [k, v] of Object.entries(saved)) await cfg.update(k, v, vscode.ConfigurationTarget.Global);
    for (const p of procs.reverse()) {
      for (const d of descendants(p.pid)) { try { process.kill(d, 'SIGKILL'); } catch { /* gone */ } }
      try { if (p.pid !== undefined) process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the hosts from the machine-scoped setting after local, and "Refresh All Hosts" reads them all', async function () {
    await h.waitFor(() => ['hostA', 'hostB', 'freebsd'].every((x) => api.host(x)), 'the SSH hosts in the store');
    assert.deepEqual(api.hosts().map((x) => x.host), ['local', 'hostA', 'hostB', 'freebsd']);
    await vscode.commands.executeCommand('ipcExplorer.refreshAllHosts');
    for (const x of ['hostA', 'hostB', 'freebsd']) assert.equal(h.stateOf(api, x).error, undefined, `${x}: ${JSON.stringify(h.stateOf(api, x).error)}`);
    const a = h.snapshotOf(api, 'hostA');
    const b = h.snapshotOf(api, 'hostB');
    const f = h.snapshotOf(api, 'freebsd');
    assert.equal(a.source, 'ssh-linux');
    assert.equal(a.shms.length, 2);
    assert.equal(b.sems.length, 3);
    assert.equal(b.limits.semmni, 4);
    assert.notEqual(a.ipcNamespace, b.ipcNamespace);
    assert.equal(f.source, 'ssh-ipcs');
    assert.equal(f.platform, 'freebsd');
    assert.equal(f.sems.length, 16);
    assert.equal(f.limits.semmni, 50);
  });

  it('shows each host side by side in the tree with platform, worst limit, orphans and connection state', async function () {
    const roots = await api.tree.children();
    const byHost = new Map(roots.map((n) => [n.host, n]));
    const node = (host: string): h.TestTreeNode => {
      const n = byHost.get(host);
      assert.ok(n, `the row of ${host}`);
      return n;
    };
    const desc = async (host: string) => String((await api.tree.item(node(host))).description);
    const da = await desc('hostA');
    const db = await desc('hostB');
    const df = await desc('freebsd');
    console.log(`    hostA: ${da}\n    hostB: ${db}\n    freebsd: ${df}`);
    assert.match(da, /ssh-linux · .*linux.*2 orphans · connected/);
    assert.match(db, /SEMMNI 75 %.*1 orphan · connected/);
    // FreeBSD fixture: the largest segment (536870912) is exactly SHMMAX, a per-object maximum and not a pool:
    // the row names the fullest pool, SEMMNS (266 of 340)
    assert.match(df, /pg-jail-host · ssh-ipcs · freebsd · SEMMNS 78 % · connected/);
    // the limits under each host
    const limitsOf = async (host: string) => (await api.tree.children(node(host))).find((n) => n.id === `${host}|limits`);
    const bsdLimitsRow = await limitsOf('freebsd');
    assert.ok(bsdLimitsRow, 'the limits row of freebsd');
    const bsdLimits = await api.tree.children(bsdLimitsRow);
    const labels = await Promise.all(bsdLimits.map(async (n) => `${(await api.tree.item(n)).label}`));
    assert.ok(labels.some((l) => /SEMMNI/.test(l)), labels.join(', '));
  });

  it('an unreachable host shows its error and never blocks the others; hostile names are not added', async function () {
    await vscode.commands.executeCommand('ipcExplorer.addSshHost', 'down');
    assert.ok(api.host('down'), 'added');
    assert.equal(h.stateOf(api, 'down').error?.code, 'ESSH');
    await vscode.commands.executeCommand('ipcExplorer.refreshAllHosts');
    assert.equal(h.stateOf(api, 'down').error?.code, 'ESSH');
    for (const x of ['hostA', 'hostB', 'freebsd']) assert.equal(h.stateOf(api, x).error, undefined);
    const roots = await api.tree.children();
    const downNode = roots.find((n) => n.host === 'down');
    assert.ok(downNode, 'the row of the unreachable host');
    assert.match(String((await api.tree.item(downNode)).description), /error: ESSH/);
    assert.ok(api.notifications().some((s) => /down/.test(s.text) && /Connection refused/.test(s.text)));

    const pwned = path.join(os.tmpdir(), 'ipcx-it-pwned');
    await vscode.commands.executeCommand('ipcExplorer.addSshHost', `-oProxyCommand=touch ${pwned}`);
    assert.ok(!api.hosts().some((x) => x.host.startsWith('-')));
    assert.ok(!(cfg.get<unknown[]>('sshHosts') || []).some((x) => typeof x === 'string' && x.startsWith('-')));
    assert.equal(fs.existsSync(pwned), false);

    await vscode.commands.executeCommand('ipcExplorer.removeSshHost', 'down');
    assert.equal(api.host('down'), undefined);
    assert.deepEqual(vscode.workspace.getConfiguration('ipcExplorer').get('sshHosts'), ['hostA', 'hostB', 'freebsd']);
  });

  it('"Copy Prometheus Scrape Config" puts on the clipboard a config promtool accepts: the exporter job, and the configured hosts (not a refused entry) as /probe targets', async function () {
    const hosts = ['hostA', 'hostB', 'freebsd'];
    // a refused entry in the setting is left out of the config and counted
    await cfg.update('sshHosts', [...hosts, '-oProxyCommand=true'], vscode.ConfigurationTarget.Global);
    try {
      await vscode.env.clipboard.writeText('');
      assert.equal(await vscode.env.clipboard.readText(), '', 'the clipboard starts empty');
      const returned = await vscode.commands.executeCommand<string>('ipcExplorer.copyPrometheusScrapeConfig');
      const clip = await vscode.env.clipboard.readText();
      assert.equal(clip, returned);
      // the exporter job, then the multi-target job whose targets are the configured hosts, in their order
      assert.match(clip, /^ {2}- job_name: "ipc"\n {4}static_configs: \[\{ targets: \["127\.0\.0\.1:9863"\] \}\]$/m);
      const ssh = clip.slice(clip.indexOf('  - job_name: "ipc-ssh"'));
      assert.match(ssh, /^ {4}metrics_path: \/probe$/m);
      assert.deepEqual(JSON.parse(/^ {6}- targets: (\[.*\])$/m.exec(ssh)?.[1] ?? 'null'), hosts);
      assert.match(ssh, /- \{ source_labels: \[__address__\], target_label: __param_target \}/);
      assert.match(clip, /^# {3}ipcx serve --listen 127\.0\.0\.1:9863 --target hostA --target hostB --target freebsd$/m);
      assert.ok(!clip.includes('ProxyCommand'), 'the refused entry is not in the config');
      assert.ok(api.notifications().some((s) => /Copied a Prometheus scrape config for ipcx serve: this machine and 3 SSH hosts \(1 refused entry left out\)\./.test(s.text)),
        JSON.stringify(api.notifications().slice(-3)));
      // what was copied is a Prometheus configuration as it stands
      const file = path.join(tmp(), 'prometheus.yml');
      fs.writeFileSync(file, clip);
      const check = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      assert.equal(check.error, undefined, 'promtool runs (Debian package prometheus: tools/install-system-deps.sh integration)');
      assert.equal(check.status, 0, `promtool check config: ${check.stdout}${check.stderr}`);
    } finally {
      await cfg.update('sshHosts', hosts, vscode.ConfigurationTarget.Global);
    }
  });

  it('a host that went down: Show Limits shows its last snapshot and says how old it is', async function () {
    await vscode.commands.executeCommand('ipcExplorer.refresh', 'hostB');
    const before = h.stateOf(api, 'hostB').snapshot;
    assert.ok(before && !h.stateOf(api, 'hostB').error, 'a snapshot of hostB');
    assert.ok(sshds['b'], 'the sshd of host B');
    // stop the sshd of host B (started by this suite) and its sessions
    const sshd = sshds['b'];
    for (const d of descendants(sshd.pid)) { try { process.kill(d, 'SIGKILL'); } catch { /* gone */ } }
    sshd.kill('SIGKILL');
    await h.waitFor(() => sshd.exitCode !== null || sshd.signalCode !== null, 'sshd of host B stopped');
    const n = api.notifications().length;
    await vscode.commands.executeCommand('ipcExplorer.showLimits', 'hostB');
    const said = api.notifications().slice(n).map((x) => x.text);
    const clock = new Date(before.takenAt).toTimeString().slice(0, 8);
    assert.ok(said.some((t) => new RegExp(`^Show limits of hostB: the refresh failed \\(.*Connection refused.*\\bESSH\\b.*\\); showing the snapshot from ${clock}, (\\d+m )?\\d+s ago\\. Refresh to try again\\.$`).test(t)),
      `the age of the data shown: ${JSON.stringify(said)}`);
    const doc = h.activeDocument();
    assert.equal(doc.uri.scheme, 'ipcx');
    assert.match(doc.uri.path, /^\/hostB\//);
    const semmni = doc.getText().split('\n').find((l) => /^\S*\s*SEMMNI\b/.test(l));
    assert.match(semmni || '', /\b3\/4\b/, 'the last snapshot of host B (3 of 4 sets)');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});

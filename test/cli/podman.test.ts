/**
 * End to end with a real container: Debian's podman (rootful, vfs storage, runc, the cgroupfs cgroup manager;
 * no network, so the image is imported from a tarball of this machine's sh, sleep and ipcmk with their
 * libraries). The container makes a semaphore set and a queue in its IPC namespace and a file in its 16 MiB
 * /dev/shm; `ipcx namespaces` names it by its podman id and hostname, and `ipcx snapshot --namespace ID`
 * shows its objects and /dev/shm.
 *
 * On this kind of machine podman needs: --runtime runc (crun refuses a cgroup v2 mount with controllers in
 * a hybrid layout), --cgroup-manager cgroupfs (no systemd), and ulimits at or below the caller's (the runtime
 * lacks CAP_SYS_RESOURCE to set its defaults). Storage and run state live in a temporary directory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';

const havePodman = spawnSync('podman', ['--version']).status === 0 && spawnSync('runc', ['--version']).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-podman-'));
const name = `ipcx-e2e-${process.pid}`;
const base = ['--storage-driver', 'vfs', '--root', path.join(tmp, 'storage'), '--runroot', path.join(tmp, 'run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];

function podman(args: string[]) {
  const r = spawnSync('podman', [...base, ...args], { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

after(() => {
  if (havePodman) {
    podman(['rm', '-f', '-t', '0', name]);
    podman(['rmi', '-f', 'ipcx-e2e:test']);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

function ipcx(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'ipcx.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** A root file system with sh, sleep, ipcmk and the libraries ldd names, as a tarball. */
function rootfsTarball(): string {
  const root = path.join(tmp, 'rootfs');
  for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc']) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const prog of ['sh', 'sleep', 'ipcmk']) {
    const where = spawnSync('sh', ['-c', `command -v ${prog}`], { encoding: 'utf8' }).stdout.trim();
    fs.copyFileSync(fs.realpathSync(where), path.join(root, 'bin', prog));
    fs.chmodSync(path.join(root, 'bin', prog), 0o755);
    const ldd = spawnSync('ldd', [where], { encoding: 'utf8' }).stdout;
    for (const lib of ldd.match(/\/\S+/g) ?? []) {
      const dest = path.join(root, lib);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      if (!fs.existsSync(dest)) fs.copyFileSync(fs.realpathSync(lib), dest);
    }
  }
  const tar = path.join(tmp, 'rootfs.tar');
  const r = spawnSync('tar', ['-C', root, '-cf', tar, '.']);
  assert.equal(r.status, 0);
  return tar;
}

test('podman: a real container is named by its id and hostname, and its objects and /dev/shm are read', { skip: havePodman ? false : 'podman or runc not installed (tools/install-system-deps.sh cli installs them)' }, async () => {
  assertPrivateIpcNamespace();
  let r = podman(['import', rootfsTarball(), 'ipcx-e2e:test']);
  assert.equal(r.status, 0, `podman import: ${r.err}`);
  const script = 'ipcmk -S 4 >/dev/null && ipcmk -Q >/dev/null && echo hi > /dev/shm/x && exec sleep 100000';
  r = podman(['run', '-d', '--name', name, '--shm-size', '16m', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
    'ipcx-e2e:test', '/bin/sh', '-c', script]);
  assert.equal(r.status, 0, `podman run: ${r.err}`);
  const id = r.out.split('\n').pop()!;
  assert.match(id, /^[0-9a-f]{64}$/);
  const pid = Number(podman(['inspect', '-f', '{{.State.Pid}}', name]).out);
  assert.ok(pid > 0);
  // the container is ready when its /dev/shm file exists (written after the objects)
  for (let i = 0; i < 400 && !fs.existsSync(`/proc/${pid}/root/dev/shm/x`); i++) await new Promise((res) => setTimeout(res, 25));
  assert.ok(fs.existsSync(`/proc/${pid}/root/dev/shm/x`), 'the container wrote /dev/shm/x');

  const list = JSON.parse(ipcx(['namespaces', '--json']).out) as Array<{
    pids: number[]; container?: { runtime: string; id?: string }; hostname?: string; label: string; enterable: boolean;
  }>;
  const n = list.find((x) => x.pids.includes(pid));
  assert.ok(n, 'its namespace is listed');
  assert.equal(n.container?.runtime, 'podman');
  assert.equal(n.container?.id, id);
  assert.equal(n.hostname, id.slice(0, 12), 'podman sets the UTS hostname to the short id');
  assert.equal(n.label, `podman ${id.slice(0, 12)} · sleep`);

  const s = ipcx(['snapshot', '--namespace', id.slice(0, 12), '--json']);
  assert.equal(s.status, 0, s.err);
  const snap = JSON.parse(s.out) as { sems: Array<{ nsems: number }>; msgs: unknown[]; posixShms: Array<{ name: string }>; devShm?: { size: number }; namespaceLabel?: string };
  assert.deepEqual(snap.sems.map((x) => x.nsems), [4]);
  assert.equal(snap.msgs.length, 1);
  assert.deepEqual(snap.posixShms.map((x) => x.name), ['/x']);
  assert.equal(snap.devShm?.size, 16 * 1024 * 1024);
  assert.equal(snap.namespaceLabel, n.label);

  // its metrics: every series labelled with its namespace and container; the figures are what it made
  const m = ipcx(['metrics', '--namespace', id.slice(0, 12)]);
  assert.equal(m.status, 0, m.err);
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: m.out, encoding: 'utf8' });
  if (!promtool.error) assert.equal(promtool.status, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`);
  const ipcLines = m.out.split('\n').filter((l) => l.startsWith('ipc_'));
  assert.ok(ipcLines.length > 20);
  const nsIno = fs.readlinkSync(`/proc/${pid}/ns/ipc`);
  for (const l of ipcLines) assert.ok(l.includes(`namespace="${nsIno}"`) && l.includes(`container="podman ${id.slice(0, 12)}"`), l);
  const value = (re: RegExp) => Number(re.exec(m.out)?.[1]);
  assert.equal(value(/^ipc_used\{[^}]*resource="SEMMNS"[^}]*\} (\d+)$/m), 4);
  assert.equal(value(/^ipc_used\{[^}]*resource="MSGMNI"[^}]*\} (\d+)$/m), 1);
  assert.equal(value(/^ipc_devshm_size_bytes\{[^}]*\} (\d+)$/m), 16 * 1024 * 1024);
});

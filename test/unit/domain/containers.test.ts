/**
 * Container names from real /proc/PID/cgroup contents (test/fixtures/cgroup: one file per runtime, each
 * naming where it was recorded and what it must resolve to), pod names from /var/log/pods entries, the
 * labels, and `--namespace` resolution.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { unsafeDevShm } from '../../../extension/backend/namespaceSource';
import { findNamespace, namespaceLabel } from '../../../extension/backend/namespaces';
import { describeContainer, identifyCgroupPath, parseProcCgroup, podFromLogDirs, systemdUnescape } from '../../../extension/domain/containers';
import type { IpcNamespaceInfo } from '../../../extension/shared/namespaces';

const dir = path.join(__dirname, '..', '..', 'fixtures', 'cgroup');
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

test('every runtime has a cgroup fixture naming its source', () => {
  const runtimes = new Set<string>();
  for (const f of fixtures) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.match(text, /^# source: \S+/m, `${f} names its source`);
    const exp = /^# expect: (\S+)/m.exec(text);
    assert.ok(exp, `${f} says what it must resolve to`);
    runtimes.add(exp[1]!);
  }
  for (const r of ['docker', 'containerd', 'cri-o', 'kubernetes', 'podman', 'systemd-nspawn', 'lxc', 'none']) {
    assert.ok(runtimes.has(r), `a fixture for ${r}`);
  }
});

for (const f of fixtures) {
  test(`cgroup fixture ${f}`, () => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const body = text.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    const [runtime, ...fields] = /^# expect: (.*)$/m.exec(text)![1]!.split(' ');
    const got = parseProcCgroup(body);
    if (runtime === 'none') {
      assert.equal(got, undefined);
      return;
    }
    assert.ok(got, `${f}: a container`);
    assert.equal(got.runtime, runtime);
    const want = Object.fromEntries(fields.map((kv) => kv.split('=') as [string, string]));
    assert.equal(got.id, want['id']);
    assert.equal(got.name, want['name']);
    assert.equal(got.podUid, want['pod']);
    assert.equal(got.qos, want['qos']);
  });
}

test('cgroup lines: the v2 line wins over v1 lines, monitors and the root are no container', () => {
  const id = 'a'.repeat(64);
  const both = `5:memory:/docker/${'b'.repeat(64)}\n0::/system.slice/docker-${id}.scope\n`;
  assert.equal(parseProcCgroup(both)?.id, id);
  assert.equal(parseProcCgroup('0::/\n'), undefined);
  assert.equal(parseProcCgroup(''), undefined);
  assert.equal(parseProcCgroup('garbage\n:::\n0::relative\n'), undefined);
  assert.equal(identifyCgroupPath(`/machine.slice/libpod-conmon-${id}.scope`), undefined);
  // a 64-hex directory that is not under docker or a pod names nothing
  assert.equal(identifyCgroupPath(`/system.slice/${id}`), undefined);
  // innermost wins: a Docker container inside an LXC container is the Docker container
  assert.equal(identifyCgroupPath(`/lxc.payload.host/system.slice/docker-${id}.scope`)?.runtime, 'docker');
  assert.deepEqual(identifyCgroupPath('/lxc/web1'), { runtime: 'lxc', name: 'web1', cgroupPath: '/lxc/web1' });
  assert.equal(systemdUnescape('foo\\x2dbar\\x5c'), 'foo-bar\\');
});

test('pod names from /var/log/pods entries', () => {
  const uid = '1e597579-417e-482f-bf65-5fe170c3aebd';
  const dirs = ['kube-system_kube-proxy-x7_0a8e', `default_web-0_${uid}`, 'junk', 'a_b_c_d'];
  assert.deepEqual(podFromLogDirs(dirs, uid), { namespace: 'default', name: 'web-0', uid });
  assert.equal(podFromLogDirs(dirs, 'ffffffff-417e-482f-bf65-5fe170c3aebd'), undefined);
  const c = parseProcCgroup(fs.readFileSync(path.join(dir, 'containerd-cri-v2.txt'), 'utf8').replace(/^#.*$/gm, ''))!;
  assert.equal(describeContainer(c, { namespace: 'default', name: 'web-0', uid }), 'pod default/web-0 · containerd a09bc17f5aa2');
  assert.equal(describeContainer(c), `pod ${uid} · containerd a09bc17f5aa2`);
  assert.equal(describeContainer({ runtime: 'systemd-nspawn', name: 'fedora', cgroupPath: '/' }), 'machine fedora');
});

function ns(over: Partial<IpcNamespaceInfo>): IpcNamespaceInfo {
  const n: IpcNamespaceInfo = {
    ns: 'ipc:[4026532100]', inode: 4026532100, own: false, initial: false, pids: [10], mainPid: 10,
    nsPath: '/proc/10/ns/ipc', label: '', enterable: true, ...over,
  };
  n.label = namespaceLabel(n);
  return n;
}

test('namespace labels and --namespace resolution by pid, inode, name, id prefix', () => {
  const host = ns({ ns: 'ipc:[4026531839]', inode: 4026531839, initial: true, own: true, pids: [1, 2], mainPid: 1 });
  const d = ns({ ns: 'ipc:[4026532200]', inode: 4026532200, pids: [200, 201], mainPid: 200, comm: 'postgres',
    container: { runtime: 'docker', id: '2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d', cgroupPath: '/docker/x' } });
  const plain = ns({ ns: 'ipc:[4026532300]', inode: 4026532300, pids: [300], mainPid: 300, comm: 'sleep' });
  assert.equal(host.label, 'host');
  assert.equal(d.label, 'docker 2403ccfe427f · postgres');
  assert.equal(plain.label, 'ipc:[4026532300] · sleep (pid 300)');
  const list = [host, d, plain];
  const pick = (s: string) => {
    const r = findNamespace(list, s);
    return 'ns' in r ? r.ns.inode : r.error;
  };
  assert.equal(pick('201'), 4026532200);
  assert.equal(pick('ipc:[4026532300]'), 4026532300);
  assert.equal(pick('4026532300'), 4026532300);
  assert.equal(pick('2403ccfe'), 4026532200);
  assert.equal(pick('host'), 4026531839);
  assert.equal(pick('docker 2403ccfe427f · postgres'), 4026532200);
  assert.match(String(pick('999')), /no IPC namespace holds pid 999/);
  assert.match(String(pick('nope')), /no IPC namespace is named "nope"/);
});

test('a container /dev/shm (or /dev) that is a symbolic link is not followed through /proc/PID/root', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-devshm-link-'));
  try {
    const ok = path.join(tmp, 'ok');
    fs.mkdirSync(path.join(ok, 'dev', 'shm'), { recursive: true });
    assert.equal(unsafeDevShm(ok), undefined);
    const linked = path.join(tmp, 'linked');
    fs.mkdirSync(path.join(linked, 'dev'), { recursive: true });
    fs.symlinkSync('/etc', path.join(linked, 'dev', 'shm'));
    assert.match(unsafeDevShm(linked) ?? '', /dev\/shm is a symbolic link/);
    const devLinked = path.join(tmp, 'devlinked');
    fs.mkdirSync(devLinked);
    fs.symlinkSync('/', path.join(devLinked, 'dev'));
    assert.match(unsafeDevShm(devLinked) ?? '', /dev is a symbolic link/);
    assert.match(unsafeDevShm(path.join(tmp, 'missing')) ?? '', /ENOENT/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

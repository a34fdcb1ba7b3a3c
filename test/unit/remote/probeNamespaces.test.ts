/**
 * The probe's namespace sections (want_ns=1) parsed: a namespace gone between the listing and nsenter is
 * ENOENT for itself only, each reason for not entering is said once and carried by every namespace, and a
 * container's cgroup text cannot start a section (every line of it is printed behind `g `). Synthetic
 * documents in the probe's format; the real probe against a real sshd is test/remote/namespaces.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findNamespace } from '../../../extension/backend/namespaces';
import { parseProbe } from '../../../extension/domain/probeParser';

const HEAD = [
  '@@ipcx-probe 1', '@@section uname', 'Linux 6.1.0 x86_64', '@@section hostname', 'node1', '@@section uid', '0',
  '@@section now', '1764000000', '@@section ipcns', 'ipc:[4026531839]', '@@section pagesize', '4096',
  '@@section sysvipc-sem', ' key semid perms nsems uid gid cuid cgid otime ctime',
  '@@section sysvipc-shm', ' key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap',
  '@@section sysvipc-msg', ' key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime',
  '@@section limits', '/proc/sys/kernel/sem 250 32000 32 128', '/proc/sys/kernel/shmmni 4096', '/proc/sys/kernel/msgmni 32000',
];
const NS = (ino: string, pid: string, semmni: string, seen = ino) => [
  `@@section ns.${ino}.meta`, `pid ${pid}`, 'comm postgres', 'g 0::/system.slice/docker-2403ccfe427faaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.scope',
  'g @@section ns.1.limits', 'devshm 4096 16384 1000 1000 tmpfs',
  // the probe run inside it (its sections renamed ns.INODE.NAME): the namespace it found itself in
  `@@section ns.${ino}.ipcns`, `ipc:[${seen}]`,
  `@@section ns.${ino}.sysvipc-sem`, ' key semid perms nsems uid gid cuid cgid otime ctime', '0 0 600 17 999 999 999 999 0 1764000000',
  `@@section ns.${ino}.sysvipc-shm`, ' key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap',
  `@@section ns.${ino}.sysvipc-msg`, ' key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime',
  `@@section ns.${ino}.limits`, `/proc/sys/kernel/sem 250 32000 32 ${semmni}`,
  `@@section ns.${ino}.pids`,
];

function doc(enter: string, rest: string[]): string {
  return [...HEAD, '@@section ns-enter', enter, '@@section ns-unreadable', '0', '@@section ns-list', '4026531839 1', '4026532181 4242', '4026532190 5000',
    ...rest, '@@section pids', '@@end', ''].join('\n');
}

test('a read namespace, and one gone before nsenter (ENOENT for itself only)', () => {
  const r = parseProbe(doc('root', [...NS('4026532181', '4242', '8'), '@@section ns.4026532190.meta', 'pid 5000', 'comm sleep',
    '@@section ns.4026532190.error', '! /proc/5000: No such process']), { host: 'h' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const n = r.value.namespaces!;
  assert.equal(n.enteredAs, 'root');
  assert.equal(n.list.length, 2, 'the probe\'s own namespace (no meta) is not listed again');
  const [a, gone] = n.list;
  assert.equal(a!.namespace.label, 'docker 2403ccfe427f · postgres');
  assert.equal(a!.namespace.container?.runtime, 'docker');
  assert.equal(a!.snapshot!.limits.semmni, 8);
  assert.equal(a!.snapshot!.sems.length, 1);
  assert.deepEqual(a!.snapshot!.devShm, { path: '/proc/4242/root/dev/shm', size: 16384 * 4096, used: 15384 * 4096, avail: 1000 * 4096, fsType: 'tmpfs' });
  assert.equal(gone!.error?.code, 'ENOENT');
  assert.match(gone!.error!.message, /its processes exited: the namespace is gone/);
  assert.equal(r.value.snapshot.limits.semmni, 128, 'the host\'s own limits are its own');
});

test('each reason for not entering is said once and carried by every namespace', () => {
  for (const [how, why] of [
    ['no-nsenter', /nsenter is not installed/],
    ['no-sudo', /uid 0 \(not root\) and `sudo -n nsenter` was refused/],
    ['none', /the host has no sudo/],
  ] as const) {
    const r = parseProbe(doc(how, ['@@section ns.4026532181.meta', 'pid 4242', 'comm postgres']), { host: 'h' });
    assert.ok(r.ok);
    assert.match(r.value.namespaces!.cannotEnter ?? '', why);
    assert.equal(r.value.namespaces!.list[0]!.error?.code, 'EPERM');
    assert.equal(r.value.namespaces!.list[0]!.namespace.enterable, false);
  }
});

test('a pid that is in another namespace by the time nsenter runs (reused): ECHANGED, nothing of it read', () => {
  const r = parseProbe(doc('root', NS('4026532181', '4242', '8', '4026532999')), { host: 'h' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const [a] = r.value.namespaces!.list;
  assert.equal(a!.snapshot, undefined);
  assert.equal(a!.error?.code, 'ECHANGED');
  assert.match(a!.error!.message, /pid 4242 is in ipc:\[4026532999\] now, not ipc:\[4026532181\]: nothing read/);
});

test('every member pid of a namespace is kept (--namespace PID), the lowest is the one entered', () => {
  const text = doc('root', NS('4026532181', '4242', '8')).replace('4026532181 4242\n', '4026532181 4242\n4026532181 4300\n');
  const r = parseProbe(text, { host: 'h' });
  assert.ok(r.ok);
  assert.deepEqual(r.value.namespaces!.list[0]!.namespace.pids, [4242, 4300]);
  assert.equal(r.value.namespaces!.list[0]!.namespace.mainPid, 4242);
  assert.deepEqual(r.value.namespaces!.ownPids, [1]);
});

test('listed only (ns-mode list): every namespace named as when read (container, label, pids), none read; a reason still carried by each', () => {
  const meta = ['@@section ns.4026532181.meta', 'pid 4242', 'comm postgres',
    'g 0::/system.slice/docker-2403ccfe427faaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.scope', 'devshm 4096 16384 1000 1000 tmpfs',
    '@@section ns.4026532190.meta', 'pid 5000', 'comm sleep'];
  const r = parseProbe(doc('root', ['@@section ns-mode', 'list', ...meta]), { host: 'h' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const n = r.value.namespaces!;
  assert.equal(n.listedOnly, true);
  assert.equal(n.enteredAs, 'root');
  assert.deepEqual(n.list.map((e) => [e.namespace.ns, e.namespace.label, e.namespace.mainPid, e.namespace.enterable, e.snapshot, e.error]), [
    ['ipc:[4026532181]', 'docker 2403ccfe427f · postgres', 4242, true, undefined, undefined],
    ['ipc:[4026532190]', 'ipc:[4026532190] · sleep (pid 5000)', 5000, true, undefined, undefined],
  ]);
  // what --namespace NAME matches on: the container id prefix, the label, a pid, the inode
  const list = n.list.map((e) => e.namespace);
  for (const [spec, want] of [['2403ccfe', 4026532181], ['ipc:[4026532190] · sleep (pid 5000)', 4026532190], ['5000', 4026532190], ['ipc:[4026532181]', 4026532181]] as const) {
    const f = findNamespace(list, spec);
    assert.ok('ns' in f, `${spec}: ${'error' in f ? f.error : ''}`);
    assert.equal(f.ns.inode, want);
  }
  const none = parseProbe(doc('none', ['@@section ns-mode', 'list', ...meta]), { host: 'h' });
  assert.ok(none.ok);
  assert.match(none.value.namespaces!.cannotEnter ?? '', /the host has no sudo/);
  for (const e of none.value.namespaces!.list) assert.equal(e.error?.code, 'EPERM');
  // without ns-mode (a probe that read them) an entry with no sections read is an error, not a listing
  const read = parseProbe(doc('root', meta), { host: 'h' });
  assert.ok(read.ok);
  assert.equal(read.value.namespaces!.listedOnly, undefined);
  for (const e of read.value.namespaces!.list) assert.equal(e.error?.code, 'EPERM');
});

/**
 * The host's other IPC namespaces over SSH, against a real sshd on 127.0.0.1 (its own private IPC namespace)
 * and two namespaces made on this machine by the test (`unshare --ipc --mount --pid --fork`: own kernel.sem,
 * own tmpfs /dev/shm, sets, a queue, a file, a holder). The probe enters each with `nsenter -t PID -i` in the
 * same round trip: each made namespace's snapshot equals the one the native binding takes inside it (setns on
 * a worker thread), its /dev/shm size and use are its own; `ipcx snapshot --host --all-namespaces --json`
 * prints them; as a non-root session without sudo (none is installed here) the probe says it cannot enter.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { discoverNamespaces, findNamespace } from '../../extension/backend/namespaces';
import { NamespaceSource } from '../../extension/backend/namespaceSource';
import type { NamespaceSnapshot } from '../../extension/shared/namespaces';
import type { IpcSnapshot } from '../../extension/shared/model';
import type { MadeNamespace } from '../helpers/containers';
import { needs } from '../helpers/capabilities';
import { startNamespacesHost, type SshdHarness } from './sshdHarness';

const sshd = needs('sshd');
const root = path.resolve(__dirname, '..', '..');
let h: SshdHarness;
const made: MadeNamespace[] = [];
const MiB = 1024 * 1024;

before(async () => {
  if (!sshd.ready()) return;
  h = await startNamespacesHost(made);
});

after(async () => {
  for (const m of made) await m.end();
  await h?.stopAll();
});

/** What both readers must agree on: the objects' identities and headers, the limits, the usage. */
function essentials(s: IpcSnapshot) {
  return {
    sems: s.sems.map((x) => [x.id, x.key, x.nsems, x.mode, x.uid, x.ctime]),
    shms: s.shms.map((x) => [x.id, x.key, x.segsz, x.nattch, x.cpid]),
    msgs: s.msgs.map((x) => [x.id, x.key, x.qnum, x.cbytes, x.lspid]),
    limits: { ...s.limits, unlimited: undefined, mqueue: undefined },
    // (the native reader adds the shm rss/swap pages, which /proc/sysvipc's columns also carry per segment)
    usage: [s.usage.semSets, s.usage.semTotal, s.usage.shmSegments, s.usage.shmPages, s.usage.msgQueues, s.usage.msgMessages, s.usage.msgBytes],
  };
}

test('one round trip enters every other namespace (nsenter -t PID -i -u as root): each made one equals the snapshot taken inside it', sshd, async () => {
  const r = await h.source('rootlogin', { timeoutMs: 120_000 }).snapshotWithNamespaces();
  assert.equal(r.namespaces.enteredAs, 'root');
  assert.equal(r.namespaces.cannotEnter, undefined);
  // the probe's own namespace is the sshd's, not listed again
  const sshdNs = fs.readlinkSync(`/proc/${h.hosts.get('s')!.pid}/ns/ipc`);
  assert.equal(r.snapshot.ipcNamespace, sshdNs);
  assert.equal(r.namespaces.list.some((e) => e.namespace.ns === sshdNs), false);
  // the stage's own namespace (where this test runs) is one of the others
  assert.ok(r.namespaces.list.some((e) => e.namespace.ns === fs.readlinkSync('/proc/self/ns/ipc')));

  const discovery = discoverNamespaces();
  for (const [m, want] of [[made[0]!, { sets: 2, semmni: 6, msgs: 0, size: 8 * MiB, used: 2 * MiB }], [made[1]!, { sets: 1, semmni: 9, msgs: 1, size: 4 * MiB, used: 3 * MiB }]] as const) {
    const e = r.namespaces.list.find((x) => x.namespace.ns === m.ns) as NamespaceSnapshot | undefined;
    assert.ok(e, `${m.ns} is listed: ${r.namespaces.list.map((x) => x.namespace.ns).join(' ')}`);
    assert.ok(e.snapshot, `${m.ns} was read: ${e.error?.message}`);
    const s = e.snapshot;
    assert.equal(s.ipcNamespace, m.ns);
    assert.equal(s.sems.length, want.sets);
    assert.equal(s.msgs.length, want.msgs);
    assert.equal(s.limits.semmni, want.semmni, 'its own kernel.sem, read inside it');
    assert.equal(s.devShm?.size, want.size, 'its own /dev/shm tmpfs');
    assert.equal(s.devShm?.used, want.used);
    assert.match(e.namespace.label, /unshare \(pid \d+\)$/);
    // entered with -u too: its UTS hostname (the first has a UTS namespace of its own; the second shares the host's)
    assert.equal(e.namespace.hostname, m === made[0] ? 'ipcx-ns-one' : os.hostname());
    // the native binding's snapshot of the same namespace (setns on a worker thread) agrees
    const found = findNamespace(discovery.namespaces, String(m.pid));
    assert.ok('ns' in found);
    const inside = await new NamespaceSource(found.ns).snapshot();
    assert.deepEqual(essentials(s), essentials(inside));
    // the pids its objects name have facts (the host's pid numbers), e.g. the queue's sender
    for (const q of s.msgs) assert.ok(s.processes[q.lspid], `facts for lspid ${q.lspid}`);
  }
});

test('a session that is not root and has no sudo: the probe says it cannot enter, and the own snapshot still arrives', sshd, async () => {
  const r = await h.source('nobody', { timeoutMs: 120_000 }).snapshotWithNamespaces();
  assert.equal(r.snapshot.uid, 65534);
  assert.equal(r.namespaces.enteredAs, undefined);
  assert.match(r.namespaces.cannotEnter ?? '', /runs as uid 65534 \(not root\) and the host has no sudo: other IPC namespaces cannot be entered/);
  // other users' /proc/PID/ns/ipc are unreadable to it: counted, not silently dropped
  assert.ok(r.namespaces.unreadable > 0);
  for (const e of r.namespaces.list) assert.equal(e.error?.code, 'EPERM');
});

test('ipcx snapshot --host DEST --all-namespaces --json: the probe\'s namespace first, then every other one', sshd, () => {
  const ipcx = path.join(root, 'dist', 'ipcx.js');
  if (!fs.existsSync(ipcx)) spawnSync(process.execPath, [path.join(root, 'tools', 'esbuild.mjs')], { cwd: root });
  const run = (alias: string) => spawnSync(process.execPath, [ipcx, 'snapshot', '--host', alias, '--all-namespaces', '--json'], {
    encoding: 'utf8', env: { ...process.env, IPCX_SSH_CONFIG: h.configFile, IPCX_SSH_TIMEOUT_SECONDS: '60' }, maxBuffer: 256 * MiB,
  });
  const r = run('rootlogin');
  const doc = JSON.parse(r.stdout) as NamespaceSnapshot[];
  // 0, or 3 only for namespaces of other programs on this machine that ended during the probe (ENOENT)
  const failed = doc.filter((x) => x.error);
  assert.equal(r.status, failed.length ? 3 : 0, r.stderr);
  for (const f of failed) {
    assert.equal(f.error!.code, 'ENOENT', f.error!.message);
    assert.ok(!made.some((m) => m.ns === f.namespace.ns), `a made namespace failed: ${f.error!.message}`);
  }
  assert.equal(doc[0]!.namespace.own, true);
  assert.equal(doc[0]!.snapshot!.ipcNamespace, fs.readlinkSync(`/proc/${h.hosts.get('s')!.pid}/ns/ipc`));
  const b = doc.find((x) => x.namespace.ns === made[1]!.ns);
  assert.equal(b?.snapshot?.limits.semmni, 9);
  // not root: exit 3 (incomplete) and the reason on stderr
  const n = run('nobody');
  assert.equal(n.status, 3, n.stderr);
  assert.match(n.stderr, /warning: nobody: the probe runs as uid 65534 \(not root\) and the host has no sudo/);
});

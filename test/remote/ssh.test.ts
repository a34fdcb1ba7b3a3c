/**
 * SSH hosts against a real OpenSSH server (Debian openssh-server) on 127.0.0.1, with throwaway keys and a
 * temp config. Each "host" is an sshd started inside its own nested private IPC + mount namespace, so its
 * sessions see only that namespace's objects; objects are made there with `nsenter`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { parseHostSpec } from '../../extension/remote/hostName';
import { SshSource } from '../../extension/remote/sshSource';
import type { IpcSnapshot } from '../../extension/shared/model';
import { SshdHarness } from './sshdHarness';
import { needs } from '../helpers/capabilities';

const sshd = needs('sshd');

let h: SshdHarness;
let ipcMake: string;
let shmHold: string;
let posixSem: string;
const sources: SshSource[] = [];
const holders: number[] = [];

function source(spec: string, opts: ConstructorParameters<typeof SshSource>[1] = {}): SshSource {
  const d = parseHostSpec(spec);
  assert.ok(d.ok);
  const s = new SshSource(d.value, { configFile: h.configFile, connectTimeoutSec: 5, ...opts });
  sources.push(s);
  return s;
}

function localSnapshotIn(host: string): IpcSnapshot {
  const r = spawnSync('nsenter', ['--ipc', '--mount', '--target', String(h.namespacePid(host)), `--wd=${process.cwd()}`, '--',
    process.execPath, '--import', 'tsx', path.join(__dirname, 'localSnapshot.ts')], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as IpcSnapshot;
}

function make(host: string, args: string[]): string {
  const r = h.hosts.get(host)!.exec(ipcMake, args);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return r.stdout;
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  ipcMake = buildC('ipc_make');
  shmHold = buildC('shm_hold');
  posixSem = buildC('posix_sem');
  h = new SshdHarness();
  await h.startHost('a');
  await h.startHost('b');
  h.addAlias('hostA', 'a');
  h.addAlias('hostB', 'b');
  // host A: a few sets with values, two segments (one attached by a live process), a queue with messages,
  // a POSIX semaphore
  make('a', ['sem', '-n', '3', '-s', '4', '-v', 'p', '-k', '4096']);
  const shm = make('a', ['shm', '-n', '2', '-s', '65536', '-k', '8192']);
  make('a', ['msg', '-n', '1', '-M', '3', '-B', '16', '-k', '12288']);
  // attach the SECOND segment: shmid 0 shows as inode 0 in /proc/PID/maps, which mapsParser skips
  const shmid = shm.trim().split('\n')[1].split(' ')[1];
  // an argv, not a shell line: the checkout's path may hold spaces
  const hold = spawn('nsenter', ['--ipc', '--mount', '--target', String(h.namespacePid('a')), '--', shmHold, shmid], { stdio: 'ignore', detached: true });
  hold.unref();
  holders.push(hold.pid!);
  assert.equal(h.hosts.get('a')!.exec(posixSem, ['create', '/orders', '3']).status, 0);
  // host B: other objects
  make('b', ['sem', '-n', '5', '-s', '17', '-k', '70000']);
  make('b', ['shm', '-n', '1', '-s', '4096']);
  // wait until the holder has attached (the kernel says nattch 1): no test may start before that, however
  // slow the machine; give up loudly after a minute
  const attached = (): boolean => {
    const t = h.hosts.get('a')!.exec('cat', ['/proc/sysvipc/shm']).stdout;
    return /\s1\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s*$/m.test(t) || t.split('\n').some((l) => l.trim().split(/\s+/)[6] === '1');
  };
  for (const until = Date.now() + 60_000; !attached(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > until) throw new Error('the shm holder on host a did not attach within 60 s');
  }
});

after(async () => {
  for (const s of sources) await s.close();
  for (const p of holders) {
    try {
      // the nsenter'd holder (started by this test); its exec'd shm_hold has the same pid
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await h?.stopAll();
});

/** The fields both sources must agree on (see the notes where they cannot). */
function comparable(s: IpcSnapshot) {
  // A /SYSV mapping of a process in ANOTHER IPC namespace is another segment with the same shmid (other
  // tests run their own namespaces meanwhile). The probe parser drops such attachers; LocalSource
  // keeps them, so both sides are compared without them.
  const foreign = (pid: number) => s.processes[pid]?.ipcNs !== undefined && s.ipcNamespace !== undefined && s.processes[pid].ipcNs !== s.ipcNamespace;
  const attachersHere = (a: number[] | undefined) => a?.filter((p) => !foreign(p));
  const mentioned = new Set<number>();
  for (const o of s.shms) {
    mentioned.add(o.cpid);
    mentioned.add(o.lpid);
    for (const p of attachersHere(o.attachers) ?? []) mentioned.add(p);
  }
  for (const o of s.msgs) {
    mentioned.add(o.lspid);
    mentioned.add(o.lrpid);
  }
  for (const o of [...s.posixSems, ...s.posixShms]) for (const p of o.attachers ?? []) mentioned.add(p);
  s = {
    ...s,
    shms: s.shms.map((o) => ({ ...o, attachers: attachersHere(o.attachers) })),
    processes: Object.fromEntries(Object.entries(s.processes).filter(([pid]) => mentioned.has(Number(pid)))),
  };
  return {
    platform: s.platform,
    ipcNamespace: s.ipcNamespace,
    uid: s.uid,
    kernel: s.kernel,
    // remote has no per-semaphore values in a snapshot (no /proc for them; semDetail reads them on demand)
    sems: s.sems.map(({ values: _v, elems: _e, valuesError: _ve, ...rest }) => rest),
    // rss/swap: /proc/sysvipc/shm prints them, SHM_STAT (native) does not
    shms: s.shms.map(({ rss: _r, swap: _s, ...rest }) => rest),
    // /proc/sysvipc/msg does not print msg_qbytes (the native binding reads it with MSG_STAT)
    msgs: s.msgs.map(({ qbytes: _q, ...rest }) => rest),
    posixShms: s.posixShms,
    // remote reads the bytes with od (atomic: false); the native binding with one 8-byte load
    posixSems: s.posixSems.map(({ decoded, ...rest }) => ({ ...rest, value: decoded?.value, nwaiters: decoded?.nwaiters })),
    limits: s.limits,
    usage: { semSets: s.usage.semSets, semTotal: s.usage.semTotal, shmSegments: s.usage.shmSegments, shmPages: s.usage.shmPages, msgQueues: s.usage.msgQueues, msgMessages: s.usage.msgMessages, msgBytes: s.usage.msgBytes },
    processes: Object.fromEntries(Object.entries(s.processes).map(([pid, f]) => [pid, { alive: f.alive, comm: f.comm, startTime: f.startTime, uid: f.uid, ipcNs: f.ipcNs }])),
  };
}

test('each loopback host shows exactly its own namespace, equal to the local snapshot taken inside it', sshd, async () => {
  const a = source('hostA');
  const b = source('hostB');
  const [sa, sb] = await Promise.all([a.snapshot(), b.snapshot()]);
  assert.equal(sa.source, 'ssh-linux');
  assert.equal(sa.host, 'hostA');
  assert.equal(sa.sems.length, 3);
  assert.equal(sa.shms.length, 2);
  assert.equal(sa.msgs.length, 1);
  assert.equal(sa.posixSems.length, 1);
  assert.equal(sb.sems.length, 5);
  assert.notEqual(sa.ipcNamespace, sb.ipcNamespace);
  assert.notEqual(sa.ipcNamespace, fs.readlinkSync('/proc/self/ns/ipc'));
  const attached = sa.shms.find((s) => s.nattch === 1)!;
  assert.ok(attached, 'the holder attached a segment');
  assert.equal(attached.attachers?.length, 1);
  assert.equal(sa.processes[attached.attachers![0]].alive, true);
  assert.equal(sa.processes[attached.attachers![0]].comm, 'shm_hold');
  assert.equal(sa.posixSems[0].decoded?.value, 3);

  const la = localSnapshotIn('a');
  const lb = localSnapshotIn('b');
  assert.deepEqual(comparable(sa), comparable(la));
  assert.deepEqual(comparable(sb), comparable(lb));
});

test('per-set semaphore values of the expanded sets come back in one round trip and match the local GETALL', sshd, async () => {
  const a = source('hostA');
  const snap = await a.snapshot();
  const ids = snap.sems.map((s) => s.id);
  const detail = await a.semDetail([...ids, 999999]);
  const local = localSnapshotIn('a');
  for (const s of local.sems) {
    const d = detail.get(s.id);
    assert.ok(Array.isArray(d), `detail for ${s.id}`);
    if (s.values) assert.deepEqual(d.map((e) => e.semval), s.values);
    assert.equal(d.length, s.nsems);
  }
  const gone = detail.get(999999);
  assert.ok(gone && !Array.isArray(gone));
  assert.equal(gone.code, 'EINVAL');
});

test('a refresh on the warm connection reuses the master (ssh -O check) and still sees changes', sshd, async () => {
  const a = source('hostA');
  await a.snapshot();
  assert.equal(await (a as unknown as { runner: { check(): Promise<boolean> } }).runner.check(), true);
  make('a', ['sem', '-n', '1', '-s', '2']);
  const s2 = await a.snapshot();
  assert.equal(s2.sems.length, 4);
  assert.equal(a.status().state, 'connected');
});

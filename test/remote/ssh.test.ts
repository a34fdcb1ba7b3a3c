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
import type { IpcSnapshot } from '../../extension/shared/model';
import { SshdHarness } from './sshdHarness';
import { needs } from '../helpers/capabilities';

const sshd = needs('sshd');

let h: SshdHarness;
let ipcMake: string;
let shmHold: string;
let posixSem: string;
const holders: number[] = [];

function localSnapshotIn(host: string, reader: 'native' | 'headers' | 'proc' = 'native'): IpcSnapshot {
  const r = spawnSync('nsenter', ['--ipc', '--mount', '--target', String(h.namespacePid(host)), `--wd=${process.cwd()}`, '--',
    process.execPath, '--import', 'tsx', path.join(__dirname, 'localSnapshot.ts'), reader], { encoding: 'utf8', maxBuffer: 64 << 20 });
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

/**
 * A snapshot without its provenance: who took it (host, source), when (takenAt, and the clock offset the
 * reader measured at that instant) and the notes about the reader itself (warnings). Everything else is
 * what the host holds, and two sources reading the same files must agree on all of it. The C library
 * (libc) is read by the SSH probe only (glibc.test.ts compares it with this machine's getconf).
 */
function content(s: IpcSnapshot) {
  const { host: _h, source: _s, takenAt: _t, warnings: _w, libc: _l, reader, ...rest } = s;
  const { clockOffset: _o, clockOffsetError: _e, ...view } = reader ?? {};
  return { ...rest, reader: view };
}

test('each loopback host shows exactly its own namespace, equal to the local snapshot taken inside it', sshd, async () => {
  const a = h.source('hostA');
  const b = h.source('hostB');
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

  // the probe reads the host's /proc/sysvipc, limit files, /dev/shm and /proc/PID files; the local /proc
  // reader reads the same ones, and one assembler builds both snapshots
  const [la, lb] = [localSnapshotIn('a', 'proc'), localSnapshotIn('b', 'proc')];
  assert.equal(la.source, 'proc');
  // the probe's stat -f of /dev/shm is part of the comparison (a snapshot without it would not equal)
  assert.equal(sa.devShm?.fsType, 'tmpfs');
  assert.deepEqual(content(sa), content(la));
  assert.deepEqual(content(sb), content(lb));
  // and the set headers equal the native binding's SEM_STAT_ANY reads (taken, like a probe, without values)
  const na = localSnapshotIn('a', 'headers');
  assert.equal(na.source, 'native');
  assert.deepEqual(sa.sems, na.sems);
});

test('per-set semaphore values of the expanded sets come back in one round trip and match the local GETALL', sshd, async () => {
  const a = h.source('hostA');
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
  const a = h.source('hostA');
  await a.snapshot();
  assert.equal(await (a as unknown as { runner: { check(): Promise<boolean> } }).runner.check(), true);
  make('a', ['sem', '-n', '1', '-s', '2']);
  const s2 = await a.snapshot();
  assert.equal(s2.sems.length, 4);
  assert.equal(a.status().state, 'connected');
});

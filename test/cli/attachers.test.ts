/**
 * shm attachers across IPC namespaces, with `ipcx snapshot --json` as a process on real segments.
 *
 * A shmid names a segment of the mapping process's own IPC namespace. Two nested namespaces A and B (each
 * `unshare --ipc` below the cli stage's private one) each make their first segment, so both get the same
 * shmid, and each has one process (shm_hold) attached to it. /proc/PID/maps of both holders then shows a
 * `/SYSV` line with that same inode: only B's holder may be listed as an attacher of B's segment, and only
 * A's of A's. Both namespaces (and their segments) go away when the holders, ended by pid, exit.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { IpcSnapshot } from '../../extension/shared/model';
import { buildC, repoRoot } from '../helpers/cprog';
import { assertPrivateIpcNamespace, ipcNamespaceOf, spawnInNewIpcNamespace } from '../helpers/ns';

const IPCX = path.join(repoRoot, 'dist', 'ipcx.js');
const holders: ChildProcess[] = [];

interface Holder {
  pid: number;
  shmid: number;
  ns: string;
}

/** A nested IPC namespace whose first segment (4 KiB) is attached by a shm_hold process that stays. */
function holdFirstSegment(ipcMake: string, shmHold: string): Promise<Holder> {
  // $0/$1 are our own helper paths; the id comes from ipc_make's "shm <id> <key>" line
  const script = 'line=$("$0" shm -n 1 -s 4096) || exit 3; set -- "$1" $line; echo "id $3"; exec "$1" "$3"';
  const child = spawnInNewIpcNamespace('sh', ['-c', script, ipcMake, shmHold], { stdio: ['ignore', 'pipe', 'inherit'] });
  holders.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const id = /^id (\d+)$/m.exec(buf);
      const att = /^attached (\d+)$/m.exec(buf);
      if (id && att) resolve({ pid: Number(att[1]), shmid: Number(id[1]), ns: ipcNamespaceOf(Number(att[1])) });
    });
    child.on('close', (code) => reject(new Error(`holder exited ${code} before attaching: ${buf}`)));
  });
}

/** `ipcx snapshot --json` run inside the holder's IPC namespace (nsenter execs node: argv, no shell). */
function snapshotIn(h: Holder): IpcSnapshot {
  const r = spawnSync('nsenter', [`--ipc=/proc/${h.pid}/ns/ipc`, '--', process.execPath, IPCX, 'snapshot', '--json'], {
    encoding: 'utf8', maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as IpcSnapshot;
}

before(() => {
  assertPrivateIpcNamespace();
  const b = spawnSync(process.execPath, [path.join(repoRoot, 'tools', 'esbuild.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
});

after(() => {
  for (const c of holders) {
    if (c.pid && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
});

test('shm attachers: a process attached to the same shmid in another IPC namespace is not an attacher here', async () => {
  assertPrivateIpcNamespace();
  const ipcMake = buildC('ipc_make');
  const shmHold = buildC('shm_hold');
  const a = await holdFirstSegment(ipcMake, shmHold);
  const b = await holdFirstSegment(ipcMake, shmHold);
  // the precondition that makes this test mean something: one shmid, two segments, two namespaces
  assert.equal(a.shmid, b.shmid, 'both first segments have the same id');
  assert.notEqual(a.ns, b.ns);
  assert.notEqual(a.ns, ipcNamespaceOf('self'));

  for (const [mine, other] of [[b, a], [a, b]] as const) {
    const snap = snapshotIn(mine);
    assert.equal(snap.ipcNamespace, mine.ns);
    const seg = snap.shms.find((s) => s.id === mine.shmid);
    assert.ok(seg, `segment ${mine.shmid} listed in ${mine.ns}`);
    assert.equal(seg.nattch, 1);
    assert.deepEqual(seg.attachers, [mine.pid], `only the holder in ${mine.ns}, not pid ${other.pid} of ${other.ns}`);
    // the other holder is not even a pid this snapshot mentions
    assert.equal(snap.processes[other.pid], undefined);
    assert.equal(snap.processes[mine.pid]?.ipcNs, mine.ns, 'ProcessFact.ipcNs is filled');
  }
});

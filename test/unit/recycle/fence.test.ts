/**
 * The fenced blocked-process scan a queue's removal makes right before its lock and under it (pure parts in
 * domain/taskWaits.ts, the reader in backend/taskWaits.ts on a procfs laid out in a temp directory): who
 * could use the queue, and which tasks the scan cannot clear (running, 32-bit). The kernel behaviour itself is
 * in test/recycle/msgWindow.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { scanTaskWaits } from '../../../extension/backend/taskWaits';
import { blockedReason, parseTaskStatus, potentialUser, type QueuePerm, type TaskCreds } from '../../../extension/domain/taskWaits';

const status = (uid: string, gid: string, groups: string, capEff = '0000000000000000', extra = ''): string =>
  `Name:\tapp\nUid:\t${uid}\nGid:\t${gid}\nGroups:\t${groups}\n${extra}CapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\n`;

const q = (mode: number, uid = 1000, gid = 1000): QueuePerm => ({ uid, gid, cuid: uid, cgid: gid, mode });
const creds = (t: string): TaskCreds => parseTaskStatus(t)!;

test('parseTaskStatus: ids, groups, capabilities, Kthread; undefined when a line is missing', () => {
  const c = creds(status('1000\t1000\t1000\t1000', '100\t100\t100\t100', '4 27 ', '000001ffffffffff', 'Kthread:\t0\n'));
  assert.deepEqual(c.uids, [1000, 1000, 1000, 1000]);
  assert.deepEqual(c.groups, [4, 27]);
  assert.equal(c.capEff, 0x1ffffffffffn);
  assert.equal(c.kthread, false);
  assert.deepEqual(creds(status('0\t0\t0\t0', '0\t0\t0\t0', ' ')).groups, []);
  assert.equal(parseTaskStatus('Uid:\t1\t1\t1\t1\n'), undefined);
  assert.equal(parseTaskStatus(status('1\t1\t1', '1\t1\t1\t1', '')), undefined, 'three uids: malformed');
});

test('potentialUser: the permission class of every id the task can make effective, capabilities, kernel threads', () => {
  const other = creds(status('2000\t2000\t2000\t2000', '2000\t2000\t2000\t2000', ''));
  assert.equal(potentialUser(other, q(0o600)), undefined, 'another user, 0600: cannot use it');
  assert.equal(potentialUser(other, q(0o640)), undefined, 'another user, not in the group');
  assert.match(potentialUser(other, q(0o604))!, /open to every user/, 'read for others is enough (msgrcv)');
  assert.match(potentialUser(other, q(0o602))!, /open to every user/, 'write for others is enough (msgsnd)');
  assert.match(potentialUser(creds(status('2000\t2000\t2000\t2000', '2000\t2000\t2000\t2000', '1000')), q(0o660))!, /a group of it/);
  assert.equal(potentialUser(creds(status('2000\t2000\t2000\t2000', '2000\t2000\t2000\t2000', '1000')), q(0o600)), undefined);
  // the owner class wins over others: the owner with 0006 cannot use it (ipcperms picks one class)
  assert.equal(potentialUser(creds(status('1000\t1000\t1000\t1000', '1000\t1000\t1000\t1000', '')), q(0o006)), undefined);
  // a saved uid it can switch back to
  assert.match(potentialUser(creds(status('2000\t2000\t1000\t2000', '2000\t2000\t2000\t2000', '')), q(0o600))!, /uid 1000 is the queue's owner/);
  assert.match(potentialUser(creds(status('2000\t2000\t2000\t2000', '2000\t2000\t2000\t2000', '', '0000000000008000')), q(0o600))!, /CAP_IPC_OWNER/);
  assert.match(potentialUser(creds(status('2000\t2000\t2000\t2000', '2000\t2000\t2000\t2000', '', '0000000000000080')), q(0o600))!, /CAP_SETUID/);
  assert.equal(potentialUser(creds(status('0\t0\t0\t0', '0\t0\t0\t0', '', '000001ffffffffff', 'Kthread:\t1\n')), q(0o666)), undefined, 'a kernel thread');
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A procfs with this process as `self` and the given tasks (pid -> syscall text, status text, exe bytes). */
function fakeProc(tasks: Array<{ pid: number; syscall: string; status: string; exe?: Buffer }>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-fence-'));
  dirs.push(d);
  fs.symlinkSync(String(process.pid), path.join(d, 'self'));
  const own = path.join(d, String(process.pid));
  fs.mkdirSync(path.join(own, 'ns'), { recursive: true });
  fs.symlinkSync('pid:[4026531836]', path.join(own, 'ns', 'pid'));
  fs.writeFileSync(path.join(own, 'mountinfo'), `22 1 0:5 / ${d} rw - proc proc rw\n`);
  fs.mkdirSync(path.join(own, 'task'));
  for (const t of tasks) {
    const td = path.join(d, String(t.pid), 'task', String(t.pid));
    fs.mkdirSync(td, { recursive: true });
    fs.writeFileSync(path.join(td, 'syscall'), t.syscall);
    fs.writeFileSync(path.join(td, 'status'), t.status);
    fs.writeFileSync(path.join(td, 'comm'), 'app\n');
    fs.writeFileSync(path.join(d, String(t.pid), 'exe'), t.exe ?? Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2]));
  }
  return d;
}

const owner = status('1000\t1000\t1000\t1000', '1000\t1000\t1000\t1000', '');
const stranger = status('2000\t2000\t2000\t2000', '2000\t2000\t2000\t2000', '');
const sleeping = '7 0x7ffc 0x1 0x3e8 0x0 0x0 0x0 0x7ffc 0x7f00\n'; // poll (x86_64 7), asleep

test('fenced scan: a running task that could use the queue is a doubt (it may be entering msgrcv); a stranger running is not', () => {
  const proc = fakeProc([
    { pid: 101, syscall: 'running\n', status: owner },
    { pid: 102, syscall: 'running\n', status: stranger },
    { pid: 103, syscall: sleeping, status: owner },
  ]);
  const w = scanTaskWaits({ proc, arch: 'x64', fence: q(0o600) });
  assert.ok(w.ok, JSON.stringify(w));
  assert.equal(w.doubts!.length, 1, JSON.stringify(w.doubts));
  assert.match(w.doubts![0]!, /^pid 101 \(app\) could use it \(uid 1000 is the queue's owner or creator \(mode 0600\)\) and was running/);
  assert.match(blockedReason(w, 'msg', 5)!, /cannot prove that no process is about to wait in msgrcv\/msgsnd on it: pid 101/);
  // without the fence (the plan's scan) running tasks are not judged
  const plain = scanTaskWaits({ proc, arch: 'x64' });
  assert.ok(plain.ok);
  assert.equal(blockedReason(plain, 'msg', 5), undefined);
});

test('fenced scan: a 32-bit process that could use the queue is a doubt (the kernel does not trace compat calls)', () => {
  const proc = fakeProc([{ pid: 201, syscall: sleeping, status: owner, exe: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1]) }]);
  const w = scanTaskWaits({ proc, arch: 'x64', fence: q(0o600) });
  assert.ok(w.ok);
  assert.match(w.doubts!.join(' '), /pid 201 \(app\) could use it .* runs 32-bit code/);
  const clean = scanTaskWaits({ proc: fakeProc([{ pid: 202, syscall: sleeping, status: owner }]), arch: 'x64', fence: q(0o600) });
  assert.ok(clean.ok);
  assert.deepEqual(clean.doubts, []);
  assert.equal(blockedReason(clean, 'msg', 5), undefined);
});

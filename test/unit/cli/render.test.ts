import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderInspect } from '../../../extension/cli/commands/inspect';
import { renderLimits } from '../../../extension/cli/commands/limits';
import { pidLabel, renderSnapshot } from '../../../extension/cli/render';
import { valuesLabel } from '../../../extension/shared/objectColumns';
import { capacity } from '../../../extension/domain/capacity';
import type { IpcSnapshot, SemSet } from '../../../extension/shared/model';

const perm = { uid: 770, gid: 770, cuid: 770, cgid: 770 };
const now = 1795556988;

function snapshot(): IpcSnapshot {
  const sems: SemSet[] = [
    { kind: 'sem', id: 0, key: 0x5432001, ...perm, mode: 0o600, nsems: 17, otime: now - 60, ctime: now - 3600, values: [...Array(16).fill(0), 537] },
  ];
  for (let i = 1; i <= 12; i++) {
    sems.push({ kind: 'sem', id: i, key: 0, ...perm, mode: 0o600, nsems: 2, otime: 0, ctime: now, valuesError: { code: 'EACCES', syscall: 'semctl', op: 'GETALL', id: i, message: `semctl(GETALL) id=${i}: Permission denied (EACCES)` } });
  }
  return {
    version: 1, host: 'db1', hostname: 'db1.example', platform: 'freebsd', kernel: '11.1-RELEASE', source: 'ssh-ipcs', takenAt: now * 1000,
    sems,
    shms: [{ kind: 'shm', id: 5, key: 0, ...perm, mode: 0o1600, segsz: 48, cpid: 21599, lpid: 21599, nattch: 1, atime: now, dtime: 0, ctime: now, dest: true, locked: false, attachers: [30000] }],
    msgs: [{ kind: 'msg', id: 7, key: 0x3456, ...perm, mode: 0o620, cbytes: 16, qnum: 2, qbytes: 16384, lspid: 30000, lrpid: 0, stime: now, rtime: 0, ctime: now }],
    posixSems: [{ kind: 'posixSem', name: '/orders', path: '/dev/shm/sem.orders', uid: 0, gid: 0, mode: 0o600, size: 32, mtime: now, dev: 40, ino: 2, decoded: { layout: 'glibc-new-64', value: 3, nwaiters: 1, private: 128, raw: '', atomic: true } }],
    posixShms: [],
    errors: [{ kind: 'shm', id: 9, error: { code: 'EIDRM', message: 'shmctl(SHM_STAT_ANY) id=9: Identifier removed (EIDRM)' } }],
    limits: { semmsl: 340, semmns: 340, semopm: 100, semmni: 50, semvmx: 32767, shmmax: 536870912, shmall: 4097152, shmmni: 192, shmmin: 1, msgmax: 0, msgmnb: 0, msgmni: 0, pageSize: 4096 },
    usage: { semSets: 13, semTotal: 41, shmSegments: 1, shmPages: 1, msgQueues: 1, msgMessages: 2, msgBytes: 16 },
    processes: { 21599: { pid: 21599, alive: false, liveness: 'dead' }, 30000: { pid: 30000, alive: true, liveness: 'alive', comm: 'postgres' } },
    warnings: ['ipcs -a: times print as time of day only'],
  };
}

test('snapshot tables: header, warnings, hex keys, numeric owners for a remote host, pid names, flags, values', () => {
  const out = renderSnapshot(snapshot(), now);
  assert.match(out, /^host db1 \(db1\.example\) · freebsd 11\.1-RELEASE · namespace unknown · source ssh-ipcs · taken /);
  assert.match(out, /^warning: ipcs -a: times print as time of day only$/m);
  assert.match(out, /^Semaphore sets \(13\)$/m);
  assert.match(out, /^0x05432001 +0 +770:770 +0600 rw------- +17 .* 0 0 0 0 0 0 0 0 … \(17\)$/m);
  assert.match(out, /^0x00000000 +5 +770:770 +0600 rw------- +48 B +1 +21599 \(dead\) +21599 \(dead\) .*dest +30000 \(postgres\)$/m);
  assert.match(out, /^0x00003456 +7 +770:770 +0620 rw--w---- +2 +16 +16384 +30000 \(postgres\) +- /m);
  assert.match(out, /^\/orders +0:0 +0600 rw------- +3 +1 +glibc-new-64 /m);
  assert.match(out, /^POSIX shared memory \(0\)$/m);
  // errors: the item error, then at most 10 sets whose values were unreadable
  assert.match(out, /^Errors \(13\)$/m);
  assert.match(out, /^ {2}shm id=9: shmctl\(SHM_STAT_ANY\) id=9: Identifier removed \(EIDRM\)/m);
  assert.match(out, /^ {2}sem id=1: semctl\(GETALL\) id=1: Permission denied \(EACCES\)/m);
  assert.match(out, /^ {2}… and 2 more sets whose values could not be read$/m);
  assert.equal((out.match(/^ {2}sem id=/gm) ?? []).length, 10);
});

test('labels', () => {
  const s = snapshot();
  assert.equal(pidLabel(0, s.processes), '-');
  assert.equal(pidLabel(21599, s.processes), '21599 (dead)');
  assert.equal(pidLabel(30000, s.processes), '30000 (postgres)');
  assert.equal(pidLabel(4, s.processes), '4');
  assert.equal(valuesLabel(s.sems[1]), '(EACCES)');
  assert.equal(valuesLabel({ ...s.sems[0], values: undefined }), '-');
});

test('limits table: USED/LIMIT/USE%, bytes and pages readable, the object behind a maximum named', () => {
  const out = renderLimits(capacity(snapshot()));
  assert.match(out, /^RESOURCE +DESCRIPTION +USED +LIMIT +USE% +NOTE$/m);
  assert.match(out, /^SEMMNI +Number of semaphore identifiers +13 +50 +26%$/m);
  assert.match(out, /^SEMMNS +Total number of semaphores +41 +340 +12\.1%$/m);
  assert.match(out, /^SEMMSL +Max semaphores per semaphore set +17 +340 +5% +largest set: id 0$/m);
  assert.match(out, /^SHMALL +Shared memory pages +1 pages \(4 KiB\) +4,097,152 pages \(15\.6 GiB\) +<0\.1%$/m);
  assert.match(out, /^SHMMAX +.* +48 +512 MiB \(536,870,912\) +<0\.1% +largest segment: id 5$/m);
  assert.match(out, /^SEMOPM +.* +- +100 +-$/m);
});

test('inspect: every field, reasons, and the per-semaphore table', () => {
  const s = snapshot();
  const out = renderInspect({
    host: 'db1', kind: 'sem', object: s.sems[0], processes: s.processes,
    elems: [{ semval: 0, ncount: 1, zcount: 0, pid: 30000 }, { semval: 537, ncount: 0, zcount: 0, pid: 21599 }],
    verdict: { ref: 'sem:0', state: 'orphan', recyclable: true, reasons: ['postmaster 21599 is dead', 'no waiters'] },
  });
  assert.match(out, /^key: +0x05432001 \(88285185\)$/m);
  assert.match(out, /^owner: +770 \(uid 770\), group 770 \(gid 770\)$/m);
  assert.match(out, /^mode: +0600 rw------- \(600\)$/m);
  assert.match(out, /^state: +orphan \(recyclable\)$/m);
  assert.match(out, /^reasons: +postmaster 21599 is dead\n +no waiters$/m);
  assert.match(out, /^semaphores \(2\)\nSEMNUM +SEMVAL +NCOUNT +ZCOUNT +PID\n +0 +0 +1 +0 +30000 \(postgres\)\n +1 +537 +0 +0 +21599 \(dead\)$/m);
});

test('inspect a POSIX semaphore: decoded value, waiters, layout and how it was read', () => {
  const s = snapshot();
  const out = renderInspect({ host: 'local', kind: 'posixSem', object: { ...s.posixSems[0], attachers: [30000] }, processes: s.processes });
  assert.match(out, /^kind: +POSIX named semaphore$/m);
  assert.match(out, /^name: +\/orders$/m);
  assert.match(out, /^value: +3$/m);
  assert.match(out, /^nwaiters: +1 /m);
  assert.match(out, /^private: +128 \(FUTEX_SHARED\)$/m);
  assert.match(out, /^read: +one aligned 8-byte atomic load/m);
  assert.match(out, /^attachers: +30000 \(postgres\)$/m);
});

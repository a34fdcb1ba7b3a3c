import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePgShmemHeader, recognizeOwner, registerRecognizer } from '../../../extension/domain/recognizers/index';
import type { RecognizerContext } from '../../../extension/domain/recognizers/types';
import { pidStatusIn } from '../../../extension/domain/verdict';
import type { IpcSnapshot } from '../../../extension/shared/model';
import { NOW, pgHeader, pgSet, proc, procs, semSet, shm, snapshot } from './fixtures';

function ctx(s: IpcSnapshot, evidence: RecognizerContext['evidence'] = {}): RecognizerContext {
  return { snapshot: s, evidence, pidStatus: (pid, t) => pidStatusIn(s, pid, t) };
}

test('PGShmemHeader: magic, creatorPID, device and inode at their x86-64 offsets', () => {
  const h = parsePgShmemHeader(pgHeader(21599, 0x803n, 1234567890123n));
  assert.ok(h);
  assert.equal(h.creatorPid, 21599);
  assert.equal(h.device, 0x803n);
  assert.equal(h.inode, 1234567890123n);
  assert.equal(parsePgShmemHeader(pgHeader(1, 1n, 1n, 12345)), undefined, 'wrong magic');
  assert.equal(parsePgShmemHeader(pgHeader(1, 1n, 1n).subarray(0, 40)), undefined, 'too short');
});

test('PostgreSQL sets need 17 semaphores and 537 on semnum 16', () => {
  const s = snapshot({ processes: procs(proc(9, false)) });
  assert.equal(recognizeOwner(pgSet(1, 5432001, 9), ctx(s))?.app, 'postgresql');
  const wrongMarker = pgSet(1, 5432001, 9);
  wrongMarker.elems![16].semval = 536;
  wrongMarker.values = wrongMarker.values!.map((v, k) => (k === 16 ? 536 : v));
  assert.equal(recognizeOwner(wrongMarker, ctx(s)), undefined);
  assert.equal(recognizeOwner(semSet(2, 5, [{ semval: 537, ncount: 0, zcount: 0, pid: 9 }]), ctx(s)), undefined);
  // values only (no detail): recognised, marker pid unknown
  const noDetail = pgSet(3, 5432001, 9);
  delete noDetail.elems;
  const o = recognizeOwner(noDetail, ctx(s));
  assert.equal(o?.pid, undefined);
  assert.ok(o?.evidence.some((e) => e.includes('not read')));
});

test('a set maps to its data directory by postmaster.pid pid, by inode + n (13+) or by port * 1000 + n (<= 12)', () => {
  const s = snapshot({ processes: procs(proc(9, false)) });
  const dirs = [
    { path: '/var/lib/postgresql/15/main', dev: 2049, ino: 2162189, source: 'process' as const },
    { path: '/srv/pg12', dev: 2049, ino: 999, source: 'user' as const, port: 5433 },
  ];
  const byInode = recognizeOwner(pgSet(1, 2162189 + 3, 9), ctx(s, { dataDirs: dirs }));
  assert.equal(byInode?.dataDir, '/var/lib/postgresql/15/main');
  assert.equal(byInode?.label, 'PostgreSQL, data directory /var/lib/postgresql/15/main, postmaster PID 9 (dead)');
  assert.equal(recognizeOwner(pgSet(2, 5433002, 9), ctx(s, { dataDirs: dirs }))?.dataDir, '/srv/pg12');
  const byPid = recognizeOwner(pgSet(3, 77, 9), ctx(s, { dataDirs: [{ ...dirs[1], postmasterPid: 9 }] }));
  assert.equal(byPid?.dataDir, '/srv/pg12');
  // inode above 2^32: PostgreSQL truncates it to key_t
  const big = 2 ** 33 + 100;
  assert.equal(recognizeOwner(pgSet(4, 101, 9), ctx(s, { dataDirs: [{ ...dirs[0], ino: big }] }))?.dataDir, '/var/lib/postgresql/15/main');
  assert.equal(recognizeOwner(pgSet(5, 5_000_000, 9), ctx(s, { dataDirs: dirs }))?.dataDir, undefined);
});

test('the shm interlock segment: header device+inode -> data directory; otherwise postmaster.pid key+shmid', () => {
  const s = snapshot({ processes: procs(proc(21599, false), proc(300, true, { comm: 'postgres' })) });
  const dir = { path: '/var/lib/postgresql/15/main', dev: 2049, ino: 2162189, source: 'process' as const };
  const seg = shm(4, 2162189, 21599);
  const o = recognizeOwner(seg, ctx(s, { shmHeaders: { 4: pgHeader(21599, 2049n, 2162189n) }, dataDirs: [dir] }));
  assert.equal(o?.label, 'PostgreSQL, data directory /var/lib/postgresql/15/main, postmaster PID 21599 (dead)');
  assert.ok(o?.evidence.includes('device 2049 + inode 2162189 = /var/lib/postgresql/15/main (process)'));
  const unknownDir = recognizeOwner(seg, ctx(s, { shmHeaders: { 4: pgHeader(21599, 1n, 2n) }, dataDirs: [dir] }));
  assert.equal(unknownDir?.dataDir, undefined);
  assert.equal(unknownDir?.label, 'PostgreSQL, shared memory interlock segment, postmaster PID 21599 (dead)');
  // attached (not peeked): postmaster.pid line 7 names key and shmid
  const live = shm(5, 2162189, 300, { nattch: 6 });
  const byFile = recognizeOwner(live, ctx(s, { dataDirs: [{ ...dir, postmasterPid: 300, shmKey: 2162189, shmId: 5 }] }));
  assert.match(byFile!.label, /data directory \/var\/lib\/postgresql\/15\/main, postmaster PID 300 \(alive, postgres\)/);
  assert.equal(recognizeOwner(live, ctx(s, { dataDirs: [dir] })), undefined);
  // a peek that failed (EACCES) is no header
  assert.equal(recognizeOwner(seg, ctx(s, { shmHeaders: { 4: { code: 'EACCES', message: 'no' } } })), undefined);
});

test('the registry takes more owners; a throwing recogniser is skipped', () => {
  const s = snapshot();
  const off1 = registerRecognizer({ app: 'broken', recognize: () => { throw new Error('bug'); } });
  const off2 = registerRecognizer({ app: 'myapp', recognize: (o) => (o.kind === 'msg' ? { app: 'myapp', label: 'My app queue', evidence: ['test'] } : undefined) });
  try {
    const q = { kind: 'msg' as const, id: 1, key: 1, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, cbytes: 0, qnum: 0, qbytes: 1, lspid: 0, lrpid: 0, stime: NOW, rtime: NOW, ctime: NOW };
    assert.equal(recognizeOwner(q, ctx(s))?.app, 'myapp');
  } finally {
    off1();
    off2();
  }
});

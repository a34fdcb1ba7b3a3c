/**
 * A segment whose header was not read (SSH host, /proc fallback, a failed peek) may be a PostgreSQL interlock
 * segment whose DSM files would leak if it were removed alone: it stays while /dev/shm holds PostgreSQL.*
 * files of its owner or creator, or /dev/shm was not fully listed; off Linux (DSM files invisible) a segment of
 * exactly sizeof(PGShmemHeader) stays. A header that was read lets the recogniser decide.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { IpcSnapshot, PosixShm } from '../../../extension/shared/model';
import { NOW, proc, procs, shm, snapshot } from './fixtures';

const file = (name: string, uid: number): PosixShm => ({ kind: 'posixShm', name: `/${name}`, path: `/dev/shm/${name}`, uid, gid: uid, mode: 0o600, size: 1048, mtime: NOW - 7200, dev: 1, ino: 7 });
const opts = (evidence = {}) => verdictOptions({ minOrphanAgeSeconds: 0, recentActivitySeconds: 0, evidence });
const verdictOf = (s: IpcSnapshot, ev = {}) => assessSnapshot(s, opts(ev), NOW).get('shm:1')!;

test('a segment without a read header stays while /dev/shm holds PostgreSQL DSM files of its uid; others of other uids do not matter', () => {
  const seg = shm(1, 0x2a0001, 4000, { uid: 26, cuid: 26 });
  const base = { shms: [seg], processes: procs(proc(4000, false)) };
  assert.equal(verdictOf(snapshot(base)).recyclable, true, 'no PostgreSQL file: an ordinary orphan');
  const v = verdictOf(snapshot({ ...base, posixShms: [file('PostgreSQL.1804289383', 26)] }));
  assert.equal(v.recyclable, false);
  assert.match(v.reasons.join('; '), /not recyclable: its header cannot be read from here, and \/dev\/shm holds 1 PostgreSQL DSM file\(s\) of uid 26 \(PostgreSQL\.1804289383\)/);
  assert.equal(verdictOf(snapshot({ ...base, posixShms: [file('PostgreSQL.1804289383', 27), file('PostgreSQLx', 26)] })).recyclable, true, 'another uid, or not a DSM name');
  const byCreator = verdictOf(snapshot({ shms: [shm(1, 0x2a0001, 4000, { uid: 0, cuid: 26 })], processes: procs(proc(4000, false)), posixShms: [file('PostgreSQL.7', 26)] }));
  assert.equal(byCreator.recyclable, false, 'the creator uid counts too (an owner changed with IPC_SET)');
});

test('a segment without a read header stays while /dev/shm is not fully listed; a read header lets the recogniser decide', () => {
  const base = { shms: [shm(1, 0x2a0001, 4000, { uid: 26, cuid: 26 })], processes: procs(proc(4000, false)) };
  const v = verdictOf(snapshot({ ...base, devShmIncomplete: '3 of its 10003 files are not listed (the bound per snapshot)' }));
  assert.equal(v.recyclable, false);
  assert.match(v.reasons.join('; '), /\/dev\/shm is not fully listed \(3 of its 10003 files are not listed/);
  // locally, a header that was read and is not PostgreSQL's: the files are not this segment's
  const notPg = new Uint8Array(56);
  assert.equal(verdictOf(snapshot({ ...base, posixShms: [file('PostgreSQL.1', 26)] }), { shmHeaders: { 1: notPg } }).recyclable, true);
  // a peek that failed is no header
  assert.equal(verdictOf(snapshot({ ...base, posixShms: [file('PostgreSQL.1', 26)] }), { shmHeaders: { 1: { code: 'ECHANGED', message: 'x' } } }).recyclable, false);
});

test('off Linux (DSM segments are invisible shm_open objects) a segment of exactly 56 bytes stays; others do not', () => {
  const s = (segsz: number) => snapshot({ platform: 'freebsd', shms: [shm(1, 0x2a0001, 4000, { segsz })], processes: procs(proc(4000, false)) });
  const v = verdictOf(s(56));
  assert.equal(v.recyclable, false);
  assert.match(v.reasons.join('; '), /exactly the size of PostgreSQL's shared memory header \(56 bytes\)/);
  assert.equal(verdictOf(s(4096)).recyclable, true);
});

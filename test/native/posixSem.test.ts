/**
 * readPosixSem on real glibc named semaphores (sem_open in a C helper; /dev/shm is the stage's private
 * tmpfs): value and nwaiters from one atomic 8-byte load, the FUTEX_SHARED `private` word in the raw bytes,
 * and the errors for links, missing and short files.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { IpcError } from '../../extension/domain/errors';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace, native, run, spawnReady, stop, until } from './support';

const names: string[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) await stop(c);
  for (const n of names) fs.rmSync(n, { force: true });
});

const tag = `h1-${process.pid}`;
function create(name: string, value: number): string {
  const file = `/dev/shm/sem.${name}`;
  names.push(file);
  assert.equal(run(buildC('posix_sem'), ['create', `/${name}`, String(value)]).trim(), 'created');
  return file;
}

function thrown(f: () => unknown): IpcError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof IpcError, String(e));
    return e;
  }
  assert.fail('did not throw');
}

test('a glibc semaphore with value 3: lo32 = 3, hi32 = 0, private = 128 (FUTEX_SHARED), 32 bytes', () => {
  assertPrivateIpcNamespace();
  const file = create(`${tag}-three`, 3);
  const r = native().readPosixSem(file);
  assert.equal(r.size, 32);
  assert.equal(r.lo32, 3);
  assert.equal(r.hi32, 0);
  assert.equal(r.raw.length, 32);
  assert.equal(r.raw.readUInt32LE(0), 3, 'raw bytes agree with the atomic word');
  assert.equal(r.raw.readInt32LE(8), 128);
  assert.deepEqual(r.raw, fs.readFileSync(file));
});

test('blocked waiters show in hi32 (nwaiters); a post wakes one; a SIGKILLed waiter stays counted', async () => {
  assertPrivateIpcNamespace();
  const name = `${tag}-wait`;
  const file = create(name, 0);
  const posix = 'posix_sem';
  const w1 = await spawnReady(posix, ['wait', `/${name}`], /waiting/);
  const w2 = await spawnReady(posix, ['wait', `/${name}`], /waiting/);
  children.push(w1, w2);
  await until('two waiters registered', () => native().readPosixSem(file).hi32 === 2);
  assert.equal(native().readPosixSem(file).lo32, 0);
  run(buildC(posix), ['post', `/${name}`]);
  await until('one waiter took the token and left', () => {
    const r = native().readPosixSem(file);
    return r.hi32 === 1 && r.lo32 === 0 && (w1.exitCode === 0 || w2.exitCode === 0);
  });
  const left = w1.exitCode === null ? w1 : w2;
  await stop(left);
  // glibc deregisters in a cancellation cleanup that SIGKILL never runs: nwaiters stays 1
  const r = native().readPosixSem(file);
  assert.deepEqual([r.lo32, r.hi32], [0, 1]);
});

test('errors: symlink refused (ELOOP, O_NOFOLLOW), missing file (ENOENT), short file, directory and FIFO (EINVAL)', () => {
  assertPrivateIpcNamespace();
  const target = create(`${tag}-target`, 1);
  const link = `/dev/shm/sem.${tag}-link`;
  names.push(link);
  fs.symlinkSync(target, link);
  const l = thrown(() => native().readPosixSem(link));
  assert.equal(l.code, 'ELOOP');
  assert.equal(l.syscall, 'open');
  assert.match(l.hint!, /symbolic link/);
  const m = thrown(() => native().readPosixSem(`/dev/shm/sem.${tag}-missing`));
  assert.equal(m.code, 'ENOENT');
  assert.match(m.message, /^open\(O_RDONLY\|O_NOFOLLOW\): No such file or directory \(ENOENT\)$/);
  assert.match(m.hint!, /unlinked/);
  const short = `/dev/shm/sem.${tag}-short`;
  names.push(short);
  fs.writeFileSync(short, Buffer.from([1, 2, 3, 4]));
  const s = thrown(() => native().readPosixSem(short));
  assert.equal(s.code, 'EINVAL');
  assert.match(s.message, /file is 4 bytes, a semaphore has at least 8/);
  const d = thrown(() => native().readPosixSem('/dev/shm'));
  assert.equal(d.code, 'EINVAL');
  assert.match(d.message, /not a regular file/);
  // a FIFO under a semaphore's name: refused at once (opened O_NONBLOCK), not a hang waiting for a writer
  const fifo = `/dev/shm/sem.${tag}-fifo`;
  names.push(fifo);
  run('mkfifo', [fifo]);
  const f = thrown(() => native().readPosixSem(fifo));
  assert.equal(f.code, 'EINVAL');
  assert.match(f.message, /not a regular file/);
});

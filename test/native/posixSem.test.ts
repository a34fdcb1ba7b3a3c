/**
 * readPosixSem on real glibc named semaphores (sem_open in a C helper; /dev/shm is the stage's private
 * tmpfs): value and nwaiters from one atomic 8-byte load, the FUTEX_SHARED `private` word in the raw bytes,
 * and the errors for links, missing and short files.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

/** `node -e SCRIPT FILE...` with the binding's path as argv[1]; returns status, signal and output. */
function childRead(script: string, args: string[], wrap: string[] = []): { status: number | null; signal: string | null; out: string } {
  const argv = [...wrap, process.execPath, '-e', script, native().path, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, signal: r.signal, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

test('a semaphore whose page cannot be provided (sparse file on a full tmpfs): EFAULT with a hint, no SIGBUS; the next read works; an unrelated SIGBUS still kills', () => {
  assertPrivateIpcNamespace();
  // Reading a hole through a mapping allocates a page; on a full tmpfs that is SIGBUS, every time: the
  // deterministic member of the class "the page vanished under the load" (truncation races are the other).
  const script = `
    const m = { exports: {} }; process.dlopen(m, process.argv[1]); const b = m.exports;
    const [sparse, good] = process.argv.slice(2);
    try { b.readPosixSem(sparse); console.log('read?'); } catch (e) { console.log('ERR ' + e.code + ' ' + e.syscall + ' ' + e.message); }
    const r = b.readPosixSem(good); console.log('GOOD ' + r.lo32 + ' ' + r.hi32);
    process.kill(process.pid, 'SIGBUS');
    setTimeout(() => console.log('survived an unrelated SIGBUS'), 2000);`;
  const dir = `/tmp/ipcx-fulltmpfs-${process.pid}`;
  const sh = `mount --make-rprivate / && mkdir -p ${dir} && mount -t tmpfs -o size=64k tmpfs ${dir} && ` +
    `printf '\\005\\0\\0\\0\\0\\0\\0\\0\\200\\0\\0\\0' > ${dir}/sem.good && truncate -s 32 ${dir}/sem.good && ` +
    `(dd if=/dev/zero of=${dir}/fill bs=4096 count=64 2>/dev/null; true) && truncate -s 32 ${dir}/sem.sparse && ` +
    `df -k ${dir} | tail -1 >&2; exec "$@"`;
  try {
    const r = childRead(script, [`${dir}/sem.sparse`, `${dir}/sem.good`], ['unshare', '--mount', '--', 'sh', '-c', sh, 'sh']);
    assert.match(r.out, /ERR EFAULT load load\(mmap\): the file's page vanished while it was read \(SIGBUS caught\)/, r.out);
    assert.doesNotMatch(r.out, /read\?/);
    assert.match(r.out, /GOOD 5 0/, 'the guard is released: the next read works');
    assert.equal(r.signal, 'SIGBUS', `the SIGBUS sent afterwards keeps its default action (${r.out})`);
    assert.doesNotMatch(r.out, /survived/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a user truncating its semaphore file in a loop: 2,000 reads, never a crash; each read is a decoded value or EFAULT/EINVAL', async () => {
  assertPrivateIpcNamespace();
  // the attacker: uid 65534, writing its own file, as any local user can in /dev/shm (mode 1777)
  const file = `/dev/shm/sem.${tag}-trunc`;
  names.push(file);
  const setpriv = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
  const loop = spawn(setpriv[0], [...setpriv.slice(1), 'perl', '-e',
    'open(my $h, ">", $ARGV[0]) or die "open: $!"; syswrite($h, pack("VVVV", 3, 0, 128, 0) . ("\\0" x 16)); ' +
    '$| = 1; print "ready\\n"; while (1) { truncate($h, 0); truncate($h, 32); }', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(loop);
  await new Promise<void>((resolve, reject) => {
    loop.stdout!.once('data', () => resolve());
    loop.once('exit', (c) => reject(new Error(`truncate loop exited ${c}`)));
  });
  assert.equal(fs.statSync(file).uid, 65534);
  const script = `
    const m = { exports: {} }; process.dlopen(m, process.argv[1]); const b = m.exports;
    const n = { ok: 0 }; for (let i = 0; i < 2000; i++) {
      try { const r = b.readPosixSem(process.argv[2]); n.ok++; if (r.lo32 !== 3 && r.lo32 !== 0) throw new Error('bad value ' + r.lo32); }
      catch (e) { if (!e.code) throw e; n[e.code] = (n[e.code] || 0) + 1; } }
    console.log(JSON.stringify(n));`;
  const r = childRead(script, [file]);
  await stop(loop);
  assert.equal(r.signal, null, `the reader died with ${r.signal}: ${r.out}`);
  assert.equal(r.status, 0, r.out);
  const counts = JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, number>;
  assert.deepEqual(Object.keys(counts).filter((k) => !['ok', 'EFAULT', 'EINVAL'].includes(k)), [], JSON.stringify(counts));
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 2000);
  console.log(`truncate loop: ${JSON.stringify(counts)}`);
});

/**
 * listDevShm and the /proc/PID/maps reader against what an attacker can leave in a directory it may write
 * (real files in a temporary directory: names that are not UTF-8 or hold control characters, FIFOs,
 * sockets, symlinks, directories, huge sparse files, files replaced between listing and reading) and
 * against sizes no snapshot may follow to the end (thousands of files, maps of many MB).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { itemErrorLine } from '../../../extension/cli/render';
import { renderFields, renderTable } from '../../../extension/cli/table';
import { fsReadPosixSem, listDevShm, type PosixSemReader } from '../../../extension/backend/devShm';
import { posixObjects } from '../../../extension/domain/assembleSnapshot';
import { readMapsBounded, scanAttachers } from '../../../extension/backend/mapsScan';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});


/** The listing (the collector's facts) with the objects the assembler makes of its entries. */
function listed(...a: Parameters<typeof listDevShm>) {
  const l = listDevShm(...a);
  return { ...l, ...posixObjects(l) };
}

function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** a glibc 2.21+ 64-bit semaphore image with this value */
function semImage(value: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(value, 0);
  b.writeInt32LE(128, 8);
  return b;
}

test('hostile /dev/shm entries: names as bytes (not UTF-8, control characters), no FIFO/socket/symlink/directory listed, sparse giants not read', async () => {
  const dir = tmp('ipcx-devshm-');
  const paths = { proc: '/proc', devShm: dir };
  const raw = (name: Buffer | string) => Buffer.concat([Buffer.from(dir + '/'), Buffer.from(name)]);
  fs.writeFileSync(path.join(dir, 'sem.good'), semImage(3));
  fs.writeFileSync(raw(Buffer.from([0x73, 0x65, 0x6d, 0x2e, 0x62, 0x61, 0x64, 0xff, 0x78])), semImage(7)); // sem.bad\xffx
  fs.writeFileSync(path.join(dir, 'sem.new\nline'), semImage(1));
  fs.writeFileSync(path.join(dir, 'esc\x1b[2Jx'), 'x');
  fs.symlinkSync(path.join(dir, 'sem.good'), path.join(dir, 'sem.link'));
  fs.symlinkSync('/etc/passwd', path.join(dir, 'sem.passwd'));
  fs.mkdirSync(path.join(dir, 'sem.dir'));
  assert.equal(spawnSync('mkfifo', [path.join(dir, 'sem.fifo')]).status, 0);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'sem.sock'), resolve));
  const huge = path.join(dir, 'sem.huge');
  fs.writeFileSync(huge, '');
  fs.truncateSync(huge, 2 ** 40); // 1 TiB, sparse
  let reads: string[] = [];
  const reader: PosixSemReader = (f) => {
    reads.push(Buffer.isBuffer(f) ? f.toString('latin1') : f);
    return fsReadPosixSem(f);
  };
  try {
    const l = listed(paths, reader);
    assert.deepEqual(l.errors, []);
    assert.deepEqual(l.warnings, []);
    assert.deepEqual(l.posixSems.map((s) => s.name), ['/bad\\xffx', '/good', '/huge', '/new\nline']);
    assert.deepEqual(l.posixShms.map((s) => s.name), ['/esc\x1b[2Jx']);
    const byName = new Map(l.posixSems.map((s) => [s.name, s]));
    assert.equal(byName.get('/bad\\xffx')!.decoded?.value, 7, 'a name that is not UTF-8 is read through its exact bytes');
    assert.equal(byName.get('/bad\\xffx')!.path, path.join(dir, 'sem.bad\\xffx'));
    assert.equal(byName.get('/good')!.decoded?.value, 3);
    assert.equal(byName.get('/new\nline')!.decoded?.value, 1);
    assert.equal(byName.get('/huge')!.size, 2 ** 40);
    assert.match(byName.get('/huge')!.decodeError!.message, /unexpected size 1099511627776 bytes/);
    assert.ok(!reads.some((r) => /huge|fifo|sock|link|passwd|dir/.test(r)), `read only regular files of semaphore size: ${reads.join(', ')}`);

    // replaced between the listing and the read: by a FIFO (no hang), a symlink (refused), a bigger file
    const swap: Record<string, () => void> = {
      good: () => { fs.rmSync(path.join(dir, 'sem.good')); spawnSync('mkfifo', [path.join(dir, 'sem.good')]); },
      'new\nline': () => { fs.rmSync(path.join(dir, 'sem.new\nline')); fs.symlinkSync('/etc/passwd', path.join(dir, 'sem.new\nline')); },
    };
    reads = [];
    const l2 = listed(paths, (f) => {
      const name = path.basename(Buffer.isBuffer(f) ? f.toString('latin1') : f).slice(4);
      swap[name]?.();
      return fsReadPosixSem(f);
    });
    const by2 = new Map(l2.posixSems.map((s) => [s.name, s]));
    assert.equal(by2.get('/good')!.decodeError?.code, 'EINVAL', JSON.stringify(by2.get('/good')));
    assert.match(by2.get('/good')!.decodeError!.message, /not a regular file/);
    assert.ok(by2.get('/good')!.decodeError!.hint);
    assert.equal(by2.get('/new\nline')!.decodeError?.code, 'ELOOP');
  } finally {
    server.close();
  }
});

test('a directory with 1,200 files: one pass, the first 500 by name listed, a warning counts the rest; a flood of one kind does not hide the other', () => {
  const dir = tmp('ipcx-devshm-many-');
  const made = spawnSync('sh', ['-c', 'cd "$1" && seq -f f%05g 0 1199 | xargs touch', 'sh', dir]);
  assert.equal(made.status, 0, String(made.stderr));
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, `sem.z${i}`), semImage(i));
  for (let i = 0; i < 10; i++) fs.symlinkSync('/etc/passwd', path.join(dir, `a-link${i}`)); // never counted
  let lstats = 0;
  const orig = fs.lstatSync;
  (fs as { lstatSync: typeof fs.lstatSync }).lstatSync = ((...a: Parameters<typeof fs.lstatSync>) => {
    lstats++;
    return orig(...a);
  }) as typeof fs.lstatSync;
  let l: ReturnType<typeof listed>;
  try {
    l = listed({ proc: '/proc', devShm: dir }, fsReadPosixSem, 500);
  } finally {
    (fs as { lstatSync: typeof fs.lstatSync }).lstatSync = orig;
  }
  assert.equal(l.posixShms.length, 495);
  assert.equal(l.posixShms[0].name, '/f00000');
  assert.equal(l.posixShms[494].name, '/f00494');
  assert.deepEqual(l.posixSems.map((x) => x.decoded?.value), [0, 1, 2, 3, 4], 'the semaphores sort after the flood and are still listed');
  assert.equal(l.total, 1205);
  assert.equal(l.notListed, 705);
  assert.deepEqual(l.warnings, [`${dir}: 1,205 files; 500 listed (the first by name: 5 sem.*, 495 others), 705 more not listed (bound: 500 per snapshot)`]);
  assert.ok(lstats <= 500, `only the listed files are stat'ed (${lstats})`);
});

test('/proc/PID/maps of many MB: read in chunks, a match at the very end found; past the per-process bound the cut is reported', () => {
  const root = tmp('ipcx-maps-');
  const proc = path.join(root, 'proc');
  fs.mkdirSync(path.join(proc, '4242'), { recursive: true });
  const filler = '7f0000000000-7f0000001000 r--p 00000000 08:01 131                        /usr/lib/x86_64-linux-gnu/libc.so.6\n';
  const n = Math.ceil((6 * 1024 * 1024) / filler.length);
  const fd = fs.openSync(path.join(proc, '4242', 'maps'), 'w');
  const block = filler.repeat(1000);
  for (let i = 0; i < n; i += 1000) fs.writeSync(fd, block);
  fs.writeSync(fd, '7f986315a000-7f986325a000 rw-s 00000000 00:01 98765                      /SYSV00001234 (deleted)\n');
  fs.closeSync(fd);
  const whole = readMapsBounded(path.join(proc, '4242', 'maps'), new Set(), 64 * 1024 * 1024)!;
  assert.deepEqual(whole.entry.sysvShmids, [98765]);
  assert.equal(whole.cut, false);
  const part = readMapsBounded(path.join(proc, '4242', 'maps'), new Set(), 1024 * 1024)!;
  assert.equal(part.cut, true);
  assert.equal(part.bytes, 1024 * 1024);
  assert.deepEqual(part.entry.sysvShmids, []);
  const scan = scanAttachers(new Set(), { proc, devShm: root }, 100, undefined, { perProcess: 1024 * 1024 });
  assert.equal(scan.cut, 1);
  const full = scanAttachers(new Set(), { proc, devShm: root }, 100, undefined);
  assert.equal(full.cut, 0);
  assert.deepEqual(full.attachers.shm.get(98765), [4242]);
  const budget = scanAttachers(new Set(), { proc, devShm: root }, 100, undefined, { total: 1024 * 1024 });
  assert.equal(budget.cut, 1, 'the whole-scan budget bounds the first process too');
});

test('a name with terminal control sequences prints escaped in ipcx tables, fields, warnings and error lines', () => {
  const evil = '/esc\x1b]0;pwned\x07\x1b[2J\nfake row\x9b';
  const t = renderTable([{ header: 'NAME' }, { header: 'SIZE', right: true }], [[evil, '3']]);
  assert.equal(t, 'NAME                                       SIZE\n/esc\\x1b]0;pwned\\x07\\x1b[2J\\nfake row\\x9b     3\n');
  assert.equal(renderFields([['name', evil]]), 'name: /esc\\x1b]0;pwned\\x07\\x1b[2J\\nfake row\\x9b\n');
  assert.equal(itemErrorLine({ kind: 'posixSem', name: evil, error: { code: 'EINVAL', message: 'x (EINVAL)' } }),
    'posixSem /esc\\x1b]0;pwned\\x07\\x1b[2J\\nfake row\\x9b: x (EINVAL)');
  assert.doesNotMatch(t + renderFields([['n', evil]]), /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { collectAttachers, devFromMaps, devInoKey, makedev, mapsDevString, parseMaps } from '../../../extension/domain/mapsParser';

const fx = (f: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'proc', f), 'utf8');

test('SysV attach: the inode column is the shmid, even after IPC_RMID (real maps)', () => {
  // the process attached shmid 0 (key 0x1234), then removed it: `... 00:01 0  /SYSV00001234 (deleted)`;
  // shmid 0 is a real id, so inode 0 on a /SYSV line counts (unlike an anonymous mapping's 0)
  const e = parseMaps(fx('maps-attacher.txt'));
  assert.deepEqual(e.sysvShmids, [0]);
});

test('SysV lines with nonzero shmids, several mappings of one segment counted once', () => {
  const text = [
    '7f0000000000-7f0000100000 rw-s 00000000 00:01 32769                      /SYSV0052e2c1 (deleted)',
    '7f0000200000-7f0000300000 r--s 00000000 00:01 32769                      /SYSV0052e2c1 (deleted)',
    '7f0000400000-7f0000500000 rw-s 00000000 00:01 5                          /SYSV00000000 (deleted)',
    '7f0000600000-7f0000601000 r-xp 00000000 08:01 1234                       /usr/lib/libc.so.6',
    'garbage',
    '',
  ].join('\n');
  assert.deepEqual(parseMaps(text).sysvShmids.sort((a, b) => a - b), [5, 32769]);
});

test('POSIX semaphore mapped under glibc\'s temporary name is matched by dev:inode (real maps + stat)', () => {
  const st = JSON.parse(fx('posix-sem-stat.json')) as { dev: number; ino: number; major: number; minor: number };
  const wanted = new Set([devInoKey(st.dev, st.ino)]);
  const text = fx('maps-posix-sem.txt');
  assert.match(text, /\/dev\/shm\/sem\.\w+ \(deleted\)/, 'the mapping does not carry the name sem.orders');
  assert.doesNotMatch(text, /sem\.orders/);
  const e = parseMaps(text, wanted);
  assert.deepEqual(e.files, [devInoKey(st.dev, st.ino)]);
  assert.deepEqual(e.sysvShmids, []);
  assert.deepEqual(parseMaps(text, new Set(['1:2'])).files, []);
});

test('maps device numbers decode like glibc makedev()', () => {
  assert.equal(devFromMaps('00:28'), 40);
  assert.equal(devFromMaps('08:01'), 0x801);
  assert.equal(devFromMaps('103:02'), makedev(0x103, 2));
  assert.equal(makedev(0x103, 2), (0x103 << 8) | 2);
  // minor above 255 goes to bits 20+
  assert.equal(makedev(0, 0x123), (0x1 << 20) | 0x23);
  assert.equal(devFromMaps('zz:01'), undefined);
});

test('an empty wanted set skips file matching; no wanted set collects every shared file mapping', () => {
  const text = '7f00-7f01 rw-s 00000000 00:28 7   /dev/shm/cache\n7f02-7f03 r--p 00000000 08:01 9  /bin/x\n';
  assert.deepEqual(parseMaps(text, new Set()).files, []);
  assert.deepEqual(parseMaps(text).files.sort(), [devInoKey(40, 7), devInoKey(0x801, 9)].sort());
});

test('collectAttachers: distinct pids per shmid and per file, sorted', () => {
  const a = collectAttachers([
    [300, { sysvShmids: [5, 7], files: ['40:2'] }],
    [100, { sysvShmids: [5], files: [] }],
    [200, { sysvShmids: [5], files: ['40:2'] }],
  ]);
  assert.deepEqual(a.shm.get(5), [100, 200, 300]);
  assert.deepEqual(a.shm.get(7), [300]);
  assert.deepEqual(a.files.get('40:2'), [200, 300]);
  assert.equal(a.shm.get(9), undefined);
});

test('collectAttachers: a /SYSV mapping in another IPC namespace is another segment; files are matched whatever the namespace', () => {
  const own = 'ipc:[4026532400]';
  const a = collectAttachers([
    [100, { sysvShmids: [0], files: ['40:2'] }, own],
    [200, { sysvShmids: [0], files: ['40:2'] }, 'ipc:[4026532555]'],
    [300, { sysvShmids: [0], files: [] }], // ns/ipc unreadable: kept (an attacher too many never makes a segment removable)
  ], own);
  assert.deepEqual(a.shm.get(0), [100, 300]);
  assert.deepEqual(a.files.get('40:2'), [100, 200]);
  assert.deepEqual(collectAttachers([[200, { sysvShmids: [0], files: [] }, 'ipc:[4026532555]']]).shm.get(0), [200], 'no own namespace: no filter');
});

test('mapsDevString is the inverse of devFromMaps', () => {
  for (const d of ['00:28', '08:01', '103:02', 'fe:00', '00:123', 'fff:fffff']) assert.equal(mapsDevString(devFromMaps(d)!), d);
  assert.equal(mapsDevString(40), '00:28');
  assert.equal(mapsDevString(65024), 'fe:00');
});

test('a maps file of 20,000 lines with two interesting ones', () => {
  const lines: string[] = [];
  for (let i = 0; i < 20000; i++) lines.push(`7f${i.toString(16).padStart(10, '0')}-7f${(i + 1).toString(16).padStart(10, '0')} r--p 00000000 08:01 ${1000 + i}   /usr/lib/x${i}.so`);
  lines[777] = '7f00-7f01 rw-s 00000000 00:01 32769   /SYSV00000000 (deleted)';
  lines[15000] = '7f02-7f03 rw-s 00000000 00:28 5   /dev/shm/sem.AbCdEf (deleted)';
  const e = parseMaps(lines.join('\n'), new Set([devInoKey(40, 5), devInoKey(40, 6)]));
  assert.deepEqual(e.sysvShmids, [32769]);
  assert.deepEqual(e.files, [devInoKey(40, 5)]);
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { LIBC_SECTION_MAX_BYTES, parseHostLibc } from '../../../extension/domain/hostLibc';
import { hostLibcText, liveLibc } from '../../../extension/domain/futex';
import { parseProbe } from '../../../extension/domain/probeParser';

test('libc section: glibc N.N is the release; musl, FreeBSD and macOS are "not glibc"', () => {
  assert.deepEqual(parseHostLibc('glibc 2.36\n', 'linux'), { kind: 'glibc', release: '2.36' });
  assert.deepEqual(parseHostLibc('  glibc 2.41  \n\n', 'linux'), { kind: 'glibc', release: '2.41' });
  assert.deepEqual(parseHostLibc('glibc 2.0\n', 'linux'), { kind: 'glibc', release: '2.0' });
  // what this machine's getconf prints is accepted as is
  const here = execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' });
  assert.equal(parseHostLibc(here, 'linux').kind, 'glibc', here);
  // musl's ldd --version, first line (Alpine: "musl libc (x86_64)")
  assert.deepEqual(parseHostLibc('musl libc (x86_64)\n', 'linux'), { kind: 'other', name: 'musl' });
  // a BSD host is never glibc, whatever it printed
  assert.deepEqual(parseHostLibc('glibc 2.36\n', 'freebsd'), { kind: 'other', name: 'FreeBSD libc' });
  assert.deepEqual(parseHostLibc(undefined, 'darwin'), { kind: 'other', name: 'macOS libSystem' });
  assert.equal(parseHostLibc('glibc 2.36', 'unknown').kind, 'unknown');
  assert.equal(parseHostLibc(undefined, 'linux').kind, 'unknown');
  assert.equal(parseHostLibc('', 'linux').kind, 'unknown');
});

test('libc section from a hostile host: anything but one short `glibc N.N` line is unknown, never a throw', () => {
  const hostile = [
    'glibc 2.36.9000', 'glibc 2', 'glibc 2.', 'glibc .36', 'glibc 02.36', 'glibc 2.036', 'glibc 2000.1', 'glibc 2.1000',
    'glibc 99999999999999999999.1', 'glibc -2.36', 'glibc 2.36 extra', 'GLIBC 2.36', 'glibc  2.36', 'glibc\t2.36', 'glibc 2.36\u0000',
    'glibc 2.36\nglibc 2.17', 'glibc 2.36\n@@section libc\nglibc 2.17', '<img src=x onerror=alert(1)>', 'glibc 2.\u0663\u0666',
    'ldd (Debian GLIBC 2.36-9+deb12u7) 2.36', 'getconf: Unrecognized variable `GNU_LIBC_VERSION\'', 'musl libc (x86_64) evil',
    'x'.repeat(LIBC_SECTION_MAX_BYTES + 1), `glibc 2.36${' '.repeat(LIBC_SECTION_MAX_BYTES)}`, '\n'.repeat(100000),
  ];
  for (const h of hostile) {
    const l = parseHostLibc(h, 'linux');
    assert.equal(l.kind, 'unknown', JSON.stringify(h.slice(0, 60)));
    if (l.kind === 'unknown') assert.ok(l.why.length <= 120, `bounded text: ${l.why.length}`);
  }
  // the shown text quotes at most a snippet, as a JSON string (control characters escaped)
  const l = parseHostLibc(`\u001b[31m${'A'.repeat(400)}`, 'linux');
  assert.ok(l.kind === 'unknown' && !l.why.includes('\u001b') && l.why.length < 120, JSON.stringify(l));
});

test('a probe document carries the libc section into the snapshot, strictly', () => {
  const doc = (libc: string | undefined) => ['@@ipcx-probe 1', '@@section uname', 'Linux 6.1.0 x86_64', '@@section uid', '0', '@@section now', '1795556584',
    '@@section pagesize', '4096', ...(libc === undefined ? [] : ['@@section libc', libc]),
    '@@section sysvipc-sem', 'key semid perms nsems uid gid cuid cgid otime ctime',
    '@@section sysvipc-shm', 'key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap',
    '@@section sysvipc-msg', 'key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime',
    '@@section limits', '@@end', ''].join('\n');
  const snap = (libc: string | undefined) => {
    const r = parseProbe(doc(libc), { host: 'db1' });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    return r.value.snapshot.libc;
  };
  assert.deepEqual(snap('glibc 2.31'), { kind: 'glibc', release: '2.31' });
  assert.deepEqual(snap('musl libc (aarch64)'), { kind: 'other', name: 'musl' });
  assert.equal(snap('glibc 2.31; rm -rf /')?.kind, 'unknown');
  assert.equal(snap(undefined)?.kind, 'unknown');
});

test('the live semaphore\'s machine: this one\'s release, or the SSH host\'s from its snapshot, said honestly', () => {
  assert.deepEqual(liveLibc(true, '2.36', undefined), { glibc: '2.36' });
  // a local semaphore never takes an SSH host's answer
  assert.deepEqual(liveLibc(true, undefined, { kind: 'glibc', release: '2.17' }), { libcNote: 'glibc release not known' });
  assert.deepEqual(liveLibc(false, '2.36', { kind: 'glibc', release: '2.31' }), { glibc: '2.31' });
  assert.deepEqual(liveLibc(false, '2.36', { kind: 'other', name: 'musl' }), { libcNote: 'not glibc (musl)' });
  assert.match(liveLibc(false, '2.36', { kind: 'unknown', why: 'neither getconf GNU_LIBC_VERSION nor ldd --version answered' }).libcNote ?? '',
    /^glibc release not known: neither getconf/);
  assert.match(liveLibc(false, '2.36', undefined).libcNote ?? '', /^glibc release not known: the host's snapshot/);
  assert.equal(hostLibcText(undefined), 'glibc release not known');
});

/**
 * The capability probes (test/helpers/capabilities.ts) on simulated machines: a PATH without gcc, a gcc
 * whose -m32 output the kernel will not execute, PostgreSQL trees with several versions or none, and the
 * skip / require rule (IPCX_REQUIRE_<NAME>=1 turns a skip into a failure that names the reason).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { capability, findPostgresBin, needsIn } from '../helpers/capabilities';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-cap-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function exe(p: string, body = '#!/bin/sh\nexit 0\n'): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, body, { mode: 0o755 });
}

test('i386: no gcc on PATH is a missing capability, with the package named', () => {
  const empty = path.join(tmp, 'empty-bin');
  fs.mkdirSync(empty, { recursive: true });
  const c = capability('i386', { env: { PATH: empty } });
  assert.equal(c.ok, false);
  assert.match(c.reason, /no gcc on PATH.*gcc-multilib/);
});

test('i386: gcc -m32 that cannot link is reported as gcc-multilib missing', () => {
  const bin = path.join(tmp, 'nolink-bin');
  exe(path.join(bin, 'gcc'), '#!/bin/sh\necho "/usr/bin/ld: cannot find -lgcc: No such file or directory" >&2\nexit 1\n');
  const c = capability('i386', { env: { PATH: `${bin}:/usr/bin:/bin` } });
  assert.equal(c.ok, false);
  assert.match(c.reason, /gcc -m32 cannot build an i386 program \(install gcc-multilib.*cannot find -lgcc/);
});

test('i386: a binary that links but that the kernel refuses (ENOEXEC) is not the capability: linking is not running', () => {
  // a "compiler" that writes a truncated ELF image: execve answers ENOEXEC, as a kernel without
  // CONFIG_IA32_EMULATION answers for a real i386 binary
  const bin = path.join(tmp, 'noexec-bin');
  const elf = fs.readFileSync(process.execPath).subarray(0, 64);
  fs.writeFileSync(path.join(tmp, 'elf-head'), elf);
  exe(path.join(bin, 'gcc'), `#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done\ncat '${path.join(tmp, 'elf-head')}' > "$out"; chmod +x "$out"\n`);
  const c = capability('i386', { env: { PATH: `${bin}:/usr/bin:/bin` } });
  assert.equal(c.ok, false);
  assert.match(c.reason, /this kernel does not execute i386 binaries .*ENOEXEC/);
});

test('postgres: the highest installed server version is found (numeric order), whatever it is', () => {
  const pgRoot = path.join(tmp, 'postgresql');
  for (const v of ['9.6', '15', '17']) {
    exe(path.join(pgRoot, v, 'bin', 'postgres'));
    exe(path.join(pgRoot, v, 'bin', 'initdb'));
  }
  exe(path.join(pgRoot, '18', 'bin', 'postgres')); // a client-only leftover without initdb: not a server
  fs.mkdirSync(path.join(pgRoot, 'common'), { recursive: true });
  assert.deepEqual(findPostgresBin({ postgresRoot: pgRoot, env: {} }), { bin: path.join(pgRoot, '17', 'bin'), version: '17' });
  const c = capability('postgres', { postgresRoot: pgRoot, env: process.env });
  // the `postgres` user may or may not exist on this machine; the version found is named either way
  assert.match(c.reason, /PostgreSQL 17/);
});

test('postgres: no server at all is a missing capability naming the Debian package', () => {
  const c = capability('postgres', { postgresRoot: path.join(tmp, 'nowhere'), env: process.env });
  assert.equal(c.ok, false);
  assert.match(c.reason, /no PostgreSQL server .*Debian package postgresql/);
});

test('chromium and sshd: absent binaries are missing capabilities naming their packages', () => {
  const empty = path.join(tmp, 'empty-bin');
  fs.mkdirSync(empty, { recursive: true });
  const ch = capability('chromium', { env: { PATH: empty, IPCX_CHROMIUM: path.join(tmp, 'no-chromium') } });
  assert.equal(ch.ok, false);
  assert.match(ch.reason, /Debian package chromium/);
  const sd = capability('sshd', { env: { PATH: empty, IPCX_SSHD: path.join(tmp, 'no-sshd') } });
  assert.equal(sd.ok, false);
  assert.match(sd.reason, /Debian package openssh-server/);
});

test('skip or require: missing and not required skips with the reason; IPCX_REQUIRE_<NAME>=1 fails with it; present runs', () => {
  const missing = { ok: false, reason: 'this kernel does not execute i386 binaries' };
  const skipped = needsIn({}, [['i386', missing]]);
  assert.match(skipped.skip ?? '', /needs i386: this kernel does not execute i386 binaries \(set IPCX_REQUIRE_I386=1 to fail instead of skipping\)/);
  assert.equal(skipped.ready(), false);

  const required = needsIn({ IPCX_REQUIRE_I386: '1' }, [['i386', missing]]);
  assert.equal(required.skip, undefined, 'a required capability is never skipped');
  assert.throws(() => required.ready(), /IPCX_REQUIRE_I386=1 but i386: this kernel does not execute i386 binaries/);

  const present = needsIn({ IPCX_REQUIRE_I386: '1' }, [['i386', { ok: true, reason: 'runs' }]]);
  assert.equal(present.skip, undefined);
  assert.equal(present.ready(), true);

  // several capabilities: only the missing ones are named
  const two = needsIn({}, [['sshd', { ok: true, reason: 'x' }], ['postgres', { ok: false, reason: 'no server' }]]);
  assert.match(two.skip ?? '', /^needs postgres: no server/);
});

test('arm64: missing cross compiler or qemu names the Debian packages; a missing runtime names the script', () => {
  const none = capability('arm64', { env: { PATH: path.join(tmp, 'empty'), IPCX_ARM64_ROOT: path.join(tmp, 'no-root') } });
  assert.equal(none.ok, false);
  assert.match(none.reason, /aarch64 cross compiler.*arm64-runtime\.sh/);
  assert.match(none.reason, /qemu-user/);
  const bin = path.join(tmp, 'armbin');
  exe(path.join(bin, 'aarch64-linux-gnu-g++'));
  exe(path.join(bin, 'qemu-aarch64'));
  const noRuntime = capability('arm64', { env: { PATH: bin, IPCX_ARM64_ROOT: path.join(tmp, 'no-root') } });
  assert.equal(noRuntime.ok, false);
  assert.match(noRuntime.reason, /tools\/arm64-runtime\.sh/);
  // a qemu that cannot run the runtime's node (here: it prints nothing) is not taken for a working one
  exe(path.join(tmp, 'root', 'usr', 'bin', 'node'));
  const broken = capability('arm64', { env: { PATH: bin, IPCX_ARM64_ROOT: path.join(tmp, 'root') } });
  assert.equal(broken.ok, false);
  assert.match(broken.reason, /qemu-aarch64 cannot run/);
});

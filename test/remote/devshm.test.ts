/**
 * The probe's /dev/shm and maps sections against a real sshd host (its own private IPC + mount namespace
 * and tmpfs /dev/shm): symlinks planted under semaphore names are never followed, and 100,000 files are
 * listed in one pass under the probe's bound, with the rest counted in a warning. The probe runs under
 * `strace -f -c -e trace=execve` through an authorized_keys forced command (still the real sshd and a real
 * session), so the test counts the processes it starts instead of trusting a wall-clock number.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { SshdHarness } from './sshdHarness';

let h: SshdHarness;
let traceDir = '';

/**
 * execve calls of every traced session since the last call (the trace files are then removed), without the
 * probe's maps greps: those run one per batch of /proc/PID/maps files, so their number follows how many
 * processes the machine runs at that moment, not what /dev/shm holds.
 */
function execsSinceLast(): number {
  let n = 0;
  for (const f of fs.readdirSync(traceDir)) {
    const text = fs.readFileSync(path.join(traceDir, f), 'utf8');
    for (const line of text.split('\n')) {
      if (!/\bexecve\(/.test(line) || / = -1 /.test(line)) continue;
      if (/execve\("[^"]*\/grep", \[.*\/SYSV\[0-9a-f\]/.test(line)) continue;
      n++;
    }
    fs.rmSync(path.join(traceDir, f));
  }
  return n;
}

before(async () => {
  assertPrivateIpcNamespace();
  h = new SshdHarness();
  await h.startHost('s');
  h.addAlias('plain', 's');
  traceDir = path.join(h.dir, 'traces');
  fs.mkdirSync(traceDir);
  h.addForcedAlias('traced', 's',
    `#!/bin/sh\nexec strace -f -qq -s 256 -e trace=execve -o '${traceDir}'/trace.$$ /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`);
  // a host whose find has no -printf (BusyBox, BSD find): a `find` first on PATH that refuses it
  const shim = path.join(h.dir, 'shim');
  fs.mkdirSync(shim);
  fs.writeFileSync(path.join(shim, 'find'), '#!/bin/sh\nfor a in "$@"; do [ "$a" = -printf ] && { echo "find: unrecognized: -printf" >&2; exit 1; }; done\nexec /usr/bin/find "$@"\n', { mode: 0o755 });
  h.addForcedAlias('noprintf', 's',
    `#!/bin/sh\nPATH='${shim}':$PATH; export PATH\nexec strace -f -qq -c -e trace=execve -o '${traceDir}'/trace.$$ /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`);
});

after(async () => {
  await h?.stopAll();
});

function hostSh(script: string): string {
  const r = h.hosts.get('s')!.exec('sh', ['-c', script]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('symlinks and FIFOs under semaphore names: never listed, never read (the probe does not follow them)', async () => {
  // a secret outside /dev/shm shaped like a semaphore with value 4242; links to it under sem.* names
  const secret = path.join(h.dir, 'secret');
  const img = Buffer.alloc(32);
  img.writeUInt32LE(4242, 0);
  img.writeInt32LE(128, 8);
  fs.writeFileSync(secret, img);
  hostSh(`cd /dev/shm && ln -s '${secret}' sem.evil && ln -s '${secret}' evil-shm && mkfifo sem.fifo && ` +
    `printf '\\003\\0\\0\\0\\0\\0\\0\\0\\200\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0' > sem.real`);
  try {
    const snap = await h.source('plain', { timeoutMs: 120_000 }).snapshot();
    assert.deepEqual(snap.posixSems.map((s) => [s.name, s.decoded?.value]), [['/real', 3]]);
    assert.deepEqual(snap.posixShms.map((s) => s.name), []);
    assert.ok(!JSON.stringify(snap).includes('4242'), 'the secret behind the link was not read');
  } finally {
    hostSh('cd /dev/shm && rm -f sem.evil evil-shm sem.fifo sem.real');
  }
});

test('a host with 100,000 files in /dev/shm: one pass, 10,000 listed with a "more not listed" warning, no process per file', async () => {
  const src = h.source('traced', { timeoutMs: 120_000 });
  execsSinceLast();
  const t0 = performance.now();
  await src.snapshot();
  const floorMs = performance.now() - t0;
  const floor = execsSinceLast();
  assert.ok(floor > 5, `the trace counts the probe's processes (${floor})`);
  hostSh('cd /dev/shm && seq -f PostgreSQL.%.0f 1000000 1099999 | xargs touch && ' +
    "printf '\\007\\0\\0\\0\\0\\0\\0\\0\\200\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0' > sem.flood");
  try {
    const t1 = performance.now();
    const snap = await src.snapshot();
    const bigMs = performance.now() - t1;
    const big = execsSinceLast();
    assert.equal(snap.posixSems.length + snap.posixShms.length, 10000);
    assert.equal(snap.posixSems.find((s) => s.name === '/flood')?.decoded?.value, 7, 'the semaphore is listed and read despite the flood');
    assert.ok(snap.warnings.includes('/dev/shm: 100,001 files; 10,000 listed (the first by name: 1 sem.*, 9,999 others), 90,001 more not listed (the probe\'s bound per snapshot)'),
      snap.warnings.join('\n'));
    // processes: the same script as with an empty /dev/shm, plus at most the perl that reads semaphores
    assert.ok(big <= floor + 3, `processes started: ${big} with 100,000 files vs ${floor} with none`);
    console.log(`remote probe, 100,000 files: ${big} processes (floor ${floor}), ${bigMs.toFixed(0)} ms traced (floor ${floorMs.toFixed(0)} ms)`);
  } finally {
    hostSh('cd /dev/shm && find . -maxdepth 1 -name "PostgreSQL.1*" -delete; rm -f sem.flood');
  }
});

test('a find without -printf: the same listing through `find -exec stat -c … {} +` (a stat per batch, not per file), symlinks still not followed', async () => {
  hostSh('cd /dev/shm && seq -f f%.0f 1 5000 | xargs touch && ln -s /etc/passwd sem.link && ' +
    "printf '\\005\\0\\0\\0\\0\\0\\0\\0\\200\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0' > sem.five && chmod 640 sem.five");
  try {
    const gnu = await h.source('plain', { timeoutMs: 120_000 }).snapshot();
    execsSinceLast();
    const other = await h.source('noprintf', { timeoutMs: 120_000 }).snapshot();
    const execs = execsSinceLast();
    const view = (x: typeof gnu) => [...x.posixSems, ...x.posixShms].map((o) => [o.name, o.uid, o.gid, o.mode, o.size, o.mtime, o.dev, o.ino]);
    assert.equal(other.posixShms.length, 5000);
    assert.deepEqual(view(other), view(gnu));
    assert.equal(other.posixSems.find((x) => x.name === '/five')?.decoded?.value, 5);
    assert.ok(!other.posixSems.some((x) => x.name === '/link'));
    // 5,000 files: a handful of stat batches on top of the probe's own processes, not 5,000
    assert.ok(execs < 150, `processes started: ${execs}`);
  } finally {
    hostSh('cd /dev/shm && find . -maxdepth 1 -name "f*" -delete; rm -f sem.link sem.five');
  }
});

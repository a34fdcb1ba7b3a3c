/**
 * A reader at its process limit (RLIMIT_NPROC: no thread can be made) listing a table large enough that the
 * binding would split it across threads: the listing is done on the calling thread, complete, never an abort
 * (a C++ exception leaving a call kills the whole process, e.g. VS Code's extension host).
 *
 * The reader runs as nobody (root is not held to RLIMIT_NPROC); once started (and, for the asynchronous
 * listing, once libuv's pool threads exist), its limit is lowered to 1 by `prlimit --pid` run as nobody too, so
 * from then on every clone(2) of that user fails with EAGAIN, whatever else the user runs.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { AS_NOBODY, stageDir, stagedNativeBinding } from '../helpers/stage';
import { assertPrivateIpcNamespace, make, nativeObjects, removeQuietly, type Made } from './support';

const created: Made[] = [];
after(() => removeQuietly(created));

/** What the reader prints after its listings. */
interface ReaderResult {
  spawnCode: string | null;
  sync: { ok: boolean; ids?: number[]; shms?: number[]; errors?: number; message?: string };
  async: { ok: boolean; ids?: number[]; shms?: number[]; errors?: number; message?: string };
}

const READER = `
const fs = require('node:fs');
const b = require(process.argv[1]);
const list = (r) => ({ ok: true, ids: Array.from({ length: r.sem.count }, (_, i) => r.sem.headers[i * 10]),
  shms: Array.from({ length: r.shm.count }, (_, i) => r.shm.headers[i * 14]), errors: r.errors.length });
(async () => {
  await fs.promises.stat('/'); // libuv's pool threads exist from here on
  process.stdout.write('ready\\n');
  fs.readSync(0, Buffer.alloc(8)); // until the limit is lowered
  const out = {};
  // the limit bites: a new process of this user is refused
  out.spawnCode = require('node:child_process').spawnSync('true').error?.code ?? null;
  try { out.sync = list(b.snapshot(true)); } catch (e) { out.sync = { ok: false, message: e.message }; }
  try { out.async = list(await b.snapshotAsync(true)); } catch (e) { out.async = { ok: false, message: e.message }; }
  process.stdout.write(JSON.stringify(out) + '\\n');
})();
`;

test('at its process limit (no thread can be made) a large table is listed on the calling thread: complete, no abort', async () => {
  assertPrivateIpcNamespace();
  // 5,000 sets: above the slot count from which the scan is split across threads (and the segments and
  // queues are listed on a thread of their own)
  created.push(...make('sem', ['-n', '5000', '-s', '3', '-v', 'p', '-m', '644']));
  created.push(...make('shm', ['-n', '2', '-s', '4096', '-m', '644']));
  const root = nativeObjects();

  const child = spawn(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, '-e', READER, stagedNativeBinding()], {
    cwd: stageDir(), stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (out.includes('ready\n')) { clearInterval(poll); resolve(); }
        if (child.exitCode !== null) { clearInterval(poll); reject(new Error(`reader ended before it was ready: ${err}`)); }
      }, 20);
    });
    // lowered by the same user (lowering a limit of one's own process needs no capability)
    const lim = spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'prlimit', '--pid', String(child.pid), '--nproc=1:1'], { encoding: 'utf8' });
    assert.equal(lim.status, 0, lim.stderr);
    assert.match(fs.readFileSync(`/proc/${child.pid}/limits`, 'utf8'), /^Max processes\s+1\s+1\s/m);
    child.stdin.end('go\n');
    const { code, signal } = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `the reader ended: ${err}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const r = JSON.parse(out.slice(out.indexOf('ready\n') + 6)) as ReaderResult;
  assert.equal(r.spawnCode, 'EAGAIN', 'the limit refuses new tasks of this user');
  const ids = root.sems.map((s) => s.id);
  const shms = root.shms.map((s) => s.id);
  for (const [name, l] of [['snapshot', r.sync], ['snapshotAsync', r.async]] as const) {
    assert.ok(l.ok, `${name}: ${l.message}`);
    assert.deepEqual(l.ids, ids, `${name}: every set, in slot order`);
    assert.deepEqual(l.shms, shms, `${name}: every segment`);
    assert.equal(l.errors, 0);
  }
});

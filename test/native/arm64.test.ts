/**
 * The linux-arm64 binding: cross-built with Debian's aarch64 toolchain (tools/build-native-cross.mjs, what
 * `npm run package:arm64` ships) and run for real under qemu-user by Debian's Node.js for arm64, through the
 * product's own `ipcx` bundle. qemu-aarch64 translates the System V syscalls to this kernel, so the arm64
 * binary reads and removes the same kernel objects as the x64 one; what is proven is the arm64 build and its
 * structure layouts (semid64_ds, shmid64_ds and msqid64_ds differ between the architectures), not arm64
 * hardware.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { arm64Root, needs, which } from '../helpers/capabilities';
import { nativeSourceHash } from '../../tools/native-stamp.mjs';
import { assertPrivateIpcNamespace, make, removeQuietly, repoRoot, type Made } from './support';

const arm = needs('native', 'arm64');
const ipcx = path.join(repoRoot, 'dist', 'ipcx.js');
let binding = '';
const made: Made[] = [];

/** The cross-built binding, rebuilt only when native/ changed since the last cross build. */
async function crossBinding(): Promise<string> {
  const out = path.join(repoRoot, 'prebuilds', 'linux-arm64', 'ipc_native.node');
  const stamp = `${out}.source`;
  const want = nativeSourceHash(repoRoot);
  if (fs.existsSync(out) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return out;
  const { buildCross } = await import('../../tools/build-native-cross.mjs');
  buildCross('arm64');
  fs.writeFileSync(stamp, want);
  return out;
}

/** `ipcx ARGS` under Node.js for arm64 with the cross-built binding. */
function ipcxArm64(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const root = arm64Root();
  const r = spawnSync(which('qemu-aarch64')!, ['-L', root, path.join(root, 'usr', 'bin', 'node'), ipcx, ...args], {
    encoding: 'utf8',
    // no IPCX_NATIVE_PATH: the loader's own search finds prebuilds/linux-arm64 after refusing the x64 build
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'IPCX_NATIVE_PATH')),
    timeout: 180_000,
    maxBuffer: 1 << 26,
  });
  if (r.error) throw r.error;
  return r;
}

function ipcxHere(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [ipcx, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

before(async () => {
  if (!arm.ready()) return;
  assertPrivateIpcNamespace();
  assert.ok(fs.existsSync(ipcx), `${ipcx} is missing: npm run build`);
  binding = await crossBinding();
  made.push(...make('sem', ['-n', '2', '-s', '5', '-v', 'p']), ...make('shm', ['-n', '1', '-s', '8192']), ...make('msg', ['-n', '1']));
});
after(() => removeQuietly(made));

test('the cross-built binding is an arm64 ELF that Node.js for arm64 loads (not the /proc fallback)', arm, () => {
  const head = fs.readFileSync(binding).subarray(0, 20);
  assert.equal(head.readUInt16LE(18), 183, 'e_machine EM_AARCH64');
  const r = ipcxArm64(['snapshot', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const snap = JSON.parse(r.stdout);
  assert.equal(snap.source, 'native', `the arm64 process used the binding: ${r.stderr}`);
});

test('arm64 and x64 read the same objects, values and limits', arm, () => {
  const strip = (text: string): Record<string, unknown> => {
    const s = JSON.parse(text, (k, v) => (k === 'clockOffset' || k === 'clockOffsetError' ? undefined : v)) as Record<string, unknown>;
    // when the snapshot was taken, the reader's own process facts and the boot-clock offset (each process
    // measures it anew) differ between two runs; the kernel's facts must not
    delete s['takenAt'];
    delete s['processes'];
    return s;
  };
  const a = ipcxArm64(['snapshot', '--json']);
  const x = ipcxHere(['snapshot', '--json']);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(x.status, 0, x.stderr);
  const sa = strip(a.stdout);
  const sx = strip(x.stdout);
  // qemu-user does not translate SEM_STAT_ANY/SHM_STAT_ANY/MSG_STAT_ANY (it answers EINVAL as a kernel before
  // 4.17 would), so the arm64 process lists with *_STAT and says so; as root that lists the same objects
  const qemuOnly = /no \*_STAT_ANY/;
  assert.deepEqual((sa['warnings'] as string[]).filter((w) => !qemuOnly.test(w)), sx['warnings']);
  delete sa['warnings'];
  delete sx['warnings'];
  assert.deepEqual(sa, sx);
  for (const m of made.filter((o) => o.kind === 'sem')) {
    assert.ok((sa['sems'] as Array<{ id: number; values: number[] }>).some((s) => s.id === m.id && s.values.length === 5), `set ${m.id} with its 5 values`);
  }
});

test('arm64 guarded removal: the orphaned segment is locked, re-checked, removed and audited; nothing else is', arm, () => {
  const shm = made.find((o) => o.kind === 'shm')!;
  const audit = path.join(path.dirname(binding), 'audit-test.jsonl');
  fs.rmSync(audit, { force: true });
  const r = ipcxArm64(['recycle', '--yes', '--json', '--kind', 'shm', '--min-age', '0', '--recent', '0', '--include-unrecognized', '--trust-key', String(shm.key), '--audit', audit]);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout) as { report: { removed: number; outcomes: Array<{ action: string; kind: string; id: number }> } };
  assert.deepEqual(out.report.outcomes.map((o) => `${o.action} ${o.kind}:${o.id}`), [`removed shm:${shm.id}`], r.stdout);
  const left = ipcxHere(['snapshot', '--json']);
  assert.ok(!(JSON.parse(left.stdout) as { shms: Array<{ id: number }> }).shms.some((s) => s.id === shm.id), 'the segment is gone');
  const lines = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event?: string });
  assert.ok(lines.length >= 2, 'the lock intent and the removal are audited');
});

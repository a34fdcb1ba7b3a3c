/**
 * No lock without its intent in the journal: the audit log on a full filesystem (a 64 KiB tmpfs filled to
 * the last byte, mounted in this stage's private mount namespace), then the real `ipcx recycle --yes` on an
 * orphan segment. Writing the intent fails (ENOSPC), so the object is never locked: refused with the reason,
 * its mode and ctime untouched (IPC_SET would have moved the ctime). Once the disk has room again, the same
 * recycle removes it. (764fd01 locked before writing anything and removed the segment here.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { NestedNs, ensureCliBuilt } from './nsHarness';

let ns: NestedNs;
let tmp = '';
let mounted = false;

before(async () => {
  assertPrivateIpcNamespace();
  ensureCliBuilt();
  ns = await NestedNs.create();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-journal-full-'));
});

after(() => {
  ns?.close();
  if (mounted) spawnSync('umount', [tmp]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function shm(id: number): { mode: number; ctime: number } | undefined {
  const snap = JSON.parse(ns.ipcx(['snapshot', '--json']).stdout) as { shms: Array<{ id: number; mode: number; ctime: number }> };
  const m = snap.shms.find((x) => x.id === id);
  return m ? { mode: m.mode & 0o777, ctime: m.ctime } : undefined;
}

test('journal: with the audit log on a full disk the intent cannot be written, so nothing is locked or removed', { timeout: 120000 }, () => {
  assertPrivateIpcNamespace();
  const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', tmp], { encoding: 'utf8' });
  assert.equal(mnt.status, 0, mnt.stderr);
  mounted = true;
  const made = ns.run(buildC('ipc_make'), ['shm', '-n', '1', '-s', '4096', '-m', '640', '-k', '0x4a0e0101']);
  assert.equal(made.status, 0, made.stderr);
  const id = Number(/^shm (\d+)/m.exec(made.stdout)![1]);
  const before = shm(id)!;
  const audit = path.join(tmp, 'audit.jsonl');
  fs.writeFileSync(audit, '');
  // fill the filesystem: the next write of any size fails with ENOSPC
  const fill = spawnSync('sh', ['-c', `dd if=/dev/zero of='${tmp}/fill' bs=4096 2>/dev/null; exit 0`]);
  assert.equal(fill.status, 0);
  assert.throws(() => fs.appendFileSync(audit, 'x'), /ENOSPC/, 'the disk is full');

  const r = ns.ipcx(['recycle', '--yes', '--min-age', '0', '--recent', '0', '--audit', audit]);
  assert.match(r.stdout, /audit log write failed: .*ENOSPC.*not locking an object whose lock could not be journaled/, r.stdout + r.stderr);
  const now = shm(id);
  assert.deepEqual(now, before, 'mode and ctime untouched: the object was never locked');

  // room again: the same recycle locks (intent first), verifies and removes it
  fs.rmSync(path.join(tmp, 'fill'));
  const ok = ns.ipcx(['recycle', '--yes', '--min-age', '0', '--recent', '0', '--audit', audit]);
  assert.equal(shm(id), undefined, ok.stdout + ok.stderr);
  const recs = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; ref: string });
  assert.deepEqual(recs.filter((x) => x.ref === `shm:${id}`).map((x) => x.action), ['intent', 'removed']);
});

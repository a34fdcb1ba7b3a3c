/**
 * A non-root reader (uid/gid 65534 via setpriv, no groups) on root-owned objects: the snapshot is partial,
 * never a crash. *_STAT_ANY lists every header; GETALL on a 0600 set is that set's valuesError (EACCES);
 * per-object calls throw EACCES/EPERM with hints.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { IpcErrorInfo, ItemError, SemSet } from '../../extension/shared/model';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace, make, nativeObjects, probe, probeAsNobody, removeQuietly, type Made } from './support';

const created: Made[] = [];
after(() => removeQuietly(created));

test('nobody reading 0600 root objects: headers listed, EACCES valuesError, EACCES/EPERM per call', () => {
  assertPrivateIpcNamespace();
  const [priv] = make('sem', ['-n', '1', '-s', '4', '-v', '5,6,7,8', '-m', '600']);
  const [pub] = make('sem', ['-n', '1', '-s', '2', '-v', '3,4', '-m', '644']);
  const [shm] = make('shm', ['-n', '1', '-s', '4096', '-w', 'secret', '-m', '600']);
  const [msg] = make('msg', ['-n', '1', '-M', '2', '-m', '600']);
  created.push(priv!, pub!, shm!, msg!);
  const pubSet = nativeObjects().sems.find((s) => s.id === pub!.id)!;

  const p = probeAsNobody([
    { op: 'snapshot' },
    { op: 'semDetail', id: priv!.id },
    { op: 'semDetail', id: pub!.id },
    { op: 'shmPeek', id: shm!.id, length: 6 },
    { op: 'remove', kind: 'sem', id: pub!.id, expected: { key: pubSet.key, ctime: pubSet.ctime } },
    { op: 'limits' },
    { op: 'semsJson' },
  ]);
  assert.ok(p.load.ok, JSON.stringify(p.load));
  const [snapR, privDetail, pubDetail, peek, rm, lim, sj] = p.results;
  assert.ok(snapR!.ok, JSON.stringify(snapR));
  const snap = snapR!.value as { sems: SemSet[]; shms: Array<{ id: number }>; msgs: Array<{ id: number; qnum: number }>; errors: unknown[]; uid: number };
  assert.equal(snap.uid, 65534);
  assert.deepEqual(snap.errors, [], '*_STAT_ANY needs no read permission');
  const ps = snap.sems.find((s) => s.id === priv!.id)!;
  assert.ok(ps, '0600 set listed');
  assert.equal(ps.nsems, 4);
  assert.equal(ps.values, undefined);
  const ve = ps.valuesError as IpcErrorInfo;
  assert.equal(ve.code, 'EACCES');
  assert.equal(ve.op, 'GETALL');
  assert.equal(ve.syscall, 'semctl');
  assert.equal(ve.id, priv!.id);
  assert.equal(ve.message, `semctl(GETALL) id=${priv!.id}: Permission denied (EACCES)`);
  assert.match(ve.hint!, /No read permission/);
  assert.deepEqual(snap.sems.find((s) => s.id === pub!.id)!.values, [3, 4], 'a 0644 set is readable');
  assert.ok(snap.shms.some((s) => s.id === shm!.id));
  assert.equal(snap.msgs.find((q) => q.id === msg!.id)!.qnum, 2);

  assert.equal(privDetail!.ok, false);
  assert.deepEqual([privDetail!.error!.code, privDetail!.error!.op], ['EACCES', 'IPC_STAT']);
  assert.ok(pubDetail!.ok);
  assert.equal(peek!.ok, false);
  assert.equal(peek!.error!.code, 'EACCES');
  assert.equal(rm!.ok, false);
  // guarded removal locks first (IPC_SET mode 0): refused there, before any IPC_RMID
  assert.deepEqual([rm!.error!.code, rm!.error!.op, rm!.error!.syscall], ['EPERM', 'IPC_SET', 'semctl']);
  assert.match(rm!.error!.message, /cannot lock the object before removal.*nothing was removed/);
  assert.match(rm!.error!.hint!, /owner \(uid\) or creator \(cuid\)/);
  assert.ok(lim!.ok, 'limits need no privilege');
  const j = sj!.value as { semsJson: string; objects: string; semValueErrors: Array<{ id: number; error: IpcErrorInfo }> };
  assert.equal(j.semsJson, j.objects, 'native JSON with a valuesError equals JSON.stringify of the objects');
  assert.ok(j.semValueErrors.some((e) => e.id === priv!.id && e.error.code === 'EACCES'));
  assert.deepEqual(nativeObjects().sems.find((s) => s.id === pub!.id), pubSet, 'the refused removal left the set as it was (mode 0644, ctime)');
});

test('nobody, listing into the buffers of an earlier listing: the unreadable set\'s values are zero there too, never the old bytes', () => {
  assertPrivateIpcNamespace();
  const [priv] = make('sem', ['-n', '1', '-s', '4', '-v', '5,6,7,8', '-m', '600']);
  const [pub] = make('sem', ['-n', '1', '-s', '2', '-v', '3,4', '-m', '644']);
  created.push(priv!, pub!);
  const p = probeAsNobody([{ op: 'snapshotReused' }]);
  assert.ok(p.load.ok, JSON.stringify(p.load));
  const r = p.results[0]!;
  assert.ok(r.ok, JSON.stringify(r));
  const v = r.value as { reused: boolean; values: number[]; sems: SemSet[]; fresh: SemSet[] };
  assert.ok(v.reused, 'the listing was written into the buffers handed back');
  assert.deepEqual(v.sems, v.fresh, 'the same sets as a listing into new buffers');
  assert.equal(v.sems.find((s) => s.id === priv!.id)?.valuesError?.code, 'EACCES');
  let off = 0;
  for (const s of v.sems) {
    const slice = v.values.slice(off, off + s.nsems);
    if (s.valuesError) {
      assert.deepEqual(slice, new Array(s.nsems).fill(0), `set ${s.id}: unread values are zero, not the 0xabab the buffer held`);
    } else {
      assert.deepEqual(slice, s.values);
    }
    off += s.nsems;
  }
  assert.equal(off, v.values.length, 'every value exposed belongs to a set');
  assert.ok(!v.values.includes(0xabab));
});

test('kernels before 4.17 (no *_STAT_ANY, emulated with seccomp): root lists all; nobody gets EACCES items (threaded scan)', () => {
  assertPrivateIpcNamespace();
  const [priv] = make('sem', ['-n', '1', '-s', '2', '-v', '1,2', '-m', '600']);
  const [pub] = make('sem', ['-n', '1', '-s', '2', '-v', '3,4', '-m', '644']);
  const [shm] = make('shm', ['-n', '1', '-s', '4096', '-m', '600']);
  const [msg] = make('msg', ['-n', '1', '-m', '600']);
  created.push(priv!, pub!, shm!, msg!);
  // enough sets (slots >= 4096) for the scan to split across threads, each falling back on its own
  created.push(...make('sem', ['-n', '4100', '-s', '2', '-v', 'p', '-m', '600']));
  const prefix = [buildC('sysv_filter'), 'no-stat-any'];
  type Snap = { sems: SemSet[]; shms: Array<{ id: number }>; msgs: Array<{ id: number }>; errors: ItemError[]; statAny: boolean };
  const asRoot = probe([{ op: 'snapshot' }], { prefix });
  const rs = asRoot.results[0]!.value as Snap;
  assert.equal(rs.statAny, false, 'fell back to *_STAT');
  assert.deepEqual(rs.errors, []);
  assert.deepEqual(rs.sems.find((s) => s.id === priv!.id)!.values, [1, 2]);
  assert.ok(rs.shms.some((s) => s.id === shm!.id) && rs.msgs.some((q) => q.id === msg!.id));
  const inProcess = nativeObjects();
  assert.equal(inProcess.statAny, true, 'this kernel has *_STAT_ANY');
  assert.deepEqual(rs.sems, inProcess.sems, 'same sets and values through either path');

  const asNobody = probe([{ op: 'snapshot' }], { prefix, nobody: true });
  const ns = asNobody.results[0]!.value as Snap;
  assert.equal(ns.statAny, false);
  assert.ok(!ns.sems.some((s) => s.id === priv!.id), 'an unreadable set has no header under SEM_STAT');
  assert.deepEqual(ns.sems.find((s) => s.id === pub!.id)!.values, [3, 4]);
  const byKind = (k: string) => ns.errors.filter((e) => e.kind === k);
  // one EACCES item per object nobody may not read (not world-readable; nobody is neither owner nor group)
  const hidden = (objs: Array<{ mode: number }>) => objs.filter((o) => (o.mode & 0o004) === 0).length;
  assert.equal(byKind('sem').length, hidden(inProcess.sems));
  assert.equal(byKind('shm').length, hidden(inProcess.shms));
  assert.equal(byKind('msg').length, hidden(inProcess.msgs));
  assert.ok(byKind('sem').length >= 1 && byKind('shm').length >= 1 && byKind('msg').length >= 1);
  assert.equal(ns.sems.length, inProcess.sems.length - hidden(inProcess.sems));
  for (const e of ns.errors) {
    assert.equal(e.error.code, 'EACCES');
    assert.match(e.error.op!, /^(SEM|SHM|MSG)_STAT$/);
    assert.match(e.name!, /^index \d+$/);
    assert.match(e.error.hint!, /No read permission/);
  }
});

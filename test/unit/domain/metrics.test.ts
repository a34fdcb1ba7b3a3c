/**
 * The metric derivation (domain/metrics.ts): snapshot + verdicts -> metric families, on hand-made snapshots
 * whose verdicts come from the real verdict rules. The exposition text itself is prom-client's; one test
 * checks that the families go through it and come out as the figures put in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposition, registryOf } from '../../../extension/backend/metricsExposition';
import { failureMetrics, lastOpLiveness, mergeFamilies, snapshotMetrics, type MetricFamily } from '../../../extension/domain/metrics';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { IpcSnapshot, PosixSem } from '../../../extension/shared/model';
import { NOW, elems, msg, pgSet, proc, procs, semSet, shm, snapshot } from '../recycle/fixtures';

const LIVE = 100, DEAD = 200, DEAD2 = 201;

/** A host with: a live app set, 2 orphaned PostgreSQL sets, a set with a stuck waiter, an orphan segment, a live one. */
function fleetHost(): IpcSnapshot {
  const stuck = elems(3, DEAD2, [{ ncount: 2 }, { zcount: 1 }]);
  const posix: PosixSem = {
    kind: 'posixSem', name: '/orders', path: '/dev/shm/sem.orders', uid: 0, gid: 0, mode: 0o600, size: 32, mtime: NOW - 10, dev: 1, ino: 2,
    attachers: [LIVE], decoded: { layout: 'glibc-new-64', value: 0, nwaiters: 4, private: 128, raw: '', atomic: true },
  };
  return snapshot({
    sems: [
      semSet(1, 11, elems(4, LIVE)),
      pgSet(2, 0x52e2c101, DEAD),
      pgSet(3, 0x52e2c102, DEAD),
      semSet(4, 14, stuck),
      semSet(5, 15, undefined),
    ],
    shms: [shm(10, 21, DEAD, { segsz: 1 << 20 }), shm(11, 22, LIVE, { segsz: 4096, nattch: 1 })],
    msgs: [msg(20, 31, LIVE, LIVE, { qnum: 3, cbytes: 300 })],
    posixSems: [posix],
    usage: { semSets: 5, semTotal: 4 + 17 + 17 + 3 + 3, shmSegments: 2, shmPages: 257, shmRssPages: 3, msgQueues: 1, msgMessages: 3, msgBytes: 300 },
    processes: procs(proc(LIVE, true), proc(DEAD, false), proc(DEAD2, false)),
  });
}

function metricsOf(snap: IpcSnapshot, opts: Parameters<typeof snapshotMetrics>[1] = {}): MetricFamily[] {
  const verdicts = assessSnapshot(snap, verdictOptions(), NOW);
  return snapshotMetrics({ scope: { host: 'db1' }, snapshot: snap, verdicts, durationSeconds: 0.25 }, { now: NOW, ...opts });
}

/** The value of the one sample of `name` whose labels include `labels`; throws when not exactly one. */
function value(fams: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const fam = fams.find((f) => f.name === name);
  assert.ok(fam, `no family ${name}`);
  const hits = fam.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(hits.length, 1, `${name}${JSON.stringify(labels)}: ${hits.length} samples`);
  return hits[0].value;
}

test('limits and their use, split by unit; SHMALL in bytes, SEMMNS from the kernel count', () => {
  const f = metricsOf(fleetHost());
  assert.equal(value(f, 'ipc_limit', { resource: 'SEMMNS' }), 32000);
  assert.equal(value(f, 'ipc_used', { resource: 'SEMMNS' }), 44);
  assert.equal(value(f, 'ipc_used', { resource: 'SEMMNI' }), 5);
  assert.equal(value(f, 'ipc_limit_bytes', { resource: 'SHMALL' }), 2 ** 30 * 4096);
  assert.equal(value(f, 'ipc_used_bytes', { resource: 'SHMALL' }), 257 * 4096);
  assert.equal(value(f, 'ipc_used_bytes', { resource: 'SHMMAX' }), 1 << 20);
  // a limit without a use (SEMOPM) has a limit series and no use series
  assert.equal(value(f, 'ipc_limit', { resource: 'SEMOPM' }), 32);
  assert.equal(f.find((x) => x.name === 'ipc_used')!.samples.some((s) => s.labels['resource'] === 'SEMOPM'), false);
  // no count metric carries a byte resource and vice versa
  for (const s of f.find((x) => x.name === 'ipc_limit')!.samples) assert.ok(!['SHMALL', 'SHMMAX', 'MSGMNB', 'MSGMAX', 'SHMMIN'].includes(s.labels['resource']));
});

test('objects by kind and state, every combination present; orphans by kind, owner, uid and recyclability', () => {
  const f = metricsOf(fleetHost());
  assert.equal(f.find((x) => x.name === 'ipc_objects')!.samples.length, 5 * 4);
  assert.equal(value(f, 'ipc_objects', { kind: 'sem', state: 'orphan' }), 2);
  assert.equal(value(f, 'ipc_objects', { kind: 'sem', state: 'live' }), 2); // the app's set and the one with waiters
  assert.equal(value(f, 'ipc_objects', { kind: 'sem', state: 'unknown' }), 1); // no detail: waiters unknown
  assert.equal(value(f, 'ipc_objects', { kind: 'shm', state: 'orphan' }), 1);
  assert.equal(value(f, 'ipc_objects', { kind: 'shm', state: 'live' }), 1);
  assert.equal(value(f, 'ipc_objects', { kind: 'msg', state: 'orphan' }), 0);
  assert.equal(value(f, 'ipc_orphans', { kind: 'sem', owner: 'postgresql', recyclable: 'true' }), 2);
  // only combinations that occur have an orphan series
  assert.equal(f.find((x) => x.name === 'ipc_orphans')!.samples.some((s) => s.labels['kind'] === 'sem' && s.labels['owner'] === 'unrecognized'), false);
  assert.equal(value(f, 'ipc_orphans', { kind: 'shm', owner: 'unrecognized', uid: '0', recyclable: 'true' }), 1);
  assert.equal(value(f, 'ipc_orphan_oldest_age_seconds', { kind: 'shm' }), 7200);
  assert.equal(value(f, 'ipc_sem_semaphores', { state: 'orphan' }), 17 + 17);
  assert.equal(value(f, 'ipc_sem_semaphores', { state: 'live' }), 4 + 3);
  assert.equal(value(f, 'ipc_shm_size_bytes', { state: 'orphan' }), 1 << 20);
  assert.equal(value(f, 'ipc_shm_size_bytes', { state: 'live' }), 4096);
});

test('a set with waiters: waiters summed, the set classified by its last-op pids (cannot see is not dead)', () => {
  const snap = fleetHost();
  const f = metricsOf(snap);
  assert.equal(value(f, 'ipc_sem_waiters'), 3);
  assert.equal(value(f, 'ipc_sem_sets_detail_missing'), 1);
  // the waiters make the set live; its only last-op pid is dead: nobody recorded may ever post
  assert.equal(value(f, 'ipc_sem_sets_with_waiters', { last_op_pid: 'dead' }), 1);
  assert.equal(value(f, 'ipc_sem_sets_with_waiters', { last_op_pid: 'alive' }), 0);
  const set = snap.sems[3];
  assert.equal(lastOpLiveness(set, { ...snap, processes: procs(proc(DEAD2, false, { liveness: 'unknown', alive: false })) }), 'unknown');
  assert.equal(lastOpLiveness(set, { ...snap, processes: {} }), 'unknown');
  assert.equal(lastOpLiveness({ ...set, elems: elems(3, 0) }, snap), 'unknown');
  assert.equal(lastOpLiveness({ ...set, elems: [...elems(2, DEAD2), ...elems(1, LIVE)] }, snap), 'alive');
});

test('queues, POSIX objects, shm resident bytes, /dev/shm statfs when given and absent when not', () => {
  const snap = fleetHost();
  const verdicts = assessSnapshot(snap, verdictOptions(), NOW);
  const devShm = { path: '/dev/shm', size: 64 << 20, used: (64 << 20) - (1 << 20), avail: 1 << 20, files: 1000, filesFree: 990, fsType: 'tmpfs' };
  const f = snapshotMetrics({ scope: { host: 'db1' }, snapshot: { ...snap, devShm }, verdicts, durationSeconds: 0.25 }, { now: NOW });
  assert.equal(value(f, 'ipc_msg_queued_messages'), 3);
  assert.equal(value(f, 'ipc_msg_queued_bytes'), 300);
  assert.equal(value(f, 'ipc_posix_size_bytes', { kind: 'posixSem' }), 32);
  assert.equal(value(f, 'ipc_posix_sem_waiters'), 4);
  assert.equal(value(f, 'ipc_shm_resident_bytes'), 3 * 4096);
  assert.equal(value(f, 'ipc_devshm_size_bytes'), 64 << 20);
  assert.equal(value(f, 'ipc_devshm_free_bytes'), 1 << 20);
  assert.equal(value(f, 'ipc_devshm_avail_bytes'), 1 << 20);
  assert.equal(value(f, 'ipc_devshm_files_free'), 990);
  assert.equal(metricsOf(snap).some((x) => x.name.startsWith('ipc_devshm_')), false);
  assert.equal(value(f, 'ipc_snapshot_duration_seconds'), 0.25);
  assert.equal(value(f, 'ipc_snapshot_timestamp_seconds'), NOW);
});

test('unreadable objects by kind and code, sets without detail apart, warnings, and the info series', () => {
  const snap = fleetHost();
  snap.errors.push({ kind: 'shm', id: 99, error: { code: 'EACCES', message: 'no' } }, { kind: 'shm', id: 98, error: { code: 'EACCES', message: 'no' } });
  // as withDetail leaves a set whose GETALL failed: no values, no elems, the error
  snap.sems[0] = { ...snap.sems[0], values: undefined, elems: undefined, valuesError: { code: 'EACCES', message: 'no' } };
  snap.warnings.push('native binding not loaded');
  snap.kernel = '6.1.0';
  const f = metricsOf(snap);
  assert.equal(value(f, 'ipc_snapshot_object_errors', { kind: 'shm', code: 'EACCES' }), 2);
  // a set whose values could not be read is counted as missing detail, not as an unreadable object
  assert.equal(f.find((x) => x.name === 'ipc_snapshot_object_errors')!.samples.some((x) => x.labels['kind'] === 'sem'), false);
  assert.equal(value(f, 'ipc_sem_sets_detail_missing'), 1 + 1);
  assert.equal(value(f, 'ipc_snapshot_warnings'), 1);
  assert.equal(value(f, 'ipc_snapshot_info', { kernel: '6.1.0', platform: 'linux', ipc_namespace: 'ipc:[1]' }), 1);
  // a clean snapshot still has the error series (value 0), so "errors > 0" alerts never see an absent series
  assert.equal(value(metricsOf(fleetHost()), 'ipc_snapshot_object_errors'), 0);
});

test('scope labels on every series: host always, namespace and container only when given', () => {
  const snap = fleetHost();
  const verdicts = assessSnapshot(snap, verdictOptions(), NOW);
  const plain = snapshotMetrics({ scope: { host: 'db1' }, snapshot: snap, verdicts, durationSeconds: 0 });
  for (const fam of plain) for (const s of fam.samples) {
    assert.equal(s.labels['host'], 'db1');
    assert.equal('namespace' in s.labels || 'container' in s.labels, false);
  }
  const scoped = snapshotMetrics({ scope: { host: 'node7', namespace: 'ipc:[4026532301]', container: 'pg-1' }, snapshot: snap, verdicts, durationSeconds: 0 });
  for (const fam of scoped) for (const s of fam.samples) assert.deepEqual([s.labels['host'], s.labels['namespace'], s.labels['container']], ['node7', 'ipc:[4026532301]', 'pg-1']);
});

test('per-object series only when asked, capped: orphans first, the dropped ones counted per kind', () => {
  const snap = fleetHost();
  assert.equal(metricsOf(snap).some((x) => x.name.startsWith('ipc_object_') || x.name.startsWith('ipc_per_object')), false);
  const all = metricsOf(snap, { perObject: true });
  assert.equal(all.find((x) => x.name === 'ipc_object_info')!.samples.length, 9);
  assert.equal(value(all, 'ipc_object_size_bytes', { kind: 'shm', id: '10' }), 1 << 20);
  assert.equal(value(all, 'ipc_object_attachments', { kind: 'shm', id: '11' }), 1);
  assert.equal(value(all, 'ipc_object_semaphores', { kind: 'sem', id: '2' }), 17);
  assert.equal(value(all, 'ipc_object_waiters', { kind: 'sem', id: '4' }), 3);
  assert.equal(value(all, 'ipc_object_messages', { kind: 'msg', id: '20' }), 3);
  assert.equal(value(all, 'ipc_object_info', { kind: 'sem', id: '2', key: '0x52e2c101', owner: 'postgresql', state: 'orphan', recyclable: 'true' }), 1);
  assert.equal(value(all, 'ipc_object_info', { kind: 'posixSem', id: '/orders' }), 1);
  assert.equal(value(all, 'ipc_object_orphan_age_seconds', { kind: 'shm', id: '10' }), 7200);
  for (const k of ['sem', 'shm', 'msg', 'posixSem', 'posixShm']) assert.equal(value(all, 'ipc_per_object_dropped', { kind: k }), 0);

  const capped = metricsOf(snap, { perObject: true, maxObjects: 3 });
  const kept = capped.find((x) => x.name === 'ipc_object_info')!.samples;
  assert.equal(kept.length, 3);
  assert.ok(kept.every((s) => s.labels['state'] === 'orphan'), 'orphans come first');
  assert.equal(value(capped, 'ipc_per_object_limit'), 3);
  const dropped = capped.find((x) => x.name === 'ipc_per_object_dropped')!.samples.reduce((a, s) => a + s.value, 0);
  assert.equal(dropped, 9 - 3);
  assert.equal(value(capped, 'ipc_per_object_dropped', { kind: 'posixSem' }), 1);
  assert.equal(value(capped, 'ipc_per_object_dropped', { kind: 'msg' }), 1);
});

test('a failed host: success 0, the duration and the error code; merged with a good host under one family each', async () => {
  const bad = failureMetrics({ host: 'db2' }, { code: 'ETIMEDOUT', syscall: 'ssh', message: 'timed out' }, 10);
  assert.equal(value(bad, 'ipc_probe_success'), 0);
  assert.equal(value(bad, 'ipc_probe_error_info', { code: 'ETIMEDOUT', syscall: 'ssh' }), 1);
  const merged = mergeFamilies([metricsOf(fleetHost()), bad]);
  assert.equal(merged.filter((f) => f.name === 'ipc_probe_success').length, 1);
  assert.equal(value(merged, 'ipc_probe_success', { host: 'db1' }), 1);
  assert.equal(value(merged, 'ipc_probe_success', { host: 'db2' }), 0);
  const text = await exposition(merged);
  assert.match(text, /^ipc_probe_success\{host="db2"\} 0$/m);
  assert.match(text, /^ipc_probe_error_info\{host="db2",code="ETIMEDOUT",syscall="ssh"\} 1$/m);
});

test('prom-client writes the figures put in, escapes hostile label values, and ends OpenMetrics with # EOF', async () => {
  const snap = fleetHost();
  snap.posixSems[0].name = '/a"b\\c\nd';
  const f = metricsOf(snap, { perObject: true });
  const text = await exposition(f);
  assert.match(text, /^ipc_used\{host="db1",resource="SEMMNS"\} 44$/m);
  assert.match(text, /^# TYPE ipc_objects gauge$/m);
  assert.ok(text.includes('id="/a\\"b\\\\c\\nd"'), 'quote, backslash and newline escaped');
  assert.equal(text.split('\n').filter((l) => l.startsWith('ipc_object_info{')).length, 9);
  const om = await exposition(f, 'openmetrics');
  assert.ok(om.endsWith('# EOF\n'));
  // every sample of every family is in the registry
  const json = await registryOf(f).getMetricsAsJSON();
  assert.equal(json.reduce((a, m) => a + m.values.length, 0), f.reduce((a, x) => a + x.samples.length, 0));
});

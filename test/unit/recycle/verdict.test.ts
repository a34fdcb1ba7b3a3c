import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessSnapshot, objectRef, parseObjectRule, ruleMatches, verdictOptions } from '../../../extension/domain/verdict';
import { formatDuration } from '../../../extension/shared/format';
import type { Verdict } from '../../../extension/shared/model';
import { NOW, elems, msg, pgHeader, pgSet, proc, procs, semSet, shm, snapshot } from './fixtures';

const opts = verdictOptions({ minOrphanAgeSeconds: 60, recentActivitySeconds: 10 });

function one(s: ReturnType<typeof snapshot>, ref: string, o = opts): Verdict {
  const v = assessSnapshot(s, o, NOW).get(ref);
  assert.ok(v, `verdict for ${ref}`);
  return v;
}

test('objectRef names every kind', () => {
  assert.equal(objectRef(semSet(7, 1, undefined)), 'sem:7');
  assert.equal(objectRef(shm(3, 1, 1)), 'shm:3');
  assert.equal(objectRef(msg(4, 1, 1, 1)), 'msg:4');
  assert.equal(objectRef({ kind: 'posixSem', name: '/orders', path: '/dev/shm/sem.orders', uid: 0, gid: 0, mode: 0o644, size: 32, mtime: 0, dev: 1, ino: 2 }), 'posixSem:/orders');
});

test('a dead PostgreSQL set is a recyclable orphan with its age and owner', () => {
  const s = snapshot({ sems: [pgSet(1, 5432001, 21599)], processes: procs(proc(21599, false)) });
  const v = one(s, 'sem:1');
  assert.equal(v.state, 'orphan');
  assert.equal(v.recyclable, true);
  assert.equal(v.orphanForSeconds, 3600);
  assert.equal(v.owner?.app, 'postgresql');
  assert.equal(v.owner?.label, 'PostgreSQL, semaphore set, postmaster PID 21599 (dead)');
  assert.ok(v.reasons.some((r) => r.includes('no activity for 1h')));
  assert.ok(v.reasons.some((r) => r === 'last-op pid 21599 is dead'));
});

test('read from /proc/sysvipc (no binding, or System V calls refused): the same orphan, but nothing is recyclable there', () => {
  const s = { ...snapshot({ sems: [pgSet(1, 5432001, 21599)], processes: procs(proc(21599, false)) }), source: 'proc' as const };
  const v = one(s, 'sem:1');
  assert.equal(v.state, 'orphan');
  assert.equal(v.recyclable, false);
  assert.ok(v.reasons.includes('not recyclable: read from /proc/sysvipc (no native binding, or System V calls refused to this process), which removes nothing'), v.reasons.join('; '));
  assert.equal(v.becomesRecyclableIn, undefined, 'waiting changes nothing');
});

test('a live postmaster keeps its set live', () => {
  const s = snapshot({ sems: [pgSet(1, 5432001, 100)], processes: procs(proc(100, true, { comm: 'postgres' })) });
  const v = one(s, 'sem:1');
  assert.equal(v.state, 'live');
  assert.equal(v.recyclable, false);
  assert.match(v.owner!.label, /postmaster PID 100 \(alive, postgres\)/);
});

test('pid reuse: a pid alive but started after the last change is not the creator, and the reason says so', () => {
  const set = pgSet(1, 5432001, 100, NOW - 3600);
  const reused = proc(100, true, { comm: 'bash', startTime: NOW - 60 });
  const v = one(snapshot({ sems: [set], processes: procs(reused) }), 'sem:1');
  assert.equal(v.state, 'orphan');
  assert.equal(v.recyclable, true);
  assert.ok(v.reasons.some((r) => r.includes('pid 100 is alive (bash)') && r.includes('pid reuse')), v.reasons.join('|'));
  // started within the 2 s slack of the last change: cannot tell, so it counts as alive
  const close = proc(100, true, { startTime: NOW - 3600 + 1 });
  assert.equal(one(snapshot({ sems: [set], processes: procs(close) }), 'sem:1').state, 'live');
  // no start time known: alive
  assert.equal(one(snapshot({ sems: [set], processes: procs(proc(100, true, { startTime: undefined })) }), 'sem:1').state, 'live');
});

test('waiters make a set live even when every pid is dead', () => {
  const e = elems(3, 9, [{ ncount: 1 }, {}, { zcount: 2 }]);
  const v = one(snapshot({ sems: [semSet(2, 0, e)], processes: procs(proc(9, false)) }), 'sem:2');
  assert.equal(v.state, 'live');
  assert.match(v.reasons[0], /^3 process\(es\) waiting on semaphore\(s\) 0, 2$/);
});

test('without per-semaphore detail, waiters are unknown: doubt, not orphan', () => {
  const v = one(snapshot({ sems: [semSet(2, 0, undefined)] }), 'sem:2');
  assert.equal(v.state, 'unknown');
  assert.match(v.reasons[0], /waiters and last-op pids unknown/);
});

test('EACCES on the values: unreadable', () => {
  const s = semSet(2, 0, undefined, NOW - 3600, { valuesError: { code: 'EACCES', syscall: 'semctl', op: 'GETALL', message: 'denied' } });
  const v = one(snapshot({ sems: [s], uid: 1000 }), 'sem:2');
  assert.equal(v.state, 'unreadable');
  assert.match(v.reasons[0], /semctl\(GETALL\): EACCES\) as uid 1000/);
});

test('a set nobody ever operated on and no owner claims is unknown, not orphan', () => {
  const v = one(snapshot({ sems: [semSet(3, 0, elems(4, 0))] }), 'sem:3');
  assert.equal(v.state, 'unknown');
  assert.match(v.reasons[0], /no creator pid/);
});

test('an unrecognised set with dead pids is an orphan, recyclable only when settings allow', () => {
  const s = snapshot({ sems: [semSet(3, 0x1234, elems(3, 50))], processes: procs(proc(50, false)) });
  const v = one(s, 'sem:3');
  assert.equal(v.state, 'orphan');
  assert.equal(v.recyclable, false);
  assert.ok(v.reasons.some((r) => r.startsWith('not recyclable: no recognised owner')));
  assert.equal(one(s, 'sem:3', verdictOptions({ ...opts, recycleUnrecognized: true })).recyclable, true);
  assert.equal(one(s, 'sem:3', verdictOptions({ ...opts, trust: [{ key: 0x1234 }] })).recyclable, true);
  const ign = one(s, 'sem:3', verdictOptions({ ...opts, recycleUnrecognized: true, ignore: [{ kind: 'sem', keyMin: 0x1000, keyMax: 0x2000, note: 'batch jobs' }] }));
  assert.equal(ign.recyclable, false);
  assert.ok(ign.reasons.includes('not recyclable: matches an ignore rule (batch jobs)'));
});

test('a pid we have no facts about is doubt', () => {
  const v = one(snapshot({ sems: [pgSet(1, 5432001, 77)] }), 'sem:1');
  assert.equal(v.state, 'unknown');
  assert.ok(v.reasons.some((r) => r.includes('pid 77: no facts about this pid')));
});

test('a pid alive in another IPC namespace is doubt', () => {
  const v = one(snapshot({ sems: [pgSet(1, 5432001, 77)], processes: procs(proc(77, true, { ipcNs: 'ipc:[2]' })) }), 'sem:1');
  assert.equal(v.state, 'unknown');
  assert.ok(v.reasons.some((r) => r.includes('alive in another IPC namespace (ipc:[2])')));
});

test('recent activity keeps an unproven object out of orphan; young orphans wait, and say how long', () => {
  // a segment with a dead creator but no header evidence: nothing proves whose it is the way its owner would
  const t = (dt: number) => ({ atime: NOW - dt, dtime: NOW - dt, ctime: NOW - dt });
  const recent = snapshot({ shms: [shm(1, 77, 5, t(3))], processes: procs(proc(5, false)) });
  const v = one(recent, 'shm:1');
  assert.equal(v.state, 'unknown');
  assert.match(v.reasons[0], /last activity 3s ago/);
  assert.equal(v.becomesRecyclableIn, 57, 'recency, then the minimum age');
  const young = snapshot({ shms: [shm(1, 77, 5, t(30))], processes: procs(proc(5, false)) });
  const y = one(young, 'shm:1');
  assert.equal(y.state, 'orphan');
  assert.equal(y.recyclable, false);
  assert.ok(y.reasons.some((r) => /less than minOrphanAgeSeconds = 60 s/.test(r)));
  assert.equal(y.becomesRecyclableIn, 30);
  // something other than time keeps it: no countdown
  const unrecognised = snapshot({ sems: [semSet(2, 9, elems(3, 5), NOW - 30)], processes: procs(proc(5, false)) });
  assert.equal(one(unrecognised, 'sem:2').becomesRecyclableIn, undefined);
  assert.equal(one(snapshot({ shms: [shm(1, 77, 5, t(3))], processes: procs(proc(5, true)) }), 'shm:1').becomesRecyclableIn, undefined);
});

test('a PostgreSQL set proven the way PostgreSQL proves it (537 + dead postmaster) needs no waiting', () => {
  const fresh = snapshot({ sems: [pgSet(1, 5432001, 5, NOW - 3)], processes: procs(proc(5, false)) });
  const v = one(fresh, 'sem:1');
  assert.equal(v.state, 'orphan');
  assert.equal(v.recyclable, true, v.reasons.join('|'));
  assert.equal(v.becomesRecyclableIn, undefined);
  assert.match(v.owner!.proof!, /sysv_sema\.c IpcSemaphoreCreate\): semnum 16 = 537 and its creating postmaster 5 is dead/);
  assert.ok(v.reasons.some((r) => r.startsWith('proven the way PostgreSQL proves it, so no waiting')));
  // a reused pid (started after the set's last change) is a dead postmaster too
  const reused = snapshot({ sems: [pgSet(1, 5432001, 5, NOW - 8)], processes: procs(proc(5, true, { startTime: NOW - 1 })) });
  assert.equal(one(reused, 'sem:1').recyclable, true);
  // not proven: the postmaster alive, no facts about it, a waiter, another last-op pid alive
  assert.equal(one(snapshot({ sems: [pgSet(1, 5432001, 5, NOW - 3)], processes: procs(proc(5, true)) }), 'sem:1').state, 'live');
  const noFacts = one(snapshot({ sems: [pgSet(1, 5432001, 5, NOW - 3)] }), 'sem:1');
  assert.equal(noFacts.recyclable, false);
  assert.equal(noFacts.owner?.proof, undefined);
  const waiter = pgSet(1, 5432001, 5, NOW - 3);
  waiter.elems![3] = { ...waiter.elems![3], ncount: 1 };
  assert.equal(one(snapshot({ sems: [waiter], processes: procs(proc(5, false)) }), 'sem:1').state, 'live');
  const backend = pgSet(1, 5432001, 5, NOW - 3);
  backend.elems![2] = { ...backend.elems![2], pid: 6 };
  assert.equal(one(snapshot({ sems: [backend], processes: procs(proc(5, false), proc(6, true)) }), 'sem:1').state, 'live');
});

test('a PostgreSQL interlock segment proven the way PostgreSQL proves it needs no waiting; anything unproven waits', () => {
  const seg = shm(9, 0x52e2c1, 700, { atime: NOW - 2, dtime: NOW - 2, ctime: NOW - 100 });
  const dir = { path: '/pg/data', dev: 2049, ino: 5431000, source: 'user' as const, postmasterPid: 700, shmKey: 0x52e2c1, shmId: 9 };
  const evidence = { shmHeaders: { 9: pgHeader(700, 2049n, 5431000n) }, dataDirs: [dir] };
  const o = verdictOptions({ evidence });
  const dead = snapshot({ shms: [seg], processes: procs(proc(700, false)) });
  const v = one(dead, 'shm:9', o);
  assert.equal(v.state, 'orphan');
  assert.equal(v.recyclable, true, v.reasons.join('|'));
  assert.match(v.owner!.proof!, /PGSharedMemoryAttach\): header magic, device and inode of \/pg\/data, nattch 0; creatorPID 700 is dead; postmaster.pid names postmaster 700, which is dead/);
  // no known data directory: identity not proven as PostgreSQL proves it -> the waiting rules apply
  const noDir = one(dead, 'shm:9', verdictOptions({ evidence: { shmHeaders: evidence.shmHeaders } }));
  assert.equal(noDir.recyclable, false);
  assert.equal(noDir.becomesRecyclableIn, 58);
  assert.ok(noDir.owner!.evidence.some((e) => e.includes('--data-dir')));
  // postmaster.pid names another, live postmaster: not proven
  const other = verdictOptions({ evidence: { ...evidence, dataDirs: [{ ...dir, postmasterPid: 800 }] } });
  const vo = one(snapshot({ shms: [seg], processes: procs(proc(700, false), proc(800, true)) }), 'shm:9', other);
  assert.equal(vo.owner?.proof, undefined);
  assert.equal(vo.recyclable, false);
  // attached: live
  assert.equal(one(snapshot({ shms: [{ ...seg, nattch: 1 }], processes: procs(proc(700, false)) }), 'shm:9', o).state, 'live');
});

test('shm: attached is live; dead creator and nothing attached is a recyclable orphan', () => {
  const s = snapshot({
    shms: [shm(1, 11, 40, { nattch: 2 }), shm(2, 12, 41), shm(3, 13, 42, { lpid: 43 })],
    processes: procs(proc(40, false), proc(41, false), proc(42, false), proc(43, true)),
  });
  const vs = assessSnapshot(s, opts, NOW);
  assert.equal(vs.get('shm:1')!.state, 'live');
  assert.match(vs.get('shm:1')!.reasons[0], /nattch 2/);
  assert.equal(vs.get('shm:2')!.state, 'orphan');
  assert.equal(vs.get('shm:2')!.recyclable, true);
  assert.equal(vs.get('shm:3')!.state, 'live', 'a live last attacher keeps it live');
});

test('shm: our own header peek is not activity (pre-peek fields from evidence)', () => {
  const peeked = shm(2, 12, 41, { lpid: 999, atime: NOW - 1, dtime: NOW - 1 });
  const s = snapshot({ shms: [peeked], processes: procs(proc(41, false), proc(999, true)) });
  const o = verdictOptions({ ...opts, ownPids: [999], evidence: { shmBefore: { 2: { ctime: peeked.ctime, atime: NOW - 7200, dtime: NOW - 7200, lpid: 41 } } } });
  const v = one(s, 'shm:2', o);
  assert.equal(v.state, 'orphan');
  assert.equal(v.orphanForSeconds, 7200);
  // without that evidence the same segment is not called an orphan
  assert.notEqual(one(s, 'shm:2').state, 'orphan');
});

test('msg: a live sender keeps it live; no pids is unknown; dead pids orphan (kept unless allowed)', () => {
  const s = snapshot({
    msgs: [msg(1, 1, 10, 0), msg(2, 2, 0, 0), msg(3, 3, 11, 12, { qnum: 2, cbytes: 20 })],
    processes: procs(proc(10, true), proc(11, false), proc(12, false)),
  });
  const vs = assessSnapshot(s, opts, NOW);
  assert.equal(vs.get('msg:1')!.state, 'live');
  assert.equal(vs.get('msg:2')!.state, 'unknown');
  assert.equal(vs.get('msg:3')!.state, 'orphan');
  assert.equal(vs.get('msg:3')!.recyclable, false);
  assert.ok(vs.get('msg:3')!.reasons.some((r) => r.includes('holds 2 message(s), 20 bytes')));
});

test('POSIX objects: mapped is live, otherwise unknown and never recyclable', () => {
  const base = { path: '/dev/shm/x', uid: 0, gid: 0, mode: 0o644, size: 32, mtime: NOW - 9999, dev: 1, ino: 2 };
  const s = snapshot({
    posixShms: [{ kind: 'posixShm', name: '/a', ...base, attachers: [5] }, { kind: 'posixShm', name: '/b', ...base, attachers: [] }],
  });
  const vs = assessSnapshot(s, opts, NOW);
  assert.equal(vs.get('posixShm:/a')!.state, 'live');
  assert.equal(vs.get('posixShm:/b')!.state, 'unknown');
  assert.equal(vs.get('posixShm:/b')!.recyclable, false);
});

test('kinds setting limits what is recyclable', () => {
  const s = snapshot({ shms: [shm(2, 12, 41)], processes: procs(proc(41, false)) });
  const v = one(s, 'shm:2', verdictOptions({ ...opts, kinds: ['sem'] }));
  assert.equal(v.state, 'orphan');
  assert.equal(v.recyclable, false);
});

test('ruleMatches compares keys as unsigned 32-bit and by app', () => {
  const s = semSet(1, -1, undefined); // 0xffffffff
  assert.equal(ruleMatches({ keyMin: 0xfffffff0, keyMax: 0xffffffff }, s), true);
  assert.equal(ruleMatches({ key: 0xffffffff }, s), true);
  assert.equal(ruleMatches({ app: 'postgresql' }, s), false);
  assert.equal(ruleMatches({ app: 'postgresql' }, s, { app: 'postgresql', label: '', evidence: [] }), true);
});

test('durations in reasons use the one duration format (shared/format.ts formatDuration)', () => {
  assert.equal(formatDuration(45), '45s');
  assert.equal(formatDuration(600), '10m');
  assert.equal(formatDuration(3 * 3600 + 125), '3h 2m');
  assert.equal(formatDuration(3 * 86400), '3d');
});

test('settings rules are validated field by field', () => {
  assert.deepEqual(parseObjectRule({ kind: 'sem', keyMin: '0x52e2c100', keyMax: 1393737215, uid: 70, app: 'postgresql', note: 'pg' }), {
    kind: 'sem', keyMin: 0x52e2c100, keyMax: 1393737215, uid: 70, app: 'postgresql', note: 'pg',
  });
  assert.equal(parseObjectRule({ kind: 'nope' }), undefined);
  assert.equal(parseObjectRule({ key: 'abc' }), undefined);
  assert.equal(parseObjectRule({ uid: -1 }), undefined);
  assert.equal(parseObjectRule({ note: 'only a note matches everything: refused' }), undefined);
  assert.equal(parseObjectRule('0x1234'), undefined);
  assert.equal(parseObjectRule(null), undefined);
});

test('a pid field no kernel writes (negative, a fraction, not a number) is doubt, never evidence: the orphan is kept', () => {
  const all = verdictOptions({ ...opts, recycleUnrecognized: true, kinds: ['sem', 'shm', 'msg'] });
  // each object alone is a recyclable orphan: every pid it records is dead
  const base = () => snapshot({
    sems: [semSet(3, 0x1234, elems(3, 50))],
    shms: [shm(2, 12, 41, { lpid: 41, atime: NOW - 7200 })],
    msgs: [msg(4, 4, 11, 12)],
    processes: procs(proc(50, false), proc(41, false), proc(11, false), proc(12, false)),
  });
  for (const ref of ['sem:3', 'shm:2', 'msg:4']) assert.equal(one(base(), ref, all).recyclable, true, `${ref} is the recyclable baseline`);
  const damage: Array<[string, string, (s: ReturnType<typeof snapshot>, bad: number) => void]> = [
    ['sem:3', 'semaphore 1 last-op', (s, bad) => { s.sems[0]!.elems![1]!.pid = bad; }],
    ['shm:2', 'creator', (s, bad) => { s.shms[0]!.cpid = bad; }],
    ['shm:2', 'last attach/detach', (s, bad) => { s.shms[0]!.lpid = bad; }],
    ['msg:4', 'last sender', (s, bad) => { s.msgs[0]!.lspid = bad; }],
    ['msg:4', 'last receiver', (s, bad) => { s.msgs[0]!.lrpid = bad; }],
  ];
  for (const [ref, role, set] of damage) {
    for (const bad of [-1, -(2 ** 31), 1.5, NaN, Infinity, 2 ** 53]) {
      const s = base();
      set(s, bad);
      const v = one(s, ref, all);
      assert.notEqual(v.state, 'orphan', `${ref} ${role} pid ${bad}`);
      assert.equal(v.recyclable, false, `${ref} ${role} pid ${bad}`);
      assert.ok(v.reasons.some((r) => r.includes(`${role} pid ${bad} is not a pid`)), `${ref} ${role} pid ${bad}: ${v.reasons.join('; ')}`);
    }
  }
});

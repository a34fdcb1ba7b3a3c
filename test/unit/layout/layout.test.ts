/**
 * Pure dashboard layout (webview/layout): data in, positions and text out, no DOM. Verdicts come from the
 * real domain code (extension/domain/verdict.ts) on the seed scenario's snapshot.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { SemSet, Verdict } from '../../../extension/shared/model';
import type { CapacityRow } from '../../../extension/shared/limitDescriptors';
import { capacityBars, formatPct, fullLines, levelOf, orphanSummary, orphanUsage } from '../../../webview/layout/capacity';
import { capacityRowsFor } from '../../../extension/domain/capacityRows';
import { compileFilter, parseFilter, parseKeyRange } from '../../../webview/layout/filter';
import { diffRefs, layoutMsg, layoutPids, layoutShm } from '../../../webview/layout/others';
import { keyHex, refOf, verdictMap } from '../../../webview/layout/refs';
import { layoutSemSets } from '../../../webview/layout/semSets';
import { DEAD_POSTMASTER, LIVE_APP, seedSnapshot } from '../../webview/fixtures';

function seed(opts = {}) {
  const snapshot = seedSnapshot(opts);
  const verdicts = assessSnapshot(snapshot, verdictOptions(), snapshot.takenAt / 1000);
  return { snapshot, verdicts };
}

test('refs and keys', () => {
  const { snapshot } = seed();
  assert.equal(refOf(snapshot.sems[3]!), 'sem:3');
  assert.equal(keyHex(5432001), '0x0052e2c1');
  assert.equal(keyHex(-1), '0xffffffff');
  assert.equal(keyHex(0), 'IPC_PRIVATE');
});

test('capacity rows from domain/capacity: SEMMNS full, SHMALL in bytes, sysctl names', () => {
  const { snapshot } = seed();
  const rows = capacityRowsFor(snapshot);
  const by = new Map(rows.map((r) => [r.name, r]));
  assert.deepEqual(rows.map((r) => r.name), ['SEMMNI', 'SEMMNS', 'SEMMSL', 'SEMOPM', 'SEMVMX', 'SHMMNI', 'SHMALL', 'SHMMAX', 'MSGMNI', 'MSGMNB', 'MQ_QUEUES_MAX']);
  assert.equal(by.get('SEMMNS')!.used, 340);
  assert.equal(by.get('SEMMNS')!.limit, 340);
  assert.equal(by.get('SEMMNS')!.percent, 100);
  assert.match(by.get('SEMMNS')!.raiseBy!.linux!, /kernel\.sem/);
  assert.match(by.get('SEMMNS')!.raiseBy!.bsd!, /kern\.ipc\.semmns/);
  assert.equal(by.get('SHMALL')!.unit, 'bytes');
  assert.equal(by.get('SHMALL')!.limit, 65536 * 4096);
  assert.equal(by.get('SHMALL')!.used, (1 + 16384) * 4096);
  assert.equal(by.get('SEMMSL')!.used, 51);
  assert.equal(by.get('SEMMSL')!.basis, 'largest set: id 14');
  assert.equal(by.get('SEMOPM')!.used, null);
  assert.equal(by.get('SEMOPM')!.percent, null);
});

test('capacity bars: thresholds, orphan share, tooltip with how to raise the limit', () => {
  assert.equal(levelOf(10, false), 'ok');
  assert.equal(levelOf(79.9, false), 'ok');
  assert.equal(levelOf(80, false), 'warn', 'the tree warns from the same 80 %');
  assert.equal(levelOf(90, false), 'critical');
  assert.equal(levelOf(100, false), 'full');
  assert.equal(levelOf(120, false), 'full');
  assert.equal(levelOf(null, false), 'unlimited');
  const { snapshot, verdicts } = seed();
  const bars = capacityBars(capacityRowsFor(snapshot), orphanUsage(snapshot, verdicts));
  const semmns = bars.find((b) => b.name === 'semmns')!;
  assert.equal(semmns.level, 'full');
  assert.equal(semmns.usedFrac, 1);
  assert.equal(semmns.orphanFrac, 238 / 340);
  assert.equal(semmns.orphanStartFrac, 1 - 238 / 340);
  assert.equal(semmns.valueText, '340 / 340');
  assert.equal(semmns.pctText, '100 %');
  assert.equal(semmns.orphanText, 'orphans hold 238 (70 % of used)');
  assert.match(semmns.tooltip, /^SEMMNS: Total number of semaphores\n.*ENOSPC/);
  assert.match(semmns.tooltip, /To raise it: Linux: sysctl -w kernel\.sem="\d+ \d+ \d+ \d+".*; BSD: kern\.ipc\.semmns/);
  const semopm = bars.find((b) => b.name === 'semopm')!;
  assert.equal(semopm.level, 'none');
  assert.equal(semopm.pctText, 'no usage to compare');
  assert.equal(semopm.usedFrac, 0);
});

test('capacity headline: a full pool is ENOSPC; a per-object maximum reached is said apart, with what it refuses', () => {
  const { snapshot, verdicts } = seed();
  // the seed: SEMMNS 340 / 340, and one segment made exactly SHMMAX and one queue filled to MSGMNB
  const seg = { ...snapshot.shms[1]!, id: 9, segsz: snapshot.limits.shmmax! };
  const q = { kind: 'msg' as const, id: 4, key: 1, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, cbytes: 16384, qnum: 16, qbytes: 16384, lspid: 0, lrpid: 0, stime: 0, rtime: 0, ctime: 1 };
  const snap = { ...snapshot, shms: [...snapshot.shms, seg], msgs: [q] };
  const lines = fullLines(capacityBars(capacityRowsFor(snap), orphanUsage(snap, verdicts)));
  assert.equal(lines.pools, 'SEMMNS is full (340 / 340): new objects fail with ENOSPC');
  assert.deepEqual(lines.maxima, [
    'SHMMAX reached by the largest segment: id 9 (128 MiB / 128 MiB): a larger segment fails with EINVAL',
    'MSGMNB reached by the fullest queue: id 4 (16 KiB / 16 KiB): that queue is full: msgsnd to it blocks (EAGAIN with IPC_NOWAIT)',
  ]);
  // nothing full: no line
  const quiet = { ...snapshot, limits: { ...snapshot.limits, semmns: 100000 } };
  assert.deepEqual(fullLines(capacityBars(capacityRowsFor(quiet), new Map())), { pools: null, maxima: [] });
});

test('percentages never round to full or empty', () => {
  assert.deepEqual([0, 0.04, 0.1, 3.14159, 12.5, 98.9, 99.95, 100, 120].map(formatPct), ['0', '<0.1', '0.1', '3.1', '13', '99', '99.9', '100', '120']);
});

test('capacity bars: unlimited and zero limits do not divide by zero; used over limit is clamped', () => {
  const row = (over: Partial<CapacityRow>): CapacityRow => ({
    name: 'SEMMNI', kind: 'sem', label: 'x', help: 'h', unit: 'count', used: 5, limit: 10, percent: null, unlimited: false, ...over,
  });
  const [a, b, c] = capacityBars([row({ unlimited: true }), row({ limit: 0 }), row({ used: 20 })], new Map([['semmni', 50]]));
  assert.equal(a!.level, 'unlimited');
  assert.equal(a!.usedFrac, 0);
  assert.equal(a!.valueText, '5 / unlimited');
  assert.equal(b!.level, 'unlimited');
  assert.equal(c!.usedFrac, 1);
  assert.equal(c!.level, 'full');
  assert.equal(c!.orphanFrac, 1, 'orphan share never exceeds used');
});

test('orphan summary: the headline a person reads', () => {
  const { snapshot, verdicts } = seed();
  const s = orphanSummary(snapshot, verdicts);
  assert.equal(s.headline, '14 of 16 sets are orphans: recycling frees 238 of 340 semaphores');
  assert.equal(s.orphanShms, 1);
  assert.equal(s.orphanMsgs, 0);
  // not recyclable: say how many are provably recyclable
  const notRecyclable = new Map([...verdicts].map(([k, v]): [string, Verdict] => [k, v.ref === 'sem:0' ? { ...v, recyclable: false } : v]));
  assert.equal(orphanSummary(snapshot, notRecyclable).headline, '14 of 16 sets are orphans (13 provably recyclable): recycling frees 221 of 340 semaphores');
  assert.equal(orphanSummary({ ...snapshot, sems: [] }, verdicts).headline, 'No semaphore sets.');
  assert.equal(orphanSummary(snapshot, new Map()).headline, 'No semaphore set is a proven orphan; 16 of 16 are undecided.');
  const allLive = new Map([...verdicts].map(([k, v]): [string, Verdict] => [k, { ...v, state: 'live' }]));
  assert.equal(orphanSummary(snapshot, allLive).headline, 'None of 16 semaphore sets is an orphan.');
});

test('sem map: grouped by owner, ordered by key, sized by nsems, coloured by verdict, wrapped to width', () => {
  const { snapshot, verdicts } = seed();
  const l = layoutSemSets(snapshot.sems, verdicts, { width: 400 });
  assert.equal(l.mode, 'sets');
  assert.deepEqual(l.groups.map((g) => [g.id, g.count, g.orphans, g.nsems]), [['app:postgresql', 14, 14, 238], ['uid:1000', 2, 0, 102]]);
  assert.match(l.groups[0]!.title, /^PostgreSQL \(uid 999\)$/);
  const pg = l.marks.filter((m) => m.group === 'app:postgresql');
  assert.deepEqual(pg.map((m) => m.id), [...Array(14).keys()], 'ordered by key');
  assert.ok(pg.every((m) => m.state === 'orphan' && m.recyclable));
  assert.ok(l.marks.filter((m) => m.group === 'uid:1000').every((m) => m.state === 'live'));
  // sized by nsems: 51 > 17
  const w17 = pg[0]!.w;
  const w51 = l.marks.find((m) => m.id === 14)!.w;
  assert.ok(w51 > w17, `${w51} > ${w17}`);
  assert.deepEqual(l.widthScale, { type: 'sqrt', domain: [1, 51], range: [22, 120] });
  // wrapping: no mark crosses the width, rows do not overlap
  for (const m of l.marks) assert.ok(m.x + m.w <= 400, `${m.ref} inside width`);
  const seen = new Set<string>();
  for (const m of l.marks) {
    for (const n of l.marks) {
      if (m === n || seen.has(n.ref)) continue;
      const overlap = m.x < n.x + n.w && n.x < m.x + m.w && m.y < n.y + n.h && n.y < m.y + m.h;
      assert.equal(overlap, false, `${m.ref} overlaps ${n.ref}`);
    }
    seen.add(m.ref);
  }
  assert.ok(l.groups[1]!.y > Math.max(...pg.map((m) => m.y)), 'second group below the first');
  assert.match(pg[0]!.label, /^semaphore set 0x0052e2c1 id 0, 17 semaphores, orphan \(recyclable\), PostgreSQL/);
});

test('sem map: appeared / vanished marks; vanished stay in their group for one cycle', () => {
  const { snapshot, verdicts } = seed();
  const gone = snapshot.sems.slice(0, 2);
  const rest = snapshot.sems.slice(2);
  const l = layoutSemSets(rest, verdicts, { width: 800 }, new Map([['sem:14', 'appeared']]), gone);
  assert.deepEqual(l.marks.filter((m) => m.change === 'vanished').map((m) => m.ref), ['sem:0', 'sem:1']);
  assert.equal(l.marks.find((m) => m.ref === 'sem:14')!.change, 'appeared');
  assert.equal(l.groups[0]!.count, 12, 'vanished sets are not counted');
  assert.equal(l.marks.find((m) => m.ref === 'sem:0')!.group, 'app:postgresql');
});

test('sem map: keyed positions are stable when an unrelated group changes', () => {
  const { snapshot, verdicts } = seed();
  const a = layoutSemSets(snapshot.sems, verdicts, { width: 800 });
  const b = layoutSemSets(snapshot.sems.filter((s) => s.id !== 15), verdicts, { width: 800 });
  for (const m of a.marks.filter((x) => x.group === 'app:postgresql')) {
    const n = b.marks.find((x) => x.ref === m.ref)!;
    assert.deepEqual([n.x, n.y], [m.x, m.y]);
  }
});

test('sem map: 32,000 sets aggregate into key-range cells that add up', () => {
  const { snapshot, verdicts } = seed({ extraSets: 31_984 });
  assert.equal(snapshot.sems.length, 32_000);
  const l = layoutSemSets(snapshot.sems, verdicts, { width: 1000 });
  assert.equal(l.mode, 'aggregate');
  // the 14 PostgreSQL orphans and the 2 live sets stay individual; the five big uid groups aggregate
  assert.deepEqual(l.marks.map((m) => m.ref), [...Array(16).keys()].map((i) => `sem:${i}`));
  assert.ok(l.marks.filter((m) => m.group === 'app:postgresql').every((m) => m.state === 'orphan'));
  assert.ok(l.aggregates.length <= 5 * 48, `${l.aggregates.length} cells`);
  assert.equal(l.aggregates.reduce((a, c) => a + c.count, 0) + l.marks.length, 32_000);
  assert.equal(
    l.aggregates.reduce((a, c) => a + c.nsems, 0) + l.marks.reduce((a, m) => a + m.nsems, 0),
    snapshot.sems.reduce((a, s) => a + s.nsems, 0),
  );
  assert.ok(l.aggregates.every((c) => c.dominant === 'live'));
  // a cell's zoom filter selects exactly its sets
  const cell = l.aggregates.find((c) => c.group === 'uid:1002')!;
  const match = compileFilter(cell.zoomFilter, snapshot, verdicts)!;
  assert.equal(snapshot.sems.filter(match).length, cell.count);
  // below the threshold (as after zooming) the sets are shown one by one
  assert.equal(layoutSemSets(snapshot.sems.filter(match), verdicts, { width: 1000 }).mode, 'sets');
});

test('filter language', () => {
  assert.deepEqual(parseFilter('  State:Orphan  0x0052  pid: '), [
    { field: 'state', value: 'orphan' },
    { field: 'any', value: '0x0052' },
    { field: 'any', value: 'pid:' },
  ]);
  assert.deepEqual(parseKeyRange('0x10-0x1'), [1, 16]);
  assert.equal(parseKeyRange('0x10-'), null);
  const { snapshot, verdicts } = seed();
  const ids = (text: string): number[] => {
    const m = compileFilter(text, snapshot, verdicts);
    return (m ? snapshot.sems.filter(m) : snapshot.sems).map((s) => s.id);
  };
  assert.equal(compileFilter('   ', snapshot, verdicts), null);
  assert.deepEqual(ids('state:live'), [14, 15]);
  assert.deepEqual(ids('state:orphan owner:postgresql').length, 14);
  assert.deepEqual(ids('key:0x0052e2c3'), [2]);
  assert.deepEqual(ids('key:5432003'), [2]);
  assert.deepEqual(ids('id:14'), [14]);
  assert.deepEqual(ids('uid:1000'), [14, 15]);
  assert.deepEqual(ids(`pid:${DEAD_POSTMASTER}`).length, 14);
  assert.deepEqual(ids('orderd'), [14, 15], 'free text matches the command name of a pid');
  assert.deepEqual(ids('recyclable').length, 14);
  assert.deepEqual(ids('nothing-matches-this'), []);
});

test('shm, msg and pid views', () => {
  const { snapshot, verdicts } = seed();
  const shm = layoutShm(snapshot.shms, verdicts);
  assert.deepEqual(shm.bars.map((b) => [b.ref, b.bytesText, b.nattch, b.attachers, b.state]), [
    ['shm:3', '56 B', 0, 0, 'orphan'],
    ['shm:7', '64 MiB', 2, 2, 'live'],
  ]);
  assert.ok(shm.bars[1]!.frac === 1 && shm.bars[0]!.frac > 0 && shm.bars[0]!.frac < 0.5, 'log scale');
  const msg = layoutMsg(snapshot.msgs, verdicts);
  assert.equal(msg[0]!.frac, 0.75);
  assert.equal(msg[0]!.text, '12 KiB / 16 KiB (3 messages)');
  const pids = layoutPids(snapshot, verdicts);
  const dead = pids.rows.find((r) => r.pid === DEAD_POSTMASTER)!;
  assert.equal(dead.alive, false);
  assert.equal(dead.objects.length, 15);
  assert.deepEqual(dead.objects.find((o) => o.ref === 'sem:0')!.roles.sort(), ['last-op', 'owner']);
  assert.deepEqual(dead.objects.find((o) => o.ref === 'shm:3')!.roles.sort(), ['creator', 'last-op']);
  const live = pids.rows.find((r) => r.pid === LIVE_APP)!;
  assert.equal(live.comm, 'orderd');
  assert.equal(live.alive, true);
  const limited = layoutPids(snapshot, verdicts, () => true, 1);
  assert.equal(limited.rows.length, 1);
  assert.equal(limited.more, pids.rows.length - 1);
  assert.equal(layoutPids(snapshot, verdicts, (r) => r === 'msg:1').rows.length, 2);
});

test('diffRefs', () => {
  assert.deepEqual(diffRefs(['a', 'b'], ['b', 'c']), { appeared: ['c'], vanished: ['a'] });
});

test('verdictMap keys by ref', () => {
  const { verdicts } = seed();
  const m = verdictMap([...verdicts.values()]);
  assert.equal(m.get('sem:0')!.state, 'orphan');
  const sets: SemSet[] = [];
  assert.equal(layoutSemSets(sets, m, { width: 10 }).groups.length, 0);
});

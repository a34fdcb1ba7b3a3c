/**
 * PostgreSQL dynamic shared memory as one unit with its interlock segment: the control segment's layouts
 * (dsm.c), the unit the recogniser builds (and what blocks it), and the removal of real files in a
 * temporary directory standing in for /dev/shm (order, a process that maps a file, a replaced file, a
 * symlink, a control segment that changed since the plan).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, test } from 'node:test';
import { readDsmControlFact, removeDsmUnit } from '../../../extension/backend/pgDsm';
import { scanAttachers, type AttacherScan } from '../../../extension/backend/mapsScan';
import { parseDsmControl } from '../../../extension/domain/recognizers/postgresql';
import type { DsmControlFact } from '../../../extension/domain/recognizers/types';
import { buildRecyclePlan, formatPlanReport, waitingLine } from '../../../extension/domain/recyclePlan';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { PosixShm, UnitFile } from '../../../extension/shared/model';
import { buildC } from '../../helpers/cprog';
import { controlBytes, NOW, pgHeader, pgSet, proc, procs, shm, snapshot, withDsmControl } from './fixtures';

test('DSM control segment: the three dsm_control_item layouts are told apart by size; PostgreSQL sanity checks', () => {
  const p14 = parseDsmControl(controlBytes([[100, 2], [0, 0], [7, 2]], 8, 40));
  assert.ok(typeof p14 !== 'string');
  assert.equal(p14.versions, '14+');
  assert.deepEqual(p14.items, [{ handle: 100, refcnt: 2, mainRegion: false }, { handle: 7, refcnt: 2, mainRegion: true }]);
  const p10 = parseDsmControl(controlBytes([[7, 3]], 8, 24));
  assert.ok(typeof p10 !== 'string');
  assert.equal(p10.versions, '10-13');
  assert.deepEqual(p10.items, [{ handle: 7, refcnt: 3, mainRegion: false }], 'odd handles have files before 14');
  const p94 = parseDsmControl(controlBytes([[9, 2]], 8, 8));
  assert.ok(typeof p94 !== 'string' && p94.versions === '9.4-9.6');
  const bad = controlBytes([[1, 2]]);
  new DataView(bad.buffer).setUint32(0, 1, true);
  assert.match(String(parseDsmControl(bad)), /magic/);
  const over = controlBytes([[1, 2]]);
  new DataView(over.buffer).setUint32(4, 9, true);
  assert.match(String(parseDsmControl(over)), /overfull/);
  assert.match(String(parseDsmControl(controlBytes([[1, 2]]).slice(0, 100))), /not header \+ maxitems/);
});

const file = (p: string, handle: number, ino: number, over: Partial<UnitFile> = {}): UnitFile => ({ path: p, handle, dev: 64, ino, uid: 0, size: 4096, ...over });
const posix = (f: UnitFile, attachers: number[] = []): PosixShm => ({
  kind: 'posixShm', name: '/' + path.basename(f.path), path: f.path, uid: f.uid, gid: 0, mode: 0o600, size: f.size, mtime: NOW - 100, dev: f.dev, ino: f.ino, attachers,
});

function cluster(fact: DsmControlFact, posixShms: PosixShm[] = []) {
  const seg = shm(9, 0x52e2c1, 700, { atime: NOW - 100, dtime: NOW - 100, ctime: NOW - 100 });
  const dir = { path: '/pg/data', dev: 2049, ino: 5431000, source: 'user' as const, postmasterPid: 700 };
  const evidence = { shmHeaders: { 9: withDsmControl(pgHeader(700, 2049n, 5431000n), 1000) }, dataDirs: [dir], pgDsm: { 1000: fact } };
  const s = snapshot({ shms: [seg], posixShms, processes: procs(proc(700, false)) });
  return { s, verdicts: assessSnapshot(s, verdictOptions({ evidence }), NOW) };
}

test('the interlock segment and its DSM files are one unit: labelled, removed together, or kept together', () => {
  const control = file('/dev/shm/PostgreSQL.1000', 1000, 11, { size: 16 + 40 * 8 });
  const a = file('/dev/shm/PostgreSQL.2000', 2000, 12);
  const fact: DsmControlFact = {
    handle: 1000, file: control, layout: { versions: '14+', itemSize: 40, nitems: 3, maxitems: 8 },
    items: [{ handle: 2000, refcnt: 2, mainRegion: false, file: a }, { handle: 3000, refcnt: 2, mainRegion: false, error: 'ENOENT' }, { handle: 5, refcnt: 2, mainRegion: true }],
  };
  const { s, verdicts } = cluster(fact, [posix(control), posix(a)]);
  const v = verdicts.get('shm:9')!;
  assert.equal(v.recyclable, true, v.reasons.join('|'));
  assert.deepEqual(v.owner!.dsm!.segments, [a]);
  assert.deepEqual(v.owner!.dsm!.control, control);
  assert.deepEqual(v.owner!.dsm!.missing, [3000]);
  assert.match(v.owner!.label, /with 2 DSM file\(s\) \(control segment PostgreSQL\.1000\)/);
  // the files are labelled with their cluster, and never recycled on their own
  const fa = verdicts.get('posixShm:/PostgreSQL.2000')!;
  assert.equal(fa.owner?.label, 'PostgreSQL DSM of data directory /pg/data, postmaster PID 700 (dead)');
  assert.equal(verdicts.get('posixShm:/PostgreSQL.1000')!.owner?.label, 'PostgreSQL DSM control segment of data directory /pg/data, postmaster PID 700 (dead)');
  assert.equal(fa.recyclable, false);
  const plan = buildRecyclePlan(s, verdicts, NOW);
  assert.deepEqual(plan.candidates.map((c) => c.ref), ['shm:9']);
  assert.equal(plan.frees.dsmFiles, 2);
  assert.match(formatPlanReport(plan), /first its PostgreSQL DSM files[^\n]*\n\s+\/dev\/shm\/PostgreSQL\.2000 \(4096 bytes\)\n\s+\/dev\/shm\/PostgreSQL\.1000 \(336 bytes, the control segment, last\)/);

  // a file still mapped keeps the whole unit, the segment included
  const mapped = cluster(fact, [posix(control), posix(a, [4242])]).verdicts.get('shm:9')!;
  assert.equal(mapped.recyclable, false);
  assert.ok(mapped.reasons.some((r) => r.includes('its DSM file /dev/shm/PostgreSQL.2000 is mapped by pid(s) 4242') && r.includes('the segment stays')), mapped.reasons.join('|'));
  // the control segment is not in this /dev/shm (another mount namespace, removed by hand): keep the segment
  const absent = cluster({ handle: 1000, error: { code: 'ENOENT', message: 'no such file' } }).verdicts.get('shm:9')!;
  assert.equal(absent.recyclable, false);
  assert.ok(absent.reasons.some((r) => /is not in this \/dev\/shm/.test(r)));
  // dynamic_shared_memory_type = mmap: PostgreSQL removes pg_dynshmem itself; the segment alone is fine
  const mmap = cluster({ handle: 1000, error: { code: 'ENOENT', message: 'x' }, mmapIn: ['/pg/data'] }).verdicts.get('shm:9')!;
  assert.equal(mmap.recyclable, true);
  // a control segment owned by another user is not the cluster's
  const foreign = cluster({ ...fact, file: { ...control, uid: 1234 } }).verdicts.get('shm:9')!;
  assert.equal(foreign.recyclable, false);
  // a listed file of another user is left out, not removed
  const other = cluster({ ...fact, items: [{ handle: 2000, refcnt: 2, mainRegion: false, file: { ...a, uid: 1234 } }] }).verdicts.get('shm:9')!;
  assert.equal(other.recyclable, true);
  assert.deepEqual(other.owner!.dsm!.segments, []);
  assert.ok(other.owner!.evidence.some((e) => e.startsWith('left out: /dev/shm/PostgreSQL.2000')));
});

test('the plan ends with how long the waiting ones take and how to proceed now', () => {
  const t = NOW - 2;
  const s = snapshot({
    shms: [shm(1, 1, 5, { atime: t, dtime: t, ctime: t }), shm(2, 2, 5, { atime: t, dtime: t, ctime: t })],
    sems: [pgSet(3, 5432001, 6, NOW - 1)],
    processes: procs(proc(5, false), proc(6, false)),
  });
  const plan = buildRecyclePlan(s, assessSnapshot(s, verdictOptions(), NOW), NOW);
  assert.deepEqual(plan.candidates.map((c) => c.ref), ['sem:3'], 'the proven PostgreSQL set goes at once');
  assert.deepEqual(plan.stays.map((x) => [x.ref, x.becomesRecyclableIn]), [['shm:1', 58], ['shm:2', 58]]);
  assert.equal(waitingLine(plan), '2 shared memory segments become recyclable in 58s if nothing happens to them; `ipcx recycle --min-age 0 --recent 0` to proceed now.');
  assert.ok(formatPlanReport(plan).trimEnd().endsWith('`ipcx recycle --min-age 0 --recent 0` to proceed now.'));
});

// --- removal of real files (a temporary directory stands in for /dev/shm) ---------------------------------
// The maps scan is real where a test is about mappings. Elsewhere it is replaced by "every process readable,
// nothing maps these files": on machines where some process's maps are unreadable even to root (pid 1 of
// this sandbox), the real scan rightly refuses everything, which the last test shows.
const clearScan = (): AttacherScan => ({ attachers: { shm: new Map(), files: new Map() }, scanned: 1, truncated: false, unreadable: 0, cut: 0, budgetExhausted: false, unreadablePids: [] });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-dsm-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirN = 0;

function makeUnit(handles = [2000, 3000]) {
  const dir = path.join(tmp, `shm${dirN++}`);
  fs.mkdirSync(dir);
  const items = handles.map((h) => [h, 2] as [number, number]);
  fs.writeFileSync(path.join(dir, 'PostgreSQL.1000'), controlBytes(items), { mode: 0o600 });
  for (const h of handles) fs.writeFileSync(path.join(dir, `PostgreSQL.${h}`), Buffer.alloc(8192), { mode: 0o600 });
  const paths = { proc: '/proc', devShm: dir };
  const fact = readDsmControlFact(1000, [], paths);
  assert.ok(fact.file && fact.items, JSON.stringify(fact));
  const unit = { controlHandle: 1000, control: fact.file, segments: fact.items.map((i) => i.file!), missing: [], notes: [] };
  return { dir, paths, unit };
}

test('removal: listed segments first, the control segment last, each checked right before its unlink', () => {
  const { dir, paths, unit } = makeUnit();
  const order: string[] = [];
  const r = removeDsmUnit(unit, { paths, scan: clearScan, beforeUnlink: (f) => order.push(path.basename(f.path)) });
  assert.equal(r.refused, undefined);
  assert.deepEqual(order, ['PostgreSQL.2000', 'PostgreSQL.3000', 'PostgreSQL.1000']);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('removal: a process that still maps one DSM file keeps every file of the unit', async () => {
  const { dir, paths, unit } = makeUnit();
  const child = spawn(buildC('map_file'), [path.join(dir, 'PostgreSQL.3000')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (l) => l === 'READY' && resolve());
      child.once('exit', (c) => reject(new Error(`map_file exited ${c}`)));
    });
    // the real scan, but processes whose maps even root cannot read are not this test's subject
    const scan = (w: ReadonlySet<string>): AttacherScan => ({ ...scanAttachers(w, paths), unreadable: 0, unreadablePids: [] });
    const r = removeDsmUnit(unit, { paths, scan });
    assert.equal(r.code, 'ECHANGED');
    assert.match(r.refused!, new RegExp(`PostgreSQL\\.3000 is mapped by pid\\(s\\) ${child.pid}`));
    assert.deepEqual(r.removed, []);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['PostgreSQL.1000', 'PostgreSQL.2000', 'PostgreSQL.3000']);
  } finally {
    child.kill('SIGKILL');
  }
});

test('removal: a file replaced or turned into a symlink since the plan stops it; a changed control segment too', () => {
  // replaced by another file under the same name (new inode) while the removal runs: the files before it are
  // gone, it and the rest stay
  const a = makeUnit();
  const victim = path.join(a.dir, 'PostgreSQL.3000');
  const replace = (): void => {
    fs.writeFileSync(`${victim}.new`, Buffer.alloc(8192));
    fs.renameSync(`${victim}.new`, victim); // a new inode under the old name (the old one lived until now)
  };
  const r = removeDsmUnit(a.unit, { paths: a.paths, scan: clearScan, beforeUnlink: (f) => f.handle === 2000 && replace() });
  assert.equal(r.code, 'ECHANGED');
  assert.match(r.refused!, /another file now has this name/);
  assert.deepEqual(r.removed, [path.join(a.dir, 'PostgreSQL.2000')]);
  assert.deepEqual(r.remaining.sort(), [path.join(a.dir, 'PostgreSQL.1000'), victim]);
  // replaced before the removal starts: the control segment check already sees a file the plan did not
  const a2 = makeUnit();
  const v2 = path.join(a2.dir, 'PostgreSQL.3000');
  fs.writeFileSync(`${v2}.new`, Buffer.alloc(8192));
  fs.renameSync(`${v2}.new`, v2);
  const r2 = removeDsmUnit(a2.unit, { paths: a2.paths, scan: clearScan });
  assert.match(r2.refused!, /now lists 1 segment\(s\) the plan did not see/);
  assert.deepEqual(r2.removed, []);
  // a symlink put in its place is never followed, and nothing it points to is touched
  const b = makeUnit([2000]);
  const target = path.join(tmp, `precious${dirN}`);
  fs.writeFileSync(target, 'x');
  fs.rmSync(path.join(b.dir, 'PostgreSQL.2000'));
  fs.symlinkSync(target, path.join(b.dir, 'PostgreSQL.2000'));
  const rb = removeDsmUnit(b.unit, { paths: b.paths, scan: clearScan });
  assert.equal(rb.code, 'ELOOP');
  assert.ok(fs.existsSync(target) && fs.lstatSync(path.join(b.dir, 'PostgreSQL.2000')).isSymbolicLink());
  assert.ok(fs.existsSync(path.join(b.dir, 'PostgreSQL.1000')));
  // the control segment lists a segment the plan did not see (a postmaster started meanwhile): nothing removed
  const c = makeUnit([2000]);
  fs.writeFileSync(path.join(c.dir, 'PostgreSQL.1000'), controlBytes([[2000, 2], [4000, 2]]));
  fs.writeFileSync(path.join(c.dir, 'PostgreSQL.4000'), Buffer.alloc(8192));
  // same inode, same size: only the contents changed
  const rc = removeDsmUnit(c.unit, { paths: c.paths, scan: clearScan });
  assert.equal(rc.code, 'ECHANGED');
  assert.match(rc.refused!, /now lists 1 segment\(s\) the plan did not see/);
  assert.deepEqual(fs.readdirSync(c.dir).sort(), ['PostgreSQL.1000', 'PostgreSQL.2000', 'PostgreSQL.4000']);
});

test('removal: a process whose maps cannot be read is doubt, and nothing is removed', () => {
  const { dir, paths, unit } = makeUnit([2000]);
  const hidden = (): AttacherScan => ({ ...clearScan(), scanned: 40, unreadable: 1, unreadablePids: [{ pid: 1, comm: 'init' }] });
  const r = removeDsmUnit(unit, { paths, scan: hidden });
  assert.equal(r.code, 'EACCES');
  assert.match(r.refused!, /cannot see every process's mappings \(1 process\(es\) with unreadable \/proc\/PID\/maps: pid 1 \(init\)\); run as root/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['PostgreSQL.1000', 'PostgreSQL.2000']);
  const truncated = removeDsmUnit(unit, { paths, scan: () => ({ ...clearScan(), scanned: 20000, truncated: true }) });
  assert.match(truncated.refused!, /scan stopped after 20000/);
  const cut = removeDsmUnit(unit, { paths, scan: () => ({ ...clearScan(), cut: 1 }) });
  assert.match(cut.refused!, /1 maps read only in part/);
});

test('removal: a FIFO (or another non-file) put in a DSM file\'s place neither blocks nor is removed; the unit stays', { timeout: 10000 }, () => {
  // an open(O_RDONLY) of a FIFO without O_NONBLOCK would wait for a writer forever: the recycler would hang
  const { dir, paths, unit } = makeUnit([2000]);
  const victim = path.join(dir, 'PostgreSQL.2000');
  fs.rmSync(victim);
  assert.equal(spawnSync('mkfifo', ['-m', '600', victim]).status, 0);
  const r = removeDsmUnit(unit, { paths, scan: clearScan });
  assert.ok(r.refused, 'refused');
  assert.deepEqual(r.removed, []);
  assert.ok(fs.lstatSync(victim).isFIFO(), 'the FIFO is still there');
  assert.ok(fs.existsSync(path.join(dir, 'PostgreSQL.1000')), 'and the control segment');
});

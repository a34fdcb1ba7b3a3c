/**
 * The binding's snapshot against util-linux for the same kernel objects: headers field by field against
 * `lsipc --json` (which reads /proc/sysvipc, an independent path from our *_STAT_ANY syscalls), per-semaphore
 * value/ncount/zcount/pid against `ipcs -s -i ID`, message-queue qbytes against `ipcs -q -i ID`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { stringifyWithSemsJson } from '../../extension/backend/jsonSplice';
import { LocalSource } from '../../extension/backend/localSource';
import type { NativeBinding } from '../../extension/backend/nativeBinding';
import { readLimitFiles } from '../../extension/backend/procfs';
import { MSG_STRIDE, SEM_STRIDE, SHM_STRIDE, decodeMsgs, decodeSems, decodeShms, decodeSysv, limitsFromNative, semValueErrors, type RawSysv } from '../../extension/domain/sysvColumns';
import { assertPrivateIpcNamespace,
  ipcsSem,
  isoToSeconds,
  lsipc,
  permsToMode,
  make,
  native, nativeObjects, nativeObjectsAsync,
  removeQuietly,
  run,
  spawnReady,
  stop,
  until,
  type Made,
} from './support';

const created: Made[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) await stop(c);
  removeQuietly(created);
});

const hexKey = (k: number): string => '0x' + (k >>> 0).toString(16).padStart(8, '0');

test('sem sets: every header field equals lsipc -s; values, ncount, zcount, pid equal ipcs -s -i', async () => {
  assertPrivateIpcNamespace();
  const patterned = make('sem', ['-n', '3', '-s', '5', '-v', 'p', '-k', '0x4a110000', '-m', '640']);
  const [waited] = make('sem', ['-n', '1', '-s', '3', '-v', '0,1,9', '-m', '600']);
  created.push(...patterned, waited!);
  // a waiter for semaphore 0 to reach 1 (ncount) and one for semaphore 1 to reach 0 (zcount)
  children.push(await spawnReady('sem_waiter', [String(waited!.id), '0', '-1'], /waiting/));
  children.push(await spawnReady('sem_waiter', [String(waited!.id), '1', '0'], /waiting/));
  await until('both waiters blocked in semop', () => {
    const e = ipcsSem(waited!.id).elems;
    return e[0]!.ncount === 1 && e[1]!.zcount === 1;
  });

  const snap = nativeObjects();
  const rows = lsipc('-s', ['KEY', 'ID', 'PERMS', 'CUID', 'CGID', 'UID', 'GID', 'NSEMS', 'OTIME', 'CTIME']);
  assert.equal(snap.errors.length, 0, JSON.stringify(snap.errors));
  assert.deepEqual(snap.sems.map((s) => s.id).sort((a, b) => a - b), rows.map((r) => Number(r['id'])).sort((a, b) => a - b));
  for (const row of rows) {
    const set = snap.sems.find((s) => s.id === Number(row['id']));
    assert.ok(set, `set ${row['id']} from lsipc is in the snapshot`);
    assert.equal(hexKey(set.key), row['key'], `key of ${set.id}`);
    assert.equal(set.mode, permsToMode(row['perms']), `mode of ${set.id}`);
    assert.equal(set.cuid, Number(row['cuid']));
    assert.equal(set.cgid, Number(row['cgid']));
    assert.equal(set.uid, Number(row['uid']));
    assert.equal(set.gid, Number(row['gid']));
    assert.equal(set.nsems, Number(row['nsems']));
    assert.equal(set.otime, isoToSeconds(row['otime']), `otime of ${set.id}`);
    assert.equal(set.ctime, isoToSeconds(row['ctime']), `ctime of ${set.id}`);
    const ipcs = ipcsSem(set.id);
    assert.equal(set.mode, ipcs.mode);
    assert.deepEqual(set.values, ipcs.elems.map((e) => e.semval), `values of ${set.id}`);
    assert.deepEqual(native().semDetail(set.id), ipcs.elems, `semDetail of ${set.id}`);
  }

  // and against what we wrote: keys, modes, the pattern (set i, semaphore j) = i*31 + j
  patterned.forEach((m, i) => {
    const set = snap.sems.find((s) => s.id === m.id)!;
    assert.equal(set.key, 0x4a110000 + i);
    assert.equal(set.mode, 0o640);
    assert.deepEqual(set.values, [0, 1, 2, 3, 4].map((j) => i * 31 + j));
  });
  const w = native().semDetail(waited!.id);
  assert.deepEqual(w.map((e) => e.semval), [0, 1, 9]);
  assert.deepEqual(w.map((e) => [e.ncount, e.zcount]), [[1, 0], [0, 1], [0, 0]]);
  assert.ok(w.every((e) => e.pid > 0), 'SETALL set sempid on every semaphore');
});

test('values:false lists the same headers without reading values', () => {
  assertPrivateIpcNamespace();
  const m = make('sem', ['-n', '1', '-s', '2', '-v', '7,8']);
  created.push(...m);
  const snap = nativeObjects({ values: false });
  const set = snap.sems.find((s) => s.id === m[0]!.id)!;
  assert.equal(set.nsems, 2);
  assert.equal(set.values, undefined);
  assert.deepEqual(nativeObjects().sems.find((s) => s.id === m[0]!.id)!.values, [7, 8]);
});

test('shm segments: every field equals lsipc -m, incl. nattch, lpid, SHM_DEST; shmPeek reads the bytes', async () => {
  assertPrivateIpcNamespace();
  const [a, b] = make('shm', ['-n', '2', '-s', '8192', '-w', 'hello-ipcx', '-k', '0x4a120000', '-m', '640']);
  const [c] = make('shm', ['-n', '1', '-s', '100000', '-m', '604']);
  created.push(a!, b!, c!);
  const holder = await spawnReady('shm_hold', [String(a!.id)], /attached/);
  children.push(holder);
  // b: attached, then IPC_RMID -> SHM_DEST, key 0, still listed until the last detach
  const destHolder = await spawnReady('shm_hold', [String(b!.id)], /attached/);
  children.push(destHolder);
  run('ipcrm', ['-m', String(b!.id)]);

  const snap = nativeObjects();
  const rows = lsipc('-m', ['KEY', 'ID', 'PERMS', 'CUID', 'CGID', 'UID', 'GID', 'SIZE', 'NATTCH', 'STATUS', 'ATTACH', 'DETACH', 'CTIME', 'CPID', 'LPID']);
  assert.equal(snap.errors.length, 0);
  assert.deepEqual(snap.shms.map((s) => s.id).sort((x, y) => x - y), rows.map((r) => Number(r['id'])).sort((x, y) => x - y));
  for (const row of rows) {
    const s = snap.shms.find((x) => x.id === Number(row['id']))!;
    assert.ok(s);
    assert.equal(hexKey(s.key), row['key']);
    assert.equal(s.mode & 0o777, permsToMode(row['perms']));
    assert.equal(s.cuid, Number(row['cuid']));
    assert.equal(s.cgid, Number(row['cgid']));
    assert.equal(s.uid, Number(row['uid']));
    assert.equal(s.gid, Number(row['gid']));
    assert.equal(s.segsz, Number(row['size']));
    assert.equal(s.nattch, Number(row['nattch']));
    assert.equal(s.dest, /dest/.test(row['status'] ?? ''));
    assert.equal(s.locked, /locked/.test(row['status'] ?? ''));
    assert.equal(s.atime, isoToSeconds(row['attach']));
    assert.equal(s.dtime, isoToSeconds(row['detach']));
    assert.equal(s.ctime, isoToSeconds(row['ctime']));
    assert.equal(s.cpid, Number(row['cpid']));
    assert.equal(s.lpid, Number(row['lpid']));
  }
  const sa = snap.shms.find((x) => x.id === a!.id)!;
  assert.equal(sa.key, 0x4a120000);
  assert.equal(sa.nattch, 1);
  assert.equal(sa.lpid, holder.pid);
  assert.equal(sa.mode, 0o640);
  const sb = snap.shms.find((x) => x.id === b!.id)!;
  assert.equal(sb.key, 0, 'a removed, still attached segment reads key 0');
  assert.equal(sb.dest, true);
  assert.equal(sb.mode & 0o1000, 0o1000, 'mode carries SHM_DEST');
  const sc = snap.shms.find((x) => x.id === c!.id)!;
  assert.equal(sc.segsz, 100000);
  assert.equal(sc.nattch, 0);
  assert.equal(sc.dest, false);

  assert.equal(native().shmPeek(a!.id, 10).toString('latin1'), 'hello-ipcx');
  const whole = native().shmPeek(c!.id, 1 << 20);
  assert.equal(whole.length, 100000, 'shmPeek copies at most segsz bytes');
  assert.ok(whole.every((x) => x === 0));
  await stop(destHolder);
  await until('the SHM_DEST segment goes away at its last detach', () => !nativeObjects().shms.some((x) => x.id === b!.id));
});

test('msg queues: every field equals lsipc -q, qbytes equals ipcs -q -i', () => {
  assertPrivateIpcNamespace();
  const [q1] = make('msg', ['-n', '1', '-M', '3', '-B', '10', '-k', '0x4a130000', '-m', '620']);
  const [q2] = make('msg', ['-n', '1']);
  created.push(q1!, q2!);
  const snap = nativeObjects();
  const rows = lsipc('-q', ['KEY', 'ID', 'PERMS', 'CUID', 'CGID', 'UID', 'GID', 'USEDBYTES', 'MSGS', 'SEND', 'RECV', 'LSPID', 'LRPID', 'CTIME']);
  assert.deepEqual(snap.msgs.map((s) => s.id).sort((x, y) => x - y), rows.map((r) => Number(r['id'])).sort((x, y) => x - y));
  for (const row of rows) {
    const q = snap.msgs.find((x) => x.id === Number(row['id']))!;
    assert.ok(q);
    assert.equal(hexKey(q.key), row['key']);
    assert.equal(q.mode, permsToMode(row['perms']));
    assert.equal(q.cuid, Number(row['cuid']));
    assert.equal(q.cgid, Number(row['cgid']));
    assert.equal(q.uid, Number(row['uid']));
    assert.equal(q.gid, Number(row['gid']));
    assert.equal(q.cbytes, Number(row['usedbytes']));
    assert.equal(q.qnum, Number(row['msgs']));
    assert.equal(q.stime, isoToSeconds(row['send']));
    assert.equal(q.rtime, isoToSeconds(row['recv']));
    assert.equal(q.lspid, Number(row['lspid']));
    assert.equal(q.lrpid, Number(row['lrpid']));
    assert.equal(q.ctime, isoToSeconds(row['ctime']));
    const m = /qbytes=(\d+)/.exec(run('ipcs', ['-q', '-i', String(q.id)]));
    assert.ok(m);
    assert.equal(q.qbytes, Number(m[1]));
  }
  const a = snap.msgs.find((x) => x.id === q1!.id)!;
  assert.deepEqual([a.key, a.mode, a.qnum, a.cbytes], [0x4a130000, 0o620, 3, 30]);
  assert.ok(a.lspid > 0 && a.stime > 0);
});

test('snapshot carries the namespace and reader: ipcNamespace is /proc/self/ns/ipc, uid is geteuid', async () => {
  assertPrivateIpcNamespace();
  const snap = await new LocalSource({ values: false, noAttachers: true }).snapshot();
  assert.equal(snap.source, 'native');
  assert.match(snap.ipcNamespace!, /^ipc:\[\d+\]$/);
  assert.equal(snap.ipcNamespace, fs.readlinkSync('/proc/self/ns/ipc'));
  assert.equal(snap.uid, process.geteuid!());
});

test('semsJson: the native JSON of the sets is byte-identical to JSON.stringify of the decoded sets', () => {
  assertPrivateIpcNamespace();
  created.push(...make('sem', ['-n', '40', '-s', '17', '-v', 'p', '-k', '-5', '-m', '604']));
  created.push(...make('sem', ['-n', '3', '-s', '1', '-v', '32767']));
  for (const values of [true, false]) {
    const raw = native().sysv({ values });
    const objs = decodeSysv(raw, values);
    const json = native().semsJson(raw, values);
    assert.ok(objs.sems.length >= 43);
    assert.equal(json.toString('utf8'), JSON.stringify(objs.sems), `values: ${values}`);
    assert.deepEqual(semValueErrors(raw.sem), []);
  }
  const raw = native().sysv();
  const json = native().semsJson(raw, true);
  const doc = { version: 1, host: 'local', sems: [] as unknown[], tail: { hostname: '"sems":[]' } };
  for (const pretty of [false, true]) {
    const text = stringifyWithSemsJson(doc, json, pretty).toString('utf8');
    assert.deepEqual(JSON.parse(text), { ...doc, sems: decodeSysv(raw, true).sems });
  }
});

/** What writeSysvJson must write: the texts around JSON.stringify of the decoded objects. */
function expectedSysvJson(raw: RawSysv, values: boolean, texts: string[], attachers?: ReadonlyMap<number, number[]>): Buffer {
  const shms = decodeShms(raw.shm);
  if (attachers) for (const s of shms) s.attachers = attachers.get(s.id) ?? [];
  const parts = [JSON.stringify(decodeSems(raw.sem, values)), JSON.stringify(shms), JSON.stringify(decodeMsgs(raw.msg))];
  return Buffer.from(texts[0] + parts[0] + texts[1] + parts[1] + texts[2] + parts[2] + texts[3]);
}

function writtenTo(dir: string, write: (fd: number) => number): { n: number; bytes: Buffer } {
  const file = path.join(dir, 'out');
  const fd = fs.openSync(file, 'w');
  try {
    const n = write(fd);
    return { n, bytes: fs.readFileSync(file) };
  } finally {
    fs.closeSync(fd);
  }
}

test('writeSysvJson: texts, sets, segments and queues on the fd, byte-identical to JSON.stringify of the decoded objects, across 256 KiB chunks', () => {
  assertPrivateIpcNamespace();
  // about 200 bytes per set: 3,000 sets make several chunks
  created.push(...make('sem', ['-n', '3000', '-s', '17', '-v', 'p']));
  created.push(...make('shm', ['-n', '3', '-s', '4096']));
  created.push(...make('msg', ['-n', '2', '-M', '1', '-B', '64']));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-json-'));
  try {
    for (const values of [true, false]) {
      const raw = native().sysv({ values });
      assert.ok(raw.shm.count >= 3 && raw.msg.count >= 2);
      const texts = ['{"a":"\u00e9",\n"sems":', ',"shms":', ',"msgs":', '}\n'];
      const firstShm = raw.shm.headers[0]!;
      for (const attachers of [undefined, new Map([[firstShm, [7, 4242]], [123456789, [1]]])]) {
        const { n, bytes } = writtenTo(dir, (fd) => native().writeSysvJson(fd, raw, values, texts, attachers));
        const want = expectedSysvJson(raw, values, texts, attachers);
        assert.ok(!values || want.length > 2 * 256 * 1024, `${want.length} bytes span three chunks or more`);
        assert.equal(n, want.length);
        assert.equal(bytes.toString('utf8'), want.toString('utf8'), `values: ${values}, attachers: ${attachers !== undefined}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writeSysvJson writes any number as JSON.stringify does (beyond 2^53, fractions, -0, NaN, exponents)', () => {
  // columns the kernel cannot produce, handed straight to the writer: the promise of identical bytes holds
  const odd = [2 ** 64, 2 ** 53 + 2, -(2 ** 60), 1e21, 1.5e300, 1.5, -0, 0.000001, 1e-7, 123e-20, NaN, -Infinity, 4294967295, -1];
  const row = (stride: number, k: number) => Array.from({ length: stride }, (_, i) => odd[(i + k) % odd.length]!);
  const raw: RawSysv = {
    sem: { count: 0, headers: new Float64Array(0), values: new Uint16Array(0), valueErrors: [] },
    shm: { count: odd.length, headers: Float64Array.from(odd.flatMap((_, k) => row(SHM_STRIDE, k))) },
    msg: { count: odd.length, headers: Float64Array.from(odd.flatMap((_, k) => row(MSG_STRIDE, k))) },
    errors: [],
    statAny: true,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-json-'));
  try {
    const texts = ['[', ',', ',', ']'];
    const { bytes } = writtenTo(dir, (fd) => native().writeSysvJson(fd, raw, true, texts));
    assert.equal(bytes.toString('utf8'), expectedSysvJson(raw, true, texts).toString('utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writeSysvJson and formatSemsJson refuse malformed arguments with a usage error, never a crash or a huge allocation', () => {
  const raw = native().sysv();
  const texts = ['', '', '', ''];
  assert.throws(() => native().writeSysvJson(-1, raw, true, texts), /Usage: writeSysvJson/);
  assert.throws(() => native().writeSysvJson(1, raw, true, ['', '']), /four texts/);
  const short = { ...raw, shm: { count: raw.shm.count + 1, headers: raw.shm.headers } };
  assert.throws(() => native().writeSysvJson(1, short, true, texts), /Usage: writeSysvJson/);
  // straight to the raw functions, as a caller with its own columns would: every argument class
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rawFns = require(native().path) as { writeSysvJson: (...a: unknown[]) => number; formatSemsJson: (...a: unknown[]) => Buffer };
  const e = new Float64Array(0);
  const set = (nsems: number) => Float64Array.from({ length: SEM_STRIDE }, (_, k) => (k === 7 ? nsems : 0));
  const call = (semHeaders: Float64Array, values: Uint16Array, count: number, errIndex: unknown, errJson: unknown, ...att: unknown[]) =>
    () => rawFns.writeSysvJson(1, texts, semHeaders, values, count, true, errIndex, errJson, e, 0, att.length ? att[0] : null, e, 0);
  const usage = /Usage: writeSysvJson/;
  // a set whose nsems is far beyond the values given: refused, not a 12 GB buffer
  assert.throws(call(set(2e9), new Uint16Array(2), 1, [], []), usage);
  assert.throws(() => rawFns.formatSemsJson(set(2e9), new Uint16Array(2), 1, true, [], []), /Usage: formatSemsJson/);
  // more error texts than sets (a sparse array of 2^32 - 1 included), an index at or past the count, a repeat
  assert.throws(call(set(1), new Uint16Array(1), 1, new Array(2 ** 32 - 1), new Array(2 ** 32 - 1)), usage);
  assert.throws(call(set(1), new Uint16Array(1), 1, [1], ['{}']), usage);
  assert.throws(call(Float64Array.from([...set(1), ...set(1)]), new Uint16Array(2), 2, [0, 0], ['{}', '{}']), usage);
  assert.throws(call(set(1), new Uint16Array(1), 1, [0.5], ['{}']), usage);
  assert.throws(call(set(1), new Uint16Array(1), 1, ['0'], ['{}']), usage);
  // attachers neither null nor [index[], json[]]
  for (const att of [undefined, {}, [[0]], [[0], ['[1]'], []], 'x']) assert.throws(call(set(1), new Uint16Array(1), 1, [], [], att), usage, String(att));
  assert.throws(() => rawFns.writeSysvJson(1, texts, set(1), new Uint16Array(1), 1, true, [], [], e, 0, null, e), usage, 'an argument missing');
  // the same columns with proper arguments are fine
  assert.equal(rawFns.writeSysvJson(fs.openSync('/dev/null', 'w'), texts, set(1), new Uint16Array(1), 1, true, [0], ['{"x":1}'], e, 0, null, e, 0),
    Buffer.byteLength('[' + JSON.stringify({ kind: 'sem', id: 0, key: 0, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0, nsems: 1, otime: 0, ctime: 0, valuesError: { x: 1 } }) + '][][]'));
});

test('writeSysvJson: a full non-blocking pipe is waited on (EAGAIN), nothing lost; a closed reader is EPIPE', async () => {
  assertPrivateIpcNamespace();
  created.push(...make('sem', ['-n', '2000', '-s', '17', '-v', 'p']));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-pipe-'));
  try {
    const fifo = path.join(dir, 'fifo');
    run('mkfifo', [fifo]);
    const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
    const rd = fs.openSync(fifo, O_RDONLY | O_NONBLOCK);
    const wr = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
    // fill the pipe first: the first write of writeSysvJson then meets EAGAIN, whatever the reader does
    const filler = Buffer.alloc(4096, 0x20);
    let filled = 0;
    for (;;) {
      try {
        filled += fs.writeSync(wr, filler);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'EAGAIN');
        break;
      }
    }
    const out = path.join(dir, 'out');
    const reader = spawn('sh', ['-c', 'exec cat "$0" > "$1"', fifo, out], { stdio: 'ignore' });
    children.push(reader);
    const raw = native().sysv();
    const want = expectedSysvJson(raw, true, ['', '', '', '']);
    const n = native().writeSysvJson(wr, raw, true, ['', '', '', '']);
    fs.closeSync(wr);
    fs.closeSync(rd);
    await new Promise((r) => reader.on('exit', r));
    const got = fs.readFileSync(out);
    // what our own read end did not take went to cat: the filler (some of it) then every byte of the sets
    assert.equal(n, want.length);
    assert.ok(got.subarray(got.length - n).equals(want));
    assert.ok(got.length - n <= filled);

    // no reader at all: EPIPE, as an IpcError naming write(2)
    const r2 = fs.openSync(fifo, O_RDONLY | O_NONBLOCK);
    const w2 = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
    fs.closeSync(r2);
    assert.throws(() => native().writeSysvJson(w2, raw, true, ['', '', '', '']), (e: unknown) => {
      const x = e as { code?: string; syscall?: string; message?: string };
      return x.code === 'EPIPE' && x.syscall === 'write' && /Broken pipe/.test(x.message ?? '');
    });
    fs.closeSync(w2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sysvAsync (kernel reads on a worker thread) returns the same listing as sysv()', async () => {
  assertPrivateIpcNamespace();
  created.push(...make('sem', ['-n', '300', '-s', '17', '-v', 'p']));
  const pending = nativeObjectsAsync();
  const sync = nativeObjects();
  const async = await pending;
  assert.deepEqual(async.sems, sync.sems);
  assert.deepEqual(async.shms, sync.shms);
  assert.deepEqual(async.msgs, sync.msgs);
  assert.deepEqual(async.errors, []);
  const noValues = await nativeObjectsAsync({ values: false });
  assert.equal(noValues.sems.length, sync.sems.length);
  assert.ok(noValues.sems.every((s) => s.values === undefined));
});

test('sysvAsync written into a previous listing\'s buffers: the same listing as fresh buffers, nothing of the old bytes shows; small, shared or odd buffers are not used', async () => {
  assertPrivateIpcNamespace();
  // enough sets for the threaded scan (its slices are copied together in the buffers)
  const made = make('sem', ['-n', '4200', '-s', '5', '-v', 'p']);
  try {
    const fresh = await native().sysvAsync();
    const old = await native().sysvAsync();
    // what a previous listing could have left: every byte 0xab, beyond the new listing's end too
    new Uint8Array(old.sem.headers.buffer).fill(0xab);
    new Uint8Array(old.sem.values.buffer).fill(0xab);
    const again = await native().sysvAsync({ reuse: old.sem });
    assert.equal(again.sem.headers.buffer, old.sem.headers.buffer, 'the headers went into the buffer handed back');
    assert.equal(again.sem.values.buffer, old.sem.values.buffer, 'the values too');
    assert.deepEqual(again.sem.headers, fresh.sem.headers);
    assert.deepEqual(again.sem.values, fresh.sem.values);
    assert.deepEqual(again.sem.valueErrors, []);
    assert.deepEqual(decodeSysv(again, true), decodeSysv(fresh, true));
    // headers only: no values exposed
    const noValues = await native().sysvAsync({ values: false, reuse: again.sem });
    assert.deepEqual(noValues.sem.headers, fresh.sem.headers);
    assert.equal(noValues.sem.values.length, 0);

    // buffers too small for the table (a listing made before it grew) are not written: new ones are
    const small = { ...fresh.sem, headers: new Float64Array(8), values: new Uint16Array(8) };
    const grown = await native().sysvAsync({ reuse: small });
    assert.notEqual(grown.sem.headers.buffer, small.headers.buffer);
    assert.notEqual(grown.sem.values.buffer, small.values.buffer);
    assert.deepEqual(decodeSysv(grown, true), decodeSysv(fresh, true));
    assert.ok(small.headers.every((x) => x === 0) && small.values.every((x) => x === 0), 'the small buffers were left alone');
    // one buffer handed back for both: the values get their own
    const big = new ArrayBuffer(fresh.sem.headers.byteLength * 4 + fresh.sem.values.byteLength * 4);
    const shared = await native().sysvAsync({ reuse: { ...fresh.sem, headers: new Float64Array(big), values: new Uint16Array(big) } });
    assert.notEqual(shared.sem.values.buffer, shared.sem.headers.buffer);
    assert.deepEqual(decodeSysv(shared, true), decodeSysv(fresh, true));
    // anything but an ArrayBuffer is a usage error, never a write into it
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const rawFns = require(native().path) as { snapshotAsync: (...a: unknown[]) => Promise<unknown> };
    for (const args of [[true, new Float64Array(64)], [true, undefined, 'x'], [true, new SharedArrayBuffer(1 << 20)], [true, undefined, undefined, new Float64Array(8)],
      [true, undefined, undefined, undefined, 7], [true, undefined, undefined, undefined, undefined, undefined]]) {
      assert.throws(() => rawFns.snapshotAsync(...args), /Usage: snapshotAsync/, String(args));
    }
  } finally {
    removeAll(made);
  }
});

test('sysvAsync copies the segment and queue columns into buffers handed back: the same listing, nothing of the old bytes shows; small, shared or set buffers are not used', async () => {
  assertPrivateIpcNamespace();
  const made = [...make('shm', ['-n', '5', '-s', '4096']), ...make('msg', ['-n', '3']), ...make('sem', ['-n', '4', '-s', '2'])];
  try {
    const fresh = await native().sysvAsync();
    // larger than the columns and full of what an older listing could have left
    const stale = (n: number) => {
      const b = new ArrayBuffer(n * 8 + 4096);
      new Uint8Array(b).fill(0xab);
      return { count: 1, headers: new Float64Array(b) };
    };
    const reuseOthers = { shm: stale(fresh.shm.headers.length), msg: stale(fresh.msg.headers.length) };
    const again = await native().sysvAsync({ reuseOthers });
    assert.equal(again.shm.headers.buffer, reuseOthers.shm.headers.buffer, 'the segments went into the buffer handed back');
    assert.equal(again.msg.headers.buffer, reuseOthers.msg.headers.buffer, 'the queues too');
    assert.deepEqual([again.shm.count, again.msg.count], [fresh.shm.count, fresh.msg.count]);
    assert.deepEqual(again.shm.headers, fresh.shm.headers, 'exactly the rows listed: nothing beyond them shows');
    assert.deepEqual(again.msg.headers, fresh.msg.headers);
    assert.deepEqual(decodeSysv(again, true), decodeSysv(fresh, true));
    // too small: left alone, new ones made
    const small = { shm: { count: 0, headers: new Float64Array(2) }, msg: { count: 0, headers: new Float64Array(2) } };
    const grown = await native().sysvAsync({ reuseOthers: small });
    assert.notEqual(grown.shm.headers.buffer, small.shm.headers.buffer);
    assert.notEqual(grown.msg.headers.buffer, small.msg.headers.buffer);
    assert.ok(small.shm.headers.every((x) => x === 0) && small.msg.headers.every((x) => x === 0), 'the small buffers were left alone');
    assert.deepEqual(decodeSysv(grown, true), decodeSysv(fresh, true));
    // one buffer for both: the queues get their own; the buffer the sets are written into: not used for either
    const one = stale(fresh.shm.headers.length + fresh.msg.headers.length);
    const both = await native().sysvAsync({ reuseOthers: { shm: one, msg: one } });
    assert.notEqual(both.msg.headers.buffer, both.shm.headers.buffer);
    assert.deepEqual(decodeSysv(both, true), decodeSysv(fresh, true));
    const semOld = await native().sysvAsync();
    const asSets = { count: 0, headers: new Float64Array(semOld.sem.headers.buffer) };
    const crossed = await native().sysvAsync({ reuse: semOld.sem, reuseOthers: { shm: asSets, msg: asSets } });
    assert.equal(crossed.sem.headers.buffer, semOld.sem.headers.buffer);
    assert.notEqual(crossed.shm.headers.buffer, semOld.sem.headers.buffer);
    assert.notEqual(crossed.msg.headers.buffer, semOld.sem.headers.buffer);
    assert.deepEqual(decodeSysv(crossed, true), decodeSysv(fresh, true));
  } finally {
    removeAll(made);
  }
});

test('LocalSource: consecutive and overlapping refreshes equal fresh listings; an unchanged set is the previous snapshot\'s object, a changed one is new', async () => {
  assertPrivateIpcNamespace();
  const made = make('sem', ['-n', '50', '-s', '3', '-v', 'p']);
  const others = [...make('shm', ['-n', '2', '-s', '4096']), ...make('msg', ['-n', '2'])];
  try {
    // the binding as the source calls it, recording which buffers each listing was handed and wrote into
    const calls: Array<{ reuse: ArrayBufferLike | undefined; wrote?: ArrayBufferLike; done?: number; others?: ArrayBufferLike[]; wroteOthers?: ArrayBufferLike[] }> = [];
    let done = 0;
    const b0 = native();
    const spy: NativeBinding = {
      ...b0,
      sysvAsync: async (opts) => {
        const o = opts?.reuseOthers;
        const call: (typeof calls)[number] = { reuse: opts?.reuse?.headers.buffer, ...(o && { others: [o.shm.headers.buffer, o.msg.headers.buffer] }) };
        calls.push(call);
        const r = await b0.sysvAsync(opts);
        call.wrote = r.sem.headers.buffer;
        call.wroteOthers = [r.shm.headers.buffer, r.msg.headers.buffer];
        call.done = done++;
        return r;
      },
    };
    const src = new LocalSource({ noAttachers: true, load: () => ({ binding: spy, tried: [] }) });
    const expected = nativeObjects().sems;
    const s1 = await src.snapshot();
    const s2 = await src.snapshot();
    assert.deepEqual([calls[0]!.reuse, calls[1]!.reuse], [undefined, undefined], 'nothing to reuse yet: the first listing is compared with by the second');
    assert.deepEqual(s1.sems, expected);
    assert.deepEqual(s2.sems, expected);
    s2.sems.forEach((set, i) => assert.equal(set, s1.sems[i], `set ${set.id}: unchanged, the same object`));
    await src.snapshot();
    assert.equal(calls[2]!.reuse, calls[0]!.wrote, 'the third listing goes into the first one\'s buffers (the second\'s are compared with)');
    assert.equal(calls[2]!.wrote, calls[2]!.reuse);
    // two at once: the first takes the spare buffers, the second finds none and gets new ones; both whole
    const [a, b] = await Promise.all([src.snapshot(), src.snapshot()]);
    assert.equal(calls[3]!.reuse, calls[1]!.wrote);
    assert.equal(calls[4]!.reuse, undefined, 'never the buffers another listing is writing into');
    for (const c of [calls[4]!.wrote, calls[3]!.wrote]) assert.ok(![calls[2]!.wrote].includes(c), 'nor those the next refresh compares with');
    assert.notEqual(calls[4]!.wrote, calls[3]!.wrote);
    assert.deepEqual(a.sems, expected);
    assert.deepEqual(b.sems, expected);
    // segments and queues: into the last listing's buffers, never those another listing is copying into
    assert.equal(calls[0]!.others, undefined);
    for (const k of [1, 2, 3]) assert.deepEqual(calls[k]!.others, calls[k - 1]!.wroteOthers, `listing ${k}: the buffers of the one before`);
    assert.deepEqual(calls[3]!.wroteOthers, calls[3]!.others);
    assert.equal(calls[4]!.others, undefined, 'the second of two at once: none (the first took them)');
    assert.ok(calls[4]!.wroteOthers!.every((x) => !calls[3]!.wroteOthers!.includes(x)));
    const listed = nativeObjects();
    assert.deepEqual([a.shms, b.shms, a.msgs, b.msgs].map((l) => l.map((x) => x.id)), [listed.shms, listed.shms, listed.msgs, listed.msgs].map((l) => l.map((x) => x.id)));
    const next = await src.snapshot();
    // then the buffers of a listing already compared with: not those of the one of the two that ended last,
    // which the next refresh compares with
    const [, last] = [calls[3]!, calls[4]!].sort((x, y) => x.done! - y.done!);
    assert.ok([calls[2]!.wrote, calls[3]!.wrote, calls[4]!.wrote].includes(calls[5]!.reuse), 'the buffers of a listing already compared with');
    assert.notEqual(calls[5]!.reuse, last!.wrote);
    assert.deepEqual(next.sems, expected);
    // semctl(SETVAL) on one set (value and ctime change): that set is decoded anew, every other one is reused
    const target = made[7]!;
    run('python3', ['-c', `import ctypes, sys; sys.exit(ctypes.CDLL(None, use_errno=True).semctl(${target.id}, 1, 16, 4242) != 0)`]);
    const after = await src.snapshot();
    assert.deepEqual(after.sems, nativeObjects().sems);
    assert.deepEqual(after.sems.find((x) => x.id === target.id)!.values![1], 4242);
    for (const [i, set] of after.sems.entries()) {
      assert.equal(set === next.sems[i], set.id !== target.id, `set ${set.id}: reused exactly when unchanged`);
    }
    assert.deepEqual(after.shms, nativeObjects().shms);
    assert.deepEqual(after.msgs, nativeObjects().msgs);
  } finally {
    removeAll([...made, ...others]);
  }
});

/** Set ids in the order /proc/sysvipc/sem lists them (kernel slot order: an independent path). */
function procSemIds(): number[] {
  return fs.readFileSync('/proc/sysvipc/sem', 'utf8').trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
}

test('a threaded listing (slots split across threads, written in place; segments and queues beside it): every object once, in slot order, each set with its own values', async () => {
  assertPrivateIpcNamespace();
  // ipc_make's pattern: semaphore j of the i-th set made holds (i * 31 + j) % 32768
  const made = make('sem', ['-n', '5000', '-s', '3', '-v', 'p']);
  const others = [...make('shm', ['-n', '3', '-s', '4096']), ...make('msg', ['-n', '2'])];
  try {
    await listsInSlotOrder(made);
    for (const listing of [nativeObjects(), await nativeObjectsAsync()]) {
      assert.deepEqual(listing.shms.map((s) => s.id), procIds('shm'), 'the segments of /proc/sysvipc/shm, in its order');
      assert.deepEqual(listing.msgs.map((m) => m.id), procIds('msg'), 'the queues of /proc/sysvipc/msg, in its order');
      assert.deepEqual(listing.errors, []);
    }
    for (const o of others) assert.ok(procIds(o.kind as 'shm' | 'msg').includes(o.id), `${o.kind} ${o.id} listed`);
  } finally {
    removeAll([...made, ...others]);
  }
});

test('the listing planned for 1, 2, 3 and 4 cores (IPCX_NATIVE_CORES), on every CPU or one: the same columns every way, in slot order', async () => {
  assertPrivateIpcNamespace();
  // every thread plan a machine can take: one thread; two taking slots from both ends, the first listing
  // segments and queues first; three and four with fixed ranges, the middle ones copied into the gap, and
  // segments and queues on a thread of their own. The real threads run (time-sliced on fewer cores). Each
  // plan runs in a process that may use every CPU (each new thread started on another CPU than its creator,
  // then let go) and, with `taskset`, in one that may use one CPU only (no other CPU to start a thread on).
  const made = make('sem', ['-n', '5000', '-s', '3', '-v', 'p']);
  const others = [...make('shm', ['-n', '40', '-s', '4096']), ...make('msg', ['-n', '30'])];
  const lister = `
    const b = require(process.argv[1]);
    const cols = (r) => ({ sem: [r.sem.count, ...r.sem.headers, ...r.sem.values], shm: [r.shm.count, ...r.shm.headers],
      msg: [r.msg.count, ...r.msg.headers], errors: r.errors.length, valueErrors: r.sem.valueErrors.length });
    (async () => process.stdout.write(JSON.stringify([cols(b.snapshot(true)), cols(await b.snapshotAsync(true))])))();
  `;
  try {
    const want = native().sysv({ values: true });
    const expected = { sem: [want.sem.count, ...want.sem.headers, ...want.sem.values], shm: [want.shm.count, ...want.shm.headers],
      msg: [want.msg.count, ...want.msg.headers], errors: 0, valueErrors: 0 };
    assert.deepEqual(decodeSysv(want, true).sems.map((x) => x.id), procSemIds(), 'the reference is in slot order');
    const oneCpu = String(fs.readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\d+)/m)![1]);
    const plans = ['1', '2', '3', '4'].flatMap((cores) => [{ cores, cpus: 'every' }, { cores, cpus: oneCpu }]);
    for (const { cores, cpus } of plans) {
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const argv = [process.execPath, '-e', lister, native().path];
        const [cmd, ...args] = cpus === 'every' ? argv : ['taskset', '-c', cpus, ...argv];
        const child = spawn(cmd!, args, { env: { ...process.env, IPCX_NATIVE_CORES: cores }, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
      const plan = `cores=${cores} cpus=${cpus}`;
      assert.equal(r.code, 0, `${plan}: ${r.err}`);
      const [sync, async] = JSON.parse(r.out) as Array<typeof expected>;
      assert.deepEqual(sync, expected, `${plan}: snapshot()`);
      assert.deepEqual(async, expected, `${plan}: snapshotAsync()`);
    }
  } finally {
    removeAll([...made, ...others]);
  }
});

/** Segment or queue ids in /proc/sysvipc's order. */
function procIds(kind: 'shm' | 'msg'): number[] {
  return fs.readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
}

/** ipcrm of many objects in one run (one process per object takes minutes on a loaded machine). */
function removeAll(objs: Made[]): void {
  const flag = { sem: '-s', shm: '-m', msg: '-q' } as const;
  run('ipcrm', objs.flatMap((o) => [flag[o.kind], String(o.id)]));
}

async function listsInSlotOrder(made: Made[]): Promise<void> {
  const expected = new Map(made.map((m, i) => [m.id, [0, 1, 2].map((j) => (i * 31 + j) % 32768)]));
  for (const listing of [nativeObjects(), await nativeObjectsAsync()]) {
    assert.deepEqual(listing.sems.map((s) => s.id), procSemIds(), 'the sets of /proc/sysvipc/sem, in its (slot) order');
    for (const s of listing.sems) {
      const want = expected.get(s.id);
      if (want) assert.deepEqual(s.values, want, `values of set ${s.id}`);
    }
    assert.equal(listing.sems.filter((s) => expected.has(s.id)).length, made.length);
  }
}

test('sets made between sizing the buffers and the scan (more than their room): listed again, nothing lost', async () => {
  assertPrivateIpcNamespace();
  // sysvAsync sizes its buffers when called and scans when a libuv pool thread takes it: hold every pool
  // thread in an open(2) of a FIFO until the sets are made, then let the scan run
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-pool-'));
  let grown: Made[] = [];
  try {
    const poolSize = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
    const fifos = Array.from({ length: poolSize }, (_, i) => path.join(dir, `f${i}`));
    for (const f of fifos) run('mkfifo', [f]);
    const held = fifos.map((f) => fs.promises.open(f, 'r'));
    const before = nativeObjects().sems.length;
    const pending = nativeObjectsAsync();
    grown = make('sem', ['-n', String(before + 200), '-s', '2', '-v', 'p']);
    // a writer on each FIFO completes the readers' opens: the pool is free again
    const writers = fifos.map((f) => fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    const listing = await pending;
    for (const w of writers) fs.closeSync(w);
    for (const h of await Promise.all(held)) await h.close();
    assert.deepEqual(listing.sems.map((s) => s.id), procSemIds(), 'every set, the new ones included');
    assert.deepEqual(listing.sems, nativeObjects().sems);
    assert.deepEqual(listing.errors, []);
  } finally {
    if (grown.length) removeAll(grown);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('limits without SHM_INFO: the segments and their pages counted from the listing equal the kernel\'s counters; a segment the listing could not read brings SHM_INFO back', async () => {
  assertPrivateIpcNamespace();
  const page = Number(run('getconf', ['PAGESIZE']).trim());
  // sizes that round up differently: one byte, a page, a page and a byte, three pages less a byte
  const made = [1, page, page + 1, 3 * page - 1].flatMap((s) => make('shm', ['-n', '1', '-s', String(s)]));
  try {
    const b = native();
    const full = b.limits();
    const lean = b.limits({ shmInfo: false });
    for (const k of ['shmSegments', 'shmPages', 'shmRssPages', 'shmSwapPages'] as const) {
      assert.equal(typeof full[k], 'number', `limits(): ${k}`);
      assert.equal(lean[k], undefined, `limits({ shmInfo: false }): no ${k}`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const raw = require(b.path) as { limits(...a: unknown[]): Record<string, unknown> };
    assert.equal(raw.limits(false)['shmPages'], undefined);
    for (const bad of [['no'], [0], [true, true]]) assert.throws(() => raw.limits(...bad), /Usage: limits\(shmInfo\?: boolean\)/, `limits(${JSON.stringify(bad)}): a usage error, not a truthy value`);
    const sizes = fs.readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[3]));
    assert.ok([1, page, page + 1, 3 * page - 1].every((x) => sizes.includes(x)));
    assert.equal(full.shmPages, sizes.reduce((a, x) => a + Math.ceil(x / page), 0), 'the kernel\'s shm_tot: each segment\'s size rounded up to pages');
    const kernel = await new LocalSource({ noAttachers: true }).snapshot();
    const counted = await new LocalSource({ noAttachers: true, shmResidency: false }).snapshot();
    assert.deepEqual([counted.usage.shmSegments, counted.usage.shmPages], [full.shmSegments, full.shmPages]);
    assert.deepEqual([kernel.usage.shmSegments, kernel.usage.shmPages], [full.shmSegments, full.shmPages]);
    assert.equal(typeof kernel.usage.shmRssPages, 'number');
    assert.equal(counted.usage.shmRssPages, undefined);
    // the source reads only the limit files IPC_INFO does not cover: the same limits as from every file
    assert.deepEqual(counted.limits, limitsFromNative(full, readLimitFiles()).limits);
    assert.deepEqual(kernel.limits, counted.limits);
    assert.deepEqual({ ...counted.usage, shmRssPages: undefined, shmSwapPages: undefined }, { ...kernel.usage, shmRssPages: undefined, shmSwapPages: undefined });
    // a listing that reports one slot of segments unreadable (as a security module refusing one would): its
    // count would miss that segment, so the kernel's counters are read instead
    const b0 = native();
    const asked: Array<boolean | undefined> = [];
    const refusing: NativeBinding = {
      ...b0,
      limits: (opts) => (asked.push(opts?.shmInfo), b0.limits(opts)),
      sysvAsync: async (opts) => {
        const r = await b0.sysvAsync(opts);
        const hidden = r.shm.count - 1;
        return { ...r, shm: { ...r.shm, count: hidden }, errors: [...r.errors, { kind: 'shm', index: hidden, code: 'EACCES', errno: 13, syscall: 'shmctl', op: 'SHM_STAT_ANY', message: 'refused' }] };
      },
    };
    const refused = await new LocalSource({ noAttachers: true, shmResidency: false, load: () => ({ binding: refusing, tried: [] }) }).snapshot();
    assert.deepEqual(asked, [false, undefined], 'the listing\'s limits without SHM_INFO, then the kernel\'s counters');
    assert.equal(refused.shms.length, kernel.shms.length - 1);
    assert.deepEqual([refused.usage.shmSegments, refused.usage.shmPages], [full.shmSegments, full.shmPages], 'the unread segment counted');
    assert.equal(refused.errors.filter((e) => e.kind === 'shm').length, 1);
  } finally {
    removeAll(made);
  }
});

// The header column layout is written twice by necessity: the C++ core fills the columns (native/src/ipc_core.h)
// and the domain decodes them (extension/domain/sysvColumns.ts). This holds the two to the same count and
// order of fields per kind, so a column added on one side only fails here instead of shifting every field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { MSG_STRIDE, SEM_STRIDE, SHM_STRIDE, columnsSummary, decodeRow, decodeSems, limitsFromNative, type RawLimits, type RawSemColumns, type RawSysv } from '../../../extension/domain/sysvColumns';
import { FILES_BEYOND_IPC_INFO, LIMIT_FILES } from '../../../extension/domain/procParser';
import type { SemSet } from '../../../extension/shared/model';
import { sameSetsModel } from '../../helpers/sameSets';

const root = path.resolve(__dirname, '..', '..', '..');

/** `constexpr size_t NAME = N;  // a b c` or `export const NAME = N; // a b c` → [N, 'a b c']. */
function layout(file: string, name: string): [number, string] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const m = new RegExp(`\\b${name}\\s*=\\s*(\\d+);\\s*//\\s*(.+)$`, 'm').exec(text);
  assert.ok(m, `${file}: ${name} with its column comment`);
  return [Number(m[1]), m[2]!.trim()];
}

test('the native header columns and the domain decoder have the same fields per kind, in the same order', () => {
  for (const [cc, ts, stride] of [['kSemStride', 'SEM_STRIDE', SEM_STRIDE], ['kShmStride', 'SHM_STRIDE', SHM_STRIDE], ['kMsgStride', 'MSG_STRIDE', MSG_STRIDE]] as const) {
    const [n, fields] = layout('native/src/ipc_core.h', cc);
    const [m, tsFields] = layout('extension/domain/sysvColumns.ts', ts);
    assert.equal(m, stride);
    assert.equal(n, stride, `${cc} = ${n}, ${ts} = ${stride}`);
    assert.equal(fields, tsFields, `${cc} and ${ts} name their columns alike`);
    assert.equal(fields.split(/\s+/).length, stride, `${ts}: one name per column`);
  }
});

test('columnsSummary: every pid the segment and queue headers name once, ascending, without 0; whether a segment is attached', () => {
  // cpid lpid nattch at 8 9 10 of SHM_STRIDE; lspid lrpid at 10 11 of MSG_STRIDE
  const shmRow = (cpid: number, lpid: number, nattch: number) => Object.assign(new Array<number>(SHM_STRIDE).fill(0), { 8: cpid, 9: lpid, 10: nattch });
  const msgRow = (lspid: number, lrpid: number) => Object.assign(new Array<number>(MSG_STRIDE).fill(0), { 10: lspid, 11: lrpid });
  const raw = (shm: number[][], msg: number[][]): RawSysv => ({
    sem: { count: 0, headers: new Float64Array(0), values: new Uint16Array(0), valueErrors: [] },
    shm: { count: shm.length, headers: Float64Array.from(shm.flat()) },
    msg: { count: msg.length, headers: Float64Array.from(msg.flat()) },
    errors: [],
    statAny: true,
  });
  // runs of one creator, a pid coming back after another, 0 (none) in every column
  const r = raw([shmRow(9, 0, 0), shmRow(9, 0, 0), shmRow(7, 9, 0), shmRow(9, 0, 0)], [msgRow(0, 3), msgRow(12, 3), msgRow(12, 0)]);
  assert.deepEqual(columnsSummary(r), { pids: [3, 7, 9, 12], someShmAttached: false });
  assert.equal(columnsSummary(r), columnsSummary(r), 'kept per listing');
  assert.equal(columnsSummary(raw([shmRow(1, 1, 0), shmRow(1, 1, 2)], [])).someShmAttached, true);
  assert.deepEqual(columnsSummary(raw([], [])), { pids: [], someShmAttached: false });
});

// decodeSems with the previous listing's sets: the objects a refresh reuses. Reuse must never change what a
// listing decodes to: a set is the previous object only when every field and value is the same and nobody
// added detail or an error to it since.
const semRow = (id: number, over: Partial<Record<number, number>> = {}): number[] =>
  Object.assign([id, 0x100 + id, 1000, 1000, 1000, 1000, 0o600, 2, 1700000000, 1700000001], over);
const semCols = (rows: number[][], values: number[], valueErrors: RawSemColumns['valueErrors'] = []): RawSemColumns => ({
  count: rows.length, headers: Float64Array.from(rows.flat()), values: Uint16Array.from(values), valueErrors,
});

test('decodeSems reuses every set of an unchanged listing, and the result equals a fresh decode', () => {
  const c = semCols([semRow(0), semRow(32769), semRow(65538)], [1, 2, 3, 4, 5, 6]);
  for (const withValues of [true, false]) {
    const first = decodeSems(c, withValues);
    const again = decodeSems(c, withValues, first);
    assert.deepEqual(again, decodeSems(c, withValues));
    assert.notEqual(again, first, 'a new array: the previous snapshot keeps its own');
    again.forEach((s, i) => assert.equal(s, first[i], `set ${s.id} is the same object`));
  }
});

test('decodeSems decodes anew a set whose header field or value changed, and leaves the previous object as it was', () => {
  const rows = [semRow(0), semRow(32769)];
  const values = [1, 2, 3, 4];
  const first = decodeSems(semCols(rows, values), true);
  const before = structuredClone(first);
  for (let field = 0; field < SEM_STRIDE; field++) {
    if (field === 0 || field === 7) continue; // the id and nsems: below
    const changed = semCols([rows[0]!, semRow(32769, { [field]: rows[1]![field]! + 1 })], values);
    const out = decodeSems(changed, true, first);
    assert.deepEqual(out, decodeSems(changed, true), `field ${field}`);
    assert.equal(out[0], first[0]);
    assert.notEqual(out[1], first[1], `field ${field} changed: a new object`);
  }
  for (let j = 0; j < values.length; j++) {
    const changed = semCols(rows, values.map((x, k) => (k === j ? x + 1 : x)));
    const out = decodeSems(changed, true, first);
    assert.deepEqual(out, decodeSems(changed, true), `value ${j}`);
    assert.equal(out.filter((s, i) => s === first[i]).length, 1, `value ${j}: only the other set is reused`);
  }
  // a new set under an old id, with another nsems
  const grown = semCols([rows[0]!, semRow(32769, { 7: 3 })], [1, 2, 3, 4, 5]);
  assert.deepEqual(decodeSems(grown, true, first), decodeSems(grown, true));
  assert.deepEqual(first, before, 'the previous sets are never changed');
});

test('decodeSems never reuses a set given detail or an error since, nor across values read and not read, nor for a row whose values failed', () => {
  const c = semCols([semRow(0), semRow(32769), semRow(65538)], [1, 2, 3, 4, 5, 6]);
  const first = decodeSems(c, true);
  first[0]!.elems = [{ semval: 1, pid: 9, ncount: 0, zcount: 0 }, { semval: 2, pid: 9, ncount: 1, zcount: 0 }];
  first[1]!.valuesError = { code: 'EACCES', syscall: 'semctl', op: 'GETALL', message: 'denied' };
  const out = decodeSems(c, true, first);
  assert.deepEqual(out, decodeSems(c, true));
  assert.deepEqual(out.map((s, i) => s === first[i]), [false, false, true]);
  assert.ok(decodeSems(c, false, first).every((s, i) => s !== first[i]), 'headers only: no set with values is reused');
  assert.ok(decodeSems(c, true, decodeSems(c, false)).every((s) => s.values), 'values read: no set without them is reused');
  const failed = semCols([semRow(0), semRow(32769), semRow(65538)], [1, 2, 0, 0, 5, 6],
    [{ index: 1, code: 'EACCES', errno: 13, syscall: 'semctl', op: 'GETALL', id: 32769, message: 'Permission denied' }]);
  const again = decodeSems(failed, true, first);
  assert.deepEqual(again, decodeSems(failed, true));
  assert.ok(again[1]!.valuesError && again[1] !== first[1]);
});

test('decodeSems matches sets by id when the listing gained, lost or reordered sets', () => {
  const ids = [0, 32769, 65538, 98307];
  const vals = (n: number) => Array.from({ length: n * 2 }, (_, k) => k % 7);
  const first = decodeSems(semCols(ids.map((id) => semRow(id)), vals(4)), true);
  for (const now of [[0, 65538, 98307], [7, 0, 32769, 65538, 98307], [98307, 65538, 32769, 0], [32769]]) {
    // each set keeps the values it had: two per set, at its old place
    const values = now.flatMap((id) => (ids.includes(id) ? first[ids.indexOf(id)]!.values! : [9, 9]));
    const c = semCols(now.map((id) => semRow(id)), values);
    const out = decodeSems(c, true, first);
    assert.deepEqual(out, decodeSems(c, true), now.join(','));
    out.forEach((s) => assert.equal(s === first[ids.indexOf(s.id)], ids.includes(s.id), `${now.join(',')}: set ${s.id}`));
  }
});

test('property: decodeSems with any previous sets, changed in any way, equals a fresh decode', () => {
  const small = fc.integer({ min: 0, max: 2 });
  const row = fc.tuple(fc.constantFrom(0, 1, 2, 3), small, small, small, small, small, small, fc.integer({ min: 0, max: 3 }), small, small);
  const listing = fc.array(row, { maxLength: 6 }).chain((rows) =>
    fc.record({
      rows: fc.constant(rows),
      values: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: rows.reduce((n, r) => n + r[7], 0), maxLength: rows.reduce((n, r) => n + r[7], 0) }),
      failed: fc.subarray(rows.map((_, i) => i)),
      withValues: fc.boolean(),
    }));
  const change = fc.record({
    at: fc.nat(), what: fc.constantFrom('elems', 'valuesError', 'longer', 'shorter', 'value', 'field', 'drop', 'swap', 'none'), field: fc.constantFrom<keyof SemSet>('id', 'key', 'uid', 'gid', 'cuid', 'cgid', 'mode', 'nsems', 'otime', 'ctime'),
  });
  const cols = (l: { rows: number[][]; values: number[]; failed: number[] }): RawSemColumns => semCols(l.rows, l.values,
    l.failed.map((index) => ({ index, code: 'EACCES', errno: 13, syscall: 'semctl', op: 'GETALL', id: l.rows[index]![0]!, message: 'denied' })));
  // the listing now: mostly the previous one with a few rows or values edited (so that most sets could be
  // reused), sometimes another listing altogether
  type Listing = { rows: number[][]; values: number[]; failed: number[]; withValues: boolean };
  const edit = fc.record({ row: fc.nat(), field: fc.integer({ min: 0, max: SEM_STRIDE - 1 }), value: fc.nat(), to: small });
  const pair = listing.chain((was) => fc.oneof(
    { weight: 3, arbitrary: fc.record({ edits: fc.array(edit, { maxLength: 3 }), withValues: fc.oneof(fc.constant(was.withValues), fc.boolean()) }).map(({ edits, withValues }): [Listing, Listing] => {
      const rows = was.rows.map((r) => [...r]);
      const values = [...was.values];
      for (const e of edits) {
        if (rows.length && e.field !== 7) rows[e.row % rows.length]![e.field] = e.to;
        if (values.length) values[e.value % values.length] = e.to;
      }
      return [was, { rows, values, failed: was.failed, withValues }];
    }) },
    { weight: 1, arbitrary: listing.map((now): [Listing, Listing] => [was, now]) },
  ));
  fc.assert(fc.property(pair, fc.array(change, { maxLength: 4 }), ([was, now], changes) => {
    const prev = decodeSems(cols(was), was.withValues);
    for (const ch of changes) {
      if (!prev.length) break;
      const i = ch.at % prev.length;
      const s = prev[i]!;
      if (ch.what === 'elems') s.elems = [];
      else if (ch.what === 'valuesError') s.valuesError = { code: 'EIDRM', syscall: 'semctl', op: 'GETALL', message: 'gone' };
      else if (ch.what === 'longer') s.values = s.values ? [...s.values, 1] : [0];
      else if (ch.what === 'shorter' && s.values?.length) s.values = s.values.slice(0, -1);
      else if (ch.what === 'value' && s.values?.length) (s.values as number[])[0] = s.values[0]! + 1; // in place, past the type
      else if (ch.what === 'field') (s as unknown as Record<string, number>)[ch.field] = Number(s[ch.field]) + 1;
      else if (ch.what === 'drop') prev.splice(i, 1);
      else if (ch.what === 'swap') prev.push(prev.splice(i, 1)[0]!);
    }
    const c = cols(now);
    assert.deepEqual(decodeSems(c, now.withValues, prev), decodeSems(c, now.withValues));
  }), { numRuns: 2000 });

  // with the source's byte comparison of the two listings (`same`, here from the model of sameSets): the
  // previous sets stay aligned with their listing, and are changed only as the store changes them (detail
  // with the values it read, or an error)
  const detail = fc.record({ at: fc.nat(), what: fc.constantFrom('elems', 'valuesError'), semval: small });
  fc.assert(fc.property(pair, fc.array(detail, { maxLength: 4 }), ([was, now], changes) => {
    const prev = decodeSems(cols(was), was.withValues);
    for (const ch of changes) {
      if (!prev.length) break;
      const s = prev[ch.at % prev.length]!;
      if (ch.what === 'valuesError') s.valuesError = { code: 'EIDRM', syscall: 'semctl', op: 'GETALL', message: 'gone' };
      else {
        s.elems = Array.from({ length: s.nsems }, () => ({ semval: ch.semval, ncount: 0, zcount: 0, pid: 1 }));
        s.values = s.elems.map((e) => e.semval);
      }
    }
    const c = cols(now);
    const same = Int32Array.from(sameSetsModel(cols(was), c, now.withValues));
    assert.deepEqual(decodeSems(c, now.withValues, prev, same), decodeSems(c, now.withValues));
  }), { numRuns: 2000 });
});

test('decodeSems trusts a comparison only for a set of the same id and size: a row pointed at another set is decoded anew', () => {
  const c = semCols([semRow(0), semRow(32769)], [1, 2, 3, 4]);
  const prev = decodeSems(c, true);
  for (const same of [[1, 0], [-1, -1], [7, 9]]) {
    const out = decodeSems(c, true, prev, Int32Array.from(same));
    assert.deepEqual(out, decodeSems(c, true));
    assert.ok(out.every((s, i) => s !== prev[i]), same.join(','));
  }
  const wider = semCols([semRow(0, { 7: 3 }), semRow(32769)], [1, 2, 9, 3, 4]);
  assert.notEqual(decodeSems(wider, true, prev, Int32Array.from([0, 1]))[0], prev[0], 'nsems differs: not the same set');
  assert.deepEqual(decodeSems(c, true, prev, Int32Array.from([0, 1])), prev, 'pointed right: kept');
});

test('decoding keeps every header value exactly: 32-bit integers, values beyond them, negatives and non-integers alike', () => {
  // the decoders turn a 32-bit integer into a small integer (so V8 keeps it inside the object); this holds
  // that nothing else changes: a uid of 2^32 - 2, a 2038 ctime, a segment of 2^40 bytes, a negative key
  const edge = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 2, 2 ** 33 + 1, 2 ** 53 - 1, 0.5, -2.25];
  for (const [stride, decode] of [[SEM_STRIDE, 'sem'], [SHM_STRIDE, 'shm'], [MSG_STRIDE, 'msg']] as const) {
    for (let shift = 0; shift < edge.length; shift++) {
      const row = Array.from({ length: stride }, (_, k) => edge[(k + shift) % edge.length]!);
      if (decode === 'sem') row[7] = 0; // nsems: no values to read
      const o = decodeRow(decode, Float64Array.from(row)) as unknown as Record<string, unknown>;
      const fields = layout('extension/domain/sysvColumns.ts', `${decode.toUpperCase()}_STRIDE`)[1].split(/\s+/);
      fields.forEach((f, k) => assert.ok(Object.is(o[f], row[k]), `${decode}.${f}: ${String(o[f])}, column ${row[k]}`));
    }
  }
});

test('limitsFromNative: SHM_INFO\'s counters where read; else the segments of the listing, each rounded up to pages; else no usage', () => {
  const base: RawLimits = {
    semmsl: 250, semmns: 32000, semopm: 32, semmni: 128, semvmx: 32767, shmmax: 1 << 30, shmall: 1 << 20, shmmni: 4096, shmmin: 1,
    msgmax: 8192, msgmnb: 16384, msgmni: 32000, pageSize: 4096, unlimited: [], semSets: 3, semTotal: 9, msgQueues: 2, msgMessages: 5, msgBytes: 70,
  };
  const kernel = { ...base, shmSegments: 7, shmPages: 11, shmRssPages: 4, shmSwapPages: 1 };
  // three segments of 1, 4096 and 4097 bytes (1 + 1 + 2 pages)
  const headers = new Float64Array(3 * SHM_STRIDE);
  [1, 4096, 4097].forEach((size, i) => (headers[i * SHM_STRIDE + 7] = size));
  const shm = { count: 3, headers };
  const read = limitsFromNative(kernel, {}, shm).usage!;
  assert.deepEqual(Object.keys(read), ['semSets', 'semTotal', 'shmSegments', 'shmPages', 'shmRssPages', 'shmSwapPages', 'msgQueues', 'msgMessages', 'msgBytes'], 'the order the JSON has always had');
  assert.deepEqual([read.shmSegments, read.shmPages, read.shmRssPages, read.shmSwapPages], [7, 11, 4, 1], 'the kernel\'s counters win over a count');
  const counted = limitsFromNative(base, {}, shm).usage!;
  assert.deepEqual(counted, { semSets: 3, semTotal: 9, shmSegments: 3, shmPages: 4, msgQueues: 2, msgMessages: 5, msgBytes: 70 });
  // rows past the count are not segments (a buffer handed back is larger than its listing)
  assert.equal(limitsFromNative(base, {}, { count: 2, headers }).usage!.shmPages, 2);
  assert.deepEqual(limitsFromNative({ ...base, pageSize: 65536 }, {}, shm).usage!.shmPages, 3);
  assert.equal(limitsFromNative(base, {}).usage, undefined, 'nothing to count: the caller counts the objects');
  assert.equal(limitsFromNative(base, {}).limits.shmmni, 4096);
});

test('limitsFromNative takes from the limit files only FILES_BEYOND_IPC_INFO (what a source with the binding reads)', () => {
  const files = {
    'kernel/sem': '250 32000 32 128', 'kernel/shmmax': '18446744073692774399', 'kernel/shmall': '18446744073692774399', 'kernel/shmmni': '4096',
    'kernel/msgmax': '8192', 'kernel/msgmnb': '16384', 'kernel/msgmni': '32000', 'kernel/shm_rmid_forced': '1\n',
    'fs/mqueue/queues_max': '256\n', 'fs/mqueue/msg_max': '10\n', 'fs/mqueue/msgsize_max': '8192\n',
  };
  const raw: RawLimits = {
    semmsl: 1, semmns: 2, semopm: 3, semmni: 4, semvmx: 32767, shmmax: 5, shmall: 6, shmmni: 7, shmmin: 1, msgmax: 8, msgmnb: 9, msgmni: 10,
    pageSize: 4096, unlimited: [], semSets: 0, semTotal: 0, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0,
  };
  assert.ok(FILES_BEYOND_IPC_INFO.every((f) => LIMIT_FILES.includes(f)));
  const beyond = Object.fromEntries(FILES_BEYOND_IPC_INFO.map((f) => [f, files[f]]));
  const all = limitsFromNative(raw, files).limits;
  assert.deepEqual(limitsFromNative(raw, beyond).limits, all);
  assert.equal(all.shmRmidForced, true);
  assert.deepEqual(all.mqueue, { queuesMax: 256, msgMax: 10, msgsizeMax: 8192 });
  assert.equal(all.semmni, 4, 'IPC_INFO, not the file');
  // one POSIX queue file short: no mqueue limits (never a partial one)
  assert.equal(limitsFromNative(raw, { ...beyond, 'fs/mqueue/msg_max': undefined }).limits.mqueue, undefined);
});

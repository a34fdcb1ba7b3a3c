/**
 * The dashboard protocol's guards (extension/shared/dashboardProtocol.ts): the host's strict check of
 * webview input (`isWebviewToHost`; the webview is untrusted: every malformed or hostile message must be
 * rejected), object refs and the slimmed verdicts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isObjectRef, isWebviewToHost, parseObjectRef, PROTOCOL_VERSION, SLIM_SET_REASONS_ABOVE, fromSnapshotText, slimSnapshot, slimVerdicts, toWire, type HostToWebview, type WebviewToHost } from '../../../extension/shared/dashboardProtocol';

const VALID: WebviewToHost[] = [
  { type: 'ready', protocol: PROTOCOL_VERSION },
  { type: 'selectObject', ref: 'sem:32769' },
  { type: 'selectObject', ref: 'posixSem:/orders' },
  { type: 'requestDetail', kind: 'sem', id: 0 },
  { type: 'requestRecycle', kind: 'sem', id: 2147483647, key: -2147483648, ctime: 1764000000 },
  { type: 'requestRecycle', kind: 'shm', id: 5, key: 5432001, ctime: 0 },
  { type: 'copy', ref: 'msg:1', what: 'ipcrm' },
  { type: 'inspect', ref: 'posixShm:/cache' },
  { type: 'setFilter', text: '' },
  { type: 'setFilter', text: 'x'.repeat(256) },
  { type: 'refresh' },
  { type: 'selectNamespace', ns: 'ipc:[4026532181]' },
  { type: 'selectNamespace', ns: 'ipc:[4026531839]' },
];

test('accepts every well-formed message', () => {
  for (const m of VALID) assert.equal(isWebviewToHost(m), true, JSON.stringify(m));
});

test('rejects non-objects, arrays, unknown and missing types', () => {
  for (const x of [null, undefined, 0, 'ready', [], [{ type: 'ready', protocol: 1 }], {}, { type: 1 }, { type: 'Ready', protocol: 1 }, { type: 'removeObject', kind: 'sem', id: 1 }, { type: 'snapshot' }, { type: '__proto__' }]) {
    assert.equal(isWebviewToHost(x), false, JSON.stringify(x));
  }
});

test('rejects a wrong protocol version', () => {
  assert.equal(isWebviewToHost({ type: 'ready', protocol: 2 }), false);
  assert.equal(isWebviewToHost({ type: 'ready', protocol: '1' }), false);
  assert.equal(isWebviewToHost({ type: 'ready' }), false);
});

test('rejects extra fields (nothing can be smuggled to the host)', () => {
  assert.equal(isWebviewToHost({ type: 'refresh', host: 'evil' }), false);
  assert.equal(isWebviewToHost({ type: 'requestRecycle', kind: 'sem', id: 1, key: 1, ctime: 1, force: true }), false);
  assert.equal(isWebviewToHost({ type: 'copy', ref: 'sem:1', what: 'key', text: 'rm -rf /' }), false);
  assert.equal(isWebviewToHost(JSON.parse('{"type":"refresh","__proto__":{"polluted":1}}')), false);
});

test('rejects objects with a foreign prototype', () => {
  class Fake {
    type = 'refresh';
  }
  assert.equal(isWebviewToHost(new Fake()), false);
  assert.equal(isWebviewToHost(Object.create({ type: 'refresh' })), false);
});

test('numbers: integers in range only', () => {
  const base = { type: 'requestRecycle', kind: 'sem', id: 1, key: 1, ctime: 1 };
  for (const [field, bad] of [
    ['id', -1], ['id', 1.5], ['id', 2 ** 31], ['id', Number.NaN], ['id', Infinity], ['id', '1'], ['id', null],
    ['key', 2 ** 31], ['key', -(2 ** 31) - 1], ['key', 0.1], ['key', '0x10'],
    ['ctime', -1], ['ctime', 2 ** 40 + 1], ['ctime', 1e300], ['ctime', 1.25],
  ] as const) {
    assert.equal(isWebviewToHost({ ...base, [field]: bad }), false, `${field}=${String(bad)}`);
  }
  assert.equal(isWebviewToHost({ type: 'requestDetail', kind: 'sem', id: -5 }), false);
  assert.equal(isWebviewToHost({ type: 'requestDetail', kind: 'shm', id: 5 }), false, 'detail is for sets only');
});

test('kinds: SysV kinds only for recycle; no POSIX, no made-up kinds', () => {
  for (const kind of ['posixSem', 'posixShm', 'SEM', 'all', '', 'sem ']) {
    assert.equal(isWebviewToHost({ type: 'requestRecycle', kind, id: 1, key: 1, ctime: 1 }), false, kind);
  }
});

test('strings: length limits and well-formed refs only', () => {
  assert.equal(isWebviewToHost({ type: 'setFilter', text: 'x'.repeat(257) }), false);
  assert.equal(isWebviewToHost({ type: 'setFilter', text: 42 }), false);
  for (const ref of ['sem:', 'sem:-1', 'sem:01', 'sem:1.0', 'sem:99999999999', 'sem:2147483648', 'shm:1 ', ' shm:1', 'foo:1', 'posixSem:orders', 'posixSem:/a/b', 'posixSem:/', `posixSem:/${'a'.repeat(256)}`, 'posixShm:/x\u0000y', 'posixShm:/x\ny', 'sem:1;rm -rf /']) {
    assert.equal(isObjectRef(ref), false, JSON.stringify(ref));
    assert.equal(isWebviewToHost({ type: 'inspect', ref }), false, JSON.stringify(ref));
  }
  assert.equal(isWebviewToHost({ type: 'copy', ref: 'sem:1', what: 'everything' }), false);
  assert.deepEqual(parseObjectRef('sem:32769'), { kind: 'sem', id: 32769 });
  assert.deepEqual(parseObjectRef('posixSem:/orders'), { kind: 'posixSem', name: '/orders' });
  assert.equal(parseObjectRef('sem:x'), null);
});

test('slimVerdicts: set reasons left out only above the threshold; other kinds keep theirs', () => {
  const v = (ref: string) => ({ ref, state: 'orphan' as const, recyclable: true, reasons: ['why'] });
  const small = { sems: new Array(SLIM_SET_REASONS_ABOVE).fill(null) };
  const big = { sems: new Array(SLIM_SET_REASONS_ABOVE + 1).fill(null) };
  const map = new Map([['sem:1', v('sem:1')], ['shm:2', v('shm:2')]]);
  assert.deepEqual(slimVerdicts(small as never, map).map((x) => x.reasons), [['why'], ['why']]);
  assert.deepEqual(slimVerdicts(big as never, map).map((x) => x.reasons), [[], ['why']]);
  assert.deepEqual(map.get('sem:1')!.reasons, ['why'], 'the store\'s verdicts are not modified');
});

test('slimSnapshot: sets lose their values only above the threshold; headers, errors and other kinds stay; the input is unchanged', () => {
  const set = (id: number) => ({ kind: 'sem' as const, id, key: id, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, nsems: 2, otime: 0, ctime: 1, values: [1, 2] });
  const base = { version: 1, host: 'local', shms: [{ kind: 'shm', id: 9 }], msgs: [], posixSems: [], posixShms: [], errors: [], processes: {}, warnings: [] };
  const small = { ...base, sems: Array.from({ length: SLIM_SET_REASONS_ABOVE }, (_, i) => set(i)) };
  assert.equal(slimSnapshot(small as never), small);
  const big = { ...base, sems: Array.from({ length: SLIM_SET_REASONS_ABOVE + 1 }, (_, i) => set(i)) };
  const errored = { ...set(99999), values: undefined, valuesError: { code: 'EACCES', message: 'x' } };
  delete (errored as { values?: unknown }).values;
  big.sems.push(errored as never);
  const slim = slimSnapshot(big as never);
  assert.equal(slim.sems.length, big.sems.length);
  assert.ok(slim.sems.every((s) => !('values' in s)));
  const { values: _v, ...header } = set(5);
  assert.deepEqual(slim.sems[5], header);
  assert.deepEqual(slim.sems[slim.sems.length - 1], errored);
  assert.equal(slim.shms, big.shms);
  assert.deepEqual(big.sems[5]!.values, [1, 2], 'the store\'s snapshot keeps its values');
});

test('toWire: a snapshot of more than 1,500 sets goes as JSON text that fromSnapshotText turns back; everything else as it is', () => {
  const msg = (n: number): HostToWebview => ({
    type: 'snapshot', host: 'local', takenAt: 1,
    snapshot: { sems: Array.from({ length: n }, (_, i) => ({ kind: 'sem', id: i })) } as never,
    verdicts: [], capacity: [], diff: null,
  });
  const small = msg(SLIM_SET_REASONS_ABOVE);
  assert.equal(toWire(small), small);
  const focus: HostToWebview = { type: 'focus', ref: 'sem:1' };
  assert.equal(toWire(focus), focus);
  const big = msg(SLIM_SET_REASONS_ABOVE + 1);
  const wire = toWire(big);
  assert.equal(wire.type, 'snapshotText');
  assert.deepEqual(fromSnapshotText((wire as { text: string }).text), big);
  // anything else in a snapshotText is ignored, never thrown
  for (const bad of [undefined, 42, '', '{', 'null', '[]', '{"type":"focus","ref":"sem:1"}', '"snapshot"']) assert.equal(fromSnapshotText(bad), null);
});

test('selectNamespace: an IPC namespace by inode only (never a label, a host name or a path)', () => {
  for (const ns of [
    'ipc:[0]', 'ipc:[]', 'ipc:[-1]', 'ipc:[01]', 'ipc:[1.5]', `ipc:[${'9'.repeat(21)}]`, 'ipc:[1] ', ' ipc:[1]', 'ipc:[1]\n', 'net:[4026531840]',
    'docker 2403ccfe427f · postgres', 'local:ipc:[4026532181] docker', '/proc/1/ns/ipc', '4026532181', '', 42, null,
  ]) {
    assert.equal(isWebviewToHost({ type: 'selectNamespace', ns }), false, JSON.stringify(ns));
  }
  assert.equal(isWebviewToHost({ type: 'selectNamespace', ns: 'ipc:[4026532181]', host: 'local' }), false, 'no extra fields');
  assert.equal(isWebviewToHost({ type: 'selectNamespace', host: 'local' }), false);
});

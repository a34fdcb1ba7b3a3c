/**
 * The dashboard protocol's guards (extension/shared/dashboardProtocol.ts): the host's strict check of
 * webview input (`isWebviewToHost`; the webview is untrusted: every malformed or hostile message must be
 * rejected), object refs and the slimmed verdicts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromWire, isObjectRef, isSemColumns, isWebviewToHost, parseObjectRef, PROTOCOL_VERSION, SLIM_SET_REASONS_ABOVE, toWire, type HostToWebview, type WebviewToHost } from '../../../extension/shared/dashboardProtocol';
import type { IpcSnapshot, OwnerInfo, SemSet, Verdict } from '../../../extension/shared/model';

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

/** A big snapshot message as the panel posts it (the store's snapshot and verdicts, as they are). */
function bigMessage(n: number): { msg: Extract<HostToWebview, { type: 'snapshot' }>; pg: OwnerInfo } {
  const set = (id: number): SemSet => ({ kind: 'sem', id, key: 0x10000000 + id, uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o600, nsems: 17, otime: 0, ctime: 1_700_000_000 + id, values: [1, 2] });
  const pg: OwnerInfo = { app: 'postgresql', label: 'PostgreSQL, data directory /pg, postmaster PID 7 (dead)', pid: 7, pidAlive: false, evidence: ['semnum 16 = 537'] };
  const sems = Array.from({ length: n }, (_, i) => set(i));
  // what the columns cannot hold travels as it is: a key past int32, a negative uid, a fractional time,
  // per-semaphore detail, a read error
  sems[3] = { ...sems[3]!, key: 2 ** 33, uid: -1, otime: 1.5 };
  sems[4] = { ...sems[4]!, elems: [{ semval: 1, ncount: 0, zcount: 0, pid: 42 }] };
  const errored: SemSet = { ...set(n + 7), valuesError: { code: 'EACCES', message: 'x' } };
  delete errored.values;
  sems.push(errored);
  const verdicts: Verdict[] = sems.map((s, i) => ({
    ref: `sem:${s.id}`,
    state: (['live', 'orphan', 'unreadable', 'unknown'] as const)[i % 4]!,
    recyclable: i % 4 === 1,
    reasons: ['why'],
    ...(i % 10 === 0 ? { owner: { ...pg, evidence: [...pg.evidence] } } : {}),
    ...(i % 4 === 1 ? { orphanForSeconds: i } : {}),
    ...(i === 5 ? { becomesRecyclableIn: 8 } : {}),
  }));
  delete (verdicts as Partial<Verdict>[])[6]; // a set the host has no verdict for
  const all = [...verdicts.filter(Boolean), { ref: 'shm:9', state: 'orphan' as const, recyclable: false, reasons: ['kept'] }];
  const snapshot = { version: 1, host: 'local', takenAt: 5, shms: [{ kind: 'shm', id: 9 }], msgs: [], posixSems: [], posixShms: [], errors: [], processes: {}, warnings: ['w'], sems } as unknown as IpcSnapshot;
  return { msg: { type: 'snapshot', host: 'local', takenAt: 5, snapshot, verdicts: all, capacity: [], diff: { appeared: ['sem:1'], vanished: [], changed: [] } }, pg };
}

/** As VS Code carries a posted message: JSON, with every typed array's buffer sent beside it as bytes. */
function throughVsCode(m: HostToWebview): unknown {
  const buffers: ArrayBufferView[] = [];
  const json = JSON.stringify(m, (_k, v: unknown) => (ArrayBuffer.isView(v) ? { $buf: buffers.push(v) - 1, type: v.constructor.name } : v));
  return structuredClone(JSON.parse(json, (_k, v: { $buf?: number; type?: string }) => {
    if (v && typeof v === 'object' && typeof v.$buf === 'number') {
      const b = buffers[v.$buf]!;
      const T = { Int32Array, Uint32Array, Float64Array, Uint8Array }[v.type as 'Int32Array']!;
      return new T(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    return v;
  }));
}

test('toWire: a snapshot of more than 1,500 sets crosses as columns that fromWire turns back (without the sets\' values and verdict reasons); everything else as it is', () => {
  const small = bigMessage(SLIM_SET_REASONS_ABOVE - 1).msg;
  assert.equal(toWire(small), small);
  const focus: HostToWebview = { type: 'focus', ref: 'sem:1' };
  assert.equal(toWire(focus), focus);
  const { msg: big } = bigMessage(SLIM_SET_REASONS_ABOVE + 1);
  const before = JSON.stringify(big);
  const wire = toWire(big);
  assert.equal(wire.type, 'snapshotColumns');
  assert.equal(JSON.stringify(big), before, 'the store\'s snapshot and verdicts are not changed');
  const w = wire as Extract<HostToWebview, { type: 'snapshotColumns' }>;
  assert.deepEqual(w.snapshot.sems, []);
  assert.equal(w.sems.owners.length, 1, 'one owner table entry for the sets that share an owner');
  assert.ok(w.sems.extras.length <= 4, `${w.sems.extras.length} sets need extras`);
  const expected = {
    ...big,
    snapshot: { ...big.snapshot, sems: big.snapshot.sems.map(({ values: _v, ...s }) => s) },
    verdicts: [...big.verdicts.filter((v) => v.ref.startsWith('sem:')).map((v) => ({ ...v, reasons: [] })), ...big.verdicts.filter((v) => !v.ref.startsWith('sem:'))],
  };
  for (const through of [(m: HostToWebview) => m, throughVsCode, structuredClone]) {
    const back = fromWire(through(wire) as HostToWebview);
    assert.deepStrictEqual(back, expected);
  }
});

test('snapshotColumns: the page drops a message whose columns are not exactly the shape (never throws)', () => {
  const wire = toWire(bigMessage(SLIM_SET_REASONS_ABOVE + 1).msg) as Extract<HostToWebview, { type: 'snapshotColumns' }>;
  assert.ok(isSemColumns(wire.sems));
  const n = wire.sems.n;
  const bad: Array<[string, (c: Record<string, unknown>) => void]> = [
    ['n fractional', (c) => (c.n = n + 0.5)],
    ['n too large', (c) => (c.n = 2 ** 31)],
    ['a column of the wrong type', (c) => (c.key = new Float64Array(n))],
    ['a column as a plain array', (c) => (c.id = Array.from(c.id as Int32Array))],
    ['a column too short', (c) => (c.ctime = new Float64Array(n - 1))],
    ['a column missing', (c) => delete c.uid],
    ['a state out of range', (c) => ((c.state as Uint8Array)[3] = 4)],
    ['an owner index out of range', (c) => ((c.owner as Int32Array)[3] = 1)],
    ['an owner index below -1', (c) => ((c.owner as Int32Array)[3] = -2)],
    ['an owner without its label', (c) => (c.owners = [{ app: 'x', evidence: [] }])],
    ['extras out of order', (c) => (c.extras = [...(c.extras as unknown[])].reverse())],
    ['extras past the end', (c) => (c.extras = [[n, {}, {}]])],
    ['extras that change the kind', (c) => (c.extras = [[0, { kind: 'shm' }, {}]])],
    ['extras that change the ref', (c) => (c.extras = [[0, {}, { ref: 'sem:1' }]])],
    ['extras with an own __proto__', (c) => (c.extras = [[0, JSON.parse('{"__proto__": {"polluted": 1}}'), {}]])],
    ['not an object', (c) => Object.assign(c, { extras: 'x' })],
  ];
  for (const [what, spoil] of bad) {
    const sems = { ...wire.sems } as unknown as Record<string, unknown>;
    spoil(sems);
    assert.equal(isSemColumns(sems), false, what);
    assert.equal(fromWire({ ...wire, sems } as never), null, what);
  }
  for (const x of [undefined, null, 42, 'x', [], new Int32Array(3)]) assert.equal(fromWire({ ...wire, sems: x } as never), null);
  assert.equal(fromWire({ ...wire, snapshot: null } as never), null);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
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

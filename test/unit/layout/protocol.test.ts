/**
 * The host's guard on webview input (extension/shared/protocol.ts `isWebviewToHost`) and the typed host
 * messenger (extension/webviews/hostMessenger.ts). The webview is untrusted: every malformed or hostile
 * message must be rejected, and nothing may reach the host before `ready`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isObjectRef, isWebviewToHost, parseObjectRef, PROTOCOL_VERSION, SLIM_SET_REASONS_ABOVE, fromSnapshotText, slimSnapshot, slimVerdicts, toWire, type HostToWebview, type WebviewToHost } from '../../../extension/shared/protocol';
import { HostMessenger, type WebviewPort } from '../../../extension/webviews/hostMessenger';

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

function fakePort(): { port: WebviewPort; sent: HostToWebview[]; deliver(m: unknown): void } {
  const sent: HostToWebview[] = [];
  let listener: ((e: unknown) => void) | undefined;
  return {
    sent,
    port: {
      postMessage: (m) => {
        sent.push(m);
        return Promise.resolve(true);
      },
      onDidReceiveMessage: (l) => {
        listener = l;
        return { dispose: () => (listener = undefined) };
      },
    },
    deliver: (m) => listener?.(m),
  };
}

test('messenger: holds posts until ready, keeps only the newest snapshot, ignores and logs invalid input', () => {
  const f = fakePort();
  const warnings: string[] = [];
  const m = new HostMessenger(f.port, { warn: (s) => warnings.push(s) });
  const received: WebviewToHost[] = [];
  m.onMessage((x) => received.push(x));
  let readies = 0;
  m.onReady(() => readies++);
  const err: HostToWebview = { type: 'error', error: { code: 'EACCES', message: 'denied' } };
  const snap = (takenAt: number): HostToWebview =>
    ({ type: 'snapshot', host: 'local', takenAt, snapshot: {} as never, verdicts: [], capacity: [], diff: null });
  m.post(snap(1));
  m.post({ type: 'focus', ref: 'sem:1' });
  m.post(snap(2));
  m.post(err);
  assert.deepEqual(f.sent, [], 'nothing before ready');

  f.deliver({ type: 'inspect', ref: 'sem:1' });
  assert.deepEqual(received, [{ type: 'inspect', ref: 'sem:1' }], 'incoming requests are validated, not gated on ready');
  f.deliver({ type: 'requestRecycle', kind: 'sem', id: 1, key: 1, ctime: 1, force: true });
  f.deliver('rm -rf /');
  assert.equal(m.rejected, 2);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /ignored an invalid message/);

  f.deliver({ type: 'ready', protocol: 1 });
  assert.equal(readies, 1);
  assert.deepEqual(f.sent, [{ type: 'focus', ref: 'sem:1' }, snap(2), err], 'held posts in order, only the newest snapshot');
  m.post({ type: 'focus', ref: 'sem:2' });
  assert.equal(f.sent.length, 4, 'posts go straight through after ready');

  m.reset();
  m.post(err);
  assert.equal(f.sent.length, 4, 'held again after a reset (webview reloading)');
  m.dispose();
  f.deliver({ type: 'ready', protocol: 1 });
  assert.equal(f.sent.length, 4, 'nothing after dispose');
});

test('messenger: a valid request reaches the listener; a long hostile payload is logged truncated', () => {
  const f = fakePort();
  const warnings: string[] = [];
  const m = new HostMessenger(f.port, { warn: (s) => warnings.push(s) });
  const received: WebviewToHost[] = [];
  m.onMessage((x) => received.push(x));
  f.deliver({ type: 'requestDetail', kind: 'sem', id: 7 });
  assert.deepEqual(received, [{ type: 'requestDetail', kind: 'sem', id: 7 }]);
  f.deliver({ type: 'setFilter', text: 'y'.repeat(100_000) });
  assert.equal(received.length, 1);
  assert.ok(warnings[0]!.length < 300);
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

/**
 * Property-based tests of every validator of messages and settings from outside the trust boundary: what a
 * webview posts (a compromised or buggy page can post any JSON-clonable value), what settings.json holds (any
 * JSON), what a scenario file holds, and command-line arguments (any string). Every validator
 *   - never throws on any input (the CLI parsers throw their UsageError, nothing else),
 *   - accepts only what its type claims, in full: an independent checker of the accepted shape, written from
 *     the type and its doc comment, and, where a handler acts on the value, what the handler derives from it,
 *   - answers in time linear in its input (a page can post megabytes in one message),
 * host names never reach ssh as an option or with whitespace or control characters, a listen address is never
 * taken for loopback when it is not, and the obvious round trips hold.
 *
 * Generators start from valid values (so the interesting branches are reached) and break them: one field
 * replaced by anything, fields removed, extra keys (prototype keys such as `__proto__` as own properties,
 * as JSON.parse makes them), huge strings, deep nesting, every bound ±1.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { UsageError, checkHosts } from '../../../extension/cli/cliSupport';
import { parseKeyRules, parseKinds, parseSeconds } from '../../../extension/cli/commands/recycle';
import { isLoopback, parseListen } from '../../../extension/cli/commands/serve';
import { initialState, enabled, step, LIMITS, SCENARIOS, rawWords, validateScenario } from '../../../extension/domain/futex';
import { objectRef, parseObjectRule, ruleMatches } from '../../../extension/domain/verdict';
import { isConcreteHostPattern, parseHostSpec } from '../../../extension/remote/hostName';
import { parseHostsSetting } from '../../../extension/remote/hostSettings';
import {
  decodeSemColumns, encodeSemColumns, fromWire, isHostToWebview, isObjectRef, isSemColumns, isWebviewToHost, MAX_FILTER_LENGTH,
  MAX_REF_LENGTH, NO_VERDICT, parseObjectRef, PROTOCOL_VERSION, VERDICT_STATES, type HostToWebview, type SemColumns,
} from '../../../extension/shared/dashboardProtocol';
import { formatKey, formatKeyHex, parseKey } from '../../../extension/shared/format';
import { FUTEX_PROTOCOL_VERSION, isFutexHostToWebview, isFutexWebviewToHost, isSafeSvgExport, MAX_SVG_BYTES } from '../../../extension/shared/futexProtocol';
import { GLIBC_VERSIONS, MEMORY_MODELS, MODEL_IDS, OP_KINDS, type Scenario } from '../../../extension/shared/futexScenario';
import type { IpcKind, OwnerInfo, SemSet, Verdict } from '../../../extension/shared/model';
import { parseFilter, parseKeyRange } from '../../../webview/layout/filter';

const RUNS = { numRuns: 300 };
/** Records as JSON.parse and structured clone make them (fast-check also makes ones without a prototype). */
const PLAIN = { noNullPrototype: true } as const;

// ------------------------------------------------------------------------------------------ hostile values

/** A value nested `depth` levels deep: JSON.stringify and recursive checks run out of stack on it. */
function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = wrap(v);
  return v;
}
const DEEP_ARRAY = nested(20_000, (v) => [v]);
const DEEP_OBJECT = nested(20_000, (v) => ({ host: v }));

/** Numbers at and beside every bound the validators draw, and the values JSON and structured clone add. */
const edgeNumber = fc.constantFrom(
  0, -0, 1, -1, 0.5, -0.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 40 + 1,
  2 ** 53, 2 ** 53 + 2, 65535, 65536, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 1e21,
);
/** Keys that name prototype members or the validators' own fields. */
const trickyKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'type', 'kind', 'ref', 'id', 'host', '', ' type', 'Type');
const hugeString = fc.constantFrom('x'.repeat(1 << 20), '-'.repeat(70_000), '\u0000'.repeat(4096), '<'.repeat(100_000), '9'.repeat(5000));

/** Small values of every kind a page can post or a JSON file can hold (cheap to copy into a generated value). */
const shallowHostile: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.anything({ withNullPrototype: true, withBoxedValues: true, withTypedArray: true, withMap: true, withSet: true, withDate: true, withSparseArray: true }), weight: 3 },
  { arbitrary: fc.jsonValue(), weight: 3 },
  { arbitrary: edgeNumber, weight: 2 },
  { arbitrary: fc.string({ unit: 'binary' }), weight: 2 },
  { arbitrary: fc.constantFrom<unknown>(null, undefined, true, false, '', [], {}, 'sem', 'local'), weight: 1 },
);
/** Anything a page can post, settings.json can hold or a scenario file can say, weighted towards the edges. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: shallowHostile, weight: 8 },
  { arbitrary: fc.constantFrom<unknown>(DEEP_ARRAY, DEEP_OBJECT), weight: 1 },
  { arbitrary: hugeString, weight: 1 },
);

/** A short description of any value for a failure message (JSON.stringify throws on deep nesting). */
function show(x: unknown): string {
  let s: string;
  try {
    s = (JSON.stringify(x) ?? String(x)).slice(0, 200);
  } catch {
    return Object.prototype.toString.call(x);
  }
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Container = Record<string, unknown> | unknown[];
interface Mutation { at: number; key: number; op: 'replace' | 'delete' | 'add'; name: string; value: unknown }

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  key: fc.nat(),
  op: fc.constantFrom<Mutation['op']>('replace', 'replace', 'delete', 'add'),
  name: fc.oneof(trickyKey, fc.string()),
  value: fc.oneof({ arbitrary: edgeNumber, weight: 2 }, { arbitrary: fc.oneof(fc.integer(), fc.double()), weight: 1 }, { arbitrary: hostile, weight: 3 }),
});

/** The plain objects and arrays inside `v` (typed arrays, boxed values, maps ... are leaves), `v` first. */
function containers(v: unknown, out: Container[] = []): Container[] {
  if (typeof v !== 'object' || v === null) return out;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return out;
  out.push(v as Container);
  for (const x of Object.values(v)) containers(x, out);
  return out;
}

/** A copy of `base` with the mutations applied (an added key is an own property, `__proto__` included). */
function mutated(base: unknown, ms: readonly Mutation[]): unknown {
  const root = structuredClone(base);
  const spots = containers(root);
  if (!spots.length) return root;
  for (const m of ms) {
    const c = spots[m.at % spots.length]!;
    const keys = Object.keys(c);
    if (m.op === 'add' || !keys.length) {
      if (Array.isArray(c)) c.push(m.value);
      else Object.defineProperty(c, m.name, { value: m.value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const k = keys[m.key % keys.length]!;
    if (m.op === 'delete') {
      if (Array.isArray(c)) c.splice(Number(k), 1);
      else delete c[k];
    } else {
      Object.defineProperty(c, k, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

/** `base` broken by one to three mutations. */
const breaking = (base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([b, ms]) => mutated(b, ms));

/** Objects that cannot be made text (String() throws): no callable toString or valueOf, or no prototype. */
const untextable = fc.constantFrom<unknown>({ toString: '' }, { toString: 1, valueOf: 1 }, Object.create(null), [{ toString: 0 }]);

/** What a field may be replaced with: every bound ±1, other numbers, text, objects that cannot be text, anything. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: edgeNumber, weight: 3 },
  { arbitrary: edgeNumber.map((n) => n - 1), weight: 1 },
  { arbitrary: untextable, weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.integer({ min: -3, max: 3 })), weight: 2 },
  { arbitrary: fc.oneof(fc.constantFrom('', '0', '1', '-1', 'sem', 'ready', '1e3', ' 1'), fc.string()), weight: 1 },
  { arbitrary: hostile, weight: 2 },
);

/** `base` (a record) with one own field, chosen by `at`, replaced by `value`. */
const oneFieldReplaced = (base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.tuple(base, fc.nat(), fieldValue).map(([b, at, value]) => {
    const copy = structuredClone(b);
    if (typeof copy !== 'object' || copy === null) return copy;
    const keys = Object.keys(copy);
    if (keys.length) Object.defineProperty(copy, keys[at % keys.length]!, { value, enumerable: true, writable: true, configurable: true });
    return copy;
  });

/** Valid values, the same with one field replaced or otherwise broken, and anything at all. */
const aroundValid = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: oneFieldReplaced(valid), weight: 4 }, { arbitrary: breaking(valid), weight: 4 }, { arbitrary: hostile, weight: 1 });

/** Runs `f`, a call that must not throw: a throw fails the property, and fast-check shrinks the input that caused it. */
function total<T>(f: () => T): T {
  return f();
}

const isInt = (x: unknown, lo: number, hi: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
const ownKeys = (o: object): string => Object.keys(o).sort().join(',');
const isPlainRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** C0 and C1 controls and DEL (Unicode category Cc), format characters (Cf: bidi overrides, zero widths), whitespace */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\s]/u;

// ------------------------------------------------------------------------------------- dashboard: object refs

const SYSV_KINDS = ['sem', 'shm', 'msg'] as const;
const POSIX_KINDS = ['posixSem', 'posixShm'] as const;
const INT32_MAX = 2 ** 31 - 1;

/**
 * The ref grammar of model.ts and isObjectRef's doc, checked by hand: `sem|shm|msg:ID` (a canonical decimal
 * SysV id 0..2^31-1) or `posixSem|posixShm:/NAME` (one leading slash, 1..255 units without `/` or C0 control).
 */
function refIsWellFormed(x: unknown): boolean {
  if (typeof x !== 'string' || x.length > MAX_REF_LENGTH) return false;
  const colon = x.indexOf(':');
  if (colon < 0) return false;
  const kind = x.slice(0, colon);
  const rest = x.slice(colon + 1);
  if ((SYSV_KINDS as readonly string[]).includes(kind)) {
    if (rest.length === 0 || rest.length > 10) return false;
    for (const c of rest) if (c < '0' || c > '9') return false;
    return (rest === '0' || rest[0] !== '0') && Number(rest) <= INT32_MAX;
  }
  if ((POSIX_KINDS as readonly string[]).includes(kind)) {
    if (rest[0] !== '/' || rest.length < 2 || rest.length > 256) return false;
    for (let i = 1; i < rest.length; i++) {
      const u = rest.charCodeAt(i);
      if (u === 0x2f || u < 0x20) return false;
    }
    return true;
  }
  return false;
}

const sysvKind = fc.constantFrom(...SYSV_KINDS);
const sysvId = fc.integer({ min: 0, max: INT32_MAX });
/** A POSIX object's name as the host lists it: `/` and 1..255 units, no further slash, no C0 control. */
const posixName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 })
  .map((s) => `/${s.replace(/[/\u0000-\u001f]/g, '_').slice(0, 255)}`);
const validRef = fc.oneof(
  fc.tuple(sysvKind, sysvId).map(([k, id]) => `${k}:${id}`),
  fc.tuple(fc.constantFrom(...POSIX_KINDS), posixName).map(([k, n]) => `${k}:${n}`),
);
/** Refs near the grammar: wrong kinds and separators, ids with signs, exponents, leading zeros, overflow; names with slashes and controls. */
const nearRef = fc.tuple(
  fc.oneof({ arbitrary: fc.constantFrom('sem', 'shm', 'msg', 'posixSem', 'posixShm'), weight: 3 }, fc.constantFrom('SEM', 'Sem', 'pipe', '__proto__', '', 'sem ', 'posixsem')),
  fc.oneof({ arbitrary: fc.constant(':'), weight: 3 }, fc.constantFrom('::', ' :', '', ': ')),
  fc.oneof(
    sysvId.map(String),
    fc.constantFrom('2147483648', '4294967295', '99999999999', '-1', '+1', '1e3', '0x1f', ' 1', '1 ', '1\n', '007', '0', '1.0', '١', '-0', ''),
    fc.stringMatching(/^[-+0-9 .ex\n]{0,12}$/),
    fc.tuple(fc.constantFrom('/', '//', '', '/.', '/..', '/a/b', '/\u0000', '/a\n', '/\u007f', '/\u2028', '/\ud800'), fc.string({ unit: 'binary', maxLength: 20 }))
      .map(([a, b]) => a + b),
    fc.constantFrom(`/${'n'.repeat(255)}`, `/${'n'.repeat(256)}`, `/${'n'.repeat(400)}`),
  ),
).map(([k, sep, rest]) => `${k}${sep}${rest}`);
/** A valid ref with a character that breaks the grammar put in anywhere. */
const brokenRef = fc.tuple(validRef, fc.nat(), fc.constantFrom('/', '\u0000', '\n', '\u001f', ':', ' ', '0', '-', '+', '.', 'e', '\u007f', '\u2028', '\ud800'))
  .map(([r, at, c]) => r.slice(0, at % (r.length + 1)) + c + r.slice(at % (r.length + 1)));
const anyRef: fc.Arbitrary<unknown> = fc.oneof(validRef, nearRef, brokenRef, fc.string({ unit: 'binary' }), hostile);

test('object refs: isObjectRef accepts exactly the documented grammar; parseObjectRef agrees and never throws', () => {
  fc.assert(fc.property(anyRef, (x) => {
    const ok = total(() => isObjectRef(x));
    assert.equal(ok, refIsWellFormed(x), `isObjectRef(${show(x)})`);
    if (typeof x !== 'string') return;
    const p = total(() => parseObjectRef(x));
    if (!ok) return assert.equal(p, null);
    assert.ok(p);
    const colon = x.indexOf(':');
    assert.equal(p.kind, x.slice(0, colon));
    if ('id' in p) {
      assert.ok(isInt(p.id, 0, INT32_MAX));
      assert.equal(`${p.kind}:${p.id}`, x);
    } else {
      assert.equal(p.name, x.slice(colon + 1));
      assert.ok(p.name.startsWith('/') && !p.name.slice(1).includes('/') && !p.name.includes('\u0000'));
    }
  }), { numRuns: 1000 });
});

test('object refs: the ref the host makes of an object parses back to its kind and id or name', () => {
  fc.assert(fc.property(sysvKind, sysvId, fc.constantFrom(...POSIX_KINDS), posixName, (k, id, pk, name) => {
    const base = { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, key: 0 };
    const sysv = objectRef({ ...base, kind: k, id } as never);
    assert.deepEqual(parseObjectRef(sysv), { kind: k, id });
    const posix = objectRef({ kind: pk, name } as never);
    assert.deepEqual(parseObjectRef(posix), { kind: pk, name });
  }), RUNS);
});

// ------------------------------------------------------------------------------------ dashboard: page -> host

const COPY_WHATS = ['key', 'id', 'ipcrm', 'json', 'name'];

/**
 * The WebviewToHost union checked by hand: exactly the keys of one member, each of its type and range (a
 * request's numbers are integers in the kernel's ranges: ids 0..2^31-1, keys signed 32-bit, times 0..2^40).
 */
function isDashboardMessage(m: unknown): boolean {
  if (!isPlainRecord(m)) return false;
  const keys = ownKeys(m);
  switch (m.type) {
    case 'ready':
      return keys === 'protocol,type' && m.protocol === PROTOCOL_VERSION;
    case 'selectObject':
    case 'inspect':
      return keys === 'ref,type' && refIsWellFormed(m.ref);
    case 'copy':
      return keys === 'ref,type,what' && refIsWellFormed(m.ref) && COPY_WHATS.includes(m.what as string);
    case 'requestDetail':
      return keys === 'id,kind,type' && m.kind === 'sem' && isInt(m.id, 0, INT32_MAX);
    case 'requestRecycle':
      return keys === 'ctime,id,key,kind,type' && (SYSV_KINDS as readonly unknown[]).includes(m.kind) && isInt(m.id, 0, INT32_MAX) &&
        isInt(m.key, -(2 ** 31), INT32_MAX) && isInt(m.ctime, 0, 2 ** 40);
    case 'setFilter':
      return keys === 'text,type' && typeof m.text === 'string' && m.text.length <= MAX_FILTER_LENGTH;
    case 'selectNamespace':
      return keys === 'ns,type' && typeof m.ns === 'string' && /^ipc:\[[1-9][0-9]*\]$/.test(m.ns) && m.ns.length <= 'ipc:[]'.length + 20;
    case 'refresh':
    case 'requestRecycleOrphans':
      return keys === 'type';
    default:
      return false;
  }
}

const validDashboardMessage: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constant({ type: 'ready', protocol: PROTOCOL_VERSION }),
  validRef.map((ref) => ({ type: 'selectObject', ref })),
  validRef.map((ref) => ({ type: 'inspect', ref })),
  fc.tuple(validRef, fc.constantFrom(...COPY_WHATS)).map(([ref, what]) => ({ type: 'copy', ref, what })),
  sysvId.map((id) => ({ type: 'requestDetail', kind: 'sem', id })),
  fc.record({
    type: fc.constant('requestRecycle'), kind: sysvKind, id: sysvId, key: fc.integer({ min: -(2 ** 31), max: INT32_MAX }),
    ctime: fc.bigInt({ min: 0n, max: 2n ** 40n }).map(Number),
  }, PLAIN),
  fc.constant({ type: 'requestRecycleOrphans' }),
  fc.constant({ type: 'refresh' }),
  fc.string({ unit: 'binary', maxLength: MAX_FILTER_LENGTH }).map((text) => ({ type: 'setFilter', text: text.slice(0, MAX_FILTER_LENGTH) })),
  fc.bigInt({ min: 1n, max: 10n ** 20n - 1n }).map((n) => ({ type: 'selectNamespace', ns: `ipc:[${n}]` })),
);

test('dashboard page -> host: every well-formed message is accepted', () => {
  fc.assert(fc.property(validDashboardMessage, (m) => {
    assert.equal(isDashboardMessage(m), true, JSON.stringify(m));
    assert.equal(isWebviewToHost(m), true, JSON.stringify(m));
  }), RUNS);
});

test('dashboard page -> host: never throws; what it accepts is exactly one message shape, and what the handlers derive is well-formed', () => {
  const withBrokenRef = fc.tuple(fc.constantFrom('selectObject', 'inspect', 'copy'), brokenRef).map(([type, ref]) => (type === 'copy' ? { type, ref, what: 'id' } : { type, ref }));
  fc.assert(fc.property(fc.oneof(aroundValid(validDashboardMessage), withBrokenRef), (m) => {
    const ok = total(() => isWebviewToHost(m));
    if (!ok) return;
    assert.ok(isDashboardMessage(m), `accepted: ${show(m)}`);
    const msg = m as Record<string, unknown>;
    // the recycle handler looks the object up by `${kind}:${id}` and passes {ref, key, ctime} to the guarded command
    if (msg.type === 'requestRecycle') {
      const ref = `${String(msg.kind)}:${String(msg.id)}`;
      assert.ok(isObjectRef(ref), ref);
      assert.deepEqual(parseObjectRef(ref), { kind: msg.kind, id: Object.is(msg.id, -0) ? 0 : msg.id });
    }
    if (msg.type === 'requestDetail') assert.ok(isObjectRef(`sem:${String(msg.id)}`));
  }), { numRuns: 3000 });
});

// ------------------------------------------------------------------------------------ dashboard: host -> page

const HOST_TYPES = ['namespaces', 'snapshot', 'detail', 'didRecycle', 'focus', 'error', 'snapshotColumns'];

/** Stray window messages: the page's guard lets through only the host's message types; fromWire never throws on them. */
test('dashboard host -> page: the guard and fromWire never throw; only known types pass', () => {
  const columnsMessage = fc.record({
    type: fc.constant('snapshotColumns'), host: fc.constant('local'), takenAt: fc.nat(), snapshot: fc.jsonValue(), verdicts: fc.jsonValue(),
    capacity: fc.constant([]), diff: fc.constant(null), sems: fc.jsonValue(),
  });
  fc.assert(fc.property(fc.oneof(hostile, breaking(columnsMessage), fc.constantFrom(...HOST_TYPES).map((type) => ({ type }))), (x) => {
    if (!total(() => isHostToWebview(x))) return;
    assert.ok(HOST_TYPES.includes((x as { type: string }).type));
    const out = total(() => fromWire(x as HostToWebview));
    if (out === null) return assert.equal((x as { type: string }).type, 'snapshotColumns');
    assert.ok(HOST_TYPES.includes(out.type));
    if ((x as { type: string }).type === 'snapshotColumns') assert.equal(out.type, 'snapshot');
  }), RUNS);
});

// A big snapshot's sets as columns (encodeSemColumns on the host, isSemColumns + decodeSemColumns on the page).

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const i32 = fc.integer({ min: -(2 ** 31), max: INT32_MAX });
/** a number a column may not hold: it travels in the extras */
const odd = fc.constantFrom(2 ** 31, -1, 0.5, 2 ** 40, -(2 ** 31) - 1);
const owner: fc.Arbitrary<OwnerInfo> = fc.record({ app: fc.constantFrom('postgresql', 'redis'), label: fc.string(), evidence: fc.array(fc.string(), { maxLength: 2 }) }, PLAIN);
const semSetAndVerdict = fc.record({
  id: fc.oneof(sysvId, odd), key: fc.oneof(i32, odd), nsems: fc.oneof(fc.integer({ min: 1, max: 32000 }), odd), mode: fc.integer({ min: 0, max: 0o1777 }),
  uid: fc.oneof(u32, odd), gid: u32, cuid: u32, cgid: u32, otime: fc.oneof(fc.nat(), fc.double()), ctime: fc.nat(),
  values: fc.option(fc.array(fc.nat({ max: 32767 }), { maxLength: 3 }), { nil: undefined }),
  elems: fc.option(fc.array(fc.record({ semval: fc.nat(), ncount: fc.nat(), zcount: fc.nat(), pid: fc.nat() }, PLAIN), { maxLength: 2 }), { nil: undefined }),
  verdict: fc.option(fc.record({
    state: fc.constantFrom(...VERDICT_STATES), recyclable: fc.boolean(), owner: fc.option(owner, { nil: undefined }),
    orphanForSeconds: fc.option(fc.nat(), { nil: undefined }), becomesRecyclableIn: fc.option(fc.nat(), { nil: undefined }),
  }, PLAIN), { nil: undefined }),
}, PLAIN);

type SetRow = typeof semSetAndVerdict extends fc.Arbitrary<infer T> ? T : never;

function setsOf(rows: SetRow[]): { sems: SemSet[]; verdicts: Verdict[] } {
  const sems: SemSet[] = [];
  const verdicts: Verdict[] = [];
  rows.forEach((r) => {
    const s: SemSet = { kind: 'sem', id: r.id, key: r.key, nsems: r.nsems, mode: r.mode, uid: r.uid, gid: r.gid, cuid: r.cuid, cgid: r.cgid, otime: r.otime, ctime: r.ctime };
    if (r.values) s.values = r.values;
    if (r.elems) s.elems = r.elems;
    sems.push(s);
    if (r.verdict) {
      const v: Verdict = { ref: `sem:${s.id}`, state: r.verdict.state, recyclable: r.verdict.recyclable, reasons: ['a reason'] };
      if (r.verdict.owner) v.owner = r.verdict.owner;
      if (r.verdict.orphanForSeconds !== undefined) v.orphanForSeconds = r.verdict.orphanForSeconds;
      if (r.verdict.becomesRecyclableIn !== undefined) v.becomesRecyclableIn = r.verdict.becomesRecyclableIn;
      verdicts.push(v);
    }
  });
  return { sems, verdicts };
}

const uniqueSets = fc.uniqueArray(semSetAndVerdict, { maxLength: 12, selector: (r) => r.id });

test('semaphore columns: decode(encode(sets)) gives the sets back (without values) and their verdicts (without reasons)', () => {
  fc.assert(fc.property(uniqueSets, (rows) => {
    const { sems, verdicts } = setsOf(rows);
    const c = encodeSemColumns(sems, verdicts);
    assert.equal(isSemColumns(c), true);
    const back = decodeSemColumns(c);
    assert.deepEqual(back.sems, sems.map(({ values: _values, ...rest }) => rest));
    assert.deepEqual(back.verdicts, verdicts.map((v) => ({ ...v, reasons: [] })));
  }), RUNS);
});

test('semaphore columns: the page\'s check never throws, and what it passes decodes without throwing or touching prototypes', () => {
  const encoded = uniqueSets.map((rows) => {
    const { sems, verdicts } = setsOf(rows);
    return encodeSemColumns(sems, verdicts);
  });
  // extras as JSON.parse makes them (`__proto__` an own key), or with any value in the fields they carry
  const parsedExtra = fc.constantFrom('{"__proto__":{"polluted":1}}', '{"kind":"shm"}', '{"constructor":{"prototype":{"polluted":1}}}', '{"id":"x"}', '{"id":{"toString":""}}')
    .map((json) => JSON.parse(json) as Record<string, unknown>);
  const extra = fc.oneof(parsedExtra, fc.dictionary(fc.oneof(trickyKey, fc.constantFrom('id', 'key', 'uid', 'otime', 'elems', 'state', 'owner')), fieldValue, { maxKeys: 3 }));
  const extrasAttack = fc.tuple(encoded, extra, extra).map(([c, e1, e2]) => ({ ...c, extras: c.n ? [[0, e1, e2]] : [] }));
  fc.assert(fc.property(fc.oneof(breaking(encoded), extrasAttack, hostile), (c) => {
    if (!total(() => isSemColumns(c))) return;
    const cols = c as SemColumns;
    const { sems, verdicts } = total(() => decodeSemColumns(cols));
    assert.equal(sems.length, cols.n);
    let withVerdict = 0;
    for (let i = 0; i < cols.n; i++) if (cols.state[i] !== NO_VERDICT) withVerdict++;
    assert.equal(verdicts.length, withVerdict);
    for (const s of sems) {
      assert.equal(s.kind, 'sem');
      assert.equal(Object.getPrototypeOf(s), Object.prototype);
    }
    for (const v of verdicts) {
      assert.ok(v.ref.startsWith('sem:'));
      assert.equal(Object.getPrototypeOf(v), Object.prototype);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');
  }), RUNS);
});

// ------------------------------------------------------------------------------------------- futex visualizer

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

/** A run of text and how it is written in the document: as it is (escaped where XML requires) or as character references. */
interface Piece { text: string; enc: 'raw' | 'dec' | 'hex' }
interface XmlAttr { name: string; value: Piece[]; quote: '"' | '\''; sep: string; eq: string }
interface XmlEl { prefix: string | null; ns: string | null; name: string; attrs: XmlAttr[]; children: (XmlEl | Piece[])[]; selfClose: boolean }

function writeChar(c: string, enc: Piece['enc'], quote: string | null): string {
  if (enc === 'dec') return `&#${c.codePointAt(0)};`;
  if (enc === 'hex') return `&#x${c.codePointAt(0)!.toString(16)};`;
  if (c === '<') return '&lt;';
  if (c === '&') return '&amp;';
  if (c === quote) return c === '"' ? '&quot;' : '&apos;';
  return c;
}
const writePieces = (ps: Piece[], quote: string | null): string => ps.map((p) => [...p.text].map((c) => writeChar(c, p.enc, quote)).join('')).join('');
/** The value an XML parser reads: a literal tab or line break in an attribute becomes a space, a reference stays what it names. */
const attrValue = (ps: Piece[]): string => ps.map((p) => (p.enc === 'raw' ? p.text.replace(/[\t\n\r]/g, ' ') : p.text)).join('');

function writeEl(e: XmlEl, root = false): string {
  const qname = e.prefix ? `${e.prefix}:${e.name}` : e.name;
  const decl = e.ns === null ? '' : e.prefix ? ` xmlns:${e.prefix}="${e.ns}"` : ` xmlns="${e.ns}"`;
  const attrs = e.attrs.map((a) => `${a.sep}${a.name}${a.eq}${a.quote}${writePieces(a.value, a.quote)}${a.quote}`).join('');
  const open = `<${qname}${decl}${root ? ` xmlns:xlink="${XLINK_NS}"` : ''}${attrs}`;
  if (e.selfClose && !e.children.length) return `${open}/>`;
  const inner = e.children.map((c) => (Array.isArray(c) ? writePieces(c, null) : writeEl(c))).join('');
  return `${open}>${inner}</${qname}>`;
}

/** After the URL parser drops tabs and line breaks and leading controls and spaces: does the value run script? */
const isScriptUrl = (v: string): boolean => /^javascript:/i.test(v.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+/, ''));

/**
 * Whether a browser that opens the document runs script from it, judged on the tree (not on the text): an
 * SVG or XHTML <script>, an SVG <foreignObject>, an XHTML <iframe srcdoc> (an XHTML element is live HTML
 * wherever it stands in the document), an event-handler attribute, a javascript: URL in any attribute.
 */
function runsScript(e: XmlEl, inheritedNs: string | null): boolean {
  const ns = e.prefix ? e.ns : e.ns ?? inheritedNs;
  if ((ns === SVG_NS || ns === XHTML_NS) && e.name === 'script') return true;
  if (ns === SVG_NS && e.name === 'foreignObject') return true;
  if (ns === XHTML_NS && e.name === 'iframe' && e.attrs.some((a) => a.name === 'srcdoc')) return true;
  for (const a of e.attrs) {
    if (/^on[a-z]+$/.test(a.name) && (ns === SVG_NS || ns === XHTML_NS)) return true;
    if (isScriptUrl(attrValue(a.value))) return true;
  }
  const childNs = e.prefix ? inheritedNs : ns;
  return e.children.some((c) => !Array.isArray(c) && runsScript(c, childNs));
}

const sepArb = fc.constantFrom(' ', '\n', '\t', '  ', ' \r\n ');
const eqArb = fc.constantFrom('=', ' = ', '\n=\n');
/** Runs of `texts`, the characters that delimit XML's tags and values as likely as all the others together. */
const pieces = (texts: readonly string[], encs: readonly Piece['enc'][]): fc.Arbitrary<Piece[]> =>
  fc.array(fc.record({ text: fc.oneof(fc.constantFrom(...texts), fc.constantFrom('>', '"', '\'', '<')), enc: fc.constantFrom(...encs) }), { maxLength: 5 });

const HOSTILE_VALUE_TEXTS = ['javascript:', 'JaVaScRiPt:', 'java', 'script:', 'alert(1)', ':', 'j', '\t', '\n', ' ', '>', '"', '\'', '&', 'x', '#a', ' onload=', '10', SVG_NS, XHTML_NS];
const HOSTILE_TEXTS = ['it\'s', '"', '>', '<', '&', 'x', ' onload="alert(1)"', '<script>'];

const hostileTree: fc.Arbitrary<XmlEl> = fc.letrec<{ el: XmlEl }>((tie) => ({
  el: fc.record({
    prefix: fc.option(fc.constantFrom('svg', 'h', 'x'), { nil: null }),
    ns: fc.option(fc.constantFrom(SVG_NS, XHTML_NS, 'urn:x-other'), { nil: null }),
    name: fc.oneof(fc.constantFrom('g', 'text', 'a', 'use', 'set', 'div'), fc.constantFrom('script', 'foreignObject', 'iframe')),
    attrs: fc.array(fc.record({
      name: fc.oneof(fc.constantFrom('x', 'href', 'xlink:href', 'to', 'title', 'ONLOAD', 'one', 'on'), fc.constantFrom('srcdoc', 'onload', 'onclick')),
      value: pieces(HOSTILE_VALUE_TEXTS, ['raw', 'dec', 'hex']),
      quote: fc.constantFrom<XmlAttr['quote']>('"', '\''), sep: sepArb, eq: eqArb,
    }), { maxLength: 3 }),
    children: fc.array(fc.oneof({ depthSize: 'small' }, pieces(HOSTILE_TEXTS, ['raw', 'dec']), tie('el')), { maxLength: 2 }),
    selfClose: fc.boolean(),
  }).map((e) => (e.prefix && e.ns === null ? { ...e, ns: 'urn:x-other' } : e)),
})).el;

/** The exporter's own output: SVG elements, presentation attributes, XMLSerializer's escaping. */
const BENIGN_VALUE_TEXTS = ['10', 'rgb(0, 0, 0)', '"Segoe UI", sans-serif', 'it\'s', '>', '<', '&', '\n', '\t', ' one=1', 'M 0 0 L 10 5 z', 'ó', '◀', 'on'];
const BENIGN_TEXTS = ['it\'s', 'a "b"', 'x > y', 'T1 < T2', '&', 'on x = 1', 'online=3', 'sem_post', '◀ Back', 'T1'];
function xmlSerializerAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
const xmlSerializerText = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
interface BenignEl { name: string; attrs: [string, string][]; children: (BenignEl | string)[] }
const benignTree: fc.Arbitrary<BenignEl> = fc.letrec<{ el: BenignEl }>((tie) => ({
  el: fc.record({
    name: fc.constantFrom('g', 'rect', 'text', 'path', 'line', 'circle', 'title', 'defs', 'marker'),
    attrs: fc.uniqueArray(fc.tuple(
      fc.constantFrom('x', 'fill', 'd', 'data-step', 'font-family', 'stroke-dasharray', 'class', 'opacity', 'orient'),
      fc.array(fc.constantFrom(...BENIGN_VALUE_TEXTS), { maxLength: 4 }).map((a) => a.join('')),
    ), { maxLength: 4, selector: (a) => a[0] }),
    children: fc.array(fc.oneof({ depthSize: 'small' }, fc.array(fc.constantFrom(...BENIGN_TEXTS), { maxLength: 3 }).map((a) => a.join('')), tie('el')), { maxLength: 3 }),
  }),
})).el;
function writeBenign(e: BenignEl, root = false): string {
  const attrs = (root ? [['xmlns', SVG_NS] as [string, string], ['width', '10'] as [string, string]] : []).concat(e.attrs);
  const open = `<${e.name}${attrs.map(([n, v]) => ` ${n}="${xmlSerializerAttr(v)}"`).join('')}`;
  if (!e.children.length) return `${open}/>`;
  return `${open}>${e.children.map((c) => (typeof c === 'string' ? xmlSerializerText(c) : writeBenign(c))).join('')}</${e.name}>`;
}
const benignSvg = benignTree.map((t) => writeBenign({ ...t, name: 'svg' }, true));

/** The page's own file names (webview/futex/main.ts) and names near them. */
const validSvgName = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}\.svg$/),
  fc.tuple(fc.constantFrom(...SCENARIOS.map((s) => s.id)), fc.constantFrom(...MODEL_IDS), fc.nat({ max: 2000 })).map(([id, m, n]) => `futex-${id}-${m}-${n}-steps.svg`),
);
const nearSvgName = fc.tuple(
  fc.array(fc.constantFrom('a', 'Z', '0', '.', '..', '-', '_', '/', '\\', '\u0000', '\n', ' ', '.svg', 'svg', 'CON', '%2e', '\u202e', 'é'), { maxLength: 8 }),
  fc.constantFrom('.svg', '.svg', '', '.SVG', '.svg ', '.svg/', '.svg\u0000'),
).map(([a, end]) => a.join('') + end);

/**
 * A name the save dialog may offer in the workspace folder: one plain file name (no separator of POSIX or
 * Windows, not `.` or `..`, nothing that reads as an option or hides characters), an .svg.
 */
function isPlainSvgFileName(n: string): boolean {
  return n.length > 4 && n.length <= 255 && path.posix.basename(n) === n && path.win32.basename(n) === n && n !== '.' && n !== '..' &&
    !n.includes('/') && !n.includes('\\') && !n.startsWith('-') && !n.startsWith('.') && !UNPRINTABLE.test(n) && n.toLowerCase().endsWith('.svg');
}

test('SVG export: the page\'s own diagrams are accepted (XMLSerializer\'s escaping, text with quotes and "on x = 1")', () => {
  fc.assert(fc.property(validSvgName, benignSvg, (name, svg) => {
    assert.equal(isSafeSvgExport(name, svg), true, svg);
  }), RUNS);
});

test('SVG export: no document that runs script when opened is accepted, whatever its XML spelling', () => {
  const doc = fc.tuple(hostileTree, fc.array(fc.record({
    name: fc.constantFrom('width', 'onload', 'viewBox', 'href'), value: pieces(HOSTILE_VALUE_TEXTS, ['raw', 'dec']),
    quote: fc.constantFrom<XmlAttr['quote']>('"', '\''), sep: sepArb, eq: eqArb,
  }), { maxLength: 2 })).map(([child, rootAttrs]) => {
    const root: XmlEl = { prefix: null, ns: SVG_NS, name: 'svg', attrs: rootAttrs, children: [child], selfClose: false };
    return { root, text: writeEl(root, true) };
  });
  fc.assert(fc.property(validSvgName, doc, (name, { root, text }) => {
    if (runsScript(root, null)) assert.equal(isSafeSvgExport(name, text), false, text);
  }), { numRuns: 3000 });
});

test('SVG export: a name is accepted only as one plain .svg file name in the folder', () => {
  fc.assert(fc.property(fc.oneof(validSvgName, { arbitrary: nearSvgName, weight: 3 }, fc.string({ unit: 'binary' })), benignSvg, (name, svg) => {
    if (total(() => isSafeSvgExport(name, svg))) assert.ok(isPlainSvgFileName(name), show(name));
  }), { numRuns: 500 });
});

// A hang guard, not a speed goal (those live in npm run bench): on a megabyte of such input a check quadratic in
// the document runs for many minutes (a backtracking pattern took 9 s on 100,000 '<'), a linear one for tens of
// milliseconds; the test's timeout, far above the linear time on any machine, is what fails.
test('SVG export: the check is linear in the document (a page can post 8 MB), never stuck on XML\'s special characters', { timeout: 120_000 }, () => {
  // a short run of XML's special characters repeated: a backtracking pattern spends time quadratic in such input
  const fragment = fc.array(fc.constantFrom('<', '>', '"', '\'', ' ', '=', 'on', 'a', '&#', ';', ':', '/', '\n'), { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
  fc.assert(fc.property(fragment, fc.constantFrom('<svg ', '<svg>'), (f, head) => {
    const svg = head + f.repeat(Math.ceil(1_000_000 / f.length));
    assert.equal(typeof total(() => isSafeSvgExport('x.svg', svg)), 'boolean');
  }), { numRuns: 20 });
});

const validFutexMessage: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constant({ type: 'ready', protocol: FUTEX_PROTOCOL_VERSION }),
  fc.constant({ type: 'refreshLive' }),
  fc.tuple(validSvgName, benignSvg).map(([name, svg]) => ({ type: 'saveSvg', name, svg })),
);

test('futex page -> host: never throws; accepts exactly one message shape, a save only of a plain name and an <svg> document', () => {
  fc.assert(fc.property(aroundValid(validFutexMessage), (m) => {
    if (!total(() => isFutexWebviewToHost(m))) return;
    assert.ok(isPlainRecord(m));
    const keys = ownKeys(m);
    if (m.type === 'ready') assert.ok(keys === 'protocol,type' && m.protocol === FUTEX_PROTOCOL_VERSION);
    else if (m.type === 'refreshLive') assert.equal(keys, 'type');
    else {
      assert.equal(m.type, 'saveSvg');
      assert.equal(keys, 'name,svg,type');
      assert.ok(typeof m.name === 'string' && isPlainSvgFileName(m.name), String(m.name));
      assert.ok(typeof m.svg === 'string' && m.svg.length <= MAX_SVG_BYTES && /^<svg[\t\n\r >]/.test(m.svg));
    }
  }), { numRuns: 500 });
  fc.assert(fc.property(validFutexMessage, (m) => assert.equal(isFutexWebviewToHost(m), true)), RUNS);
});

test('futex host -> page: the guard never throws and passes only `open` and `error`', () => {
  fc.assert(fc.property(fc.oneof(hostile, fc.constantFrom('open', 'error', 'ready', '__proto__').map((type) => ({ type }))), (x) => {
    if (total(() => isFutexHostToWebview(x))) assert.ok(['open', 'error'].includes((x as { type: string }).type));
  }), RUNS);
});

// ------------------------------------------------------------------------------------------- futex scenarios

const baseScenario = fc.constantFrom(...SCENARIOS).map((s) => JSON.parse(JSON.stringify(s)) as unknown);

/** Scenarios as a person writes them: mostly valid, each field now and then just past its limit or of another type. */
const mostly = <T>(valid: fc.Arbitrary<T>, ...wrong: unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: fc.constantFrom(...wrong), weight: 1 });
const num = (lo: number, hi: number, ...wrong: unknown[]): fc.Arbitrary<unknown> =>
  mostly(fc.integer({ min: lo, max: hi }), lo - 1, hi + 1, 0.5, '1', null, ...wrong);
const writtenOp = fc.oneof(
  { arbitrary: mostly(fc.constantFrom('sem_post', 'sem_wait', 'sem_trywait', 'sem_timedwait', 'sem_getvalue', 'sem_destroy', 'free'), 'sem_open', 'constructor'), weight: 4 },
  fc.record({
    op: fc.constantFrom(...OP_KINDS), value: num(0, 3, 2 ** 32, LIMITS.value + 1),
    word: mostly(fc.constantFrom('value', 'nwaiters', 'private'), 'data', 'counter', 'x'), clock: mostly(fc.constantFrom('monotonic', 'realtime'), 'tai'),
  }, { requiredKeys: ['op'], noNullPrototype: true }),
);
const writtenThread = fc.record({
  name: mostly(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,11}$/), '1a', '_a', 'a-b', '', 'Abcdefghijklm'),
  ops: fc.oneof({ arbitrary: fc.array(writtenOp, { maxLength: 3 }), weight: 6 }, fc.array(writtenOp, { minLength: LIMITS.ops, maxLength: LIMITS.ops + 1 })),
  cancel: mostly(fc.boolean(), 1, 'yes'), stopOnFail: mostly(fc.boolean(), 1), registered: mostly(fc.constant(false), true, 1),
  process: num(0, LIMITS.threads, -1),
}, { requiredKeys: ['name', 'ops'], noNullPrototype: true });
const writtenScenario = fc.record({
  id: mostly(fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/), '', 'a b', 'x'.repeat(41), '../x'),
  title: mostly(fc.string({ maxLength: 20 }), 't'.repeat(201), 1), description: mostly(fc.string(), 'd'.repeat(2001)),
  model: mostly(fc.constantFrom(...MODEL_IDS), 'glibc'),
  initial: fc.record({ value: num(0, 5, LIMITS.value, LIMITS.value + 1), pshared: mostly(fc.boolean(), 1) }, PLAIN),
  threads: fc.oneof({ arbitrary: fc.array(writtenThread, { minLength: 1, maxLength: 3 }), weight: 6 }, fc.array(writtenThread, { minLength: LIMITS.threads, maxLength: LIMITS.threads + 1 })),
  budget: fc.record({ spurious: num(0, LIMITS.budget), weakCas: num(0, LIMITS.budget), signals: num(0, LIMITS.budget) }, { requiredKeys: [], noNullPrototype: true }),
  glibc: mostly(fc.constantFrom(...GLIBC_VERSIONS), '2.19'), memoryModel: mostly(fc.constantFrom(...MEMORY_MODELS), 'arm'), asyncCancel: mostly(fc.boolean(), 1),
}, { requiredKeys: ['id', 'model', 'initial', 'threads'], noNullPrototype: true });

/** Scenario (futexScenario.ts) and validateScenario's limits, checked by hand on a clean copy. */
function isCleanScenario(s: Scenario): string | null {
  const plain = (o: unknown, keys: string[]): boolean =>
    isPlainRecord(o) && Object.getPrototypeOf(o) === Object.prototype && Object.keys(o).every((k) => keys.includes(k));
  if (!plain(s, ['id', 'title', 'description', 'model', 'initial', 'threads', 'budget', 'glibc', 'memoryModel', 'asyncCancel'])) return 'keys';
  if (typeof s.id !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(s.id)) return 'id';
  if (typeof s.title !== 'string' || s.title.length > 200 || typeof s.description !== 'string' || s.description.length > 2000) return 'texts';
  if (!MODEL_IDS.includes(s.model)) return 'model';
  if (!plain(s.initial, ['value', 'pshared']) || !isInt(s.initial.value, 0, LIMITS.value) || typeof s.initial.pshared !== 'boolean') return 'initial';
  if (!plain(s.budget, ['spurious', 'weakCas', 'signals']) || ownKeys(s.budget) !== 'signals,spurious,weakCas') return 'budget keys';
  for (const b of [s.budget.spurious, s.budget.weakCas, s.budget.signals]) if (!isInt(b, 0, LIMITS.budget)) return 'budget';
  if (s.glibc !== undefined && !GLIBC_VERSIONS.includes(s.glibc)) return 'glibc';
  if (s.memoryModel !== undefined && !MEMORY_MODELS.includes(s.memoryModel)) return 'memoryModel';
  if (s.asyncCancel !== undefined && s.asyncCancel !== true) return 'asyncCancel';
  if (!Array.isArray(s.threads) || s.threads.length < 1 || s.threads.length > LIMITS.threads) return 'threads';
  const names = new Set<string>();
  for (const t of s.threads) {
    if (!plain(t, ['name', 'ops', 'cancel', 'stopOnFail', 'process', 'registered'])) return 'thread keys';
    if (typeof t.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,11}$/.test(t.name) || names.has(t.name)) return 'thread name';
    names.add(t.name);
    for (const f of [t.cancel, t.stopOnFail, t.registered]) if (f !== undefined && f !== true) return 'thread flags';
    if (t.process !== undefined && !isInt(t.process, 1, LIMITS.threads)) return 'process';
    if (!Array.isArray(t.ops) || t.ops.length > LIMITS.ops) return 'ops';
    if (t.registered && t.ops[0]?.op !== 'sem_wait' && t.ops[0]?.op !== 'sem_timedwait') return 'registered';
    for (const o of t.ops) {
      if (!plain(o, ['op', 'value', 'clock', 'word']) || !OP_KINDS.includes(o.op)) return 'op';
      if (o.op === 'sem_post_broken' && s.model !== 'glibc-new-64') return 'sem_post_broken';
      if (o.value !== undefined && !(o.op === 'sem_init' ? isInt(o.value, 0, LIMITS.value) : o.op === 'raw_store' && isInt(o.value, 0, 2 ** 32 - 1))) return 'op value';
      if (o.clock !== undefined && !(o.op === 'sem_clockwait' && (o.clock === 'monotonic' || o.clock === 'realtime'))) return 'clock';
      if ((o.op === 'raw_store' || o.op === 'raw_load') !== (o.word !== undefined)) return 'word';
      if (o.word !== undefined && !rawWords(s.model).includes(o.word)) return 'word of the model';
    }
  }
  return null;
}

/** Only what a JSON file can hold: no undefined, no NaN or Infinity, no class instances. */
function isJsonData(x: unknown): boolean {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every(isJsonData);
  return isPlainRecord(x) && Object.getPrototypeOf(x) === Object.prototype && Object.values(x).every(isJsonData);
}

test('scenario files: validateScenario never throws; what it accepts is a clean scenario, stable under validation, that steps without throwing', () => {
  // a built-in scenario with 0 .. limit+1 threads of 0 .. limit+1 operations each
  const atTheLimits = fc.tuple(baseScenario, fc.nat({ max: LIMITS.threads + 1 }), fc.nat({ max: LIMITS.ops + 1 })).map(([sc, threads, ops]) => {
    const s = sc as { threads: { name: string; ops: unknown[] }[] };
    const t = s.threads[0]!;
    const padded = [...t.ops, ...new Array<string>(LIMITS.ops + 1).fill('sem_post')].slice(0, ops);
    return { ...s, threads: Array.from({ length: threads }, (_, i) => ({ ...t, name: `T${i}`, ops: padded })) };
  });
  const file = fc.oneof(aroundValid(baseScenario), atTheLimits, { arbitrary: writtenScenario, weight: 3 }, aroundValid(writtenScenario));
  fc.assert(fc.property(file, fc.array(fc.nat(), { maxLength: 25 }), (x, picks) => {
    const v = total(() => validateScenario(x));
    if (!v.ok) return assert.equal(typeof v.error, 'string');
    assert.equal(isCleanScenario(v.scenario), null, JSON.stringify(v.scenario));
    assert.ok(isJsonData(v.scenario), 'plain data');
    assert.deepEqual(validateScenario(v.scenario), v, 'validating the clean copy again changes nothing');
    // what the visualizer and `ipcx futex replay` do with it: the initial state, then steps the person picks
    let s = initialState(v.scenario);
    for (const p of picks) {
      const cs = enabled(s);
      if (!cs.length) break;
      s = step(s, cs[p % cs.length]!);
    }
  }), { numRuns: 600 });
  for (const sc of SCENARIOS) assert.equal(validateScenario(JSON.parse(JSON.stringify(sc))).ok, true, sc.id);
});

// ---------------------------------------------------------------------------------------------- host names

/** What may reach ssh as its destination argument: not an option, no whitespace, control or format character, no URI. */
function isSafeDestination(d: string): boolean {
  return d.length > 0 && !d.startsWith('-') && !UNPRINTABLE.test(d) && !d.includes('\u0000') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(d);
}

const injection = fc.constantFrom('', '-', '--', '-o', '-oProxyCommand=x', ' ', '\t', '\n', '\u0000', '\u0085', '\u009b', '\u00a0', '\u2028', '\u200b', '\u202e', '\ufeff', '\u007f', 'ssh://', '@', ':', '%');
const hostPart = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/),
  fc.ipV4(), fc.ipV4Extended(),
  fc.ipV6().map((a) => `[${a}]`),
  fc.tuple(fc.ipV6(), fc.constantFrom('%eth0', '%-x', '%', '%lo0')).map(([a, z]) => `[${a}${z}]`),
  fc.tuple(fc.ipV6(), fc.array(fc.oneof(fc.constantFrom('e', 't', '0', '-', '.', '_'), injection), { minLength: 1, maxLength: 4 })).map(([a, z]) => `[${a}%${z.join('')}]`),
  fc.constantFrom('db1', 'host.', '.host', '-host', 'hōst', 'a..b', '[::1', '::1', '[]', '[:]', 'local'),
);
const hostSpec = fc.tuple(
  fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, { arbitrary: injection, weight: 1 }), fc.option(fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), fc.stringMatching(/^[A-Za-z0-9_.-]{0,8}$/)), { nil: undefined }), hostPart,
  fc.oneof(fc.constantFrom('', ':22'), fc.constantFrom('', ':22', ':0', ':65535', ':65536', ':-1', ':+1', ': 22', ':0x16', ':', ':022')),
  injection, fc.nat(),
).map(([pre, user, host, port, junk, at]) => {
  const s = `${pre}${user !== undefined ? `${user}@` : ''}${host}${port}`;
  const i = at % (s.length + 1);
  return at % 4 === 0 ? s.slice(0, i) + junk + s.slice(i) : s;
});
const anyHostText = fc.oneof({ arbitrary: hostSpec, weight: 4 }, { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 });

test('host names: parseHostSpec never throws, and no destination it accepts starts with "-", holds whitespace, a control character or NUL', () => {
  fc.assert(fc.property(fc.oneof(anyHostText, hostile), (x) => {
    const r = total(() => parseHostSpec(x));
    if (!r.ok) return assert.equal(typeof r.reason, 'string');
    const v = r.value;
    assert.equal(v.spec, x);
    assert.ok(isSafeDestination(v.destination), show(v.destination));
    assert.ok(!v.host.startsWith('-') && v.host.length > 0);
    if (v.user !== undefined) assert.ok(v.user.length > 0 && !v.user.startsWith('-') && !v.user.includes('@'));
    assert.equal(v.destination, v.user !== undefined ? `${v.user}@${v.host}` : v.host);
    if (v.port !== undefined) assert.ok(isInt(v.port, 1, 65535));
    assert.ok(!UNPRINTABLE.test(v.spec));
  }), { numRuns: 500 });
});

test('host names: a concrete ssh-config pattern is a safe destination', () => {
  fc.assert(fc.property(fc.oneof(anyHostText, fc.constantFrom('*', 'db*', '!db1', 'db?')), (x) => {
    if (!total(() => isConcreteHostPattern(x))) return;
    assert.ok(!/[*?!]/.test(x));
    const r = parseHostSpec(x);
    assert.ok(r.ok && isSafeDestination(r.value.destination));
  }), RUNS);
});

test('ipcExplorer.sshHosts: any JSON is reported, never thrown; every host kept is a safe destination, once, never "local"', () => {
  const entry = fc.oneof(hostSpec, fc.record({ host: hostSpec, sudo: fc.oneof(fc.boolean(), shallowHostile) }, { requiredKeys: ['host'] }));
  // the same host twice, as a string and as an object, is one host
  const twice = fc.tuple(hostSpec, fc.boolean()).map(([h, sudo]) => [h, { host: h, sudo }, h]);
  const setting = fc.oneof(aroundValid(fc.array(entry, { maxLength: 5 })), twice, fc.array(hostile, { maxLength: 3 }));
  fc.assert(fc.property(setting, (value) => {
    const r = total(() => parseHostsSetting(value));
    assert.ok(r.problems.every((p) => typeof p === 'string'));
    const specs = r.hosts.map((h) => h.destination.spec);
    assert.equal(new Set(specs).size, specs.length);
    for (const h of r.hosts) {
      assert.ok(isSafeDestination(h.destination.destination), h.destination.destination);
      assert.notEqual(h.destination.spec, 'local');
      assert.equal(typeof h.sudo, 'boolean');
    }
    if (Array.isArray(value)) assert.ok(r.hosts.length + r.problems.length <= value.length);
  }), RUNS);
});

test('ipcx --host: checkHosts throws only its UsageError; what it passes is non-empty, no option, no whitespace or control character', () => {
  fc.assert(fc.property(fc.array(anyHostText, { maxLength: 4 }), (hosts) => {
    let out: string[];
    try {
      out = checkHosts(hosts);
    } catch (e) {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, /^refusing host name /);
      return;
    }
    assert.equal(new Set(out).size, out.length);
    for (const h of out) {
      assert.ok(hosts.includes(h));
      assert.ok(h.length > 0 && !h.startsWith('-') && !/[\s\p{Cc}]/u.test(h), show(h));
    }
  }), { numRuns: 500 });
});

// ------------------------------------------------------------------------------------------ listen addresses

/** 16 bytes of an IPv6 address as inet_pton reads it (a zone id dropped), or null. */
function ipv6Bytes(text: string): number[] | null {
  const a = text.replace(/%[^%]*$/, '');
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = ipv4Bytes(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** 4 bytes of a dotted-quad IPv4 address in plain decimal, or null. */
function ipv4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

/** Only this machine can reach it: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z (an IPv4-mapped loopback address). */
function reallyLoopback(host: string): boolean {
  const v4 = ipv4Bytes(host);
  if (v4) return v4[0] === 127;
  const b = ipv6Bytes(host);
  if (!b) return false;
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return true;
  return b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff && b[12] === 127;
}

/** IPv6 text of random groups (zeros and ffff likely), compressed anywhere, any case, maybe an IPv4 tail and a zone. */
const ipv6Text = fc.tuple(
  fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.constant(1), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
  fc.option(fc.tuple(fc.constantFrom(127, 10, 0, 192), fc.nat({ max: 255 }), fc.nat({ max: 255 }), fc.nat({ max: 255 })), { nil: undefined }),
  fc.nat({ max: 8 }), fc.nat({ max: 8 }), fc.boolean(), fc.constantFrom('', '', '%lo', '%eth0', '%1'),
).map(([g, v4, from, len, upper, zone]) => {
  const parts: string[] = g.map((x) => x.toString(16));
  if (v4) parts.splice(6, 2, v4.join('.'));
  const n = parts.length;
  const start = Math.min(from, n - 1);
  const end = Math.min(n, start + Math.max(1, len));
  const compressible = parts.slice(start, end).every((p) => p === '0');
  const text = compressible && len > 0 ? `${parts.slice(0, start).join(':')}::${parts.slice(end).join(':')}` : parts.join(':');
  return (upper ? text.toUpperCase() : text) + zone;
});
/** IPv4 inside IPv6: mapped (::ffff:), compatible (::), NAT64 (64:ff9b::), spelled out or compressed */
const embeddedV4 = fc.tuple(
  fc.constantFrom('::ffff:', '::FFFF:', '0:0:0:0:0:ffff:', '0::ffff:', '::ffff:0:', '::', '64:ff9b::', '::fffe:', 'ffff::'),
  fc.constantFrom(127, 10, 0, 128), fc.nat({ max: 255 }), fc.nat({ max: 255 }), fc.nat({ max: 255 }), fc.constantFrom('', '%lo'),
).map(([p, a, b, c, d, z]) => `${p}${a}.${b}.${c}.${d}${z}`);
const address = fc.oneof(
  fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), ipv6Text, embeddedV4,
  fc.constantFrom('::1', '0:0:0:0:0:0:0:1', '0::1', '::0:1', '0000::0001', '::01', '::1%lo', '::2', '1::', '::1:0'),
  fc.tuple(fc.constantFrom(127, 0, 10, 128, 255), fc.nat({ max: 255 }), fc.nat({ max: 255 }), fc.nat({ max: 255 })).map((b) => b.join('.')),
  fc.constantFrom(
    '0.0.0.0', '::', '127.0.0.1.evil.com', '[::ffff:10.0.0.1]', '::ffff:10.0.0.1', '0x7f.1', '0x7f000001', '2130706433', 'localhost.',
    'localhost', 'LOCALHOST', '127.1', '0177.0.0.1', '127.0.0.01', '::ffff:127.0.0.1', '::127.0.0.1', '::ffff:7f00:1', '0::1', '::1%lo', '::0:1',
    '127.0.0.1 ', ' 127.0.0.1', '127.0.0.1\n', 'fe80::1', '::ffff:0:127.0.0.1', '64:ff9b::127.0.0.1', '::ffff:127.0.0.1%eth0', '1::1',
  ),
);

test('listen addresses: nothing that other machines can reach is taken for loopback', () => {
  fc.assert(fc.property(fc.oneof(address, fc.string({ maxLength: 20 })), (h) => {
    if (total(() => isLoopback(h))) assert.ok(reallyLoopback(h), show(h));
  }), { numRuns: 500 });
});

test('--listen: parseListen throws only a usage error; what it returns is an IP address and port, loopback only when it is', () => {
  const listen = fc.tuple(
    fc.oneof(address, address.map((a) => `[${a}]`), fc.constantFrom('localhost', '[localhost]', 'localhost.', '')),
    fc.constantFrom(':9863', ':0', ':65535', ':65536', ':99999', ':', '', ':-1', ':080', '::1'),
  ).map(([h, p]) => h + p);
  fc.assert(fc.property(fc.oneof(listen, fc.string()), (text) => {
    let r: { host: string; port: number };
    try {
      r = parseListen(text);
    } catch (e) {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, /^--listen/);
      return;
    }
    assert.ok(net.isIP(r.host) !== 0, r.host);
    assert.ok(isInt(r.port, 0, 65535));
    if (isLoopback(r.host)) assert.ok(reallyLoopback(r.host), text);
  }), { numRuns: 500 });
});

// ------------------------------------------------------------------------------------- rules, keys, filters

/** What a key text names, exactly (BigInt: no rounding): `0x...` hex or an optionally negative decimal. */
function keyTextValue(t: string): bigint | null {
  const s = t.trim();
  if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(`0x${s.slice(2)}`);
  if (/^-?[0-9]+$/.test(s)) return BigInt(s);
  return null;
}
const KEY_MIN = -(2n ** 31n);
const KEY_END = 2n ** 32n; // exclusive: keys are signed or unsigned 32-bit

const keyText = fc.oneof(
  fc.stringMatching(/^-?[0-9]{1,10}$/), fc.stringMatching(/^0[xX][0-9a-fA-F]{1,8}$/), fc.stringMatching(/^ ?-?[0-9]{1,22} ?$/),
  fc.constantFrom('0x', '0x123456789', '-0x1', '1e3', '+1', '4294967295', '4294967296', '-2147483648', '-2147483649', '0', '-0', 'IPC_PRIVATE', ''),
);
const keyValue = fc.oneof(keyText, i32, u32, edgeNumber);
const ruleKinds: readonly IpcKind[] = ['sem', 'shm', 'msg', 'posixSem', 'posixShm'];

test('settings rules: parseObjectRule never throws; a rule it returns holds only valid fields, each what the setting said', () => {
  const rule = fc.record({
    kind: fc.oneof(fc.constantFrom(...ruleKinds), fc.constantFrom('pipe', 'SEM', '__proto__')), key: keyValue, keyMin: keyValue, keyMax: keyValue,
    uid: fc.oneof(fc.nat(), edgeNumber), app: fc.string(), note: fc.oneof(fc.string(), shallowHostile),
  }, { requiredKeys: [] });
  fc.assert(fc.property(aroundValid(rule), (raw) => {
    const r = total(() => parseObjectRule(raw));
    if (r === undefined) return;
    const src = raw as Record<string, unknown>;
    assert.ok(Object.keys(r).every((k) => ['kind', 'key', 'keyMin', 'keyMax', 'uid', 'app', 'note'].includes(k)));
    assert.ok(Object.keys(r).some((k) => k !== 'note'), 'a rule that matches everything');
    if (r.kind !== undefined) assert.ok(ruleKinds.includes(r.kind) && r.kind === src.kind);
    for (const f of ['key', 'keyMin', 'keyMax'] as const) {
      const v: number | undefined = r[f];
      if (v === undefined) continue;
      assert.ok(Number.isInteger(v) && BigInt(v) >= KEY_MIN && BigInt(v) < KEY_END, `${f} ${v} from ${show(src[f])}`);
      const said = typeof src[f] === 'string' ? keyTextValue(src[f]) : BigInt(src[f] as number);
      assert.equal(BigInt(v), said, `${f} ${v} from ${show(src[f])}`);
    }
    if (r.uid !== undefined) assert.ok(Number.isInteger(r.uid) && r.uid >= 0 && r.uid === src.uid);
    if (r.app !== undefined) assert.equal(r.app, src.app);
    if (r.note !== undefined) assert.equal(r.note, src.note);
    const sem: SemSet = { kind: 'sem', id: 1, key: 5432001, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, nsems: 17, otime: 0, ctime: 0 };
    assert.equal(typeof ruleMatches(r, sem), 'boolean');
  }), { numRuns: 500 });
});

test('keys: parseKey never throws, returns a signed 32-bit key equal to the text\'s value, and reads back every formatted key', () => {
  fc.assert(fc.property(fc.oneof(keyText, fc.string(), hugeString), (t) => {
    const k = total(() => parseKey(t));
    if (k === undefined) return;
    assert.ok(isInt(k, -(2 ** 31), INT32_MAX) && !Object.is(k, -0));
    const said = /^ipc_private$/i.test(t.trim()) ? 0n : keyTextValue(t);
    assert.ok(said !== null && said >= KEY_MIN && said < KEY_END, t);
    assert.equal(BigInt(k), BigInt.asIntN(32, said), t);
  }), { numRuns: 500 });
  fc.assert(fc.property(i32, (k) => {
    for (const text of [formatKey(k), formatKeyHex(k), formatKey(k).toUpperCase(), String(k), String(k >>> 0), ` ${formatKey(k)}\t`]) {
      assert.equal(parseKey(text), k, text);
    }
  }), RUNS);
});

test('dashboard filter: parseFilter never throws and keeps every word, lower-cased, as one term of a known field', () => {
  const word = fc.oneof(
    fc.tuple(fc.constantFrom('key', 'id', 'owner', 'uid', 'pid', 'state', 'kind', 'KEY', 'name', '', 'constructor'), fc.constantFrom(':', '::', ''), fc.string({ maxLength: 8 }))
      .map(([f, c, v]) => f + c + v),
    fc.string({ unit: 'binary', maxLength: 10 }),
  );
  const text = fc.tuple(fc.array(word, { maxLength: 6 }), fc.array(fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u2028', '\u3000'), { minLength: 6, maxLength: 6 }))
    .map(([ws, seps]) => ws.map((w, i) => w + seps[i]).join(''));
  const FIELDS = ['key', 'id', 'owner', 'uid', 'pid', 'state', 'kind', 'any'];
  fc.assert(fc.property(fc.oneof(text, fc.string({ unit: 'binary' }), hugeString), (t) => {
    const terms = total(() => parseFilter(t));
    const words = t.trim().toLowerCase().split(/\s+/).filter((w) => w !== '');
    assert.deepEqual(terms.map((x) => (x.field === 'any' ? x.value : `${x.field}:${x.value}`)), words);
    for (const term of terms) {
      assert.ok(FIELDS.includes(term.field));
      assert.ok(term.value !== '' && !/\s/.test(term.value));
    }
  }), RUNS);
});

test('dashboard filter: a key range is two non-negative integers in order, the values the text names', () => {
  const bound = fc.oneof(fc.stringMatching(/^0x[0-9a-f]{1,8}$/), fc.stringMatching(/^[0-9]{1,10}$/), fc.constantFrom('0x', '-1', '1e3', '0X1', ''));
  fc.assert(fc.property(fc.oneof(fc.tuple(bound, fc.constantFrom('-', '--', '- ', ''), bound).map((p) => p.join('')), fc.string()), (v) => {
    const r = total(() => parseKeyRange(v));
    if (r === null) return;
    const [lo, hi] = r;
    assert.ok(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo >= 0 && lo <= hi, v);
    const parts = v.split('-');
    assert.equal(parts.length, 2, v);
    const named = parts.map((p) => Number(BigInt(p))).sort((a, b) => a - b);
    assert.deepEqual([lo, hi], named, v);
  }), RUNS);
});

// ------------------------------------------------------------------------------------------------ ipcx args

/** Runs a CLI parser: its value, or the UsageError it threw (anything else thrown fails the property). */
function usage<T>(f: () => T): { value: T } | { error: UsageError } {
  try {
    return { value: f() };
  } catch (e) {
    assert.ok(e instanceof UsageError, `not a usage error: ${String(e)}`);
    return { error: e };
  }
}

const numberText = fc.oneof(
  fc.stringMatching(/^[0-9]{1,25}$/), fc.nat().map(String), fc.constantFrom('', '-1', '1.5', '1e3', ' 1', '0x10', '١', '9'.repeat(400), '9007199254740993'),
  fc.string({ maxLength: 8 }),
);

test('--min-age / --recent: a whole number of seconds, exactly the one written, or a usage error naming the option', () => {
  fc.assert(fc.property(fc.option(numberText, { nil: undefined }), (v) => {
    const r = usage(() => parseSeconds('min-age', v, 60));
    if ('error' in r) return assert.match(r.error.message, /^--min-age /);
    if (v === undefined) return assert.equal(r.value, 60);
    assert.ok(Number.isSafeInteger(r.value) && r.value >= 0, `${v} -> ${r.value}`);
    assert.equal(BigInt(r.value), BigInt(v), v);
  }), { numRuns: 500 });
});

test('--kind: only sem, shm, msg, or a usage error', () => {
  fc.assert(fc.property(fc.option(fc.array(fc.oneof(fc.constantFrom('sem', 'shm', 'msg', 'posixSem', 'SEM', '', 'constructor', '__proto__'), fc.string()), { maxLength: 4 }), { nil: undefined }), (v) => {
    const r = usage(() => parseKinds(v));
    if ('error' in r) return assert.match(r.error.message, /^--kind /);
    if (!v || !v.length) return assert.equal(r.value, undefined);
    assert.ok(r.value && r.value.every((k) => ['sem', 'shm', 'msg'].includes(k)));
    assert.deepEqual(r.value, v);
  }), RUNS);
});

test('--ignore-key / --trust-key: the key the text names (signed 32-bit), never a wrapped-around other key; else a usage error', () => {
  fc.assert(fc.property(fc.array(fc.oneof(keyText, fc.string({ maxLength: 12 })), { maxLength: 4 }), (v) => {
    const r = usage(() => parseKeyRules(v, 'from --trust-key'));
    if ('error' in r) return assert.match(r.error.message, /^key /);
    assert.equal(r.value.length, v.length);
    r.value.forEach((rule, i) => {
      assert.deepEqual(Object.keys(rule).sort(), ['key', 'note']);
      const said = keyTextValue(v[i]!);
      assert.ok(said !== null && said >= KEY_MIN && said < KEY_END, `${v[i]} was taken as key ${rule.key}`);
      assert.equal(BigInt(rule.key!), BigInt.asIntN(32, said), v[i]);
    });
  }), { numRuns: 500 });
});

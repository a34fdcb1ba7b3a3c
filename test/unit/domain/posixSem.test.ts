import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePosixSem, fromHex, toHex } from '../../../extension/domain/posixSem';

const ZERO16 = '00'.repeat(16);
const bytes = (hex: string) => fromHex(hex)!;
const ok = (r: ReturnType<typeof decodePosixSem>) => {
  assert.ok('decoded' in r, JSON.stringify(r));
  return r.decoded;
};

// FUTEX-SEMAPHORES.md §3.4, observed with glibc 2.36 on x86_64
test('§3.4: after sem_open(..., 3): value 3, no waiters, private 128', () => {
  const d = ok(decodePosixSem({ bytes: bytes('03000000 00000000 80000000 00000000' + ZERO16) }));
  assert.deepEqual(d, {
    layout: 'glibc-new-64', value: 3, nwaiters: 0, private: 128,
    raw: '0300000000000000800000000000000000000000000000000000000000000000', atomic: false,
  });
});

test('§3.4: two threads blocked: value 0, nwaiters 2; after one post: value 0, nwaiters 1', () => {
  const two = ok(decodePosixSem({ bytes: bytes('00000000 02000000 80000000 00000000' + ZERO16) }));
  assert.deepEqual([two.layout, two.value, two.nwaiters, two.private], ['glibc-new-64', 0, 2, 128]);
  const one = ok(decodePosixSem({ bytes: bytes('00000000 01000000 80000000 00000000' + ZERO16) }));
  assert.deepEqual([one.value, one.nwaiters], [0, 1]);
});

test('the atomic word wins over the copied bytes and marks the read atomic', () => {
  const d = ok(decodePosixSem({ bytes: bytes('05000000 00000000 80000000 00000000' + ZERO16), atomicWord: { lo32: 4, hi32: 1 } }));
  assert.deepEqual([d.value, d.nwaiters, d.atomic], [4, 1, true]);
});

test('sem_init(pshared=0) image: private 0 is accepted', () => {
  const d = ok(decodePosixSem({ bytes: bytes('07000000 00000000 00000000 00000000' + ZERO16) }));
  assert.deepEqual([d.layout, d.value, d.private], ['glibc-new-64', 7, 0]);
});

test('16 bytes: 32-bit variant, tokens = word >> 1, bit 0 only a hint, exact nwaiters @12', () => {
  // value word 0x07 = 3 tokens + waiters bit; private 128; pad 0; nwaiters 2
  const d = ok(decodePosixSem({ bytes: bytes('07000000 80000000 00000000 02000000') }));
  assert.deepEqual([d.layout, d.value, d.nwaiters, d.private], ['glibc-new-32', 3, 2, 128]);
  const idle = ok(decodePosixSem({ bytes: bytes('0a000000 80000000 00000000 00000000') }));
  assert.deepEqual([idle.value, idle.nwaiters], [5, 0]);
});

test('glibc < 2.21 layout (value@0, private@4 = 0 shared, nwaiters@8) when the new one does not fit', () => {
  // value 2, private 0, nwaiters 3: @8 = 3 is not a valid new-layout private
  const d = ok(decodePosixSem({ bytes: bytes('02000000 00000000 03000000 00000000' + ZERO16) }));
  assert.deepEqual([d.layout, d.value, d.nwaiters, d.private], ['glibc-old-64', 2, 3, 0]);
});

test('implausible images are decode errors, not guesses', () => {
  const cases: [string, RegExp][] = [
    ['03000000 00000000 05000000 07000000' + ZERO16, /fits no known glibc layout/], // private 5, old nwaiters high half set
    ['ffffffff 00000000 80000000 00000000' + ZERO16, /fits no known glibc layout/], // value > SEM_VALUE_MAX
    ['03000000 00000000 80000000 00000000' + '01' + '00'.repeat(15), /fits no known glibc layout/], // tail not zero
    ['07000000 05000000 00000000 02000000', /16-byte semaphore has private=5/],
    ['', /unexpected size 0 bytes/],
    ['00'.repeat(8), /unexpected size 8 bytes/],
  ];
  for (const [hex, re] of cases) {
    const r = decodePosixSem({ bytes: bytes(hex) }, '/dev/shm/sem.x');
    assert.ok('decodeError' in r, hex);
    assert.equal(r.decodeError.code, 'EPARSE');
    assert.match(r.decodeError.message, re);
    assert.match(r.decodeError.message, /^\/dev\/shm\/sem\.x: /);
  }
});

test('hex helpers', () => {
  assert.equal(toHex(new Uint8Array([0, 15, 255])), '000fff');
  assert.deepEqual(fromHex('00 0f\nFF'), new Uint8Array([0, 15, 255]));
  assert.equal(fromHex('abc'), undefined);
  assert.equal(fromHex('zz'), undefined);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapBounded, parseHostsSetting, withHost, withoutHost } from '../../../extension/remote/hostSettings';

test('sshHosts setting: strings and {host, sudo} objects; bad entries reported, never used', () => {
  const r = parseHostsSetting(['db1', { host: 'root@db2:2222', sudo: true }, '-oProxyCommand=touch /tmp/pwned', { host: 'x y' }, { host: 'db3', sudo: 'yes' }, 'db1', 'local', 42]);
  assert.deepEqual(r.hosts.map((h) => [h.destination.spec, h.destination.destination, h.destination.port, h.sudo]), [
    ['db1', 'db1', undefined, false],
    ['root@db2:2222', 'root@db2', 2222, true],
  ]);
  assert.equal(r.problems.length, 5);
  assert.match(r.problems[0], /sshHosts\[2\].*starts with "-"/);
  assert.match(r.problems[1], /whitespace/);
  assert.match(r.problems[2], /"sudo" must be true or false/);
  assert.match(r.problems[3], /local machine/);
  assert.match(r.problems[4], /must be a string/);
  assert.deepEqual(parseHostsSetting(undefined), { hosts: [], problems: [] });
  assert.equal(parseHostsSetting('db1').problems.length, 1);
});

test('adding and removing hosts keeps the other entries as written', () => {
  const v = ['a', { host: 'b', sudo: true }];
  assert.deepEqual(withHost(v, 'c'), ['a', { host: 'b', sudo: true }, 'c']);
  assert.deepEqual(withHost(v, 'b'), v);
  assert.deepEqual(withoutHost(v, 'b'), ['a']);
  assert.deepEqual(withoutHost(undefined, 'b'), []);
});

test('bounded concurrency: never more than the limit at once, failures settle without blocking others', async () => {
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const res = await mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setImmediate(r));
    running--;
    if (n === 2) throw new Error('host 2 unreachable');
    return n * 10;
  }, (n) => order.push(n));
  assert.equal(peak, 3);
  assert.equal(res[1].status, 'rejected');
  assert.deepEqual(res.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value), [10, 30, 40, 50, 60, 70]);
  assert.equal(order.length, 7);
});

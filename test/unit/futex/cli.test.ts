// `ipcx futex` in-process (the command module over the pure explorer; no kernel objects involved).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import futex, { EXIT_VIOLATIONS } from '../../../extension/cli/commands/futex';
import { UsageError } from '../../../extension/cli/cliSupport';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await futex.run(args, { out: (t) => (out += t), err: (t) => (err += t), env: {}, isTTY: false });
  return { code, out, err };
}

test('explore seed: glibc-old reports use-after-free with a replayable witness and exits 4', async () => {
  const r = await run(['explore', '--model', 'glibc-old', '--scenario', 'seed']);
  assert.equal(r.code, EXIT_VIOLATIONS);
  assert.match(r.out, /use-after-free [1-9]\d*/);
  const m = r.out.match(/--schedule (\S+)/);
  assert.ok(m);
  const rep = await run(['replay', '--model', 'glibc-old', '--scenario', 'seed', '--schedule', m[1]]);
  assert.equal(rep.code, EXIT_VIOLATIONS);
  assert.match(rep.out, /UAF_load/);
});

test('explore seed: glibc-new-64 and glibc-new-32 are safe and exit 0', async () => {
  for (const m of ['glibc-new-64', 'glibc-new-32']) {
    const r = await run(['explore', '--model', m, '--scenario', 'seed', '--json']);
    assert.equal(r.code, 0, m);
    const j = JSON.parse(r.out);
    assert.equal(j.model, m);
    assert.deepEqual(j.violatingSchedules, { 'use-after-free': 0, misuse: 0, 'lost-wakeup': 0, deadlock: 0, assertion: 0 });
    assert.ok(j.states > 0 && j.schedules > 0);
  }
});

test('explore --model all --json gives one result per model', async () => {
  const r = await run(['explore', '--model', 'all', '--scenario', 'seed', '--json']);
  const j = JSON.parse(r.out) as { model: string }[];
  assert.deepEqual(j.map((x) => x.model), ['glibc-new-64', 'glibc-new-32', 'glibc-old', 'pg-futex']);
});

test('replay --witness lost-wakeup for b2; a bad schedule is an error naming the enabled choices', async () => {
  const r = await run(['replay', '--scenario', 'b2', '--witness', 'lost-wakeup', '--json']);
  assert.equal(r.code, EXIT_VIOLATIONS);
  assert.equal(JSON.parse(r.out).violations[0].kind, 'lost-wakeup');
  const bad = await run(['replay', '--scenario', 'seed', '--schedule', 'A,Z']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /'Z' is not enabled; enabled: A, B/);
});

test('scenario files are validated; usage errors are UsageErrors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'futex-cli-'));
  try {
    const f = path.join(dir, 's.json');
    fs.writeFileSync(f, JSON.stringify({ id: 'mine', model: 'glibc-old', initial: { value: 1, pshared: false }, threads: [{ name: 'A', ops: ['sem_wait', 'sem_post'] }] }));
    const ok = await run(['explore', '--scenario-file', f]);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /mine under glibc-old/);
    fs.writeFileSync(f, JSON.stringify({ id: 'mine', model: 'glibc-old', initial: { value: 1, pshared: false }, threads: [{ name: 'A', ops: ['fork'] }] }));
    await assert.rejects(run(['explore', '--scenario-file', f]), /ops\[0\]/);
    await assert.rejects(run(['explore', '--scenario-file', path.join(dir, 'nope.json')]), /ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(run(['explore', '--scenario', 'nope']), UsageError);
  await assert.rejects(run(['explore', '--scenario', 'seed', '--model', 'musl']), UsageError);
  await assert.rejects(run(['explore', '--scenario', 'b2', '--model', 'glibc-old']), /sem_post_broken/);
  await assert.rejects(run(['frobnicate']), UsageError);
  const list = await run(['list', '--json']);
  assert.ok(JSON.parse(list.out).scenarios.some((s: { id: string }) => s.id === 'seed'));
});

test('explore seed --spurious 2 --weak-cas 2 --signals 1: the program\'s misuse and glibc\'s use after free are counted apart', async () => {
  const r = await run(['explore', '--model', 'all', '--scenario', 'seed', '--spurious', '2', '--weak-cas', '2', '--signals', '1', '--json']);
  assert.equal(r.code, 4);
  const by = Object.fromEntries((JSON.parse(r.out) as { model: string; violatingSchedules: Record<string, number> }[]).map((x) => [x.model, x.violatingSchedules]));
  for (const m of ['glibc-new-64', 'glibc-new-32', 'pg-futex']) {
    assert.equal(by[m]['use-after-free'], 0, `${m}: the implementation never touches freed memory`);
    assert.ok(by[m].misuse > 0, `${m}: A destroys after its wait failed with EINTR, then B posts`);
  }
  assert.ok(by['glibc-old']['use-after-free'] > 0 && by['glibc-old'].misuse > 0);
  const text = await run(['explore', '--model', 'glibc-new-64', '--scenario', 'seed', '--signals', '1']);
  assert.match(text.out, /witness: misuse .*sem_post reads private after free\(\): the program called the operation on a semaphore that was already destroyed and released/);
  assert.match(text.out, /\(misuse: The program used the semaphore outside its lifetime/);
});

test('explore --glibc picks the range of a release and --json says the version and the memory model', async () => {
  const r = await run(['explore', '--model', 'glibc-new-32', '--glibc', '2.21', '--scenario', 'overflow', '--json']);
  assert.equal(r.code, EXIT_VIOLATIONS, 'glibc 2.21\'s 32-bit overflow check lets the count wrap');
  const j = JSON.parse(r.out);
  assert.deepEqual([j.model, j.glibc, j.memoryModel], ['glibc-new-32', '2.21', 'sc']);
  assert.ok(j.violatingSchedules.assertion > 0);
  const ok = await run(['explore', '--model', 'glibc-new-32', '--glibc', '2.24', '--scenario', 'overflow', '--json']);
  assert.equal(ok.code, 0);
  assert.equal(JSON.parse(ok.out).glibc, '2.22-2.24');
  const tso = await run(['explore', '--scenario', 'sb', '--memory', 'x86-tso', '--json']);
  assert.equal(JSON.parse(tso.out).memoryModel, 'x86-tso');
  const text = await run(['explore', '--scenario', 'sb', '--memory', 'x86-tso']);
  assert.match(text.out, /glibc 2\.41\+, x86-tso/);
  assert.match(text.out, /memory model: x86-TSO/);
});

test('explore --model all --glibc all runs each model under the versions it fits; bad combinations are usage errors', async () => {
  const r = await run(['explore', '--model', 'all', '--glibc', 'all', '--memory', 'all', '--scenario', 'seed', '--json']);
  const rs = JSON.parse(r.out) as { model: string; glibc: string | null; memoryModel: string }[];
  const runs = rs.map((x) => `${x.model}@${x.glibc}/${x.memoryModel}`);
  assert.ok(runs.includes('glibc-old@2.20/x86-tso'));
  assert.ok(runs.includes('glibc-new-32@2.21/sc'));
  assert.ok(runs.includes('pg-futex@null/sc'));
  assert.ok(!runs.some((x) => x.startsWith('glibc-old@2.2') && !x.startsWith('glibc-old@2.20')));
  assert.ok(!runs.some((x) => /glibc-new-\d+@2\.20/.test(x)));
  assert.equal(rs.length, (1 + 4 + 4 + 1) * 2);
  await assert.rejects(run(['explore', '--model', 'glibc-old', '--glibc', '2.36', '--scenario', 'seed']), /glibc <= 2\.20/);
  await assert.rejects(run(['explore', '--glibc', 'banana', '--scenario', 'seed']), UsageError);
  await assert.rejects(run(['explore', '--memory', 'arm', '--scenario', 'seed']), UsageError);
  const rep = await run(['replay', '--scenario', 'sb', '--memory', 'x86-tso', '--schedule', 'T1,T2,T1,T2', '--json']);
  const j = JSON.parse(rep.out);
  assert.deepEqual([j.glibc, j.memoryModel], ['2.41+', 'x86-tso']);
  assert.deepEqual(j.final.threads.map((t: { results: string[] }) => t.results), [['0', 'r=0'], ['0', 'r=0']]);
});

test('explore --markdown: one row per model and run of versions with equal results, and whether TSO changes the verdict', async () => {
  const r = await run(['explore', '--scenario', 'overflow', '--model', 'all', '--glibc', 'all', '--memory', 'all', '--markdown']);
  const rows = r.out.trim().split('\n');
  assert.match(rows[0], /^\| scenario \| model \| glibc \| SC states \| SC violating schedules \| x86-TSO states \| x86-TSO violating schedules \| TSO changes the verdict \|$/);
  assert.ok(rows.includes('| overflow | glibc-new-32 | 2.21 | 18 | assertion 7 | 18 | assertion 7 | no |'), r.out);
  assert.ok(rows.some((x) => x.startsWith('| overflow | glibc-new-32 | 2.22–2.41+ |') && x.includes('| none |')), r.out);
  assert.ok(rows.some((x) => x.startsWith('| overflow | glibc-new-64 | 2.21–2.41+ |')), r.out);
  assert.ok(rows.some((x) => x.startsWith('| overflow | glibc-old | 2.20 |')), r.out);
  await assert.rejects(run(['explore', '--scenario', 'all']), /--markdown or --json/);
});

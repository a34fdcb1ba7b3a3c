/** The words of the status bar, the badge, the empty-state welcome and the "not yet recyclable" message. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countOrphans, pendingOrphans, pendingText, secondsUntilRecyclable, statusText, treeState } from '../../../extension/domain/nextActions';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { Verdict } from '../../../extension/shared/model';
import { seedSnapshot } from '../../webview/fixtures';

const young = (ref: string, orphanFor: number, owner?: Verdict['owner']): Verdict => ({
  ref, state: 'orphan', recyclable: false, orphanForSeconds: orphanFor,
  reasons: ['creator pid 1 is dead', `not recyclable: orphaned for ${orphanFor}s, less than minOrphanAgeSeconds = 60 s`],
  ...(owner ? { owner } : {}),
});
const PG = { app: 'postgresql', label: 'PostgreSQL, postmaster PID 9 (dead)', pid: 9, pidAlive: false, evidence: [] };

test('status text: the fullest limit and the orphans; warning at the threshold', () => {
  const snap = seedSnapshot();
  const v = assessSnapshot(snap, verdictOptions(), snap.takenAt / 1000);
  const s = statusText(snap, v.values(), 90);
  assert.equal(s.text, 'SEMMNS 100 % · 15 orphans');
  assert.equal(s.warn, true);
  assert.equal(statusText(snap, v.values(), 100.5).warn, false);
  // a per-object maximum (SEMVMX: the largest value against 32767) is not a fill level
  const quiet = { ...snap, usage: { ...snap.usage, semTotal: 1, semSets: 1 }, limits: { ...snap.limits, semmns: 1000000, semmni: 32000 } };
  assert.match(statusText(quiet, [], 90).text, /^(SEMMNI|SEMMNS|SHMMNI|SHMALL|MSGMNI) /);
  // a pool in use that rounds to 0 % says "<1 %"; nothing in use says so instead of "0 %"
  const idle = { ...snap, sems: [], shms: [], msgs: [], usage: { ...snap.usage, semTotal: 0, semSets: 0, shmSegments: 0, shmPages: 0, msgQueues: 0 } };
  assert.equal(statusText(idle, [], 90).text, 'no IPC limit in use');
  const tiny = { ...idle, usage: { ...idle.usage, semSets: 1, semTotal: 1 }, limits: { ...snap.limits, semmni: 32000, semmns: 1024000000 } };
  assert.equal(statusText(tiny, [], 90).text, 'SEMMNI <1 %');
  assert.deepEqual(countOrphans(v.values()), { orphans: 15, recyclable: countOrphans(v.values()).recyclable });
  assert.match(s.details.join('\n'), /15 orphaned objects, \d+ recyclable now/);
});

test('tree state: empty only for the local machine alone, read, holding nothing', () => {
  const empty = { ...seedSnapshot(), sems: [], shms: [], msgs: [] };
  assert.equal(treeState([{ host: 'local', snapshot: empty }]), 'empty');
  assert.equal(treeState([{ host: 'local', snapshot: seedSnapshot() }]), 'objects');
  assert.equal(treeState([{ host: 'local' }]), 'objects', 'not read yet: the host row says loading');
  assert.equal(treeState([{ host: 'local', snapshot: empty, error: { code: 'EACCES' } }]), 'objects', 'an error is shown, not hidden');
  assert.equal(treeState([{ host: 'local', snapshot: empty }, { host: 'db1' }]), 'objects', 'an SSH host is a row');
  assert.equal(treeState([{ host: 'local', snapshot: { ...empty, errors: [{ kind: 'sem', error: { code: 'EACCES', message: 'x' } }] } }]), 'objects');
});

test('seconds until recyclable: from the verdict, only when age is the one reason and the owner is proven dead', () => {
  assert.equal(secondsUntilRecyclable(young('sem:1', 52, PG), 60), 8);
  assert.equal(secondsUntilRecyclable(young('shm:1', 59.2), 60), 1);
  assert.equal(secondsUntilRecyclable(young('sem:2', 52), 60), undefined, 'no proven owner: the owner proof may block it too');
  assert.equal(secondsUntilRecyclable(young('sem:1', 52, { ...PG, pidAlive: true }), 60), undefined);
  assert.equal(secondsUntilRecyclable(young('sem:1', 52, PG), 30), undefined, 'verdict made with another setting');
  assert.equal(secondsUntilRecyclable({ ...young('sem:1', 52, PG), recyclable: true }, 60), undefined);
  assert.equal(secondsUntilRecyclable({ ...young('sem:1', 52, PG), state: 'live' }, 60), undefined);
  const two = young('sem:1', 52, PG);
  two.reasons.push('not recyclable: matches an ignore rule');
  assert.equal(secondsUntilRecyclable(two, 60), undefined, 'another reason keeps it too');
  // a verdict that says it itself wins
  assert.equal(secondsUntilRecyclable({ ...young('sem:3', 1), becomesRecyclableIn: 4 } as Verdict, 60), 4);
});

test('pending text: one clause per kind of object, the last one due, counting down', () => {
  const pending = pendingOrphans([young('sem:1', 52, PG), young('sem:2', 55, PG), young('shm:4', 59, PG), young('sem:5', 10)], 60);
  assert.deepEqual(pendingText(pending), { text: '1 PostgreSQL shared memory segment becomes recyclable in 1s; 2 PostgreSQL sets become recyclable in 8s', waitSeconds: 8 });
  assert.equal(pendingText(pending, 3).text, '1 PostgreSQL shared memory segment becomes recyclable now; 2 PostgreSQL sets become recyclable in 5s');
  assert.deepEqual(pendingText([]), { text: '', waitSeconds: 0 });
  assert.equal(pendingText(pendingOrphans([young('shm:9', 50)], 60)).text, '1 shared memory segment becomes recyclable in 10s');
});

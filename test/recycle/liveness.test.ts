/**
 * Liveness with three answers against the real kernel, each scenario in its own nested private IPC namespace:
 * - a child pid namespace sharing the IPC namespace (a sidecar, `docker run --ipc=container:...`): the kernel
 *   reports a creator outside it as pid 0. A live application's detached segment, last touched by a sidecar
 *   process that exited, stays (unknown: "creator pid not visible from this pid namespace (reported as 0)");
 * - /proc mounted hidepid=2 and hidepid=1 in a private mount namespace: a non-root owner (uid 65534) plans and
 *   executes as itself; its segment, last attached and detached by another user's (uid 1001) live process,
 *   stays: that process exists (kill(pid, 0): EPERM) but cannot be seen.
 * Users are made with setpriv (numeric uids; no passwd entries needed).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { forOtherUsers, stagedIpcx } from '../helpers/stage';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { nestedFixture, NestedNs, ipcxJs, parseHelperLines } from './nsHarness';

const { tmp, started, nested } = nestedFixture('ipcx-liveness-');
let owner = '';

before(() => {
  owner = buildC('ipc_owner');
});

interface Entry {
  kind: string;
  id: number;
  verdict: { state: string; recyclable: boolean; reasons: string[] };
}
interface Out {
  plan: { candidates: Entry[]; stays: Entry[] };
  report?: { outcomes: Array<{ id: number; action: string }> };
}

function shmIds(ns: NestedNs): number[] {
  return ns.read('/proc/sysvipc/shm').trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
}

function shmRow(ns: NestedNs, id: number): string[] {
  const row = ns.read('/proc/sysvipc/shm').trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((w) => Number(w[1]) === id);
  assert.ok(row, `segment ${id} exists`);
  return row;
}

const RECYCLE = ['recycle', '--json', '--min-age', '0', '--recent', '0'];

test('child pid namespace: a live creator outside it is reported as 0, and its segment stays', async () => {
  assertPrivateIpcNamespace();
  const ns = await nested();
  // the application: creates a segment and keeps running, never attached (nattch 0)
  const app = ns.start(owner, ['shm', '0x5100', '4096', '666']);
  started.push(app);
  const [seg] = parseHelperLines(await app.until()).shms;
  // control: from the initial pid namespace its creator is visible and alive
  const outside: Out = JSON.parse(ns.ipcx(RECYCLE).stdout);
  assert.equal(outside.plan.stays.find((e) => e.id === seg.id)?.verdict.state, 'live');

  // the sidecar: a child pid namespace sharing the IPC namespace; one of its processes attaches and detaches,
  // then exits (lpid = a dead pid that the sidecar can see); ipcx plans and executes from inside
  const touched = path.join(tmp(), 'touched.txt');
  const plan = path.join(tmp(), 'plan.json');
  const done = path.join(tmp(), 'done.json');
  const script = [
    'owner=$1; id=$2; out=$3; node=$4; ipcx=$5; plan=$6; done=$7; audit=$8',
    '"$owner" touch "$id" > "$out" & p=$!',
    'until grep -q READY "$out"; do if ! kill -0 "$p" 2>/dev/null; then echo "touch failed" >&2; exit 3; fi; sleep 0.01; done',
    'kill -9 "$p"; wait "$p" 2>/dev/null',
    '"$node" "$ipcx" recycle --json --min-age 0 --recent 0 > "$plan" || exit 4',
    '"$node" "$ipcx" recycle --yes --json --min-age 0 --recent 0 --audit "$audit" > "$done"',
  ].join('\n');
  const r = ns.run('unshare', ['--pid', '--fork', '--mount-proc', '--', 'sh', '-c', script, 'sh', owner, String(seg.id), touched, process.execPath, ipcxJs, plan, done, path.join(tmp(), 'pidns.jsonl')]);
  assert.ok(r.status === 0 || r.status === 3, `status ${r.status}: ${r.stderr}`);
  const inner = fs.readFileSync(touched, 'utf8');
  assert.match(inner, /^touched [0-9]+$/m);
  // what the kernel shows outside: the real creator pid, and the sidecar's global pid as lpid
  const row = shmRow(ns, seg.id);
  assert.equal(Number(row[4]), app.pid, 'cpid outside = the live application');
  assert.notEqual(Number(row[5]), 0, 'lpid outside = the sidecar process');

  const p: Out = JSON.parse(fs.readFileSync(plan, 'utf8'));
  assert.equal(p.plan.candidates.find((e) => e.id === seg.id), undefined, `not a candidate: ${JSON.stringify(p.plan.candidates)}`);
  const st = p.plan.stays.find((e) => e.id === seg.id);
  assert.ok(st, 'listed as staying');
  assert.equal(st.verdict.state, 'unknown', st.verdict.reasons.join(' | '));
  assert.ok(st.verdict.reasons.some((x) => x.startsWith('creator pid not visible from this pid namespace (reported as 0)')), st.verdict.reasons.join(' | '));
  assert.ok(st.verdict.reasons.some((x) => /^last attach\/detach pid [0-9]+ is dead/.test(x)), 'the dead sidecar pid is reported, and decides nothing');
  const d: Out = JSON.parse(fs.readFileSync(done, 'utf8'));
  assert.deepEqual(d.report?.outcomes ?? [], [], 'nothing executed');
  assert.ok(shmIds(ns).includes(seg.id), 'the segment still exists');
});

for (const hidepid of ['2', '1'] as const) {
  test(`hidepid=${hidepid}: another user's live process that used a non-root owner's segment is unknown, and the segment stays`, async () => {
    assertPrivateIpcNamespace();
    const ns = await nested();
    // owner uid 65534 creates the segment (mode 0666) and exits: its creator pid is dead
    const mk = ns.start(owner, ['shm', '0x5200', '4096', '666'], { user: 'nobody' });
    started.push(mk);
    const [seg] = parseHelperLines(await mk.until()).shms;
    await mk.kill();
    // uid 1001 attaches and detaches and keeps running (lpid = a live process of another user)
    const user = ns.start('setpriv', ['--reuid=1001', '--regid=1001', '--clear-groups', '--', forOtherUsers(owner), 'touch', String(seg.id)]);
    started.push(user);
    const lines = await user.until();
    const touchPid = Number(lines[0].split(' ')[1]);
    assert.equal(Number(shmRow(ns, seg.id)[5]), touchPid, 'lpid = the live uid 1001 process');

    // the owner plans and executes as itself, with /proc mounted hidepid=N in a private mount namespace
    const uid = ns.run('id', ['-u', 'nobody']).stdout.trim();
    const gid = ns.run('id', ['-g', 'nobody']).stdout.trim();
    const script = [
      `mount -t proc -o hidepid=${hidepid} proc /proc || exit 5`,
      'uid=$1; gid=$2; shift 2',
      'exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"',
    ].join('\n');
    // the owner runs the CLI as itself: a staged copy, since the checkout may sit in a directory it cannot enter
    const staged = stagedIpcx({ ...process.env, HOME: tmp() });
    const run = (args: string[]) => ns.run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', uid, gid, process.execPath, staged.js, ...args], { env: staged.env });
    const planRun = run(RECYCLE);
    assert.equal(planRun.status, 0, planRun.stderr);
    const p: Out = JSON.parse(planRun.stdout);
    assert.equal(p.plan.candidates.find((e) => e.id === seg.id), undefined, `not a candidate: ${JSON.stringify(p.plan.candidates)}`);
    const st = p.plan.stays.find((e) => e.id === seg.id)!;
    assert.equal(st.verdict.state, 'unknown', st.verdict.reasons.join(' | '));
    const why = hidepid === '2'
      ? new RegExp(`^last attach/detach pid ${touchPid}: exists \\(kill\\(${touchPid}, 0\\): EPERM\\) but /proc/${touchPid} is hidden by hidepid=2 \\(invisible\\)`)
      : new RegExp(`^last attach/detach pid ${touchPid}: exists but /proc/${touchPid}/stat is not readable \\(EPERM, hidepid=1 \\(noaccess\\)\\)`);
    assert.ok(st.verdict.reasons.some((x) => why.test(x)), st.verdict.reasons.join(' | '));
    assert.ok(st.verdict.reasons.some((x) => /^creator pid [0-9]+ is dead/.test(x)), 'the dead creator is reported');

    const yes = run([...RECYCLE, '--yes', '--audit', path.join(tmp(), `hidepid${hidepid}.jsonl`)]);
    assert.equal(yes.status, 0, yes.stderr);
    assert.deepEqual(JSON.parse(yes.stdout).report.outcomes, [], 'nothing executed');
    assert.ok(shmIds(ns).includes(seg.id), 'the segment still exists');
    await user.kill();
  });
}

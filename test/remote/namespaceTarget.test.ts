/**
 * One other IPC namespace of an SSH host, read and recycled in over SSH, against a real sshd on 127.0.0.1 (in
 * its own private IPC namespace) and namespaces made on this machine by the test (`unshare --ipc --mount
 * --pid --fork`: own kernel.sem, own tmpfs /dev/shm with a file, sets, a queue, a holder). Every script of
 * such a source runs under `nsenter -t PID -i` on the host, /dev/shm read as /proc/PID/root/dev/shm:
 * - its snapshot (SysV objects, limits, usage, POSIX objects, /dev/shm size and use) equals the one the
 *   native binding takes inside it (setns on a worker thread);
 * - `ipcx recycle --host DEST --namespace PID --yes` removes that namespace's orphan only (the same id in
 *   another made namespace, and an orphan in the sshd's own, stay) and the audit names the namespace;
 * - a namespace whose last process exits while the host's probe is between listing it and entering it (a
 *   `nsenter` first on the session's PATH holds that one call at a fifo until the test has killed it) is
 *   an ENOENT for that namespace only; the other is read;
 * - refusals: a non-root session without sudo, an unknown name, several hosts;
 * - `--namespace NAME --host DEST` lists the host's namespaces without entering them (a session whose
 *   `nsenter` logs its `-t PID` shows only the named namespace entered); `--all-namespaces` enters each.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { discoverNamespaces, findNamespace } from '../../extension/backend/namespaces';
import { NamespaceSource } from '../../extension/backend/namespaceSource';
import { loadNative } from '../../extension/backend/nativeLoader';
import type { IpcSnapshot } from '../../extension/shared/model';
import { makeNamespace, type MadeNamespace } from '../helpers/containers';
import { needs } from '../helpers/capabilities';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { SshdHarness } from './sshdHarness';
import { SshSource } from '../../extension/remote/sshSource';
import { LocalProbeRunner } from '../../extension/backend/localProbeRunner';

const sshd = needs('sshd');
const root = path.resolve(__dirname, '..', '..');
const ipcxJs = path.join(root, 'dist', 'ipcx.js');
let h: SshdHarness;
let tmp = '';
const made: MadeNamespace[] = [];
const MiB = 1024 * 1024;
let atFifo = '';
let goFifo = '';
let countLog = '';

/** The pids the counting session's nsenter was run with (`-t PID`), in order, and the log emptied. */
function enteredPids(): number[] {
  const text = fs.existsSync(countLog) ? fs.readFileSync(countLog, 'utf8') : '';
  fs.writeFileSync(countLog, '');
  return text.split('\n').map((l) => /^-t (\d+)$/.exec(l)?.[1]).filter((p) => p !== undefined).map(Number);
}

function ipcx(args: string[]) {
  if (!fs.existsSync(ipcxJs)) spawnSync(process.execPath, [path.join(root, 'tools', 'esbuild.mjs')], { cwd: root });
  return spawnSync(process.execPath, [ipcxJs, ...args], {
    encoding: 'utf8', env: { ...process.env, IPCX_SSH_CONFIG: h.configFile, IPCX_SSH_TIMEOUT_SECONDS: '60' }, maxBuffer: 256 * MiB,
  });
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-nstarget-'));
  h = new SshdHarness();
  await h.startHost('s');
  h.addAlias('rootlogin', 's');
  h.addForcedAlias('nobody', 's', '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n');
  // a session whose PATH starts with a directory holding `nsenter`: for the pid named in $tmp/victim it
  // writes the at-fifo and waits for the go-fifo before it runs the real nsenter; other calls run at once
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  atFifo = path.join(tmp, 'at');
  goFifo = path.join(tmp, 'go');
  for (const f of [atFifo, goFifo]) assert.equal(spawnSync('mkfifo', [f]).status, 0);
  const real = spawnSync('sh', ['-c', 'command -v nsenter'], { encoding: 'utf8' }).stdout.trim();
  fs.writeFileSync(path.join(bin, 'nsenter'), [
    '#!/bin/sh',
    `v=$(cat ${tmp}/victim 2>/dev/null)`,
    'if [ -n "$v" ] && [ "$1" = "-t" ] && [ "$2" = "$v" ]; then',
    `  rm -f ${tmp}/victim; echo at > ${atFifo}; read x < ${goFifo}`,
    'fi',
    `exec ${real} "$@"`,
    '',
  ].join('\n'), { mode: 0o755 });
  h.addForcedAlias('held', 's', `#!/bin/sh\nPATH=${bin}:$PATH; export PATH\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`);
  // a session whose `nsenter` first writes its first two arguments (`-t PID`, `--version`) to $tmp/nsenter.log
  const cbin = path.join(tmp, 'cbin');
  fs.mkdirSync(cbin);
  countLog = path.join(tmp, 'nsenter.log');
  fs.writeFileSync(path.join(cbin, 'nsenter'), `#!/bin/sh\nprintf '%s %s\\n' "$1" "$2" >> ${countLog}\nexec ${real} "$@"\n`, { mode: 0o755 });
  h.addForcedAlias('counted', 's', `#!/bin/sh\nPATH=${cbin}:$PATH; export PATH\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`);
  made.push(await makeNamespace({ shmSize: '8m', sem: '250 32000 32 6', sets: 2, nsems: 3, blobMiB: 2 }));
  made.push(await makeNamespace({ shmSize: '4m', sem: '250 32000 32 9', sets: 1, nsems: 5, queues: 1, blobMiB: 3 }));
});

after(async () => {
  for (const m of made) await m.end();
  await h?.stopAll();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** What both readers must agree on: objects, limits, usage, POSIX objects, /dev/shm size and use. */
function essentials(s: IpcSnapshot) {
  return {
    ns: s.ipcNamespace,
    sems: s.sems.map((x) => [x.id, x.key, x.nsems, x.mode, x.uid, x.ctime, x.otime]),
    shms: s.shms.map((x) => [x.id, x.key, x.segsz, x.nattch, x.cpid]),
    msgs: s.msgs.map((x) => [x.id, x.key, x.qnum, x.cbytes, x.lspid]),
    limits: { ...s.limits, unlimited: undefined, mqueue: undefined },
    usage: [s.usage.semSets, s.usage.semTotal, s.usage.shmSegments, s.usage.shmPages, s.usage.msgQueues, s.usage.msgMessages, s.usage.msgBytes],
    posixShms: s.posixShms.map((x) => [x.name, x.size, x.uid, x.mode]),
    posixSems: s.posixSems.map((x) => [x.name, x.decoded?.value]),
    devShm: s.devShm && { path: s.devShm.path, size: s.devShm.size, used: s.devShm.used },
  };
}

test('a namespace read over SSH (nsenter -t PID -i, /dev/shm through /proc/PID/root) equals the snapshot taken inside it', sshd, async () => {
  // a POSIX semaphore file of each one's own, written inside its /dev/shm (the bytes of a sem_t with value 3)
  const sem = Buffer.alloc(32);
  sem.writeUInt32LE(3, 0);
  for (const m of made) fs.writeFileSync(`/proc/${m.pid}/root/dev/shm/sem.nstarget`, sem);
  const host = h.source('rootlogin', { timeoutMs: 120_000 });
  const listed = await host.snapshotWithNamespaces();
  const discovery = discoverNamespaces();
  for (const [m, want] of [[made[0]!, { semmni: 6, size: 8 * MiB, used: 2 * MiB }], [made[1]!, { semmni: 9, size: 4 * MiB, used: 3 * MiB }]] as const) {
    const info = listed.namespaces.list.find((e) => e.namespace.ns === m.ns)?.namespace;
    assert.ok(info, `${m.ns} listed`);
    assert.ok(info.pids.includes(m.pid), 'every member pid is listed');
    const s = await host.forNamespace(info).snapshot();
    const found = findNamespace(discovery.namespaces, String(m.pid));
    assert.ok('ns' in found);
    const inside = await new NamespaceSource(found.ns).snapshot();
    assert.deepEqual(essentials(s), essentials(inside));
    assert.equal(s.limits.semmni, want.semmni, 'its own kernel.sem');
    assert.equal(s.devShm?.size, want.size, 'its own /dev/shm tmpfs');
    assert.ok((s.devShm?.used ?? 0) >= want.used);
    assert.deepEqual(s.posixShms.map((x) => x.name), ['/blob'], 'its own /dev/shm file, not the host\'s');
    assert.deepEqual(s.posixSems.map((x) => [x.name, x.decoded?.value]), [['/nstarget', 3]]);
    // the pids its objects name have facts (the host's pid numbers)
    for (const q of s.msgs) assert.ok(s.processes[q.lspid], `facts for lspid ${q.lspid}`);
    // the host's one-round-trip listing read the same namespace the same way
    const once = listed.namespaces.list.find((e) => e.namespace.ns === m.ns)?.snapshot;
    assert.ok(once);
    assert.deepEqual(essentials(once), essentials(s));
  }
});

test('ipcx snapshot|limits --host DEST --namespace PID|ipc:[N]: that namespace only; refusals say why', sshd, () => {
  const [a, b] = made as [MadeNamespace, MadeNamespace];
  const s = ipcx(['snapshot', '--host', 'rootlogin', '--namespace', String(b.pid), '--json']);
  assert.equal(s.status, 0, s.stderr);
  const snap = JSON.parse(s.stdout) as IpcSnapshot;
  assert.equal(snap.ipcNamespace, b.ns);
  assert.equal(snap.msgs.length, 1);
  assert.deepEqual(snap.posixShms.map((x) => x.name), ['/blob']);
  assert.deepEqual(snap.posixSems.map((x) => x.name), ['/nstarget']);
  const l = ipcx(['limits', '--host', 'rootlogin', '--namespace', a.ns]);
  assert.equal(l.status, 0, l.stderr);
  assert.match(l.stdout, /^SEMMNI .* 2 +6 /m, 'its own SEMMNI');
  assert.match(l.stdout, new RegExp(`^DEVSHM +/proc/\\d+/root/dev/shm \\(tmpfs\\) .* 8 MiB \\(8,388,608\\)`, 'm'));
  // not root, no sudo: the reason, exit 1
  const n = ipcx(['snapshot', '--host', 'nobody', '--namespace', a.ns]);
  assert.equal(n.status, 1, n.stdout);
  assert.match(n.stderr, /uid 65534 \(not root\) and the host has no sudo/);
  const u = ipcx(['snapshot', '--host', 'rootlogin', '--namespace', 'no-such-container']);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /no IPC namespace is named "no-such-container"/);
  const two = ipcx(['snapshot', '--host', 'rootlogin', '--host', 'nobody', '--namespace', a.ns]);
  assert.equal(two.status, 2);
  assert.match(two.stderr, /one host at a time/);
});

test('--namespace with --host lists the host\'s namespaces without entering them: only the one named is entered, by label, ipc:[N] or pid', sshd, async () => {
  const [a, b] = made as [MadeNamespace, MadeNamespace];
  // the listing alone: every namespace listed (pids, label), none entered, nothing of them read
  const host = h.source('counted', { timeoutMs: 120_000 });
  enteredPids();
  const listed = await host.snapshotWithNamespaces({ listOnly: true });
  await host.close();
  assert.equal(listed.namespaces.listedOnly, true);
  assert.equal(listed.namespaces.enteredAs, 'root', 'it says how they would be entered');
  assert.deepEqual(enteredPids(), [], 'the listing entered no namespace');
  const infoOf = (m: MadeNamespace) => {
    const e = listed.namespaces.list.find((x) => x.namespace.ns === m.ns);
    assert.ok(e, `${m.ns} listed`);
    assert.equal(e.snapshot, undefined, 'not read');
    assert.equal(e.error, undefined);
    assert.ok(e.namespace.pids.includes(m.pid), 'every member pid is listed');
    assert.equal(e.namespace.enterable, true);
    return e.namespace;
  };
  const ia = infoOf(a);
  const ib = infoOf(b);
  assert.match(ib.label, /^ipc:\[\d+\] · \S+ \(pid \d+\)$/, 'labelled as `ipcx namespaces` labels it');
  // the full listing (--all-namespaces) still enters each one in its round trip
  const full = h.source('counted', { timeoutMs: 120_000 });
  const all = await full.snapshotWithNamespaces();
  await full.close();
  const fullEntered = enteredPids();
  for (const i of [ia, ib]) assert.ok(fullEntered.includes(i.mainPid), `the full listing entered ${i.ns}`);
  assert.equal(all.namespaces.list.find((x) => x.namespace.ns === b.ns)?.snapshot?.msgs.length, 1);

  // the CLI resolves a name on the host and enters only that namespace (the listing, then its own read)
  for (const [spec, want, args] of [
    [ib.label, ib, ['snapshot', '--json']],
    [a.ns, ia, ['limits']],
    [String(b.pid), ib, ['recycle', '--json', '--min-age', '0', '--audit', path.join(tmp, 'plan-audit.jsonl')]],
  ] as const) {
    const r = ipcx([...args, '--host', 'counted', '--namespace', spec]);
    assert.equal(r.status, 0, `${args[0]} --namespace ${spec}: ${r.stderr}`);
    const pids = enteredPids();
    assert.ok(pids.length >= 1, `${args[0]}: the named namespace was read (nsenter -t PID)`);
    assert.deepEqual(pids.filter((p) => !want.pids.includes(p)), [], `${args[0]} --namespace ${spec}: no other namespace was entered`);
    if (args[0] === 'snapshot') {
      const snap = JSON.parse(r.stdout) as IpcSnapshot;
      assert.equal(snap.ipcNamespace, b.ns);
      assert.equal(snap.msgs.length, 1);
    }
    if (args[0] === 'limits') assert.match(r.stdout, /^SEMMNI .* 2 +6 /m, 'its own SEMMNI');
  }

  // not root, no sudo: listed, each carries the reason, nothing entered; the CLI refuses with it
  const nobody = h.source('nobody', { timeoutMs: 120_000 });
  const n = await nobody.snapshotWithNamespaces({ listOnly: true });
  await nobody.close();
  assert.match(n.namespaces.cannotEnter ?? '', /uid 65534 \(not root\) and the host has no sudo/);
  for (const e of n.namespaces.list) {
    assert.equal(e.error?.code, 'EPERM');
    assert.equal(e.namespace.enterable, false);
  }
  const refused = ipcx(['snapshot', '--host', 'nobody', '--namespace', ib.label]);
  assert.equal(refused.status, 1, refused.stdout);
  assert.match(refused.stderr, /uid 65534 \(not root\) and the host has no sudo/);
});

test('a host answering the other kind of listing (read for list, list for read) is refused, not half-believed', async () => {
  // the real probe run by a real local shell (LocalProbeRunner), behind a filter that flips want_ns on its way in
  for (const [from, to, listOnly] of [['list', '1', true], ['1', 'list', false]] as const) {
    const shell = path.join(tmp, `flip-${to}`);
    fs.writeFileSync(shell, `#!/bin/sh\nsed 's/^want_ns=${from}$/want_ns=${to}/' | exec /bin/sh -s\n`, { mode: 0o755 });
    const s = new SshSource({ spec: 'flipped', destination: 'flipped', host: 'flipped' }, { runner: new LocalProbeRunner({ shell, timeoutMs: 120_000 }) });
    await assert.rejects(s.snapshotWithNamespaces({ listOnly }), (e: Error & { code?: string }) =>
      e.code === 'EPARSE' && /the probe answered .*, not what it was sent/.test(e.message));
    await s.close();
  }
});

test('ipcx recycle --host DEST --namespace PID --yes removes that namespace\'s orphan only', sshd, async () => {
  const native = loadNative().binding!;
  const make = buildC('ipc_make');
  const c = await makeNamespace({ sets: 1, nsems: 2 });
  const d = await makeNamespace({ sets: 1, nsems: 2 });
  made.push(c, d);
  // an orphan in the sshd's own namespace too (the probe's own)
  const sshdPid = h.hosts.get('s')!.pid;
  const own = spawnSync('nsenter', ['-t', String(sshdPid), '-i', '--', make, 'sem', '-n', '1', '-s', '2', '-v', 'p'], { encoding: 'utf8' });
  assert.equal(own.status, 0, own.stderr);
  const ownId = Number(own.stdout.trim().split(' ')[1]);
  const idC = native.inNamespace(`/proc/${c.pid}/ns/ipc`, c.inode).statObject('sem', 0).id;
  const idD = native.inNamespace(`/proc/${d.pid}/ns/ipc`, d.inode).statObject('sem', 0).id;
  assert.equal(idC, idD, 'the same id in both namespaces');

  const audit = path.join(tmp, 'audit.jsonl');
  const r = ipcx(['recycle', '--host', 'rootlogin', '--namespace', String(c.pid), '--yes', '--json', '--include-unrecognized', '--min-age', '0',
    '--recent', '0', '--kind', 'sem', '--audit', audit]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout) as { plan: { removalMode?: { mode: string; detail: string } }; report: { host: string; outcomes: Array<{ kind: string; id: number; action: string }> } };
  assert.deepEqual(out.report.outcomes.map((o) => [o.kind, o.id, o.action]), [['sem', idC, 'removed']]);
  assert.match(out.report.host, new RegExp(`^rootlogin:ipc:\\[${c.inode}\\] `));
  assert.throws(() => native.inNamespace(`/proc/${c.pid}/ns/ipc`, c.inode).statObject('sem', idC), (e: Error & { code?: string }) =>
    ['EINVAL', 'EIDRM'].includes(e.code ?? ''));
  assert.equal(native.inNamespace(`/proc/${d.pid}/ns/ipc`, d.inode).statObject('sem', idD).id, idD, 'the other namespace\'s set stays');
  const sshdIno = Number(/\d+/.exec(fs.readlinkSync(`/proc/${sshdPid}/ns/ipc`))![0]);
  assert.equal(native.inNamespace(`/proc/${sshdPid}/ns/ipc`, sshdIno).statObject('sem', ownId).id, ownId, 'the host\'s own set stays');
  const records = fs.readFileSync(audit, 'utf8').trim().split('\n').map((x) => JSON.parse(x) as { host: string; removalMode?: string });
  assert.ok(records.length >= 1);
  for (const rec of records) assert.match(rec.host, new RegExp(`^rootlogin:ipc:\\[${c.inode}\\]`), 'the audit names the namespace');
  assert.ok(records.some((rec) => rec.removalMode === 'locked'), 'locked removal: the self-test ran in the host\'s own namespace');
  spawnSync('nsenter', ['-t', String(sshdPid), '-i', '--', 'ipcrm', '-s', String(ownId)]);
});

test('a namespace whose last process exits between the listing and nsenter is ENOENT for itself only', sshd, async () => {
  const victim = await makeNamespace({ sets: 1, nsems: 2 });
  made.push(victim);
  const other = made[1]!;
  // the probe enters each namespace through its lowest pid: the unshare process
  const lowest = discoverNamespaces().namespaces.find((n) => n.ns === victim.ns)!.pids[0]!;
  fs.writeFileSync(path.join(tmp, 'victim'), String(lowest));
  const host = h.source('held', { timeoutMs: 120_000 });
  const running = host.snapshotWithNamespaces();
  // the probe has listed the victim and its nsenter is held: end the namespace, then let nsenter run
  assert.equal((await fs.promises.readFile(atFifo, 'utf8')).trim(), 'at');
  await victim.end();
  assert.equal(fs.existsSync(`/proc/${lowest}`), false);
  await fs.promises.writeFile(goFifo, 'go\n');
  const r = await running;
  const v = r.namespaces.list.find((e) => e.namespace.ns === victim.ns);
  assert.ok(v, 'the victim was listed');
  assert.equal(v.snapshot, undefined);
  assert.equal(v.error?.code, 'ENOENT', v.error?.message);
  assert.match(v.error?.message ?? '', /the namespace is gone/);
  const o = r.namespaces.list.find((e) => e.namespace.ns === other.ns);
  assert.equal(o?.snapshot?.msgs.length, 1, o?.error?.message);
  // and a source made for it before it ended says so too, without touching anything
  const gone = host.forNamespace(v.namespace);
  await assert.rejects(gone.snapshot(), (e: Error & { code?: string }) => e.code === 'ENOENT' && /the namespace is gone/.test(e.message));
});

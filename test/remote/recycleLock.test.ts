/**
 * Remote removal modes over a real sshd (objects in the sshd's private IPC namespace):
 *   - host `lk` has this machine's perl: the lock self-test passes, removals are LOCK -> VERIFY -> REMOVE in Perl
 *     (IPC_SET mode 0, every planned field read again, IPC_RMID);
 *   - host `nop` has no perl (a bind mount hides /usr/bin/perl in its mount namespace): removals are the widened
 *     check-then-ipcrm.
 * The plan and the audit say which mode each host got. Interleavings are forced with the removal program's
 * test hook (a fifo named by IPCX_TEST_LOCK_PAUSE_FIFO, set by this sshd's `SetEnv`): the program holds its
 * lock until the test writes to the fifo.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { SshSource } from '../../extension/remote/sshSource';
import { AuditLog } from '../../extension/backend/audit';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { expectationFor, formatPlanReport } from '../../extension/domain/recyclePlan';
import type { SysvObject } from '../../extension/shared/model';
import { SshdHarness, type SshdHost } from './sshdHarness';
import { needs } from '../helpers/capabilities';

const sshd = needs('sshd');

let h: SshdHarness;
let lk: SshdHost;
let nop: SshdHost;
let locked: SshSource;
let unlocked: SshSource;
let fifo: string;
const spawned: ChildProcess[] = [];
const PG = [...Array(16).fill('0'), '537'].join(',');
const NOBODY = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--'];

/** The host's /proc/sysvipc row of an object, as columns. */
function row(host: SshdHost, kind: 'sem' | 'shm' | 'msg', id: number): string[] | undefined {
  const t = host.exec('cat', [`/proc/sysvipc/${kind}`]).stdout;
  return t.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((c) => Number(c[1]) === id);
}

/** Runs perl on the host (in its namespaces), optionally as nobody. */
function perl(host: SshdHost, code: string, opts: { nobody?: boolean } = {}): { status: number | null; stdout: string; stderr: string } {
  return opts.nobody ? host.exec(NOBODY[0], [...NOBODY.slice(1), 'perl', '-e', code]) : host.exec('perl', ['-e', code]);
}

function make(host: SshdHost, kind: 'sem' | 'shm' | 'msg', args: string[]): number {
  const r = host.exec(buildC('ipc_make'), [kind, '-n', '1', ...args]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return Number(r.stdout.trim().split(' ')[1]);
}

async function planned(src: SshSource, kind: 'sem' | 'shm' | 'msg', id: number): Promise<SysvObject> {
  const s = await src.snapshot();
  const list: SysvObject[] = kind === 'sem' ? s.sems : kind === 'shm' ? s.shms : s.msgs;
  const o = list.find((x) => x.id === id);
  assert.ok(o, `${kind} ${id} is in the snapshot`);
  return o;
}

/** A blocker (msg_block) in the host's namespaces; resolves with its pid once it says it is about to block. */
async function blockOnHost(name: string, mode: 'rcv' | 'snd', id: number): Promise<number> {
  const target = String(h.namespacePid(name));
  // nsenter without --pid execs the program: the process we start is the blocker itself
  const p = spawn('nsenter', ['--ipc', '--mount', '--target', target, '--', buildC('msg_block'), mode, String(id)], { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(p);
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf);
    });
    p.once('exit', (c) => reject(new Error(`msg_block ${mode} exited with ${c}`)));
  });
  const pid = Number(/^blocking (\d+)/.exec(line)?.[1]);
  assert.equal(pid, p.pid, 'nsenter exec\'d the blocker');
  const nr = mode === 'rcv' ? [70, 188] : [69, 189];
  await waitFor(`msg_block ${mode} to block`, () => blockedIn(pid).some((n) => nr.includes(n)));
  return pid;
}

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The syscall number a thread of `pid` is blocked in (from /proc/PID/task/*\/syscall), or undefined. */
function blockedIn(pid: number): number[] {
  const out: number[] = [];
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    const l = fs.readFileSync(`/proc/${pid}/task/${t}/syscall`, 'utf8').trim();
    if (/^\d+ /.test(l)) out.push(Number(l.split(' ')[0]));
  }
  return out;
}

/** A task on this machine whose syscall file root cannot read (a sandbox's own supervisor), if any. */
function unreadableTask(): string | undefined {
  for (const p of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tids) {
      const f = `/proc/${p}/task/${t}/syscall`;
      try {
        fs.readFileSync(f);
      } catch (e) {
        if (fs.existsSync(`/proc/${p}/task/${t}`) && (e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ESRCH') return f;
      }
    }
  }
  return undefined;
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  buildC('ipc_make');
  h = new SshdHarness();
  fifo = path.join(h.dir, 'lock-pause.fifo');
  lk = await h.startHost('lk', { sshdConfig: [`SetEnv IPCX_TEST_LOCK_PAUSE_FIFO=${fifo}`] });
  nop = await h.startHost('nop');
  // a host without perl: /usr/bin/perl (and /bin/perl, the same file on merged-/usr) hidden in its mount namespace
  const hide = nop.exec('mount', ['--bind', '/dev/null', fs.realpathSync('/usr/bin/perl')]);
  assert.equal(hide.status, 0, hide.stderr);
  assert.notEqual(nop.exec('sh', ['-c', 'command -v perl']).status, 0, 'perl is hidden on host nop');
  h.addAlias('lkhost', 'lk');
  h.addAlias('nophost', 'nop');
  locked = h.source('lkhost');
  unlocked = h.source('nophost');
});

after(async () => {
  for (const p of spawned) {
    if (p.pid && p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  await h?.stopAll();
});

test('a host with perl gets the lock: the self-test passes, plan and audit say "locked", the dead set is removed', sshd, async () => {
  const mode = await locked.removalMode();
  assert.equal(mode.mode, 'locked', mode.detail);
  assert.match(mode.detail, /x86_64 struct layout verified on throwaway objects|asm-generic struct layout verified/);
  // the self-test removed its throwaway objects
  for (const k of ['sem', 'shm', 'msg'] as const) assert.equal(lk.exec('cat', [`/proc/sysvipc/${k}`]).stdout.trim().split('\n').length, 1, `${k}: no object left`);
  const id = make(lk, 'sem', ['-s', '17', '-v', PG, '-k', '5433001']);
  const prepared = await prepareRecycle(locked, { verdict: { recentActivitySeconds: 0, minOrphanAgeSeconds: 0 } });
  assert.equal(prepared.plan.removal?.mode, 'locked');
  assert.match(formatPlanReport(prepared.plan), /Removal mode on lkhost: locked \(lock -> verify -> remove/);
  const audit = new AuditLog(path.join(h.dir, 'audit-lk.jsonl'));
  const report = await executeRecyclePlan(prepared.plan, { source: locked, processFacts: prepared.processFacts, audit });
  assert.equal(report.removed, 1, JSON.stringify(report.outcomes));
  assert.equal(row(lk, 'sem', id), undefined);
  const recs = audit.read().filter((r) => r.action !== 'intent'); // the lock journal's intent precedes the outcome
  assert.equal(recs.length, 1);
  assert.equal(recs[0].removalMode, 'locked');
});

test('locked: a segment attached and detached after planning (lpid, atime, dtime changed) is refused, its mode untouched', sshd, async () => {
  const id = make(lk, 'shm', ['-s', '8192', '-k', '5433101', '-m', '640']);
  const exp = expectationFor(await planned(locked, 'shm', id));
  const r = perl(lk, `my $x; shmread(${id}, $x, 0, 1) or die "shmread: $!"`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(row(lk, 'shm', id)![6], '0', 'nattch is 0 again: only lpid/atime/dtime show the activity');
  await assert.rejects(locked.remove('shm', id, exp), (e: { code: string; message: string }) =>
    e.code === 'ECHANGED' && /(lpid|atime|dtime) is now/.test(e.message));
  assert.equal(row(lk, 'shm', id)![2], '640', 'refused before the lock: the mode was never changed');
  // the same object, planned again, is removed
  await locked.remove('shm', id, expectationFor(await planned(locked, 'shm', id)));
  assert.equal(row(lk, 'shm', id), undefined);
});

test('locked: a queue that received a message after planning (qnum, cbytes, lspid changed) is refused', sshd, async () => {
  const id = make(lk, 'msg', ['-k', '5433201', '-m', '660']);
  const exp = expectationFor(await planned(locked, 'msg', id));
  const r = perl(lk, `msgsnd(${id}, pack('l! a*', 1, 'hello'), 04000) or die "msgsnd: $!"`);
  assert.equal(r.status, 0, r.stderr);
  await assert.rejects(locked.remove('msg', id, exp), (e: { code: string; message: string }) => e.code === 'ECHANGED' && /qnum is now 1/.test(e.message));
  assert.equal(row(lk, 'msg', id)![2], '660');
});

test('locked: a set operated on after planning (otime changed) is refused, its mode untouched', sshd, async () => {
  const id = make(lk, 'sem', ['-s', '2', '-k', '5433301', '-m', '600']);
  const o = await planned(locked, 'sem', id);
  const d = (await locked.semDetail([id])).get(id);
  assert.ok(Array.isArray(d));
  const exp = expectationFor({ ...o, elems: d } as SysvObject);
  // semop needs a second that differs from the planned otime (0 here: never operated on)
  const r = perl(lk, `semop(${id}, pack('s!3', 0, 1, 0)) or die "semop: $!"`);
  assert.equal(r.status, 0, r.stderr);
  await assert.rejects(locked.remove('sem', id, exp), (e: { code: string; message: string }) =>
    e.code === 'ECHANGED' && /otime is now|last-op pid/.test(e.message));
  assert.equal(row(lk, 'sem', id)![2], '600');
});

/** Starts a removal, waits until the host shows the lock (mode 0), lets `during` act, then releases the program. */
async function withLockHeld(kind: 'sem' | 'shm' | 'msg', id: number, exp: ReturnType<typeof expectationFor>, during: () => void): Promise<unknown> {
  spawnSync('mkfifo', ['-m', '600', fifo]);
  try {
    const removal = locked.remove(kind, id, exp).then(() => 'removed', (e: unknown) => e);
    await waitFor('the lock (mode 0) on the host', () => row(lk, kind, id)?.[2] === '0');
    during();
    fs.writeFileSync(fifo, 'go\n');
    return await removal;
  } finally {
    fs.rmSync(fifo, { force: true });
  }
}

test('locked: an attach+detach by root while the lock is held is seen by the re-check; refused and the mode restored', sshd, async () => {
  const id = make(lk, 'shm', ['-s', '4096', '-k', '5433401', '-m', '666']);
  const exp = expectationFor(await planned(locked, 'shm', id));
  const out = await withLockHeld('shm', id, exp, () => {
    // root bypasses permission checks: the lock cannot fence it, the verification after the lock sees it
    const r = perl(lk, `my $x; shmread(${id}, $x, 0, 1) or die "shmread: $!"`);
    assert.equal(r.status, 0, r.stderr);
  });
  const e = out as { code?: string; message?: string };
  assert.equal(e.code, 'ECHANGED', String(out));
  assert.match(e.message!, /(lpid|atime|dtime) is now .* while locked; mode restored to 0666/);
  assert.equal(row(lk, 'shm', id)![2], '666', 'the original mode is back');
});

test('locked: a non-root process cannot attach while the lock is held (EACCES); the unused segment is then removed', sshd, async () => {
  const id = make(lk, 'shm', ['-s', '4096', '-k', '5433501', '-m', '666']);
  const exp = expectationFor(await planned(locked, 'shm', id));
  // before the lock, nobody can attach (mode 666)
  const pre = perl(lk, `my $x; shmread(${id}, $x, 0, 1) or die "shmread: $!\\n"; print "ok"`, { nobody: true });
  assert.equal(pre.status, 0, pre.stderr);
  const exp2 = expectationFor(await planned(locked, 'shm', id));
  assert.notDeepEqual(exp2, exp);
  const out = await withLockHeld('shm', id, exp2, () => {
    const r = perl(lk, `my $x; shmread(${id}, $x, 0, 1) or die "shmread: $!\\n"`, { nobody: true });
    assert.notEqual(r.status, 0, 'nobody attached through the lock');
    assert.match(r.stderr, /Permission denied/);
  });
  assert.equal(out, 'removed', String(out));
  assert.equal(row(lk, 'shm', id), undefined);
});

test('locked: a semop by root while the lock is held is seen; refused, mode restored', sshd, async () => {
  const sid = make(lk, 'sem', ['-s', '3', '-k', '5433452', '-m', '640']);
  const o = await planned(locked, 'sem', sid);
  const d = (await locked.semDetail([sid])).get(sid);
  assert.ok(Array.isArray(d));
  const sout = await withLockHeld('sem', sid, expectationFor({ ...o, elems: d } as SysvObject), () => {
    const r = perl(lk, `semop(${sid}, pack('s!3', 2, 1, 0)) or die "semop: $!"`);
    assert.equal(r.status, 0, r.stderr);
  });
  assert.equal((sout as { code?: string }).code, 'ECHANGED', String(sout));
  assert.match((sout as Error).message, /(otime is now|last-op pid of semaphore 2 is now) .* while locked; mode restored to 0640/);
  assert.equal(row(lk, 'sem', sid)![2], '640');
});

test('locked: a message sent by root while the lock is held is seen (where every thread can be inspected; else the queue stays unlocked)', sshd, async () => {
  const q = make(lk, 'msg', ['-k', '5433451', '-m', '620']);
  const exp = expectationFor(await planned(locked, 'msg', q));
  const hidden = unreadableTask();
  if (hidden) {
    // the blocked-thread proof fails before the lock is taken: refused, the queue never locked
    await assert.rejects(locked.remove('msg', q, exp), (e: { code: string; message: string }) =>
      e.code === 'ECHANGED' && /cannot prove that no process is blocked in msgrcv\/msgsnd on the queue/.test(e.message) && !/while locked/.test(e.message));
    assert.equal(row(lk, 'msg', q)![2], '620');
    assert.equal(row(lk, 'msg', q)![13], String(exp.ctime), 'ctime untouched: no IPC_SET happened');
    return;
  }
  const qout = await withLockHeld('msg', q, exp, () => {
    const r = perl(lk, `msgsnd(${q}, pack('l! a*', 1, 'late'), 04000) or die "msgsnd: $!"`);
    assert.equal(r.status, 0, r.stderr);
  });
  assert.equal((qout as { code?: string }).code, 'ECHANGED', String(qout));
  assert.match((qout as Error).message, /qnum is now 1 \(was 0\) while locked; mode restored to 0620/);
  assert.equal(row(lk, 'msg', q)![2], '620');
});

test('a host where the lock self-test fails (no queue can be created: msgmni 0) gets "unlocked" with the reason, and its throwaways are gone', sshd, async () => {
  const full = await h.startHost('full');
  h.addAlias('fullhost', 'full');
  const w = full.exec('sh', ['-c', 'echo 0 > /proc/sys/kernel/msgmni']);
  assert.equal(w.status, 0, w.stderr);
  const src = h.source('fullhost');
  try {
    const id = make(full, 'shm', ['-s', '4096', '-k', '5433801', '-m', '600']);
    const exp = expectationFor(await planned(src, 'shm', id));
    const mode = await src.removalMode();
    assert.equal(mode.mode, 'unlocked', mode.detail);
    assert.match(mode.detail, /check-then-ipcrm, no lock: the lock self-test failed: msgget\(IPC_PRIVATE\): ENOSPC/);
    // the sem and shm throwaways made before the failure were removed
    assert.equal(full.exec('cat', ['/proc/sysvipc/sem']).stdout.trim().split('\n').length, 1);
    assert.deepEqual(full.exec('cat', ['/proc/sysvipc/shm']).stdout.trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[1])), [id]);
    // removal there is the widened check-then-ipcrm: it never takes the lock, and still compares every field
    const r = full.exec(buildC('msg_block'), ['attach', String(id)]);
    assert.equal(r.status, 0, r.stderr);
    await assert.rejects(src.remove('shm', id, exp), (e: { code: string; message: string }) => e.code === 'ECHANGED' && /(lpid|atime|dtime) is now/.test(e.message));
    await src.remove('shm', id, expectationFor(await planned(src, 'shm', id)));
    assert.equal(row(full, 'shm', id), undefined);
  } finally {
    await src.close();
  }
});

for (const mode of ['locked', 'unlocked'] as const) {
  test(`${mode}: a queue with a receiver blocked in msgrcv, and one with a sender blocked on a full queue, stay`, sshd, async () => {
    const src = mode === 'locked' ? locked : unlocked;
    const host = mode === 'locked' ? lk : nop;
    const name = mode === 'locked' ? 'lk' : 'nop';
    const usePerl = mode === 'locked';
    // receiver: blocks in msgrcv on an empty queue
    const rq = make(host, 'msg', ['-k', String(mode === 'locked' ? 5433601 : 5433611), '-m', '666']);
    const recv = await blockOnHost(name, 'rcv', rq);
    // sender: the queue is filled to msg_qbytes, the next msgsnd blocks
    const sq = make(host, 'msg', ['-k', String(mode === 'locked' ? 5433602 : 5433612), '-m', '666']);
    const send = await blockOnHost(name, 'snd', sq);
    for (const [q, who] of [[rq, recv], [sq, send]] as const) {
      const exp = expectationFor(await planned(src, 'msg', q));
      await assert.rejects(src.remove('msg', q, exp), (e: { code: string; message: string }) =>
        e.code === 'ECHANGED' && new RegExp(`blocked in msgrcv/msgsnd on the queue \\(pid ${who}[,)]`).test(e.message));
      assert.ok(row(host, 'msg', q), `queue ${q} is still there`);
      if (usePerl) assert.equal(row(host, 'msg', q)![2], '666', 'mode restored');
    }
    // once the receiver is gone, the queue's fate depends only on whether every thread can be inspected
    const c = recv;
    process.kill(c, 'SIGKILL');
    await waitFor('the receiver to exit', () => !fs.existsSync(`/proc/${c}`));
    const exp = expectationFor(await planned(src, 'msg', rq));
    const hidden = unreadableTask();
    if (hidden) {
      // this machine has a task root cannot inspect (e.g. a sandbox supervisor): not provable, the queue stays
      await assert.rejects(src.remove('msg', rq, exp), (e: { code: string; message: string }) =>
        e.code === 'ECHANGED' && /cannot prove that no process is blocked in msgrcv\/msgsnd on the queue: (cannot read|read) \/proc\/\d+\/task\/\d+\/syscall/.test(e.message));
      assert.ok(row(host, 'msg', rq));
    } else {
      await src.remove('msg', rq, exp);
      assert.equal(row(host, 'msg', rq), undefined);
    }
  });
}

test('a host without perl gets the widened check-then-ipcrm: plan and audit say "unlocked"; a changed segment is refused', sshd, async () => {
  const id = make(nop, 'shm', ['-s', '4096', '-k', '5433701', '-m', '644']);
  const exp = expectationFor(await planned(unlocked, 'shm', id));
  const r = nop.exec(buildC('msg_block'), ['attach', String(id)]);
  assert.equal(r.status, 0, r.stderr);
  await assert.rejects(unlocked.remove('shm', id, exp), (e: { code: string; message: string }) => e.code === 'ECHANGED' && /(lpid|atime|dtime) is now/.test(e.message));
  assert.ok(row(nop, 'shm', id));
  const mode = await unlocked.removalMode();
  assert.equal(mode.mode, 'unlocked');
  assert.match(mode.detail, /check-then-ipcrm, no lock: perl not found/);
  const dead = make(nop, 'sem', ['-s', '17', '-v', PG, '-k', '5433702']);
  const prepared = await prepareRecycle(unlocked, { verdict: { recentActivitySeconds: 0, minOrphanAgeSeconds: 0 } });
  assert.equal(prepared.plan.removal?.mode, 'unlocked');
  assert.match(formatPlanReport(prepared.plan), /Removal mode on nophost: unlocked check-then-ipcrm \(check-then-ipcrm, no lock: perl not found\)/);
  const audit = new AuditLog(path.join(h.dir, 'audit-nop.jsonl'));
  const report = await executeRecyclePlan(prepared.plan, { source: unlocked, processFacts: prepared.processFacts, audit });
  // the dead set, and the segment refused above (its attach was by a process that has exited), go
  assert.deepEqual(report.outcomes.map((o) => [o.kind, o.id, o.action]).sort(), [['sem', dead, 'removed'], ['shm', id, 'removed']], JSON.stringify(report.outcomes));
  assert.equal(row(nop, 'sem', dead), undefined);
  assert.deepEqual(audit.read().map((r) => r.removalMode), ['unlocked', 'unlocked']);
});

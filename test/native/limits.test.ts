/**
 * Limits and usage: against /proc/sys/kernel/* and `lsipc -g` in the stage's namespace; exact usage counts,
 * tiny limits and a real `semget` ENOSPC in nested IPC namespaces (limits are per namespace and writable by
 * root inside one). lsipc 2.38 miscomputes SEMMNS "used" (DOMAIN.md), so SEM_INFO's semaem is checked
 * against the sum of nsems instead.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { IpcError } from '../../extension/domain/errors';
import type { IpcLimits, IpcUsage } from '../../extension/shared/model';
import { buildC } from '../helpers/cprog';
import { runInNewIpcNamespace } from '../helpers/ns';
import { assertPrivateIpcNamespace, nativeLimits, parseProbe, probeArgv, repoRoot, run } from './support';

const readNum = (f: string): number => Number(fs.readFileSync(f, 'utf8').trim());

test('limits equal /proc/sys/kernel and lsipc -g; ULONG-sized shmmax/shmall are clamped and flagged', () => {
  assertPrivateIpcNamespace();
  const { limits } = nativeLimits();
  const [semmsl, semmns, semopm, semmni] = fs.readFileSync('/proc/sys/kernel/sem', 'utf8').trim().split(/\s+/).map(Number);
  assert.deepEqual([limits.semmsl, limits.semmns, limits.semopm, limits.semmni], [semmsl, semmns, semopm, semmni]);
  assert.equal(limits.semvmx, 32767);
  for (const k of ['shmmni', 'msgmax', 'msgmnb', 'msgmni'] as const) assert.equal(limits[k], readNum(`/proc/sys/kernel/${k}`), k);
  for (const k of ['shmmax', 'shmall'] as const) {
    const text = fs.readFileSync(`/proc/sys/kernel/${k}`, 'utf8').trim();
    if (BigInt(text) > BigInt(Number.MAX_SAFE_INTEGER)) {
      assert.equal(limits[k], Number.MAX_SAFE_INTEGER, `${k} clamped`);
      assert.ok(limits.unlimited?.includes(k), `${k} flagged unlimited`);
    } else {
      assert.equal(limits[k], Number(text));
    }
  }
  assert.equal(limits.shmRmidForced, readNum('/proc/sys/kernel/shm_rmid_forced') !== 0);
  assert.equal(limits.pageSize, Number(run('getconf', ['PAGESIZE']).trim()));
  const g = JSON.parse(run('lsipc', ['-g', '--json', '-b']))['ipclimits'] as Array<Record<string, string>>;
  const lim = (r: string): string => g.find((x) => x['resource'] === r)!['limit']!;
  for (const [res, key] of [['SEMMNI', 'semmni'], ['SEMMSL', 'semmsl'], ['SEMMNS', 'semmns'], ['SEMOPM', 'semopm'],
    ['SEMVMX', 'semvmx'], ['SHMMNI', 'shmmni'], ['SHMMIN', 'shmmin'], ['MSGMNI', 'msgmni'], ['MSGMAX', 'msgmax'],
    ['MSGMNB', 'msgmnb']] as const) {
    assert.equal(String(limits[key]), lim(res), res);
  }
});

interface NestedOut {
  makeLines: string[];
  lsipcG: Array<Record<string, string>>;
  limits: IpcLimits;
  usage: IpcUsage;
  sems: Array<{ nsems: number }>;
}

/**
 * In a fresh IPC namespace: write the given /proc/sys files, run ipc_make with each argv, capture
 * `lsipc -g --json`, then run the probe (limits + snapshot). Values travel as positional args, never as
 * shell text.
 */
function nested(sysctl: Array<[string, string]>, makes: string[][]): NestedOut {
  const ipcMake = buildC('ipc_make');
  const script = [
    'set -e',
    'while [ "$1" != "--" ]; do printf "%s\\n" "$2" > "$1"; shift 2; done; shift',
    'mk="$1"; shift',
    'while [ "$1" != "--" ]; do set +e; "$mk" $1; set -e; shift; done; shift',
    'echo @@@; lsipc -g --json -b; echo @@@',
    'exec "$@"',
  ].join('\n');
  const args: string[] = [];
  for (const [f, v] of sysctl) {
    assert.match(f, /^\/proc\/sys\/(kernel|fs\/mqueue)\/[a-z_]+$/);
    args.push(f, v);
  }
  args.push('--', ipcMake, ...makes.map((m) => m.join(' ')), '--', ...probeArgv([{ op: 'limits' }, { op: 'snapshot' }]));
  const r = runInNewIpcNamespace('sh', ['-c', script, 'sh', ...args], { cwd: repoRoot, maxBuffer: 1 << 26 });
  const out = String(r.stdout);
  const [makePart, lsPart, probePart] = out.split('@@@\n');
  const p = parseProbe({ status: r.status, stdout: probePart ?? '', stderr: String(r.stderr) + out });
  assert.ok(p.load.ok, JSON.stringify(p.load.error));
  const lu = p.results[0]!.value as { limits: IpcLimits; usage: IpcUsage };
  const snap = p.results[1]!.value as { sems: Array<{ nsems: number }> };
  return {
    makeLines: (makePart ?? '').trim().split('\n').filter(Boolean),
    lsipcG: JSON.parse(lsPart!)['ipclimits'],
    limits: lu.limits,
    usage: lu.usage,
    sems: snap.sems,
  };
}

test('tiny SEMMNI in a nested namespace: the 5th semget fails with ENOSPC, usage is exact, hint explains', () => {
  assertPrivateIpcNamespace();
  const o = nested([['/proc/sys/kernel/sem', '250 1000 32 4']], [['sem', '-n', '5', '-s', '2']]);
  assert.deepEqual([o.limits.semmsl, o.limits.semmns, o.limits.semopm, o.limits.semmni], [250, 1000, 32, 4]);
  assert.equal(o.makeLines.filter((l) => l.startsWith('sem ')).length, 4);
  const err = o.makeLines.find((l) => l.startsWith('ERR'));
  assert.equal(err, 'ERR semget ENOSPC 28 4');
  assert.equal(o.usage.semSets, 4);
  assert.equal(o.usage.semTotal, 8);
  assert.equal(o.sems.length, 4);
  const used = (r: string): string => o.lsipcG.find((x) => x['resource'] === r)!['used']!;
  assert.equal(used('SEMMNI'), '4', 'lsipc agrees on sets used');

  const [, syscall, code, errno] = err!.split(' ');
  const e = new IpcError({ code: code!, errno: Number(errno), syscall: syscall! });
  assert.equal(e.message, 'semget: No space left on device (ENOSPC)');
  assert.match(e.hint!, /not disk space/);
  assert.match(e.hint!, /SEMMNI/);
  assert.match(e.hint!, /SEMMNS/);
  assert.equal(e.toInfo().errno, 28);
});

test('tiny SEMMNS in a nested namespace: a 17-semaphore set does not fit in 40 - 34; semaem is exact', () => {
  assertPrivateIpcNamespace();
  const o = nested([['/proc/sys/kernel/sem', '250 40 32 100']], [['sem', '-n', '3', '-s', '17']]);
  assert.equal(o.limits.semmns, 40);
  assert.equal(o.makeLines.find((l) => l.startsWith('ERR')), 'ERR semget ENOSPC 28 2');
  assert.equal(o.usage.semSets, 2);
  assert.equal(o.usage.semTotal, 34, 'SEM_INFO semaem = total semaphores');
  assert.equal(o.usage.semTotal, o.sems.reduce((a, s) => a + s.nsems, 0));
});

test('every settable limit and exact shm/msg usage read back from a nested namespace', () => {
  assertPrivateIpcNamespace();
  const o = nested(
    [
      ['/proc/sys/kernel/shmmax', '1048576'],
      ['/proc/sys/kernel/shmall', '1000'],
      ['/proc/sys/kernel/shmmni', '7'],
      ['/proc/sys/kernel/msgmni', '5'],
      ['/proc/sys/kernel/msgmax', '100'],
      ['/proc/sys/kernel/msgmnb', '300'],
      ['/proc/sys/fs/mqueue/queues_max', '9'],
    ],
    [['shm', '-n', '2', '-s', '5000'], ['msg', '-n', '2', '-M', '3', '-B', '10'], ['shm', '-n', '1', '-s', '2000000']],
  );
  const l = o.limits;
  assert.deepEqual([l.shmmax, l.shmall, l.shmmni, l.msgmni, l.msgmax, l.msgmnb], [1048576, 1000, 7, 5, 100, 300]);
  assert.equal(l.unlimited, undefined);
  assert.equal(l.shmRmidForced, false);
  assert.equal(l.mqueue?.queuesMax, 9);
  assert.equal(o.makeLines.find((x) => x.startsWith('ERR')), 'ERR shmget EINVAL 22 0', 'a segment above SHMMAX');
  assert.equal(o.usage.shmSegments, 2);
  assert.equal(o.usage.shmPages, 4, 'two 5000-byte segments = 2 pages each');
  assert.equal(o.usage.msgQueues, 2);
  assert.equal(o.usage.msgMessages, 6);
  assert.equal(o.usage.msgBytes, 60);
});

test('shm_rmid_forced=1 reads back true (and the kernel then destroyed the creator\'s unattached segment)', () => {
  assertPrivateIpcNamespace();
  const o = nested([['/proc/sys/kernel/shm_rmid_forced', '1']], [['shm', '-n', '1', '-s', '4096']]);
  assert.equal(o.limits.shmRmidForced, true);
  assert.equal(o.makeLines.filter((x) => x.startsWith('shm ')).length, 1);
  assert.equal(o.usage.shmSegments, 0);
});

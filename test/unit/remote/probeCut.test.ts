/**
 * A probe document cut short, by class: whatever point the host's output stops at, and whatever line a step
 * on the host stops writing in the middle of, the parse is a clear EPARSE or a snapshot whose plan removes
 * nothing the whole document would have kept.
 * - the connection or the host's shell stops: every prefix of the document (no `@@end`) is an EPARSE;
 * - a command writing straight to the output dies mid-line (cat of /proc/sysvipc/*, an echo): the script's
 *   next line is glued to the cut one;
 * - a step of a pipeline dies mid-line (find, sort, awk of the /dev/shm listing; grep of the maps): the next
 *   step ends the cut line with a newline and the output goes on. Such a step exits with a status other
 *   than 0, which the probe reports for the /dev/shm listing (section devshm-status) and the parse takes as
 *   "not fully listed".
 * - the per-semaphore detail (`ipcs -s -i` per set) stops between two rows: the next set's section follows.
 * Property checked for each variant: every candidate of its plan is a candidate of the whole document's plan,
 * and no pid the whole document does not show dead is dead.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProbe, parseSemDetail } from '../../../extension/domain/probeParser';
import { buildRecyclePlan } from '../../../extension/domain/recyclePlan';
import { assessSnapshot, verdictOptions } from '../../../extension/domain/verdict';
import type { IpcSnapshot } from '../../../extension/shared/model';

const NOW = 1795556584;
const OLD = NOW - 7200;
const lines = (statuses: string): string[] => [
  '@@ipcx-probe 1',
  '@@section uname', 'Linux 6.18.44 x86_64',
  '@@section hostname', 'db1',
  '@@section uid', '0',
  '@@section now', String(NOW),
  '@@section ipcns', 'ipc:[4026532178]',
  '@@section btime', 'btime 1795555965',
  '@@section clktck', '100',
  '@@section pidns', 'pid:[4026531836]',
  '@@section nspid', 'NSpid:\t11300',
  '@@section procmount', '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '@@section groups', '0',
  '@@section clock', `${NOW}.250000000`, '619.00 1000.00', `${NOW}.260000000`,
  '@@section pagesize', '4096',
  '@@section sysvipc-sem',
  '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime',
  `   5432001      32769   600          3     0     0     0     0 ${OLD} ${OLD}`,
  '@@section sysvipc-shm',
  '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap',
  // attached (live), an orphan of root (dead creator and attacher), an orphan of uid 26 beside its PostgreSQL
  // DSM file, a segment whose last attacher exists but is hidden
  ` 134487831          1  1600                   100 11250 11251      1     0     0     0     0 ${OLD} 0 ${OLD} 4096 0`,
  ` 134487832          2   600                   100  7001  7002      0     0     0     0     0 ${OLD} ${OLD} ${OLD} 0 0`,
  ` 134487833          3   600                    56  7001  7002      0    26    26    26    26 ${OLD} ${OLD} ${OLD} 0 0`,
  ` 134487834          4   600                   100  7001 11250      0     0     0     0     0 ${OLD} ${OLD} ${OLD} 0 0`,
  '@@section sysvipc-msg',
  '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime',
  // a dead sender's queue, a live sender's queue
  ` 841339801          5   600          10          1  7001     0     0     0     0     0 ${OLD}          0 ${OLD}`,
  ` 841339802          6   600          10          1 11251     0     0     0     0     0 ${OLD}          0 ${OLD}`,
  '@@section limits',
  '/proc/sys/kernel/sem 32000 1024000000 500 32000 ',
  '/proc/sys/kernel/shmmni 4096 ',
  '/proc/sys/kernel/msgmni 32000 ',
  '@@section devshm',
  `0 0 644 3 ${OLD} 40 3 /dev/shm/data`,
  `26 26 600 1048 ${OLD} 40 4 /dev/shm/PostgreSQL.1804289383`,
  '@@section devshm-total', '2',
  '@@section devshm-skipped', '0',
  '@@section devshm-status', statuses,
  '@@section devshm-sem',
  '@@section maps',
  '/proc/11251/maps:7f0000000000-7f0000001000 rw-s 00000000 00:01 1                          /SYSV08041d17 (deleted)',
  '@@section pids',
  'q 7001 ENOENT ESRCH',
  'q 7002 ENOENT ESRCH',
  'q 11250 ENOENT EPERM',
  'p 11251 1 0 ipc:[4026532178] 11251 (my app) S 1 11251 11251 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 5000 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0',
  'c 11251 /usr/bin/my app --flag ',
  '@@end',
];
const FULL = lines('0 0 0');

const opts = verdictOptions({ minOrphanAgeSeconds: 0, recentActivitySeconds: 0, recycleUnrecognized: true });
function candidates(s: IpcSnapshot): string[] {
  const plan = buildRecyclePlan(s, assessSnapshot(s, opts, NOW), NOW, { waitsCheckedAtRemoval: true });
  return plan.candidates.map((c) => `${c.kind}:${c.id}`).sort();
}
function deadPids(s: IpcSnapshot): number[] {
  return Object.values(s.processes).filter((f) => f.liveness === 'dead').map((f) => f.pid).sort((a, b) => a - b);
}

const full = parseProbe(FULL.join('\n') + '\n', { host: 'h' });
assert.ok(full.ok, full.ok ? '' : full.error.message);
const FULL_CANDIDATES = candidates(full.value.snapshot);
const FULL_DEAD = deadPids(full.value.snapshot);

/** One line per place the property breaks (the first cut position of each line). */
const firstPerLine = (bad: string[]): string[] => bad.filter((b, i) => i === 0 || b.split(' cut after')[0] !== bad[i - 1]!.split(' cut after')[0]);

/** Parses a variant; returns why it breaks the property, or undefined. */
function judge(text: string): string | undefined {
  let r: ReturnType<typeof parseProbe>;
  try {
    r = parseProbe(text, { host: 'h' });
  } catch (e) {
    return `threw ${String(e)}`;
  }
  if (!r.ok) return undefined;
  const c = candidates(r.value.snapshot).filter((x) => !FULL_CANDIDATES.includes(x));
  if (c.length) return `plans ${c.join(', ')}, which the whole document keeps`;
  const d = deadPids(r.value.snapshot).filter((p) => !FULL_DEAD.includes(p));
  if (d.length) return `takes pid ${d.join(', ')} for dead`;
  return undefined;
}

test('the whole document: the dead root segment and the dead sender\'s queue are planned; the rest stays', () => {
  assert.deepEqual(FULL_CANDIDATES, ['msg:5', 'shm:2']);
  const stays = buildRecyclePlan(full.value.snapshot, assessSnapshot(full.value.snapshot, opts, NOW), NOW, { waitsCheckedAtRemoval: true }).stays;
  assert.match(stays.find((s) => s.id === 3 && s.kind === 'shm')!.why, /PostgreSQL DSM file/);
});

test('output that stops anywhere (no @@end) is an EPARSE', () => {
  const text = FULL.join('\n') + '\n';
  const end = text.lastIndexOf('@@end');
  for (let n = 0; n < end + 4; n++) {
    const r = parseProbe(text.slice(0, n), { host: 'h' });
    assert.equal(r.ok, false, `a document cut after ${n} bytes was accepted`);
  }
});

test('a command that dies mid-line, the script going on: the next line is glued to the cut one; nothing more is planned', () => {
  const bad: string[] = [];
  for (let i = 1; i < FULL.length - 1; i++) {
    const l = FULL[i]!;
    for (let k = 0; k < l.length; k++) {
      const v = [...FULL.slice(0, i), l.slice(0, k) + FULL[i + 1], ...FULL.slice(i + 2)];
      const why = judge(v.join('\n') + '\n');
      if (why) bad.push(`line ${i + 1} cut after ${k} chars: ${why}`);
    }
  }
  assert.deepEqual(firstPerLine(bad), []);
});

test('a pipeline step that dies mid-line (the next step ends the line): maps and /dev/shm lines; nothing more is planned', () => {
  const bad: string[] = [];
  const sectionOf = (i: number) => [...FULL.slice(0, i + 1)].reverse().find((l) => l.startsWith('@@section '));
  for (let i = 1; i < FULL.length - 1; i++) {
    const sec = sectionOf(i);
    if (FULL[i]!.startsWith('@@') || (sec !== '@@section maps' && sec !== '@@section devshm')) continue;
    const l = FULL[i]!;
    for (let k = 1; k < l.length; k++) {
      // the listing's step that died reports its status (a process killed by SIGKILL: 137) as the shell saw it
      const base = sec === '@@section devshm' ? lines('137 0 0') : FULL;
      const v = [...base.slice(0, i), l.slice(0, k), ...base.slice(i + 1)];
      const why = judge(v.join('\n') + '\n');
      if (why) bad.push(`${sec} line ${i + 1} cut after ${k} chars: ${why}`);
    }
  }
  assert.deepEqual(firstPerLine(bad), []);
});

test('per-semaphore detail cut between rows (ipcs -s -i stopped, the next set\'s section follows): the set is not planned', () => {
  // the set's three semaphores: the last one has a process waiting on it (ncount 1)
  const rows = ['semnum     value      ncount     zcount     pid', '0          1          0          0          7001', '1          0          0          0          7001', '2          0          1          0          7002'];
  const withDetail = (body: string[]): IpcSnapshot => {
    const text = ['@@ipcx-semdetail 1', '@@section sem 32769', 'Semaphore Array semid=32769', ...body, '@@section sem 32770', '@@end', ''].join('\n');
    const d = parseSemDetail(text, [32769], 'h');
    assert.ok(d.ok);
    const elems = d.value.get(32769);
    assert.ok(Array.isArray(elems), JSON.stringify(elems));
    const s = full.value.snapshot;
    return { ...s, sems: s.sems.map((x) => (x.id === 32769 ? { ...x, elems, values: elems.map((e) => e.semval) } : x)) };
  };
  assert.ok(!candidates(withDetail(rows)).includes('sem:32769'), 'the whole detail: a waiter keeps the set');
  for (let n = 1; n < rows.length; n++) {
    const s = withDetail(rows.slice(0, n));
    assert.ok(!candidates(s).includes('sem:32769'), `cut after ${n - 1} row(s): planned`);
    const why = buildRecyclePlan(s, assessSnapshot(s, opts, NOW), NOW, { waitsCheckedAtRemoval: true }).stays.find((x) => x.id === 32769)!.why;
    assert.match(why, new RegExp(`lists ${n - 1} of the set's 3 semaphores`));
  }
});

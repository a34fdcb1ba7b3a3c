import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitDocument } from '../../../extension/domain/probeDocument';
import { parseIpcsSemI, parseProbe, parseRemoveResult, parseSemDetail } from '../../../extension/domain/probeParser';

// A Linux probe document as the probe prints it (captured on Linux 6.18 in a private namespace, then one
// shm attacher line and one POSIX semaphore added by hand for coverage).
const LINUX = `@@ipcx-probe 1
@@section uname
Linux 6.18.44 x86_64
@@section hostname
db1
@@section uid
0
@@section now
1795556584
@@section ipcns
ipc:[4026532178]
@@section btime
btime 1795555965
@@section clktck
100
@@section pidns
pid:[4026531836]
@@section nspid
NSpid:	11300
@@section procmount
22 27 0:21 / /proc rw,relatime - proc proc rw
@@section groups
0
@@section clock
1795556584.250000000
619.00 1000.00
1795556584.260000000
@@section pagesize
4096
@@section sysvipc-sem
       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime
-838103764          0   644          3     0     0     0     0          0 1795556584
   5432001      32769   600         17    70    70    70    70 1795556000 1795555990
@@section sysvipc-shm
       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap
 134487831          0  1644                   100 11250 11251      1     0     0     0     0 1795556584          0 1795556584                  4096                     0
@@section sysvipc-msg
       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime
 841339801          0   644          10          2  7001     0     0     0     0     0 1795556500          0 1795556584
@@section limits
/proc/sys/kernel/sem 32000 1024000000 500 32000 
/proc/sys/kernel/shmmax 18446744073692774399 
/proc/sys/kernel/shmall 18446744073692774399 
/proc/sys/kernel/shmmni 4096 
/proc/sys/kernel/msgmax 8192 
/proc/sys/kernel/msgmnb 16384 
/proc/sys/kernel/msgmni 32000 
/proc/sys/kernel/shm_rmid_forced 0 
/proc/sys/fs/mqueue/queues_max 256 
/proc/sys/fs/mqueue/msg_max 10 
/proc/sys/fs/mqueue/msgsize_max 8192 
@@section devshm
0 0 644 3 1795556584 40 3 /dev/shm/data file
0 0 644 32 1795556584 40 2 /dev/shm/sem.orders
@@section devshm-skipped
1
@@section devshm-sem
2 0200000001000000800000000000000000000000000000000000000000000000
@@section maps
/proc/11251/maps:7f0000000000-7f0000001000 rw-s 00000000 00:01 0                          /SYSV08041d17 (deleted)
/proc/11251/maps:7f0000002000-7f0000003000 rw-s 00000000 00:28 2                          /dev/shm/sem.orders
@@section pids
q 7001 ENOENT ESRCH
q 11250 ENOENT EPERM
p 11251 1 0 ipc:[4026532178] 11251 (my app) S 1 11251 11251 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 5000 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0
c 11251 /usr/bin/my app --flag 
@@end
`;

test('a Linux probe document becomes a full ssh-linux snapshot', () => {
  const r = parseProbe(LINUX, { host: 'root@db1' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const s = r.value.snapshot;
  assert.equal(s.source, 'ssh-linux');
  assert.equal(s.platform, 'linux');
  assert.equal(s.host, 'root@db1');
  assert.equal(s.hostname, 'db1');
  assert.equal(s.kernel, '6.18.44');
  assert.equal(s.takenAt, 1795556584000);
  assert.equal(s.ipcNamespace, 'ipc:[4026532178]');
  assert.equal(s.uid, 0);
  assert.deepEqual(s.sems.map((x) => [x.id, x.key, x.nsems, x.mode, x.uid, x.otime, x.ctime]), [
    [0, -838103764, 3, 0o644, 0, 0, 1795556584],
    [32769, 5432001, 17, 0o600, 70, 1795556000, 1795555990],
  ]);
  assert.equal(s.shms.length, 1);
  assert.equal(s.shms[0].dest, true);
  assert.equal(s.shms[0].nattch, 1);
  assert.deepEqual(s.shms[0].attachers, [11251]);
  assert.equal(s.msgs[0].qnum, 2);
  assert.equal(s.limits.semmni, 32000);
  assert.equal(s.limits.shmmni, 4096);
  assert.equal(s.limits.pageSize, 4096);
  assert.deepEqual(s.limits.mqueue, { queuesMax: 256, msgMax: 10, msgsizeMax: 8192 });
  assert.ok(s.limits.unlimited?.includes('shmmax'));
  assert.equal(s.usage.semSets, 2);
  assert.equal(s.usage.semTotal, 20);
  assert.deepEqual(s.posixShms.map((o) => [o.name, o.size, o.mode, o.dev, o.ino]), [['/data file', 3, 0o644, 40, 3]]);
  assert.equal(s.posixSems[0].name, '/orders');
  assert.equal(s.posixSems[0].decoded?.value, 2);
  assert.equal(s.posixSems[0].decoded?.nwaiters, 1);
  assert.deepEqual(s.posixSems[0].attachers, [11251]); // 00:28 = dev 40
  // kill -0 says EPERM: the process exists though /proc does not show it (here hidepid is off: another reason)
  assert.deepEqual([s.processes[11250].alive, s.processes[11250].liveness], [false, 'unknown']);
  assert.match(s.processes[11250].livenessReason!, /exists \(kill\(11250, 0\): EPERM\) but \/proc\/11250 is hidden/);
  assert.deepEqual([s.processes[7001].liveness, s.processes[7001].livenessReason], ['dead', 'no such process (/proc/7001 absent, kill(7001, 0): ESRCH)']);
  const { clockOffset, clockOffsetError, ...view } = s.reader!;
  assert.deepEqual(view, { pidNs: 'pid:[4026531836]', initialPidNs: true, procIsOwnPidNs: true, hidepid: 'off' });
  assert.ok(Math.abs(clockOffset! - (1795556584.255 - 619)) < 1e-6, 'realtime (middle of the two dates) - uptime');
  assert.ok(Math.abs(clockOffsetError! - 0.015) < 1e-6, 'half the bracket + the 10 ms of /proc/uptime');
  assert.equal(s.processes[11251].startBoot, 50);
  assert.equal(s.processes[11251].alive, true);
  assert.equal(s.processes[11251].comm, 'my app');
  assert.equal(s.processes[11251].startTime, 1795555965 + 50);
  assert.equal(s.processes[11251].cmdline, '/usr/bin/my app --flag');
  assert.equal(s.processes[11251].ipcNs, 'ipc:[4026532178]');
  assert.equal(s.processes[7001].alive, false);
  assert.ok(s.warnings.some((w) => /newline/.test(w)));
  assert.deepEqual(s.errors, []);
});

test('malformed, truncated and foreign output are clear EPARSE errors, never a throw', () => {
  const cases: [string, RegExp][] = [
    ['', /sent nothing/],
    ['garbage\x00\xff not a probe at all', /not an ipcx-probe document; it starts with/],
    ['@@ipcx-probe 2\n@@end\n', /version 2/],
    ['@@ipcx-probe x\n@@end\n', /malformed header/],
    [LINUX.slice(0, LINUX.indexOf('@@section limits') + 40), /cut short .*inside section "limits"/],
    [LINUX.replace('@@end\n', '@@end\nmore\n'), /after @@end/],
    [LINUX.replace('@@section limits', '@@section uname'), /appears twice/],
    [LINUX.replace('@@section devshm\n', '@@bogus\n'), /unknown directive/],
    [LINUX.replace('@@section sysvipc-msg', '@@section other'), /lacks section "sysvipc-msg"/],
    [LINUX.replace('@@section uname\nLinux 6.18.44 x86_64', '@@section uname\n'), /"uname" is empty/],
    [LINUX.replace(/@@section now\n\d+/, '@@section now\nsoon'), /host clock/],
    [LINUX.replace(/(@@section sysvipc-sem\n)[^\n]*\n/, '$1'), /no header line/],
    ['@@ipcx-probe 1\nstray\n@@end\n', /outside any section/],
  ];
  for (const [text, re] of cases) {
    const r = parseProbe(text, { host: 'h' });
    assert.equal(r.ok, false, `should fail: ${re}`);
    if (!r.ok) {
      assert.equal(r.error.code, 'EPARSE');
      assert.match(r.error.message, re);
      assert.match(r.error.message, /^h: /);
      assert.ok(r.error.hint);
    }
  }
  // a bad line inside a section is one item's error, the rest is kept
  const r = parseProbe(LINUX.replace('   5432001      32769', '   5432001      zz769'), { host: 'h' });
  assert.ok(r.ok);
  assert.equal(r.value.snapshot.sems.length, 1);
  assert.equal(r.value.snapshot.errors[0].error.code, 'EPARSE');
  // a login banner before the document is tolerated with a warning
  const b = parseProbe('Welcome to db1\n' + LINUX, { host: 'h' });
  assert.ok(b.ok);
  assert.match(b.value.snapshot.warnings.join('\n'), /printed text before the probe/);
  // random bytes never throw
  let seed = 7;
  for (let i = 0; i < 200; i++) {
    const cut = LINUX.slice(0, (seed = (seed * 1103515245 + 12345) % 2 ** 31) % LINUX.length);
    const mutated = cut + String.fromCharCode(seed % 256) + LINUX.slice(cut.length + 1);
    assert.doesNotThrow(() => parseProbe(mutated, { host: 'h' }));
  }
});

test('sem detail: util-linux `ipcs -s -i` per set, vanished sets as per-set errors', () => {
  const text = `@@ipcx-semdetail 1
@@section sem 0

Semaphore Array semid=0
uid=0	 gid=0	 cuid=0	 cgid=0
mode=0644, access_perms=0644
nsems = 2
otime = Not set                   
ctime = Tue Nov 24 21:43:04 2026  
semnum     value      ncount     zcount     pid       
0          4          1          0          321       
1          537        0          2          0         

@@section sem 99
ipcs: id 99 not found
@@section sem 5
ipcs: Permission denied
@@end
`;
  const r = parseSemDetail(text, [0, 99, 5, 7], 'h');
  assert.ok(r.ok);
  assert.deepEqual(r.value.get(0), [{ semval: 4, ncount: 1, zcount: 0, pid: 321 }, { semval: 537, ncount: 0, zcount: 2, pid: 0 }]);
  assert.equal((r.value.get(99) as { code: string }).code, 'EINVAL');
  assert.equal((r.value.get(5) as { code: string }).code, 'EACCES');
  assert.equal((r.value.get(7) as { code: string }).code, 'EPARSE');
  const bad = parseIpcsSemI('semnum value ncount zcount pid\n0 1 2\n', 3, 'h');
  assert.equal((bad as { code: string }).code, 'EPARSE');
  assert.equal(parseSemDetail('@@ipcx-semdetail 1\n@@section sem 0\n', [0], 'h').ok, false);
});

test('removal results', () => {
  const p = (t: string) => parseRemoveResult(`@@ipcx-remove 1\n${t}\n@@end\n`, 'h');
  assert.deepEqual(p('@@result ok'), { ok: true, value: { result: 'ok' } });
  assert.deepEqual(p('@@result gone'), { ok: true, value: { result: 'gone' } });
  assert.deepEqual(p('@@result changed ctime is now 5'), { ok: true, value: { result: 'changed', detail: 'ctime is now 5' } });
  assert.deepEqual(p('@@result failed ipcrm: permission denied for id (5)'), { ok: true, value: { result: 'failed', detail: 'ipcrm: permission denied for id (5)' } });
  assert.equal(p('@@result maybe').ok, false);
  assert.equal(p('').ok, false);
  assert.equal(splitDocument('@@ipcx-remove 1\n@@result ok\n', 'ipcx-remove', 1, 'h').ok, false);
});

test('scripts splice only validated integers', async () => {
  const { removeScriptLinux, removeScriptIpcs, semDetailScript, probeScript } = await import('../../../extension/remote/probeScript');
  const base = { kind: 'sem' as const, id: 5, key: -838103764, ctime: 1795556584, nattchZero: true, noWaiters: true, otime: 0 };
  const s = removeScriptLinux({ ...base, semPids: [11, 12] });
  assert.match(s, /awk '\$2 == 5 \{ print; exit \}' \/proc\/sysvipc\/sem/);
  assert.match(s, /\[ "\$1" = "-838103764" \]/);
  assert.match(s, /eval "ct=\\\$\{10\}"/);
  assert.match(s, /\[ "\$p" = "11 12" \]/);
  assert.match(s, /ipcrm -s 5 /);
  assert.match(removeScriptLinux({ ...base, kind: 'shm' }), /\[ "\$7" = "0" \].*\n.*ipcrm -m 5/s);
  assert.match(removeScriptIpcs({ ...base, ctime: 29673 }), /\[ "\$3" = "-838103764" \] \|\| \[ "\$3" = "0xce0b8d2c" \]/);
  const bad: unknown[] = ['5', 5.5, -1, 2 ** 31, NaN, '5; rm -rf /', null];
  for (const id of bad) {
    assert.throws(() => removeScriptLinux({ ...base, id: id as number }), RangeError);
    assert.throws(() => semDetailScript([1, id as number]), RangeError);
    assert.throws(() => probeScript([id as number]), RangeError);
  }
  assert.throws(() => removeScriptLinux({ ...base, key: 2 ** 31 }), RangeError);
  assert.throws(() => removeScriptLinux({ ...base, ctime: -5 }), RangeError);
  assert.throws(() => removeScriptLinux({ ...base, semPids: ['1' as unknown as number] }), RangeError);
  assert.equal(semDetailScript([0, 32768]).includes('for id in 0 32768; do'), true);
  assert.ok(probeScript([7, 9]).startsWith("extra_pids='7 9'\n"));
});

test('hidepid on the host: the probe says which pids exist but are hidden; a pid it did not report is unknown, not dead', () => {
  const doc = LINUX.replace('22 27 0:21 / /proc rw,relatime - proc proc rw', '22 27 0:21 / /proc rw,relatime - proc proc rw,hidepid=invisible,gid=4')
    .replace('@@section uid\n0', '@@section uid\n1000')
    .replace('@@section groups\n0', '@@section groups\n1000 4')
    .replace('q 11250 ENOENT EPERM\n', '')
    .replace('q 7001 ENOENT ESRCH', 'q 7001 unreadable EPERM');
  const r = parseProbe(doc, { host: 'app@db1' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const s = r.value.snapshot;
  assert.equal(s.reader?.hidepid, 'invisible');
  assert.equal(s.reader?.hidepidExempt, true, 'a member of the gid= group sees everything');
  assert.equal(s.processes[7001].liveness, 'unknown');
  assert.match(s.processes[7001].livenessReason!, /not readable \(permission denied, hidepid=2 \(invisible\)\)/);
  assert.deepEqual([s.processes[11250].alive, s.processes[11250].liveness, s.processes[11250].livenessReason], [false, 'unknown', 'the probe reported nothing about pid 11250']);
});

test('hidepid with a gid= no kernel prints (more than 10 digits, beyond 32 bits, not digits): no group, so the reader is not exempt', () => {
  for (const gid of ['00000000004', '4294967300', '4x', '', '400' + '0'.repeat(400)]) {
    const doc = LINUX.replace('22 27 0:21 / /proc rw,relatime - proc proc rw', `22 27 0:21 / /proc rw,relatime - proc proc rw,hidepid=invisible,gid=${gid}`)
      .replace('@@section uid\n0', '@@section uid\n1000')
      .replace('@@section groups\n0', '@@section groups\n1000 4 4294967300');
    const r = parseProbe(doc, { host: 'app@db1' });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.snapshot.reader?.hidepid, 'invisible', gid);
    assert.equal(r.value.snapshot.reader?.hidepidExempt, false, `gid=${gid.slice(0, 20)}: not a member of any group`);
  }
});

test('a /proc of another pid namespace than the probe\'s shell: visible entries are other processes, unknown', () => {
  const doc = LINUX.replace('NSpid:\t11300', 'NSpid:\t11300\t4');
  const r = parseProbe(doc, { host: 'db1' });
  assert.ok(r.ok);
  const f = r.value.snapshot.processes[11251];
  assert.equal(r.value.snapshot.reader?.procIsOwnPidNs, false);
  assert.deepEqual([f.alive, f.liveness], [false, 'unknown']);
  assert.match(f.livenessReason!, /\/proc belongs to another pid namespace/);
});

/**
 * The probe's BSD branch, run by a real `sh` on this machine with stand-ins for the FreeBSD commands first on
 * PATH (`uname` says FreeBSD, `ipcs -a` prints the real FreeBSD 11 output of test/fixtures/freebsd, `ps`
 * answers for the three pids that output names). A stand-in: FreeBSD cannot run here; the script and the
 * parser are the real ones.
 *
 * The attack: an ordinary user names a process with newlines (`x\np 21599 0 -\n...`). A `ps -o comm=` line
 * printed as is becomes extra probe lines: a fake "pid 21599 is dead" after the real one, and the last line
 * won. The probe prints ps's answer on one line and decides liveness by the digits-only pid column.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseProbe } from '../../../extension/domain/probeParser';
import { probeScript } from '../../../extension/remote/probeScript';

let dir = '';

function script(name: string, body: string): void {
  const f = path.join(dir, name);
  fs.writeFileSync(f, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(f, 0o755);
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-bsdps-'));
  const fixture = path.join(__dirname, '..', '..', 'fixtures', 'freebsd', 'ipcs-a.txt');
  script('uname', 'case "$1" in -s) echo FreeBSD;; *) echo "FreeBSD 11.2-RELEASE amd64";; esac');
  script('ipcs', `case "$1" in -a) cat '${fixture}';; esac`);
  script('sysctl', 'exit 0');
  // ps -o pid= -p P / ps -o comm= -p P; 22711 is the attacker's process, named with newlines
  script('ps', [
    'fmt=$2; pid=$4',
    'case "$pid" in 21599|22110|22711) ;; *) exit 1;; esac',
    'case "$fmt" in',
    "  pid=) printf '%5d\\n' \"$pid\";;",
    "  comm=) if [ \"$pid\" = 22711 ]; then printf 'x\\np 21599 0 -\\nq 21599 ENOENT ESRCH\\n'; else echo postgres; fi;;",
    'esac',
  ].join('\n'));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('BSD ps: a command name holding newlines cannot inject a "dead" line for another pid', () => {
  const r = spawnSync('sh', ['-s'], { input: probeScript([]), encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin`, LC_ALL: 'C' } });
  assert.equal(r.status, 0, r.stderr);
  const p = parseProbe(r.stdout, { host: 'freebsd1' });
  assert.ok(p.ok, p.ok ? '' : p.error.message);
  const procs = p.value.snapshot.processes;
  assert.equal(procs[21599].alive, true, `the postmaster stays alive: ${JSON.stringify(procs[21599])}`);
  assert.equal(procs[21599].liveness, 'alive');
  assert.equal(procs[21599].comm, 'postgres');
  assert.equal(procs[22711].comm, 'x p 21599 0 - q 21599 ENOENT ESRCH', 'the whole name, on one line');
  const pidLines = r.stdout.split('\n').filter((l) => /^[pq] 21599 /.test(l));
  assert.deepEqual(pidLines, ['p 21599 1 postgres'], 'exactly one line about pid 21599');
  // the postmaster's segment is attached (NATTCH 190) and its pids alive: nothing here may look dead
  assert.ok(Object.values(procs).every((f) => f.liveness === 'alive'));
});

/**
 * A PostgreSQL interlock segment on an SSH host: its header cannot be read over SSH (no peek there), so the DSM
 * unit (segment + /dev/shm/PostgreSQL.<handle> files) cannot be formed as locally, and removing the segment
 * alone would leak the cluster's DSM files until reboot (PostgreSQL cleans them up only through the segment's
 * header). Real objects on a real sshd's host (its own IPC + mount namespace, fresh /dev/shm): a 56-byte
 * segment (sizeof(PGShmemHeader), PostgreSQL 9.3+ with shared_memory_type = mmap) of uid 65534 whose creator
 * exited, a DSM control file /dev/shm/PostgreSQL.<n> of the same uid (the file a postmaster's shm_open makes),
 * and the same kind of orphan segment of root, which has no PostgreSQL file. The plan over SSH keeps the first
 * with the reason and removes the second; the file and the kept segment are untouched. A listing of the host's
 * /dev/shm cut short inside the PostgreSQL line (its find, or its sort, killed by SIGKILL: stand-ins first on
 * PATH through a forced command run the real one and stop mid-line) keeps the segment too: the cut name
 * (/dev/shm/Post) is not taken as the listing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuditLog } from '../../extension/backend/audit';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { SshSource } from '../../extension/remote/sshSource';
import { needs } from '../helpers/capabilities';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { forOtherUsers } from '../helpers/stage';
import { SshdHarness, type SshdHost } from './sshdHarness';
import fs from 'node:fs';
import path from 'node:path';

const sshd = needs('sshd');
const NOBODY = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--'];
let h: SshdHarness;
let host: SshdHost;
let src: SshSource;
let pgSeg = -1;
let rootSeg = -1;

function shmRow(id: number): string[] | undefined {
  const t = host.exec('cat', ['/proc/sysvipc/shm']).stdout;
  return t.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((c) => Number(c[1]) === id);
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  h = new SshdHarness();
  host = await h.startHost('pgdsm');
  h.addAlias('pgdsmhost', 'pgdsm');
  const mk = host.exec(NOBODY[0]!, [...NOBODY.slice(1), forOtherUsers(buildC('ipc_make')), 'shm', '-n', '1', '-s', '56', '-k', '0x2a0001']);
  assert.equal(mk.status, 0, mk.stderr + mk.stdout);
  pgSeg = Number(mk.stdout.trim().split(' ')[1]);
  const dsm = host.exec(NOBODY[0]!, [...NOBODY.slice(1), 'sh', '-c', 'umask 077 && head -c 1048 /dev/zero > /dev/shm/PostgreSQL.1804289383']);
  assert.equal(dsm.status, 0, dsm.stderr);
  const mr = host.exec(buildC('ipc_make'), ['shm', '-n', '1', '-s', '56', '-k', '0x2a0002']);
  assert.equal(mr.status, 0, mr.stderr + mr.stdout);
  rootSeg = Number(mr.stdout.trim().split(' ')[1]);
  src = h.source('pgdsmhost');
  // stand-ins that run the real find (the listing) or sort (of the listing), write their output up to the
  // middle of the PostgreSQL line, and die by SIGKILL; every other call goes to the real program
  for (const step of ['find', 'sort']) {
    const shim = path.join(h.dir, `cut-${step}`);
    fs.mkdirSync(shim);
    const listing = step === 'find' ? '*-mindepth*-printf*' : "'-t / -k 4'";
    fs.writeFileSync(path.join(shim, step),
      `#!/bin/sh\ncase "$*" in ${listing}) ;; *) exec /usr/bin/${step} "$@";; esac\n` +
      `/usr/bin/${step} "$@" | awk '/PostgreSQL\\./ { printf "%s", substr($0, 1, index($0, "PostgreSQL") + 3); exit } { print }'\n` +
      'kill -9 $$\n', { mode: 0o755 });
    h.addForcedAlias(`cut${step}`, 'pgdsm', `#!/bin/sh\nPATH='${shim}':$PATH; export PATH\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`);
  }
});

after(async () => {
  await h?.stopAll();
});

test('ssh: a segment that may be a PostgreSQL interlock segment stays while the host\'s /dev/shm holds PostgreSQL DSM files of its owner; another orphan goes', sshd, async () => {
  const prepared = await prepareRecycle(src, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 }, kinds: ['shm'] });
  assert.deepEqual(prepared.plan.candidates.map((c) => c.id), [rootSeg], `plan: ${JSON.stringify(prepared.plan.stays.map((s) => [s.id, s.why]))}`);
  const stay = prepared.plan.stays.find((s) => s.id === pgSeg);
  assert.ok(stay, 'the nobody segment is listed as staying');
  assert.match(stay.why, /its header cannot be read from here, and \/dev\/shm holds 1 PostgreSQL DSM file\(s\) of uid 65534 \(PostgreSQL\.1804289383\)/);
  assert.match(stay.why, /removing it alone would leak them until reboot/);
  const report = await executeRecyclePlan(prepared.plan, { source: src, processFacts: prepared.processFacts, audit: new AuditLog(path.join(h.dir, 'pgdsm-audit.jsonl')) });
  assert.equal(report.removed, 1, JSON.stringify(report.outcomes));
  assert.equal(shmRow(rootSeg), undefined, 'the orphan without PostgreSQL files is removed');
  assert.ok(shmRow(pgSeg), 'the possible interlock segment stays');
  assert.equal(host.exec('stat', ['-c', '%u %s', '/dev/shm/PostgreSQL.1804289383']).stdout.trim(), '65534 1048', 'the DSM file is untouched');
  // once the DSM files are gone (PostgreSQL cleaned up, or the DBA removed them), the segment is an ordinary orphan
  assert.equal(host.exec('rm', ['-f', '/dev/shm/PostgreSQL.1804289383']).status, 0);
  const again = await prepareRecycle(src, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 }, kinds: ['shm'] });
  assert.deepEqual(again.plan.candidates.map((c) => c.id), [pgSeg]);
});

test('ssh: a /dev/shm listing cut short inside the PostgreSQL line (its find or its sort killed) keeps the possible interlock segment', sshd, async () => {
  const dsm = host.exec(NOBODY[0]!, [...NOBODY.slice(1), 'sh', '-c', 'umask 077 && head -c 1048 /dev/zero > /dev/shm/PostgreSQL.1804289383']);
  assert.equal(dsm.status, 0, dsm.stderr);
  for (const step of ['find', 'sort']) {
    const cut = h.source(`cut${step}`);
    try {
      const prepared = await prepareRecycle(cut, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 }, kinds: ['shm'] });
      // the stand-in did cut the line: the listing holds the cut name, not the file's
      assert.deepEqual(prepared.snapshot.posixShms.map((f) => f.path), ['/dev/shm/Post'], `${step}: the listing as the host sent it`);
      assert.deepEqual(prepared.plan.candidates.map((c) => c.id), [], `${step}: nothing planned; stays: ${JSON.stringify(prepared.plan.stays.map((x) => [x.id, x.why]))}`);
      const stay = prepared.plan.stays.find((x) => x.id === pgSeg);
      assert.ok(stay, `${step}: the nobody segment is listed as staying`);
      assert.match(stay.why, new RegExp(`/dev/shm is not fully listed \\(the listing's ${step} was killed by signal 9 on the host`));
    } finally {
      await cut.close();
    }
  }
  assert.ok(shmRow(pgSeg), 'the possible interlock segment is still there');
});

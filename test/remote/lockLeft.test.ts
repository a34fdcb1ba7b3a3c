/**
 * A lock left on an SSH host by an interrupted locked removal: the host's Perl program is killed (SIGKILL:
 * nothing can catch it) while it holds the lock (held there by the test hook of recycleLock.test.ts, a fifo
 * named by IPCX_TEST_LOCK_PAUSE_FIFO through this sshd's SetEnv). The executor gets no answer and records the
 * removal as failed; the segment stays at mode 0 on the host, unusable by its owner's non-root processes.
 * A failed outcome no longer settles the lock's intent: `ipcx recycle --host DEST` reports the object with
 * the restore command, and `ipcx recycle --restore --host DEST` puts back mode 0640 on the host (the host's
 * Perl re-checks key, owner, lock mode and ctime first) and journals it; a second run finds nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AuditLog } from '../../extension/backend/audit';
import { executeRecyclePlan, prepareRecycle } from '../../extension/backend/recycleExecutor';
import { SshSource } from '../../extension/remote/sshSource';
import { needs } from '../helpers/capabilities';
import { buildC } from '../helpers/cprog';
import { assertPrivateIpcNamespace } from '../helpers/ns';
import { SshdHarness, type SshdHost } from './sshdHarness';

const sshd = needs('sshd');
const root = path.resolve(__dirname, '..', '..');
let h: SshdHarness;
let host: SshdHost;
let src: SshSource;
let fifo = '';

function shmMode(id: number): string | undefined {
  const t = host.exec('cat', ['/proc/sysvipc/shm']).stdout;
  return t.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((c) => Number(c[1]) === id)?.[2];
}

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The host's removal program holding the lock: the perl whose environment names the fifo (it is blocked in
 * open(2) of the fifo, so the fifo is not among its fds yet).
 */
function holderOf(file: string): number | undefined {
  for (const p of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'perl') continue;
      if (fs.readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`IPCX_TEST_LOCK_PAUSE_FIFO=${file}`)) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function ipcx(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'extension', 'cli', 'ipcx.ts'), ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, IPCX_SSH_CONFIG: h.configFile, IPCX_SSH_TIMEOUT_SECONDS: '20' },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

before(async () => {
  if (!sshd.ready()) return;
  assertPrivateIpcNamespace();
  h = new SshdHarness();
  fifo = path.join(h.dir, 'left-lock.fifo');
  host = await h.startHost('ll', { sshdConfig: [`SetEnv IPCX_TEST_LOCK_PAUSE_FIFO=${fifo}`] });
  h.addAlias('llhost', 'll');
  src = h.source('llhost');
});

after(async () => {
  fs.rmSync(fifo, { force: true });
  await h?.stopAll();
});

test('ssh: a locked removal killed on the host leaves the segment at mode 0; recycle reports it, --restore --host puts back 0640 and journals it', sshd, async () => {
  const mk = host.exec(buildC('ipc_make'), ['shm', '-n', '1', '-s', '4096', '-m', '640', '-k', '0x4a0e0003']);
  assert.equal(mk.status, 0, mk.stderr + mk.stdout);
  const id = Number(mk.stdout.trim().split(' ')[1]);
  const prep = await prepareRecycle(src, { verdict: { minOrphanAgeSeconds: 0, recentActivitySeconds: 0 }, kinds: ['shm'] });
  assert.deepEqual(prep.plan.candidates.map((c) => c.id), [id]);
  assert.equal(prep.plan.removal?.mode, 'locked', 'the host passed the lock self-test');
  const auditFile = path.join(h.dir, 'll-audit.jsonl');
  spawnSync('mkfifo', ['-m', '600', fifo]);
  const run = executeRecyclePlan(prep.plan, { source: src, processFacts: prep.processFacts, audit: new AuditLog(auditFile) });
  await waitFor('the lock (mode 0) on the host', () => shmMode(id) === '0');
  let holder: number | undefined;
  await waitFor('the removal program waiting at the fifo', () => (holder = holderOf(fifo)) !== undefined);
  process.kill(holder!, 'SIGKILL'); // the host's perl, started by this test through its own sshd
  const report = await run;
  assert.equal(report.failed, 1, JSON.stringify(report.outcomes));
  assert.equal(shmMode(id), '0', 'left locked on the host');
  const records = fs.readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.action), ['intent', 'failed']);

  const plan = ipcx(['recycle', '--host', 'llhost', '--audit', auditFile]);
  assert.match(plan.out, new RegExp(`llhost: 1 object\\(s\\) left locked by an interrupted recycle \\(ipcx recycle --restore --host llhost\\)`), plan.out);
  assert.match(plan.out, new RegExp(`shm id ${id} key 0x4a0e0003 was left locked \\(mode 0000\\).*its mode was 0640`));
  const restore = ipcx(['recycle', '--restore', '--host', 'llhost', '--audit', auditFile]);
  assert.equal(restore.status, 0, restore.out);
  assert.match(restore.out, new RegExp(`llhost: shm id ${id}: mode restored to 0640`));
  assert.equal(shmMode(id), '640', 'the original mode is back on the host');
  const after = fs.readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(after[after.length - 1].action, 'restored');
  assert.equal(after[after.length - 1].txn, records[0].txn);
  const again = ipcx(['recycle', '--restore', '--host', 'llhost', '--audit', auditFile]);
  assert.match(again.out, /no object left locked on llhost by an interrupted recycle/);
});

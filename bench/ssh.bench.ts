/**
 * `npm run bench ssh`: a remote snapshot over loopback SSH against the raw transfers it replaces, measured in
 * the same run, on the same warm multiplexed connection.
 *
 * A real sshd on 127.0.0.1 (test/remote/sshdHarness.ts) serves a nested private IPC namespace holding
 * 32,000 semaphore sets x 17 semaphores. Interleaved round-robin, RUNS timings of:
 *   - SshSource.snapshot(): the probe, sent to the host's long-lived sh, + transfer + parse into an IpcSnapshot;
 *   - `ssh host cat /proc/sysvipc/sem` over the same master (a session of its own: the raw bytes, no parse);
 *   - the same `cat` sent to the long-lived sh (transfer only, no session start);
 *   - `ssh host ipcs -s` over the same master;
 * then parseProbe() alone on the captured document (client-side cost), a cold snapshot (new connection:
 * ssh handshake included), and, interleaved, a refresh of a host with a handful of objects against
 * `ssh host true` and an empty script sent to the long-lived sh, all on that host's warm master.
 */
import { spawn, spawnSync } from 'node:child_process';
import { parseProbe } from '../extension/domain/probeParser';
import { parseHostSpec } from '../extension/remote/hostName';
import { probeScript } from '../extension/remote/probeScript';
import { SshRunner, sshArgv } from '../extension/remote/sshRunner';
import { SshSource } from '../extension/remote/sshSource';
import { buildC } from '../test/helpers/cprog';
import { assertPrivateIpcNamespace } from '../test/helpers/ns';
import { SshdHarness } from '../test/remote/sshdHarness';
import { benchRuns, markdownTable, median, recordResult, runBench, timeMs } from './lib';

const RUNS = benchRuns(9);
const SETS = 32000;
const NSEMS = 17;

function dest(spec: string) {
  const d = parseHostSpec(spec);
  if (!d.ok) throw new Error(d.reason);
  return d.value;
}

/** `ssh [options of the runner] -- DEST CMD...` on the runner's master: a session of its own, output counted. */
function sshCommand(r: SshRunner, configFile: string, cmd: string[]): Promise<number> {
  const argv = sshArgv(r.dest, r.controlPath, { configFile }, 'run').slice(0, -2); // without `sh -s`
  return new Promise((resolve, reject) => {
    const c = spawn('ssh', [...argv, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let n = 0;
    let err = '';
    c.stdout.on('data', (b: Buffer) => (n += b.length));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`ssh ${cmd.join(' ')}: exit ${code}: ${err}`))));
  });
}

async function main(): Promise<void> {
  assertPrivateIpcNamespace();
  const h = new SshdHarness();
  try {
    await h.startHost('big');
    await h.startHost('small');
    h.addAlias('big', 'big');
    h.addAlias('small', 'small');
    const ipcMake = buildC('ipc_make');
    const mk = h.hosts.get('big')!.exec(ipcMake, ['sem', '-n', String(SETS), '-s', String(NSEMS), '-q']);
    if (mk.status !== 0) throw new Error(`ipc_make: ${mk.stdout}${mk.stderr}`);
    h.hosts.get('small')!.exec(ipcMake, ['sem', '-n', '3', '-s', '4', '-q']);
    h.hosts.get('small')!.exec(ipcMake, ['shm', '-n', '2', '-s', '4096', '-q']);

    const opts = { configFile: h.configFile, timeoutMs: 120_000, maxOutputBytes: 256 << 20 };
    // cold: the first snapshot pays the ssh handshake and starts the master
    const cold = new SshSource(dest('big'), opts);
    let first: Awaited<ReturnType<SshSource['snapshot']>> | undefined;
    const coldMs = await timeMs(async () => (first = await cold.snapshot()));
    await cold.close();
    if (first!.sems.length !== SETS) throw new Error(`expected ${SETS} sets, saw ${first!.sems.length}`);

    const src = new SshSource(dest('big'), opts);
    await src.snapshot(); // warm the master
    const raw = new SshRunner(dest('big'), opts);
    await raw.run('true\n');
    const times = { snapshot: [] as number[], cat: [] as number[], catShell: [] as number[], ipcs: [] as number[] };
    let catBytes = 0, ipcsBytes = 0, probeBytes = 0;
    for (let i = 0; i < RUNS; i++) {
      times.snapshot.push(await timeMs(() => src.snapshot()));
      times.cat.push(await timeMs(async () => (catBytes = await sshCommand(raw, h.configFile, ['cat', '/proc/sysvipc/sem']))));
      times.catShell.push(await timeMs(() => raw.run('cat /proc/sysvipc/sem\n')));
      times.ipcs.push(await timeMs(async () => (ipcsBytes = await sshCommand(raw, h.configFile, ['ipcs', '-s']))));
    }
    const doc = (await raw.run(probeScript())).stdout;
    probeBytes = doc.length;
    const parse: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let r: ReturnType<typeof parseProbe> | undefined;
      parse.push(await timeMs(() => (r = parseProbe(doc, { host: 'big' }))));
      if (!r!.ok) throw new Error(r!.error.message);
    }
    const small = new SshSource(dest('small'), opts);
    const smallRaw = new SshRunner(dest('small'), opts);
    await small.snapshot();
    await smallRaw.run('true\n');
    const warmSmall: number[] = [];
    const ping: number[] = [];
    const pingShell: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      warmSmall.push(await timeMs(() => small.snapshot()));
      ping.push(await timeMs(() => sshCommand(smallRaw, h.configFile, ['true'])));
      pingShell.push(await timeMs(() => smallRaw.run('true\n')));
    }
    await Promise.all([src.close(), raw.close(), small.close(), smallRaw.close()]);

    const m = (xs: number[]) => median(xs);
    const row = (what: string, ms: number, note = '') => [what, `${ms.toFixed(1)} ms`, note];
    console.log(`\nssh over loopback (OpenSSH ${spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim().split(',')[0]}), ${SETS} sets x ${NSEMS}, medians of ${RUNS} interleaved runs\n`);
    console.log(markdownTable(['what', 'median', 'notes'], [
      row('SshSource.snapshot() (probe + transfer + parse), warm', m(times.snapshot), `${(probeBytes / 1e6).toFixed(1)} MB document, long-lived remote sh`),
      row('`ssh host cat /proc/sysvipc/sem` on the same master', m(times.cat), `${(catBytes / 1e6).toFixed(1)} MB, no parse, a session of its own`),
      row('`cat /proc/sysvipc/sem` sent to the long-lived sh', m(times.catShell), 'no parse, no session start'),
      row('`ssh host ipcs -s` on the same master', m(times.ipcs), `${(ipcsBytes / 1e6).toFixed(1)} MB, no parse`),
      row('parseProbe() alone (client side)', m(parse), ''),
      row('snapshot on a cold connection (handshake + master)', coldMs, 'one run'),
      row('refresh of a small host, warm', m(warmSmall), '3 sets, 2 segments; long-lived remote sh'),
      row('`ssh host true` on the same warm master', m(ping), 'a session: sshd, login shell, rc files'),
      row('empty script (`true`) sent to the long-lived sh', m(pingShell), 'transport floor: one round trip'),
    ]));
    const ratio = m(times.snapshot) / m(times.cat);
    recordResult({
      bench: 'ssh',
      goal: {
        goal: `remote snapshot <= 1.2x \`ssh host cat /proc/sysvipc/sem\` (same warm connection, ${SETS.toLocaleString('en-US')} sets)`,
        measured: `${m(times.snapshot).toFixed(1)} ms = ${ratio.toFixed(2)}x (cat ${m(times.cat).toFixed(1)} ms); ` +
          `${(m(times.snapshot) / m(times.catShell)).toFixed(2)}x the same cat sent to the long-lived sh (${m(times.catShell).toFixed(1)} ms)`,
        pass: ratio <= 1.2,
      },
    });
    recordResult({
      bench: 'ssh',
      goal: {
        goal: 'small-host refresh costs a round trip, not a login: <= 1.0x `ssh host true` on the warm master',
        measured: `${m(warmSmall).toFixed(1)} ms = ${(m(warmSmall) / m(ping)).toFixed(2)}x (\`true\` ${m(ping).toFixed(1)} ms); ` +
          `an empty script on the long-lived sh ${m(pingShell).toFixed(1)} ms`,
        pass: m(warmSmall) <= m(ping),
      },
    });
    console.log(`\nratios: snapshot / ssh cat = ${(m(times.snapshot) / m(times.cat)).toFixed(2)}x; ` +
      `snapshot / cat on the long-lived sh = ${(m(times.snapshot) / m(times.catShell)).toFixed(2)}x; ` +
      `snapshot / ssh ipcs -s = ${(m(times.snapshot) / m(times.ipcs)).toFixed(2)}x; ` +
      `small refresh / ssh true = ${(m(warmSmall) / m(ping)).toFixed(2)}x`);
  } finally {
    await h.stopAll();
  }
}

runBench(main);

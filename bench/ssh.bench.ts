/**
 * `npm run bench ssh`: a remote snapshot over loopback SSH against the raw transfers it replaces, measured in
 * the same run, on the same warm multiplexed connection.
 *
 * A real sshd on 127.0.0.1 (test/remote/sshdHarness.ts) serves a nested private IPC namespace holding
 * 32,000 semaphore sets x 17 semaphores. Interleaved round-robin, RUNS timings of:
 *   - SshSource.snapshot(): the probe (sh -s on stdin) + transfer + parse into an IpcSnapshot;
 *   - `cat /proc/sysvipc/sem` over the same connection (the raw bytes, no parse);
 *   - `ipcs -s` over the same connection;
 * then parseProbe() alone on the captured document (client-side cost), a cold snapshot (new connection:
 * ssh handshake included), and a refresh of a host with a handful of objects on a warm connection.
 */
import { spawnSync } from 'node:child_process';
import { parseProbe } from '../extension/domain/probeParser';
import { parseHostSpec } from '../extension/remote/hostName';
import { probeScript } from '../extension/remote/probeScript';
import { SshRunner } from '../extension/remote/sshRunner';
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
    const times = { snapshot: [] as number[], cat: [] as number[], ipcs: [] as number[] };
    let catBytes = 0, ipcsBytes = 0, probeBytes = 0;
    for (let i = 0; i < RUNS; i++) {
      times.snapshot.push(await timeMs(() => src.snapshot()));
      times.cat.push(await timeMs(async () => (catBytes = (await raw.run('cat /proc/sysvipc/sem\n')).stdout.length)));
      times.ipcs.push(await timeMs(async () => (ipcsBytes = (await raw.run('ipcs -s\n')).stdout.length)));
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
    await small.snapshot();
    const warmSmall: number[] = [];
    for (let i = 0; i < RUNS; i++) warmSmall.push(await timeMs(() => small.snapshot()));
    const ping: number[] = [];
    for (let i = 0; i < RUNS; i++) ping.push(await timeMs(() => raw.run('true\n')));
    await Promise.all([src.close(), raw.close(), small.close()]);

    const m = (xs: number[]) => median(xs);
    const row = (what: string, ms: number, note = '') => [what, `${ms.toFixed(1)} ms`, note];
    console.log(`\nssh over loopback (OpenSSH ${spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim().split(',')[0]}), ${SETS} sets x ${NSEMS}, medians of ${RUNS} interleaved runs\n`);
    console.log(markdownTable(['what', 'median', 'notes'], [
      row('SshSource.snapshot() (probe + transfer + parse), warm', m(times.snapshot), `${(probeBytes / 1e6).toFixed(1)} MB document`),
      row('`cat /proc/sysvipc/sem` over the same connection', m(times.cat), `${(catBytes / 1e6).toFixed(1)} MB, no parse`),
      row('`ipcs -s` over the same connection', m(times.ipcs), `${(ipcsBytes / 1e6).toFixed(1)} MB, no parse`),
      row('parseProbe() alone (client side)', m(parse), ''),
      row('snapshot on a cold connection (handshake + master)', coldMs, 'one run'),
      row('refresh of a small host, warm connection', m(warmSmall), '3 sets, 2 segments'),
      row('empty round trip (`true`), warm connection', m(ping), 'transport floor'),
    ]));
    const ratio = m(times.snapshot) / m(times.cat);
    recordResult({
      bench: 'ssh',
      goal: {
        goal: `remote snapshot <= 1.2x \`ssh host cat /proc/sysvipc/sem\` (same warm connection, ${SETS.toLocaleString('en-US')} sets)`,
        measured: `${m(times.snapshot).toFixed(1)} ms = ${ratio.toFixed(2)}x (cat ${m(times.cat).toFixed(1)} ms)`,
        pass: ratio <= 1.2,
      },
    });
    recordResult({
      bench: 'ssh',
      goal: {
        goal: 'small-host refresh costs a round trip, not a login: <= 1.0x `ssh host true` on the warm master',
        measured: `${m(warmSmall).toFixed(1)} ms = ${(m(warmSmall) / m(ping)).toFixed(2)}x (\`true\` ${m(ping).toFixed(1)} ms)`,
        pass: m(warmSmall) <= m(ping),
        note: 'every probe still starts a new session (the login shell and its rc files); a persistent remote sh is not built yet',
      },
    });
    console.log(`\nratios: snapshot / ssh cat = ${(m(times.snapshot) / m(times.cat)).toFixed(2)}x; ` +
      `snapshot / ssh ipcs -s = ${(m(times.snapshot) / m(times.ipcs)).toFixed(2)}x`);
  } finally {
    await h.stopAll();
  }
}

runBench(main);

/**
 * `npm run bench remoteRemoval`: what the remote removal modes cost, over loopback SSH on a warm multiplexed
 * connection (a real sshd on 127.0.0.1, test/remote/sshdHarness.ts, each host in its own private IPC + mount
 * namespace):
 *   - the lock self-test (SshSource.removalMode(): throwaway sem, shm and msg, checked and removed), once per plan;
 *   - one shm removal, locked (Perl: IPC_STAT, IPC_SET mode 0, membarrier, IPC_STAT + compare, IPC_RMID);
 *   - one shm removal, unlocked (check-then-ipcrm on a host whose mount namespace hides /usr/bin/perl);
 *   - `true` over the same connection: the round trip both include.
 * Each removal's object is made and snapshotted (not timed) right before it.
 */
import fs from 'node:fs';
import { expectationFor } from '../extension/domain/recyclePlan';
import { parseHostSpec } from '../extension/remote/hostName';
import { SshRunner } from '../extension/remote/sshRunner';
import { SshSource } from '../extension/remote/sshSource';
import { buildC } from '../test/helpers/cprog';
import { assertPrivateIpcNamespace } from '../test/helpers/ns';
import { SshdHarness, type SshdHost } from '../test/remote/sshdHarness';
import { benchRuns, markdownTable, median, runBench, timeMs } from './lib';

const RUNS = benchRuns(15);

function dest(spec: string) {
  const d = parseHostSpec(spec);
  if (!d.ok) throw new Error(d.reason);
  return d.value;
}

async function removeOnce(src: SshSource, host: SshdHost, key: number): Promise<number> {
  const r = host.exec(buildC('ipc_make'), ['shm', '-n', '1', '-s', '4096', '-k', String(key)]);
  if (r.status !== 0) throw new Error(r.stdout + r.stderr);
  const id = Number(r.stdout.trim().split(' ')[1]);
  const o = (await src.snapshot()).shms.find((x) => x.id === id);
  if (!o) throw new Error(`shm ${id} not in the snapshot`);
  const exp = expectationFor(o);
  return timeMs(() => src.remove('shm', id, exp));
}

async function main(): Promise<void> {
  assertPrivateIpcNamespace();
  const h = new SshdHarness();
  try {
    await h.startHost('lk');
    const nop = await h.startHost('nop');
    const hide = nop.exec('mount', ['--bind', '/dev/null', fs.realpathSync('/usr/bin/perl')]);
    if (hide.status !== 0) throw new Error(hide.stderr);
    h.addAlias('lk', 'lk');
    h.addAlias('nop', 'nop');
    const locked = new SshSource(dest('lk'), { configFile: h.configFile });
    const unlocked = new SshSource(dest('nop'), { configFile: h.configFile });
    const raw = new SshRunner(dest('lk'), { configFile: h.configFile });
    try {
      const lm = await locked.removalMode();
      const um = await unlocked.removalMode();
      if (lm.mode !== 'locked' || um.mode !== 'unlocked') throw new Error(`modes: ${lm.mode} / ${um.mode}`);
      await raw.run('true');
      const t = { probe: [] as number[], locked: [] as number[], unlocked: [] as number[], rtt: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        t.rtt.push(await timeMs(() => raw.run('true')));
        t.probe.push(await timeMs(() => locked.removalMode()));
        t.locked.push(await removeOnce(locked, h.hosts.get('lk')!, 6100000 + i));
        t.unlocked.push(await removeOnce(unlocked, nop, 6200000 + i));
      }
      const f = (xs: number[]) => median(xs).toFixed(1);
      console.log(`remote removal modes, loopback sshd, warm connection, median of ${RUNS} (ms)\n`);
      console.log(markdownTable(['what', 'ms'], [
        ['round trip (`true`)', f(t.rtt)],
        ['lock self-test (removalMode, once per plan)', f(t.probe)],
        ['shm removal, locked (Perl)', f(t.locked)],
        ['shm removal, unlocked check-then-ipcrm', f(t.unlocked)],
      ], ['l', 'r']));
    } finally {
      await locked.close();
      await unlocked.close();
      await raw.close();
    }
  } finally {
    await h.stopAll();
  }
}

runBench(main);

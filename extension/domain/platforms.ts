/**
 * Which reader serves the local machine on each platform Node reports (process.platform):
 * - linux: the native binding (else the /proc fallback);
 * - darwin, freebsd: the same `ipcs -a` / `ipcs -M -S` / `sysctl` probe the SSH path runs on BSD hosts, run
 *   as local processes and parsed by the same code (extension/domain/probeParser.ts);
 * - anything else (win32, ...): no System V IPC to read; the tree says so in one row and offers SSH.
 */
export type LocalReader = 'native' | 'ipcs' | 'none';

export function localReaderFor(platform: string): LocalReader {
  if (platform === 'linux') return 'native';
  if (platform === 'darwin' || platform === 'freebsd') return 'ipcs';
  return 'none';
}

/** The one row the tree shows for a local machine that has no System V IPC (and its hover text). */
export function noLocalIpcNotice(platform: string): { text: string; detail: string } {
  const name = platform === 'win32' ? 'Windows' : platform;
  return {
    text: `${name} has no System V IPC: nothing local to list. Add SSH Host… to watch a Linux, macOS or FreeBSD machine.`,
    detail:
      'Click to add an SSH host (keys or agent only). Or open a Remote-SSH window (ms-vscode-remote.remote-ssh) on that ' +
      'machine: IPC Explorer then runs there and reads its objects locally.',
  };
}

/** How to raise the semaphore limits on the platform, in the words of its own tools. */
export function semLimitHelp(platform: string): string {
  if (platform === 'darwin') {
    return 'macOS: kern.sysv.semmni, semmns, semmsl, semmnu and semume are taken only before the first semaphore set exists ' +
      'since boot (afterwards `sysctl -w` answers "Invalid argument"): put `kern.sysv.semmns=…` lines in /etc/sysctl.conf (or a ' +
      'LaunchDaemon plist that runs sysctl at boot) and reboot. Of the shared-memory limits, kern.sysv.shmmax, shmmin, shmseg ' +
      'and shmall can be set at once with `sudo sysctl -w` (keep them in /etc/sysctl.conf too; Mac OS X 10.4 and older took all ' +
      'five only together, at boot); kern.sysv.shmmni only before the first segment exists, so at boot. SEMOPM, SEMVMX and the ' +
      'message-queue limits have no sysctl on macOS.';
  }
  if (platform === 'freebsd') {
    return 'FreeBSD: kern.ipc.semmni, semmns, semmsl, semopm are boot-time tunables: put `kern.ipc.semmns=…` in ' +
      '/boot/loader.conf and reboot; kern.ipc.shmmax and shmall can be set at run time with `sudo sysctl kern.ipc.shmmax=…` ' +
      '(and kept in /etc/sysctl.conf).';
  }
  return 'Linux: `sudo sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI"` (kept in /etc/sysctl.d/*.conf).';
}

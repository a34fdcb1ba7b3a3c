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

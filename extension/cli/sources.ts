/**
 * Which IpcSources an `ipcx` command reads: the local machine by default; `--host DEST` (repeatable)
 * names SSH hosts (track H7 adds them here); `--host local` is the local machine.
 */
import type { IpcSource } from '../backend/ipcSource';
import { LocalSource } from '../backend/localSource';
import { UsageError } from './cliSupport';

export function getSources(hosts: string[]): IpcSource[] {
  if (hosts.length === 0) return [new LocalSource()];
  return hosts.map((h) => {
    if (h === 'local') return new LocalSource();
    throw new UsageError(`--host ${h}: SSH hosts are not supported by this build`);
  });
}

/**
 * Which IpcSources an `ipcx` command reads: the local machine by default; `--host DEST` (repeatable)
 * names SSH hosts (extension/remote: the system ssh, BatchMode, one multiplexed connection per host);
 * `--host local` is the local machine.
 *
 * Environment (optional): IPCX_SSH_CONFIG = an ssh config file passed as `ssh -F` (default: ssh's own,
 * ~/.ssh/config); IPCX_SSH_TIMEOUT_SECONDS = per-round-trip timeout (default 30); IPCX_SSH_SUDO=1 = run
 * removals and per-set value reads as `sudo -n`.
 */
import type { IpcSource } from '../backend/ipcSource';
import { LocalSource } from '../backend/localSource';
import { parseHostSpec } from '../remote/hostName';
import { SshSource, type SshSourceOptions } from '../remote/sshSource';
import { UsageError } from './cliSupport';

export function sshOptionsFromEnv(env: Record<string, string | undefined> = process.env): SshSourceOptions {
  const opts: SshSourceOptions = {};
  if (env['IPCX_SSH_CONFIG']) opts.configFile = env['IPCX_SSH_CONFIG'];
  const t = Number(env['IPCX_SSH_TIMEOUT_SECONDS']);
  if (Number.isFinite(t) && t > 0) opts.timeoutMs = t * 1000;
  if (env['IPCX_SSH_SUDO'] === '1') opts.sudo = true;
  return opts;
}

export function getSources(hosts: string[]): IpcSource[] {
  if (hosts.length === 0) return [new LocalSource()];
  // validate every destination before anything is started
  const parsed = hosts.map((h) => {
    if (h === 'local') return 'local' as const;
    const r = parseHostSpec(h);
    if (!r.ok) throw new UsageError(`--host ${JSON.stringify(h)}: ${r.reason}`);
    return r.value;
  });
  const opts = sshOptionsFromEnv();
  return parsed.map((p) => (p === 'local' ? new LocalSource() : new SshSource(p, opts)));
}

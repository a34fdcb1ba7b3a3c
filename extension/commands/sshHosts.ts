/**
 * VS Code glue for SSH hosts (translation only: validation, probing and parsing live in remote/hostName.ts,
 * remote/hostSettings.ts, remote/sshSource.ts and domain/probeParser.ts).
 *
 * - hosts come from the machine-scoped setting `ipcExplorer.sshHosts` and from "Add SSH Host..." (offers the
 *   concrete `Host` entries of ~/.ssh/config, or a typed destination, validated as typed);
 * - every host is an SshSource in the SnapshotStore (tree, dashboard, recycle use it like the local one);
 * - "Refresh All Hosts" refreshes in parallel with bounded concurrency under a progress notification; a
 *   host that fails shows its own error and never blocks the others.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services/services';
import { readRemoteSettings, readSshHosts, readSshNamespacesEnabled, SECTION } from '../services/settings';
import { LOCAL_HOST } from '../services/snapshotStore';
import { hostOf } from './args';
import { hostAliasesFromSshConfig, parseHostSpec } from '../remote/hostName';
import { mapBounded, withHost, withoutHost } from '../remote/hostSettings';
import { SshSource, type SshSourceOptions } from '../remote/sshSource';
import { sshNamespaceHosts } from '../services/sshNamespaceHosts';

export interface RemoteHosts {
  /** the SSH hosts currently in the store, by display name. */
  readonly sources: ReadonlyMap<string, SshSource>;
  /** re-reads the settings (tests call it after changing them). */
  sync(): void;
  refreshAll(): Promise<void>;
}

export function registerRemote(context: vscode.ExtensionContext, services: Services): RemoteHosts {
  const { store, log, notify } = services;
  const live = new Map<string, { source: SshSource; handle: vscode.Disposable; key: string }>();
  // opt-in (machine scope): every refresh then runs nsenter as root inside each container of the host
  const namespacesOn = readSshNamespacesEnabled;

  const listNamespaces = (host: string, source: SshSource): vscode.Disposable =>
    services.hostNamespaces.add(sshNamespaceHosts(store, host, source, { enabled: namespacesOn, log: (level, msg) => log[level](msg) }));
  let reported = '';

  const sync = () => {
    const parsed = readSshHosts();
    const problems = parsed.problems.join('\n');
    if (problems && problems !== reported) notify.warn(`Some SSH hosts were ignored:\n${problems}`);
    reported = problems;
    const rs = readRemoteSettings();
    const wanted = new Map<string, { opts: SshSourceOptions; key: string; entry: (typeof parsed.hosts)[number] }>();
    for (const entry of parsed.hosts) {
      const opts: SshSourceOptions = {
        sudo: entry.sudo, timeoutMs: rs.timeoutMs, maxOutputBytes: rs.maxOutputBytes, connectTimeoutSec: rs.connectTimeoutSec,
        ...(rs.configFile ? { configFile: rs.configFile } : {}),
      };
      wanted.set(entry.destination.spec, { opts, key: JSON.stringify(opts), entry });
    }
    for (const [host, l] of [...live]) {
      const w = wanted.get(host);
      if (!w || w.key !== l.key) {
        l.handle.dispose(); // removes the host from the store, which disposes the source (ssh -O exit)
        live.delete(host);
      }
    }
    for (const [host, w] of wanted) {
      if (live.has(host)) continue;
      if (host === LOCAL_HOST || store.get(host)) continue;
      const source = new SshSource(w.entry.destination, { ...w.opts, listNamespaces: namespacesOn() });
      const ns = listNamespaces(host, source);
      const added = store.addSource(source);
      const handle = { dispose: () => { ns.dispose(); added.dispose(); } };
      live.set(host, { source, handle, key: w.key });
      log.info(`SSH host added: ${host}${w.entry.sudo ? ' (sudo -n for the probe and removals)' : ''}`);
    }
  };

  const refreshAll = async () => {
    // a host's namespaces are read by its own refresh (one round trip), not one by one
    const hosts = store.hosts().map((h) => h.host).filter((h) => !services.hostNamespaces.isNamespaceHost(h) || services.hostNamespaces.parentOf(h) === LOCAL_HOST);
    const rs = readRemoteSettings();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'IPC Explorer: refreshing hosts', cancellable: false },
      async (progress) => {
        let done = 0;
        await mapBounded(hosts, rs.concurrency, (h) => store.refresh(h), (h) => {
          done++;
          const err = store.get(h)?.error;
          progress.report({ increment: 100 / Math.max(1, hosts.length), message: `${done}/${hosts.length}: ${h}${err ? ` failed (${err.code})` : ''}` });
        });
      },
    );
    const failed = hosts.map((h) => store.get(h)).filter((s) => s?.error);
    if (failed.length) {
      for (const f of failed) notify.error(`Refresh of ${f!.host} failed`, f!.error);
    }
  };

  const addHost = async (arg?: unknown) => {
    let spec = typeof arg === 'string' ? arg : undefined;
    if (spec === undefined) {
      const rs = readRemoteSettings();
      const cfgPath = rs.configFile ?? path.join(os.homedir(), '.ssh', 'config');
      let aliases: string[] = [];
      try {
        aliases = hostAliasesFromSshConfig(fs.readFileSync(cfgPath, 'utf8'));
      } catch {
        /* no ssh config: only typing */
      }
      const present = new Set(store.hosts().map((h) => h.host));
      const typed = '$(edit) Enter a destination ([user@]host[:port])...';
      const picks = [
        ...aliases.filter((a) => !present.has(a)).map((a) => ({ label: a, description: `Host in ${cfgPath}` })),
        { label: typed },
      ];
      const pick = picks.length > 1 ? await vscode.window.showQuickPick(picks, { title: 'Add SSH Host', placeHolder: 'A Host entry of your ssh config, or type one' }) : picks[0];
      if (!pick) return;
      if (pick.label === typed) {
        spec = await vscode.window.showInputBox({
          title: 'Add SSH Host',
          prompt: 'An SSH destination as you would give it to ssh: alias, user@host, host:port, [IPv6]:port',
          validateInput: (v) => {
            const r = parseHostSpec(v.trim());
            return r.ok ? undefined : r.reason;
          },
        });
        if (spec === undefined) return;
        spec = spec.trim();
      } else {
        spec = pick.label;
      }
    }
    const r = parseHostSpec(spec);
    if (!r.ok) {
      notify.warn(`Not added: ${r.reason}`);
      return;
    }
    const c = vscode.workspace.getConfiguration(SECTION);
    await c.update('sshHosts', withHost(c.get('sshHosts'), r.value.spec), vscode.ConfigurationTarget.Global);
    sync();
    await store.refresh(r.value.spec);
    const err = store.get(r.value.spec)?.error;
    if (err) notify.error(`SSH host ${r.value.spec} added, but its first refresh failed`, err);
  };

  const removeHost = async (arg?: unknown) => {
    let host = hostOf(arg);
    if (host === undefined) {
      const items = [...live.keys()];
      if (!items.length) {
        notify.info('No SSH hosts are configured.');
        return;
      }
      host = await vscode.window.showQuickPick(items, { title: 'Remove SSH Host' });
      if (!host) return;
    }
    if (host === LOCAL_HOST) return;
    const c = vscode.workspace.getConfiguration(SECTION);
    await c.update('sshHosts', withoutHost(c.get('sshHosts'), host), vscode.ConfigurationTarget.Global);
    sync();
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('ipcExplorer.addSshHost', addHost),
    vscode.commands.registerCommand('ipcExplorer.removeSshHost', removeHost),
    vscode.commands.registerCommand('ipcExplorer.refreshAllHosts', refreshAll),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (['sshHosts', 'sshConfigFile', 'sshTimeoutSeconds', 'sshMaxOutputMB', 'sshConnectTimeoutSeconds'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) sync();
      if (e.affectsConfiguration(`${SECTION}.namespaces`)) {
        for (const [host, l] of live) {
          l.source.setListNamespaces(namespacesOn());
          void store.refresh(host);
        }
      }
    }),
    { dispose: () => { for (const l of live.values()) l.handle.dispose(); live.clear(); } },
  );
  sync();
  return {
    get sources() {
      return new Map([...live].map(([k, v]) => [k, v.source]));
    },
    sync,
    refreshAll,
  };
}

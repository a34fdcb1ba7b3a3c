import fs from 'node:fs';
import { nodeNet } from '../../backend/builtins';
import { collectNamespaceMetrics, mergeNamespaceMetrics } from '../../backend/namespaceMetrics';
import { parseHostSpec } from '../../remote/hostName';
import { parseHostsSetting, type HostEntry } from '../../remote/hostSettings';
import { EXIT, UsageError, parseCommandArgs, type Subcommand } from '../cliSupport';
import { discover, sourceFor } from '../namespaceArgs';
import { sshOptionsFromEnv } from '../sources';
import type { CollectOptions } from '../../backend/metricsCollector';
import { COLLECT_OPTIONS, COLLECT_USAGE, collectOptions } from './metrics';

export const DEFAULT_LISTEN = '127.0.0.1:9863';

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, ::ffff:127.x. */
export function isLoopback(host: string): boolean {
  if (nodeNet().isIPv4(host)) return host.startsWith('127.');
  if (nodeNet().isIPv6(host)) {
    const h = host.toLowerCase();
    return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  }
  return false;
}

/** `--listen ADDR:PORT`: an IP address (IPv6 in brackets) or `localhost`, and a port (0 = any free one). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) throw new UsageError(`--listen ${JSON.stringify(text)}: write ADDRESS:PORT, e.g. ${DEFAULT_LISTEN} or [::1]:9863`);
  let host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`--listen: port ${port} is out of range`);
  if (host === 'localhost') host = '127.0.0.1';
  if (!nodeNet().isIP(host)) throw new UsageError(`--listen: ${JSON.stringify(host)} is not an IP address (or localhost): name the address to bind`);
  if (m[1] !== undefined && !nodeNet().isIPv6(host)) throw new UsageError(`--listen: [${host}] is not an IPv6 address`);
  return { host, port };
}

/** The configured targets: --target DEST (validated like every SSH destination) and a --targets-file. */
export function configuredTargets(targets: string[] | undefined, file: string | undefined, sudo: boolean): HostEntry[] {
  const out: HostEntry[] = [];
  for (const t of targets ?? []) {
    const p = parseHostSpec(t);
    if (!p.ok) throw new UsageError(`--target ${JSON.stringify(t)}: ${p.reason}`);
    out.push({ destination: p.value, sudo });
  }
  if (file !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`--targets-file ${JSON.stringify(file)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    // the same shape as the ipcExplorer.sshHosts setting, alone or as {"sshHosts": [...]}
    const list = Array.isArray(raw) ? raw : (raw as { sshHosts?: unknown } | null)?.sshHosts;
    const parsed = parseHostsSetting(list ?? raw);
    if (parsed.problems.length) throw new UsageError(`--targets-file ${JSON.stringify(file)}: ${parsed.problems.join('; ')}`);
    out.push(...parsed.hosts);
  }
  const seen = new Set<string>();
  return out.filter((h) => !seen.has(h.destination.spec) && (seen.add(h.destination.spec), true));
}

function positiveNumber(name: string, v: string | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0) || n > max) throw new UsageError(`--${name} needs a number above 0 and at most ${max}, not ${JSON.stringify(v)}`);
  return n;
}

/** /metrics with --all-namespaces: every IPC namespace discovered now, each under its own labels. */
async function collectAllNamespaces(opts: CollectOptions) {
  const d = discover();
  return mergeNamespaceMetrics(await collectNamespaceMetrics(d.namespaces, sourceFor, opts), d.warnings);
}

const command: Subcommand = {
  name: 'serve',
  summary: 'a Prometheus exporter: /metrics for this machine, /probe?target=DEST for SSH hosts',
  usage: `usage: ipcx serve [--listen ADDR:PORT] [--target DEST]... [--targets-file FILE] [--allow-any-target]
                 [--timeout S] [--max-concurrent N] [--allow-non-loopback] [--all-namespaces] [collection options]

Serves http://ADDR:PORT/metrics (this machine, plus the exporter's own process metrics) and
/probe?target=DEST (an SSH host: the multi-target pattern of blackbox_exporter; see docs/prometheus.md).
  --listen ADDR:PORT     where to listen (default ${DEFAULT_LISTEN}; port 0 = any free port, printed on start).
                         Only loopback addresses unless --allow-non-loopback
  --allow-non-loopback   allow another address (0.0.0.0, a LAN address): anyone who reaches the port reads
                         the metrics and makes this machine ssh to the configured targets; no TLS, no auth
  --target DEST          an SSH host /probe may name (repeatable; validated like --host; keys or agent only)
  --targets-file FILE    more targets: a JSON array in the form of the ipcExplorer.sshHosts setting
                         ("db1", "postgres@10.0.0.7:2222", {"host": "db2", "sudo": true}), or {"sshHosts": [...]}
  --allow-any-target     probe any valid destination, not only configured ones (at most 256 kept connected)
  --sudo                 run the probes of --target hosts as sudo -n
  --timeout S            deadline of one probe (default 10; Prometheus's scrape timeout, less 0.5 s, when smaller)
  --max-concurrent N     targets collected at the same time (default 4); scrapes of a target that is being
                         collected share that collection
  --all-namespaces       /metrics reads every IPC namespace of this machine (found anew on each collection),
                         one after another; their series carry namespace="ipc:[INODE]" and container=...
                         (entering another namespace needs root: CAP_SYS_ADMIN)
${COLLECT_USAGE}
Environment: IPCX_SSH_CONFIG (ssh -F file), as for --host.
Runs until SIGINT or SIGTERM. Exit status: 0 stopped by a signal, 1 cannot listen, 2 usage.`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      {
        help: { type: 'boolean', short: 'h' },
        listen: { type: 'string' },
        'allow-non-loopback': { type: 'boolean' },
        target: { type: 'string', multiple: true },
        'targets-file': { type: 'string' },
        'allow-any-target': { type: 'boolean' },
        sudo: { type: 'boolean' },
        timeout: { type: 'string' },
        'max-concurrent': { type: 'string' },
        'all-namespaces': { type: 'boolean' },
        ...COLLECT_OPTIONS,
      },
      false,
    );
    const listen = parseListen(values.listen ?? DEFAULT_LISTEN);
    if (!isLoopback(listen.host) && !values['allow-non-loopback']) {
      throw new UsageError(`refusing to listen on ${listen.host}, which is not a loopback address: add --allow-non-loopback if every host that can reach it may read these metrics and make this machine ssh to its targets`);
    }
    const targets = configuredTargets(values.target, values['targets-file'], values.sudo === true);
    const timeoutMs = positiveNumber('timeout', values.timeout, 10, 3600) * 1000;
    const maxConcurrent = positiveNumber('max-concurrent', values['max-concurrent'], 4, 256);
    const collect = collectOptions(values);
    if (!isLoopback(listen.host)) {
      io.err(`ipcx serve: warning: listening on ${listen.host}, not loopback: anyone who can reach port ${listen.port} reads these metrics` +
        `${targets.length || values['allow-any-target'] ? ' and can make this machine ssh to its targets' : ''}; there is no TLS and no authentication (firewall it, or put a proxy with auth in front)\n`);
    }
    // loaded here, not at start-up: prom-client costs every other command ~10 ms of module initialisation
    const { Exporter } = await import('../../backend/exporter');
    const exporter = new Exporter({
      host: listen.host, port: listen.port, targets, allowAnyTarget: values['allow-any-target'] === true, collect, timeoutMs,
      maxConcurrentProbes: Math.floor(maxConcurrent), ssh: sshOptionsFromEnv(io.env), log: (l) => io.err(l + '\n'),
      ...(values['all-namespaces'] ? { collectLocal: collectAllNamespaces } : {}),
    });
    let addr;
    try {
      addr = await exporter.start();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      io.err(`ipcx serve: listen(${listen.host}:${listen.port}): ${err.message}${err.code ? ` (${err.code})` : ''} \u2014 ` +
        `${err.code === 'EADDRINUSE' ? 'another process listens there: pick another port' : err.code === 'EACCES' ? 'ports below 1024 need privileges: pick a higher one' : 'check the address'}\n`);
      await exporter.close();
      return EXIT.ERROR;
    }
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    io.err(`ipcx serve: listening on http://${shown}:${addr.port}/metrics (targets: ${targets.map((t) => t.destination.spec).join(', ') || 'none'}` +
      `${values['allow-any-target'] ? ', any valid destination' : ''})\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await exporter.close();
    return EXIT.OK;
  },
};

export default command;

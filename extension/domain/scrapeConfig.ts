/**
 * The Prometheus scrape configuration for `ipcx serve` (pure text; the VS Code command "Copy Prometheus
 * Scrape Config" puts it on the clipboard): a job for the exporter's own machine and, for the SSH hosts, the
 * multi-target job (each host becomes `/probe?target=HOST` on the exporter, `instance` = the host).
 *
 * Host specs arrive validated (remote/hostName.ts parseHostSpec); each is still written as a JSON string,
 * which is a valid YAML double-quoted scalar, so no spec can change the YAML's structure.
 */
export const DEFAULT_EXPORTER = '127.0.0.1:9863';

export interface ScrapeConfigOptions {
  /** where `ipcx serve` listens, as Prometheus reaches it. */
  exporter?: string;
  /** job names (the shipped alert rules' `up` check expects these). */
  localJob?: string;
  sshJob?: string;
}

const q = (s: string): string => JSON.stringify(s);
/** A shell word for the comment's command line: single-quoted unless it is plainly safe (`[::1]` would glob). */
const sh = (s: string): string => (/^[A-Za-z0-9._@:-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/** A `scrape_configs:` block for the exporter and these SSH hosts (none: the local job only). */
export function scrapeConfigYaml(hosts: readonly string[], opts: ScrapeConfigOptions = {}): string {
  const exporter = opts.exporter ?? DEFAULT_EXPORTER;
  const lines = [
    '# IPC Explorer: scrape config for `ipcx serve` (docs/prometheus.md). On the exporter machine:',
    `#   ipcx serve --listen ${exporter}${hosts.map((h) => ` --target ${sh(h)}`).join('')}`,
    '# (hosts that need sudo: a --targets-file with {"host": ..., "sudo": true} entries, as in ipcExplorer.sshHosts)',
    'scrape_configs:',
    `  - job_name: ${q(opts.localJob ?? 'ipc')}`,
    `    static_configs: [{ targets: [${q(exporter)}] }]`,
  ];
  if (hosts.length) {
    lines.push(
      `  - job_name: ${q(opts.sshJob ?? 'ipc-ssh')}`,
      '    metrics_path: /probe',
      '    static_configs:',
      `      - targets: [${hosts.map(q).join(', ')}]`,
      '    relabel_configs:',
      '      - { source_labels: [__address__], target_label: __param_target }',
      '      - { source_labels: [__param_target], target_label: instance }',
      `      - { target_label: __address__, replacement: ${q(exporter)} }`,
    );
  }
  return lines.join('\n') + '\n';
}

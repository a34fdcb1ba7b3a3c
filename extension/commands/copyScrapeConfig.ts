/**
 * `ipcExplorer.copyPrometheusScrapeConfig`: puts the Prometheus scrape config for `ipcx serve` and the
 * configured SSH hosts (ipcExplorer.sshHosts) on the clipboard. Returns the text it copied.
 */
import * as vscode from 'vscode';
import { scrapeConfigYaml } from '../domain/scrapeConfig';
import type { Services } from '../services/services';
import { readSshHosts } from '../services/settings';
import { registerGuarded } from './guard';

export function registerCopyScrapeConfig(context: vscode.ExtensionContext, services: Services): void {
  registerGuarded(context, services, 'ipcExplorer.copyPrometheusScrapeConfig', 'Copy Prometheus scrape config', async () => {
    const parsed = readSshHosts();
    const hosts = parsed.hosts.map((h) => h.destination.spec);
    const text = scrapeConfigYaml(hosts);
    await vscode.env.clipboard.writeText(text);
    const skipped = parsed.problems.length ? ` (${parsed.problems.length} refused entr${parsed.problems.length === 1 ? 'y' : 'ies'} left out)` : '';
    services.notify.info(`Copied a Prometheus scrape config for ipcx serve: this machine and ${hosts.length} SSH host${hosts.length === 1 ? '' : 's'}${skipped}.`);
    return text;
  });
}

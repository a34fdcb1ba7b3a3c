/**
 * IPC Explorer's entry point. activate() only constructs the services and lets each feature register its
 * views and commands; it reads nothing (the first snapshot is taken when a view becomes visible or a
 * command needs one). Activation is lazy: on the views or a command (package.json activationEvents are
 * implied by the contributed views and commands).
 *
 * A feature is one import and one `register…(context, services)` line below.
 */
import * as vscode from 'vscode';
import { createServices } from './services/services';
import { registerTreeViews } from './views/register';
import { registerRefresh } from './commands/refresh';
import { registerInspect } from './commands/inspect';
import { registerCopy } from './commands/copy';
import { registerExportSnapshot } from './commands/exportSnapshot';
import { registerShowLimits } from './commands/showLimits';
import { registerDiagnoseEnospc } from './commands/diagnoseEnospc';
import { registerDashboard } from './webviews/dashboardPanel';
import { registerRecycle } from './commands/recycle';
import { registerRemote } from './commands/sshHosts';
import { registerFutexVisualizer } from './webviews/futexPanel';
import { registerCopyScrapeConfig } from './commands/copyScrapeConfig';
import { registerStatusIndicators } from './views/statusIndicators';
import { createTestApi, type IpcExplorerTestApi } from './testApi';

/** Platforms the test hook below accepts. */
const TEST_PLATFORMS: readonly NodeJS.Platform[] = ['linux', 'darwin', 'freebsd', 'win32'];

/**
 * Test hook (documented in docs/platforms.md): only when VS Code runs the extension under its test runner
 * (extension mode Test), `IPCX_TEST_PLATFORM=darwin|freebsd|win32|linux` in the extension host's environment
 * makes the local host read as on that platform (the integration suite's desktop sessions on this Linux
 * machine, with stand-in ipcs/sysctl/uname first on PATH). Never read in a normal run.
 */
export function testPlatform(mode: vscode.ExtensionMode, env: NodeJS.ProcessEnv = process.env): NodeJS.Platform | undefined {
  if (mode !== vscode.ExtensionMode.Test) return undefined;
  const p = env['IPCX_TEST_PLATFORM'] as NodeJS.Platform | undefined;
  return p !== undefined && TEST_PLATFORMS.includes(p) ? p : undefined;
}

/** Returns the test API (extension/testApi.ts): what the integration suite reads and drives, nothing else. */
export function activate(context: vscode.ExtensionContext): IpcExplorerTestApi {
  const t0 = performance.now();
  const platform = testPlatform(context.extensionMode);
  const services = createServices(context, platform ? { platform } : {});
  const tree = registerTreeViews(context, services);
  registerRefresh(context, services);
  registerInspect(context, services);
  registerCopy(context, services);
  registerExportSnapshot(context, services);
  registerShowLimits(context, services);
  registerDiagnoseEnospc(context, services);
  registerDashboard(context, services);
  registerRecycle(context, services);
  registerRemote(context, services);
  registerFutexVisualizer(context, services);
  registerCopyScrapeConfig(context, services);
  const status = registerStatusIndicators(context, services, [tree.treeView, tree.explorerView]);
  const activationMs = performance.now() - t0;
  services.log.info(`activated in ${activationMs.toFixed(1)} ms (native binding: ${services.localSource.mode})`);
  if (platform) services.log.warn(`test hook: the local host is read as on ${platform} (IPCX_TEST_PLATFORM, extension mode Test)`);
  return createTestApi(services, tree, status, activationMs);
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}

/**
 * IPC Explorer's entry point. activate() only constructs the services and lets each feature register its
 * views and commands; it reads nothing (the first snapshot is taken when a view becomes visible or a
 * command needs one). Activation is lazy: on the views or a command (package.json activationEvents are
 * implied by the contributed views and commands).
 *
 * A feature is one import and one `register…(context, services)` line below.
 */
import * as vscode from 'vscode';
import { createServices, type Services } from './services/services';
import type { SnapshotStore } from './services/snapshotStore';
import type { Notifier } from './services/notify';
import { registerTreeViews, type TreeViews } from './views/register';
import { registerRefresh } from './commands/refresh';
import { registerInspect } from './commands/inspect';
import { registerCopy } from './commands/copy';
import { registerExportSnapshot } from './commands/exportSnapshot';
import { registerShowLimits } from './commands/showLimits';
import { registerDiagnoseEnospc } from './commands/diagnoseEnospc';
import { registerDashboard } from './webviews/dashboardPanel';
import { registerRecycle, setRecycleConfirmForTests, startupRestoreOfferForTests } from './commands/recycle';
import { registerRemote } from './commands/sshHosts';
import { registerFutexVisualizer } from './webviews/futexPanel';
import { registerCopyScrapeConfig } from './commands/copyScrapeConfig';
import { registerStatusIndicators, type StatusIndicators } from './views/statusIndicators';

/** What activate() returns: used by the integration tests and by other extensions' tests. */
export interface IpcExplorerApi {
  services: Services;
  store: SnapshotStore;
  notify: Notifier;
  tree: TreeViews;
  /** the status-bar item, the views' orphan badge and the welcome views' context keys */
  status: StatusIndicators;
  /** ms activate() took */
  activationMs: number;
  /**
   * Only when VS Code runs the extension under its test runner (extension mode Test): stand-ins for the
   * person at modal dialogs. Absent otherwise.
   */
  testHooks?: { setRecycleConfirm: typeof setRecycleConfirmForTests; startupRestoreOffer: typeof startupRestoreOfferForTests };
}

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

export function activate(context: vscode.ExtensionContext): IpcExplorerApi {
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
  const api: IpcExplorerApi = { services, store: services.store, notify: services.notify, tree, status, activationMs };
  if (context.extensionMode === vscode.ExtensionMode.Test) api.testHooks = { setRecycleConfirm: setRecycleConfirmForTests, startupRestoreOffer: startupRestoreOfferForTests };
  return api;
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}

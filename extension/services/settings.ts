/** Typed access to the `ipcExplorer.*` settings (package.json `contributes.configuration`). */
import os from 'node:os';
import * as vscode from 'vscode';
import { CAPACITY_THRESHOLDS } from '../shared/limitDescriptors';
import { DEFAULT_VERDICT_OPTIONS, parseObjectRule, type ObjectRule, type VerdictOptions } from '../domain/verdict';
import { parseHostsSetting, type HostsSetting } from '../remote/hostSettings';

export const SECTION = 'ipcExplorer';

export interface TreeSettings {
  /** seconds between automatic refreshes while the view is visible; 0 = off. */
  autoRefreshSeconds: number;
  /** a kind (or owner group) with more objects than this is split into groups instead of one flat list. */
  groupThreshold: number;
  /** objects per id-range group. */
  rangeSize: number;
  /** mark objects that appeared since the previous refresh. */
  highlightNew: boolean;
}

function clamp(v: unknown, dflt: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : dflt;
}

export function readTreeSettings(): TreeSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    autoRefreshSeconds: clamp(c.get('autoRefreshSeconds'), 0, 0, 86400),
    groupThreshold: clamp(c.get('tree.groupThreshold'), 200, 10, 100000),
    rangeSize: clamp(c.get('tree.rangeSize'), 500, 10, 100000),
    highlightNew: c.get('tree.highlightNew') !== false,
  };
}

function rules(raw: unknown): ObjectRule[] {
  return Array.isArray(raw) ? raw.map(parseObjectRule).filter((x): x is ObjectRule => x !== undefined) : [];
}

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : dflt;
}

/** `ipcExplorer.statusBar.*`: the status-bar item, and the percent from which it shows the warning colour. */
export function readStatusSettings(): { enabled: boolean; warnPercent: number } {
  const c = vscode.workspace.getConfiguration(`${SECTION}.statusBar`);
  const w = c.get<unknown>('warnPercent');
  return {
    enabled: c.get<boolean>('enabled', true) !== false,
    warnPercent: typeof w === 'number' && w > 0 && w <= 100 ? w : CAPACITY_THRESHOLDS.critical,
  };
}

export interface RecycleSettings {
  enabled: boolean;
  verdict: Partial<VerdictOptions>;
  dataDirs: string[];
}

/**
 * A setting's user/machine value, else its default: workspace and folder values are ignored (VS Code
 * already drops them for machine-scoped settings; this holds even if a setting lost its scope).
 */
function machineValue(c: vscode.WorkspaceConfiguration, key: string): unknown {
  const i = c.inspect<unknown>(key);
  return i?.globalValue !== undefined ? i.globalValue : i?.defaultValue;
}

/**
 * `ipcExplorer.recycle.*`: machine-scoped (package.json) and read from user/machine settings and defaults
 * only, so a workspace can neither enable recycling, nor shorten the age gates, nor widen what counts as
 * recyclable.
 */
export function readRecycleSettings(): RecycleSettings {
  const raw = vscode.workspace.getConfiguration(`${SECTION}.recycle`);
  const c = { get: (key: string): unknown => machineValue(raw, key) };
  const dirs = c.get('postgresDataDirectories');
  return {
    enabled: c.get('enabled') !== false,
    verdict: {
      minOrphanAgeSeconds: num(c.get('minOrphanAgeSeconds'), DEFAULT_VERDICT_OPTIONS.minOrphanAgeSeconds),
      recentActivitySeconds: num(c.get('recentActivitySeconds'), DEFAULT_VERDICT_OPTIONS.recentActivitySeconds),
      recycleUnrecognized: c.get('recycleUnrecognized') === true,
      ignore: rules(c.get('ignore')),
      trust: rules(c.get('trust')),
    },
    dataDirs: Array.isArray(dirs) ? dirs.filter((d): d is string => typeof d === 'string' && d.length > 0) : [],
  };
}

/** `ipcExplorer.sshHosts`, parsed and validated (entries refused are in `problems`). */
export function readSshHosts(): HostsSetting {
  return parseHostsSetting(vscode.workspace.getConfiguration(SECTION).get('sshHosts'));
}

/** The `ipcExplorer.ssh*` settings every SSH host's source is made with. */
export interface RemoteSettings {
  configFile?: string;
  timeoutMs: number;
  maxOutputBytes: number;
  connectTimeoutSec: number;
  concurrency: number;
}

function bounded(v: unknown, dflt: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : dflt;
}

export function readRemoteSettings(): RemoteSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const cfg = c.get<string>('sshConfigFile');
  return {
    configFile: typeof cfg === 'string' && cfg.trim() ? cfg.trim().replace(/^~(?=\/)/, os.homedir()) : undefined,
    timeoutMs: bounded(c.get('sshTimeoutSeconds'), 30, 1, 3600) * 1000,
    maxOutputBytes: bounded(c.get('sshMaxOutputMB'), 64, 1, 4096) * 1024 * 1024,
    connectTimeoutSec: Math.round(bounded(c.get('sshConnectTimeoutSeconds'), 10, 1, 300)),
    concurrency: Math.round(bounded(c.get('sshRefreshConcurrency'), 4, 1, 64)),
  };
}

/** `ipcExplorer.namespaces.enabled`: list this machine's other IPC namespaces (default on). */
export function readNamespacesEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('namespaces.enabled', true) !== false;
}

/** `ipcExplorer.namespaces.sshHosts` (off by default) under the namespaces switch: list each SSH host's namespaces. */
export function readSshNamespacesEnabled(): boolean {
  return readNamespacesEnabled() && vscode.workspace.getConfiguration(SECTION).get<boolean>('namespaces.sshHosts', false) === true;
}

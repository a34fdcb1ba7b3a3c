/** Typed access to the `ipcExplorer.*` settings IPC Explorer contributes (package.json `contributes.configuration`). */
import * as vscode from 'vscode';

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

function num(v: unknown, dflt: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : dflt;
}

export function readTreeSettings(): TreeSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    autoRefreshSeconds: num(c.get('autoRefreshSeconds'), 0, 0, 86400),
    groupThreshold: num(c.get('tree.groupThreshold'), 200, 10, 100000),
    rangeSize: num(c.get('tree.rangeSize'), 500, 10, 100000),
    highlightNew: c.get('tree.highlightNew') !== false,
  };
}

/**
 * Typed getState/setState for UI state only (never IPC data: the host sends a fresh snapshot after
 * every `ready`). Unknown or old shapes fall back to defaults.
 */
import { vscodeApi } from './messenger';

export interface UiState<T> {
  version: number;
  data: T;
}

export function loadState<T>(version: number, defaults: T, validate: (x: unknown) => x is T): T {
  const raw: unknown = vscodeApi().getState();
  if (typeof raw === 'object' && raw !== null && (raw as { version?: unknown }).version === version) {
    const data = (raw as { data?: unknown }).data;
    if (validate(data)) return data;
  }
  return defaults;
}

export function saveState<T>(version: number, data: T): void {
  const s: UiState<T> = { version, data };
  vscodeApi().setState(s);
}

/**
 * The `ipcExplorer.sshHosts` setting and fleet refresh helpers (pure: no vscode). Entries are a destination
 * string (`"db1"`, `"postgres@10.0.0.7:2222"`) or `{ "host": "db1", "sudo": true }`. Invalid entries are
 * reported, never passed to ssh.
 */
import { parseHostSpec, type SshDestination } from './hostName';

export interface HostEntry {
  destination: SshDestination;
  /** run the probe, removals and per-set value reads as `sudo -n sh -s` on this host. */
  sudo: boolean;
}

export interface HostsSetting {
  hosts: HostEntry[];
  /** one line per refused entry. */
  problems: string[];
}

/** A refused entry as JSON, cut to 80 characters; JSON.stringify throws on a value nested too deep for its stack. */
function quoted(spec: unknown): string {
  try {
    return JSON.stringify(spec)?.slice(0, 80) ?? '';
  } catch {
    return Array.isArray(spec) ? '[...]' : typeof spec === 'object' && spec !== null ? '{...}' : '';
  }
}

export function parseHostsSetting(value: unknown): HostsSetting {
  const out: HostsSetting = { hosts: [], problems: [] };
  if (value === undefined || value === null) return out;
  if (!Array.isArray(value)) {
    out.problems.push('ipcExplorer.sshHosts must be an array of host names or { "host": ..., "sudo": ... } objects');
    return out;
  }
  const seen = new Set<string>();
  value.forEach((v: unknown, i) => {
    let spec: unknown = v;
    let sudo = false;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      spec = o['host'];
      if (o['sudo'] !== undefined && typeof o['sudo'] !== 'boolean') {
        out.problems.push(`ipcExplorer.sshHosts[${i}]: "sudo" must be true or false`);
        return;
      }
      sudo = o['sudo'] === true;
    }
    const r = parseHostSpec(spec);
    if (!r.ok) {
      out.problems.push(`ipcExplorer.sshHosts[${i}] ${quoted(spec)}: ${r.reason}`);
      return;
    }
    if (r.value.spec === 'local') {
      out.problems.push(`ipcExplorer.sshHosts[${i}]: "local" is the local machine, always listed`);
      return;
    }
    if (seen.has(r.value.spec)) return;
    seen.add(r.value.spec);
    out.hosts.push({ destination: r.value, sudo });
  });
  return out;
}

/** The setting's value with `spec` added (kept as a plain string) or removed (either form). */
export function withHost(value: unknown, spec: string): unknown[] {
  const list = Array.isArray(value) ? [...value] : [];
  if (list.some((v) => v === spec || (typeof v === 'object' && v !== null && (v as { host?: unknown }).host === spec))) return list;
  list.push(spec);
  return list;
}

export function withoutHost(value: unknown, spec: string): unknown[] {
  const list = Array.isArray(value) ? value : [];
  return list.filter((v) => !(v === spec || (typeof v === 'object' && v !== null && (v as { host?: unknown }).host === spec)));
}

/**
 * Runs `fn` over `items` with at most `limit` at a time; never rejects (each result is settled), so one
 * slow or failing host never blocks or hides the others.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  onDone?: (item: T, result: PromiseSettledResult<R>) => void,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i], i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
      onDone?.(items[i], results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

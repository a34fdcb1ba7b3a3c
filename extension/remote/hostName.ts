/**
 * Validation of SSH destinations and aliases (pure: no vscode, no node:*).
 *
 * A destination reaches `ssh` as ONE argv element after `--`, so a shell never sees it; validation is the
 * second fence: a value that starts with `-` would be read by ssh as an option (`-oProxyCommand=...` runs a
 * command locally), whitespace and control characters are never part of a host name and would be a sign of
 * injected text, and a very long value is refused outright.
 *
 * Accepted forms (decided here, documented in docs/ssh.md):
 *   alias                 a `Host` alias from ~/.ssh/config, or a DNS name: letters, digits, `.`, `_`, `-`
 *   user@host             user: letters, digits, `.`, `_`, `-` (not starting with `-`)
 *   host:port             a port is NOT part of ssh's destination syntax: we split it off and pass `-p PORT`
 *   [v6addr] / [v6addr]:port   IPv6 in brackets (the brackets are removed for ssh), e.g. `[::1]:2222`
 *   1.2.3.4 / 1.2.3.4:22  IPv4
 * A bare IPv6 address without brackets is refused (ambiguous with host:port); `ssh://` URIs are refused
 * (write `user@host:port`).
 */

export const MAX_HOST_SPEC_LENGTH = 255;

export interface SshDestination {
  /** what the user typed, trimmed of nothing (it was validated as is): the host's display name and key. */
  spec: string;
  /** the argument ssh gets after `--`: `[user@]host` (brackets of an IPv6 address removed). */
  destination: string;
  user?: string;
  host: string;
  /** passed to ssh as `-p PORT` when given. */
  port?: number;
}

export type HostSpecResult = { ok: true; value: SshDestination } | { ok: false; reason: string };

const NAME_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;

function describeChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Validate a destination as a person typed it (setting entry, "Add SSH host", `ipcx --host`). */
export function parseHostSpec(input: unknown): HostSpecResult {
  if (typeof input !== 'string') return { ok: false, reason: 'a host must be a string' };
  const spec = input;
  if (spec.length === 0) return { ok: false, reason: 'the host is empty' };
  if (spec.length > MAX_HOST_SPEC_LENGTH) {
    return { ok: false, reason: `the host is longer than ${MAX_HOST_SPEC_LENGTH} characters` };
  }
  if (spec.startsWith('-')) {
    return { ok: false, reason: `"${spec.slice(0, 40)}" starts with "-": ssh would read it as an option, so it is refused` };
  }
  for (const c of spec) {
    const cp = c.codePointAt(0) ?? 0;
    if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0)) {
      return { ok: false, reason: `the host contains a control character (${describeChar(c)})` };
    }
    if (/\s/u.test(c)) return { ok: false, reason: `the host contains whitespace (${describeChar(c)})` };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    return { ok: false, reason: 'URIs are not accepted: write [user@]host[:port]' };
  }

  let user: string | undefined;
  let rest = spec;
  const at = spec.lastIndexOf('@');
  if (at >= 0) {
    user = spec.slice(0, at);
    rest = spec.slice(at + 1);
    if (!USER_RE.test(user)) {
      return { ok: false, reason: `the user name "${user}" is not valid (letters, digits, ".", "_", "-"; not starting with "-")` };
    }
  }
  if (rest.length === 0) return { ok: false, reason: 'the host part is empty' };

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { ok: false, reason: 'an IPv6 address in brackets lacks its "]"' };
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) return { ok: false, reason: `unexpected text after "]": "${after}"` };
      portText = after.slice(1);
    }
    if (!host.includes(':') || !IPV6_RE.test(host)) {
      return { ok: false, reason: `"${host}" is not an IPv6 address` };
    }
  } else {
    const colons = rest.split(':').length - 1;
    if (colons > 1) return { ok: false, reason: 'write an IPv6 address in brackets: [addr] or [addr]:port' };
    if (colons === 1) {
      const i = rest.indexOf(':');
      host = rest.slice(0, i);
      portText = rest.slice(i + 1);
    } else {
      host = rest;
    }
    if (!NAME_RE.test(host)) {
      return {
        ok: false,
        reason: `"${host}" is not a valid host name or alias (letters, digits, ".", "_", "-"; not starting or ending with "-" or ".")`,
      };
    }
  }

  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) return { ok: false, reason: `the port "${portText}" is not a number` };
    port = Number(portText);
    if (port < 1 || port > 65535) return { ok: false, reason: `the port ${port} is out of range (1-65535)` };
  }
  const destination = user !== undefined ? `${user}@${host}` : host;
  return { ok: true, value: { spec, destination, user, host, port } };
}

/**
 * The command a person types to reach `spec` (for hints): `ssh -p 2222 root@127.0.0.1` for
 * `root@127.0.0.1:2222`, `ssh -p 2222 ::1` for `[::1]:2222`, `ssh db1` for `db1`. `program` may be
 * `ssh-copy-id` (same `-p` option); `options` go before the destination. A spec that does not parse is
 * quoted as given.
 */
export function sshCommandText(spec: string, options: string[] = [], program = 'ssh'): string {
  const p = parseHostSpec(spec);
  if (!p.ok) return [program, ...options, `'${spec.replace(/'/g, "'\\''")}'`].join(' ');
  const d = p.value;
  return [program, ...options, ...(d.port !== undefined ? ['-p', String(d.port)] : []), d.destination].join(' ');
}

/** True when a `Host` pattern of an ssh config names one concrete host (no wildcard, no negation). */
export function isConcreteHostPattern(pattern: string): boolean {
  return !/[*?!]/.test(pattern) && parseHostSpec(pattern).ok;
}

/**
 * The `Host` aliases of an ssh config text (what "Add SSH host..." offers): every name on a `Host` line
 * that is not a wildcard or negated pattern and passes validation. `Include` is not followed. Order kept,
 * duplicates dropped.
 */
export function hostAliasesFromSshConfig(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^host(?:\s*=\s*|\s+)(.*)$/i.exec(line);
    if (!m) continue;
    for (let name of m[1].split(/\s+/)) {
      name = name.replace(/^"(.*)"$/, '$1');
      if (!name || seen.has(name) || !isConcreteHostPattern(name)) continue;
      seen.add(name);
      out.push(name);
    }
  }
  return out;
}

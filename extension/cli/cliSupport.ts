/**
 * What every `ipcx` subcommand module shares: the module shape, the I/O it writes to, exit codes,
 * argument parsing (node:util parseArgs, strict) and the one-line error format.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatIpcMessage, toIpcErrorInfo } from '../domain/errors';
import type { IpcErrorInfo } from '../shared/model';

/** Documented exit codes (docs/cli.md). */
export const EXIT = {
  /** everything was read and printed */
  OK: 0,
  /** a runtime failure: nothing useful could be printed (source failed, object not found, ...) */
  ERROR: 1,
  /** usage error: unknown command, option or bad argument */
  USAGE: 2,
  /**
   * printed, but incomplete or at a limit: snapshot/limits/inspect: per-object errors (e.g. EACCES) or one of
   * several hosts failed; recycle: something was refused or failed; doctor: semget would fail even after
   * recycling; futex: exploration truncated by --max-states with no violation seen
   */
  PARTIAL: 3,
  /** a finding: futex: violations found; doctor: semget fails now but recycling is enough */
  FINDING: 4,
} as const;

/** The exit code table of `ipcx --help` (the "Exit codes" table of docs/cli.md says the same). */
export const EXIT_CODES_HELP = `exit codes:
  0  ok
  1  runtime error: nothing useful could be printed
  2  usage error: unknown command or option, bad argument, refused host name
  3  partial or at a limit: snapshot, limits, inspect, metrics: printed, but some object or host failed;
     recycle: something was refused or failed; doctor: semget would fail, even after recycling;
     futex: exploration truncated by --max-states (no violation seen)
  4  a finding: futex: violations found; doctor: semget fails now, but recycling is enough`;

export interface CliIo {
  /** writes to stdout (the data); bytes are written as they are (UTF-8 JSON) */
  out(text: string | Uint8Array): void;
  /** writes to stderr (diagnostics) */
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** stdout is a terminal */
  isTTY: boolean;
  /**
   * stdout's file descriptor, when a command may write to it directly (bypassing `out`): `snapshot --json`
   * streams its document there from the native columns. Absent: everything goes through `out`.
   */
  outFd?: number;
}

/** One `ipcx` subcommand; commands/index.ts lists them all. */
export interface Subcommand {
  name: string;
  /** one line for `ipcx --help` */
  summary: string;
  /** the full usage text for `ipcx NAME --help` (starts with `usage: ipcx NAME ...`) */
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** A usage mistake: printed with the command's usage hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The options every data command accepts: --json, --host DEST (repeatable), --help. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  host: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export interface Parsed<V> {
  values: V;
  positionals: string[];
}

/** parseArgs in strict mode; its errors become UsageErrors with the offending option named. */
export function parseCommandArgs<O extends Options>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.replace(/\. To specify a positional.*$/s, '') : String(e));
  }
}

/** Host names for --host: refuse ones that look like options or carry whitespace/control characters. */
export function checkHosts(hosts: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const h of hosts ?? []) {
    if (h === '' || h.startsWith('-') || /[\s\x00-\x1f\x7f-\x9f]/.test(h)) {
      throw new UsageError(`refusing host name ${JSON.stringify(h)}: it is empty, starts with '-' or holds whitespace or a control character`);
    }
    if (!out.includes(h)) out.push(h);
  }
  return out;
}

/** Whatever was thrown, as the model's structured error (plain data, with a hint). */
export function errorInfoOf(e: unknown): IpcErrorInfo {
  return toIpcErrorInfo(e);
}

/**
 * `semctl(GETALL) id=5: Permission denied (EACCES) — hint`. Uses the error's own message when it already
 * names the call (domain/errors.ts and the native binding build it that way), otherwise builds the prefix.
 */
export function formatErrorLine(info: IpcErrorInfo): string {
  let msg = info.message || formatIpcMessage(info);
  // the call leads the line unless the message names it already (or starts with its operation)
  if (info.syscall && !msg.includes(info.syscall) && !(info.op && msg.startsWith(info.op))) {
    const call = `${info.syscall}${info.op ? `(${info.op})` : ''}${info.id !== undefined ? ` id=${info.id}` : ''}`;
    msg = `${call}: ${msg}`;
  }
  if (info.code && info.code !== 'EUNKNOWN' && !msg.includes(`(${info.code})`)) msg += ` (${info.code})`;
  if (info.hint) msg += ` \u2014 ${info.hint}`;
  return msg;
}

/**
 * ipcx: the IPC Explorer command line (bundled to dist/ipcx.js, package.json "bin").
 *
 *   ipcx snapshot [--json]      ipcx limits [--json]      ipcx inspect sem|shm|msg ID [--json]
 *
 * Exit codes (cliSupport EXIT, EXIT_CODES_HELP): 0 ok, 1 runtime error, 2 usage error, 3 partial or at a
 * limit (per command), 4 a finding (futex: violations; doctor: recycling is enough).
 */
import fs from 'node:fs';
import { version } from '../../package.json';
import { devMajorMinor } from '../domain/mapsParser';
import { EXIT, EXIT_CODES_HELP, UsageError, errorInfoOf, formatErrorLine, type CliIo, type Subcommand } from './cliSupport';
import * as registry from './commands/index';

export function allCommands(): Subcommand[] {
  return Object.values(registry as Record<string, unknown>).filter(
    (c): c is Subcommand =>
      typeof c === 'object' && c !== null && typeof (c as Subcommand).name === 'string' && typeof (c as Subcommand).run === 'function',
  );
}

function orderedCommands(): Subcommand[] {
  const builtin = ['snapshot', 'limits', 'inspect'];
  return allCommands().sort((a, b) => {
    const ia = builtin.indexOf(a.name), ib = builtin.indexOf(b.name);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a.name.localeCompare(b.name);
  });
}

export function topHelp(): string {
  const cmds = orderedCommands();
  const w = Math.max(...cmds.map((c) => c.name.length));
  return `ipcx ${version}: System V and POSIX IPC objects, limits and processes (IPC Explorer)

usage: ipcx COMMAND [options]
       ipcx COMMAND --help
       ipcx --version

commands:
${cmds.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

${EXIT_CODES_HELP}
`;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(topHelp());
    return EXIT.USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0]) {
      const c = allCommands().find((x) => x.name === rest[0]);
      if (!c) {
        io.err(`ipcx: unknown command '${rest[0]}'\nRun 'ipcx --help' for the list.\n`);
        return EXIT.USAGE;
      }
      io.out(c.usage + '\n');
      return EXIT.OK;
    }
    io.out(topHelp());
    return EXIT.OK;
  }
  if (first === '--version' || first === '-V') {
    io.out(`ipcx ${version}\n`);
    return EXIT.OK;
  }
  const cmd = allCommands().find((c) => c.name === first);
  if (!cmd) {
    io.err(`ipcx: unknown ${first.startsWith('-') ? 'option' : 'command'} '${first}'\nRun 'ipcx --help' for the list.\n`);
    return EXIT.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage + '\n');
    return EXIT.OK;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`ipcx ${cmd.name}: ${e.message}\n${cmd.usage.split('\n')[0]}\nRun 'ipcx ${cmd.name} --help' for details.\n`);
      return EXIT.USAGE;
    }
    io.err(`ipcx: ${formatErrorLine(errorInfoOf(e))}\n`);
    return EXIT.ERROR;
  }
}

/**
 * process.stdout, made on first use with the handler that ends quietly when the reader goes away (`ipcx
 * snapshot | head`). Node makes the stream lazily, and making it costs: on a pipe it loads the net module
 * and opens a libuv pipe (measured 9 to 50 ms here), which `ipcx snapshot --json` never needs, writing to
 * fd 1 itself.
 */
let stdoutStream: NodeJS.WriteStream | undefined;
function stdout(): NodeJS.WriteStream {
  if (!stdoutStream) {
    stdoutStream = process.stdout;
    stdoutStream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT.OK);
      throw e;
    });
  }
  return stdoutStream;
}

/** Linux's memory devices (/dev/null, /dev/zero, /dev/full, ...): character devices that are never terminals. */
const LINUX_MEM_MAJOR = 1;

/**
 * Whether stdout is a terminal. fstat answers without making the stream for a pipe, a file or /dev/null
 * (a terminal is a character device, and not one of the memory devices); only another character device
 * is asked through the stream.
 */
function stdoutIsTTY(): boolean {
  try {
    const st = fs.fstatSync(1);
    if (!st.isCharacterDevice()) return false;
    if (process.platform === 'linux' && devMajorMinor(st.rdev)[0] === LINUX_MEM_MAJOR) return false;
  } catch {
    return false;
  }
  return stdout().isTTY === true;
}

function processIo(): CliIo {
  let tty: boolean | undefined;
  return {
    out: (t) => {
      stdout().write(t);
    },
    err: (t) => {
      process.stderr.write(t);
    },
    env: process.env,
    get isTTY() {
      return (tty ??= stdoutIsTTY());
    },
    outFd: 1,
  };
}

if (require.main === module) {
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`ipcx: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = EXIT.ERROR;
    },
  );
}

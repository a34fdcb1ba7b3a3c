import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT, UsageError, checkHosts, formatErrorLine, parseCommandArgs, COMMON_OPTIONS, type CliIo } from '../../../extension/cli/cliSupport';
import { allCommands, main, topHelp } from '../../../extension/cli/ipcx';
import { parseIdFile } from '../../../extension/cli/names';
import { renderFields, renderTable } from '../../../extension/cli/table';

function io(): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '', stderr: '', env: {}, isTTY: false,
    out(t: string) { o.stdout += t; },
    err(t: string) { o.stderr += t; },
  };
  return o;
}

test('error lines: syscall(op) id=N: strerror (CODE) — hint', () => {
  assert.equal(
    formatErrorLine({ code: 'EACCES', syscall: 'semctl', op: 'GETALL', id: 5, message: 'Permission denied', hint: 'ask root' }),
    'semctl(GETALL) id=5: Permission denied (EACCES) \u2014 ask root',
  );
  // messages that already name the call and code are kept as they are
  assert.equal(
    formatErrorLine({ code: 'EPERM', syscall: 'semctl', op: 'IPC_RMID', id: 7, message: 'semctl(IPC_RMID) id=7: Operation not permitted (EPERM)' }),
    'semctl(IPC_RMID) id=7: Operation not permitted (EPERM)',
  );
  // or that start with the operation (the /proc reader's refusals name no syscall of the kernel)
  assert.equal(
    formatErrorLine({ code: 'ENATIVE', syscall: 'native', op: 'GETALL', id: 0, message: 'GETALL id=0: the native binding is not loaded (ENATIVE)' }),
    'GETALL id=0: the native binding is not loaded (ENATIVE)',
  );
  assert.equal(formatErrorLine({ code: 'EUNKNOWN', message: 'boom' }), 'boom');
});

test('host names that look like options or hold whitespace are refused; duplicates folded', () => {
  assert.deepEqual(checkHosts(['a', 'b', 'a']), ['a', 'b']);
  assert.deepEqual(checkHosts(undefined), []);
  for (const bad of ['-oProxyCommand=touch /tmp/pwned', 'a b', 'x\ny', '']) {
    assert.throws(() => checkHosts([bad]), UsageError, bad);
  }
});

test('strict option parsing: unknown options are usage errors', () => {
  assert.throws(() => parseCommandArgs(['--nope'], COMMON_OPTIONS), /Unknown option '--nope'/);
  const { values } = parseCommandArgs(['--json', '--host', 'a', '--host', 'b'], COMMON_OPTIONS);
  assert.deepEqual([values.json, values.host], [true, ['a', 'b']]);
});

test('main: no command, unknown command, unknown option, bad inspect args exit 2 without reading anything', async () => {
  for (const argv of [[], ['frobnicate'], ['--frob'], ['snapshot', '--bogus'], ['snapshot', 'extra'], ['inspect', 'sem'], ['inspect', 'sem', 'x'], ['inspect', 'pipe', '1'], ['inspect', 'sem', '1', '--host', 'a', '--host', 'b'], ['limits', '--host', '-oProxyCommand=x']]) {
    const o = io();
    assert.equal(await main(argv, o), EXIT.USAGE, argv.join(' '));
    assert.equal(o.stdout, '', argv.join(' '));
    assert.notEqual(o.stderr, '', argv.join(' '));
  }
});

test('main: --help, help CMD, CMD --help and --version print to stdout and exit 0', async () => {
  const o = io();
  assert.equal(await main(['--help'], o), 0);
  assert.equal(o.stdout, topHelp());
  for (const name of ['snapshot', 'limits', 'inspect']) assert.match(o.stdout, new RegExp(`^  ${name} `, 'm'));
  assert.match(o.stdout, /^exit codes:\n  0  ok\n  1  runtime error.*\n  2  usage error.*\n  3  partial or at a limit/m);
  // every code a subcommand documents in its own usage text is explained in the top help
  for (const c of allCommands()) {
    const codes = /exit (?:status|codes): (.*)/is.exec(c.usage)?.[1];
    assert.ok(codes, `${c.name} --help documents its exit statuses`);
    for (const m of codes.matchAll(/\b([0-9])\b (\w+)/g)) assert.match(o.stdout, new RegExp(`^  ${m[1]}  `, 'm'), `${c.name}: ${m[0]}`);
    if (/\b4\b/.test(codes)) assert.match(o.stdout, new RegExp(`^  4  .*${c.name}:`, 'm'), `${c.name}'s 4 is explained`);
    if (/\b3\b/.test(codes)) assert.match(o.stdout, new RegExp(`^  3  [^]*${c.name}[,:][^]*^  4`, 'm'), `${c.name}'s 3 is explained`);
  }
  const h = io();
  assert.equal(await main(['inspect', '--help'], h), 0);
  assert.match(h.stdout, /^usage: ipcx inspect sem\|shm\|msg ID/);
  const h2 = io();
  assert.equal(await main(['help', 'limits'], h2), 0);
  assert.match(h2.stdout, /^usage: ipcx limits/);
  const v = io();
  assert.equal(await main(['--version'], v), 0);
  assert.match(v.stdout, /^ipcx \d+\.\d+\.\d+\n$/);
});

test('every registered subcommand has a name, summary and usage starting with its name', () => {
  const cmds = allCommands();
  assert.ok(cmds.length >= 3);
  for (const c of cmds) {
    assert.match(c.name, /^[a-z][a-z-]*$/);
    assert.ok(c.summary.length > 10, c.name);
    assert.ok(c.usage.startsWith(`usage: ipcx ${c.name}`), c.name);
  }
  assert.equal(new Set(cmds.map((c) => c.name)).size, cmds.length, 'names are unique');
});

test('tables and passwd parsing', () => {
  assert.equal(renderTable([{ header: 'A' }, { header: 'NUM', right: true }, { header: 'LAST' }], [['x', '5', 'long text'], ['yy', '10', '']]),
    'A   NUM  LAST\nx     5  long text\nyy   10\n');
  assert.equal(renderFields([['id', '1'], ['key', '2'], ['', 'more']]), 'id:  1\nkey: 2\n     more\n');
  const m = parseIdFile('root:x:0:0:root:/root:/bin/bash\n# c\npostgres:x:122:130::/var/lib/postgresql:/bin/sh\nbad line\n');
  assert.deepEqual([...m], [[0, 'root'], [122, 'postgres']]);
});

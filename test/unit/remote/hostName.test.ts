import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_HOST_SPEC_LENGTH, hostAliasesFromSshConfig, parseHostSpec, sshCommandText } from '../../../extension/remote/hostName';
import { classifySshFailure, sshArgv } from '../../../extension/remote/sshRunner';

const ok = (s: string) => {
  const r = parseHostSpec(s);
  assert.ok(r.ok, `${JSON.stringify(s)} should be accepted: ${r.ok ? '' : r.reason}`);
  return r.value;
};
const bad = (s: unknown, re: RegExp) => {
  const r = parseHostSpec(s);
  assert.equal(r.ok, false, `${JSON.stringify(s)} should be refused`);
  if (!r.ok) assert.match(r.reason, re);
};

test('accepts aliases, user@host, IPv4, host:port and bracketed IPv6', () => {
  assert.deepEqual(ok('db1'), { spec: 'db1', destination: 'db1', user: undefined, host: 'db1', port: undefined });
  assert.deepEqual(ok('postgres@db-1.example.com'), { spec: 'postgres@db-1.example.com', destination: 'postgres@db-1.example.com', user: 'postgres', host: 'db-1.example.com', port: undefined });
  assert.equal(ok('10.0.0.7:2222').port, 2222);
  assert.equal(ok('10.0.0.7:2222').destination, '10.0.0.7');
  const v6 = ok('root@[fe80::1%eth0]:22');
  assert.equal(v6.destination, 'root@fe80::1%eth0');
  assert.equal(v6.port, 22);
  assert.equal(ok('[::1]').destination, '::1');
  assert.equal(ok('host_A').host, 'host_A');
});

test('refuses option injection: anything starting with "-"', () => {
  bad('-oProxyCommand=touch /tmp/pwned', /starts with "-"/);
  bad('-oProxyCommand=touch_/tmp/pwned', /starts with "-"/);
  bad('-p', /starts with "-"/);
  bad('--', /starts with "-"/);
  bad('-F/etc/passwd', /starts with "-"/);
  // a user part that starts with '-' is refused too, and so is a host part after '@'
  bad('-x@host', /starts with "-"/);
  bad('user@-oProxyCommand=x', /not a valid host/);
  bad('user@-host', /not a valid host/);
});

test('refuses empty, whitespace, control characters, overly long and odd forms', () => {
  bad('', /empty/);
  bad(undefined, /string/);
  bad(42, /string/);
  bad('host name', /whitespace/);
  bad('host\tname', /control character/);
  bad('host\nProxyCommand x', /control character/);
  bad('host\u0000', /control character/);
  bad('host\u0085x', /control character/);
  bad('host\u00a0x', /whitespace/);
  bad('host\u2028x', /whitespace/);
  bad('a'.repeat(MAX_HOST_SPEC_LENGTH + 1), /longer than/);
  ok('a'.repeat(63));
  bad('user@', /empty/);
  bad('host:', /port/);
  bad('host:99999', /out of range/);
  bad('host:0', /out of range/);
  bad('host:22x', /not a number/);
  bad('fe80::1', /IPv6 address in brackets/);
  bad('[notv6]', /not an IPv6/);
  bad('[::1', /lacks/);
  bad('[::1]x', /unexpected text/);
  bad('ssh://root@host:22', /URIs/);
  bad('host;touch /tmp/x', /whitespace|not a valid/);
  bad('host$(touch /tmp/x)', /whitespace/);
  bad('host$(id)', /not a valid/);
  bad('`id`', /not a valid/);
  bad('host.', /not a valid/);
  bad('a@b@c', /user name/);
});

test('the ssh argv puts "--" right before the destination, and the remote command is a constant', () => {
  const dest = ok('root@db1:2222');
  const argv = sshArgv(dest, '/tmp/ipcx-ssh-x/%C', { configFile: '/tmp/cfg', connectTimeoutSec: 5 });
  const dd = argv.indexOf('--');
  assert.ok(dd > 0);
  assert.deepEqual(argv.slice(dd), ['--', 'root@db1', 'sh', '-s']);
  assert.deepEqual(argv.slice(0, 2), ['-F', '/tmp/cfg']);
  for (const o of ['BatchMode=yes', 'ControlMaster=auto', 'ControlPath=/tmp/ipcx-ssh-x/%C', 'ControlPersist=60', 'ConnectTimeout=5']) {
    assert.ok(argv.includes(o), o);
  }
  assert.deepEqual(argv.slice(argv.indexOf('-p'), argv.indexOf('-p') + 2), ['-p', '2222']);
  const sudo = sshArgv(dest, '/x/%C', { sudo: true });
  assert.deepEqual(sudo.slice(sudo.indexOf('--')), ['--', 'root@db1', 'sudo', '-n', 'sh', '-s']);
  const exit = sshArgv(dest, '/x/%C', {}, 'exit');
  assert.deepEqual(exit.slice(exit.indexOf('-O')), ['-O', 'exit', '--', 'root@db1']);
});

test('Host entries of an ssh config: concrete names only, no wildcards or negations', () => {
  const cfg = [
    '# my hosts',
    'Host db1 db2  # two',
    '  HostName 10.0.0.1',
    'Host *.internal !bastion',
    'Host web-? prod*',
    'host=jump',
    'Match host foo',
    'Host "quoted"',
    'Host -oProxyCommand=evil db1',
    'Host *',
    '  User root',
  ].join('\n');
  assert.deepEqual(hostAliasesFromSshConfig(cfg), ['db1', 'db2', 'jump', 'quoted']);
  assert.deepEqual(hostAliasesFromSshConfig(''), []);
});

test('hints name the command a person types: the port as -p, IPv6 without brackets', () => {
  assert.equal(sshCommandText('root@127.0.0.1:2222'), 'ssh -p 2222 root@127.0.0.1');
  assert.equal(sshCommandText('[::1]:2222'), 'ssh -p 2222 ::1');
  assert.equal(sshCommandText('admin@[fe80::1%eth0]:22'), 'ssh -p 22 admin@fe80::1%eth0');
  assert.equal(sshCommandText('[2001:db8::7]'), 'ssh 2001:db8::7');
  assert.equal(sshCommandText('db1'), 'ssh db1');
  assert.equal(sshCommandText('db1:2200', ['-o', 'BatchMode=yes']), 'ssh -o BatchMode=yes -p 2200 db1');
  assert.equal(sshCommandText('pg@db1:2200', [], 'ssh-copy-id'), 'ssh-copy-id -p 2200 pg@db1');
  // ssh's failure text for an unknown host key of a host on a non-standard port
  const hk = classifySshFailure('Host key verification failed.\n', 'root@127.0.0.1:2222');
  assert.equal(hk.op, 'hostkey');
  assert.match(hk.hint ?? '', /\(`ssh -p 2222 root@127\.0\.0\.1`\)/);
  assert.doesNotMatch(hk.hint ?? '', /127\.0\.0\.1:2222/);
  const auth = classifySshFailure('root@127.0.0.1: Permission denied (publickey).\n', 'root@[::1]:2222');
  assert.match(auth.hint ?? '', /`ssh-copy-id -p 2222 root@::1`/);
  assert.match(auth.hint ?? '', /`ssh -o BatchMode=yes -p 2222 root@::1 true`/);
  assert.match(classifySshFailure('weird\n', 'db1:2200').hint ?? '', /`ssh -o BatchMode=yes -p 2200 db1 true`/);
});

/**
 * domain/errors.ts: message shape, hint lookup by (code, op, syscall), conversion of native, Node and
 * foreign errors. Pure (no kernel objects); lives with the native tests because the binding is its main
 * producer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { formatIpcMessage, fromErrorInfo, hintFor, IpcError, isGone, toIpcErrorInfo } from '../../extension/domain/errors';

test('message shape: syscall(op) id=N: strerror (CODE)', () => {
  assert.equal(formatIpcMessage({ code: 'EPERM', syscall: 'semctl', op: 'IPC_RMID', id: 32769 }),
    'semctl(IPC_RMID) id=32769: Operation not permitted (EPERM)');
  assert.equal(formatIpcMessage({ code: 'ENOSPC', syscall: 'semget' }), 'semget: No space left on device (ENOSPC)');
  assert.equal(formatIpcMessage({ code: 'ECHANGED', syscall: 'shmctl', op: 'IPC_RMID', id: 5, detail: 'refused, nattch: 1' }),
    'shmctl(IPC_RMID) id=5: refused, nattch: 1 (ECHANGED)');
  assert.equal(formatIpcMessage({ code: 'EWHATEVER' }), 'EWHATEVER (EWHATEVER)');
});

test('hints depend on the operation, as ipcrm.c distinguishes them', () => {
  assert.match(hintFor('EPERM', 'IPC_RMID')!, /owner \(uid\) or creator \(cuid\).*CAP_SYS_ADMIN/);
  assert.match(hintFor('EACCES', 'IPC_RMID')!, /only the owner/);
  assert.match(hintFor('EACCES', 'GETALL')!, /No read permission.*CAP_IPC_OWNER/);
  assert.match(hintFor('EACCES', 'GETVAL')!, /No read permission/);
  assert.match(hintFor('EACCES', 'SEM_STAT')!, /No read permission/);
  // reads the kernel never refuses with EPERM, or never checks at all: a sandbox refused them
  for (const [code, op] of [['EPERM', 'IPC_INFO'], ['EPERM', 'SEM_INFO'], ['EPERM', 'GETALL'], ['EPERM', 'SEM_STAT_ANY'], ['EACCES', 'IPC_INFO'], ['EACCES', 'MSG_INFO']] as const) {
    assert.match(hintFor(code, op)!, /seccomp filter or a security module denies System V IPC calls to this process.*lists the headers from \/proc\/sysvipc instead/, `${code} ${op}`);
  }
  assert.doesNotMatch(hintFor('EPERM', 'IPC_RMID')!, /seccomp/, 'a refused removal is about ownership');
  assert.match(hintFor('EACCES', undefined, 'open')!, /read this file/);
  assert.match(hintFor('EIDRM', 'GETALL')!, /removed while it was being read/);
  assert.match(hintFor('EINVAL', 'IPC_STAT')!, /already removed or the id was reused/);
  assert.match(hintFor('EINVAL', undefined, 'semget')!, /SEMMSL/);
  assert.match(hintFor('ENOSPC', undefined, 'semget')!, /not disk space.*SEMMNI.*SEMMNS/s);
  assert.match(hintFor('ENOSPC', undefined, 'shmget')!, /SHMMNI.*SHMALL/);
  assert.match(hintFor('ENOSPC', undefined, 'msgget')!, /MSGMNI/);
  assert.match(hintFor('ECHANGED', 'IPC_RMID')!, /nothing was removed/);
  assert.match(hintFor('ENATIVE')!, /npm rebuild/);
  assert.match(hintFor('ESRCH')!, /no longer exists/);
  assert.match(hintFor('ENOENT', undefined, 'open')!, /unlinked/);
  assert.equal(hintFor('EXDEV'), undefined);
  // a read op does not get the removal hint and vice versa
  assert.notEqual(hintFor('EACCES', 'GETALL'), hintFor('EACCES', 'IPC_RMID'));
});

test('IpcError: fields, default errno and hint, plain-data round trip', () => {
  const e = new IpcError({ code: 'EACCES', syscall: 'semctl', op: 'GETALL', id: 7 });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'IpcError');
  assert.equal(e.message, 'semctl(GETALL) id=7: Permission denied (EACCES)');
  assert.equal(e.errno, 13);
  assert.match(e.hint!, /No read permission/);
  const info = e.toInfo();
  assert.deepEqual(JSON.parse(JSON.stringify(e)), info);
  const back = fromErrorInfo(info);
  assert.deepEqual(back.toInfo(), info);
  assert.equal(isGone(new IpcError({ code: 'EIDRM' })), true);
  assert.equal(isGone(e), false);
});

test('toIpcErrorInfo: Node system errors (negative libuv errno made positive), native-shaped objects, junk', () => {
  let nodeErr: unknown;
  try {
    fs.readFileSync('/nonexistent/ipcx');
  } catch (e) {
    nodeErr = e;
  }
  const n = toIpcErrorInfo(nodeErr);
  assert.equal(n.code, 'ENOENT');
  assert.equal(n.errno, 2);
  assert.equal(n.syscall, 'open');
  assert.match(n.hint!, /unlinked/);
  const native = toIpcErrorInfo({ code: 'EPERM', errno: 1, syscall: 'semctl', op: 'IPC_RMID', id: 3, message: 'm' });
  assert.deepEqual(native, { code: 'EPERM', errno: 1, syscall: 'semctl', op: 'IPC_RMID', id: 3, message: 'm', hint: hintFor('EPERM', 'IPC_RMID') });
  assert.deepEqual(toIpcErrorInfo('boom'), { code: 'EUNKNOWN', message: 'boom' });
  const plain = toIpcErrorInfo(new Error('plain'), { syscall: 'ssh' });
  assert.equal(plain.code, 'EUNKNOWN');
  assert.equal(plain.message, 'plain');
  assert.equal(plain.syscall, 'ssh');
});

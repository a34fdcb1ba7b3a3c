import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatAge, formatBytes, formatCount, formatDuration, formatKey, formatKeyHex, formatMode, formatModeOctal,
  formatModeRwx, formatPercent, formatTime, formatTimestamp, formatBytesExact, ipcrmArgs, parseKey,
} from '../../../extension/shared/format';

test('formatKey: 0x%08x of the unsigned value, 0 is IPC_PRIVATE', () => {
  assert.equal(formatKey(0), 'IPC_PRIVATE');
  assert.equal(formatKey(5432001), '0x0052e2c1');
  assert.equal(formatKey(-1), '0xffffffff');
  assert.equal(formatKey(-2100909034), '0x82c6ac16');
  assert.equal(formatKeyHex(0), '0x00000000');
});

test('parseKey round-trips hex, signed decimal and IPC_PRIVATE; rejects junk and out of range', () => {
  assert.equal(parseKey('0x82c6ac16'), -2100909034);
  assert.equal(parseKey('5432001'), 5432001);
  assert.equal(parseKey('-1'), -1);
  assert.equal(parseKey('IPC_PRIVATE'), 0);
  assert.equal(parseKey('0x1ffffffff'), undefined);
  assert.equal(parseKey('12abc'), undefined);
  assert.equal(parseKey('99999999999'), undefined);
});

test('formatMode: octal and rwx of the low 9 bits, status bits ignored', () => {
  assert.equal(formatModeOctal(0o600), '0600');
  assert.equal(formatModeOctal(0o1600), '0600');
  assert.equal(formatModeRwx(0o640), 'rw-r-----');
  assert.equal(formatModeRwx(0o777), 'rwxrwxrwx');
  assert.equal(formatModeRwx(0), '---------');
  assert.equal(formatMode(0o2644), '0644 rw-r--r--');
});

test('formatBytes: IEC units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(16 * 1024 * 1024), '16 MiB');
  assert.equal(formatBytes(456340276), '435 MiB');
  assert.equal(formatBytes(2.25 * 2 ** 30), '2.25 GiB');
  assert.equal(formatBytes(-2048), '-2 KiB');
});

test('formatDuration: two most significant units', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(45), '45s');
  assert.equal(formatDuration(302), '5m 2s');
  assert.equal(formatDuration(3600), '1h');
  assert.equal(formatDuration(3 * 86400 + 4 * 3600 + 59), '3d 4h');
  assert.equal(formatDuration(-61), '-1m 1s');
});

test('formatTime / formatAge: 0 is never; one format, local time with its offset', () => {
  assert.equal(formatTime(0), 'never');
  assert.equal(formatTime(1500000000, 0), '2017-07-14 02:40:00+00:00');
  assert.equal(formatTime(1500000000, 120), '2017-07-14 04:40:00+02:00');
  assert.equal(formatTime(1500000000, -330), '2017-07-13 21:10:00-05:30');
  // the default offset is the machine's at that instant, and the text says which
  const off = -new Date(1500000000 * 1000).getTimezoneOffset();
  assert.equal(formatTime(1500000000), formatTime(1500000000, off));
  assert.equal(formatTimestamp(1500000000_999, 0), '2017-07-14 02:40:00+00:00', 'milliseconds are cut, not rounded');
  assert.equal(formatAge(0, 100), 'never');
  assert.equal(formatAge(100, 400), '5m ago');
  assert.equal(formatAge(500, 400), 'in 1m 40s');
});

test('formatPercent / formatCount / ipcrmArgs', () => {
  assert.equal(formatPercent(null), '-');
  assert.equal(formatPercent(0), '0%');
  assert.equal(formatPercent(0.003), '<0.1%');
  assert.equal(formatPercent(100), '100%');
  assert.equal(formatPercent(12.345), '12.3%');
  assert.equal(formatCount(1024000000), '1,024,000,000');
  assert.equal(formatCount(-1234), '-1,234');
  assert.equal(formatCount(999), '999');
  assert.deepEqual(ipcrmArgs('sem', 5), ['ipcrm', '-s', '5']);
  assert.deepEqual(ipcrmArgs('msg', 7), ['ipcrm', '-q', '7']);
});

test('formatBytesExact: readable size and the exact count with grouping', () => {
  assert.equal(formatBytesExact(1114112), '1.06 MiB (1,114,112 bytes)');
  assert.equal(formatBytesExact(512), '512 bytes');
  assert.equal(formatBytesExact(1), '1 byte');
  assert.equal(formatBytesExact(16 * 1024 * 1024), '16 MiB (16,777,216 bytes)');
});

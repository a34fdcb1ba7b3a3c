/**
 * The words a person reads about limits and keys: real sysctl lines built from the current values, the
 * file that keeps them, units for SHMALL, unchangeable limits said as such, and sem-map cell labels that are
 * always the key (never another number).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capacity } from '../../../extension/domain/capacity';
import { LIMIT_DESCRIPTORS, limitDescriptor, raiseHint, SYSCTL_PERSIST_FILE } from '../../../extension/shared/limitDescriptors';
import type { IpcLimits } from '../../../extension/shared/model';
import { capacityBars } from '../../../webview/layout/capacity';
import { capacityRowsFor } from '../../../extension/domain/capacityRows';
import { cellKeyLabel } from '../../../webview/layout/semSets';
import { seedSnapshot } from '../../webview/fixtures';

const limits: IpcLimits = {
  semmsl: 250, semmns: 32000, semopm: 32, semmni: 128, semvmx: 32767, shmmax: 1 << 30, shmall: 2097152, shmmni: 4096,
  shmmin: 1, msgmax: 8192, msgmnb: 16384, msgmni: 32000, pageSize: 4096, mqueue: { queuesMax: 256, msgMax: 10, msgsizeMax: 8192 },
};

test('kernel.sem hints: the real line with the current values, the field that matters doubled, and the file that keeps it', () => {
  const mns = raiseHint('SEMMNS', limits)!;
  assert.equal(mns.command, 'sysctl -w kernel.sem="250 64000 32 128"');
  assert.deepEqual(mns.persist, { line: 'kernel.sem = 250 64000 32 128', file: '/etc/sysctl.d/60-ipc.conf' });
  assert.match(mns.now!, /now "250 32000 32 128": SEMMNS is the 2nd field/);
  assert.equal(raiseHint('SEMMNI', limits)!.command, 'sysctl -w kernel.sem="250 32000 32 256"');
  assert.equal(raiseHint('SEMMSL', limits)!.command, 'sysctl -w kernel.sem="500 32000 32 128"');
  assert.equal(raiseHint('SEMOPM', limits)!.command, 'sysctl -w kernel.sem="250 32000 64 128"');
  // Linux refuses more than IPCMNI identifiers: the suggestion never goes past it
  assert.equal(raiseHint('MSGMNI', limits)!.command, 'sysctl -w kernel.msgmni=32768');
  assert.equal(SYSCTL_PERSIST_FILE, '/etc/sysctl.d/60-ipc.conf');
});

test('SHMALL says its unit: pages of the page size, and the bytes', () => {
  const h = raiseHint('SHMALL', limits)!;
  assert.equal(h.command, 'sysctl -w kernel.shmall=4194304');
  assert.match(h.text, /now 2097152 pages = 8 GiB; kernel\.shmall counts pages of 4096 bytes, 4194304 pages = 16 GiB/);
  assert.match(limitDescriptor('SHMALL').help, /pages \(of the page size/);
  const rows = capacityRowsFor(seedSnapshot());
  assert.match(rows.find((r) => r.name === 'SHMALL')!.help, /the limit is \d+ pages of 4096 bytes/);
});

test('SEMVMX and SHMMIN are compile-time constants on Linux, said in a sentence (no "raise with fixed")', () => {
  assert.equal(raiseHint('SEMVMX', limits)!.text, 'cannot be raised on Linux: SEMVMX is a compile-time constant (32767)');
  assert.match(raiseHint('SHMMIN', limits)!.text, /^cannot be changed on Linux/);
  for (const d of LIMIT_DESCRIPTORS) {
    for (const t of Object.values(d.raise)) assert.doesNotMatch(t, /^fixed in the kernel/, d.name);
    assert.doesNotMatch(raiseHint(d.name, limits)?.text ?? '', /=(?:N|PAGES|BYTES)\b|kernel\.sem="SEMMSL/, `${d.name}: no placeholders`);
  }
});

test('capacity rows and tooltips carry the real line; no "sysctl sysctl"', () => {
  const rows = capacity({ sems: [], shms: [], msgs: [], limits, usage: { semSets: 0, semTotal: 0, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 }, platform: 'linux' });
  assert.match(rows.find((r) => r.name === 'SEMMNS')!.raise!, /^sysctl -w kernel\.sem="250 64000 32 128"/);
  assert.match(rows.find((r) => r.name === 'SEMMNS')!.raise!, /\/etc\/sysctl\.d\/60-ipc\.conf/);
  const bars = capacityBars(capacityRowsFor(seedSnapshot()), new Map());
  const semmns = bars.find((b) => b.name === 'semmns')!;
  assert.match(semmns.tooltip, /To raise it: Linux: sysctl -w kernel\.sem="\d+ \d+ \d+ \d+"/);
  assert.doesNotMatch(semmns.tooltip, /sysctl sysctl/);
  assert.match(semmns.tooltip, /BSD: kern\.ipc\.semmns/);
});

test('freebsd and macOS keep their tunables', () => {
  assert.match(raiseHint('SEMMNS', limits, 'freebsd')!.text, /kern\.ipc\.semmns/);
  assert.match(raiseHint('SHMALL', limits, 'darwin')!.text, /kern\.sysv\.shmall/);
});

test('sem-map cell labels: the key as everywhere else, its tail when narrow, never the set size', () => {
  assert.equal(cellKeyLabel('0x0052e2c1', 120), '0x0052e2c1');
  assert.equal(cellKeyLabel('0x00005555', 120), '0x00005555', 'leading zeros are kept');
  assert.equal(cellKeyLabel('0x00005555', 36), '…5555');
  assert.equal(cellKeyLabel('0x00005555', 28), '…55');
  assert.equal(cellKeyLabel('0x00005555', 20), '');
  assert.equal(cellKeyLabel('IPC_PRIVATE', 120), 'IPC_PRIVATE');
  assert.equal(cellKeyLabel('IPC_PRIVATE', 40), '');
});

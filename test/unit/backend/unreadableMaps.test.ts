/**
 * The attachers warning names the processes whose /proc/PID/maps could not be read (it said only "maps of 1
 * process(es)"). A procfs stand-in directory: tests run as root, so a mode cannot deny the read; a `maps`
 * that is a directory fails the read the same way (EISDIR instead of EACCES) and exercises the same path.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { namePids, scanAttachers } from '../../../extension/backend/mapsScan';

test('unreadable maps: the scan keeps the first pids with their command names; the text names them', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcx-proc-'));
  try {
    const proc = path.join(root, 'proc');
    for (const [pid, comm, readable] of [[812, 'sshd', false], [990, 'postgres', true], [1001, '', false]] as const) {
      const d = path.join(proc, String(pid));
      fs.mkdirSync(d, { recursive: true });
      if (comm) fs.writeFileSync(path.join(d, 'comm'), `${comm}\n`);
      if (readable) fs.writeFileSync(path.join(d, 'maps'), '');
      else fs.mkdirSync(path.join(d, 'maps'));
    }
    const scan = scanAttachers(new Set(), { proc, devShm: path.join(root, 'shm') }, 100, 'ipc:[1]');
    assert.equal(scan.unreadable, 2);
    assert.deepEqual(scan.unreadablePids.sort((a, b) => a.pid - b.pid), [{ pid: 812, comm: 'sshd' }, { pid: 1001 }]);
    assert.equal(namePids(scan.unreadablePids.sort((a, b) => a.pid - b.pid), scan.unreadable), 'pid 812 (sshd), pid 1001');
    assert.equal(namePids([{ pid: 1 }], 9), 'pid 1 and 8 more');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

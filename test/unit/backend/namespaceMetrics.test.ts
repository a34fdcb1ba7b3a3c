/**
 * Metrics of several IPC namespaces (backend/namespaceMetrics.ts): the scope labels of a namespace, and how
 * one namespace's failure shows next to the others'. The sources here are in-memory stand-ins serving fixed
 * snapshots (the kernel-backed run is test/metrics/prometheus.test.ts and test/cli/podman.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectNamespaceMetrics, mergeNamespaceMetrics, namespaceScope } from '../../../extension/backend/namespaceMetrics';
import type { IpcSource } from '../../../extension/backend/ipcSource';
import { IpcError } from '../../../extension/domain/errors';
import type { IpcNamespaceInfo } from '../../../extension/shared/namespaces';
import { semSet, snapshot } from '../recycle/fixtures';

function info(inode: number, over: Partial<IpcNamespaceInfo> = {}): IpcNamespaceInfo {
  return { ns: `ipc:[${inode}]`, inode, own: false, initial: false, pids: [100], mainPid: 100, nsPath: '/proc/100/ns/ipc', label: `ipc:[${inode}]`, enterable: true, ...over };
}

function source(read: () => Promise<ReturnType<typeof snapshot>>): IpcSource & { disposed: boolean } {
  return {
    host: 'fixture',
    localProcesses: true,
    disposed: false,
    snapshot: read,
    semDetail: async () => new Map(),
    remove: async () => undefined,
    dispose() {
      this.disposed = true;
    },
  };
}

test('namespaceScope: host, the namespace, and the container its cgroup names (pod included)', () => {
  assert.deepEqual(namespaceScope(info(5), 'm1'), { host: 'm1', namespace: 'ipc:[5]' });
  const docker = info(6, { container: { runtime: 'docker', id: 'a'.repeat(64), cgroupPath: '/docker/x' } });
  assert.deepEqual(namespaceScope(docker, 'm1'), { host: 'm1', namespace: 'ipc:[6]', container: 'docker aaaaaaaaaaaa' });
  const pod = info(7, { container: { runtime: 'containerd', id: 'b'.repeat(64), podUid: 'u-1', cgroupPath: '/k' }, pod: { namespace: 'default', name: 'web-0', uid: 'u-1' } });
  assert.equal(namespaceScope(pod, 'm1').container, 'pod default/web-0 · containerd bbbbbbbbbbbb');
});

test('one namespace that cannot be read: ipc_probe_success 0 under its labels, the others exported, no overall error', async () => {
  const ok = info(10);
  const gone = info(11);
  const srcs = new Map([
    [ok, source(async () => snapshot({ sems: [semSet(1, 0x10, undefined)], usage: { semSets: 1, semTotal: 3, shmSegments: 0, shmPages: 0, msgQueues: 0, msgMessages: 0, msgBytes: 0 } }))],
    [gone, source(async () => {
      throw new IpcError({ code: 'ENOENT', syscall: 'setns', message: 'ipc:[11]: the namespace is gone' });
    })],
  ]);
  const results = await collectNamespaceMetrics([ok, gone], (i) => srcs.get(i)!, { scope: { host: 'm1' } });
  for (const s of srcs.values()) assert.ok(s.disposed, 'every source is disposed after its collection');
  const merged = mergeNamespaceMetrics(results, ['2 processes unreadable']);
  assert.equal(merged.error, undefined);
  const probe = merged.families.find((f) => f.name === 'ipc_probe_success')!;
  assert.deepEqual(probe.samples.map((s) => [s.labels['namespace'], s.labels['host'], s.value]), [['ipc:[10]', 'm1', 1], ['ipc:[11]', 'm1', 0]]);
  const used = merged.families.find((f) => f.name === 'ipc_used')!;
  assert.equal(used.samples.find((s) => s.labels['resource'] === 'SEMMNS')?.labels['namespace'], 'ipc:[10]');
  assert.ok(used.samples.every((s) => s.labels['namespace'] === 'ipc:[10]'));
  assert.deepEqual(merged.notes.slice(0, 2), ['warning: 2 processes unreadable', 'ipc:[11] (ipc:[11]): ipc:[11]: the namespace is gone (ENOENT)']);
  // all failed: the overall error is the first one's
  const none = mergeNamespaceMetrics(results.filter((r) => r.info === gone));
  assert.equal(none.error?.code, 'ENOENT');
});

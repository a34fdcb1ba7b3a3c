/**
 * An SSH host's IPC namespaces as the tree and the dashboard get them (services/sshNamespaceHosts.ts: the
 * store hosts under the SSH host, the entries the host -> namespace level lists, the dashboard's
 * per-container items), against a real sshd on 127.0.0.1 (its own private IPC namespace) and namespaces made
 * by the test (`unshare --ipc --mount --pid --fork`, own kernel.sem, own tmpfs /dev/shm). The same
 * SnapshotStore and NamespaceHosts the extension uses; no VS Code (the real tree and dashboard are in the
 * integration suite).
 * - one refresh of the host is one round trip: every namespace's store snapshot is the one the host's probe
 *   took (same host clock reading), and equals the snapshot the native binding takes inside it;
 * - the entries: the login's own namespace first (the SSH host itself), the made ones with their store
 *   hosts; the per-container items carry each one's own SEMMNI and /dev/shm;
 * - a non-root login without sudo: the namespaces it sees are rows with the reason, no store host;
 * - a namespace whose processes exit before the next refresh is that namespace's error, and the one after
 *   drops it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { discoverNamespaces, findNamespace } from '../../extension/backend/namespaces';
import { NamespaceSource } from '../../extension/backend/namespaceSource';
import { DEFAULT_VERDICT_OPTIONS } from '../../extension/domain/verdict';
import { namespaceItem } from '../../extension/domain/namespaceSummary';
import { parseHostSpec } from '../../extension/remote/hostName';
import { SshSource } from '../../extension/remote/sshSource';
import { SnapshotStore, type HostState } from '../../extension/services/snapshotStore';
import { sshNamespaceHosts } from '../../extension/services/sshNamespaceHosts';
import type { NamespaceEntry, NamespaceHosts } from '../../extension/services/namespaceHosts';
import type { IpcSnapshot } from '../../extension/shared/model';
import { makeNamespace, type MadeNamespace } from '../helpers/containers';
import { needs } from '../helpers/capabilities';
import { startNamespacesHost, type SshdHarness } from './sshdHarness';

const sshd = needs('sshd');
let h: SshdHarness;
const made: MadeNamespace[] = [];
const disposers: Array<{ dispose(): void }> = [];
const MiB = 1024 * 1024;

before(async () => {
  if (!sshd.ready()) return;
  h = await startNamespacesHost(made);
});

after(async () => {
  for (const d of disposers.reverse()) d.dispose();
  for (const m of made) await m.end();
  await h?.stopAll();
});

/** The store, the SSH host in it and its namespace level, as sshHosts.ts sets them up. */
function setUp(alias: string): { store: SnapshotStore; nh: NamespaceHosts; source: SshSource; runs: () => number } {
  const d = parseHostSpec(alias);
  assert.ok(d.ok);
  const source = new SshSource(d.value, { configFile: h.configFile, connectTimeoutSec: 5, timeoutMs: 120_000, listNamespaces: true });
  // counts the scripts sent to the host (round trips)
  let n = 0;
  const runner = (source as unknown as { runner: { run: (...a: unknown[]) => unknown } }).runner;
  const run = runner.run.bind(runner);
  runner.run = (...a: unknown[]) => {
    n++;
    return run(...a);
  };
  const store = new SnapshotStore({ verdictOptions: () => DEFAULT_VERDICT_OPTIONS });
  const nh = sshNamespaceHosts(store, alias, source, { enabled: () => true });
  disposers.push(store.addSource(source), nh, store);
  return { store, nh, source, runs: () => n };
}

function essentials(s: IpcSnapshot) {
  return {
    ns: s.ipcNamespace,
    sems: s.sems.map((x) => [x.id, x.key, x.nsems, x.ctime]),
    msgs: s.msgs.map((x) => [x.id, x.key, x.qnum, x.lspid]),
    limits: { ...s.limits, unlimited: undefined, mqueue: undefined },
    posixShms: s.posixShms.map((x) => [x.name, x.size]),
    devShm: s.devShm && [s.devShm.path, s.devShm.size, s.devShm.used],
  };
}

test('one refresh of the SSH host lists its namespaces as store hosts under it, each read in that round trip', sshd, async () => {
  const { store, nh, runs } = setUp('rootlogin');
  await store.refresh('rootlogin');
  await nh.settled();
  assert.equal(runs(), 1, 'the host and every namespace: one script');
  const view = nh.current();
  assert.ok(view && view.entries.length >= 3, 'the login\'s own and the two made ones (at least)');
  const [own] = view.entries;
  assert.equal(own!.info.own, true);
  assert.equal(own!.host, 'rootlogin', 'the login\'s own namespace is the SSH host itself');
  assert.equal(own!.info.ns, store.get('rootlogin')!.snapshot!.ipcNamespace);
  const discovery = discoverNamespaces();
  for (const [m, want] of [[made[0]!, { semmni: 6, size: 8 * MiB }], [made[1]!, { semmni: 9, size: 4 * MiB }]] as const) {
    const e: NamespaceEntry | undefined = view.entries.find((x) => x.info.ns === m.ns);
    assert.ok(e?.host, `${m.ns} has a store host`);
    assert.equal(e.parent, 'rootlogin');
    assert.ok(nh.isNamespaceHost(e.host));
    const st: HostState = store.get(e.host)!;
    assert.ok(st.snapshot, st.error?.message);
    assert.equal(st.snapshot.takenAt, store.get('rootlogin')!.snapshot!.takenAt, 'taken by the host\'s probe');
    const found = findNamespace(discovery.namespaces, String(m.pid));
    assert.ok('ns' in found);
    assert.deepEqual(essentials(st.snapshot), essentials(await new NamespaceSource(found.ns).snapshot()));
    // the dashboard's per-container view: one item per namespace, each against its own limits and /dev/shm
    const item = namespaceItem(e.info, e.host, st);
    assert.equal(item.sem?.limit !== undefined, true);
    assert.equal(item.devShm?.limit, want.size);
    assert.equal(st.snapshot.limits.semmni, want.semmni);
  }
  // a Refresh of one namespace's row: that namespace alone, one more round trip inside it
  const b = view.entries.find((x) => x.info.ns === made[1]!.ns)!.host!;
  const before = runs();
  await store.refresh(b);
  assert.equal(store.get(b)!.snapshot?.msgs.length, 1, store.get(b)!.error?.message);
  assert.ok(runs() > before);
});

test('a login that cannot enter: the namespaces it sees are rows with the reason and no store host', sshd, async () => {
  const { store, nh } = setUp('nobody');
  await store.refresh('nobody');
  await nh.settled();
  const view = nh.current();
  assert.ok(view);
  assert.ok(view.warnings.some((w) => /uid 65534 \(not root\) and the host has no sudo/.test(w)), view.warnings.join('\n'));
  for (const e of view.entries.slice(1)) {
    assert.equal(e.host, undefined);
    assert.match(e.info.reason ?? '', /not root/);
    assert.equal(namespaceItem(e.info, null).reason, e.info.reason);
  }
});

test('a namespace whose processes exit before the next refresh is its own error row, and the next listing drops it', sshd, async () => {
  const victim = await makeNamespace({ sets: 1, nsems: 2 });
  made.push(victim);
  const { store, nh } = setUp('rootlogin');
  await store.refresh('rootlogin');
  await nh.settled();
  const host = nh.current()!.entries.find((e) => e.info.ns === victim.ns)?.host;
  assert.ok(host);
  await victim.end();
  // its own row's refresh: ENOENT for it, the others untouched
  await store.refresh(host);
  assert.equal(store.get(host)?.error?.code, 'ENOENT', store.get(host)?.error?.message);
  const other = nh.current()!.entries.find((e) => e.info.ns === made[1]!.ns)!.host!;
  assert.equal(store.get(other)?.error, undefined);
  await store.refresh('rootlogin');
  await nh.settled();
  assert.equal(nh.current()!.entries.some((e) => e.info.ns === victim.ns), false);
  assert.equal(store.get(host), undefined, 'its store host is gone');
});

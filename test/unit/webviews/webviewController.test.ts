/**
 * The host side of both webview panels (extension/webviews/webviewController.ts) with each panel's protocol
 * (DASHBOARD_PROTOCOL, FUTEX_PROTOCOL from the shared protocol files): nothing reaches the page before it says `ready`, held messages go
 * out in order with only the newest snapshot / open, a hidden panel (its page is torn down) holds again
 * until the reloaded page says `ready`, and what the page sends is validated and logged when refused.
 *
 * The panel is a stand-in for vscode.WebviewPanel (the `vscode` module exists only in the extension host);
 * it records posts and lets the test deliver page messages and visibility changes in a chosen order. The
 * real panels are exercised in VS Code by test/integration/suite/futex.test.js and dashboard.test.js.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DASHBOARD_PROTOCOL as DASHBOARD, fromWire, PROTOCOL_VERSION, SLIM_SET_REASONS_ABOVE, type HostToWebview, type WebviewToHost,
} from '../../../extension/shared/dashboardProtocol';
import { FUTEX_PROTOCOL as FUTEX, FUTEX_PROTOCOL_VERSION, type FutexHostToWebview } from '../../../extension/shared/futexProtocol';
import { WebviewController, type PanelPort } from '../../../extension/webviews/webviewController';

function fakePanel<Out>(): { panel: PanelPort<Out>; sent: Out[]; deliver(m: unknown): void; setVisible(v: boolean): void } {
  const sent: Out[] = [];
  let onMessage: ((e: unknown) => void) | undefined;
  let onView: (() => void) | undefined;
  const panel = {
    visible: true,
    webview: {
      postMessage: (m: Out) => {
        sent.push(m);
        return Promise.resolve(true);
      },
      onDidReceiveMessage: (l: (e: unknown) => void) => {
        onMessage = l;
        return { dispose: () => (onMessage = undefined) };
      },
    },
    onDidChangeViewState: (l: () => void) => {
      onView = l;
      return { dispose: () => (onView = undefined) };
    },
  };
  return {
    panel,
    sent,
    deliver: (m) => onMessage?.(m),
    setVisible: (v) => {
      panel.visible = v;
      onView?.();
    },
  };
}

const snap = (takenAt: number): HostToWebview =>
  ({ type: 'snapshot', host: 'local', takenAt, snapshot: {} as never, verdicts: [], capacity: [], diff: null });
const err: HostToWebview = { type: 'error', error: { code: 'EACCES', message: 'denied' } };

test('dashboard: holds posts until ready, keeps only the newest snapshot, ignores and logs invalid input', () => {
  const f = fakePanel<HostToWebview>();
  const warnings: string[] = [];
  const m = new WebviewController(f.panel, DASHBOARD, { warn: (s) => warnings.push(s) });
  const received: WebviewToHost[] = [];
  m.onMessage((x) => received.push(x));
  const readies: number[] = [];
  m.onReady((n) => readies.push(n));
  m.post(snap(1));
  m.post({ type: 'focus', ref: 'sem:1' });
  m.post(snap(2));
  m.post(err);
  assert.deepEqual(f.sent, [], 'nothing before ready');

  f.deliver({ type: 'inspect', ref: 'sem:1' });
  assert.deepEqual(received, [{ type: 'inspect', ref: 'sem:1' }], 'incoming requests are validated, not gated on ready');
  f.deliver({ type: 'requestRecycle', kind: 'sem', id: 1, key: 1, ctime: 1, force: true });
  f.deliver('rm -rf /');
  f.deliver({ type: 'ready', protocol: PROTOCOL_VERSION + 1 });
  assert.equal(m.rejected, 3);
  assert.equal(warnings.length, 3);
  assert.match(warnings[0]!, /^dashboard: ignored an invalid message/);
  assert.deepEqual(f.sent, [], 'a ready of another protocol version releases nothing');

  f.deliver({ type: 'ready', protocol: PROTOCOL_VERSION });
  assert.deepEqual(readies, [3], 'onReady after the flush, with how many went out');
  assert.deepEqual(f.sent, [{ type: 'focus', ref: 'sem:1' }, snap(2), err], 'held posts in order, only the newest snapshot');
  m.post({ type: 'focus', ref: 'sem:2' });
  assert.equal(f.sent.length, 4, 'posts go straight through after ready');
  assert.deepEqual(received, [{ type: 'inspect', ref: 'sem:1' }], 'ready is the controller\'s, not the handlers\'');
  m.dispose();
  f.deliver({ type: 'ready', protocol: PROTOCOL_VERSION });
  m.post(err);
  assert.equal(f.sent.length, 4, 'nothing after dispose');
});

test('dashboard: a hidden panel holds posts until its reloaded page says ready again', () => {
  const f = fakePanel<HostToWebview>();
  const m = new WebviewController(f.panel, DASHBOARD, { warn: () => undefined });
  f.deliver({ type: 'ready', protocol: PROTOCOL_VERSION });
  m.post(snap(1));
  assert.equal(f.sent.length, 1);
  f.setVisible(false);
  m.post(snap(2));
  m.post(snap(3));
  f.setVisible(true);
  assert.equal(f.sent.length, 1, 'shown again, but the page is still loading: held');
  f.deliver({ type: 'ready', protocol: PROTOCOL_VERSION });
  assert.deepEqual(f.sent, [snap(1), snap(3)], 'the reloaded page gets the newest snapshot');
});

test('futex: "open" on a hidden panel reaches the reloaded page; with nothing held the panel can send its own', () => {
  const f = fakePanel<FutexHostToWebview>();
  const m = new WebviewController(f.panel, FUTEX, { warn: () => undefined });
  // what FutexPanel does: a page that gets nothing on ready is told to open what it restored
  m.onReady((flushed) => {
    if (!flushed) m.post({ type: 'open' });
  });
  f.deliver({ type: 'ready', protocol: FUTEX_PROTOCOL_VERSION });
  assert.deepEqual(f.sent, [{ type: 'open' }]);
  f.setVisible(false); // another editor in the group: VS Code tears the page down
  m.post({ type: 'open', scenarioId: 'seed' });
  m.post({ type: 'open', scenarioId: 'b1' });
  assert.equal(f.sent.length, 1, 'not posted to a page that is gone');
  f.deliver({ type: 'ready', protocol: FUTEX_PROTOCOL_VERSION });
  assert.deepEqual(f.sent, [{ type: 'open' }, { type: 'open', scenarioId: 'b1' }], 'the newest open, and no bare open after it');
  f.deliver({ type: 'refreshLive', extra: 1 });
  assert.equal(m.rejected, 1);
});

test('a long hostile payload is logged truncated; a valid request reaches the listener', () => {
  const f = fakePanel<HostToWebview>();
  const warnings: string[] = [];
  const m = new WebviewController(f.panel, DASHBOARD, { warn: (s) => warnings.push(s) });
  const received: WebviewToHost[] = [];
  m.onMessage((x) => received.push(x));
  f.deliver({ type: 'requestDetail', kind: 'sem', id: 7 });
  assert.deepEqual(received, [{ type: 'requestDetail', kind: 'sem', id: 7 }]);
  f.deliver({ type: 'setFilter', text: 'y'.repeat(100_000) });
  assert.equal(received.length, 1);
  assert.ok(warnings[0]!.length < 300);
});

test('dashboard: the protocol\'s wire form is what crosses (a big snapshot as columns the page turns back)', () => {
  const f = fakePanel<HostToWebview>();
  const m = new WebviewController(f.panel, DASHBOARD, { warn: () => undefined });
  f.deliver({ type: 'ready', protocol: PROTOCOL_VERSION });
  const set = (id: number) => ({ kind: 'sem' as const, id, key: id, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, nsems: 1, otime: 0, ctime: 1 });
  const big: HostToWebview = {
    type: 'snapshot', host: 'local', takenAt: 1, verdicts: [], capacity: [], diff: null,
    snapshot: { sems: Array.from({ length: SLIM_SET_REASONS_ABOVE + 1 }, (_, i) => set(i)) } as never,
  };
  m.post(big);
  m.post(err);
  assert.equal(f.sent[0]!.type, 'snapshotColumns');
  assert.deepEqual(fromWire(f.sent[0]!), big);
  assert.deepEqual(f.sent[1], err);
  assert.deepEqual(fromWire(err), err);
  assert.equal(fromWire({ ...(f.sent[0] as object), sems: { n: 1 } } as never), null);
});

/** The rows under a host, or under one IPC namespace of this machine: error, warnings, kinds, limits. */
import type { IpcKind } from '../../shared/model';
import type { HostState } from '../../services/snapshotStore';
import { KindNode } from './kindNode';
import { LimitsNode } from './limitsNode';
import { MessageNode } from './messageNode';
import type { TreeNode, ViewContext } from './node';

export const KINDS: IpcKind[] = ['sem', 'shm', 'msg', 'posixSem', 'posixShm'];

/** What a host (or one IPC namespace of this machine) lists: its error, its warnings, one node per kind, the limits. */
export function hostContents(id: string, host: string, st: HostState, ctx: ViewContext): TreeNode[] {
  const kids: TreeNode[] = [];
  if (st.error) {
    kids.push(MessageNode.fromError(`${id}|error`, host, st.snapshot ? 'refresh failed (showing the previous snapshot)' : 'refresh failed', st.error));
  }
  const snap = st.snapshot;
  if (!snap) {
    if (!st.error) kids.push(new MessageNode(`${id}|loading`, host, 'loading', 'Reading IPC objects…'));
  } else {
    snap.warnings.forEach((w, i) => {
      if (!ctx.dismissed?.has(w)) kids.push(new MessageNode(`${id}|warn${i}`, host, 'warning', w));
    });
    for (const k of KINDS) kids.push(new KindNode(host, k, snap));
    kids.push(new LimitsNode(host, snap));
  }
  return kids;
}

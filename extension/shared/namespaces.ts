/**
 * IPC namespaces as the host sees them (discovery), and one snapshot per namespace. Shared by the CLI, the
 * tree and the dashboard; plain data (JSON-safe).
 */
import type { IpcErrorInfo, IpcSnapshot } from './model';

export type ContainerRuntime =
  | 'docker'
  | 'containerd'
  | 'cri-o'
  | 'kubernetes'
  | 'podman'
  | 'systemd-nspawn'
  | 'libvirt'
  | 'lxc';

export interface ContainerIdentity {
  runtime: ContainerRuntime;
  /** the runtime's container id (hex), where the path carries one */
  id?: string;
  /** a machine or LXC container name, where the path carries one */
  name?: string;
  /** Kubernetes pod UID (with dashes) */
  podUid?: string;
  /** Kubernetes QoS class from the path (besteffort, burstable, guaranteed) */
  qos?: string;
  /** the cgroup path the identity was read from */
  cgroupPath: string;
}

export interface PodName {
  namespace: string;
  name: string;
  uid: string;
}

export interface IpcNamespaceInfo {
  /** `ipc:[inode]` */
  ns: string;
  inode: number;
  /** the namespace of the reader (ipcx, the extension host) */
  own: boolean;
  /** the kernel's initial IPC namespace (the machine's own when the reader runs on the host) */
  initial: boolean;
  /** processes (thread-group ids) in it, ascending */
  pids: number[];
  /** threads in it whose process is in another namespace (`/proc/PID/task/TID/ns/ipc`), as `PID/TID` */
  threads?: string[];
  /** the member whose parent is outside the namespace (its init), else the lowest pid */
  mainPid: number;
  /** the path that opens it (`/proc/PID/ns/ipc` or `/proc/PID/task/TID/ns/ipc`) */
  nsPath: string;
  /** the main process's command name and command line */
  comm?: string;
  cmdline?: string;
  /** the UTS hostname of the main process (read natively; absent when it could not be entered) */
  hostname?: string;
  container?: ContainerIdentity;
  pod?: PodName;
  /** one line for a person: `host`, `docker 2403ccfe427f · postgres`, `pod default/web-0 · containerd …` */
  label: string;
  /** false: listed, but its objects cannot be read by this reader; `reason` says why */
  enterable: boolean;
  reason?: string;
}

/** One namespace's snapshot (or why there is none), as `ipcx snapshot --all-namespaces --json` prints it. */
export interface NamespaceSnapshot {
  namespace: IpcNamespaceInfo;
  snapshot?: IpcSnapshot;
  error?: IpcErrorInfo;
}

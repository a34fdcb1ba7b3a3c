/**
 * Which container an IPC namespace belongs to, from the text of a member process's /proc/PID/cgroup, and a
 * name for a person. Pure: text in, facts out (the backend reads the files).
 *
 * What the runtimes write into the cgroup path (host view; a process inside a cgroup namespace sees `/`):
 *
 * | runtime | path component (innermost wins) |
 * |---|---|
 * | Docker, systemd driver | `docker-<64 hex>.scope` (under `system.slice`, or a Kubernetes pod slice) |
 * | Docker, cgroupfs driver | `/docker/<64 hex>` |
 * | containerd (CRI) | `cri-containerd-<hex>.scope` under `kubepods[-QOS]-pod<UID>.slice` |
 * | CRI-O | `crio-<hex>.scope` (`crio-conmon-<hex>.scope` is its monitor, not the container) |
 * | Kubernetes, cgroupfs driver | `/kubepods/<qos>/pod<UID>/<64 hex>` (the runtime is not named) |
 * | Podman | `libpod-<64 hex>.scope` (`libpod-conmon-…` is the monitor), cgroupfs: `/libpod_parent/libpod-<id>` |
 * | systemd-nspawn (machined) | `machine-<name>.scope`, the name systemd-escaped (`\x2d` = `-`); libvirt registers `machine-qemu\x2dN\x2dNAME.scope` |
 * | LXC | `lxc.payload.<name>` (LXC 4+ and cgroup v2), `/lxc.payload/<name>` (3.x), `/lxc/<name>` (older) |
 *
 * A Kubernetes pod UID appears with `_` for `-` in systemd slices (`kubepods-besteffort-pod1e597579_417e_….slice`)
 * and as is in cgroupfs paths (`pod9a18ffb8-8513-…`). The pod's namespace and name are in the kubelet's log
 * directory name `/var/log/pods/<namespace>_<name>_<uid>` (neither may contain `_`).
 */

import type { ContainerIdentity, ContainerRuntime, PodName } from '../shared/namespaces';

export type { ContainerIdentity, ContainerRuntime, PodName };

const HEX64 = /^[0-9a-f]{64}$/;
const UID_RE = /^([0-9a-f]{8})[-_]([0-9a-f]{4})[-_]([0-9a-f]{4})[-_]([0-9a-f]{4})[-_]([0-9a-f]{12})$/;

/** `\xNN` escapes of systemd unit names decoded (`machine-foo\x2dbar.scope` -> `foo-bar`). */
export function systemdUnescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A pod UID as the API shows it (dashes), from a slice's `_` form or a 32-hex static-pod hash (kept). */
function normaliseUid(raw: string): string | undefined {
  const m = UID_RE.exec(raw);
  if (m) return `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`;
  if (/^[0-9a-f]{32}$/.test(raw)) return raw;
  return undefined;
}

/** The pod UID and QoS class of a path's components, if any. */
function podOf(parts: string[]): { podUid?: string; qos?: string } {
  const out: { podUid?: string; qos?: string } = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    // systemd driver: kubepods-pod<uid>.slice, kubepods-burstable-pod<uid>.slice, kubelet-kubepods-…
    const s = /(?:^|-)kubepods(?:-(besteffort|burstable|guaranteed))?-pod([0-9a-f_-]+)\.slice$/.exec(p);
    if (s) {
      const uid = normaliseUid(s[2]!);
      if (uid) out.podUid = uid;
      if (s[1]) out.qos = s[1];
      continue;
    }
    // cgroupfs driver: /kubepods/<qos>/pod<uid>/ or /kubepods/pod<uid>/
    const c = /^pod([0-9a-f-]+)$/.exec(p);
    if (c && parts.slice(0, i).includes('kubepods')) {
      const uid = normaliseUid(c[1]!);
      if (uid) out.podUid = uid;
      const prev = parts[i - 1];
      if (prev === 'besteffort' || prev === 'burstable') out.qos = prev;
    }
  }
  return out;
}

/** The container named by one cgroup path (innermost component that names one), or undefined. */
export function identifyCgroupPath(cgroupPath: string): ContainerIdentity | undefined {
  const parts = cgroupPath.split('/').filter((p) => p.length > 0);
  const pod = podOf(parts);
  const withPod = (c: ContainerIdentity): ContainerIdentity => {
    if (pod.podUid) c.podUid = pod.podUid;
    if (pod.qos) c.qos = pod.qos;
    return c;
  };
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    let m: RegExpExecArray | null;
    if ((m = /^docker-([0-9a-f]{64})\.scope$/.exec(p))) return withPod({ runtime: 'docker', id: m[1]!, cgroupPath });
    if ((m = /^cri-containerd-([0-9a-f]{12,64})\.scope$/.exec(p))) return withPod({ runtime: 'containerd', id: m[1]!, cgroupPath });
    if (/^crio-conmon-/.test(p) || /^libpod-conmon-/.test(p)) return undefined; // a runtime's monitor process
    if ((m = /^crio-([0-9a-f]{12,64})\.scope$/.exec(p))) return withPod({ runtime: 'cri-o', id: m[1]!, cgroupPath });
    if ((m = /^libpod-([0-9a-f]{64})(?:\.scope)?$/.exec(p))) return { runtime: 'podman', id: m[1]!, cgroupPath };
    if ((m = /^machine-(.+)\.scope$/.exec(p))) {
      const name = systemdUnescape(m[1]!);
      const vm = /^qemu-\d+-(.+)$/.exec(name);
      return vm ? { runtime: 'libvirt', name: vm[1]!, cgroupPath } : { runtime: 'systemd-nspawn', name, cgroupPath };
    }
    if ((m = /^lxc\.payload\.(.+)$/.exec(p))) return { runtime: 'lxc', name: m[1]!, cgroupPath };
    if ((parts[i - 1] === 'lxc.payload' || parts[i - 1] === 'lxc') && i === 1) return { runtime: 'lxc', name: p, cgroupPath };
    if (HEX64.test(p)) {
      const parent = parts[i - 1];
      if (parent === 'docker') return withPod({ runtime: 'docker', id: p, cgroupPath });
      if (pod.podUid && parts.includes('kubepods')) return withPod({ runtime: 'kubernetes', id: p, cgroupPath });
    }
  }
  if (pod.podUid) return withPod({ runtime: 'kubernetes', cgroupPath });
  return undefined;
}

/**
 * The container of a process from its /proc/PID/cgroup text (cgroup v1 lines `N:controllers:/path`, the v2
 * line `0::/path`, or both). The v2 line is tried first, then the v1 `name=systemd` line, then every other
 * line in order; the first path that names a container wins. Undefined: no container (or the reader is in
 * a cgroup namespace that hides the path).
 */
export function parseProcCgroup(text: string): ContainerIdentity | undefined {
  const v2: string[] = [];
  const named: string[] = [];
  const v1: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const p = line.slice(b + 1);
    if (!p.startsWith('/')) continue;
    if (line.slice(0, a) === '0' && controllers === '') v2.push(p);
    else if (controllers === 'name=systemd') named.push(p);
    else v1.push(p);
  }
  for (const p of [...v2, ...named, ...v1]) {
    const id = identifyCgroupPath(p);
    if (id) return id;
  }
  return undefined;
}

/** The pod behind a UID, from the entries of /var/log/pods (`<namespace>_<name>_<uid>`). */
export function podFromLogDirs(entries: readonly string[], uid: string): PodName | undefined {
  for (const e of entries) {
    const parts = e.split('_');
    if (parts.length !== 3) continue;
    const [namespace, name, u] = parts as [string, string, string];
    if (u === uid && namespace && name) return { namespace, name, uid };
  }
  return undefined;
}

/** A short container id as the runtimes' CLIs print it (12 hex digits). */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id;
}

/** `docker 2403ccfe427f`, `pod default/web-0 · containerd 8f1c…`, `machine fedora`, `lxc waydroid`. */
export function describeContainer(c: ContainerIdentity, pod?: PodName): string {
  const who = c.name ?? (c.id ? shortId(c.id) : undefined);
  const runtime = c.runtime === 'systemd-nspawn' ? 'machine' : c.runtime;
  if (pod) return `pod ${pod.namespace}/${pod.name}${c.runtime !== 'kubernetes' ? ` · ${runtime}` : ''}${who ? ` ${who}` : ''}`;
  if (c.podUid) return `pod ${c.podUid}${c.runtime !== 'kubernetes' ? ` · ${runtime}` : ''}${who ? ` ${who}` : ''}`;
  return who ? `${runtime} ${who}` : runtime;
}

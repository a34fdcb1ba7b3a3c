import { COMMON_OPTIONS, EXIT, UsageError, parseCommandArgs, type Subcommand } from '../cliSupport';
import { discover } from '../namespaceArgs';
import { renderTable } from '../table';
import { jsonText } from './snapshot';

const command: Subcommand = {
  name: 'namespaces',
  summary: 'every IPC namespace of this machine: container, main process, hostname, whether it can be entered',
  usage: `usage: ipcx namespaces [--json]

Lists every IPC namespace of this machine (from /proc/*/ns/ipc and /proc/*/task/*/ns/ipc), the machine's own
first: its member pids, its main process (the member whose parent is outside it), the container it belongs
to (from /proc/PID/cgroup: Docker, containerd/CRI, CRI-O, Kubernetes pods, Podman, systemd-nspawn, libvirt,
LXC; pod names from /var/log/pods), its UTS hostname, and whether this reader can enter it (CAP_SYS_ADMIN).
Read one with \`ipcx snapshot --namespace NS\`, all with \`ipcx snapshot --all-namespaces\`.
  --json   [{ns, inode, own, initial, pids, threads?, mainPid, nsPath, comm?, cmdline?, hostname?,
             container?: {runtime, id?, name?, podUid?, qos?, cgroupPath}, pod?: {namespace, name, uid},
             label, enterable, reason?}]
Exit status: 0 ok, 1 nothing could be read, 2 usage.`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, COMMON_OPTIONS, false);
    if (values.host?.length) throw new UsageError('namespaces lists this machine only (not with --host)');
    const d = discover();
    if (values.json) io.out(jsonText(d.namespaces, io.isTTY));
    else {
      io.out(
        renderTable(
          [{ header: 'NS' }, { header: 'PIDS', right: true }, { header: 'MAIN', right: true }, { header: 'NAME' }, { header: 'HOSTNAME' }, { header: 'ENTER' }],
          d.namespaces.map((n) => [
            n.ns,
            String(n.pids.length) + (n.threads?.length ? `+${n.threads.length}t` : ''),
            String(n.mainPid),
            n.label,
            n.hostname ?? '-',
            n.own ? 'own' : n.enterable ? 'yes' : `no: ${n.reason ?? ''}`,
          ]),
        ),
      );
    }
    for (const w of d.warnings) io.err(`warning: ${w}\n`);
    return d.namespaces.length ? EXIT.OK : EXIT.ERROR;
  },
};

export default command;

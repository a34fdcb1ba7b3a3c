/**
 * One descriptor per kernel IPC limit, modelled on util-linux lsipc's `coldescs[]`: the name lsipc prints,
 * a readable label, help text, the unit, and how to raise it on Linux, FreeBSD and macOS. Pure data.
 */
import type { IpcLimits } from './model';

export type LimitName =
  | 'SEMMNI' | 'SEMMNS' | 'SEMMSL' | 'SEMOPM' | 'SEMVMX'
  | 'SHMMNI' | 'SHMALL' | 'SHMMAX' | 'SHMMIN'
  | 'MSGMNI' | 'MSGMNB' | 'MSGMAX'
  | 'MQ_QUEUES_MAX';

export type LimitUnit = 'count' | 'bytes' | 'pages' | 'value';

export interface LimitDescriptor {
  name: LimitName;
  /** the IpcLimits field holding the limit */
  field: keyof Pick<IpcLimits, 'semmni' | 'semmns' | 'semmsl' | 'semopm' | 'semvmx' | 'shmmni' | 'shmall' | 'shmmax' | 'shmmin' | 'msgmni' | 'msgmnb' | 'msgmax'> | 'mqueue.queuesMax';
  kind: 'sem' | 'shm' | 'msg' | 'mqueue';
  /** lsipc's description */
  label: string;
  /** what it limits and what hitting it looks like */
  help: string;
  unit: LimitUnit;
  /** how to raise it (runtime sysctl unless noted) */
  raise: { linux: string; freebsd?: string; darwin?: string };
}

export const LIMIT_DESCRIPTORS: readonly LimitDescriptor[] = [
  {
    name: 'SEMMNI', field: 'semmni', kind: 'sem', unit: 'count',
    label: 'Number of semaphore identifiers',
    help: 'Maximum number of semaphore sets system-wide (per IPC namespace on Linux). semget() fails with ENOSPC when it would be exceeded.',
    raise: {
      linux: 'sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI" (4th field)',
      freebsd: 'kern.ipc.semmni (loader tunable: /boot/loader.conf, reboot)',
      darwin: 'sysctl -w kern.sysv.semmni=N',
    },
  },
  {
    name: 'SEMMNS', field: 'semmns', kind: 'sem', unit: 'count',
    label: 'Total number of semaphores',
    help: 'Maximum number of semaphores in all sets together. semget() fails with ENOSPC when a new set would exceed it (PostgreSQL: "could not create semaphores: No space left on device").',
    raise: {
      linux: 'sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI" (2nd field)',
      freebsd: 'kern.ipc.semmns (loader tunable: /boot/loader.conf, reboot)',
      darwin: 'sysctl -w kern.sysv.semmns=N',
    },
  },
  {
    name: 'SEMMSL', field: 'semmsl', kind: 'sem', unit: 'count',
    label: 'Max semaphores per semaphore set',
    help: 'Maximum number of semaphores in one set; semget() with a larger nsems fails with EINVAL. Used: the largest set.',
    raise: {
      linux: 'sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI" (1st field)',
      freebsd: 'kern.ipc.semmsl (loader tunable: /boot/loader.conf, reboot)',
      darwin: 'sysctl -w kern.sysv.semmsl=N',
    },
  },
  {
    name: 'SEMOPM', field: 'semopm', kind: 'sem', unit: 'count',
    label: 'Max number of operations per semop(2)',
    help: 'Maximum number of operations in one semop() call (E2BIG beyond it). No usage to compare.',
    raise: {
      linux: 'sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI" (3rd field)',
      freebsd: 'kern.ipc.semopm (loader tunable: /boot/loader.conf, reboot)',
    },
  },
  {
    name: 'SEMVMX', field: 'semvmx', kind: 'sem', unit: 'value',
    label: 'Semaphore max value',
    help: 'Largest value a semaphore can hold (ERANGE beyond it). Fixed at 32767 on Linux. Used: the largest value seen.',
    raise: { linux: 'fixed in the kernel (SEMVMX 32767)', freebsd: 'kern.ipc.semvmx (loader tunable)' },
  },
  {
    name: 'SHMMNI', field: 'shmmni', kind: 'shm', unit: 'count',
    label: 'Shared memory segments',
    help: 'Maximum number of shared memory segments system-wide; shmget() fails with ENOSPC beyond it.',
    raise: {
      linux: 'sysctl -w kernel.shmmni=N',
      freebsd: 'sysctl kern.ipc.shmmni=N (loader tunable on older releases)',
      darwin: 'sysctl -w kern.sysv.shmmni=N (boot time: /etc/sysctl.conf)',
    },
  },
  {
    name: 'SHMALL', field: 'shmall', kind: 'shm', unit: 'pages',
    label: 'Shared memory pages',
    help: 'Maximum total shared memory, in pages, of all segments together; shmget() fails with ENOSPC beyond it.',
    raise: {
      linux: 'sysctl -w kernel.shmall=PAGES',
      freebsd: 'sysctl kern.ipc.shmall=PAGES',
      darwin: 'sysctl -w kern.sysv.shmall=PAGES (boot time: /etc/sysctl.conf)',
    },
  },
  {
    name: 'SHMMAX', field: 'shmmax', kind: 'shm', unit: 'bytes',
    label: 'Max size of shared memory segment (bytes)',
    help: 'Largest size of one segment; shmget() with a larger size fails with EINVAL. Used: the largest segment.',
    raise: {
      linux: 'sysctl -w kernel.shmmax=BYTES',
      freebsd: 'sysctl kern.ipc.shmmax=BYTES',
      darwin: 'sysctl -w kern.sysv.shmmax=BYTES (boot time: /etc/sysctl.conf)',
    },
  },
  {
    name: 'SHMMIN', field: 'shmmin', kind: 'shm', unit: 'bytes',
    label: 'Min size of shared memory segment (bytes)',
    help: 'Smallest size of one segment (1 on Linux). No usage to compare.',
    raise: { linux: 'fixed in the kernel (SHMMIN 1)', freebsd: 'sysctl kern.ipc.shmmin=BYTES', darwin: 'sysctl -w kern.sysv.shmmin=BYTES' },
  },
  {
    name: 'MSGMNI', field: 'msgmni', kind: 'msg', unit: 'count',
    label: 'Number of message queues',
    help: 'Maximum number of message queues system-wide; msgget() fails with ENOSPC beyond it.',
    raise: { linux: 'sysctl -w kernel.msgmni=N', freebsd: 'kern.ipc.msgmni (loader tunable: /boot/loader.conf, reboot)' },
  },
  {
    name: 'MSGMNB', field: 'msgmnb', kind: 'msg', unit: 'bytes',
    label: 'Default max size of queue (bytes)',
    help: 'Default maximum number of bytes in one queue (its msg_qbytes at creation); msgsnd() blocks or fails with EAGAIN when full. Used: the fullest queue.',
    raise: { linux: 'sysctl -w kernel.msgmnb=BYTES', freebsd: 'kern.ipc.msgmnb (loader tunable: /boot/loader.conf, reboot)' },
  },
  {
    name: 'MSGMAX', field: 'msgmax', kind: 'msg', unit: 'bytes',
    label: 'Max size of message (bytes)',
    help: 'Largest single message; msgsnd() with a larger one fails with EINVAL. No per-message sizes are visible, so no usage.',
    raise: { linux: 'sysctl -w kernel.msgmax=BYTES', freebsd: 'kern.ipc.msgmax (loader tunable: /boot/loader.conf, reboot)' },
  },
  {
    name: 'MQ_QUEUES_MAX', field: 'mqueue.queuesMax', kind: 'mqueue', unit: 'count',
    label: 'POSIX message queues',
    help: 'Maximum number of POSIX message queues (mq_open fails with ENOSPC beyond it; root is exempt). Usage is not counted here.',
    raise: { linux: 'sysctl -w fs.mqueue.queues_max=N' },
  },
];

export function limitDescriptor(name: LimitName): LimitDescriptor {
  const d = LIMIT_DESCRIPTORS.find((x) => x.name === name);
  if (!d) throw new Error(`unknown limit ${name}`);
  return d;
}

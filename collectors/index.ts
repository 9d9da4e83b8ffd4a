import type { Collector } from '../src/core/collector.js';
import { cpuCollector } from './procfs/cpu/collector.js';
import { hostCollector } from './procfs/host/collector.js';
import { diskCollector } from './procfs/disk/collector.js';
import { filesystemCollector } from './procfs/filesystems/collector.js';
import { memoryCollector } from './procfs/memory/collector.js';
import { netdevCollector } from './procfs/netdev/collector.js';
import { netstackCollector } from './procfs/netstack/collector.js';
import { processesCollector } from './procfs/processes/collector.js';
import { tasksCollector } from './procfs/tasks/collector.js';
import { threadsCollector } from './procfs/threads/collector.js';
import { cgroupCollector } from './cgroup/collector.js';
import { namespacesCollector } from './namespaces/collector.js';
import { kernelLogCollector } from './commands/kernel-log/collector.js';
import { socketsCollector } from './commands/sockets/collector.js';
import { qdiscsCollector } from './commands/qdiscs/collector.js';
import { firewallCollector } from './commands/firewall/collector.js';
import { nicCollector } from './commands/nic/collector.js';
import { conntrackCollector } from './commands/conntrack/collector.js';
import { changesCollector } from './commands/changes/collector.js';
import { configCollector } from './commands/config/collector.js';
import { irqsCollector } from './procfs/irqs/collector.js';
import { bpfnetCollector } from './commands/bpfnet/collector.js';
import { whereamiCollector } from './procfs/whereami/collector.js';
import { PROBE_COLLECTORS as BPF_PROBE_COLLECTORS } from './bpf/collectors.js';

/**
 * The registry: every collector, in the order `diag collectors` lists them. Explicit on purpose
 * (no import side effects): adding a collector is one line here.
 */
export const COLLECTORS: readonly Collector[] = [
  hostCollector,
  cpuCollector,
  memoryCollector,
  diskCollector,
  filesystemCollector,
  netdevCollector,
  netstackCollector,
  tasksCollector,
  processesCollector,
  threadsCollector,
  cgroupCollector,
  namespacesCollector,
  kernelLogCollector,
  socketsCollector,
  qdiscsCollector,
  firewallCollector,
  nicCollector,
  conntrackCollector,
  changesCollector,
  whereamiCollector,
  configCollector,
  irqsCollector,
  bpfnetCollector,
];

/**
 * BPF probes that produce tables (collectors/bpf/collectors.ts). Not sampled with the others: a
 * probe runs for seconds, when a drill-down or a playbook check asks for its tables. Their tables
 * are in the metric catalogue beside the collectors'.
 */
export const PROBE_COLLECTORS: readonly Collector[] = BPF_PROBE_COLLECTORS;

export function findCollector(id: string): Collector | undefined {
  return COLLECTORS.find((c) => c.id === id);
}

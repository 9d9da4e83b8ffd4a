import type { Collector, TableOutcomes, TableSpec } from '../../../src/core/collector.js';
import { inNetns } from '../../../src/core/entity.js';
import { gauge } from '../../../src/core/fields.js';
import type { Outcome } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { netnsDisplay } from '../../namespaces/naming.js';
import { scanNamespaces } from '../../namespaces/scan.js';
import { listenTables, SS_LISTEN_ARGS, type ListenNs } from './listen.js';
import { ringRows } from './rings.js';
import { databaseRows, hostLimits, memorySettings, netnsConntrack } from './settings.js';

/**
 * Known-risky settings, each read where it binds and joined with what it limits, so a check can
 * name the exact culprit: a listening socket whose backlog net.core.somaxconn cut (per network
 * namespace), limits against their use (file-max, pid_max, threads-max, nf_conntrack_max per
 * namespace), swappiness, overcommit and transparent hugepages against the databases running,
 * NIC ring sizes against their maxima on interfaces that overran. Judged by playbooks/config.yaml.
 */

const listenFields = {
  backlog: gauge('accept queue limit the socket got: min(listen() backlog, somaxconn) (ss Send-Q)'),
  queued: gauge('connections waiting for accept() now (ss Recv-Q)'),
  somaxconn: gauge("net.core.somaxconn of the socket's network namespace"),
  capped: gauge('1 when the backlog is the somaxconn cap and somaxconn is below the kernel default 4096', 'boolean'),
  queue_pct: gauge('accept queue against its limit (above 100: full, new connections dropped)', 'percent'),
};

const limitFields = {
  limit: gauge('the limit'),
  used: gauge('its use now'),
  usage_pct: gauge('use against the limit', 'percent'),
};

function display(e: { inode: string; names: readonly string[]; cgroups: Iterable<string>; pids: readonly number[] }, src: Source): string {
  const pid = e.pids[0];
  const comm = pid === undefined ? undefined : src.readFile(`/proc/${pid}/comm`);
  return netnsDisplay({ inode: e.inode, names: e.names, cgroups: e.cgroups, ...(pid !== undefined ? { pid, ...(comm?.status === 'ok' ? { comm: comm.value.replace(/\n$/, '') } : {}) } : {}) });
}

/** diag's own network namespace and every other one a process holds. */
function namespaces(src: Source): Outcome<ListenNs[]> {
  const scan = scanNamespaces(src);
  if (scan.status !== 'ok') return scan;
  const out: ListenNs[] = [];
  for (const e of scan.value.entries.values()) {
    if (e.type !== 'net' || e.pids.length === 0) continue;
    out.push({ inode: e.inode, self: e.self, pid: e.pids[0]!, members: e.pids, display: e.self ? "diag's own namespace" : display(e, src) });
  }
  return { status: 'ok', value: out.sort((a, b) => a.pid - b.pid) };
}

const TABLES: Record<string, TableSpec> = {
  listen_backlog: { title: "Listening TCP sockets of diag's namespace: backlog against net.core.somaxconn, accept queue", scope: 'socket', fields: listenFields },
  netns_listen_backlog: { title: 'Listening TCP sockets of other network namespaces: backlog against their own net.core.somaxconn', scope: inNetns('socket'), fields: listenFields },
  config_limits: { title: 'Kernel limits against their use (file-max, pid_max, threads-max, nf_conntrack_max)', scope: 'setting', fields: limitFields },
  netns_config_limits: { title: 'nf_conntrack_max against the tracked connections of each other network namespace', scope: inNetns('setting'), fields: limitFields },
  config_memory: {
    title: 'Memory settings: swappiness, overcommit (commit use in strict mode), transparent hugepages',
    scope: 'host',
    fields: {
      swappiness: gauge('vm.swappiness'),
      overcommit_memory: gauge('vm.overcommit_memory (0 heuristic, 1 always, 2 strict)'),
      swap_total_kb: gauge('swap configured', 'kB'),
      commit_limit_kb: gauge('CommitLimit', 'kB'),
      committed_kb: gauge('Committed_AS', 'kB'),
      commit_pct: gauge('Committed_AS against CommitLimit, in strict overcommit mode only', 'percent'),
      thp_always: gauge('1 when transparent hugepages are "always"', 'boolean'),
    },
  },
  config_databases: {
    title: 'Databases running against the settings their vendors document (THP, overcommit, swappiness)',
    scope: 'process',
    fields: {
      thp_risk: gauge('1: transparent hugepages "always" apply to it and its vendor documents disabling them', 'boolean'),
      overcommit_risk: gauge('1: vm.overcommit_memory is not 1, which its vendor documents', 'boolean'),
      overcommit_memory: gauge('vm.overcommit_memory'),
      swappiness_risk: gauge('1: swap is configured and vm.swappiness is above 10 where its vendor documents 1', 'boolean'),
      swappiness: gauge('vm.swappiness'),
      swap_kb: gauge('its memory swapped out (VmSwap)', 'kB'),
    },
  },
  nic_rings: {
    title: 'NIC ring sizes against their maxima (ethtool -g), with receive overruns and transmit drops since the interface came up',
    scope: 'interface',
    fields: {
      rx: gauge('RX ring size'),
      rx_max: gauge('RX ring maximum'),
      tx: gauge('TX ring size'),
      tx_max: gauge('TX ring maximum'),
      rx_headroom: gauge('RX ring entries the NIC could still have (max - size)'),
      rx_overruns: gauge('receive overruns since the interface came up: rx_fifo + rx_missed + rx_over errors'),
      rx_dropped: gauge('receive drops since the interface came up'),
      tx_headroom: gauge('TX ring entries the NIC could still have (max - size), where the driver reports a TX maximum'),
      tx_dropped: gauge('transmit drops since the interface came up (statistics/tx_dropped: dropped on the way to transmission, e.g. for lack of resources)'),
    },
  },
};

export const configCollector: Collector = {
  id: 'config',
  title: 'Known-risky settings: somaxconn against listening sockets, limits against use, memory settings against databases, NIC rings',
  origin: 'commands',
  resources: ['network', 'memory', 'tasks', 'fds'],
  inputs: [
    `ss ${SS_LISTEN_ARGS.join(' ')} (in each network namespace with listening sockets)`,
    '/proc/sys/net/core/somaxconn (inside each: cat)',
    '/proc/PID/net/tcp{,6}',
    '/proc/sys/fs/file-nr',
    '/proc/loadavg',
    '/proc/sys/kernel/{pid_max,threads-max}',
    '/proc/sys/net/netfilter/nf_conntrack_{count,max}',
    '/proc/PID/net/stat/nf_conntrack',
    '/proc/sys/vm/{swappiness,overcommit_memory}',
    '/proc/meminfo',
    '/sys/kernel/mm/transparent_hugepage/enabled',
    '/proc/PID/{comm,status}',
    'ethtool -g IFACE',
    '/sys/class/net/IFACE/statistics/rx_*',
  ],
  tables: TABLES,
  async collect(src: Source): Promise<TableOutcomes> {
    const ns = namespaces(src);
    const mem = memorySettings(src);
    if (ns.status !== 'ok') {
      const rings = await ringRows(src);
      return { listen_backlog: ns, netns_listen_backlog: ns, config_limits: hostLimits(src), netns_config_limits: ns, config_memory: mem.row, config_databases: databaseRows(src, mem.settings), nic_rings: rings };
    }
    const [listen, rings] = await Promise.all([listenTables(src, ns.value), ringRows(src)]);
    return {
      listen_backlog: listen.own,
      netns_listen_backlog: listen.others,
      config_limits: hostLimits(src),
      netns_config_limits: netnsConntrack(src, ns.value),
      config_memory: mem.row,
      config_databases: databaseRows(src, mem.settings),
      nic_rings: rings,
    };
  },
};

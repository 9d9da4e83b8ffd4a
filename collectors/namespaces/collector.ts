import type { Collector, Row, TableOutcomes, TableSpec } from '../../src/core/collector.js';
import { gauge } from '../../src/core/fields.js';
import { ok, unavailable, type Outcome } from '../../src/core/outcome.js';
import type { Source } from '../../src/core/source.js';
import { collectNetdev, NETDEV_TABLE } from '../procfs/netdev/collector.js';
import { collectNetstack, NETSTACK_NETNS_TABLES } from '../procfs/netstack/collector.js';
import { scanNamespaces, type NsEntry } from './scan.js';

/** Network namespaces whose stack counters are read per collection (the rest are reported as skipped). */
export const NETNS_STACK_MAX = 512;
/** Member PIDs / cgroups shown per namespace in labels (counts are always complete). */
const PIDS_SHOWN = 16;
const CGROUPS_SHOWN = 8;
/** Members tried in turn when the first one exits before its /proc/PID/net is read. */
const MEMBER_TRIES = 3;

/** The same fields as the host table, rows keyed by namespace inode (and interface). */
function perNetns(spec: TableSpec, what: string): TableSpec {
  return { title: `${what}, per network namespace (/proc/PID/net of a member process)`, scope: 'netns', fields: spec.fields, ...(spec.derived ? { derived: spec.derived } : {}), ...(spec.derive ? { derive: spec.derive } : {}) };
}

/** Host table id -> per-namespace table id: every per-namespace table netstack declares (tcp -> netns_tcp...). */
const STACK_TABLES: Readonly<Record<string, string>> = Object.fromEntries(Object.keys(NETSTACK_NETNS_TABLES).map((t) => [t, `netns_${t}`]));

const stackSpecs: Record<string, TableSpec> = { netns_netdev: perNetns(NETDEV_TABLE, 'Network interfaces') };
for (const [host, id] of Object.entries(STACK_TABLES)) {
  const spec = NETSTACK_NETNS_TABLES[host];
  if (spec) stackSpecs[id] = perNetns(spec, spec.title.replace(/ \(\/proc\/net\/[^)]*\)$/, ''));
}

const listed = (items: readonly (string | number)[], max: number) => items.slice(0, max).join(' ') + (items.length > max ? ` +${items.length - max} more` : '');

function inventoryRow(e: NsEntry): Row {
  const cgroups = [...e.cgroups].sort();
  const labels: Record<string, string> = { type: e.type, inode: e.inode, pids: listed(e.pids, PIDS_SHOWN), cgroups: listed(cgroups, CGROUPS_SHOWN) };
  if (e.names.length > 0) labels.names = e.names.join(' ');
  if (e.self) labels.self = 'yes';
  return { key: `${e.type}:${e.inode}`, labels, values: { procs: e.pids.length, cgroups: cgroups.length, cgroups_of: e.cgroupsOf } };
}

interface StackResult {
  readonly tables: TableOutcomes;
  readonly pid: number;
}

/** Read the namespace's counters through one member's /proc/PID/net (no nsenter needed). */
function stackOf(src: Source, e: NsEntry): StackResult | Outcome<never> {
  let last: Outcome<never> = unavailable('not-found', `network namespace ${e.inode} has no process`, 'counters of a namespace held only by a bind mount need a process inside it (ip netns exec NAME ...)');
  for (const pid of e.pids.slice(0, MEMBER_TRIES)) {
    const dev = collectNetdev(src, `/proc/${pid}/net`, null);
    if (dev.status !== 'ok') {
      last = dev;
      continue;
    }
    return { pid, tables: { netns_netdev: dev, ...Object.fromEntries(Object.entries(collectNetstack(src, `/proc/${pid}/net`)).flatMap(([t, o]) => (STACK_TABLES[t] ? [[STACK_TABLES[t], o]] : []))) } };
  }
  return last;
}

export function collectNamespaces(src: Source, opts: { readonly maxNetns?: number } = {}): TableOutcomes {
  const tableIds = ['namespaces', 'namespaces_scan', ...Object.keys(stackSpecs)];
  const scan = scanNamespaces(src);
  if (scan.status !== 'ok') return Object.fromEntries(tableIds.map((t) => [t, scan]));
  const { entries } = scan.value;
  const max = opts.maxNetns ?? NETNS_STACK_MAX;
  const inv: Row[] = [];
  const stack: Record<string, Row[]> = Object.fromEntries(Object.keys(stackSpecs).map((t) => [t, []]));
  const firstBad: Record<string, Outcome<Row[]>> = {};
  let visited = 0;
  let skipped = 0;
  let failed = 0;
  const sorted = [...entries.values()].sort((a, b) => a.type.localeCompare(b.type) || (a.pids[0] ?? Infinity) - (b.pids[0] ?? Infinity));
  for (const e of sorted) {
    const row = inventoryRow(e);
    const labels = { ...row.labels };
    if (e.type === 'net' && e.pids.length > 0) {
      if (visited >= max) {
        skipped++;
        labels.stack = 'skipped: namespace bound reached';
      } else {
        visited++;
        const r = stackOf(src, e);
        if ('tables' in r) {
          labels.stack_pid = String(r.pid);
          const nsLabels: Record<string, string> = { netns: e.inode, ...(e.names.length > 0 ? { netns_name: e.names.join(' ') } : {}) };
          for (const [tid, o] of Object.entries(r.tables)) {
            if (o.status !== 'ok') {
              firstBad[tid] ??= o;
              continue;
            }
            for (const x of o.value) {
              const perIface = tid === 'netns_netdev';
              stack[tid]!.push({ key: perIface ? `${e.inode}/${x.key}` : e.inode, labels: perIface ? { ...nsLabels, interface: x.key } : nsLabels, values: x.values });
            }
          }
        } else {
          failed++;
          labels.stack = `unavailable: ${r.status === 'ok' ? '' : r.reason}`;
        }
      }
    }
    inv.push({ ...row, labels });
  }
  const count = (t: string) => sorted.filter((e) => e.type === t).length;
  const out: TableOutcomes = {
    namespaces: ok(inv),
    namespaces_scan: ok([
      {
        key: 'host',
        ...(scan.value.denied > 0 ? { labels: { hint: `run diag as root: the namespaces of ${scan.value.denied} processes could not be read (ptrace access to /proc/PID/ns)` } } : {}),
        values: {
          processes: scan.value.processes,
          denied: scan.value.denied,
          exited: scan.value.exited,
          net: count('net'),
          pid: count('pid'),
          mnt: count('mnt'),
          netns_visited: visited,
          netns_skipped: skipped,
          netns_failed: failed,
          truncated: skipped > 0 ? 1 : 0,
        },
      },
    ]),
  };
  for (const tid of Object.keys(stackSpecs)) {
    out[tid] = stack[tid]!.length > 0 || firstBad[tid] === undefined ? ok(stack[tid]!) : firstBad[tid]!;
  }
  return out;
}

export const namespacesCollector: Collector = {
  id: 'namespaces',
  title: 'Namespaces (net, pid, mnt): member processes and cgroups; per network namespace: interfaces, TCP/UDP/IP counters, sockets',
  origin: 'namespaces',
  resources: ['network', 'tasks'],
  inputs: ['/proc/*/ns/{net,pid,mnt}', '/proc/*/cgroup', '/proc/self/mountinfo (nsfs bind mounts: /run/netns/NAME)', '/proc/PID/net/{dev,snmp,netstat,sockstat,sockstat6}'],
  tables: {
    namespaces: {
      title: 'Namespaces with their processes and cgroups',
      scope: 'namespace',
      fields: {
        procs: gauge('member processes'),
        cgroups: gauge('distinct cgroups of the members examined (cgroups_of)'),
        cgroups_of: gauge('members whose cgroups were read (the lowest PIDs, at most 64)'),
      },
    },
    namespaces_scan: {
      title: 'Namespace scan: processes read, denied, namespaces found and visited',
      scope: 'host',
      fields: {
        processes: gauge('processes whose namespaces were read'),
        denied: gauge('processes whose /proc/PID/ns could not be read (permission)'),
        exited: gauge('processes gone during the scan'),
        net: gauge('network namespaces'),
        pid: gauge('PID namespaces'),
        mnt: gauge('mount namespaces'),
        netns_visited: gauge('network namespaces whose counters were read'),
        netns_skipped: gauge('network namespaces not read: bound reached'),
        netns_failed: gauge('network namespaces whose counters could not be read'),
        truncated: gauge('some namespaces skipped', 'boolean'),
      },
    },
    ...stackSpecs,
  },
  collect(src) {
    return collectNamespaces(src);
  },
};

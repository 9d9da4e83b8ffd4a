import type { Collector, Row, TableOutcomes, TableSpec } from '../../src/core/collector.js';
import { inNetns } from '../../src/core/entity.js';
import { gauge } from '../../src/core/fields.js';
import { ok, type Outcome, type OutcomeCode } from '../../src/core/outcome.js';
import type { Source } from '../../src/core/source.js';
import { mapLimited } from '../commands/limit.js';
import { NETDEV_TABLE } from '../procfs/netdev/collector.js';
import { NETSTACK_NETNS_TABLES } from '../procfs/netstack/collector.js';
import { netnsDisplay } from './naming.js';
import { scanNamespaces, type NsEntry } from './scan.js';
import { troubleOf } from './signals.js';
import { stackByCommand, stackFiles, stackOfMembers, type StackRead } from './stack.js';
import { collectViews, planVisits, VIEW_TABLES, VIEWS_COMMANDS_AT_ONCE, type NetnsCandidate, type Visit } from './views.js';

/** Network namespaces whose stack counters are read per collection (the rest are reported as skipped). */
export const NETNS_STACK_MAX = 512;
/** Namespaces without a process whose counters are read by a command, per collection. */
export const NETNS_BY_PATH_MAX = 64;
/**
 * Time those commands may take per sample on a live host (the rest are listed as skipped): one
 * `nsenter ... head` is 10-15 ms on an idle 2-CPU host, 4 at once, so ~100 namespaces fit.
 */
export const NETNS_BY_PATH_BUDGET_MS = 500;
/** Member PIDs / cgroups shown per namespace in labels (counts are always complete). */
const PIDS_SHOWN = 16;
const CGROUPS_SHOWN = 8;

/** The same fields as the host table, rows keyed by namespace inode. */
function perNetns(spec: TableSpec, what: string): TableSpec {
  return { title: `${what}, per network namespace (/proc/PID/net of a member process, or read inside it)`, scope: 'netns', fields: spec.fields, ...(spec.derived ? { derived: spec.derived } : {}), ...(spec.derive ? { derive: spec.derive } : {}) };
}

/** Host table id -> per-namespace table id: every per-namespace table netstack declares (tcp -> netns_tcp...). */
const STACK_TABLES: Readonly<Record<string, string>> = { netdev: 'netns_netdev', ...Object.fromEntries(Object.keys(NETSTACK_NETNS_TABLES).map((t) => [t, `netns_${t}`])) };

const stackSpecs: Record<string, TableSpec> = {
  // one row per interface, nested in its namespace: netns:INODE/interface:veth0
  netns_netdev: { ...perNetns(NETDEV_TABLE, 'Network interfaces'), scope: inNetns('interface') },
};
for (const [host, id] of Object.entries(STACK_TABLES)) {
  const spec = NETSTACK_NETNS_TABLES[host];
  if (spec) stackSpecs[id] = perNetns(spec, spec.title.replace(/ \(\/proc\/net\/[^)]*\)$/, ''));
}

const viewSpecs: Record<string, TableSpec> = Object.fromEntries(Object.entries(VIEW_TABLES).map(([id, v]) => [id, v.spec]));

const visitsSpec: TableSpec = {
  title: 'Every other network namespace: how its counters were read, whether tc, nft and ss ran inside it, and why (not)',
  // What the collection did, not the namespace itself: culprits describe a namespace by its
  // counters and the namespaces table, never by this bookkeeping.
  scope: 'netns_visit',
  partStatus: { what: 'network namespaces', name: 'netns_display' },
  fields: {
    members: gauge('processes in the namespace'),
    trouble: gauge('drop and error events its counters show since it was created (decides the order it is entered in)'),
    duration_ms: gauge('time its commands took', 'ms'),
    rows: gauge('rows its commands gave'),
  },
};

const listed = (items: readonly (string | number)[], max: number) => items.slice(0, max).join(' ') + (items.length > max ? ` +${items.length - max} more` : '');

function inventoryRow(e: NsEntry, name: string | undefined): Row {
  const cgroups = [...e.cgroups].sort();
  const labels: Record<string, string> = { type: e.type, inode: e.inode, pids: listed(e.pids, PIDS_SHOWN), cgroups: listed(cgroups, CGROUPS_SHOWN) };
  if (e.names.length > 0) labels.names = e.names.join(' ');
  if (e.paths.length > 0) labels.paths = e.paths.join(' ');
  if (name !== undefined) labels.name = name;
  if (e.self) labels.self = 'yes';
  return { key: `${e.type}:${e.inode}`, labels, values: { procs: e.pids.length, cgroups: cgroups.length, cgroups_of: e.cgroupsOf } };
}

/** One network namespace's counters, or why they are missing. */
type StackResult = StackRead | Outcome<never> | { readonly skipped: string };

export interface NamespacesOptions {
  readonly maxNetns?: number;
  /** Sample index (the views' commands are recorded per sample). */
  readonly sampleIndex?: number;
  /** Enter no namespace with commands (counters only). */
  readonly noViews?: boolean;
}

function commMember(src: Source, pid: number | undefined): string | undefined {
  if (pid === undefined) return undefined;
  const c = src.readFile(`/proc/${pid}/comm`);
  return c.status === 'ok' ? c.value.replace(/\n$/, '') : undefined;
}

/**
 * Enumerate namespaces, read every network namespace's counters, and enter the ones that need it
 * (views.ts). Synchronous when nothing needs a command (no namespace without a process, none to
 * enter); a Promise otherwise.
 */
export function collectNamespaces(src: Source, opts: NamespacesOptions = {}): TableOutcomes | Promise<TableOutcomes> {
  const tableIds = ['namespaces', 'namespaces_scan', 'netns_visits', ...Object.keys(stackSpecs), ...Object.keys(viewSpecs)];
  const scan = scanNamespaces(src);
  if (scan.status !== 'ok') return Object.fromEntries(tableIds.map((t) => [t, scan]));
  const { entries } = scan.value;
  const max = opts.maxNetns ?? NETNS_STACK_MAX;
  const sorted = [...entries.values()].sort((a, b) => a.type.localeCompare(b.type) || (a.pids[0] ?? Infinity) - (b.pids[0] ?? Infinity) || (a.inode < b.inode ? -1 : 1));
  const nets = sorted.filter((e) => e.type === 'net');
  const display = new Map<string, string>();
  for (const e of nets) display.set(e.inode, e.self ? "diag's own namespace" : netnsDisplay({ inode: e.inode, names: e.names, cgroups: e.cgroups, ...(e.pids[0] !== undefined ? { pid: e.pids[0], comm: commMember(src, e.pids[0]) } : {}) }));

  // Counters: through a member's /proc/PID/net (file reads, now), or a command inside (below).
  const stacks = new Map<string, StackResult>();
  const byPath: NsEntry[] = [];
  let visited = 0;
  for (const e of nets) {
    if (visited >= max) {
      stacks.set(e.inode, { skipped: `not read: at most ${max} namespaces per collection` });
      continue;
    }
    visited++;
    if (e.pids.length > 0) stacks.set(e.inode, stackOfMembers(src, e.pids, e.inode));
    else if (e.paths.length > 0) byPath.push(e);
  }

  const finish = (views: { tables: TableOutcomes; visits: ReadonlyMap<string, Visit> } | undefined, plan: ReturnType<typeof planVisits> | undefined, candidates: readonly NetnsCandidate[]): TableOutcomes =>
    assemble(scan.value, sorted, display, stacks, views, plan, candidates, opts);

  const candidatesNow = (): NetnsCandidate[] =>
    nets
      .filter((e) => !e.self)
      .map((e) => {
        const s = stacks.get(e.inode);
        const rows = s && 'tables' in s ? Object.fromEntries(Object.entries(s.tables).map(([t, o]) => [t, o.status === 'ok' ? o.value : undefined])) : undefined;
        return {
          inode: e.inode,
          display: display.get(e.inode)!,
          names: e.names,
          ...(e.pids[0] !== undefined ? { pid: e.pids[0] } : {}),
          ...(e.paths[0] !== undefined ? { path: e.paths[0] } : {}),
          members: e.pids,
          trouble: rows ? troubleOf(rows) : undefined,
        };
      });

  if (byPath.length === 0) {
    const candidates = candidatesNow();
    const plan = opts.noViews ? undefined : planVisits(candidates);
    if (!plan || plan.enter.length === 0) return finish(undefined, plan, candidates);
  }
  return (async () => {
    const files = stackFiles(src);
    // labelled clocks, so that a recording replays the budget's decisions (views.ts)
    const started = src.now('namespaces:counters').monoMs;
    await mapLimited(byPath, VIEWS_COMMANDS_AT_ONCE, async (e, i) => {
      if (i >= NETNS_BY_PATH_MAX) stacks.set(e.inode, { skipped: `not read: at most ${NETNS_BY_PATH_MAX} namespaces without a process are read per collection` });
      else if (src.now(`namespaces:counters:${e.inode}`).monoMs - started > NETNS_BY_PATH_BUDGET_MS) stacks.set(e.inode, { skipped: `not read: the ${NETNS_BY_PATH_BUDGET_MS} ms budget for reading namespaces without a process was spent` });
      else stacks.set(e.inode, await stackByCommand(src, e.paths[0]!, files));
    });
    const candidates = candidatesNow();
    const plan = opts.noViews ? undefined : planVisits(candidates);
    const labelsOf = (c: NetnsCandidate) => nsLabels(c.inode, c.names, c.display);
    const views = plan && plan.enter.length > 0 ? await collectViews(src, plan, { sampleIndex: opts.sampleIndex ?? 0, labelsOf }) : undefined;
    return finish(views, plan, candidates);
  })();
}

/** Labels every per-namespace row carries: its inode (culprits nest in it), its names and what to call it. */
function nsLabels(inode: string, names: readonly string[], display: string): Record<string, string> {
  return { netns: inode, ...(names.length > 0 ? { netns_name: names.join(' ') } : {}), netns_display: display };
}

function assemble(
  scan: { processes: number; denied: number; exited: number; unmounted: readonly string[] },
  sorted: readonly NsEntry[],
  display: ReadonlyMap<string, string>,
  stacks: ReadonlyMap<string, StackResult>,
  views: { tables: TableOutcomes; visits: ReadonlyMap<string, Visit> } | undefined,
  plan: ReturnType<typeof planVisits> | undefined,
  candidates: readonly NetnsCandidate[],
  opts: NamespacesOptions,
): TableOutcomes {
  const stack: Record<string, Row[]> = Object.fromEntries(Object.keys(stackSpecs).map((t) => [t, []]));
  const firstBad: Record<string, Outcome<Row[]>> = {};
  const inv: Row[] = [];
  let read = 0;
  let skipped = 0;
  let failedReads = 0;
  for (const e of sorted) {
    const row = inventoryRow(e, e.type === 'net' ? display.get(e.inode) : undefined);
    const labels = { ...row.labels };
    const s = e.type === 'net' ? stacks.get(e.inode) : undefined;
    if (s && 'tables' in s) {
      read++;
      labels.stack = s.via;
      const m = /^process (\d+)$/.exec(s.via);
      if (m) labels.stack_pid = m[1]!;
      const ns = nsLabels(e.inode, e.names, display.get(e.inode)!);
      for (const [host, o] of Object.entries(s.tables)) {
        const tid = STACK_TABLES[host];
        if (!tid) continue;
        if (o.status !== 'ok') {
          firstBad[tid] ??= o;
          continue;
        }
        for (const x of o.value) {
          const perIface = tid === 'netns_netdev';
          stack[tid]!.push({ key: perIface ? `${e.inode}/${x.key}` : e.inode, labels: perIface ? { ...ns, interface: x.key } : ns, values: x.values });
        }
      }
    } else if (s && 'skipped' in s) {
      skipped++;
      labels.stack = `skipped: ${s.skipped}`;
    } else if (s) {
      failedReads++;
      labels.stack = `unavailable: ${s.status === 'ok' ? '' : s.reason}`;
    }
    inv.push({ ...row, labels });
  }
  const count = (t: string) => sorted.filter((e) => e.type === t).length;

  const visitRows: Row[] = [];
  const notEntered = new Map(plan?.notEntered.map((n) => [n.candidate.inode, n.reason]) ?? []);
  for (const c of candidates) {
    const s = stacks.get(c.inode);
    const v = views?.visits.get(c.inode);
    const counters = s && 'tables' in s ? `read (${s.via})` : s && 'skipped' in s ? s.skipped : s ? `unavailable: ${s.status === 'ok' ? '' : s.reason}` : 'not read';
    let status: string;
    let reason: string | undefined;
    let code: OutcomeCode | undefined = v?.code;
    if (v) {
      status = v.status;
      reason = v.status === 'ok' ? undefined : v.reason;
    } else if (opts.noViews) {
      status = 'skipped';
      reason = 'not entered: commands in namespaces were not asked for';
      code = 'not-run';
    } else {
      status = 'skipped';
      reason = notEntered.get(c.inode) ?? 'not entered';
      code = 'not-run';
    }
    const countersBad = !(s && 'tables' in s);
    // what went wrong with the counters comes first
    if (countersBad) code = s && 'skipped' in s ? 'not-run' : s && s.status !== 'ok' ? s.code : code;
    visitRows.push({
      key: c.inode,
      labels: {
        ...nsLabels(c.inode, c.names, c.display),
        via: c.path !== undefined ? `bind mount ${c.path}` : c.pid !== undefined ? `process ${c.pid}` : 'none',
        counters,
        // counters unread is worse than views not entered: say it first
        status: countersBad && status === 'ok' ? 'partial' : status,
        ...(countersBad ? { reason: `counters ${counters}${reason ? `; ${reason}` : ''}` } : reason ? { reason } : {}),
        // why it was entered (the views then say what they found, or why not)
        ...(v && v.status !== 'skipped' && plan?.why.get(c.inode) ? { entered: plan.why.get(c.inode)! } : {}),
        ...(c.trouble && c.trouble.signals.length > 0 ? { signals: c.trouble.signals.slice(0, 6).join(', ') } : {}),
        ...(code && !(status === 'ok' && !countersBad) ? { code } : {}),
      },
      values: { members: c.members.length, trouble: c.trouble?.score, duration_ms: v ? Math.round(v.ms * 10) / 10 : undefined, rows: v?.rows },
    });
  }
  for (const name of scan.unmounted) {
    visitRows.push({ key: `unmounted:${name}`, labels: { netns_display: name, status: 'unavailable', code: 'not-found', reason: `/run/netns/${name} is not a mounted network namespace (a name left behind; ip netns delete ${name} removes it)` }, values: {} });
  }
  const entered = [...(views?.visits.values() ?? [])].filter((v) => v.status === 'ok' || v.status === 'partial').length;

  const out: TableOutcomes = {
    namespaces: ok(inv),
    namespaces_scan: ok([
      {
        key: 'host',
        ...(scan.denied > 0 ? { labels: { hint: `run diag as root: the namespaces of ${scan.denied} processes could not be read (ptrace access to /proc/PID/ns)` } } : {}),
        values: {
          processes: scan.processes,
          denied: scan.denied,
          exited: scan.exited,
          net: count('net'),
          pid: count('pid'),
          mnt: count('mnt'),
          netns_visited: read,
          netns_skipped: skipped,
          netns_failed: failedReads,
          netns_entered: entered,
          truncated: skipped > 0 ? 1 : 0,
        },
      },
    ]),
    netns_visits: ok(visitRows),
  };
  for (const tid of Object.keys(stackSpecs)) {
    out[tid] = stack[tid]!.length > 0 || firstBad[tid] === undefined ? ok(stack[tid]!) : firstBad[tid]!;
  }
  for (const tid of Object.keys(viewSpecs)) out[tid] = views?.tables[tid] ?? ok([]);
  return out;
}

export const namespacesCollector: Collector = {
  id: 'namespaces',
  title: 'Namespaces (net, pid, mnt): members and cgroups; every network namespace: interfaces, TCP/UDP/IP counters, and where they show trouble qdiscs, firewall rules and sockets',
  origin: 'namespaces',
  resources: ['network', 'tasks'],
  inputs: [
    '/proc/*/ns/{net,pid,mnt}',
    '/proc/*/cgroup',
    '/proc/self/mountinfo (nsfs bind mounts: /run/netns/NAME)',
    '/run/netns',
    '/proc/PID/net/{dev,snmp,netstat,sockstat,snmp6,sockstat6}',
    'nsenter --net=/run/netns/NAME head /proc/net/... (namespaces without a process)',
    'nsenter: tc -s -j qdisc show, nft -j list ruleset, iptables-save -c, ss -tanieOmH, ss -uaneOmH (namespaces entered)',
  ],
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
      title: 'Namespace scan: processes read, denied, namespaces found, read and entered',
      scope: 'host',
      fields: {
        processes: gauge('processes whose namespaces were read'),
        denied: gauge('processes whose /proc/PID/ns could not be read (permission)'),
        exited: gauge('processes gone during the scan'),
        net: gauge('network namespaces'),
        pid: gauge('PID namespaces'),
        mnt: gauge('mount namespaces'),
        netns_visited: gauge('network namespaces whose counters were read'),
        netns_skipped: gauge('network namespaces whose counters were not read: bound or budget reached'),
        netns_failed: gauge('network namespaces whose counters could not be read'),
        netns_entered: gauge('network namespaces entered with tc, nft and ss'),
        truncated: gauge('some namespaces skipped', 'boolean'),
      },
    },
    netns_visits: visitsSpec,
    ...stackSpecs,
    ...viewSpecs,
  },
  collect(src, ctx) {
    return collectNamespaces(src, { sampleIndex: ctx.sampleIndex });
  },
};

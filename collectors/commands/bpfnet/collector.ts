import type { Collector, Row, TableOutcomes, TableSpec } from '../../../src/core/collector.js';
import { inNetns } from '../../../src/core/entity.js';
import { gauge } from '../../../src/core/fields.js';
import { failed, ok, unavailable, type Outcome } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { parseMountinfo } from '../../cgroup/mountinfo.js';
import { netnsDisplay } from '../../namespaces/naming.js';
import { scanNamespaces } from '../../namespaces/scan.js';
import { runTool } from '../command.js';
import { mapLimited } from '../limit.js';
import { parseBpfProgs, parseBpftoolCgroupTree, parseBpftoolNet, parseBpftoolPerf, type BpfProg, type NetAttachment } from './parse.js';

/**
 * BPF programs attached where packets pass or events fire: XDP and tc/tcx programs on the
 * interfaces of every network namespace, cgroup programs (cgroup/skb, sock, connect...), and
 * programs processes attached to tracepoints and probes, from bpftool (no kprobe of diag's).
 * An XDP or tc program can drop packets that no counter of the stack shows: the network
 * playbook names them beside a drop finding on their interface, the report's `where` lists them.
 */

/** Other network namespaces entered per collection. */
export const BPF_NETNS_MAX = 16;

/** Program types that attach to interfaces (bpftool net lists them). */
const NET_TYPES = new Set(['xdp', 'sched_cls', 'sched_act', 'flow_dissector', 'netfilter']);
const PERF_TYPES = new Set(['tracepoint', 'kprobe', 'raw_tracepoint', 'perf_event', 'tracing']);

const progLabel = (progs: ReadonlyMap<number, BpfProg>, a: { progId: number; name?: string | undefined; mode?: string | undefined }): string => {
  const p = progs.get(a.progId);
  const name = p?.name ?? a.name ?? '?';
  return `${name} (id ${a.progId}${p?.type ? `, ${p.type}` : ''}${a.mode ? `, ${a.mode}` : ''})`;
};

/** One row per interface with programs (pure): XDP, tc ingress, tc egress and others, as labels. */
export function interfaceRows(attachments: readonly NetAttachment[], progs: ReadonlyMap<number, BpfProg>): Row[] {
  const by = new Map<string, NetAttachment[]>();
  for (const a of attachments) by.set(a.iface, [...(by.get(a.iface) ?? []), a]);
  return [...by.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([iface, list]) => {
      const labels: Record<string, string> = {};
      for (const a of list) {
        const slot = a.attach === 'xdp' ? 'xdp' : /ingress/.test(a.attach) ? 'tc_ingress' : /egress/.test(a.attach) ? 'tc_egress' : 'other';
        labels[slot] = labels[slot] ? `${labels[slot]}; ${progLabel(progs, a)}` : progLabel(progs, a);
      }
      labels.attached = list.map((a) => `${a.attach}: ${progLabel(progs, a)}`).join('; ');
      return { key: iface, labels, values: { programs: list.length, xdp: list.some((a) => a.attach === 'xdp') ? 1 : 0 } };
    });
}

interface NetnsRef {
  readonly inode: string;
  readonly self: boolean;
  readonly pid?: number;
  readonly path?: string;
  readonly display: string;
}

function namespaces(src: Source): Outcome<NetnsRef[]> {
  const scan = scanNamespaces(src);
  if (scan.status !== 'ok') return scan;
  const out: NetnsRef[] = [];
  for (const e of scan.value.entries.values()) {
    if (e.type !== 'net' || (e.pids.length === 0 && e.paths.length === 0)) continue;
    const pid = e.pids[0];
    const comm = pid === undefined ? undefined : src.readFile(`/proc/${pid}/comm`);
    const display = e.self ? "diag's own namespace" : netnsDisplay({ inode: e.inode, names: e.names, cgroups: e.cgroups, ...(pid !== undefined ? { pid, ...(comm?.status === 'ok' ? { comm: comm.value.replace(/\n$/, '') } : {}) } : {}) });
    out.push({ inode: e.inode, self: e.self, ...(pid !== undefined ? { pid } : {}), ...(e.paths[0] !== undefined ? { path: e.paths[0] } : {}), display });
  }
  return ok(out);
}

async function netOf(src: Source, ns: NetnsRef, progs: ReadonlyMap<number, BpfProg>): Promise<Outcome<Row[]>> {
  const entry = ns.self ? {} : ns.path !== undefined ? { netnsPath: ns.path } : { netnsPid: ns.pid! };
  const r = await runTool(src, { cmd: 'bpftool', args: ['-j', 'net'], ...entry });
  if (r.status !== 'ok') return r;
  const p = parseBpftoolNet(r.value);
  if (!p.ok) return failed('parse', p.error.message, p.error);
  return ok(interfaceRows(p.value.attachments, progs));
}

/** The cgroup v2 mount point, to turn bpftool's absolute paths into cgroup paths. */
function cgroup2Mount(src: Source): string | undefined {
  const mi = src.readFile('/proc/self/mountinfo');
  if (mi.status !== 'ok') return undefined;
  const p = parseMountinfo(mi.value);
  return p.ok ? p.value.find((m) => m.fsType === 'cgroup2')?.mountPoint : undefined;
}

export function cgroupPathOf(abs: string, mount: string | undefined): string {
  if (mount === undefined || !abs.startsWith(mount)) return abs;
  const rel = abs.slice(mount.length);
  return rel === '' ? '/' : rel.startsWith('/') ? rel : `/${rel}`;
}

const specFields = {
  programs: gauge('BPF programs attached'),
  xdp: gauge('1 when an XDP program is attached', 'boolean'),
};

const TABLES: Record<string, TableSpec> = {
  bpf_net: { title: "BPF programs on the interfaces of diag's network namespace (XDP, tc, tcx)", scope: 'interface', fields: specFields },
  netns_bpf_net: { title: 'BPF programs on the interfaces of other network namespaces (XDP, tc, tcx)', scope: inNetns('interface'), fields: specFields },
  bpf_cgroup: { title: 'BPF programs attached to cgroups (cgroup/skb, sock, connect, device...)', scope: 'cgroup', fields: { programs: gauge('BPF programs attached') } },
  bpf_perf: { title: 'BPF programs processes attached to tracepoints, kprobes and uprobes', scope: 'process', fields: { programs: gauge('BPF programs attached') } },
};

export const bpfnetCollector: Collector = {
  id: 'bpfnet',
  title: 'BPF programs attached to interfaces (XDP, tc), cgroups and tracepoints (bpftool)',
  origin: 'commands',
  resources: ['network'],
  inputs: ['bpftool -j prog show', 'bpftool -j net (in each network namespace, when XDP/tc programs are loaded)', 'bpftool -j cgroup tree', 'bpftool -j perf', '/proc/self/mountinfo'],
  tables: TABLES,
  async collect(src: Source): Promise<TableOutcomes> {
    const all = (o: Outcome<Row[]>): TableOutcomes => Object.fromEntries(Object.keys(TABLES).map((t) => [t, o]));
    const pr = await runTool(src, { cmd: 'bpftool', args: ['-j', 'prog', 'show'] });
    if (pr.status !== 'ok') return all(pr);
    const pp = parseBpfProgs(pr.value);
    if (!pp.ok) return all(failed('parse', pp.error.message, pp.error));
    const progs = pp.value;
    const types = new Set([...progs.values()].map((p) => p.type));
    const none = (what: string): Outcome<Row[]> => ok([], [`no ${what} program is loaded (bpftool prog show)`]);

    const netWanted = [...types].some((t) => NET_TYPES.has(t));
    const nsList = netWanted ? namespaces(src) : ok<NetnsRef[]>([]);
    const cgroupWanted = [...types].some((t) => t.startsWith('cgroup'));
    const perfWanted = [...types].some((t) => PERF_TYPES.has(t));

    const [net, cg, perf] = await Promise.all([
      nsList.status !== 'ok'
        ? Promise.resolve(undefined)
        : mapLimited([...nsList.value.filter((n) => n.self), ...nsList.value.filter((n) => !n.self).slice(0, BPF_NETNS_MAX)], 4, async (n) => ({ n, rows: await netOf(src, n, progs) })),
      cgroupWanted ? runTool(src, { cmd: 'bpftool', args: ['-j', 'cgroup', 'tree'] }) : Promise.resolve(undefined),
      perfWanted ? runTool(src, { cmd: 'bpftool', args: ['-j', 'perf'] }) : Promise.resolve(undefined),
    ]);

    const out: TableOutcomes = {};
    if (!netWanted) {
      out.bpf_net = none('XDP or tc');
      out.netns_bpf_net = none('XDP or tc');
    } else if (nsList.status !== 'ok' || net === undefined) {
      out.bpf_net = nsList.status !== 'ok' ? nsList : unavailable('bug', 'no namespace list');
      out.netns_bpf_net = out.bpf_net;
    } else {
      const own = net.find((x) => x.n.self);
      out.bpf_net = own ? own.rows : unavailable('not-found', "diag's own network namespace was not found");
      const rows: Row[] = [];
      const notes: string[] = [];
      for (const { n, rows: o } of net) {
        if (n.self) continue;
        if (o.status !== 'ok') notes.push(`${n.display} (netns ${n.inode}): ${o.reason}`);
        else for (const r of o.value) rows.push({ key: `${n.inode}/${r.key}`, labels: { ...r.labels, netns: n.inode, netns_display: n.display }, values: r.values });
      }
      out.netns_bpf_net = ok(rows, notes.length > 0 ? notes.slice(0, 5) : undefined);
    }

    if (cg === undefined) out.bpf_cgroup = none('cgroup');
    else if (cg.status !== 'ok') out.bpf_cgroup = cg;
    else {
      const p = parseBpftoolCgroupTree(cg.value);
      if (!p.ok) out.bpf_cgroup = failed('parse', p.error.message, p.error);
      else {
        const mount = cgroup2Mount(src);
        const by = new Map<string, string[]>();
        for (const a of p.value.attachments) {
          const path = cgroupPathOf(a.cgroupPath, mount);
          by.set(path, [...(by.get(path) ?? []), `${a.attachType}: ${progLabel(progs, a)}`]);
        }
        out.bpf_cgroup = ok([...by.entries()].map(([path, list]) => ({ key: path, labels: { attached: list.join('; ') }, values: { programs: list.length } })));
      }
    }

    if (perf === undefined) out.bpf_perf = none('tracepoint or probe');
    else if (perf.status !== 'ok') out.bpf_perf = perf;
    else {
      const p = parseBpftoolPerf(perf.value);
      if (!p.ok) out.bpf_perf = failed('parse', p.error.message, p.error);
      else {
        const by = new Map<number, string[]>();
        for (const a of p.value.attachments) by.set(a.pid, [...(by.get(a.pid) ?? []), `${a.kind}${a.target ? ` ${a.target}` : ''}: ${progLabel(progs, a)}`]);
        out.bpf_perf = ok([...by.entries()].map(([pid, list]) => ({ key: String(pid), labels: { attached: list.join('; ').slice(0, 500) }, values: { programs: list.length } })));
      }
    }
    return out;
  },
};

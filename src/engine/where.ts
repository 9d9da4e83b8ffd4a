import type { Collector } from '../core/collector.js';
import { collectSample } from '../core/sample.js';
import type { Source } from '../core/source.js';
import type { Report } from './report-schema.js';

export const WHERE_COLLECTOR = 'whereami';
/** The collector of BPF programs attached to interfaces, cgroups and tracepoints (collectors/commands/bpfnet). */
export const BPF_ATTACH_COLLECTOR = 'bpfnet';
/** Attachments named in `where.bpf` (all are counted in `bpf_programs`). */
const BPF_SHOWN = 6;

/**
 * `bpf` and `bpf_programs` for the report's `where`: every program attached to an interface (of
 * any network namespace), a cgroup or a tracepoint, "xdp diag_xdp_drop (id 7, xdp, generic) on
 * dtx0 (netns 4026532174, PID 42 (sleep))"; nothing when none is attached or bpftool could not tell.
 */
export function bpfWhere(tables: Readonly<Record<string, { status: string; value?: readonly { key: string; labels?: Readonly<Record<string, string>>; values: Readonly<Record<string, number | undefined>> }[] }>>): Record<string, string | number> {
  const items: string[] = [];
  let count = 0;
  let judged = false;
  const each = (id: string, where: (r: { key: string; labels?: Readonly<Record<string, string>> }) => string) => {
    const t = tables[id];
    if (t?.status !== 'ok' || !t.value) return;
    judged = true;
    for (const r of t.value) {
      count += r.values.programs ?? 0;
      items.push(`${r.labels?.attached ?? '?'} on ${where(r)}`);
    }
  };
  each('bpf_net', (r) => r.key);
  each('netns_bpf_net', (r) => `${r.key.slice(r.key.indexOf('/') + 1)} (${r.labels?.netns_display ?? 'netns'}, netns ${r.labels?.netns ?? '?'})`);
  each('bpf_cgroup', (r) => `cgroup ${r.key}`);
  each('bpf_perf', (r) => `process ${r.key}`);
  if (!judged) return {};
  const out: Record<string, string | number> = { bpf_programs: count };
  if (items.length > 0) out.bpf = items.slice(0, BPF_SHOWN).join('; ') + (items.length > BPF_SHOWN ? `; +${items.length - BPF_SHOWN} more` : '');
  return out;
}

/**
 * The report's `where`: the whereami collector's one row (labels and numbers), read once through
 * the run's second source (a snapshot records it; a replay says where the recorded host was).
 */
export async function collectWhere(collectors: readonly Collector[], src: Source): Promise<Report['where']> {
  const c = collectors.find((x) => x.id === WHERE_COLLECTOR);
  if (!c) return undefined;
  const bpf = collectors.find((x) => x.id === BPF_ATTACH_COLLECTOR);
  const s = await collectSample(bpf ? [c, bpf] : [c], src);
  const out = s.collectors[c.id];
  const t = out?.status === 'ok' ? out.value.tables.whereami : undefined;
  const row = t?.status === 'ok' ? t.value[0] : undefined;
  if (!row) return undefined;
  const where: Record<string, string | number> = { ...row.labels };
  for (const [k, v] of Object.entries(row.values)) if (v !== undefined) where[k] = v;
  const b = bpf ? s.collectors[bpf.id] : undefined;
  if (b?.status === 'ok') Object.assign(where, bpfWhere(b.value.tables));
  return where;
}

/** One line for people: "firecracker VM, container docker, cgroup /x (hybrid), BTF yes, PSI yes, kprobes no, 1 NUMA node". */
export function whereLine(w: NonNullable<Report['where']>): string {
  const s = (k: string) => (w[k] === undefined ? undefined : String(w[k]));
  const virt = s('virt');
  const parts = [
    virt === 'none' ? 'bare metal (no hypervisor seen)' : virt ? `${virt} VM` : undefined,
    s('cloud') ? `cloud ${s('cloud')}` : undefined,
    s('container') && s('container') !== 'none' ? `container ${s('container')}` : 'no container',
    s('cgroup') ? `cgroup ${s('cgroup')} (${s('cgroup_mode') ?? '?'})` : undefined,
    w.cgroup_cpus !== undefined ? `limit ${Number(w.cgroup_cpus).toFixed(2)} CPUs` : undefined,
    w.cgroup_memory_max !== undefined ? `limit ${(Number(w.cgroup_memory_max) / 2 ** 20).toFixed(0)} MiB` : undefined,
    `BTF ${s('btf') ?? '?'}, PSI ${s('psi') ?? '?'}, kprobes ${(s('kprobes') ?? '?').split(' ')[0]}`,
    w.numa_nodes !== undefined ? `${w.numa_nodes} NUMA node${w.numa_nodes === 1 ? '' : 's'}` : undefined,
    s('taint') && s('taint') !== 'none' ? `kernel tainted (${s('taint')})` : undefined,
    s('modules_out_of_tree') ? `modules from outside the tree: ${s('modules_out_of_tree')}` : undefined,
    Number(w.bpf_programs ?? 0) > 0 ? `${w.bpf_programs} BPF program${w.bpf_programs === 1 ? '' : 's'} attached` : undefined,
  ];
  return parts.filter((p): p is string => p !== undefined).join(', ');
}

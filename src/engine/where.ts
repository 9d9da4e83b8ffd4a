import type { Collector } from '../core/collector.js';
import { collectSample } from '../core/sample.js';
import type { Source } from '../core/source.js';
import type { Report } from './report-schema.js';

export const WHERE_COLLECTOR = 'whereami';

/**
 * The report's `where`: the whereami collector's one row (labels and numbers), read once through
 * the run's second source (a snapshot records it; a replay says where the recorded host was).
 */
export async function collectWhere(collectors: readonly Collector[], src: Source): Promise<Report['where']> {
  const c = collectors.find((x) => x.id === WHERE_COLLECTOR);
  if (!c) return undefined;
  const s = await collectSample([c], src);
  const out = s.collectors[c.id];
  const t = out?.status === 'ok' ? out.value.tables.whereami : undefined;
  const row = t?.status === 'ok' ? t.value[0] : undefined;
  if (!row) return undefined;
  const where: Record<string, string | number> = { ...row.labels };
  for (const [k, v] of Object.entries(row.values)) if (v !== undefined) where[k] = v;
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
  ];
  return parts.filter((p): p is string => p !== undefined).join(', ');
}

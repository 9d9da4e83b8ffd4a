import type { Model } from '../../core/derive.js';
import { rowsOf } from '../frame.js';

export interface CgroupRowVM {
  readonly path: string;
  readonly name: string;
  readonly kind: string;
  readonly depth: number;
  readonly procs?: number;
  readonly cpu?: number;
  readonly quotaCores?: number;
  readonly throttledPct?: number;
  readonly memCurrent?: number;
  readonly memLimit?: number;
  readonly memPct?: number;
  readonly oomKills?: number;
  readonly pidsPct?: number;
  readonly forkFails?: number;
}

/** Cgroups as a tree in path order (which ones are in trouble is the panel's to say: the playbooks judge it). */
export function cgroupsVM(m: Model): CgroupRowVM[] {
  const cpu = new Map(rowsOf(m, 'cgroup_cpu').map((r) => [r.key, r]));
  const mem = new Map(rowsOf(m, 'cgroup_memory').map((r) => [r.key, r]));
  const pids = new Map(rowsOf(m, 'cgroup_pids').map((r) => [r.key, r]));
  const rows = rowsOf(m, 'cgroups').map((r): CgroupRowVM => {
    const c = cpu.get(r.key);
    const me = mem.get(r.key);
    const p = pids.get(r.key);
    const throttledPct = c?.values.throttled_pct;
    const memPct = me?.values.used_pct;
    const oomKills = me?.deltas.oom_kill ?? me?.deltas.oom;
    const forkFails = p?.deltas.fork_fail;
    return {
      path: r.key,
      name: r.labels.name ?? r.key,
      kind: r.labels.kind ?? '',
      depth: r.values.depth ?? r.key.split('/').filter(Boolean).length,
      procs: r.values.procs,
      cpu: c?.values.cpu_pct,
      quotaCores: c?.values.quota_cores,
      throttledPct,
      memCurrent: me?.values.current,
      memLimit: me?.values.limit,
      memPct,
      oomKills,
      pidsPct: p?.values.used_pct,
      forkFails,
    };
  });
  return rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

import type { Frame } from '../frame.js';
import { whyMissing } from '../frame.js';
import { bytes, num, pct } from '../text.js';
import type { Tone } from '../theme.js';
import { alarm, scopeSeverity, toneOf, type Tones, worstTone } from '../tones.js';
import { cgroupsVM, type CgroupRowVM } from '../view-models/cgroups.js';
import type { TablePanel } from './types.js';

/** A cgroup row with its worst trouble: what the playbooks say of its throttling, memory, OOM kills and forks. */
export interface CgroupRow extends CgroupRowVM {
  readonly trouble?: 'warning' | 'critical';
}

const METRICS = ['cgroup_cpu.throttled_pct', 'cgroup_memory.used_pct', 'cgroup_memory.oom_kill', 'cgroup_pids.used_pct', 'cgroup_pids.fork_fail'];

function troubleOf(tones: Tones, frame: Frame, path: string): CgroupRow['trouble'] {
  let t: Tone | undefined = scopeSeverity(frame, `cgroup:${path}`);
  for (const m of METRICS) t = worstTone(t, toneOf(tones, frame, m, path));
  return t === 'warning' || t === 'critical' ? t : undefined;
}

/** Cgroups as a tree; by default only the root, busy and troubled ones (a: all). Enter: its processes. */
export const cgroupsPanel: TablePanel<CgroupRow> = {
  kind: 'table',
  id: 'cgroups',
  title: 'Cgroups / containers',
  selectable: true,
  columns: [
    {
      id: 'cgroup',
      title: 'cgroup',
      width: (w) => Math.max(10, w - 38),
      min: 8,
      value: (c) => '  '.repeat(Math.min(c.depth, 6)) + (c.path === '/' ? '/' : c.name) + (c.kind && c.kind !== 'other' && c.kind !== 'root' ? ` (${c.kind})` : ''),
      tone: (c) => c.trouble ?? 'dim',
      sort: { key: (c) => c.path, ascending: true },
    },
    { id: 'procs', title: 'procs', width: 5, align: 'right', value: (c) => num(c.procs), sort: { key: (c) => c.procs } },
    { id: 'cpu', title: 'cpu%', width: 6, align: 'right', value: (c) => (c.cpu === undefined ? '-' : c.cpu.toFixed(1)), sort: { key: (c) => c.cpu } },
    { id: 'throttled', title: 'thr%', width: 5, align: 'right', value: (c) => pct(c.throttledPct), tone: (c, env) => toneOf(env.tones, env.frame, 'cgroup_cpu.throttled_pct', c.path) ?? 'dim', sort: { key: (c) => c.throttledPct } },
    { id: 'mem', title: 'mem', width: 6, align: 'right', value: (c) => bytes(c.memCurrent), sort: { key: (c) => c.memCurrent } },
    { id: 'mempct', title: 'mem%', width: 6, align: 'right', value: (c) => pct(c.memPct), tone: (c, env) => toneOf(env.tones, env.frame, 'cgroup_memory.used_pct', c.path) ?? 'dim', sort: { key: (c) => c.memPct } },
    { id: 'oom', title: 'oom', width: 4, align: 'right', value: (c) => String(c.oomKills ?? 0), tone: (c, env) => alarm(toneOf(env.tones, env.frame, 'cgroup_memory.oom_kill', c.path)), sort: { key: (c) => c.oomKills } },
  ],
  rows(frame, view, env) {
    const rows = cgroupsVM(frame.model).map((c): CgroupRow => {
      const trouble = troubleOf(env.tones, frame, c.path);
      return trouble ? { ...c, trouble } : c;
    });
    return view.allCgroups ? rows : rows.filter((r) => r.path === '/' || (r.procs ?? 0) > 0 || r.trouble !== undefined);
  },
  rowId: (c) => c.path,
  scope: 'cgroup',
  empty: (frame) => ({ text: whyMissing(frame.model, 'cgroups') ?? 'no cgroups', tone: 'unknown' }),
  onEnter: (c) => ({ kind: 'processes-of-cgroup', path: c.path }),
};

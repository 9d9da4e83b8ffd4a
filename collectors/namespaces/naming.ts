import { nameCgroup, type CgroupKind } from '../cgroup/naming.js';

/** Cgroup kinds that name what a namespace belongs to, most telling first. */
const TELLING: readonly CgroupKind[] = ['container', 'pod', 'service', 'scope', 'unit', 'container-monitor'];

/** What diag knows about a network namespace to name it. */
export interface NetnsNaming {
  readonly inode: string;
  /** `ip netns` names, or the paths it is bind-mounted at. */
  readonly names: readonly string[];
  /** cgroup paths of its first members. */
  readonly cgroups: Iterable<string>;
  /** Its lowest PID and that process's name (/proc/PID/comm), when a process lives there. */
  readonly pid?: number;
  readonly comm?: string;
}

/**
 * The name a person knows a network namespace by (pure): its `ip netns` name; else the container,
 * pod or systemd unit its processes run in (collectors/cgroup/naming.ts); else its lowest process
 * ("PID 4242 (nginx)"); never its inode alone: the inode is shown beside it, not instead of it.
 */
export function netnsDisplay(n: NetnsNaming): string {
  if (n.names.length > 0) return n.names.join(', ');
  let best: { rank: number; name: string } | undefined;
  for (const path of [...n.cgroups].sort()) {
    const c = nameCgroup(path);
    const rank = TELLING.indexOf(c.kind);
    if (rank >= 0 && (!best || rank < best.rank)) best = { rank, name: c.name };
  }
  if (best) return best.name;
  if (n.pid !== undefined) return n.comm ? `PID ${n.pid} (${n.comm})` : `PID ${n.pid}`;
  return `netns ${n.inode}`;
}

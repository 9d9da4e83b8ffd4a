import { parsed, parseFail, uint, type ParseResult } from '../../src/core/parse-result.js';
import type { MountInfo } from './mountinfo.js';

/** cgroup v1 controllers the kernel knows (a v1 mount's super options name the ones it holds). */
export const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

/** One mounted cgroup hierarchy. */
export interface Hierarchy {
  readonly version: 1 | 2;
  /** Where it is mounted, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup. */
  readonly mountPoint: string;
  /** Path of the mount's root inside the hierarchy: "/" on a host, "/docker/<id>" inside some containers. */
  readonly root: string;
  /** v1: controllers of this hierarchy ("cpu", "cpuacct" or a named one like "name=systemd"). v2: empty here (read cgroup.controllers). */
  readonly controllers: readonly string[];
}

export type LayoutMode = 'unified' | 'hybrid' | 'legacy' | 'none';

export interface CgroupLayout {
  /**
   * unified: only cgroup2 (current distributions); legacy: only v1 controller mounts;
   * hybrid: v1 controllers plus a cgroup2 hierarchy (systemd's /sys/fs/cgroup/unified);
   * none: no cgroup filesystem mounted.
   */
  readonly mode: LayoutMode;
  readonly v2?: Hierarchy;
  /** v1 hierarchies, one per mounted controller set (first mount of each wins). */
  readonly v1: readonly Hierarchy[];
}

/** Prefer the canonical mount under /sys/fs/cgroup when a hierarchy is mounted twice (bind mounts). */
function better(a: MountInfo, b: MountInfo): MountInfo {
  const canon = (m: MountInfo) => m.mountPoint.startsWith('/sys/fs/cgroup');
  if (canon(a) !== canon(b)) return canon(a) ? a : b;
  return a.mountPoint.length <= b.mountPoint.length ? a : b;
}

/** A mount's root outside the visible tree ("/.." in a cgroup namespace) tells nothing useful: use "/". */
const usableRoot = (root: string) => (root.startsWith('/') && !root.startsWith('/..') ? root : '/');

/** Detect the cgroup layout from the mounts (pure). */
export function detectCgroupLayout(mounts: readonly MountInfo[]): CgroupLayout {
  let v2: MountInfo | undefined;
  const v1 = new Map<string, MountInfo>();
  for (const m of mounts) {
    if (m.fsType === 'cgroup2') v2 = v2 ? better(v2, m) : m;
    else if (m.fsType === 'cgroup') {
      const ctl = m.superOptions.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
      if (ctl.length === 0) continue;
      const id = [...ctl].sort().join(',');
      const prev = v1.get(id);
      v1.set(id, prev ? better(prev, m) : m);
    }
  }
  const hier1: Hierarchy[] = [...v1.values()].map((m) => ({
    version: 1,
    mountPoint: m.mountPoint,
    root: usableRoot(m.root),
    controllers: m.superOptions.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name=')),
  }));
  const hasV1Controllers = hier1.some((h) => h.controllers.some((c) => V1_CONTROLLERS.has(c)));
  const mode: LayoutMode = v2 ? (hasV1Controllers ? 'hybrid' : 'unified') : hier1.length > 0 ? 'legacy' : 'none';
  const h2: Hierarchy | undefined = v2 ? { version: 2, mountPoint: v2.mountPoint, root: usableRoot(v2.root), controllers: [] } : undefined;
  return h2 ? { mode, v2: h2, v1: hier1 } : { mode, v1: hier1 };
}

/** One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path". */
export interface ProcCgroupLine {
  readonly hierarchyId: number;
  /** Empty for the cgroup2 line ("0::/user.slice"). */
  readonly controllers: readonly string[];
  readonly path: string;
}

/** Parse /proc/PID/cgroup. The path is everything after the second colon (it may hold colons). */
export function parseProcCgroup(text: string): ParseResult<ProcCgroupLine[]> {
  const out: ProcCgroupLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.length === 0) continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    const id = a > 0 ? uint(line.slice(0, a)) : undefined;
    const path = b < 0 ? '' : line.slice(b + 1);
    if (id === undefined || b < 0 || !path.startsWith('/')) return parseFail('/proc/PID/cgroup', 'expected "ID:CONTROLLERS:/PATH"', i + 1);
    const ctl = line.slice(a + 1, b);
    out.push({ hierarchyId: id, controllers: ctl.length === 0 ? [] : ctl.split(','), path });
  }
  if (out.length === 0) return parseFail('/proc/PID/cgroup', 'empty');
  return parsed(out);
}

import type { Source } from '../../src/core/source.js';

/** One cgroup directory found by a walk. */
export interface WalkedDir {
  /** Path relative to the hierarchy's mount point: "/" for its root, "/system.slice/x.service". */
  readonly rel: string;
  readonly depth: number;
  /** Entry names of the directory (interface files and child cgroups). */
  readonly entries: ReadonlySet<string>;
}

export interface WalkBudget {
  /** Deepest level walked (the root is 0). */
  readonly maxDepth: number;
  /** Directories left for all walks sharing this budget. */
  remaining: number;
  /** Child cgroups not walked because they were too deep. */
  skippedDepth: number;
  /** Child cgroups not walked because the count was reached. */
  skippedCount: number;
}

export const newBudget = (maxDepth: number, maxCount: number): WalkBudget => ({ maxDepth, remaining: maxCount, skippedDepth: 0, skippedCount: 0 });

/**
 * Interface files are "<controller>.<name>" plus a few v1 names; everything else in a cgroup
 * directory is a child cgroup. A child named like an interface file ("memory.foo") but with a
 * systemd unit suffix (e.g. "cpu.service") is still walked; other such names are taken as files
 * and never opened as directories, which saves a failing opendir per file.
 */
const IFACE = /^(cgroup|cpu|cpuacct|cpuset|memory|memory_recursiveprot|pids|io|blkio|devices|freezer|hugetlb|net_cls|net_prio|perf_event|rdma|misc|irq|dmem)\.[A-Za-z0-9_.]+$/;
const UNIT = /\.(service|scope|slice|socket|mount|swap|target|device|path|timer|automount)$/;
const V1_FILES = new Set(['tasks', 'notify_on_release', 'release_agent']);

export function looksLikeInterfaceFile(name: string): boolean {
  return V1_FILES.has(name) || (IFACE.test(name) && !UNIT.test(name));
}

const join = (dir: string, name: string) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/**
 * Breadth-first walk of one hierarchy, bounded in depth and count (shallow cgroups first, so a
 * truncated walk keeps the big picture). A directory that vanishes mid-walk is skipped: cgroups
 * come and go all the time.
 */
export function walkHierarchy(src: Source, mountPoint: string, budget: WalkBudget): WalkedDir[] {
  const out: WalkedDir[] = [];
  const queue: Array<{ rel: string; depth: number; entries: string[] }> = [];
  if (budget.remaining <= 0) {
    budget.skippedCount++;
    return out;
  }
  const root = src.readDir(mountPoint);
  if (root.status !== 'ok') return out;
  budget.remaining--;
  queue.push({ rel: '/', depth: 0, entries: root.value });
  for (let qi = 0; qi < queue.length; qi++) {
    const d = queue[qi]!;
    out.push({ rel: d.rel, depth: d.depth, entries: new Set(d.entries) });
    for (const name of d.entries) {
      if (looksLikeInterfaceFile(name)) continue;
      if (d.depth + 1 > budget.maxDepth) {
        budget.skippedDepth++;
        continue;
      }
      if (budget.remaining <= 0) {
        budget.skippedCount++;
        continue;
      }
      const rel = join(d.rel, name);
      const sub = src.readDir(join(mountPoint, rel.slice(1)));
      if (sub.status !== 'ok') continue; // a file after all, or removed meanwhile
      budget.remaining--;
      queue.push({ rel, depth: d.depth + 1, entries: sub.value });
    }
  }
  return out;
}

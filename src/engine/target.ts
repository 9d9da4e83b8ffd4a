import type { ModelRow } from '../core/derive.js';
import type { Source } from '../core/source.js';
import { isOk } from '../core/outcome.js';

/**
 * The thing a container playbook judges: one cgroup (given, or the cgroup of a PID) with its
 * processes and its network namespace.
 */
export interface Target {
  readonly pid?: number;
  /** cgroup path relative to the hierarchy root, e.g. "/system.slice/nginx.service" (the deepest). */
  readonly cgroup?: string;
  /** Every cgroup path of the target (v2 and each v1 controller's); a table's rows match the deepest present. */
  readonly cgroups: readonly string[];
  /** Network namespace inode, e.g. "4026531840". */
  readonly netns?: string;
  /** PIDs of the processes in the cgroup (from cgroup.procs / /proc/PID/cgroup). */
  readonly pids: ReadonlySet<string>;
  /** Why part of the target could not be resolved. */
  readonly problems: readonly string[];
}

/**
 * cgroup paths of a process: the v2 path ("0::/path") and each v1 controller's path. On a
 * hybrid or v1 host a process can sit in different cgroups per controller (e.g. memory in
 * /svc/x while cpu stays in /), so all of them are kept.
 */
export function cgroupsOfPid(src: Source, pid: number): string[] {
  const t = src.readFile(`/proc/${pid}/cgroup`);
  if (!isOk(t)) return [];
  const paths = new Set<string>();
  for (const line of t.value.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m || m[2]!.startsWith('name=')) continue;
    paths.add(normaliseCgroup(m[3]!));
  }
  return [...paths];
}

/** The deepest of a set of cgroup paths (the one that says most about the process). */
function deepest(paths: readonly string[]): string | undefined {
  return [...paths].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length)[0];
}

export function netnsOfPid(src: Source, pid: number): string | undefined {
  return netnsOfLink(src, `/proc/${pid}/ns/net`);
}

/**
 * The network namespace the source's host view (its /proc/net, commands without a netnsPid)
 * describes: diag's own on this machine, the host's PID 1's under a live --root (the source maps
 * /proc/self/ns there), where diag's own PID need not even exist.
 */
export function hostViewNetns(src: Source): string | undefined {
  return netnsOfLink(src, '/proc/self/ns/net');
}

function netnsOfLink(src: Source, path: string): string | undefined {
  const l = src.readLink(path);
  if (!isOk(l)) return undefined;
  const m = /^net:\[(\d+)\]$/.exec(l.value);
  return m ? m[1] : undefined;
}

/** Places a cgroup's member list can be read from, v2 first, then the usual v1 controllers. */
function cgroupProcsPaths(cgroup: string): string[] {
  const rel = cgroup === '/' ? '' : cgroup;
  return [
    `/sys/fs/cgroup${rel}/cgroup.procs`,
    `/sys/fs/cgroup/unified${rel}/cgroup.procs`,
    `/sys/fs/cgroup/cpu,cpuacct${rel}/cgroup.procs`,
    `/sys/fs/cgroup/cpu${rel}/cgroup.procs`,
    `/sys/fs/cgroup/memory${rel}/cgroup.procs`,
    `/sys/fs/cgroup/pids${rel}/cgroup.procs`,
  ];
}

export function resolveTarget(src: Source, opts: { pid?: number; cgroup?: string }): Target {
  const problems: string[] = [];
  const pids = new Set<string>();
  let cgroups = opts.cgroup === undefined ? [] : [normaliseCgroup(opts.cgroup)];
  let netns: string | undefined;
  if (opts.pid !== undefined) {
    if (!isOk(src.readFile(`/proc/${opts.pid}/stat`))) problems.push(`process ${opts.pid} does not exist`);
    if (cgroups.length === 0) cgroups = cgroupsOfPid(src, opts.pid);
    netns = netnsOfPid(src, opts.pid);
    if (netns === undefined) problems.push(`cannot read /proc/${opts.pid}/ns/net`);
    pids.add(String(opts.pid));
  }
  const cgroup = deepest(cgroups);
  if (cgroup !== undefined) {
    let found = false;
    for (const cg of cgroups) {
      for (const p of cgroupProcsPaths(cg)) {
        const t = src.readFile(p);
        if (!isOk(t)) continue;
        found = true;
        // With --pid, only members of the process's deepest cgroup count as the target's processes.
        if (opts.pid !== undefined && cg !== cgroup) continue;
        for (const l of t.value.split('\n')) if (/^\d+$/.test(l.trim())) pids.add(l.trim());
      }
    }
    if (!found && opts.pid === undefined) problems.push(`cgroup ${cgroup} not found under /sys/fs/cgroup`);
    if (netns === undefined) {
      const first = [...pids][0];
      if (first !== undefined) netns = netnsOfPid(src, Number(first));
      else if (opts.pid === undefined) problems.push(`cgroup ${cgroup} has no processes: its network namespace is unknown`);
    }
  }
  return {
    ...(opts.pid === undefined ? {} : { pid: opts.pid }),
    ...(cgroup === undefined ? {} : { cgroup }),
    cgroups,
    ...(netns === undefined ? {} : { netns }),
    pids,
    problems,
  };
}

/** "/sys/fs/cgroup/memory/a/b" or "a/b/" -> "/a/b". */
export function normaliseCgroup(path: string): string {
  let p = path.trim();
  const m = /^\/sys\/fs\/cgroup(?:\/unified|\/[a-z_,]+(?=\/|$))?(\/.*)?$/.exec(p);
  if (m) p = m[1] ?? '/';
  if (!p.startsWith('/')) p = '/' + p;
  if (p.length > 1) p = p.replace(/\/+$/, '');
  return p;
}

function rowCgroup(row: ModelRow): string {
  const path = row.labels.path ?? row.labels.cgroup ?? row.key;
  return normaliseCgroup(path.replace(/^[a-z_,]+:(?=\/)/, ''));
}

/** Does a row belong to the target? Matches by key or by the usual identity labels. */
export type TargetKind = 'cgroup' | 'netns' | 'process' | 'pid';

/** The processes a check of this kind is about: the --pid process alone for `pid` (when given), else every process of the target. */
export function targetPids(kind: TargetKind | undefined, t: Target): readonly number[] {
  if (kind === 'pid' && t.pid !== undefined) return [t.pid];
  return [...t.pids].map(Number);
}

export function rowInTarget(kind: TargetKind, row: ModelRow, t: Target): boolean {
  switch (kind) {
    case 'cgroup':
      return t.cgroups.includes(rowCgroup(row));
    case 'netns': {
      if (t.netns === undefined) return false;
      const id = row.labels.netns ?? row.labels.inode ?? row.key;
      return id === t.netns || id === `net:[${t.netns}]`;
    }
    case 'process':
      return t.pids.has(row.labels.pid ?? row.key);
    case 'pid':
      return t.pid !== undefined ? (row.labels.pid ?? row.key) === String(t.pid) : t.pids.has(row.labels.pid ?? row.key);
  }
}

/** The target's rows of a table: for cgroups, those of the deepest target path the table has. */
export function targetRows(kind: TargetKind, rows: readonly ModelRow[], t: Target): ModelRow[] {
  const mine = rows.filter((r) => rowInTarget(kind, r, t));
  if (kind !== 'cgroup' || mine.length === 0) return mine;
  const best = deepest([...new Set(mine.map(rowCgroup))]);
  return mine.filter((r) => rowCgroup(r) === best);
}

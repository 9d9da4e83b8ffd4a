import type { ModelRow } from '../core/derive.js';
import type { Source } from '../core/source.js';
import { isOk } from '../core/outcome.js';

/**
 * The thing a container playbook judges: one cgroup (given, or the cgroup of a PID) with its
 * processes and its network namespace.
 */
export interface Target {
  readonly pid?: number;
  /** cgroup path relative to the hierarchy root, e.g. "/system.slice/nginx.service". */
  readonly cgroup?: string;
  /** Network namespace inode, e.g. "4026531840". */
  readonly netns?: string;
  /** PIDs of the processes in the cgroup (from cgroup.procs / /proc/PID/cgroup). */
  readonly pids: ReadonlySet<string>;
  /** Why part of the target could not be resolved. */
  readonly problems: readonly string[];
}

/** cgroup path of a process: the v2 line ("0::/path"), else the cpu controller's v1 line. */
export function cgroupOfPid(src: Source, pid: number): string | undefined {
  const t = src.readFile(`/proc/${pid}/cgroup`);
  if (!isOk(t)) return undefined;
  let v1: string | undefined;
  let v2: string | undefined;
  for (const line of t.value.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const ctrls = m[2]!.split(',');
    if (m[1] === '0' && m[2] === '') v2 = m[3];
    if (ctrls.includes('cpu') || ctrls.includes('memory')) v1 ??= m[3];
  }
  // On a hybrid host (v1 controllers + an empty v2 tree) the v1 path is where limits live.
  return v1 ?? v2;
}

export function netnsOfPid(src: Source, pid: number): string | undefined {
  const l = src.readLink(`/proc/${pid}/ns/net`);
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
  let cgroup = opts.cgroup === undefined ? undefined : normaliseCgroup(opts.cgroup);
  let netns: string | undefined;
  if (opts.pid !== undefined) {
    if (!isOk(src.readFile(`/proc/${opts.pid}/stat`))) problems.push(`process ${opts.pid} does not exist`);
    cgroup ??= cgroupOfPid(src, opts.pid);
    netns = netnsOfPid(src, opts.pid);
    if (netns === undefined) problems.push(`cannot read /proc/${opts.pid}/ns/net`);
    pids.add(String(opts.pid));
  }
  if (cgroup !== undefined) {
    let found = false;
    for (const p of cgroupProcsPaths(cgroup)) {
      const t = src.readFile(p);
      if (!isOk(t)) continue;
      found = true;
      for (const l of t.value.split('\n')) if (/^\d+$/.test(l.trim())) pids.add(l.trim());
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

/** Does a row belong to the target? Matches by key or by the usual identity labels. */
export function rowInTarget(kind: 'cgroup' | 'netns' | 'process', row: ModelRow, t: Target): boolean {
  switch (kind) {
    case 'cgroup': {
      if (t.cgroup === undefined) return false;
      const path = row.labels.path ?? row.labels.cgroup ?? row.key;
      return normaliseCgroup(path.replace(/^[a-z_,]+:(?=\/)/, '')) === t.cgroup;
    }
    case 'netns': {
      if (t.netns === undefined) return false;
      const id = row.labels.netns ?? row.labels.inode ?? row.key;
      return id === t.netns || id === `net:[${t.netns}]`;
    }
    case 'process':
      return t.pids.has(row.labels.pid ?? row.key);
  }
}

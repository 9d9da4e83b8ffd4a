import { ok, unavailable, type Outcome } from '../../src/core/outcome.js';
import type { Source } from '../../src/core/source.js';
import { parseProcCgroup } from '../cgroup/layout.js';
import { parseMountinfo } from '../cgroup/mountinfo.js';
import { boundNamespaces, ipNetnsName, NETNS_RUN_DIRS, NS_TYPES, parseNsLink, type NsType } from './parse.js';

/** One namespace and who lives in it. */
export interface NsEntry {
  readonly type: NsType;
  readonly inode: string;
  /** Member processes (thread group leaders), ascending. */
  readonly pids: number[];
  /** cgroup paths of the first CGROUP_MEMBERS members (any hierarchy; "/" only when that is all there is). */
  readonly cgroups: Set<string>;
  /** Members whose cgroups were read (at most CGROUP_MEMBERS). */
  cgroupsOf: number;
  /** Bind-mount names (net: /run/netns/NAME). */
  names: string[];
  /** Bind-mount paths (what nsenter --net=PATH enters when no process lives there). */
  paths: string[];
  /** diag's own namespace of this type. */
  self: boolean;
}

export interface NsScan {
  /** Keyed "TYPE:INODE". */
  readonly entries: Map<string, NsEntry>;
  readonly processes: number;
  /** Processes whose ns links could not be read (permission: ptrace access mode checks). */
  readonly denied: number;
  /** Processes that exited during the scan. */
  readonly exited: number;
  /**
   * Names in /run/netns that are not a mounted namespace (a file left behind when `ip netns`
   * was interrupted, or a mount made in another mount namespace): listed, never entered.
   */
  readonly unmounted: readonly string[];
}

/**
 * Members per namespace whose /proc/PID/cgroup is read. A namespace with thousands of processes
 * (the host's) would cost a read per process for a list that says "everything"; containers and
 * pods have a handful. `cgroupsOf` says how many members the list covers.
 */
export const CGROUP_MEMBERS = 64;

export const nsKey = (type: string, inode: string) => `${type}:${inode}`;

/** Distinct non-root cgroup paths of a process; "/" when it sits at the root everywhere. */
function cgroupsOf(src: Source, pid: number): string[] {
  const t = src.readFile(`/proc/${pid}/cgroup`);
  if (t.status !== 'ok') return [];
  const p = parseProcCgroup(t.value);
  if (!p.ok) return [];
  const paths = new Set(p.value.map((l) => l.path));
  if (paths.size > 1) paths.delete('/');
  return [...paths];
}

/**
 * Enumerate net, pid and mnt namespaces from /proc/PID/ns/* (readlink gives "net:[INODE]"), with
 * their member processes and cgroups, plus network namespaces that only a bind mount keeps alive
 * (from /proc/self/mountinfo, no stat needed). Reading another process's ns links needs ptrace
 * read access: without root, most are denied and counted, not guessed.
 */
export function scanNamespaces(src: Source): Outcome<NsScan> {
  const dir = src.readDir('/proc');
  if (dir.status !== 'ok') return dir;
  const pids = dir.value
    .filter((n) => /^\d{1,7}$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
  const entries = new Map<string, NsEntry>();
  let denied = 0;
  let exited = 0;
  let processes = 0;
  for (const pid of pids) {
    let cgroups: string[] | undefined;
    let any = false;
    for (const type of NS_TYPES) {
      const link = src.readLink(`/proc/${pid}/ns/${type}`);
      if (link.status !== 'ok') {
        if (link.code === 'permission') {
          denied++;
        } else exited++;
        break;
      }
      const ref = parseNsLink(link.value);
      if (!ref.ok) continue;
      any = true;
      const key = nsKey(type, ref.value.inode);
      let e = entries.get(key);
      if (!e) entries.set(key, (e = { type, inode: ref.value.inode, pids: [], cgroups: new Set(), cgroupsOf: 0, names: [], paths: [], self: false }));
      e.pids.push(pid);
      if (e.cgroupsOf < CGROUP_MEMBERS) {
        cgroups ??= cgroupsOf(src, pid);
        for (const c of cgroups) e.cgroups.add(c);
        e.cgroupsOf++;
      }
    }
    if (any) processes++;
  }
  for (const type of NS_TYPES) {
    const self = src.readLink(`/proc/self/ns/${type}`);
    const ref = self.status === 'ok' ? parseNsLink(self.value) : undefined;
    if (ref?.ok) {
      const e = entries.get(nsKey(type, ref.value.inode));
      if (e) e.self = true;
    }
  }
  const mi = src.readFile('/proc/self/mountinfo');
  const mounts = mi.status === 'ok' ? parseMountinfo(mi.value) : undefined;
  const mountedNames = new Set<string>();
  if (mounts?.ok) {
    for (const [inode, b] of boundNamespaces(mounts.value, 'net')) {
      const key = nsKey('net', inode);
      const e = entries.get(key);
      if (e) {
        e.names = b.names;
        e.paths = b.paths;
      } else entries.set(key, { type: 'net', inode, pids: [], cgroups: new Set(), cgroupsOf: 0, names: b.names, paths: b.paths, self: false });
      for (const p of b.paths) {
        const n = ipNetnsName(p);
        if (n !== undefined) mountedNames.add(n);
      }
    }
  }
  // ip netns lists /run/netns; a name there that is not mounted is no namespace (but say so).
  const unmounted = new Set<string>();
  for (const dir of NETNS_RUN_DIRS) {
    const d = src.readDir(dir);
    if (d.status === 'ok') for (const n of d.value) if (!mountedNames.has(n)) unmounted.add(n);
  }
  if (processes === 0) {
    return denied > 0
      ? unavailable('permission', 'no /proc/PID/ns link is readable (permission denied)', 'run diag as root')
      : unavailable('not-found', 'no process lists its namespaces in /proc/*/ns (is /proc mounted?)');
  }
  return ok({ entries, processes, denied, exited, unmounted: [...unmounted].sort() });
}

import { parsed, parseFail, type ParseResult } from '../../src/core/parse-result.js';
import type { MountInfo } from '../cgroup/mountinfo.js';

/** Namespace types diag enumerates. */
export const NS_TYPES = ['net', 'pid', 'mnt'] as const;
export type NsType = (typeof NS_TYPES)[number];

export interface NsRef {
  readonly type: string;
  /** Inode number as text (it can exceed 2^53 on exotic filesystems; it is an identity, not a quantity). */
  readonly inode: string;
}

/** Target of /proc/PID/ns/<type>: "net:[4026531840]" -> { type: "net", inode: "4026531840" }. */
export function parseNsLink(link: string): ParseResult<NsRef> {
  const m = /^([a-z_]{2,24}):\[(\d{1,20})\]$/.exec(link.trim());
  if (!m) return parseFail('namespace link', `expected "TYPE:[INODE]", got ${JSON.stringify(link.slice(0, 40))}`);
  return parsed({ type: m[1]!, inode: m[2]! });
}

/**
 * Namespaces kept alive by a bind mount of their nsfs file: `ip netns add NAME` mounts it at
 * /run/netns/NAME; docker at /run/docker/netns/<id>. mountinfo shows such a mount with the
 * namespace as its root ("net:[4026532177]"), which gives the inode without stat(2).
 * Returns inode -> names: the NAME for /run/netns/NAME (and /var/run/netns/NAME), else the path.
 */
export function namedNamespaces(mounts: readonly MountInfo[], type: string = 'net'): Map<string, string[]> {
  return new Map([...boundNamespaces(mounts, type)].map(([inode, b]) => [inode, b.names]));
}

/** A namespace kept alive by bind mounts of its nsfs file. */
export interface BoundNamespace {
  /** `ip netns` names (/run/netns/NAME), else the mount points themselves. */
  readonly names: string[];
  /** The mount points (what nsenter --net=PATH takes), in mountinfo order. */
  readonly paths: string[];
}

/** ip netns keeps its bind mounts here (iproute2: NETNS_RUN_DIR; /var/run is /run on current systems). */
export const NETNS_RUN_DIRS = ['/run/netns', '/var/run/netns'] as const;

/** The `ip netns` name of a mount point (/run/netns/NAME -> NAME), or undefined for another path. */
export function ipNetnsName(mountPoint: string): string | undefined {
  const named = /^(?:\/var)?\/run\/netns\/([^/]+)$/.exec(mountPoint);
  return named ? named[1] : undefined;
}

/** Inode -> names and mount points of every namespace of `type` bind-mounted somewhere (mountinfo). */
export function boundNamespaces(mounts: readonly MountInfo[], type: string = 'net'): Map<string, BoundNamespace> {
  const out = new Map<string, BoundNamespace>();
  for (const m of mounts) {
    if (m.fsType !== 'nsfs') continue;
    const ref = parseNsLink(m.root);
    if (!ref.ok || ref.value.type !== type) continue;
    const name = ipNetnsName(m.mountPoint) ?? m.mountPoint;
    let b = out.get(ref.value.inode);
    if (!b) out.set(ref.value.inode, (b = { names: [], paths: [] }));
    if (!b.names.includes(name)) b.names.push(name);
    if (!b.paths.includes(m.mountPoint)) b.paths.push(m.mountPoint);
  }
  return out;
}

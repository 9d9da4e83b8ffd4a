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
  const out = new Map<string, string[]>();
  for (const m of mounts) {
    if (m.fsType !== 'nsfs') continue;
    const ref = parseNsLink(m.root);
    if (!ref.ok || ref.value.type !== type) continue;
    const named = /^(?:\/var)?\/run\/netns\/([^/]+)$/.exec(m.mountPoint);
    const name = named ? named[1]! : m.mountPoint;
    const list = out.get(ref.value.inode) ?? [];
    if (!list.includes(name)) list.push(name);
    out.set(ref.value.inode, list);
  }
  return out;
}

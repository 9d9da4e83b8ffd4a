import { existsSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

/** statfs(2) f_type of a procfs mount (PROC_SUPER_MAGIC, include/uapi/linux/magic.h). */
export const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * What a `--root DIR` is, which decides whether commands and statfs may run for it:
 *
 * - `self`: "/", the machine diag runs on.
 * - `live`: a running system's root mounted elsewhere (`/host` under `kubectl debug node/...`,
 *   `docker run -v /:/host`): DIR/proc is a mounted procfs, so DIR/proc/1 is that system's init
 *   and its namespaces can be entered (DIR/proc/1/ns/net). Commands run there, not in diag's own
 *   namespaces, and "this host's own view" of /proc (/proc/net, /proc/self/{ns,net,mountinfo})
 *   is its PID 1's.
 * - `tree`: files copied or extracted from a host (a sosreport, `cp -r /proc`): DIR/proc is a
 *   plain directory. Nothing but its files describes that host: a command or a statfs would
 *   describe the machine diag runs on, so neither is run.
 */
export type HostRoot = { readonly kind: 'self' } | { readonly kind: 'live'; readonly root: string } | { readonly kind: 'tree'; readonly root: string; readonly why: string };

/** Classify a root directory by what its proc/ is (one statfs). */
export function classifyRoot(root: string): HostRoot {
  if (root === '/') return { kind: 'self' };
  const proc = join(root, 'proc');
  let type: number;
  try {
    type = statfsSync(proc).type;
  } catch (err) {
    return { kind: 'tree', root, why: `${proc} cannot be examined (${(err as { code?: string }).code ?? String(err)})` };
  }
  if (type !== PROC_SUPER_MAGIC) return { kind: 'tree', root, why: `${proc} is not a mounted procfs (filesystem type 0x${type.toString(16)}, procfs is 0x9fa0)` };
  // A procfs whose PID namespace has no init left (every process exited) shows no system.
  if (!existsSync(join(proc, '1'))) return { kind: 'tree', root, why: `${proc} is a procfs with no process 1` };
  return { kind: 'live', root };
}

/** Why commands are not run for a tree root (the reason of their unavailable outcome). */
export const commandsRefused = (h: { readonly root: string }): string => `${h.root} is not a running host's root: commands would describe this machine`;

/** Why statfs is not asked for a tree root. */
export const statfsRefused = (h: { readonly root: string }): string => `${h.root} is not a running host's root: statfs would describe this machine's filesystems`;

/** Why BPF probes are not run for a tree root (they attach to the kernel diag runs on). */
export const probesRefused = (h: { readonly root: string }): string => `${h.root} is not a running host's root: BPF probes would describe this machine`;

export const TREE_HINT = 'diag reads only the files of a copied or extracted tree; run diag on that host (or take a `diag snapshot` there) for its commands and filesystem usage';

const PROC_NET = '/proc/net';
const SELF_AS_HOST = /^\/proc\/self\/(?:(?:ns|net)(?:\/|$)|mountinfo$|mounts$)/;

/**
 * Under a `live` root, the path that gives the observed host's own view: /proc/net and
 * /proc/self/{ns,net,mountinfo,mounts} name the reader's (diag's) namespaces, which inside a
 * debug container are not the host's; the host's are its PID 1's. Other paths are unchanged
 * (/proc/self/status stays diag's own: its capabilities).
 */
export function hostViewPath(path: string): string {
  if (path.startsWith(PROC_NET) && (path.length === PROC_NET.length || path.charCodeAt(PROC_NET.length) === 47)) return `/proc/1/net${path.slice(PROC_NET.length)}`;
  if (SELF_AS_HOST.test(path)) return `/proc/1/${path.slice('/proc/self/'.length)}`;
  return path;
}
